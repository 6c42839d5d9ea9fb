"""Who is asking, and what they may see and change.

Rules: private projects are invisible to non-members everywhere (lists, status, fuzzy suggestions);
admins listed in `LIAISON_ADMINS` see and edit everything; a project's lead edits it; a milestone's
owner may also complete or move that milestone; any member may raise a blocker.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Executable,
    Integer,
    Select,
    String,
    and_,
    bindparam,
    case,
    literal_column,
    or_,
    select,
)
from sqlalchemy.orm import Session, joinedload, selectinload
from sqlalchemy.orm.interfaces import ORMOption

from bot.db import ReadRows, run_read
from bot.errors import Forbidden, NotSetUp
from bot.models import (
    Membership,
    Milestone,
    Person,
    Project,
    ProjectStatus,
    Role,
    Workspace,
    WorkspaceTeam,
)
from bot.settings import Settings


@dataclass(frozen=True)
class VisibleProject:
    """A project the actor may see, as the project match needs it (`bot.projects.project.match_project`),
    with its status (`/blocker list PROJECT` shows it)."""

    id: int
    key: str
    name: str
    status: ProjectStatus


@dataclass(frozen=True)
class Actor:
    """The person behind a request, resolved once per request.

    Attributes:
        visible_projects: The keys and names of the projects the actor may see, by key, when they were
            read with the actor (`act_as(..., with_visible_projects=True)`, for requests that do not
            write); None otherwise, and the project match reads them itself.
    """

    slack_id: str
    workspace_id: int
    person_id: int | None
    is_admin: bool
    zone: ZoneInfo
    visible_projects: tuple[VisibleProject, ...] | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Requester:
    """Who a request comes from, as Slack names them: the team (None where one workspace serves all) and user.

    Every surface (commands, buttons, forms, events, jobs acting for someone) reduces its payload to this,
    and `act_as` turns it into an `Actor`: one way to answer "who is asking" everywhere.
    """

    user_id: str
    team_id: str | None = None


def read_rows(session: Session, statement: Executable, params: Mapping[str, Any]) -> ReadRows:
    """Run a read-only statement that selects columns (not ORM objects) on the session's connection.

    For the reads every command makes: `session.execute` adds ORM execution (events, ORM result
    set-up) and `Connection.execute` an execution context and result metadata per call that rows of
    columns do not need; `bot.db.run_read` runs the statement compiled once, with the driver's cursor,
    in the session's transaction. Pending changes are flushed first, as `session.execute` would.

    Args:
        session: The request's session (its transaction and connection are used).
        statement: A SELECT of columns, usually built once per process with bound parameters.
        params: The bound parameters.
    """
    if session.autoflush:
        session.flush()  # returns at once when nothing is pending
    return run_read(session.connection(), statement, params)


NOT_SET_UP = (
    "Liaison has no projects for this Slack workspace yet. An admin can load them with "
    "`liaison import workspace.yaml`."
)


def act_as(
    session: Session, settings: Settings, requester: Requester, *, with_visible_projects: bool = False
) -> Actor:
    """Resolve the requester's workspace, person, admin right and time zone (one query).

    The same rules as `resolve_workspace` then `load_actor`, read in one round trip: every request
    starts here.

    Args:
        session: The request's session.
        settings: For the admins and the fallback zone.
        requester: Who is asking.
        with_visible_projects: Also read the projects the actor may see (`Actor.visible_projects`), in
            the same statement: for a request that names a project and writes nothing, which then
            matches the name without a read of its own.

    Raises:
        NotSetUp: No workspace data for the requester's team.
    """
    is_admin = requester.user_id in settings.admins
    statement = (
        _actor_with_projects_statement(bool(requester.team_id), is_admin)
        if with_visible_projects
        else _actor_statement(bool(requester.team_id))
    )
    rows = read_rows(session, statement, {"team_id": requester.team_id, "user_id": requester.user_id}).all()
    # At most two workspaces (the best, and a second one that makes an unbound best ambiguous), each
    # on as many rows as it has visible projects when those are read too.
    if not rows or not (rows[0].rank < 2 or rows[-1].workspace_id == rows[0].workspace_id):
        raise NotSetUp(NOT_SET_UP)
    row = rows[0]
    visible = None
    if with_visible_projects:
        visible = tuple(
            VisibleProject(r.project_id, r.project_key, r.project_name, r.project_status)
            for r in rows
            if r.workspace_id == row.workspace_id and r.project_id is not None
        )
    return Actor(
        slack_id=requester.user_id,
        workspace_id=row.workspace_id,
        person_id=row.person_id,
        is_admin=is_admin,
        zone=ZoneInfo(row.person_timezone or row.workspace_timezone or settings.default_timezone),
        visible_projects=visible,
    )


def _workspace_match(
    team: BindParameter[str] | None,
) -> tuple[ColumnElement[bool], ColumnElement[int], list[ColumnElement[Any]]]:
    """Which workspaces may serve the team, how well (0 its own, 1 an org install, 2 unbound), and the
    order that puts the best first (see `resolve_workspace`)."""
    if team is None:
        # Without a team id, every candidate is unbound.
        return Workspace.slack_team_id.is_(None), literal_column("2", Integer), [Workspace.id.asc()]
    org_workspaces = select(WorkspaceTeam.workspace_id).where(WorkspaceTeam.slack_team_id == team)
    matches = or_(
        Workspace.slack_team_id.is_(None), Workspace.slack_team_id == team, Workspace.id.in_(org_workspaces)
    )
    rank = case((Workspace.slack_team_id == team, 0), (Workspace.id.in_(org_workspaces), 1), else_=2)
    return matches, rank, [rank, Workspace.id.asc()]


@cache
def _workspace_statement(team_given: bool) -> Select[Workspace, int]:
    # Built once per process (statement building costs more than running it); `team_id` is bound.
    matches, rank, order = _workspace_match(bindparam("team_id", type_=String) if team_given else None)
    return select(Workspace, rank.label("rank")).where(matches).order_by(*order).limit(2)


@cache
def _actor_statement(team_given: bool) -> Select[int, str, int, int, str | None]:
    matches, rank, order = _workspace_match(bindparam("team_id", type_=String) if team_given else None)
    return (
        select(
            Workspace.id.label("workspace_id"),
            Workspace.timezone.label("workspace_timezone"),
            rank.label("rank"),
            Person.id.label("person_id"),
            Person.timezone.label("person_timezone"),
        )
        .select_from(Workspace)
        .outerjoin(
            Person,
            and_(Person.workspace_id == Workspace.id, Person.slack_id == bindparam("user_id", type_=String)),
        )
        .where(matches)
        .order_by(*order)
        .limit(2)
    )


@cache
def _actor_with_projects_statement(team_given: bool, is_admin: bool) -> Select[Any]:
    # `_actor_statement`'s workspaces (at most two) with the projects of each that the person may see:
    # the rule of `bound_visible_condition`, with the person read in the same statement (no person:
    # no memberships, so the public projects, as `Visibility.PUBLIC`).
    actor = _actor_statement(team_given).subquery("actor")
    in_workspace = Project.workspace_id == actor.c.workspace_id
    member_of = select(Membership.project_id).where(Membership.person_id == actor.c.person_id)
    visible = (
        in_workspace
        if is_admin
        else and_(in_workspace, or_(Project.private.is_(False), Project.id.in_(member_of)))
    )
    return (
        select(
            *actor.c,
            Project.id.label("project_id"),
            Project.key.label("project_key"),
            Project.name.label("project_name"),
            Project.status.label("project_status"),
        )
        .select_from(actor)
        .outerjoin(Project, visible)
        .order_by(actor.c.rank, actor.c.workspace_id, Project.key)
    )


def resolve_workspace(session: Session, team_id: str | None) -> Workspace:
    """Find the workspace for a Slack team.

    A single workspace without a team id serves whichever team talks to it (the common single-workspace
    install, and the demo); with several, the team id must match — the workspace's own, or one of the
    teams of an org-wide install (`WorkspaceTeam`, recorded by `bot.slack.workspaces.OrgTeams`).

    Raises:
        NotSetUp: No workspace data for this team.
    """
    # One query: the team's own workspace ranks first, then an org-wide install serving the team, then
    # the unbound workspaces; two rows tell whether an unbound one is unique.
    rows = session.execute(_workspace_statement(bool(team_id)), {"team_id": team_id}).all()
    if rows and (rows[0].rank < 2 or len(rows) == 1):
        return rows[0].Workspace
    raise NotSetUp(NOT_SET_UP)


def load_actor(
    session: Session, workspace: Workspace, slack_id: str, *, admins: frozenset[str], fallback_zone: str
) -> Actor:
    """Resolve the Slack user to a person (if known) and their time zone."""
    person = session.scalars(
        select(Person).where(Person.workspace_id == workspace.id, Person.slack_id == slack_id)
    ).first()
    zone_name = (person.timezone if person else None) or workspace.timezone or fallback_zone
    return Actor(
        slack_id=slack_id,
        workspace_id=workspace.id,
        person_id=person.id if person else None,
        is_admin=slack_id in admins,
        zone=ZoneInfo(zone_name),
    )


def role_of(project: Project, actor: Actor) -> Role | None:
    """The actor's role on the project, or None."""
    if actor.person_id is None:
        return None
    for membership in project.memberships:
        if membership.person_id == actor.person_id:
            return membership.role
    return None


def can_see(project: Project, actor: Actor) -> bool:
    """Whether the project may be shown (or even hinted at) to the actor."""
    return not project.private or actor.is_admin or role_of(project, actor) is not None


def is_lead(project: Project, actor: Actor) -> bool:
    """Whether the actor leads the project."""
    return actor.person_id is not None and (
        project.lead_id == actor.person_id or role_of(project, actor) == Role.LEAD
    )


def require_active(project: Project) -> None:
    """Refuse any change to an archived project, saying how to restore it.

    Raises:
        Forbidden: The project is archived.
    """
    if project.archived_at is not None:
        raise Forbidden(
            f"*{project.key}* is archived, so it is read-only. Its lead or an admin can bring it back "
            f"with `/project restore {project.key}`."
        )


def require_editor(project: Project, actor: Actor, action: str) -> None:
    """Allow only the lead or an admin, on a project that is not archived.

    Raises:
        Forbidden: With a message naming the lead (or saying the project is archived).
    """
    require_active(project)
    if actor.is_admin or is_lead(project, actor):
        return
    lead = project.lead.name if project.lead else "its lead"
    raise Forbidden(f"Only the lead of *{project.key}* ({lead}) or a Liaison admin can {action}.")


def require_milestone_editor(milestone: Milestone, actor: Actor, action: str) -> None:
    """Allow the milestone's owner, the project lead or an admin.

    Raises:
        Forbidden: Naming who may do it.
    """
    require_active(milestone.project)
    if actor.person_id is not None and milestone.owner_id == actor.person_id:
        return
    require_editor(milestone.project, actor, f"{action} (or the milestone's owner)")


def visible_condition(actor: Actor) -> ColumnElement[bool]:
    """A WHERE clause on `Project` selecting the projects the actor may see (the rule of `can_see`).

    For queries that must not load every project (questions over large workspaces); the same rule
    as `visible_projects`, which uses it. Hot queries use the bound form (`bound_visible_condition`).
    Archived projects are left out (questions do not answer about them).
    """
    condition: ColumnElement[bool] = and_(
        Project.workspace_id == actor.workspace_id, Project.archived_at.is_(None)
    )
    if actor.is_admin:
        return condition
    if actor.person_id is None:
        return and_(condition, Project.private.is_(False))
    member_of = select(Membership.project_id).where(Membership.person_id == actor.person_id)
    return and_(condition, or_(Project.private.is_(False), Project.id.in_(member_of)))


class Visibility(enum.Enum):
    """Which form the visibility rule takes for an actor (`visible_condition`)."""

    EVERY = "every"  # admins see every project of their workspace
    PUBLIC = "public"  # someone Liaison does not know sees the public ones
    MEMBER = "member"  # a person sees the public ones and those they are a member of


def visibility_of(actor: Actor) -> Visibility:
    """The form of the visibility rule that applies to the actor."""
    if actor.is_admin:
        return Visibility.EVERY
    return Visibility.PUBLIC if actor.person_id is None else Visibility.MEMBER


@cache
def bound_visible_condition(visibility: Visibility) -> ColumnElement[bool]:
    """`visible_condition` with the actor's ids as bound parameters, so that a statement using it can be
    built once per process and run with `visibility_params(actor)`.

    Args:
        visibility: `visibility_of(actor)`.
    """
    condition: ColumnElement[bool] = Project.workspace_id == bindparam("workspace_id", type_=Integer)
    if visibility is Visibility.EVERY:
        return condition
    if visibility is Visibility.PUBLIC:
        return and_(condition, Project.private.is_(False))
    member_of = select(Membership.project_id).where(
        Membership.person_id == bindparam("person_id", type_=Integer)
    )
    return and_(condition, or_(Project.private.is_(False), Project.id.in_(member_of)))


def visibility_params(actor: Actor) -> dict[str, Any]:
    """The parameters of `bound_visible_condition` (and of statements built on it) for the actor."""
    return {"workspace_id": actor.workspace_id, "person_id": actor.person_id}


def with_roles_and_lead() -> tuple[ORMOption, ...]:
    """Loader options for projects shown with the actor's role and their lead (`role_of`, `project_line`).

    Two queries for any number of projects instead of two lazy loads per project.
    """
    return (selectinload(Project.memberships), joinedload(Project.lead))


@cache
def _visible_projects_statement(visibility: Visibility, include_archived: bool) -> Select[Project]:
    statement = (
        select(Project)
        .where(bound_visible_condition(visibility))
        .options(*with_roles_and_lead())
        .order_by(Project.key)
    )
    return statement if include_archived else statement.where(Project.archived_at.is_(None))


def visible_projects(
    session: Session, actor: Actor, *, load: Sequence[ORMOption] = (), include_archived: bool = False
) -> list[Project]:
    """The projects of the actor's workspace they may see, by key, with their memberships and lead.

    Callers list projects with the actor's role and the lead, so both are loaded (`with_roles_and_lead`).

    Args:
        session: The request's session.
        actor: Who is asking.
        load: Further loader options, for callers that read more of every project (its blockers, say).
        include_archived: Archived projects too (hidden by default: lists, Home, answers).
    """
    statement = _visible_projects_statement(visibility_of(actor), include_archived)
    if load:
        statement = statement.options(*load)
    return list(session.scalars(statement, visibility_params(actor)))
