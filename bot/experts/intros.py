"""Introductions to suggested experts: requests, weekly caps, and the expert's accept or decline.

A request is recorded before the expert is messaged, so its unique key (requester, expert, subject)
makes a double click find the first request instead of sending a second DM. If that DM then fails,
the caller withdraws the unsent request (`withdraw_unsent`): it neither blocks a retry nor counts
against the expert's cap. Decisions are claimed with a conditional UPDATE (`pending` → `accepted` or
`declined`), so two clicks, or two processes, cannot both act on one request; an acceptance whose
group DM could not be opened goes back to `pending` (`reopen_acceptance`) for the expert to retry.

Caps: every request made in the last seven days counts against the expert's weekly cap (their own
`weekly_request_cap`, else the workspace default from settings), whatever its outcome, since each one
cost the expert a decision; a cap of 0 means "accepts no requests".

No Slack calls here; `handlers/experts.py` delivers the messages.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload, sessionmaker

from bot.access import Actor, can_see, load_actor, resolve_workspace
from bot.errors import Forbidden, InvalidInput, NotFound
from bot.experts.index import profile_items
from bot.models import ExpertVisibility, IntroRequest, IntroStatus, Person, Project, Workspace
from bot.projects.project import record_audit
from bot.settings import Settings

# Requests made within this window count against the expert's weekly cap.
CAP_WINDOW = timedelta(days=7)
# The most of a free-text subject that is stored and shown (a button carries at most this much).
MAX_SUBJECT = 500
# Matched profile items a request keeps as the reason the expert was suggested.
MAX_REASONS = 2
MAX_REASON_TEXT = 300


@dataclass(frozen=True)
class CapStatus:
    """How many intro requests someone had this week against how many they accept.

    Attributes:
        cap: Requests per seven days they accept (0: none).
        used: Requests made in the last seven days.
        available_after: After this instant they are under their cap again; None when they are
            under it now, or accept no requests at all.
    """

    cap: int
    used: int
    available_after: datetime | None

    @property
    def over_cap(self) -> bool:
        """True when one more request would exceed the cap (always, with a cap of 0)."""
        return self.used >= self.cap

    @property
    def accepts_requests(self) -> bool:
        """False for a cap of 0: the person takes no intro requests at all."""
        return self.cap > 0


def effective_cap(personal: int | None, default: int) -> int:
    """A person's weekly cap: their own if they set one, else the workspace default."""
    return default if personal is None else personal


def cap_status(cap: int, request_times: Iterable[datetime]) -> CapStatus:
    """The cap status of someone with `cap` who was asked at `request_times` (all within the window).

    Args:
        cap: Their weekly cap.
        request_times: When each of their requests of the last seven days was made.

    Returns:
        The status.
    """
    times = sorted(request_times)
    used = len(times)
    available_after = None
    if cap > 0 and used >= cap:
        # To get under the cap, used - cap + 1 requests must leave the window: the oldest ones.
        available_after = times[used - cap] + CAP_WINDOW
    return CapStatus(cap=cap, used=used, available_after=available_after)


def recent_request_times(
    session: Session, workspace_id: int, now: datetime, *, expert_ids: Iterable[int] | None = None
) -> dict[int, list[datetime]]:
    """When each expert of the workspace was asked for an intro within the cap window.

    Args:
        session: An open session.
        workspace_id: The workspace.
        now: The current instant; requests made at or after ``now - CAP_WINDOW`` count.
        expert_ids: Only these people (person ids); None: everyone (a week of requests is small).

    Returns:
        Person id to request times; people without recent requests are left out.
    """
    query = select(IntroRequest.expert_id, IntroRequest.created_at).where(
        IntroRequest.workspace_id == workspace_id, IntroRequest.created_at >= now - CAP_WINDOW
    )
    if expert_ids is not None:
        query = query.where(IntroRequest.expert_id.in_(list(expert_ids)))
    found: dict[int, list[datetime]] = {}
    for expert_id, created_at in session.execute(query):
        found.setdefault(expert_id, []).append(created_at)
    return found


def subject_hash(subject: str, project_id: int | None) -> str:
    """The key under which a request's subject is unique per requester and expert.

    A project request is about the project, whatever it is called now; a free-text request is about
    its text compared without case or extra spaces, so typing the same need again finds the first
    request.
    """
    key = (
        f"project:{project_id}" if project_id is not None else "text:" + " ".join(subject.casefold().split())
    )
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


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


def _actor(session: Session, settings: Settings, user_id: str, team_id: str | None) -> Actor:
    workspace = resolve_workspace(session, team_id)
    return load_actor(
        session, workspace, user_id, admins=settings.admins, fallback_zone=settings.default_timezone
    )


def _party(person: Person) -> IntroParty:
    return IntroParty(person.slack_id, person.name, person.title, person.discipline, person.organisation)


def _load(session: Session, workspace_id: int, intro_id: int) -> IntroRequest:
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


def _view(session: Session, intro: IntroRequest, settings: Settings, now: datetime) -> IntroView:
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
        requester=_party(intro.requester),
        expert=_party(intro.expert),
        subject=intro.subject,
        project_key=project.key if project is not None else None,
        project_name=project.name if project is not None else None,
        project_description=project.description if project is not None else None,
        project_private=bool(project is not None and project.private),
        expert_sees_project=expert_sees,
        reason=tuple(line for line in intro.reason.split("\n") if line),
        created_at=intro.created_at,
        decided_at=intro.decided_at,
        expert_channel=intro.expert_channel,
        expert_ts=intro.expert_ts,
        group_channel=intro.group_channel,
        expert_requests=len(times.get(intro.expert_id, [])),
        expert_cap=effective_cap(intro.expert.weekly_request_cap, settings.expert_weekly_request_cap),
    )


def _visible_project(session: Session, actor: Actor, key: str) -> Project:
    project = session.scalars(
        select(Project)
        .where(Project.workspace_id == actor.workspace_id, Project.key == key)
        .options(selectinload(Project.memberships))
    ).first()
    # A private project the requester is not on is reported exactly like a missing one.
    if project is None or not can_see(project, actor):
        raise NotFound(f"No project matches “{key}”.")
    return project


def _verified_reasons(expert: Person, claimed: Sequence[str]) -> str:
    # The button's value comes back from the client: keep only texts that really are on the expert's
    # profile, so a forged click cannot put words into the DM the expert receives.
    labels = {" ".join(item.label.split()): item.label for item in profile_items(expert)}
    kept: list[str] = []
    for text in claimed:
        label = labels.get(" ".join(str(text).split()))
        if label is not None and label[:MAX_REASON_TEXT] not in kept:
            kept.append(label[:MAX_REASON_TEXT])
    return "\n".join(kept[:MAX_REASONS])


def _find(session: Session, requester_id: int, expert_id: int, key: str) -> IntroRequest | None:
    return session.scalars(
        select(IntroRequest).where(
            IntroRequest.requester_id == requester_id,
            IntroRequest.expert_id == expert_id,
            IntroRequest.subject_hash == key,
        )
    ).first()


def request_intro(
    session_factory: sessionmaker[Session],
    settings: Settings,
    now: datetime,
    *,
    user_id: str,
    team_id: str | None,
    ticket: IntroTicket,
) -> IntroCreation:
    """Record a request for an introduction; the caller then DMs the expert (or withdraws it).

    Everything the button carried is checked again, as the clicking user: the expert must be listed,
    not the requester, and under their weekly cap; the project must be visible to the requester.

    Args:
        session_factory: The database.
        settings: Admins, the fallback zone and the default weekly cap.
        now: The current instant.
        user_id: The requester's Slack id.
        team_id: Their Slack team.
        ticket: What the button carried.

    Returns:
        The new request, or the earlier one about the same subject (`created` False).

    Raises:
        UserFacingError: Asking oneself, a hidden or unknown person, an expert at their cap or with a
            cap of 0, a project that is not visible, or a requester who is not in the directory.
    """
    try:
        return _request_intro(session_factory, settings, now, user_id, team_id, ticket)
    except IntegrityError:
        # A concurrent click (another thread or process) inserted the same request first: this pass
        # finds it and reports it as already asked.
        return _request_intro(session_factory, settings, now, user_id, team_id, ticket)


def _request_intro(
    session_factory: sessionmaker[Session],
    settings: Settings,
    now: datetime,
    user_id: str,
    team_id: str | None,
    ticket: IntroTicket,
) -> IntroCreation:
    with session_factory.begin() as session:
        actor = _actor(session, settings, user_id, team_id)
        if actor.person_id is None:
            raise Forbidden(
                "Only people in Liaison's directory can ask for introductions. Ask an admin to add you."
            )
        if ticket.expert_slack_id == actor.slack_id:
            raise InvalidInput("That is you: Liaison does not introduce people to themselves.")
        # Locked on PostgreSQL (SQLite has one writer anyway), so that two requests for one expert
        # cannot both pass the cap check.
        expert = session.scalars(
            select(Person)
            .where(Person.workspace_id == actor.workspace_id, Person.slack_id == ticket.expert_slack_id)
            .options(selectinload(Person.publications))
            .with_for_update()
        ).first()
        if expert is None or expert.expert_visibility != ExpertVisibility.LISTED:
            raise NotFound("That person is not available for introductions through Liaison.")
        project = _visible_project(session, actor, ticket.project_key) if ticket.project_key else None
        subject = project.name if project is not None else " ".join(ticket.subject.split())[:MAX_SUBJECT]
        if not subject:
            raise InvalidInput("That button is out of date; run the command again.")
        key = subject_hash(subject, project.id if project is not None else None)
        existing = _find(session, actor.person_id, expert.id, key)
        if existing is not None:
            return IntroCreation(_view(session, existing, settings, now), created=False)
        cap = effective_cap(expert.weekly_request_cap, settings.expert_weekly_request_cap)
        times = recent_request_times(session, actor.workspace_id, now, expert_ids=[expert.id])
        status = cap_status(cap, times.get(expert.id, []))
        if not status.accepts_requests:
            raise Forbidden(f"{expert.name} is not taking intro requests through Liaison.")
        if status.over_cap:
            raise Forbidden(
                f"{expert.name} has had as many intro requests this week as they accept ({cap}). "
                "Try someone else, or ask again later."
            )
        intro = IntroRequest(
            workspace_id=actor.workspace_id,
            requester_id=actor.person_id,
            expert_id=expert.id,
            project_id=project.id if project is not None else None,
            subject=subject,
            subject_hash=key,
            reason=_verified_reasons(expert, ticket.matched),
            status=IntroStatus.PENDING,
            created_at=now,
        )
        session.add(intro)
        session.flush()
        record_audit(
            session,
            actor,
            "intro.request",
            "intro_request",
            intro.id,
            now,
            expert=expert.slack_id,
            project=project.key if project is not None else None,
        )
        return IntroCreation(
            _view(session, _load(session, actor.workspace_id, intro.id), settings, now), True
        )


def record_expert_message(
    session_factory: sessionmaker[Session], intro_id: int, *, channel: str, ts: str
) -> None:
    """Remember the expert's DM (with the buttons), to update it after their decision."""
    with session_factory.begin() as session:
        session.execute(
            update(IntroRequest)
            .where(IntroRequest.id == intro_id)
            .values(expert_channel=channel[:32], expert_ts=ts[:32])
        )


def withdraw_unsent(
    session_factory: sessionmaker[Session],
    settings: Settings,
    now: datetime,
    *,
    intro_id: int,
    user_id: str,
    team_id: str | None,
    error: str,
) -> bool:
    """Delete a request whose DM to the expert could not be sent, so that it can be asked again.

    Only a pending request without a recorded DM is removed; the audit log keeps a trace.

    Returns:
        Whether a request was removed.
    """
    with session_factory.begin() as session:
        actor = _actor(session, settings, user_id, team_id)
        result = session.execute(
            delete(IntroRequest).where(
                IntroRequest.id == intro_id,
                IntroRequest.workspace_id == actor.workspace_id,
                IntroRequest.status == IntroStatus.PENDING,
                IntroRequest.expert_ts.is_(None),
            )
        )
        removed = int(getattr(result, "rowcount", 0) or 0) > 0
        if removed:
            record_audit(session, actor, "intro.withdraw", "intro_request", intro_id, now, error=error)
        return removed


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
        return _view(session, _load(session, workspace.id, intro_id), settings, now)


def list_intros(
    session_factory: sessionmaker[Session],
    settings: Settings,
    now: datetime,
    *,
    user_id: str,
    team_id: str | None,
    limit: int = 20,
) -> list[IntroView]:
    """A person's most recent intro requests, asked by them or of them, newest first."""
    with session_factory() as session:
        actor = _actor(session, settings, user_id, team_id)
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
            _view(session, _load(session, actor.workspace_id, intro_id), settings, now) for intro_id in ids
        ]


def decide_intro(
    session_factory: sessionmaker[Session],
    settings: Settings,
    now: datetime,
    *,
    user_id: str,
    team_id: str | None,
    intro_id: int,
    accept: bool,
) -> IntroDecision:
    """Record the expert's Accept or Decline; a repeat click changes nothing.

    Args:
        session_factory: The database.
        settings: Admins, the fallback zone, the default cap.
        now: Recorded as `decided_at`.
        user_id: Who clicked; only the expert may decide.
        team_id: Their Slack team.
        intro_id: The request.
        accept: Accept (True) or Decline (False).

    Returns:
        The request after the click, and whether this click decided it.

    Raises:
        NotFound: No such request.
        Forbidden: The clicker is not the expert.
    """
    with session_factory.begin() as session:
        actor = _actor(session, settings, user_id, team_id)
        intro = _load(session, actor.workspace_id, intro_id)
        if intro.expert.slack_id != actor.slack_id:
            raise Forbidden(f"Only {intro.expert.name} can answer this introduction request.")
        target = IntroStatus.ACCEPTED if accept else IntroStatus.DECLINED
        result = session.execute(
            update(IntroRequest)
            .where(IntroRequest.id == intro.id, IntroRequest.status == IntroStatus.PENDING)
            .values(status=target, decided_at=now)
        )
        changed = int(getattr(result, "rowcount", 0) or 0) == 1
        if changed:
            record_audit(
                session,
                actor,
                "intro.accept" if accept else "intro.decline",
                "intro_request",
                intro.id,
                now,
                requester=intro.requester.slack_id,
            )
        return IntroDecision(
            _view(session, _load(session, actor.workspace_id, intro.id), settings, now), changed
        )


def reopen_acceptance(
    session_factory: sessionmaker[Session],
    settings: Settings,
    now: datetime,
    *,
    intro_id: int,
    user_id: str,
    team_id: str | None,
    error: str,
) -> None:
    """Put an acceptance back to pending because the group DM could not be opened or posted to.

    The expert's buttons stay, so they can simply accept again.
    """
    with session_factory.begin() as session:
        actor = _actor(session, settings, user_id, team_id)
        result = session.execute(
            update(IntroRequest)
            .where(
                IntroRequest.id == intro_id,
                IntroRequest.workspace_id == actor.workspace_id,
                IntroRequest.status == IntroStatus.ACCEPTED,
                IntroRequest.group_channel.is_(None),
            )
            .values(status=IntroStatus.PENDING, decided_at=None)
        )
        if int(getattr(result, "rowcount", 0) or 0):
            record_audit(session, actor, "intro.accept_failed", "intro_request", intro_id, now, error=error)


def record_group(
    session_factory: sessionmaker[Session],
    settings: Settings,
    now: datetime,
    *,
    intro_id: int,
    team_id: str | None,
    channel: str,
) -> IntroView:
    """Remember the group DM an accepted request opened; returns the request as it is now."""
    with session_factory.begin() as session:
        workspace = resolve_workspace(session, team_id)
        session.execute(
            update(IntroRequest)
            .where(IntroRequest.id == intro_id, IntroRequest.workspace_id == workspace.id)
            .values(group_channel=channel[:32])
        )
        return _view(session, _load(session, workspace.id, intro_id), settings, now)
