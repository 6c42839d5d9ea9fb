"""Asking for an introduction: record the request, remember its DM, or withdraw it if the DM failed.

A request is recorded before the expert is messaged, so its unique key (requester, expert, subject)
makes a double click find the first request instead of sending a second DM. If that DM then fails, the
unsent request is withdrawn (`withdraw_unsent`): it neither blocks a retry nor counts against the
expert's cap.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload, sessionmaker

from bot.access import Actor, Requester, act_as, can_see
from bot.errors import Forbidden, InvalidInput, NotFound
from bot.experts.intros.caps import cap_status, effective_cap, recent_request_times
from bot.experts.intros.views import (
    MAX_REASON_TEXT,
    MAX_REASONS,
    MAX_SUBJECT,
    IntroCreation,
    IntroTicket,
    intro_view,
    load_intro,
)
from bot.experts.profile_items import profile_items
from bot.models import ExpertVisibility, IntroRequest, IntroStatus, Person, Project
from bot.projects.project import record_audit
from bot.settings import Settings


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
    requester: Requester,
    ticket: IntroTicket,
) -> IntroCreation:
    """Record a request for an introduction; the caller then DMs the expert (or withdraws it).

    Everything the button carried is checked again, as the clicking user: the expert must be listed,
    not the requester, and under their weekly cap; the project must be visible to the requester.

    Args:
        session_factory: The database.
        settings: Admins, the fallback zone and the default weekly cap.
        now: The current instant.
        requester: Who asks.
        ticket: What the button carried.

    Returns:
        The new request, or the earlier one about the same subject (`created` False).

    Raises:
        UserFacingError: Asking oneself, a hidden or unknown person, an expert at their cap or with a
            cap of 0, a project that is not visible, or a requester who is not in the directory.
    """
    try:
        return _request_intro(session_factory, settings, now, requester, ticket)
    except IntegrityError:
        # A concurrent click (another thread or process) inserted the same request first: this pass
        # finds it and reports it as already asked.
        return _request_intro(session_factory, settings, now, requester, ticket)


def _request_intro(
    session_factory: sessionmaker[Session],
    settings: Settings,
    now: datetime,
    requester: Requester,
    ticket: IntroTicket,
) -> IntroCreation:
    with session_factory.begin() as session:
        actor = act_as(session, settings, requester)
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
            return IntroCreation(intro_view(session, existing, settings, now), created=False)
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
            intro_view(session, load_intro(session, actor.workspace_id, intro.id), settings, now), True
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
    requester: Requester,
    error: str,
) -> bool:
    """Delete a request whose DM to the expert could not be sent, so that it can be asked again.

    Only a pending request without a recorded DM is removed; the audit log keeps a trace.

    Returns:
        Whether a request was removed.
    """
    with session_factory.begin() as session:
        actor = act_as(session, settings, requester)
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
