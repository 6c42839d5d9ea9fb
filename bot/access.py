"""Who is asking, and what they may see and change.

Rules: private projects are invisible to non-members everywhere (lists, status, fuzzy suggestions);
admins listed in `LIAISON_ADMINS` see and edit everything; a project's lead edits it; a milestone's
owner may also complete or move that milestone; any member may raise a blocker.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Integer, and_, case, literal_column, or_, select
from sqlalchemy.orm import Session, joinedload, selectinload
from sqlalchemy.orm.interfaces import ORMOption

from bot.errors import Forbidden, NotSetUp
from bot.models import Membership, Milestone, Person, Project, Role, Workspace, WorkspaceTeam
from bot.settings import Settings


@dataclass(frozen=True)
class Actor:
    """The person behind a request, resolved once per request."""

    slack_id: str
    workspace_id: int
    person_id: int | None
    is_admin: bool
    zone: ZoneInfo


@dataclass(frozen=True)
class Requester:
    """Who a request comes from, as Slack names them: the team (None where one workspace serves all) and user.

    Every surface (commands, buttons, forms, events, jobs acting for someone) reduces its payload to this,
    and `act_as` turns it into an `Actor`: one way to answer "who is asking" everywhere.
    """

    user_id: str
    team_id: str | None = None


def act_as(session: Session, settings: Settings, requester: Requester) -> Actor:
    """Resolve the requester's workspace, person, admin right and time zone.

    Raises:
        NotSetUp: No workspace data for the requester's team.
    """
    workspace = resolve_workspace(session, requester.team_id)
    return load_actor(
        session, workspace, requester.user_id, admins=settings.admins, fallback_zone=settings.default_timezone
    )


def resolve_workspace(session: Session, team_id: str | None) -> Workspace:
    """Find the workspace for a Slack team.

    A single workspace without a team id serves whichever team talks to it (the common single-workspace
    install, and the demo); with several, the team id must match — the workspace's own, or one of the
    teams of an org-wide install (`WorkspaceTeam`, recorded by `bot.slack.workspaces.OrgTeams`).

    Raises:
        NotSetUp: No workspace data for this team.
    """
    # One query (this runs for every request): the team's own workspace ranks first, then an org-wide
    # install serving the team, then the unbound workspaces; two rows tell whether an unbound one is unique.
    matches: ColumnElement[bool] = Workspace.slack_team_id.is_(None)
    rank: ColumnElement[int] = literal_column("2", Integer)  # without a team id, every candidate is unbound
    order: list[ColumnElement[Any]] = [Workspace.id.asc()]
    if team_id:
        org_workspaces = select(WorkspaceTeam.workspace_id).where(WorkspaceTeam.slack_team_id == team_id)
        matches = or_(matches, Workspace.slack_team_id == team_id, Workspace.id.in_(org_workspaces))
        rank = case((Workspace.slack_team_id == team_id, 0), (Workspace.id.in_(org_workspaces), 1), else_=2)
        order = [rank, Workspace.id.asc()]
    rows = session.execute(
        select(Workspace, rank.label("rank")).where(matches).order_by(*order).limit(2)
    ).all()
    if rows and (rows[0].rank < 2 or len(rows) == 1):
        return rows[0].Workspace
    raise NotSetUp(
        "Liaison has no projects for this Slack workspace yet. An admin can load them with "
        "`liaison import workspace.yaml`."
    )


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


def require_editor(project: Project, actor: Actor, action: str) -> None:
    """Allow only the lead or an admin.

    Raises:
        Forbidden: With a message naming the lead.
    """
    if actor.is_admin or is_lead(project, actor):
        return
    lead = project.lead.name if project.lead else "its lead"
    raise Forbidden(f"Only the lead of *{project.key}* ({lead}) or a Liaison admin can {action}.")


def require_milestone_editor(milestone: Milestone, actor: Actor, action: str) -> None:
    """Allow the milestone's owner, the project lead or an admin.

    Raises:
        Forbidden: Naming who may do it.
    """
    if actor.person_id is not None and milestone.owner_id == actor.person_id:
        return
    require_editor(milestone.project, actor, f"{action} (or the milestone's owner)")


def visible_condition(actor: Actor) -> ColumnElement[bool]:
    """A WHERE clause on `Project` selecting the projects the actor may see (the rule of `can_see`).

    For queries that must not load every project (questions over large workspaces); the same rule
    as `visible_projects`, which uses it.
    """
    condition: ColumnElement[bool] = Project.workspace_id == actor.workspace_id
    if actor.is_admin:
        return condition
    if actor.person_id is None:
        return and_(condition, Project.private.is_(False))
    member_of = select(Membership.project_id).where(Membership.person_id == actor.person_id)
    return and_(condition, or_(Project.private.is_(False), Project.id.in_(member_of)))


def with_roles_and_lead() -> tuple[ORMOption, ...]:
    """Loader options for projects shown with the actor's role and their lead (`role_of`, `project_line`).

    Two queries for any number of projects instead of two lazy loads per project.
    """
    return (selectinload(Project.memberships), joinedload(Project.lead))


def visible_projects(session: Session, actor: Actor, *, load: Sequence[ORMOption] = ()) -> list[Project]:
    """The projects of the actor's workspace they may see, by key, with their memberships and lead.

    Callers list projects with the actor's role and the lead, so both are loaded (`with_roles_and_lead`).

    Args:
        session: The request's session.
        actor: Who is asking.
        load: Further loader options, for callers that read more of every project (its blockers, say).
    """
    query = (
        select(Project)
        .where(visible_condition(actor))
        .options(*with_roles_and_lead(), *load)
        .order_by(Project.key)
    )
    return list(session.scalars(query))
