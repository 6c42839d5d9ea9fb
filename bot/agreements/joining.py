"""Joining a project whose data its agreements restrict to other organisations needs the lead's approval.

An agreement in force (signed, not past its expiry day) covering a project may name the organisations
whose members may access the project's data (`data_restricted_to`). Someone whose organisation is not
among them asks to join: a `join_request` is recorded and the lead decides with a button; approving
adds them as a member (an audit entry like a join, so the change feed tells the channel).

This module imports no other feature package: `bot.projects.project.join_project` asks it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from bot.agreements.tables import Agreement, AgreementProject, AgreementStatus, JoinRequest
from bot.models import AuditEntry, Membership, Person, Project, Role

PENDING = "pending"
APPROVED = "approved"
DECLINED = "declined"
# After a lead declines, asking again within this many days is refused rather than put to the lead again.
DECLINED_FOR = timedelta(days=7)


def restricted_to(session: Session, project_id: int, now: datetime) -> tuple[str, ...]:
    """The organisations the agreements in force for a project restrict its data to (none: open)."""
    rows = session.scalars(
        select(Agreement.data_restricted_to)
        .join(AgreementProject, AgreementProject.agreement_id == Agreement.id)
        .where(
            AgreementProject.project_id == project_id,
            Agreement.status == AgreementStatus.SIGNED.value,
            or_(Agreement.expires_on.is_(None), Agreement.expires_on >= now.date()),
        )
    )
    found: dict[str, str] = {}
    for raw in rows:
        try:
            names = json.loads(raw or "[]")
        except ValueError:
            continue
        for name in names if isinstance(names, list) else []:
            found.setdefault(str(name).casefold(), str(name))
    return tuple(sorted(found.values(), key=str.casefold))


def needs_approval(session: Session, project: Project, person: Person, now: datetime) -> tuple[str, ...]:
    """The restricting organisations when `person` may not join `project` without the lead's approval
    (empty when they may: no restriction, or their organisation is among the allowed)."""
    allowed = restricted_to(session, project.id, now)
    if not allowed:
        return ()
    organisation = (person.organisation or "").strip().casefold()
    return () if organisation and organisation in {name.casefold() for name in allowed} else allowed


def request_join(
    session: Session, project: Project, person: Person, now: datetime
) -> tuple[JoinRequest, bool]:
    """Record (or find the pending) request of `person` to join `project`; returns (request, created)."""
    pending = session.scalars(
        select(JoinRequest).where(
            JoinRequest.project_id == project.id,
            JoinRequest.person_id == person.id,
            JoinRequest.status == PENDING,
        )
    ).first()
    if pending is not None:
        return pending, False
    request = JoinRequest(
        workspace_id=project.workspace_id,
        project_id=project.id,
        person_id=person.id,
        status=PENDING,
        requested_at=now,
    )
    session.add(request)
    session.flush()
    return request, True


def recently_declined(session: Session, project_id: int, person_id: int, now: datetime) -> JoinRequest | None:
    """The person's request to join the project that a lead declined within `DECLINED_FOR`, if any."""
    return session.scalars(
        select(JoinRequest)
        .where(
            JoinRequest.project_id == project_id,
            JoinRequest.person_id == person_id,
            JoinRequest.status == DECLINED,
            JoinRequest.decided_at >= now - DECLINED_FOR,
        )
        .order_by(JoinRequest.decided_at.desc())
    ).first()


def pending_request(session: Session, project_id: int, person_id: int | None) -> JoinRequest | None:
    """The pending join request of a person for a project, if any."""
    if person_id is None:
        return None
    return session.scalars(
        select(JoinRequest).where(
            JoinRequest.project_id == project_id,
            JoinRequest.person_id == person_id,
            JoinRequest.status == PENDING,
        )
    ).first()


@dataclass(frozen=True)
class JoinDecision:
    """What a lead's click decided."""

    project_key: str
    project_name: str
    requester_slack_id: str
    approved: bool
    already: bool  # decided before (a second click, or another lead)


def decide_join(
    session: Session, request: JoinRequest, project: Project, *, decider: str, approve: bool, now: datetime
) -> JoinDecision:
    """Approve or decline a join request (the caller checked that `decider` leads the project or is an admin).

    Approving adds the requester as a member, with an audit entry like `/project join` (written as the
    requester's join, approved by `decider`).
    """
    person = session.get(Person, request.person_id)
    slack_id = person.slack_id if person is not None else ""
    if request.status != PENDING or person is None:
        return JoinDecision(project.key, project.name, slack_id, request.status == APPROVED, already=True)
    request.status = APPROVED if approve else DECLINED
    request.decided_at = now
    request.decided_by = decider
    if approve and all(m.person_id != person.id for m in project.memberships):
        position = max((m.position for m in project.memberships), default=-1) + 1
        project.memberships.append(Membership(person=person, role=Role.MEMBER, position=position))
        session.add(
            AuditEntry(
                workspace_id=project.workspace_id,
                actor=slack_id,
                action="join",
                entity="project",
                entity_id=project.id,
                detail=json.dumps({"approved_by": decider, "key": project.key}, sort_keys=True),
                at=now,
            )
        )
    session.flush()
    return JoinDecision(project.key, project.name, slack_id, approve, already=False)
