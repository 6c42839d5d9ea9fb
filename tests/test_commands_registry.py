"""A slash command is declared once (bot.commands); settings, manifest, help and Bolt follow from it."""

from __future__ import annotations

import pytest
import yaml
from slack_bolt import App

from bot.app import create_app
from bot.cli.console.payloads import SlackPayloads
from bot.commands import COMMANDS, CommandNames, Listener
from bot.services import Services
from bot.settings import Settings
from bot.slack.client import build_web_client
from bot.slack.help import build_help_reply
from bot.slack.manifest import build_manifest
from handlers.commands import LISTENERS
from tests.fakes.driver import SlackDriver, message_text
from tests.fakes.slack_api import FakeSlackApi

RENAMED = {"project": "/proj", "help": "/liaison-help", "expert": "/who-knows"}


def test_every_kind_of_listener_has_its_function_and_every_command_a_kind() -> None:
    assert set(LISTENERS) == set(Listener)
    assert {command.listener for command in COMMANDS} == set(Listener)
    assert {c.key for c in COMMANDS if c.listener is Listener.INTERPRETER} == {
        "project",
        "milestone",
        "blocker",
        "help",
    }


def test_every_declared_command_is_in_the_manifest_under_its_configured_name() -> None:
    names = CommandNames(RENAMED)
    manifest = yaml.safe_load(build_manifest(names))
    listed = {entry["command"]: entry for entry in manifest["features"]["slash_commands"]}
    assert set(listed) == {names[command.key] for command in COMMANDS}
    for command in COMMANDS:
        assert listed[names[command.key]]["description"] == command.description
        assert listed[names[command.key]]["usage_hint"] == command.usage_hint


def test_help_lists_every_command_with_rows_under_its_configured_name() -> None:
    names = CommandNames(RENAMED)
    text = build_help_reply(names).text
    for command in COMMANDS:
        if command.help:
            assert f"{names[command.key]} " in text or text.endswith(names[command.key])
    assert "/proj status bidshade" in text
    assert "/project " not in text  # a renamed command never shows its default name


def test_help_descriptions_name_commands_as_configured_and_leave_no_template_behind() -> None:
    names = CommandNames(RENAMED)
    shown = message_text(build_help_reply(names).as_kwargs())

    assert "{" not in shown and "}" not in shown  # no "{cmd}" left, in a usage or a description
    assert "`/proj checkins KEY` shows them" in shown  # a description's own command example


def test_unknown_command_key_is_refused() -> None:
    with pytest.raises(KeyError):
        CommandNames({"projects": "/p"})


def test_every_command_setting_is_read_from_the_environment() -> None:
    env = {command.setting: f"/x-{command.key}" for command in COMMANDS}
    settings = Settings.from_env({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s", **env})
    assert dict(settings.commands) == {command.key: f"/x-{command.key}" for command in COMMANDS}


@pytest.fixture
def renamed_app(settings: Settings, services: Services) -> App:
    renamed = Settings.from_env(
        {
            "SLACK_BOT_TOKEN": settings.slack_bot_token,
            "SLACK_SIGNING_SECRET": settings.slack_signing_secret,
            "SLACK_API_URL": settings.slack_api_url,
            "DATABASE_URL": "sqlite://",
            "LIAISON_TIMEZONE": "Europe/Amsterdam",
            **{f"LIAISON_{key.upper()}_COMMAND": name for key, name in RENAMED.items()},
        }
    )
    services.settings = renamed
    return create_app(
        renamed, services, client=build_web_client(renamed, timeout=5), process_before_response=True
    )


@pytest.mark.usefixtures("demo")
def test_renamed_commands_are_answered_through_bolt_and_defaults_are_not(
    renamed_app: App, payloads: SlackPayloads, slack_api: FakeSlackApi
) -> None:
    driver = SlackDriver(renamed_app, payloads, slack_api)

    status = driver.command("U02ECBANE", "/proj status bidshade").reply_text
    assert "bidshade" in status.lower() or "bid shading" in status.lower()

    help_text = driver.command("U02ECBANE", "/liaison-help").reply_text
    assert "/proj list" in help_text and "/who-knows" in help_text

    # The default name is no longer registered: no listener runs for it, so nothing is answered.
    unanswered = driver.send(payloads.slash_command("/project", "status bidshade", user_id="U02ECBANE"))
    assert unanswered.calls == []


@pytest.mark.usefixtures("demo")
def test_every_interpreter_command_but_help_has_subcommands(slack: SlackDriver) -> None:
    # A command declared for the interpreter without a subcommand table would only ever show its help.
    for command in COMMANDS:
        if command.listener is not Listener.INTERPRETER or command.key == "help":
            continue
        text = slack.command("U02ECBANE", f"{command.default_name} no-such-verb").reply_text
        assert f"is not a {command.default_name} command" in text, (command.key, text)
