"""Bolt listeners, one module per Slack surface, each exposing `register(app, settings)`."""

from __future__ import annotations

from slack_bolt import App

from bot.settings import Settings
from handlers import actions, commands, events, experts, lead_view, profiles, reminders, shortcuts, views


def register_all(app: App, settings: Settings) -> None:
    """Register every surface's listeners on `app`."""
    commands.register(app, settings)
    actions.register(app, settings)
    views.register(app, settings)
    events.register(app, settings)
    shortcuts.register(app, settings)
    reminders.register(app, settings)
    profiles.register(app, settings)
    experts.register(app, settings)
    lead_view.register(app, settings)
