"""No answer nests bold inside bold: Slack shows `*Reminders for *pcm**` with its asterisks.

Issue 13, defect 10. Every common command (and the reminders the tick posts) is run through the real
Bolt request path against the fake Slack Web API, and every mrkdwn text it sent is checked by a small
reader of Slack's bold rule.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from bot.services import Services
from jobs.reminders import send_due_reminders
from tests.fakes.driver import SlackDriver, view_of
from tests.fakes.slack_api import FakeSlackApi, RecordedCall
from tests.jobs.reminder_support import utc

pytestmark = pytest.mark.usefixtures("demo")

BANERJEE = "U02ECBANE"  # leads bidshade (Europe/Amsterdam)
OSEI = "U01MLOSEI"  # London
RAO = "U03MSRAO"  # Kolkata
WONG = "U06CRWONG"  # leads pcm
ADMIN = "U0ADMIN"
PROJECTS = ("bidshade", "fatigue", "pcm", "uplift", "consentux", "fairdelivery")

# Code spans and <links|mentions> are not read as formatting by Slack; they are skipped.
_LITERAL = re.compile(r"`[^`\n]*`|<[^<>\n]*>")


def nested_bold(text: str) -> list[str]:
    """The places where a bold span opens while another is still open, as short excerpts.

    Slack's rule, as far as bold goes: `*` opens a span when what follows is not a space and what
    precedes is the start, a space or punctuation; it closes an open span when what precedes is not a
    space and what follows is the end, a space or punctuation. A `*` that can only open, met inside
    an open span, starts a nested span, which Slack does not support: it shows the asterisks.
    """
    found: list[str] = []
    for line in _LITERAL.sub("x", text).split("\n"):
        open_at: int | None = None
        for i, char in enumerate(line):
            if char != "*":
                continue
            before = line[i - 1] if i else " "
            after = line[i + 1] if i + 1 < len(line) else " "
            can_open = not after.isspace() and after != "*" and not before.isalnum()
            can_close = not before.isspace() and before != "*" and not after.isalnum()
            if open_at is None:
                if can_open:
                    open_at = i
            elif can_close:
                open_at = None
            elif can_open or after == "*" or before == "*":
                found.append(line[max(0, open_at - 10) : i + 20])
                open_at = None
    return found


@pytest.mark.parametrize(
    ("text", "nested"),
    [
        ("*Reminders for *pcm**", True),
        ("*Reminders for pcm* and *more*", False),
        ("*Open blockers* (1)\n• `pcm-b1` *waiting* on <@U1>", False),
        ("*a `*b*` c*", False),
        ("*Moved* `x-1` *Title* to *Fri 4 Dec 2026, 17:00 CET*", False),
        ("*Title with *inner* words*", True),
        ("5 * 3 = 15, *bold*", False),
    ],
)
def test_the_checker_finds_nested_bold_and_only_that(text: str, nested: bool) -> None:
    assert bool(nested_bold(text)) is nested


def _mrkdwn_texts(params: dict[str, Any]) -> Iterator[str]:
    """The fallback text and every mrkdwn text in a message's or a view's blocks."""
    if params.get("text"):
        yield str(params["text"])
    blocks = params.get("blocks")
    if isinstance(blocks, str):
        blocks = json.loads(blocks)
    view = params.get("view")
    if view is not None:
        view = view if isinstance(view, dict) else json.loads(view)
        blocks = view.get("blocks")
    yield from _block_texts(blocks or [])


def _block_texts(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        if node.get("type") == "mrkdwn" and isinstance(node.get("text"), str):
            yield node["text"]
        for value in node.values():
            yield from _block_texts(value)
    elif isinstance(node, list):
        for item in node:
            yield from _block_texts(item)


def _problems(calls: list[RecordedCall]) -> list[tuple[str, str]]:
    problems = []
    for call in calls:
        params = dict(call.params)
        if call.method in ("views.open", "views.publish"):
            params = {"view": view_of(call)}
        for text in _mrkdwn_texts(params):
            problems += [(call.method, excerpt) for excerpt in nested_bold(text)]
    return problems


COMMANDS = [
    (OSEI, "/project list"),
    (OSEI, "/project list all"),
    *((BANERJEE, f"/project status {key}") for key in PROJECTS),
    *((ADMIN, f"/project status {key}") for key in PROJECTS),
    (WONG, "/project members pcm"),
    (WONG, "/project blockers pcm"),
    (OSEI, "/project join pcm"),
    (OSEI, "/project leave pcm"),
    (BANERJEE, "/project set-status bidshade at_risk"),
    (OSEI, "/milestone list"),
    (OSEI, "/milestone list all"),
    *((WONG, f"/milestone list {key}") for key in PROJECTS),
    (BANERJEE, "/milestone next"),
    (WONG, "/milestone overdue"),
    (WONG, "/milestone overdue all"),
    (OSEI, "/milestone done bidshade-3"),
    (OSEI, "/milestone done bidshade-3"),
    (BANERJEE, "/milestone move bidshade-2 2026-12-18 15:00"),
    (BANERJEE, "/milestone move bidshade-2 next friday"),
    (BANERJEE, "/milestone move bidshade-2 2025-01-01"),
    *((WONG, f"/milestone remind {key}") for key in PROJECTS),
    (WONG, "/milestone remind pcm at 08:30"),
    (ADMIN, "/milestone remind workspace"),
    (OSEI, "/milestone remind me off"),
    (OSEI, "/blocker add fatigue waiting for impression logs access"),
    (OSEI, "/blocker list"),
    (OSEI, "/blocker resolve fatigue-b1"),
    (OSEI, "/liaison help"),
    (OSEI, "/milestone help"),
    (OSEI, "/profile"),
    (OSEI, "/ask what is overdue on pcm?"),
    (OSEI, "/ask what is due next week?"),
    # Errors are mrkdwn too ("Only the lead of *bidshade* …").
    (OSEI, "/milestone done bidshade-2"),
    (OSEI, "/milestone remind bidshade at 07:00"),
    (OSEI, "/project status no-such-project"),
    (OSEI, "/milestone move bidshade-3 someday"),
]


def test_command_answers_never_nest_bold(slack: SlackDriver) -> None:
    problems = []
    for user, line in COMMANDS:
        exchange = slack.command(user, line)
        problems += [(line, *problem) for problem in _problems(exchange.calls)]
    assert problems == [], "\n".join(map(str, problems))


def test_remind_names_the_project_in_bold_once(slack: SlackDriver) -> None:
    text = slack.command(WONG, "/milestone remind pcm").reply_text

    assert "*Reminders for pcm*" in text and "Reminders for *pcm*" not in text


def test_reminders_digests_and_home_never_nest_bold(
    services: Services, slack: SlackDriver, slack_api: FakeSlackApi
) -> None:
    # A fortnight of ticks, hourly: lead-time, due and overdue reminders, escalations and digests.
    start = utc(2026, 11, 20, 8, 0)
    for hours in range(0, 24 * 14, 3):
        send_due_reminders(services, now=start + timedelta(hours=hours))
    sent = slack_api.calls()
    assert any(c.method == "chat.postMessage" for c in sent)
    for user in (BANERJEE, OSEI, RAO, WONG):
        slack.event({"type": "app_home_opened", "user": user, "tab": "home"})
    assert len([c for c in slack_api.calls() if c.method == "views.publish"]) == 4
    problems = _problems(slack_api.calls())
    assert problems == [], "\n".join(map(str, problems))
