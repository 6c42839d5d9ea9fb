"""Confirm and Cancel: deciding a stored proposal, once, by its asker, on the record as they saw it.

A Confirm does the change with the feature functions the slash commands call (`complete_milestone`,
`move_milestone`, `assign_milestone`, `add_blocker`), which check the permission again and write the
same audit entries, replan reminders and feed the change feed. It acts only when:

- the token names a pending proposal of the clicker's workspace (anything else is out of date);
- the clicker asked for it (another user's Confirm or Cancel is refused, nothing changes);
- it has not expired (`PROPOSAL_TTL`);
- the record looks as it did when the proposal was made: otherwise the proposal is made again on
  the record as it now is and shown with what changed (or, if the change no longer makes sense, why).

The proposal is claimed with a conditional UPDATE (pending → confirmed) in the same transaction as
the change, so two Confirms (a double click, Slack's retry, two instances) do it once: the second
finds it confirmed already. An error in the change rolls the claim back with it.
"""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.access import Actor
from bot.domain.reminders import DeliveryKind, PlannedDelivery, ReminderPolicy
from bot.errors import UserFacingError
from bot.models import Blocker, Milestone
from bot.projects.blockers import add_blocker
from bot.projects.milestones import complete_milestone, find_milestone, move_milestone
from bot.projects.ownership import Assignment, assign_milestone
from bot.projects.project import person_for, record_audit
from bot.proposals.offers import Offer, current_snapshot, due_of, offer_again
from bot.proposals.requests import ChangeKind
from bot.proposals.tables import Proposal, ProposalStatus
from bot.reminders.content import ASKED_FOR_OCCURRENCE_PREFIX
from bot.reminders.planning import plan_delivery


class Verdict(enum.StrEnum):
    """What pressing Confirm or Cancel did."""

    APPLIED = "applied"  # the change was made
    CANCELLED = "cancelled"  # the proposal was cancelled
    NOT_YOURS = "not_yours"  # someone else asked for it: refused, nothing changed
    OUT_OF_DATE = "out_of_date"  # no such pending proposal here (forged, superseded or deleted)
    ALREADY_CONFIRMED = "already_confirmed"
    ALREADY_CANCELLED = "already_cancelled"
    EXPIRED = "expired"
    ASKED_AGAIN = "asked_again"  # the record changed: a new proposal on its current state
    NO_LONGER_POSSIBLE = "no_longer_possible"  # the record changed and the change makes no sense now


@dataclass(frozen=True)
class Decision:
    """The outcome of a Confirm or Cancel (for the Slack side to render, in the same session).

    Attributes:
        verdict: What happened.
        kind: What the proposal would do (None when no proposal was found).
        requester: Who asked for it.
        offer: For ASKED_AGAIN: the new proposal.
        message: For NO_LONGER_POSSIBLE: why, naming the record's current state.
        milestone: The milestone changed (done, move, remind).
        changed: Whether the feature function changed anything (done twice is done once).
        previous_due: A move's previous due time.
        assignment: An assignment's result.
        blocker: The blocker raised.
        remind_at: When the reminder will come.
    """

    verdict: Verdict
    kind: ChangeKind | None = None
    requester: str | None = None
    offer: Offer | None = None
    message: str = ""
    milestone: Milestone | None = None
    changed: bool = False
    previous_due: datetime | None = None
    assignment: Assignment | None = None
    blocker: Blocker | None = None
    remind_at: datetime | None = None


def confirm_proposal(
    session: Session, actor: Actor, token: str, now: datetime, *, reminders: ReminderPolicy
) -> Decision:
    """Confirm a proposal for `actor`: do the change if it is theirs, current and unexpired.

    Args:
        session: The click's transaction (the caller commits, or rolls back on UserFacingError).
        actor: Who pressed Confirm.
        token: The button's value.
        now: The current instant.
        reminders: The settings' reminder defaults (replanning after the change).

    Returns:
        What happened.

    Raises:
        UserFacingError: The feature function refused the change (the permission is checked again).
    """
    proposal = _load(session, actor, token)
    if isinstance(proposal, Decision):
        return proposal
    kind = ChangeKind(proposal.kind)
    status = ProposalStatus(proposal.status)
    if status != ProposalStatus.PENDING:
        return _settled(proposal, status)
    if now >= proposal.expires_at:
        return Decision(Verdict.EXPIRED, kind, proposal.requester)
    try:
        current = current_snapshot(session, actor, kind, proposal.target)
    except UserFacingError as error:
        _supersede(proposal, now)
        return Decision(Verdict.NO_LONGER_POSSIBLE, kind, proposal.requester, message=error.message)
    if current != json.loads(proposal.snapshot):
        try:
            offer = offer_again(session, actor, proposal, now)
            return Decision(Verdict.ASKED_AGAIN, kind, proposal.requester, offer=offer)
        except UserFacingError as error:
            _supersede(proposal, now)
            return Decision(Verdict.NO_LONGER_POSSIBLE, kind, proposal.requester, message=error.message)
    claimed = session.execute(
        update(Proposal)
        .where(Proposal.id == proposal.id, Proposal.status == ProposalStatus.PENDING)
        .values(status=ProposalStatus.CONFIRMED, decided_at=now)
        .execution_options(synchronize_session=False)
    )
    if not getattr(claimed, "rowcount", 0):
        # Another Confirm of the same proposal won (a double click on another instance).
        return Decision(Verdict.ALREADY_CONFIRMED, kind, proposal.requester)
    return _apply(session, actor, proposal, kind, now, reminders)


def cancel_proposal(session: Session, actor: Actor, token: str, now: datetime) -> Decision:
    """Cancel a proposal for `actor`, if it is theirs and still pending. Nothing else changes."""
    proposal = _load(session, actor, token)
    if isinstance(proposal, Decision):
        return proposal
    status = ProposalStatus(proposal.status)
    if status != ProposalStatus.PENDING:
        return _settled(proposal, status)
    cancelled = session.execute(
        update(Proposal)
        .where(Proposal.id == proposal.id, Proposal.status == ProposalStatus.PENDING)
        .values(status=ProposalStatus.CANCELLED, decided_at=now)
        .execution_options(synchronize_session=False)
    )
    if not getattr(cancelled, "rowcount", 0):
        return Decision(Verdict.ALREADY_CONFIRMED, ChangeKind(proposal.kind), proposal.requester)
    return Decision(Verdict.CANCELLED, ChangeKind(proposal.kind), proposal.requester)


def _load(session: Session, actor: Actor, token: str) -> Proposal | Decision:
    """The proposal a button names, if the clicker may decide it; else the refusal."""
    proposal = (
        session.scalars(
            select(Proposal)
            .where(Proposal.token == token, Proposal.workspace_id == actor.workspace_id)
            .with_for_update()
        ).first()
        if token and len(token) <= 64
        else None
    )
    if proposal is None:
        return Decision(Verdict.OUT_OF_DATE)
    if proposal.requester != actor.slack_id:
        return Decision(Verdict.NOT_YOURS, ChangeKind(proposal.kind), proposal.requester)
    return proposal


def _settled(proposal: Proposal, status: ProposalStatus) -> Decision:
    verdict = {
        ProposalStatus.CONFIRMED: Verdict.ALREADY_CONFIRMED,
        ProposalStatus.CANCELLED: Verdict.ALREADY_CANCELLED,
    }.get(status, Verdict.OUT_OF_DATE)
    return Decision(verdict, ChangeKind(proposal.kind), proposal.requester)


def _supersede(proposal: Proposal, now: datetime) -> None:
    proposal.status = ProposalStatus.SUPERSEDED
    proposal.decided_at = now


def _apply(
    session: Session,
    actor: Actor,
    proposal: Proposal,
    kind: ChangeKind,
    now: datetime,
    reminders: ReminderPolicy,
) -> Decision:
    params = json.loads(proposal.params)
    done = Decision(Verdict.APPLIED, kind, proposal.requester)
    ref = proposal.target
    if kind == ChangeKind.DONE:
        milestone, changed = complete_milestone(session, actor, ref, now)
        return replace(done, milestone=milestone, changed=changed)
    if kind == ChangeKind.MOVE:
        moved, previous = move_milestone(session, actor, ref, due_of(proposal), now, reminders=reminders)
        return replace(done, milestone=moved, previous_due=previous, changed=True)
    if kind == ChangeKind.ASSIGN:
        assignment = assign_milestone(session, actor, ref, str(params["person"]), now, reminders=reminders)
        return replace(done, assignment=assignment, changed=assignment.changed)
    if kind == ChangeKind.BLOCKER:
        blocker = add_blocker(session, actor, ref, str(params["text"]), now)
        return replace(done, blocker=blocker, changed=True)
    milestone = find_milestone(session, actor, ref)
    at = datetime.fromisoformat(params["at"])
    plan_personal_reminder(session, actor, milestone, proposal.id, at, now)
    return replace(done, milestone=milestone, remind_at=at, changed=True)


def plan_personal_reminder(
    session: Session, actor: Actor, milestone: Milestone, proposal_id: int, at: datetime, now: datetime
) -> None:
    """Plan a reminder about a milestone for the actor at `at`, audited like any other change.

    It is a delivery of the kind a reminder's Snooze plans (a DM about the milestone to one person,
    with its buttons), keyed by the proposal, so confirming it again plans nothing more. Like a snooze
    it is dropped if the milestone moves or is done before it is sent. It is sent at the time asked
    for, even in quiet hours: the asker chose it.
    """
    person = person_for(session, actor)
    occurrence = f"{ASKED_FOR_OCCURRENCE_PREFIX}{proposal_id}"
    plan = PlannedDelivery(
        kind=DeliveryKind.SNOOZE,
        key=f"m{milestone.id}:{DeliveryKind.SNOOZE}:{occurrence}",
        series=f"m{milestone.id}:{DeliveryKind.SNOOZE}",
        occurrence=occurrence,
        send_at=at,
        zone=actor.zone.key,
        nominal_at=at,
        recipient_id=person.id,
        milestone_id=milestone.id,
        project_id=milestone.project_id,
        basis_due_at=milestone.due_at,
    )
    plan_delivery(session, actor.workspace_id, plan, now)
    record_audit(
        session,
        actor,
        "remind",
        "milestone",
        milestone.id,
        now,
        ref=f"{milestone.project.key}-{milestone.number}",
        at=at.isoformat(),
    )
