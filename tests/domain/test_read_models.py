"""The row-based reads of the read-only commands show exactly what the ORM snapshots show.

`/project status`, `/project list`, `/milestone next` and `/blocker list` build their replies straight
from rows (`bot.projects.reports`), and every request resolves its actor in one query (`act_as`);
these tests compare each with the ORM-object route it replaced (`find_project` and `visible_projects`
with `project_line`, `member_lines`, `milestone_line`, `blocker_line`; `_next_from_objects`, the
query `/milestone next` ran before; `resolve_workspace` and `load_actor`), for every person of the
demo workspace, an admin and a stranger.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, selectinload, sessionmaker

from bot.access import (
    Actor,
    Requester,
    act_as,
    can_see,
    load_actor,
    resolve_workspace,
    role_of,
    visible_projects,
)
from bot.errors import NotSetUp
from bot.models import (
    Blocker,
    Membership,
    Milestone,
    MilestoneStatus,
    Person,
    Project,
)
from bot.projects.milestones import NEXT_WINDOW
from bot.projects.project import find_project
from bot.projects.reports import (
    MilestoneLine,
    ProjectStatusReport,
    blocker_line,
    member_lines,
    milestone_line,
    open_blockers,
    project_key_and_status,
    project_line,
    project_lines,
    status_report,
    upcoming_milestones,
    with_dependencies,
)
from bot.settings import Settings
from tests.conftest import DEMO_NOW, add_workspace
from tests.statements import recorded_statements


def _actors(session: Session) -> list[Actor]:
    workspace = resolve_workspace(session, None)
    people = session.scalars(select(Person.slack_id).order_by(Person.slack_id)).all()
    actors = [
        load_actor(session, workspace, slack_id, admins=frozenset(), fallback_zone="UTC")
        for slack_id in people
    ]
    admin = load_actor(session, workspace, people[0], admins=frozenset({people[0]}), fallback_zone="UTC")
    stranger = load_actor(session, workspace, "U0STRANGER", admins=frozenset(), fallback_zone="UTC")
    return [*actors, admin, stranger]


def _status_from_objects(session: Session, actor: Actor, key: str, now: datetime) -> ProjectStatusReport:
    """`/project status` as it was built from ORM objects."""
    project = find_project(
        session,
        actor,
        key,
        load=(
            selectinload(Project.memberships).joinedload(Membership.person),
            selectinload(Project.milestones).joinedload(Milestone.owner),
            selectinload(Project.blockers).joinedload(Blocker.raised_by),
        ),
    )
    open_milestones = sorted(
        (m for m in project.milestones if m.status == MilestoneStatus.OPEN), key=lambda m: m.due_at
    )
    lines = [milestone_line(m, now) for m in open_milestones]
    return ProjectStatusReport(
        project=project_line(project, role_of(project, actor)),
        description=project.description,
        members=member_lines(project),
        next_milestones=tuple(with_dependencies(session, [line for line in lines if not line.overdue][:3])),
        overdue=tuple(with_dependencies(session, [line for line in lines if line.overdue])),
        open_blockers=tuple(blocker_line(b) for b in project.blockers if b.resolved_at is None),
    )


@pytest.mark.usefixtures("demo")
def test_status_reports_match_the_orm_snapshots(session_factory: sessionmaker[Session]) -> None:
    with session_factory() as session:
        for actor in _actors(session):
            for project in visible_projects(session, actor):
                for now in (DEMO_NOW, DEMO_NOW + timedelta(days=30)):
                    expected = _status_from_objects(session, actor, project.key, now)
                    assert status_report(session, actor, project.id, now) == expected


@pytest.mark.usefixtures("demo")
def test_project_lists_match_the_orm_snapshots(session_factory: sessionmaker[Session]) -> None:
    with session_factory() as session:
        for actor in _actors(session):
            every = [project_line(p, role_of(p, actor)) for p in visible_projects(session, actor)]
            assert project_lines(session, actor, mine=False) == every
            assert project_lines(session, actor, mine=True) == [p for p in every if p.my_role is not None]


@pytest.mark.usefixtures("demo")
def test_upcoming_milestones_match_the_orm_snapshots(session_factory: sessionmaker[Session]) -> None:
    seen = 0
    with session_factory() as session:
        for actor in _actors(session):
            for now in (DEMO_NOW, DEMO_NOW + timedelta(days=10)):
                expected = _next_from_objects(session, actor, now)
                assert upcoming_milestones(session, actor, now, now + NEXT_WINDOW) == expected
                seen += len(expected)
    assert seen > 0


def _next_from_objects(session: Session, actor: Actor, now: datetime) -> list[MilestoneLine]:
    """The reference for `upcoming_milestones`: the actor's open milestones due in the next 14 days,
    loaded as ORM objects and snapshotted, visibility checked on each project."""
    if actor.person_id is None:
        return []
    milestones = session.scalars(
        select(Milestone)
        .join(Project)
        .where(
            Project.workspace_id == actor.workspace_id,
            Milestone.owner_id == actor.person_id,
            Milestone.status == MilestoneStatus.OPEN,
            Milestone.due_at >= now,
            Milestone.due_at <= now + NEXT_WINDOW,
        )
        .options(joinedload(Milestone.project).selectinload(Project.memberships), joinedload(Milestone.owner))
        .order_by(Milestone.due_at)
    )
    return [milestone_line(m, now) for m in milestones if can_see(m.project, actor)]


def _raise_blockers(session_factory: sessionmaker[Session]) -> None:
    """Open and resolved blockers on a public and a private project, one raised by nobody known."""
    with session_factory.begin() as session:
        public = session.scalars(
            select(Project).where(Project.private.is_(False)).order_by(Project.key)
        ).first()
        private = session.scalars(
            select(Project).where(Project.private.is_(True)).order_by(Project.key)
        ).first()
        raiser = session.scalars(select(Person).order_by(Person.slack_id)).first()
        assert public is not None and private is not None and raiser is not None
        for project in (public, private):
            for number, resolved in ((91, None), (92, DEMO_NOW), (93, None)):
                session.add(
                    Blocker(
                        project_id=project.id,
                        number=number,
                        text=f"blocker {number} of {project.key}",
                        raised_by_id=raiser.id if number != 93 else None,
                        raised_at=DEMO_NOW - timedelta(days=number - 90),
                        resolved_at=resolved,
                    )
                )


@pytest.mark.usefixtures("demo")
def test_open_blockers_match_the_orm_snapshots(session_factory: sessionmaker[Session]) -> None:
    _raise_blockers(session_factory)
    seen = 0
    with session_factory() as session:
        for actor in _actors(session):
            projects = visible_projects(session, actor, load=(selectinload(Project.blockers),))
            every = [blocker_line(b) for p in projects for b in p.blockers if b.resolved_at is None]
            assert open_blockers(session, actor, None) == every
            for project in projects:
                expected = [blocker_line(b) for b in project.blockers if b.resolved_at is None]
                assert open_blockers(session, actor, project.id) == expected
            seen += len(every)
    assert seen > 0


@pytest.mark.usefixtures("demo")
def test_project_key_and_status_match_the_project(session_factory: sessionmaker[Session]) -> None:
    with session_factory() as session:
        projects = session.scalars(select(Project)).all()
        assert projects
        for project in projects:
            assert project_key_and_status(session, project.id) == (project.key, project.status)


# -- the actor in one query -------------------------------------------------------------------------


def _workspace(session: Session, name: str, team: str | None, zone: str, *org_teams: str) -> None:
    workspace = add_workspace(session, name, team, *org_teams, timezone=zone)
    session.add_all(
        [
            Person(workspace_id=workspace.id, slack_id="U1", name=f"{name} one", timezone="Asia/Tokyo"),
            Person(workspace_id=workspace.id, slack_id="U2", name=f"{name} two"),
        ]
    )


def _by_two_queries(session: Session, settings: Settings, requester: Requester) -> Actor | str:
    try:
        workspace = resolve_workspace(session, requester.team_id)
    except NotSetUp as error:
        return error.message
    return load_actor(
        session,
        workspace,
        requester.user_id,
        admins=settings.admins,
        fallback_zone=settings.default_timezone,
    )


def _by_act_as(session: Session, settings: Settings, requester: Requester) -> Actor | str:
    try:
        return act_as(session, settings, requester)
    except NotSetUp as error:
        return error.message


@pytest.mark.parametrize(
    "workspaces",
    [
        pytest.param([("unbound", None, "Europe/Paris")], id="one-unbound"),
        pytest.param(
            [
                ("unbound", None, "Europe/Paris"),
                ("org", "E1", "UTC", "T1", "T2"),
                ("own", "T1", "America/Lima"),
            ],
            id="own-org-unbound",
        ),
        pytest.param(
            [("first", None, "UTC"), ("second", None, "UTC"), ("bound", "T1", "UTC")], id="two-unbound"
        ),
        pytest.param([("bound", "T1", "Europe/Paris")], id="only-bound"),
    ],
)
def test_act_as_resolves_as_workspace_then_person(
    empty_factory: sessionmaker[Session], settings: Settings, workspaces: list[tuple[str | None, ...]]
) -> None:
    with empty_factory.begin() as session:
        for name, team, zone, *org_teams in workspaces:
            assert name is not None and zone is not None
            _workspace(session, name, team, zone, *(t for t in org_teams if t))
    with empty_factory() as session:
        for team in ("T1", "T2", "T9", None):
            for user in ("U1", "U2", "U0ADMIN", "U9"):
                requester = Requester(user_id=user, team_id=team)
                assert _by_act_as(session, settings, requester) == _by_two_queries(
                    session, settings, requester
                )


def test_act_as_takes_one_query(empty_factory: sessionmaker[Session], settings: Settings) -> None:
    with empty_factory.begin() as session:
        _workspace(session, "unbound", None, "UTC")
        _workspace(session, "org", "E1", "UTC", "T2")
    with empty_factory() as session, recorded_statements(session.get_bind()) as statements:
        for team in ("T2", "T9", None):
            act_as(session, settings, Requester(user_id="U1", team_id=team))
    assert len(statements) == 3, statements
