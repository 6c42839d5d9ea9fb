"""`/project checkins KEY on|off|schedule …` through the real Bolt path: leads and admins change check-ins,
everyone else gets a clear ephemeral refusal, bad input a usage line; other `/project` commands still
reach the interpreter."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.checkins.tables import CheckinRound, CheckinSchedule
from bot.models import Project
from tests.checkins.conftest import ADMIN, LEAD, NEW_YORK, OUTSIDER, SEOUL, Tick, asked, seed_alliance, utc
from tests.fakes.driver import SlackDriver
from tests.fakes.slack_api import FakeSlackApi


@pytest.fixture
def without_checkins(session_factory: sessionmaker[Session]) -> None:
    seed_alliance(session_factory, checkins_on=False)


def _schedule(session_factory: sessionmaker[Session], key: str = "pcm") -> CheckinSchedule | None:
    with session_factory() as session:
        project = session.scalars(select(Project).where(Project.key == key)).one()
        return session.get(CheckinSchedule, project.id)


@pytest.mark.usefixtures("without_checkins")
def test_the_lead_turns_check_ins_on_with_the_default_schedule(
    slack: SlackDriver, session_factory: sessionmaker[Session], tick: Tick, slack_api: FakeSlackApi
) -> None:
    reply = slack.command(LEAD, "/project checkins pcm on").reply_text

    assert "are now *on*" in reply and "Monday 10:00" in reply and "Tuesday 10:00" in reply
    row = _schedule(session_factory)
    assert row is not None and (row.enabled, row.ask_day, row.ask_time, row.cutoff_day) == (
        True,
        0,
        "10:00",
        1,
    )
    again = slack.command(LEAD, "/project checkins pcm on").reply_text
    assert "nothing changed" in again
    tick(utc(2026, 10, 26, 9, 0))
    assert LEAD in asked(slack_api)


@pytest.mark.usefixtures("without_checkins")
def test_a_schedule_with_its_own_cut_off(slack: SlackDriver, session_factory: sessionmaker[Session]) -> None:
    reply = slack.command(ADMIN, "/project checkins pcm schedule Wed 9:30 cutoff fri 16:00").reply_text

    assert "Wednesday 09:30" in reply and "Friday 16:00" in reply and "Europe/Amsterdam" in reply
    row = _schedule(session_factory)
    assert row is not None and (row.ask_day, row.ask_time, row.cutoff_day, row.cutoff_time) == (
        2,
        "09:30",
        4,
        "16:00",
    )


@pytest.mark.usefixtures("alliance")
def test_members_and_others_are_refused(slack: SlackDriver, session_factory: sessionmaker[Session]) -> None:
    member = slack.command(NEW_YORK, "/project checkins pcm off")
    outsider = slack.command(OUTSIDER, "/project checkins pcm schedule mon 09:00")

    for exchange in (member, outsider):
        assert exchange.reply["response_type"] == "ephemeral"
        assert (
            "Only the lead of *pcm* (Lena Lead) or a Liaison admin can change its check-ins"
            in exchange.reply_text
        )
    row = _schedule(session_factory)
    assert row is not None and row.enabled and row.ask_time == "10:00"
    shown = slack.command(NEW_YORK, "/project checkins pcm").reply_text  # anyone may look
    assert "are *on*" in shown


@pytest.mark.usefixtures("alliance")
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/project checkins", "Usage: `/project checkins KEY on|off|schedule DAY HH:MM [cutoff DAY HH:MM]`"),
        ("/project checkins pcm schedule funday 10:00", "“funday” is not a day of the week"),
        ("/project checkins pcm schedule mon 25:00", "“25:00” is not a time of day"),
        ("/project checkins pcm schedule mon", "Usage:"),
        ("/project checkins pcm schedule mon 10:00 until tue 10:00", "Usage:"),
        ("/project checkins pcm on please", "`on` takes nothing after it"),
        ("/project checkins nosuchproject on", "nosuchproject"),
        ("/project checkins old on", "archived"),
    ],
)
def test_bad_input_gets_a_clear_ephemeral_error(slack: SlackDriver, text: str, expected: str) -> None:
    exchange = slack.command(LEAD, text)

    assert exchange.reply["response_type"] == "ephemeral"
    assert expected in exchange.reply_text
    assert ":warning:" in exchange.reply_text


@pytest.mark.usefixtures("alliance")
def test_turning_off_then_rescheduling(
    slack: SlackDriver, session_factory: sessionmaker[Session], tick: Tick, slack_api: FakeSlackApi
) -> None:
    tick(utc(2026, 10, 25, 12, 0))  # Sunday: this week's round is planned, nobody asked yet
    assert "are now *off*" in slack.command(LEAD, "/project checkins pcm off").reply_text
    tick(utc(2026, 10, 26, 15, 0))
    assert asked(slack_api) == []

    slack.command(LEAD, "/project checkins pcm schedule tue 10:00 cutoff wed 10:00")
    tick(utc(2026, 10, 27, 9, 0))  # Tuesday 10:00 in Amsterdam (18:00 in Seoul, 05:00 in New York)
    assert sorted(asked(slack_api)) == [LEAD, SEOUL]
    with session_factory() as session:
        weeks = session.scalars(select(CheckinRound.week)).all()
    assert weeks == ["2026-W44"]  # one round for the week, replanned on the new schedule


@pytest.mark.usefixtures("alliance")
def test_other_project_subcommands_still_reach_the_interpreter(slack: SlackDriver) -> None:
    reply = slack.command(LEAD, "/project members pcm").reply_text

    assert "Nora York" in reply
