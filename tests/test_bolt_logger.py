"""Bolt's own logging follows LOG_LEVEL: its debug lines are neither written nor built below it."""

from __future__ import annotations

import dataclasses
import logging

import pytest
from slack_bolt import App

from bot.app import create_app
from bot.cli.console.payloads import SlackPayloads
from bot.services import Services
from bot.settings import Settings
from bot.slack.client import build_web_client
from tests.fakes.driver import SlackDriver
from tests.fakes.slack_api import FakeSlackApi


def _driver(
    level: str, settings: Settings, services: Services, payloads: SlackPayloads, api: FakeSlackApi
) -> SlackDriver:
    settings = dataclasses.replace(settings, log_level=level)
    services = dataclasses.replace(services, settings=settings)
    app: App = create_app(
        settings, services, client=build_web_client(settings, timeout=5), process_before_response=True
    )
    return SlackDriver(app, payloads, api)


def _bolt_debug_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "liaison.bolt" and r.levelno == logging.DEBUG]


def test_at_info_bolt_builds_no_debug_lines_even_under_a_root_logger_at_debug(
    settings: Settings,
    services: Services,
    payloads: SlackPayloads,
    slack_api: FakeSlackApi,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Bolt decides whether to build a debug line per middleware from its logger's own level; a logger
    # left unset (NOTSET) built ten of them for every request, whatever LOG_LEVEL said.
    slack = _driver("INFO", settings, services, payloads, slack_api)
    caplog.set_level(logging.DEBUG)
    assert "help" in slack.command("U02ECBANE", "/liaison").reply_text.lower()
    assert _bolt_debug_lines(caplog) == []


def test_at_debug_bolt_says_which_middleware_it_applies(
    settings: Settings,
    services: Services,
    payloads: SlackPayloads,
    slack_api: FakeSlackApi,
    caplog: pytest.LogCaptureFixture,
) -> None:
    slack = _driver("DEBUG", settings, services, payloads, slack_api)
    caplog.set_level(logging.DEBUG)
    slack.command("U02ECBANE", "/liaison")
    assert any("Applying" in line for line in _bolt_debug_lines(caplog))
