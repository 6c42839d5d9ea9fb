"""Feeds on PostgreSQL: the upserts of `calendar_feed` and `calendar_entry` under concurrent first use."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from icalendar import Calendar
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.calendar.feeds import RenderedFeed, render_feed
from bot.calendar.tokens import ensure_feed
from bot.clock import SystemClock
from bot.models import Milestone, Person, Project
from bot.settings import Settings
from tests.calendar.support import events

pytestmark = pytest.mark.postgres


def test_concurrent_first_fetches_and_a_move(
    shared_database: sessionmaker[Session], settings: Settings
) -> None:
    now = SystemClock().now()
    with shared_database() as session:
        person = session.scalars(select(Person).where(Person.slack_id == "U01MLOSEI")).one()
        person_id, workspace_id = person.id, person.workspace_id

    def issue(_: int) -> str:
        with shared_database.begin() as session:
            made = ensure_feed(
                session, settings, workspace_id=workspace_id, person_id=person_id, project_id=None, now=now
            )
            return made.token

    def fetch(token: str) -> RenderedFeed:
        with shared_database.begin() as session:
            rendered = render_feed(session, token, now)
            assert rendered is not None
            return rendered

    with ThreadPoolExecutor(4) as pool:
        tokens = set(pool.map(issue, range(4)))
        assert len(tokens) == 1
        token = tokens.pop()
        first = list(pool.map(fetch, [token] * 4))
    assert len({feed.body for feed in first}) == 1

    with shared_database.begin() as session:
        milestone = session.scalars(
            select(Milestone).join(Milestone.project).where(Project.key == "bidshade", Milestone.number == 3)
        ).one()
        milestone.due_at += timedelta(days=2)  # any path that moves it (an import, say)
    after = events(Calendar.from_ical(fetch(token).body))
    assert int(after["milestone-bidshade-3.w1@liaison"]["SEQUENCE"]) == 1
    assert int(after["milestone-fatigue-2.w1@liaison"]["SEQUENCE"]) == 0
