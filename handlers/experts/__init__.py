"""Expert suggestions and introductions: `/expert`, "Ask for an intro", Accept / Decline, App Home.

`suggestions` answers searches; `intros` runs the introduction flow.
"""

from __future__ import annotations

import re

from slack_bolt import App

from bot.settings import Settings
from bot.slack.ids import (
    EXPERT_HOME_ACTION,
    EXPERT_INTRO_ACTION,
    EXPERT_PICK_PROJECT_ACTION,
    INTRO_ACCEPT_ACTION,
    INTRO_DECLINE_ACTION,
)
from handlers.experts.intros import (
    handle_expert_intro_action,
    handle_intro_accept_action,
    handle_intro_decline_action,
)
from handlers.experts.suggestions import (
    handle_expert_home_action,
    handle_expert_pick_project_action,
)


def register(app: App, settings: Settings) -> None:
    """Register the experts listeners."""
    app.action(re.compile(rf"^{EXPERT_PICK_PROJECT_ACTION}(:\d+)?$"))(handle_expert_pick_project_action)
    app.action(EXPERT_HOME_ACTION)(handle_expert_home_action)
    app.action(EXPERT_INTRO_ACTION)(handle_expert_intro_action)
    app.action(INTRO_ACCEPT_ACTION)(handle_intro_accept_action)
    app.action(INTRO_DECLINE_ACTION)(handle_intro_decline_action)
