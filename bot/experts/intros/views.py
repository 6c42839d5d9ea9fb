"""What an intro request looks like once read: snapshots for the flow and for the messages that show it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload, sessionmaker

from bot.access import Requester, act_as, can_see, load_actor, resolve_workspace
from bot.errors import NotFound
from bot.experts.intros.caps import effective_cap, recent_request_times
from bot.models import IntroRequest, IntroStatus, Person, Project, Workspace
from bot.settings import Settings

# The most of a free-text subject that is stored and shown (a button carries at most this much).
MAX_SUBJECT = 500
# Matched profile items a request keeps as the reason the expert was suggested.
MAX_REASONS = 2
MAX_REASON_TEXT = 300


@dataclass(frozen=True)
class IntroTicket:
    """What an "Ask for an intro" button carries: enough to make the request, all checked on click.

    Attributes:
        expert_slack_id: Who to introduce.
        project_key: The project the suggestion was for; None for a free-text query.
        subject: The free-text query (unused for a project: the project is the subject).
        matched: The expert's profile items that matched (kept only if they are on their profile).
    """

    expert_slack_id: str
    project_key: str | None
    subject: str
    matched: tuple[str, ...] = ()


@dataclass(frozen=True)
class IntroParty:
    """The requester or the expert, as the messages show them."""

    slack_id: str
    name: str
    title: str | None
    discipline: str | None
    organisation: str | None


@dataclass(frozen=True)
class IntroView:
    """A snapshot of an intro request for rendering, usable after the session closes.

    Attributes:
        id: The request.
        status: Pending, accepted or declined.
        requester: Who asked.
        expert: Who was asked.
        subject: The free-text need, or the project's name when it was asked.
        project_key: The project, if the request is about one.
        project_name: Its current name.
        project_description: Its description.
        project_private: Whether it is private.
        expert_sees_project: Whether the expert may see the project (anyone for a public one; members
            and admins for a private one). When False, messages to the expert say "a private project"
            and nothing else about it.
        requester_on_project: Whether the requester is on the project (a lead asking for help with
            one of theirs, rather than anyone asking about a public project).
        reason: The expert's profile items that matched.
        created_at: When it was asked.
        decided_at: When the expert decided.
        expert_channel: The expert's DM with the Accept/Decline buttons.
        expert_ts: That message's ts; None until it was posted.
        group_channel: The group DM opened on Accept.
        expert_requests: Requests the expert had in the last seven days.
        expert_cap: The expert's weekly cap.
    """

    id: int
    status: IntroStatus
    requester: IntroParty
    expert: IntroParty
    subject: str
    project_key: str | None
    project_name: str | None
    project_description: str | None
    project_private: bool
    expert_sees_project: bool
    reason: tuple[str, ...]
    requester_on_project: bool
    created_at: datetime
    decided_at: datetime | None
    expert_channel: str | None
    expert_ts: str | None
    group_channel: str | None
    expert_requests: int
    expert_cap: int

    @property
    def is_project(self) -> bool:
        """Whether the request is about a project (rather than a free-text need)."""
        return self.project_key is not None


@dataclass(frozen=True)
class IntroCreation:
    """The outcome of asking for an intro.

    Attributes:
        intro: The request.
        created: True for a new request (the expert must now be messaged); False when the requester
            had already asked this expert about the same thing.
    """

    intro: IntroView
    created: bool


@dataclass(frozen=True)
class IntroDecision:
    """The outcome of an Accept or Decline click.

    Attributes:
        intro: The request after the click.
        changed: True when this click decided it; False for a repeat (a double click, or a request
            decided before), which must not act again.
    """

    intro: IntroView
    changed: bool


def intro_party(person: Person) -> IntroParty:
    """The requester or expert of a request, as its messages show them."""
    return IntroParty(person.slack_id, person.name, person.title, person.discipline, person.organisation)


def load_intro(session: Session, workspace_id: int, intro_id: int) -> IntroRequest:
    """Read one request of a workspace as it is now, with its people and project.

    Raises:
        NotFound: No such request (or it was withdrawn).
    """
    intro = session.scalars(
        select(IntroRequest)
        .where(IntroRequest.id == intro_id, IntroRequest.workspace_id == workspace_id)
        .options(
            selectinload(IntroRequest.requester),
            selectinload(IntroRequest.expert),
            selectinload(IntroRequest.project).selectinload(Project.memberships),
        )
        # Conditional UPDATEs bypass the identity map: re-read the row as it is now.
        .execution_options(populate_existing=True)
    ).first()
    if intro is None:
        raise NotFound("That introduction request no longer exists.")
    return intro


def intro_view(session: Session, intro: IntroRequest, settings: Settings, now: datetime) -> IntroView:
    """Snapshot a request for rendering: whether the expert may see its project, and their cap use."""
    project = intro.project
    expert_sees = True
    if project is not None and project.private:
        workspace = session.get(Workspace, intro.workspace_id)
        assert workspace is not None  # the request hangs off it (ON DELETE CASCADE)
        expert = load_actor(
            session,
            workspace,
            intro.expert.slack_id,
            admins=settings.admins,
            fallback_zone=settings.default_timezone,
        )
        expert_sees = can_see(project, expert)
    times = recent_request_times(session, intro.workspace_id, now, expert_ids=[intro.expert_id])
    return IntroView(
        id=intro.id,
        status=intro.status,
        requester=intro_party(intro.requester),
        expert=intro_party(intro.expert),
        subject=intro.subject,
        project_key=project.key if project is not None else None,
        project_name=project.name if project is not None else None,
        project_description=project.description if project is not None else None,
        project_private=bool(project is not None and project.private),
        expert_sees_project=expert_sees,
        requester_on_project=project is not None
        and any(membership.person_id == intro.requester_id for membership in project.memberships),
        reason=tuple(line for line in intro.reason.split("\n") if line),
        created_at=intro.created_at,
        decided_at=intro.decided_at,
        expert_channel=intro.expert_channel,
        expert_ts=intro.expert_ts,
        group_channel=intro.group_channel,
        expert_requests=len(times.get(intro.expert_id, [])),
        expert_cap=effective_cap(intro.expert.weekly_request_cap, settings.expert_weekly_request_cap),
    )


def get_intro(
    session_factory: sessionmaker[Session],
    settings: Settings,
    now: datetime,
    *,
    intro_id: int,
    team_id: str | None,
) -> IntroView:
    """Look up one request of the team's workspace.

    Raises:
        NotFound: No such request (or it was withdrawn).
    """
    with session_factory() as session:
        workspace = resolve_workspace(session, team_id)
        return intro_view(session, load_intro(session, workspace.id, intro_id), settings, now)


def list_intros(
    session_factory: sessionmaker[Session],
    settings: Settings,
    now: datetime,
    *,
    requester: Requester,
    limit: int = 20,
) -> list[IntroView]:
    """A person's most recent intro requests, asked by them or of them, newest first."""
    with session_factory() as session:
        actor = act_as(session, settings, requester)
        if actor.person_id is None:
            return []
        ids = session.scalars(
            select(IntroRequest.id)
            .where(
                IntroRequest.workspace_id == actor.workspace_id,
                or_(IntroRequest.requester_id == actor.person_id, IntroRequest.expert_id == actor.person_id),
            )
            .order_by(IntroRequest.created_at.desc(), IntroRequest.id.desc())
            .limit(limit)
        ).all()
        return [
            intro_view(session, load_intro(session, actor.workspace_id, intro_id), settings, now)
            for intro_id in ids
        ]
