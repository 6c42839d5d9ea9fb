"""Numbers of blockers and milestones under concurrent adds to one project: every add is kept.

Two requests adding to the same project at the same moment (listener threads of one process, or two
instances) used to read the same highest number; the second insert then broke the unique
(project, number) constraint and the user's change was lost behind an apology. `next_number` locks the
project first. Checked on a SQLite file (one process, many threads) and on PostgreSQL.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.access import load_actor, resolve_workspace
from bot.db import make_engine, make_session_factory
from bot.domain.dates import parse_due
from bot.models import Blocker, Milestone, Project
from bot.projects.blockers import add_blocker
from bot.projects.milestones import add_milestone
from bot.projects.project import find_project
from bot.workspace_file import import_workspace_file
from tests.concurrency import release_together
from tests.conftest import DEMO_FILE, DEMO_NOW
from tests.migrated import DATABASE_KINDS, migrated_database

THREADS = 8
PCM_MEMBER = "U11DEAHME"
ADMIN = "U0ADMIN"


@pytest.fixture(params=DATABASE_KINDS)
def session_factory(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    url = migrated_database(request, tmp_path)
    engine = make_engine(url, pool_size=THREADS + 2) if request.param == "postgresql" else make_engine(url)
    factory = make_session_factory(engine)
    with factory.begin() as session:
        import_workspace_file(session, DEMO_FILE, today=DEMO_NOW.date(), now=DEMO_NOW)
    yield factory
    engine.dispose()


def _all_at_once(work: Callable[[int], None]) -> list[BaseException]:
    """Run `work(n)` for n in range(THREADS), released together; the errors they raised."""
    _, errors = release_together([functools.partial(work, n) for n in range(THREADS)])
    return errors


def test_concurrent_blockers_on_one_project_are_all_kept_with_distinct_numbers(
    session_factory: sessionmaker[Session],
) -> None:
    def add(n: int) -> None:
        with session_factory.begin() as session:
            workspace = resolve_workspace(session, None)
            actor = load_actor(session, workspace, PCM_MEMBER, admins=frozenset(), fallback_zone="UTC")
            add_blocker(session, actor, "pcm", f"concurrent blocker {n}", DEMO_NOW)

    errors = _all_at_once(add)

    assert errors == []
    with session_factory() as session:
        rows = session.execute(
            select(Blocker.text, Blocker.number)
            .join(Project)
            .where(Project.key == "pcm", Blocker.text.like("concurrent blocker %"))
        ).all()
    assert sorted(text for text, _ in rows) == sorted(f"concurrent blocker {n}" for n in range(THREADS))
    numbers = [number for _, number in rows]
    assert len(set(numbers)) == THREADS


def test_concurrent_milestones_on_one_project_are_all_kept_with_distinct_numbers(
    session_factory: sessionmaker[Session],
) -> None:
    zone = ZoneInfo("Europe/Amsterdam")
    due = parse_due("2027-01-15", now=DEMO_NOW, zone=zone)

    def add(n: int) -> None:
        with session_factory.begin() as session:
            workspace = resolve_workspace(session, None)
            actor = load_actor(session, workspace, ADMIN, admins=frozenset({ADMIN}), fallback_zone="UTC")
            project = find_project(session, actor, "pcm")
            add_milestone(
                session,
                actor,
                project,
                title=f"Concurrent milestone {n}",
                due=due,
                owner_slack_id=None,
                now=DEMO_NOW + timedelta(seconds=n),
            )

    errors = _all_at_once(add)

    assert errors == []
    with session_factory() as session:
        numbers = session.scalars(
            select(Milestone.number)
            .join(Project)
            .where(Project.key == "pcm", Milestone.title.like("Concurrent milestone %"))
        ).all()
    assert len(numbers) == THREADS and len(set(numbers)) == THREADS
