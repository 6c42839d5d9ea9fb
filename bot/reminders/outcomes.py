"""Settling claimed deliveries: record how each attempt ended, report deliveries that failed for good to
their project's lead, and note who answered a reminder.

Only the holder of a row's claim token settles it (`bot.reminders.claims`); every function takes the
caller's `session` (the caller commits) and `now`.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Boolean, Integer, String, Text, bindparam, column, func, or_, select, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from bot.db import UTCDateTime
from bot.domain.reminders import DeliveryKind, failure_report
from bot.models import DeliveryStatus, Project, Workspace
from bot.reminders.delivery_table import CLAIMED, PLANNED, insert_planned
from bot.reminders.delivery_table import DELIVERIES as D
from bot.reminders.planning import person_zone

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    """How one claimed delivery ended this time.

    Attributes:
        delivery_id: The row.
        status: sent, planned (retry later), failed or cancelled.
        ts: Slack's message timestamp, when sent.
        slack_channel: The conversation it was posted in (a DM's D… id), when sent.
        error: Why it was not sent (Slack's error code, or a reason).
        not_before: When to try again, for a retry.
        ambiguous: The attempt may have reached Slack without an answer (timeout, dropped
            connection): the next attempt looks for the message first.
        reconciled: The message of an earlier, unanswered attempt was found in Slack.
        unanswered_at: When this attempt's post was given up on (set with `ambiguous` on a retry):
            it is not posted again before a lookup a landing window later has not found it.
    """

    delivery_id: int
    status: DeliveryStatus
    ts: str | None = None
    slack_channel: str | None = None
    error: str | None = None
    not_before: datetime | None = None
    ambiguous: bool = False
    reconciled: bool = False
    unanswered_at: datetime | None = None


def record_outcomes(session: Session, token: str, outcomes: Sequence[Outcome], now: datetime) -> list[int]:
    """Write what happened to claimed deliveries; only rows still held by `token` are changed.

    Returns:
        The ids whose claim was lost meanwhile (lease expired and another process took over): their
        message may now be posted twice, which is logged.
    """
    if not outcomes:
        return []
    ids = [o.delivery_id for o in outcomes]
    held_query = select(D.c.id).where(D.c.id.in_(ids), D.c.claim_token == token, D.c.status == CLAIMED)
    if session.get_bind().dialect.name == "postgresql":
        held_query = held_query.with_for_update()
    held = {int(i) for i in session.scalars(held_query)}
    grouped: dict[DeliveryStatus, list[dict[str, Any]]] = defaultdict(list)
    for outcome in outcomes:
        if outcome.delivery_id not in held:
            continue
        grouped[outcome.status].append(
            {
                "b_id": outcome.delivery_id,
                "b_ts": outcome.ts,
                "b_channel": outcome.slack_channel,
                "b_error": outcome.error,
                "b_not_before": outcome.not_before or now,
                "b_ambiguous": 1 if outcome.ambiguous else 0,
                "b_uncertain": outcome.ambiguous,
                "b_unanswered_at": outcome.unanswered_at,
                "b_found": outcome.reconciled,
            }
        )
    postgres = session.get_bind().dialect.name == "postgresql"
    for status, params in grouped.items():
        if postgres:
            # One UPDATE … FROM unnest(arrays) per outcome: a single statement with a fixed shape
            # (compiled once, cached) however many rows are settled.
            arrays: dict[str, Any] = {c.name: [p[c.name] for p in params] for c in _OUTCOME_COLUMNS}
            arrays["b_now"] = now
            session.execute(_SETTLE_BY_ARRAYS[status].where(D.c.claim_token == token), arrays)
        else:
            statement = update(D).where(
                D.c.id == bindparam("b_id"), D.c.claim_token == token, D.c.status == CLAIMED
            )
            binds = {c.name: bindparam(c.name, type_=c.type) for c in _OUTCOME_COLUMNS}
            session.execute(statement.values(**_outcome_values(status, binds, now)), params)
    return sorted(set(ids) - held)


_OUTCOME_COLUMNS = (
    column("b_id", Integer()),
    column("b_ts", String()),
    column("b_channel", String()),
    column("b_error", Text()),
    column("b_not_before", UTCDateTime()),
    column("b_ambiguous", Integer()),
    column("b_uncertain", Boolean()),
    column("b_unanswered_at", UTCDateTime()),
    column("b_found", Boolean()),
)


def _outcome_values(status: DeliveryStatus, source: Any, now: Any) -> dict[str, Any]:
    """The SET clause for settling rows with `status`, reading per-row values from `source`."""
    values: dict[str, Any] = dict(
        status=status,
        claim_token=None,
        lease_expires_at=None,
        updated_at=now,
        ambiguous_attempts=D.c.ambiguous_attempts + source["b_ambiguous"],
    )
    if status == DeliveryStatus.SENT:
        values.update(
            slack_ts=source["b_ts"],
            slack_channel=source["b_channel"],
            sent_at=now,
            last_error=None,
            found_in_history=source["b_found"],
        )
    elif status == PLANNED:
        values.update(
            not_before=source["b_not_before"],
            last_error=source["b_error"],
            uncertain=or_(D.c.uncertain, source["b_uncertain"]),
            # A retry that only looked (and did not post) keeps the time of the unanswered post.
            ambiguous_at=func.coalesce(source["b_unanswered_at"], D.c.ambiguous_at),
        )
    else:
        values.update(last_error=source["b_error"])
    return values


def _settle_by_arrays(status: DeliveryStatus) -> Any:
    """PostgreSQL: settle many rows with one statement whose per-row values come in as arrays."""
    arrays = func.unnest(
        *(bindparam(c.name, type_=postgresql.ARRAY(c.type)) for c in _OUTCOME_COLUMNS)
    ).table_valued(*(c.name for c in _OUTCOME_COLUMNS))
    source = arrays.render_derived(name="outcome")
    now = bindparam("b_now", type_=UTCDateTime())
    return (
        update(D)
        .where(D.c.id == source.c.b_id, D.c.status == CLAIMED)
        .values(**_outcome_values(status, source.c, now))
    )


_SETTLE_BY_ARRAYS = {status: _settle_by_arrays(status) for status in DeliveryStatus}


def plan_failure_reports(session: Session, failed_ids: Sequence[int], now: datetime) -> int:
    """Plan, for each delivery that failed for good, a DM to its project's lead (sent at once).

    Reports about reports are not made, and a project without a lead gets none (the failure is
    logged either way).

    Returns:
        How many reports were planned.
    """
    if not failed_ids:
        return 0
    rows = session.execute(
        select(D.c.id, D.c.workspace_id, D.c.project_id, D.c.kind, D.c.key, D.c.last_error).where(
            D.c.id.in_(list(failed_ids))
        )
    ).all()
    planned = 0
    for row in rows:
        logger.warning("reminder delivery %s (%s) failed for good: %s", row.id, row.key, row.last_error)
        if row.kind == DeliveryKind.FAILURE or row.project_id is None:
            continue
        project = session.get(Project, row.project_id)
        if project is None or project.lead is None:
            continue
        workspace = session.get(Workspace, row.workspace_id)
        assert workspace is not None
        if not workspace.connected:
            continue  # the report could not be delivered either
        plan = failure_report(
            failed_delivery_id=row.id,
            project_id=project.id,
            lead_id=project.lead.id,
            zone=ZoneInfo(person_zone(project.lead, workspace.timezone)),
            now=now,
        )
        insert_planned(session, row.workspace_id, [plan], now)
        planned += 1
    return planned


def record_action(session: Session, delivery_id: int, actor: str, action: str, now: datetime) -> None:
    """Note on a delivery who pressed which button (so a snoozed reminder is not counted as ignored)."""
    session.execute(
        update(D).where(D.c.id == delivery_id).values(acted_by=actor[:32], action=action[:32], acted_at=now)
    )


def ignored_count(session: Session, milestone_id: int, basis_due_at: datetime | None) -> int:
    """Reminders sent to the owner about this due date that nobody answered (a snooze is an answer)."""
    return int(
        session.scalar(
            select(func.count())
            .select_from(D)
            .where(
                D.c.milestone_id == milestone_id,
                D.c.kind.in_([DeliveryKind.LEAD_TIME, DeliveryKind.SNOOZE]),
                D.c.status == DeliveryStatus.SENT,
                D.c.basis_due_at == basis_due_at,
                D.c.action.is_(None),
            )
        )
        or 0
    )
