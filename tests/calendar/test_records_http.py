"""Agreements and papers in a person's feed (bot/calendar/records.py), fetched over HTTP and parsed back.

The rows are added here (not taken from the demo file, which other features extend): an agreement Kwame
Osei owns and one that was terminated; a paper of fatigue (public, he is a member) with an Anywhere on
Earth deadline, and one of fairdelivery (private, he is not on it) listing him as an author.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.agreements.tables import Agreement
from bot.models import Milestone, Person, Project
from bot.publications.tables import Paper, PaperAuthor, PaperMilestone, Venue
from tests.calendar.support import Feeds, events
from tests.conftest import DEMO_NOW

OSEI = "U01MLOSEI"
# 23:59 AoE (UTC-12) on Wed 10 Feb 2027 is 11:59 UTC on Thu 11 Feb.
AOE_DEADLINE = datetime(2027, 2, 11, 11, 59, tzinfo=UTC)


@pytest.fixture
def records(session_factory: sessionmaker[Session], demo: None) -> None:
    with session_factory.begin() as session:
        osei = session.scalars(select(Person).where(Person.slack_id == OSEI)).one()
        fatigue = session.scalars(select(Project).where(Project.key == "fatigue")).one()
        fair = session.scalars(select(Project).where(Project.key == "fairdelivery")).one()
        for key, status, expires in (("cal-91", "signed", date(2027, 3, 31)), ("cal-92", "terminated", None)):
            session.add(
                Agreement(
                    workspace_id=osei.workspace_id,
                    key=key,
                    kind="data_use",
                    title=f"Calendar test agreement {key}",
                    owner_id=osei.id,
                    status=status,
                    status_since=date(2026, 11, 1),
                    expires_on=expires or date(2027, 1, 31),
                    created_at=DEMO_NOW,
                    updated_at=DEMO_NOW,
                )
            )
        venue = Venue(
            workspace_id=osei.workspace_id,
            key="calconf",
            name="CalConf 2027",
            kind="conference",
            deadline_at=AOE_DEADLINE,
            deadline_zone="AoE",
        )
        session.add(venue)
        session.flush()
        for project, number in ((fatigue, 91), (fair, 92)):
            paper = Paper(
                project_id=project.id,
                number=number,
                title=f"Calendar test paper {number}",
                status="drafting",
                status_changed_at=DEMO_NOW,
                venue_id=venue.id,
                created_at=DEMO_NOW,
            )
            session.add(paper)
            session.flush()
            session.add(PaperAuthor(paper_id=paper.id, position=1, person_id=osei.id))


def test_agreements_and_papers_in_my_feed(feeds: Feeds, records: None) -> None:
    found = events(feeds.calendar(feeds.url_of(OSEI)))

    agreement = found["agreement-cal-91-expiry.w1@liaison"]
    assert agreement.decoded("DTSTART") == date(2027, 3, 31)  # all day: VALUE=DATE
    assert agreement["DTSTART"].params["VALUE"] == "DATE"
    assert str(agreement["SUMMARY"]) == "cal-91 expires: Calendar test agreement cal-91"
    assert "agreement-cal-92-expiry.w1@liaison" not in found  # terminated: removed

    paper = found["paper-fatigue-p91-deadline.w1@liaison"]
    assert paper.decoded("DTSTART") == AOE_DEADLINE
    assert "(2027-02-10 23:59 AoE)" in str(paper["SUMMARY"])
    # The private project's paper is not shown to an author who is not on the project.
    assert not any("fairdelivery-p92" in uid for uid in found)


def test_a_submitted_paper_is_marked_done(
    feeds: Feeds, records: None, session_factory: sessionmaker[Session]
) -> None:
    path = feeds.url_of(OSEI)
    assert not str(
        events(feeds.calendar(path))["paper-fatigue-p91-deadline.w1@liaison"]["SUMMARY"]
    ).startswith("✓")
    with session_factory.begin() as session:
        paper = session.scalars(select(Paper).where(Paper.number == 91)).one()
        paper.status = "submitted"

    event = events(feeds.calendar(path))["paper-fatigue-p91-deadline.w1@liaison"]
    assert str(event["SUMMARY"]).startswith("✓ ")
    assert int(event["SEQUENCE"]) == 1


def test_a_papers_planned_milestone_keeps_its_owners_alarms(
    feeds: Feeds, records: None, session_factory: sessionmaker[Session]
) -> None:
    # fatigue-2 (Osei's, with planned reminders) becomes a step of his paper: listed twice, served once,
    # with the alarms of the owner's copy.
    with session_factory.begin() as session:
        paper = session.scalars(select(Paper).where(Paper.number == 91)).one()
        milestone = session.scalars(
            select(Milestone).join(Milestone.project).where(Project.key == "fatigue", Milestone.number == 2)
        ).one()
        session.add(PaperMilestone(paper_id=paper.id, step="calendar-test", milestone_id=milestone.id))

    calendar = feeds.calendar(feeds.url_of(OSEI))

    uids = [str(event["UID"]) for event in calendar.walk("VEVENT")]
    assert uids.count("milestone-fatigue-2.w1@liaison") == 1
    assert events(calendar)["milestone-fatigue-2.w1@liaison"].walk("VALARM") != []
