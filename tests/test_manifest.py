"""The Slack app manifest: the committed manifest.yml, `liaison manifest`, and the app it describes."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.cli.main import main
from bot.commands import CommandNames
from bot.conversations.tables import AssistantThread
from bot.models import DeliveryStatus, ReminderDelivery
from bot.settings import Settings
from bot.slack.manifest import BOT_EVENTS, build_manifest
from tests.fakes.driver import SlackDriver
from tests.fakes.slack_api import RESPONSE_URL_METHOD

REPO_ROOT = Path(__file__).resolve().parent.parent
MANIFEST_FILE = REPO_ROOT / "manifest.yml"
# Scopes Slack requires before it delivers each event type.
EVENT_SCOPES = {
    "app_mention": "app_mentions:read",
    "message.im": "im:history",
    "app_home_opened": None,
    "assistant_thread_started": "assistant:write",
    "assistant_thread_context_changed": "assistant:write",
    "app_uninstalled": None,
    "tokens_revoked": None,
}
# Events that end an install (handled by stopping the workspace's reminders, not by answering).
LIFECYCLE_EVENTS = {"app_uninstalled", "tokens_revoked"}


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.startswith("LIAISON_") or name == "LOG_LEVEL":
            monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no .env from the checkout


def _parse(text: str) -> dict[str, Any]:
    data = yaml.safe_load(text)
    assert isinstance(data, dict)
    return data


def test_manifest_file_matches_default_build() -> None:
    assert build_manifest(CommandNames()) == MANIFEST_FILE.read_text(encoding="utf-8")


def test_cli_manifest_prints_manifest_file() -> None:
    result = CliRunner().invoke(main, ["manifest"], env={"DATABASE_URL": "sqlite://"})

    assert result.exit_code == 0, result.stderr
    assert result.stdout == MANIFEST_FILE.read_text(encoding="utf-8")


def test_cli_manifest_uses_configured_command_names() -> None:
    result = CliRunner().invoke(
        main,
        ["manifest"],
        env={"LIAISON_PROJECT_COMMAND": "/proj", "LIAISON_HELP_COMMAND": "/coordinator"},
    )

    assert result.exit_code == 0, result.stderr
    commands = [c["command"] for c in _parse(result.stdout)["features"]["slash_commands"]]
    assert commands == [
        "/proj",
        "/milestone",
        "/blocker",
        "/coordinator",
        "/ask",
        "/expert",
        "/profile",
        "/agreement",
        "/paper",
    ]


def test_manifest_without_public_url_uses_socket_mode() -> None:
    manifest = _parse(build_manifest(CommandNames()))

    assert manifest["settings"]["socket_mode_enabled"] is True
    assert "request_url" not in manifest["settings"]["event_subscriptions"]
    assert "request_url" not in manifest["settings"]["interactivity"]
    assert all("url" not in c for c in manifest["features"]["slash_commands"])


def test_cli_manifest_with_public_url_points_every_request_at_slack_events() -> None:
    result = CliRunner().invoke(
        main, ["manifest"], env={"LIAISON_PUBLIC_URL": "https://liaison.example.org/"}
    )

    assert result.exit_code == 0, result.stderr
    manifest = _parse(result.stdout)
    events_url = "https://liaison.example.org/slack/events"
    assert manifest["settings"]["socket_mode_enabled"] is False
    assert manifest["settings"]["event_subscriptions"]["request_url"] == events_url
    assert manifest["settings"]["interactivity"] == {"is_enabled": True, "request_url": events_url}
    assert {c["url"] for c in manifest["features"]["slash_commands"]} == {events_url}
    assert manifest["oauth_config"]["redirect_urls"] == ["https://liaison.example.org/slack/oauth_redirect"]


def test_cli_manifest_rejects_plain_http_public_url() -> None:
    result = CliRunner().invoke(main, ["manifest"], env={"LIAISON_PUBLIC_URL": "http://liaison.example.org"})

    assert result.exit_code == 2
    assert result.stderr.startswith("Configuration error: LIAISON_PUBLIC_URL must be an https:// URL")


def test_manifest_asks_for_the_scope_of_every_event() -> None:
    manifest = _parse(build_manifest(CommandNames()))
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])

    assert manifest["settings"]["event_subscriptions"]["bot_events"] == BOT_EVENTS
    for event in BOT_EVENTS:
        needed = EVENT_SCOPES[event]
        assert needed is None or needed in scopes, event
    assert {"commands", "chat:write", "users:read"} <= scopes


def test_manifest_command_names_fit_slack_limits() -> None:
    manifest = _parse(build_manifest(CommandNames()))

    for command in manifest["features"]["slash_commands"]:
        assert command["command"].startswith("/")
        assert len(command["command"]) <= 32
        assert 0 < len(command["description"]) <= 100
    assert len(manifest["display_information"]["description"]) <= 140


def test_every_manifest_command_is_answered_by_the_app(slack: SlackDriver, settings: Settings) -> None:
    manifest = _parse(build_manifest(settings.commands))

    for entry in manifest["features"]["slash_commands"]:
        exchange = slack.command("U02ECBANE", f"{entry['command']} {entry['usage_hint']}")

        assert exchange.status == 200
        assert len(exchange.of(RESPONSE_URL_METHOD)) + len(exchange.of("views.open")) == 1, entry["command"]


def test_manifest_enables_the_assistant_surface() -> None:
    manifest = _parse(build_manifest(CommandNames()))

    view = manifest["features"]["assistant_view"]
    assert 0 < len(view["assistant_description"]) <= 200
    assert 0 < len(view["suggested_prompts"]) <= 4
    assert all(set(p) == {"title", "message"} for p in view["suggested_prompts"])
    assert "assistant:write" in manifest["oauth_config"]["scopes"]["bot"]
    # The assistant's messages are `message.im` events: the DM path and the assistant share them.
    assert {"assistant_thread_started", "assistant_thread_context_changed", "message.im"} <= set(BOT_EVENTS)


@pytest.mark.usefixtures("demo")
def test_every_manifest_event_is_handled_by_the_app(
    slack: SlackDriver, session_factory: sessionmaker[Session]
) -> None:
    def assistant_thread(kind: str, channel_in_view: str) -> dict[str, Any]:
        return {
            "type": kind,
            "assistant_thread": {
                "user_id": "U02ECBANE",
                "context": {"channel_id": channel_in_view, "team_id": "T0LIAISON", "enterprise_id": None},
                "channel_id": "D02ECBANE",
                "thread_ts": "1.000003",
            },
            "event_ts": "1.000004",
        }

    events = {
        "app_home_opened": {
            "type": "app_home_opened",
            "user": "U02ECBANE",
            "channel": "D02ECBANE",
            "tab": "home",
        },
        "app_mention": {
            "type": "app_mention",
            "user": "U02ECBANE",
            "channel": "C1BIDSHADE",
            "text": "<@U0LIAISONBOT> what is overdue?",
            "ts": "1.000001",
        },
        "message.im": {
            "type": "message",
            "channel_type": "im",
            "user": "U02ECBANE",
            "channel": "D02ECBANE",
            "text": "what is overdue?",
            "ts": "1.000002",
        },
        "assistant_thread_started": assistant_thread("assistant_thread_started", "C1PCM"),
        "assistant_thread_context_changed": assistant_thread("assistant_thread_context_changed", "C1UPLIFT"),
    }

    def context_stored() -> bool:
        with session_factory() as session:
            return session.scalar(select(AssistantThread.context_channel_id)) == "C1UPLIFT"

    # Unhandled events are acknowledged with 200 (so Slack does not retry them); "handled" means the
    # bot answered: a published Home or a posted message (or, for the channel an assistant thread's
    # person looks at, that it was stored).
    answered = {}
    conversational = [name for name in BOT_EVENTS if name not in LIFECYCLE_EVENTS]
    for name in conversational:
        exchange = slack.event(events[name])
        assert exchange.status == 200, name
        if name == "assistant_thread_context_changed":
            answered[name] = context_stored()
        else:
            answered[name] = bool(exchange.of("views.publish") or exchange.of("chat.postMessage"))

    assert answered == dict.fromkeys(conversational, True)


@pytest.mark.usefixtures("demo")
@pytest.mark.parametrize(
    "event",
    [
        {"type": "app_uninstalled"},
        {"type": "tokens_revoked", "tokens": {"oauth": [], "bot": ["U0LIAISONBOT"]}},
    ],
    ids=lambda event: event["type"],
)
def test_every_manifest_lifecycle_event_is_handled_by_the_app(
    slack: SlackDriver, session_factory: sessionmaker[Session], event: dict[str, Any]
) -> None:
    assert event["type"] in LIFECYCLE_EVENTS
    assert LIFECYCLE_EVENTS.issubset(BOT_EVENTS)

    def planned() -> int:
        with session_factory() as session:
            query = select(func.count()).where(ReminderDelivery.status == DeliveryStatus.PLANNED)
            return int(session.scalar(query) or 0)

    before = planned()
    exchange = slack.event(event)

    assert exchange.status == 200
    assert before > 0 and planned() == 0
