"""Events API: `app_home_opened`."""

from __future__ import annotations

from typing import Any

from slack_bolt import App
from slack_sdk import WebClient

from bot.services import Services
from bot.settings import Settings
from bot.slack.home_publisher import publish_homes


def register(app: App, settings: Settings) -> None:
    """Register the event listeners."""
    app.event("app_home_opened")(handle_app_home_opened)


def handle_app_home_opened(
    event: dict[str, Any], body: dict[str, Any], client: WebClient, services: Services
) -> None:
    """The user opened Liaison's Home tab: publish a fresh view (the Messages tab needs nothing)."""
    if event.get("tab", "home") != "home":
        return
    publish_homes(client, services, body.get("team_id"), [event["user"]])
