"""The delivery ledger's table and the row writes its planning and settling share.

Every reminder Liaison sends is first a `reminder_delivery` row. Rows move planned → claimed → sent,
or to failed / expired / cancelled; `bot.reminders.planning` plans and replans them,
`bot.reminders.claims` claims them for a tick and `bot.reminders.outcomes` settles them. Every function
takes the caller's `session` (the caller commits) and `now`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, case, func, literal, or_, update
from sqlalchemy.orm import Session

from bot.db import UTCDateTime, insert_ignoring_conflicts
from bot.domain.reminders import PlannedDelivery
from bot.models import DeliveryStatus, ReminderDelivery

# Core table: bulk and conditional statements without loading ORM objects.
DELIVERIES = cast(Table, ReminderDelivery.__table__)
PLANNED = DeliveryStatus.PLANNED
CLAIMED = DeliveryStatus.CLAIMED


def claim_assignments(
    table: Table, *, token: str, claimer: str, now: datetime, lease: timedelta
) -> dict[str, Any]:
    """The SET clause that claims rows of a leased delivery ledger (reminders, the change feed).

    Both ledgers share these columns: the claim token and claimer, the lease, the attempt count, and
    whether an earlier claimer may already have posted (a row taken over from an expired lease).

    Args:
        table: The ledger's Core table.
        token: This claim's token (only its holder may settle the rows).
        claimer: Who claims (process name), cut to the column's 80 characters.
        now: The current instant.
        lease: How long the claim holds.
    """
    c = table.c
    return {
        "status": CLAIMED,
        "claim_token": token,
        "claimed_by": claimer[:80],
        "lease_expires_at": now + lease,
        "attempts": c.attempts + 1,
        # SET expressions see the row as it was: a row taken over from an expired lease may have been
        # posted by its previous claimer, before that lease expired.
        "uncertain": or_(c.uncertain, c.status == CLAIMED),
        "ambiguous_at": case((c.status == CLAIMED, c.lease_expires_at), else_=c.ambiguous_at),
        "first_attempt_at": func.coalesce(c.first_attempt_at, as_instant(now)),
        "updated_at": now,
    }


def as_instant(moment: datetime) -> Any:
    """`moment` as a bound UTC instant, for use where no column gives it its type.

    A bound instant outside a comparison with a column must be told its type, or it would reach the
    driver as an aware datetime instead of naive UTC.
    """
    return literal(moment, type_=UTCDateTime())


def refresh_planned(
    session: Session, row_id: int, status: DeliveryStatus, plan: PlannedDelivery, now: datetime
) -> None:
    """Bring a planned (or cancelled, which restarts it) row in line with `plan`.

    Only changes the row while it still has `status`, so it never races a claimer.
    """
    values: dict[str, Any] = dict(
        send_at=plan.send_at,
        nominal_at=plan.nominal_at,
        send_zone=plan.zone,
        recipient_id=plan.recipient_id,
        channel_id=plan.channel_id,
        basis_due_at=plan.basis_due_at,
        updated_at=now,
    )
    if status == DeliveryStatus.CANCELLED:
        # A cancelled reminder that applies again (moved back, digest turned on again) starts afresh.
        values.update(
            status=PLANNED,
            not_before=plan.send_at,
            attempts=0,
            ambiguous_attempts=0,
            uncertain=False,
            ambiguous_at=None,
            found_in_history=False,
            last_error=None,
            claim_token=None,
            lease_expires_at=None,
            first_attempt_at=None,
            sent_at=None,
            slack_ts=None,
            slack_channel=None,
            acted_by=None,
            action=None,
            acted_at=None,
        )
    else:
        # A row waiting for a retry keeps its retry time.
        values["not_before"] = case(
            (DELIVERIES.c.attempts == 0, as_instant(plan.send_at)), else_=DELIVERIES.c.not_before
        )
    session.execute(
        update(DELIVERIES).where(DELIVERIES.c.id == row_id, DELIVERIES.c.status == status).values(**values)
    )


def cancel_planned(session: Session, ids: Sequence[int], now: datetime, reason: str) -> None:
    """Cancel those of `ids` that are still planned (a claimed row is left to its claimer)."""
    session.execute(
        update(DELIVERIES)
        .where(DELIVERIES.c.id.in_(list(ids)), DELIVERIES.c.status == PLANNED)
        .values(status=DeliveryStatus.CANCELLED, last_error=reason, updated_at=now)
    )


def insert_planned(
    session: Session, workspace_id: int, plans: Iterable[PlannedDelivery], now: datetime
) -> None:
    """Insert planned rows, skipping keys that already have a row (planned by anyone, in any state)."""
    rows = [
        dict(
            workspace_id=workspace_id,
            key=p.key,
            series=p.series,
            kind=p.kind,
            occurrence=p.occurrence,
            milestone_id=p.milestone_id,
            project_id=p.project_id,
            recipient_id=p.recipient_id,
            channel_id=p.channel_id,
            send_at=p.send_at,
            send_zone=p.zone,
            nominal_at=p.nominal_at,
            basis_due_at=p.basis_due_at,
            not_before=p.send_at,
            status=PLANNED,
            attempts=0,
            ambiguous_attempts=0,
            uncertain=False,
            found_in_history=False,
            created_at=now,
            updated_at=now,
        )
        for p in plans
    ]
    if not rows:
        return
    # ON CONFLICT DO NOTHING: another transaction (a second process's planner, a double click) may
    # plan the same key at the same moment; the unique key keeps one row and neither fails.
    insert_ignoring_conflicts(session, DELIVERIES, rows, index_elements=["key"])
