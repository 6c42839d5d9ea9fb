"""People's last days through signed requests → Bolt → fake Slack: "who is leaving soon?" lists them
soonest first with the projects the asker may see, never a private project of theirs."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.models import Person
from tests.conftest import DEMO_NOW
from tests.fakes.driver import SlackDriver

pytestmark = pytest.mark.usefixtures("demo")

BANERJEE = "U02ECBANE"  # not on the private fairdelivery project
STEIN = "U12ETSTEI"  # on fairdelivery (private) only
KOVALENKO = "U01MLKOV"  # on fairdelivery too


def _set_last_day(session_factory: sessionmaker[Session], slack_id: str, days_from_now: int) -> None:
    with session_factory.begin() as session:
        person = session.scalars(select(Person).where(Person.slack_id == slack_id)).one()
        person.until = (DEMO_NOW + timedelta(days=days_from_now)).date()


def test_who_is_leaving_lists_last_days_soonest_first(
    slack: SlackDriver, session_factory: sessionmaker[Session]
) -> None:
    _set_last_day(session_factory, STEIN, 10)

    answer = slack.command(BANERJEE, "/ask who is leaving soon?").reply_text

    # Rebecca Stein (in 10 days) before the demo's intern Ji-woo Kim (Fri 18 Dec, in 28 days).
    assert answer.index("<@U12ETSTEI>") < answer.index("<@U08NLKIMJ>")
    assert "Last day: Mon 30 Nov 2026 (in 10 days)" in answer
    assert "`brandsafe`" in answer
    # Her only project is private to its members: she is listed, the project is not.
    assert "fairdelivery" not in answer and "Fairness audit" not in answer
    assert "fairdelivery" in slack.command(KOVALENKO, "/ask who is leaving soon?").reply_text


def test_a_window_without_last_days_says_so(slack: SlackDriver) -> None:
    answer = slack.command(BANERJEE, "/ask anyone leaving next week?").reply_text

    assert answer.startswith("Nobody's last day is next week")


def test_asking_when_someone_leaves_gives_their_last_day_or_says_none_is_recorded(
    slack: SlackDriver,
) -> None:
    intern = slack.command(BANERJEE, "/ask when is Ji-woo leaving?").reply_text
    staying = slack.command(BANERJEE, "/ask when is Kwame leaving?").reply_text

    assert "Last day: Fri 18 Dec 2026 (in 28 days)." in intern
    assert "No last day is recorded for Kwame Osei." in staying
