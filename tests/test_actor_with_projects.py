"""A read-only command that names a project reads its actor and the projects they may see in one
statement (`bot.access.act_as(..., with_visible_projects=True)`); the project match then reads nothing.

Both reads must agree with the separate ones they replace, which hold the privacy rule: the same actor,
and exactly the projects `match_project` would have read for them (a private project only for its
members and admins), on SQLite and PostgreSQL, for every demo person, a stranger and an admin — and
the same workspace resolution for every arrangement of bound, org-wide and unbound workspaces.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from bot.access import (
    Requester,
    VisibleProject,
    act_as,
    bound_visible_condition,
    visibility_of,
    visibility_params,
)
from bot.db import make_engine, make_session_factory
from bot.errors import NotFound, NotSetUp
from bot.models import Membership, Person, Project, ProjectStatus, Workspace, WorkspaceTeam
from bot.projects.project import match_project
from bot.settings import Settings
from tests.conftest import DEMO_NOW
from tests.migrated import DATABASE_KINDS, migrated_database
from tests.statements import recorded_statements

TEAM = "T0LIAISON"


def _projects_read_alone(
    session: Session, actor_requester: Requester, settings: Settings
) -> tuple[VisibleProject, ...]:
    actor = act_as(session, settings, actor_requester)
    rows = session.execute(
        select(Project.id, Project.key, Project.name, Project.status)
        .where(bound_visible_condition(visibility_of(actor)))
        .order_by(Project.key),
        visibility_params(actor),
    )
    return tuple(VisibleProject(*row) for row in rows)


def test_the_projects_read_with_the_actor_are_those_the_actor_may_see(
    demo_engine: Engine, settings: Settings
) -> None:
    settings = replace(settings, admins=frozenset({"U0ADMIN"}))
    with make_session_factory(demo_engine)() as session:
        people = list(session.scalars(select(Person.slack_id).order_by(Person.slack_id)))
        private = set(session.scalars(select(Project.key).where(Project.private.is_(True))))
        seen: dict[str, set[str]] = {}
        for user in [*people, "UNKNOWN1", "U0ADMIN"]:
            requester = Requester(user_id=user, team_id=TEAM)
            alone = act_as(session, settings, requester)
            together = act_as(session, settings, requester, with_visible_projects=True)
            assert together == alone, user  # workspace, person, admin right, zone
            assert alone.visible_projects is None
            assert together.visible_projects == _projects_read_alone(session, requester, settings), user
            seen[user] = {p.key for p in together.visible_projects}
    # Not vacuous: the demo has private projects, which a stranger never sees, an admin always does,
    # and some people see through their membership while others do not.
    assert private
    assert not seen["UNKNOWN1"] & private
    assert private <= seen["U0ADMIN"]
    assert any(seen[p] & private for p in people) and any(not seen[p] & private for p in people)


def test_a_private_project_stays_unknown_to_a_non_member_through_the_match(
    demo_engine: Engine, settings: Settings
) -> None:
    with make_session_factory(demo_engine)() as session:
        project = session.scalars(select(Project).where(Project.private.is_(True)).limit(1)).one()
        members = set(
            session.scalars(
                select(Person.slack_id).join(Membership).where(Membership.project_id == project.id)
            )
        )
        outsider = session.scalars(select(Person.slack_id).where(Person.slack_id.not_in(members))).first()
        member = next(iter(members))
        assert outsider is not None
        for user, found in ((member, True), (outsider, False)):
            actor = act_as(session, settings, Requester(user, TEAM), with_visible_projects=True)
            with recorded_statements(demo_engine) as statements:
                if found:
                    assert match_project(session, actor, project.key) == project.id
                else:
                    with pytest.raises(NotFound, match="No project matches"):
                        match_project(session, actor, project.key)
            assert statements == []  # matched on what was read with the actor


@pytest.fixture(params=DATABASE_KINDS)
def session_factory(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(migrated_database(request, tmp_path))
    yield make_session_factory(engine)
    engine.dispose()


def _add(
    session_factory: sessionmaker[Session], name: str, team: str | None, *org_teams: str, projects: int = 2
) -> None:
    with session_factory.begin() as session:
        workspace = Workspace(name=name, timezone="UTC", slack_team_id=team)
        session.add(workspace)
        session.flush()
        for org_team in org_teams:
            session.add(
                WorkspaceTeam(
                    workspace_id=workspace.id,
                    slack_team_id=org_team,
                    slack_enterprise_id=team or "E0",
                    created_at=DEMO_NOW,
                )
            )
        for n in range(projects):
            session.add(
                Project(
                    workspace_id=workspace.id,
                    key=f"{name}{n}",
                    name=f"{name} project {n}",
                    description="",
                    status=ProjectStatus.ON_TRACK,
                    private=False,
                )
            )


def _both(session_factory: sessionmaker[Session], settings: Settings, team: str | None) -> object:
    """The workspace and projects `act_as` finds with and without the projects, or the error of each."""
    answers = []
    for with_projects in (False, True):
        with session_factory() as session:
            try:
                actor = act_as(session, settings, Requester("U1", team), with_visible_projects=with_projects)
            except NotSetUp:
                answers.append("not set up")
                continue
            workspace = session.get_one(Workspace, actor.workspace_id).name
            keys = [p.key for p in actor.visible_projects] if with_projects and actor.visible_projects else []
            answers.append(workspace if not with_projects else (workspace, keys))
    return answers


@pytest.mark.parametrize(
    ("arrangement", "expected"),
    [
        (
            [("unbound", None, ()), ("org", "E1", ("T1", "T2")), ("own", "T1", ())],
            {
                "T1": ["own", ("own", ["own0", "own1"])],
                "T2": ["org", ("org", ["org0", "org1"])],
                "T9": ["unbound", ("unbound", ["unbound0", "unbound1"])],
                None: ["unbound", ("unbound", ["unbound0", "unbound1"])],
            },
        ),
        (
            [("first", None, ()), ("second", None, ()), ("bound", "T1", ())],
            {
                "T1": ["bound", ("bound", ["bound0", "bound1"])],
                "T9": ["not set up"] * 2,
                None: ["not set up"] * 2,
            },
        ),
        ([("bound", "T1", ())], {"T1": ["bound", ("bound", ["bound0", "bound1"])], "T2": ["not set up"] * 2}),
    ],
)
def test_the_workspace_is_resolved_as_without_the_projects(
    session_factory: sessionmaker[Session],
    settings: Settings,
    arrangement: list[tuple[str, str | None, tuple[str, ...]]],
    expected: dict[str | None, list[object]],
) -> None:
    for name, team, org_teams in arrangement:
        _add(session_factory, name, team, *org_teams)
    for team, answer in expected.items():
        assert _both(session_factory, settings, team) == answer, team


def test_a_workspace_without_projects_serves_with_none_visible(
    session_factory: sessionmaker[Session], settings: Settings
) -> None:
    _add(session_factory, "empty", None, projects=0)
    with session_factory() as session:
        actor = act_as(session, settings, Requester("U1", "T1"), with_visible_projects=True)
    assert actor.visible_projects == ()
