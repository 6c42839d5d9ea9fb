"""Events API: `app_home_opened`."""

from __future__ import annotations

from typing import Any

from slack_bolt import App
from slack_sdk import WebClient

from bot.dedup import claim_once
from bot.services import Services
from bot.settings import Settings
from bot.slack.home_publisher import publish_homes


def register(app: App, settings: Settings) -> None:
    """Register the event listeners."""
    app.event("app_home_opened")(handle_app_home_opened)
    app.event("app_mention")(handle_app_mention)


def handle_app_home_opened(
    event: dict[str, Any], body: dict[str, Any], client: WebClient, services: Services
) -> None:
    """The user opened Liaison's Home tab: publish a fresh view (the Messages tab needs nothing)."""
    if event.get("tab", "home") != "home":
        return
    publish_homes(client, services, body.get("team_id"), [event["user"]])


def handle_app_mention(
    event: dict[str, Any], body: dict[str, Any], client: WebClient, services: Services
) -> None:
    """@liaison in a channel or thread: answer in the thread, once per event despite Slack's retries."""
    if not claim_once(services.session_factory, f"event:{body.get('event_id')}", services.clock.now()):
        return
    names = services.settings.commands
    client.chat_postMessage(
        channel=event["channel"],
        thread_ts=event.get("thread_ts") or event["ts"],
        text=(
            f"I answer slash commands for now: `{names.project} status KEY`, `{names.milestone} next`, "
            f"`{names.blocker} list`. `{names.help} help` lists everything. (Slash commands do not work "
            "in threads; plain-language questions here are coming.)"
        ),
    )
