"""The read commands' database round trips do not grow with a project's size.

`/project status`, `/blocker list` and `/milestone next` load what they show with eager loading, so a
project with more members, milestones and blockers (or more projects) costs no extra queries; a lazy
load per row would show here as a higher count after the project grows.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from bot.access import Actor, load_actor, resolve_workspace
from bot.models import Blocker, Membership, Milestone, MilestoneStatus, Person, Project, Role
from bot.projects.blockers import list_blockers
from bot.projects.milestones import NEXT_WINDOW
from bot.projects.project import project_status
from bot.projects.reports import upcoming_milestones
from tests.conftest import DEMO_NOW
from tests.statements import recorded_statements

pytestmark = pytest.mark.usefixtures("demo")

LEAD = "U02ECBANE"  # leads bidshade in the demo workspace


def _lead(session: Session) -> Actor:
    return load_actor(
        session, resolve_workspace(session, None), LEAD, admins=frozenset(), fallback_zone="UTC"
    )


def _queries(
    session_factory: sessionmaker[Session], engine: Engine, read: Callable[[Session, Actor], object]
) -> int:
    with session_factory() as session:
        actor = _lead(session)
        with recorded_statements(engine) as statements:
            read(session, actor)
    return len(statements)


def _grow(session_factory: sessionmaker[Session], key: str, extra: int) -> None:
    """Give the project `extra` more members, each owning an open milestone due soon and raising a blocker."""
    with session_factory.begin() as session:
        project = session.scalars(select(Project).where(Project.key == key)).one()
        lead = session.scalars(select(Person).where(Person.slack_id == LEAD)).one()
        for n in range(extra):
            person = Person(workspace_id=project.workspace_id, slack_id=f"UGROW{key}{n}", name=f"Grow {n}")
            session.add(person)
            session.flush()
            session.add(
                Membership(project_id=project.id, person_id=person.id, role=Role.MEMBER, position=90 + n)
            )
            session.add_all(
                [
                    Milestone(
                        project_id=project.id,
                        number=900 + n,
                        title=f"Grown milestone {n}",
                        due_at=DEMO_NOW + timedelta(days=1 + n),
                        due_timezone="UTC",
                        owner_id=lead.id if n % 2 else person.id,
                        status=MilestoneStatus.OPEN,
                    ),
                    Blocker(
                        project_id=project.id,
                        number=900 + n,
                        text=f"Grown blocker {n}",
                        raised_by_id=person.id,
                        raised_at=DEMO_NOW,
                    ),
                ]
            )


@pytest.mark.parametrize(
    "read",
    [
        pytest.param(
            lambda session, actor: project_status(session, actor, "bidshade", DEMO_NOW), id="status"
        ),
        pytest.param(lambda session, actor: list_blockers(session, actor, "bidshade"), id="blockers-of-one"),
        pytest.param(lambda session, actor: list_blockers(session, actor, None), id="blockers-of-all"),
        pytest.param(
            lambda session, actor: upcoming_milestones(session, actor, DEMO_NOW, DEMO_NOW + NEXT_WINDOW),
            id="milestone-next",
        ),
    ],
)
def test_queries_do_not_grow_with_the_projects(
    session_factory: sessionmaker[Session], engine: Engine, read: Callable[[Session, Actor], object]
) -> None:
    before = _queries(session_factory, engine, read)
    _grow(session_factory, "bidshade", 6)
    _grow(session_factory, "pcm", 6)
    after = _queries(session_factory, engine, read)
    assert after == before, f"{before} queries before the projects grew, {after} after"


def test_status_shows_the_grown_project(session_factory: sessionmaker[Session], engine: Engine) -> None:
    # The eager loads still load everything: the counts above compare complete answers.
    _grow(session_factory, "bidshade", 6)
    with session_factory() as session:
        actor = _lead(session)
        report = project_status(session, actor, "bidshade", DEMO_NOW)
        blockers = list_blockers(session, actor, None)
        mine = upcoming_milestones(session, actor, DEMO_NOW, DEMO_NOW + NEXT_WINDOW)
    assert {f"Grow {n}" for n in range(6)} <= {m.person.name for m in report.members}
    assert {f"Grown blocker {n}" for n in range(6)} <= {b.text for b in report.open_blockers}
    assert {f"Grown blocker {n}" for n in range(6)} <= {b.text for b in blockers}
    assert {f"Grown milestone {n}" for n in (1, 3, 5)} <= {m.title for m in mine}
