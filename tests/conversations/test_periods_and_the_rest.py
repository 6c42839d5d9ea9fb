"""Follow-ups that go on from the previous answer: the range next to its dates ("and the week after?")
and the rest of a list it cut ("show me the rest"), as DM transcripts through the real Bolt path."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.domain.dates import DateRange, adjacent_range, find_date_range
from bot.experts.embeddings.hashing import HashingEmbedder
from bot.models import Milestone, MilestoneStatus, Person, Project
from bot.services import Services
from tests.conftest import DEMO_NOW
from tests.conversations.transcripts import OSEI, PRIVATE_WORDS, RAO, DirectMessages, said
from tests.fakes.driver import SlackDriver

pytestmark = pytest.mark.usefixtures("demo")

_REF = re.compile(r"`([a-z]+-\d+)`")


@pytest.fixture(autouse=True)
def _hashing_embedder(services: Services) -> None:
    services.embedder = HashingEmbedder()


def _zone(session_factory: sessionmaker[Session], slack_id: str) -> ZoneInfo:
    with session_factory() as session:
        person = session.scalars(select(Person).where(Person.slack_id == slack_id)).one()
        return ZoneInfo(person.timezone or "Europe/Amsterdam")


def _open_due_in(session_factory: sessionmaker[Session], slack_id: str, window: DateRange) -> set[str]:
    """Refs of the open milestones due in the window on the public projects and the asker's own."""
    with session_factory() as session:
        person = session.scalars(select(Person).where(Person.slack_id == slack_id)).one()
        rows = session.execute(
            select(Project, Milestone)
            .join(Milestone, Milestone.project_id == Project.id)
            .where(
                Milestone.status == MilestoneStatus.OPEN,
                Milestone.due_at >= window.start,
                Milestone.due_at < window.end,
            )
        ).all()
        return {
            f"{project.key}-{milestone.number}"
            for project, milestone in rows
            if not project.private or any(m.person_id == person.id for m in project.memberships)
        }


def test_the_week_after_and_the_one_after_that_follow_the_previous_range(
    slack: SlackDriver, session_factory: sessionmaker[Session]
) -> None:
    zone = _zone(session_factory, OSEI)
    dm = DirectMessages(slack, OSEI)
    next_week, _ = find_date_range("next week", now=DEMO_NOW, zone=zone)
    assert next_week is not None
    week_after = adjacent_range(next_week, "week", forward=True, zone=zone)
    third = adjacent_range(week_after, "week", forward=True, zone=zone)

    said(dm.say("what's due next week?"))
    after = said(dm.say("what about the week after?"))
    then = said(dm.say("and the week after that?"))
    before = said(dm.say("and the week before?"))

    assert week_after.label in after and "project called" not in after
    assert set(_REF.findall(after)) == _open_due_in(session_factory, OSEI, week_after)
    assert third.label in then
    assert set(_REF.findall(then)) == _open_due_in(session_factory, OSEI, third)
    # Back from the third week is the second again.
    assert week_after.label.replace("after", "before") in before
    assert set(_REF.findall(before)) == set(_REF.findall(after))


def test_the_week_after_a_project_question_keeps_the_project(
    slack: SlackDriver, session_factory: sessionmaker[Session]
) -> None:
    dm = DirectMessages(slack, OSEI)

    said(dm.say("what's due on bidshade this month?"))
    after = said(dm.say("and the month after?"))

    listed = set(_REF.findall(after))
    assert listed and all(ref.startswith("bidshade-") for ref in listed), after
    assert "the month after (December)" in after


def test_the_week_after_without_dates_before_says_so(slack: SlackDriver) -> None:
    dm = DirectMessages(slack, OSEI)

    said(dm.say("who leads pcm?"))
    reply = said(dm.say("what about the week after?"))

    assert "The week after what?" in reply and "project called" not in reply


def test_the_week_after_is_never_taken_for_a_project_in_a_fresh_conversation(slack: SlackDriver) -> None:
    reply = said(DirectMessages(slack, RAO).say("what about the week after?"))

    assert "project called" not in reply


def test_show_me_the_rest_goes_on_from_where_the_list_was_cut(
    slack: SlackDriver, session_factory: sessionmaker[Session]
) -> None:
    zone = _zone(session_factory, RAO)
    dm = DirectMessages(slack, RAO)
    window, _ = find_date_range("in the next 3 months", now=DEMO_NOW, zone=zone)
    assert window is not None
    expected = _open_due_in(session_factory, RAO, window)
    assert len(expected) > 10  # the demo has enough to cut the list

    first = said(dm.say("what's due in the next 3 months?"))
    rest = said(dm.say("show me the rest"))
    more = said(dm.say("more please"))

    shown = _REF.findall(first)
    assert len(shown) == 10 and f"…and {len(expected) - 10} more." in first
    assert f"(continued: 11–{len(expected)} of {len(expected)})" in rest
    assert set(shown) | set(_REF.findall(rest)) == expected
    assert not set(shown) & set(_REF.findall(rest))
    assert "no more to show" in more
    for word in PRIVATE_WORDS:
        assert word not in first + rest


@pytest.mark.parametrize("ask", ["the other ones", "and the remaining ones?", "show me the rest please"])
def test_ways_of_asking_for_the_rest(slack: SlackDriver, ask: str) -> None:
    dm = DirectMessages(slack, RAO)

    said(dm.say("what's due in the next 3 months?"))
    rest = said(dm.say(ask))

    assert "(continued: 11–" in rest


def test_the_rest_after_a_whole_answer_says_there_is_no_more(slack: SlackDriver) -> None:
    dm = DirectMessages(slack, OSEI)

    said(dm.say("who is on pcm?"))
    reply = said(dm.say("show me the rest"))

    assert "no more to show" in reply


def test_adjacent_ranges_count_in_the_askers_calendar_across_a_month_and_dst() -> None:
    zone = ZoneInfo("Europe/Amsterdam")
    march = DateRange(
        datetime(2027, 3, 15, tzinfo=zone), datetime(2027, 3, 22, tzinfo=zone), "the week of 15 March"
    )
    after = adjacent_range(march, "week", forward=True, zone=zone)
    december = DateRange(datetime(2026, 12, 1, tzinfo=zone), datetime(2027, 1, 1, tzinfo=zone), "December")
    month_after = adjacent_range(december, "month", forward=True, zone=zone)
    month_before = adjacent_range(december, "month", forward=False, zone=zone)

    # The week after holds the change to summer time (28 March): seven calendar days, one hour short
    # of 168 hours.
    assert after.start.astimezone(zone) == datetime(2027, 3, 22, tzinfo=zone)
    assert after.end.astimezone(zone) == datetime(2027, 3, 29, tzinfo=zone)
    assert after.end - after.start == timedelta(days=7, hours=-1)
    assert month_after.label == "the month after (January)"
    assert month_after.end.astimezone(zone) == datetime(2027, 2, 1, tzinfo=zone)
    assert month_before.label == "the month before (November)"
    assert month_before.start.astimezone(zone) == datetime(2026, 11, 1, tzinfo=zone)


def test_the_rest_of_a_projects_next_milestones_are_its_later_ones(
    slack: SlackDriver, session_factory: sessionmaker[Session]
) -> None:
    dm = DirectMessages(slack, OSEI)

    first = said(dm.say("what's next for fatigue?"))
    rest = said(dm.say("show me the rest"))

    with session_factory() as session:
        fatigue = session.scalars(select(Project).where(Project.key == "fatigue")).one()
        open_refs = {f"fatigue-{m.number}" for m in fatigue.milestones if m.status == MilestoneStatus.OPEN}
    shown, more = set(_REF.findall(first)), set(_REF.findall(rest))
    assert "later milestones after these" in first and "(continued: " in rest
    assert shown | more == open_refs and not shown & more


def test_a_period_after_a_projects_answer_keeps_the_project_and_a_project_keeps_the_period(
    slack: SlackDriver,
) -> None:
    dm = DirectMessages(slack, OSEI)

    said(dm.say("what's next for bidshade?"))
    week = said(dm.say("what about next week?"))
    pcm = said(dm.say("and pcm?"))

    assert "next week" in week and "Bid shading" in week and "pcm-" not in week
    assert "next week" in pcm and "bidshade-" not in pcm.split("The next one after that")[0]


def test_it_after_a_list_of_several_asks_which(slack: SlackDriver) -> None:
    dm = DirectMessages(slack, RAO)

    said(dm.say("what's due in the next 3 months?"))
    reply = said(dm.say("who owns that?"))

    assert "say which by its number" in reply
