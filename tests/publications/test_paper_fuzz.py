"""Hostile `/paper` texts and forms: every one is answered with valid Block Kit, never a stack trace,
and no reply carries an unescaped control sequence (`<!channel>` typed into a title stays text)."""

from __future__ import annotations

import random
from typing import Any

import pytest

from bot.access import Requester
from bot.app import APOLOGY
from bot.services import Services
from bot.slack.paper_commands import execute_paper_command, submit_paper_form
from tests.fakes.driver import SlackDriver
from tests.publications.conftest import BANERJEE, BELL, MUELLER, OSEI, OUTSIDER, STEIN, form_values
from tests.security.blockkit import mention_violations, message_violations, mrkdwn_texts, view_violations

pytestmark = pytest.mark.usefixtures("demo")

USERS = (MUELLER, OSEI, BELL, STEIN, BANERJEE, OUTSIDER, "U0ADMIN")
VERBS = ("list", "status", "add", "set-status", "venue", "venues", "venue-add", "venue-move", "help", "x")
WORDS = (
    "fatigue", "fatigue-p1", "fatigue-p2", "fairdelivery-p1", "fatigue-p0", "adsys27", "camw26", "none",
    "drafting", "submitted", "conference", "funding_call", "2027-05-15", "2026-11-19", "2027-03-28",
    "02:30", "23:59", "AoE", "UTC", "Europe/Amsterdam", "Mars/Base", "https://x.example", "https://a|b",
    "<!channel>", "<@U0FUZZ01>", "&amp;", '"', "'", "\u202e", "é", "x" * 300, "notify=2027-01-01",
    "event=2027-01-02..2027-01-01", "-p1", "p1", "", " ",
)  # fmt: skip


def _text(rng: random.Random) -> str:
    words = [rng.choice(VERBS)] + [rng.choice(WORDS) for _ in range(rng.randint(0, 7))]
    return " ".join(words)


def _check(reply: dict[str, Any]) -> None:
    assert message_violations(reply) == [], reply
    people = set(USERS) | {"U14CRBELL", "U04CPMUEL", "U01MLOSEI", "U12ETSTEI", "U01MLKOV"}
    assert mention_violations(list(mrkdwn_texts(reply)), users=people, channels=set()) == [], reply


def test_hostile_paper_commands_are_answered_safely(services: Services) -> None:
    rng = random.Random(17)
    now = services.clock.now()
    for _ in range(600):
        user, text = rng.choice(USERS), _text(rng)
        outcome = execute_paper_command(
            services.session_factory, services.settings, now, Requester(user), "/paper", text
        )
        assert outcome.reply is not None or outcome.modal is not None, text
        if outcome.reply is not None:
            _check(outcome.reply.as_kwargs())
        if outcome.modal is not None:
            assert view_violations(outcome.modal) == [], text
        for message in outcome.messages:
            _check(message.reply.as_kwargs())


def test_hostile_add_forms_are_refused_or_saved_safely(services: Services) -> None:
    rng = random.Random(18)
    now = services.clock.now()
    for _ in range(150):
        values = form_values(
            project=rng.choice(["fatigue", "fairdelivery", "nosuch", None]),
            title=rng.choice(WORDS) + " " + rng.choice(WORDS),
            people=rng.sample(list(USERS), rng.randint(0, 3)),
            external=rng.choice([None, "Jane", "3. Jane", "<!here>", "0. X", "1) Y\n\n2. Z"]),
            venue=rng.choice([None, "adsys27", "rarc27", "ghost", "<b>"]),
            status=rng.choice(["idea", "submitted", "banana"]),
            links=rng.choice([None, "https://ok.example", "javascript:alert(1)", "https://a|b"]),
        )
        result = submit_paper_form(
            services.session_factory, services.settings, now, Requester(rng.choice(USERS)), values, "/paper"
        )
        assert (result.errors is None) != (result.reply is None)
        if result.reply is not None:
            _check(result.reply.as_kwargs())
        for message in result.messages:
            _check(message.reply.as_kwargs())


def test_a_few_hostile_commands_over_signed_http(slack: SlackDriver) -> None:
    rng = random.Random(19)
    for _ in range(40):
        exchange = slack.command(rng.choice(USERS), f"/paper {_text(rng)}")
        assert exchange.status == 200
        replies = [c.params for c in exchange.calls if c.method != "views.open"]
        assert replies or exchange.of("views.open")
        for reply in replies:
            assert APOLOGY not in str(reply.get("text", "")), reply
