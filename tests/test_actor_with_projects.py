"""A read-only command that names a project reads its actor and the projects they may see in one
statement (`bot.access.act_as(..., with_visible_projects=True)`); the project match then reads nothing.

Both reads must agree with the separate ones they replace, which hold the privacy rule: the same actor,
and exactly the projects `match_project` would have read for them (a private project only for its
members and admins), on SQLite and PostgreSQL, for every demo person, a stranger and an admin — and
the same workspace resolution for every arrangement of bound, org-wide and unbound workspaces.
"""

from __future__ import annotations

import random
from dataclasses import replace

import pytest
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session, sessionmaker

from bot.access import (
    Requester,
    VisibleProject,
    act_as,
    bound_visible_condition,
    visibility_of,
    visibility_params,
)
from bot.db import make_session_factory
from bot.errors import NotFound, NotSetUp
from bot.models import Membership, Person, Project, ProjectStatus, Role, Workspace, WorkspaceTeam
from bot.projects.project import match_project
from bot.settings import Settings
from tests.conftest import DEMO_NOW, add_workspace
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


def _add(
    empty_factory: sessionmaker[Session], name: str, team: str | None, *org_teams: str, projects: int = 2
) -> None:
    with empty_factory.begin() as session:
        workspace = add_workspace(session, name, team, *org_teams)
        session.add_all(
            Project(
                workspace_id=workspace.id,
                key=f"{name}{n}",
                name=f"{name} project {n}",
                description="",
                status=ProjectStatus.ON_TRACK,
                private=False,
            )
            for n in range(projects)
        )


def _both(empty_factory: sessionmaker[Session], settings: Settings, team: str | None) -> object:
    """The workspace and projects `act_as` finds with and without the projects, or the error of each."""
    answers = []
    for with_projects in (False, True):
        with empty_factory() as session:
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
    empty_factory: sessionmaker[Session],
    settings: Settings,
    arrangement: list[tuple[str, str | None, tuple[str, ...]]],
    expected: dict[str | None, list[object]],
) -> None:
    for name, team, org_teams in arrangement:
        _add(empty_factory, name, team, *org_teams)
    for team, answer in expected.items():
        assert _both(empty_factory, settings, team) == answer, team


def test_a_workspace_without_projects_serves_with_none_visible(
    empty_factory: sessionmaker[Session], settings: Settings
) -> None:
    _add(empty_factory, "empty", None, projects=0)
    with empty_factory() as session:
        actor = act_as(session, settings, Requester("U1", "T1"), with_visible_projects=True)
    assert actor.visible_projects == ()


def _clear(session: Session) -> None:
    for model in (Membership, Project, Person, WorkspaceTeam, Workspace):
        session.execute(delete(model))


def _random_alliance(session: Session, rnd: random.Random) -> None:
    """One to four workspaces (bound to a team, org-wide for others, or unbound), the same Slack users as
    people in several of them, public, private and archived projects, and memberships across them."""
    workspaces: list[Workspace] = []
    bound: set[str] = set()
    served: set[str] = set()
    for n in range(rnd.randint(1, 4)):
        team = rnd.choice(["T1", "T2", "T3", None, None])
        team = None if team in bound else team
        if team is not None:
            bound.add(team)
        org_teams = [t for t in rnd.sample(["T1", "T2", "T3"], rnd.randint(0, 2)) if t not in served]
        served.update(org_teams)
        workspaces.append(add_workspace(session, f"w{n}", team, *org_teams))
    people = [
        Person(workspace_id=w.id, slack_id=user, name=user)
        for w in workspaces
        for user in ("U1", "U2", "U0ADMIN")
        if rnd.random() < 0.6
    ]
    session.add_all(people)
    projects = [
        Project(
            workspace_id=w.id,
            key=f"p{w.id}x{n}",
            name=f"project {n}",
            description="",
            status=rnd.choice(list(ProjectStatus)),
            private=rnd.random() < 0.6,
            archived_at=DEMO_NOW if rnd.random() < 0.2 else None,
        )
        for w in workspaces
        for n in range(rnd.randint(0, 4))
    ]
    session.add_all(projects)
    session.flush()
    session.add_all(
        Membership(project_id=project.id, person_id=person.id, role=Role.MEMBER)
        for project in projects
        for person in people
        if rnd.random() < 0.3
    )
    session.flush()


def test_random_alliances_give_the_same_actor_and_projects_both_ways(
    empty_factory: sessionmaker[Session], settings: Settings
) -> None:
    # Every requester (members, a person in several workspaces, an admin, a stranger) and team (bound,
    # org-wide, unbound, none) of random alliances: the same "not set up", actor and projects.
    settings = replace(settings, admins=frozenset({"U0ADMIN"}))
    compared = 0
    with empty_factory() as session:
        for seed in range(25):
            _clear(session)
            _random_alliance(session, random.Random(seed))
            for user in ("U1", "U2", "U0ADMIN", "UNKNOWN1"):
                for team in ("T1", "T2", "T3", None):
                    requester = Requester(user, team)
                    answers = []
                    for with_projects in (False, True):
                        try:
                            answers.append(
                                act_as(session, settings, requester, with_visible_projects=with_projects)
                            )
                        except NotSetUp:
                            answers.append(None)
                    alone, together = answers
                    assert (alone is None) == (together is None), (seed, user, team)
                    if alone is not None and together is not None:
                        assert together == alone, (seed, user, team)
                        assert together.visible_projects == _projects_read_alone(session, requester, settings)
                        compared += 1
            session.rollback()
    assert compared > 100
