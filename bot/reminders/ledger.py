"""The delivery ledger: plan, replan, cancel, claim and settle reminder deliveries.

Every function takes the caller's `session` (the caller commits) and `now`. Rows move
planned → claimed → sent, or to failed / expired / cancelled. Two rules keep delivery exactly-once:

- A row is claimed by one atomic statement that sets a fresh claim token and a lease. On PostgreSQL
  the candidates are picked with `FOR UPDATE SKIP LOCKED`, so any number of processes can claim at
  once without waiting on or taking each other's rows; SQLite serialises writers itself, so the same
  single UPDATE is atomic there too.
- A row is settled only by the holder of its claim token while it is still claimed. A claimer whose
  lease ran out (crash, stall) loses the row to the next claimer, which first looks in Slack for the
  message the lost attempt may have posted (`uncertain`).

Replanning writes only rows that are still `planned` (conditional updates), so it never races a
claimer; a claimed row is checked against the milestone again just before it is sent.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast
from uuid import uuid4
from zoneinfo import ZoneInfo

from sqlalchemy import (
    Boolean,
    Connection,
    Integer,
    String,
    Table,
    Text,
    and_,
    bindparam,
    case,
    column,
    event,
    exists,
    func,
    insert,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapper, Session, selectinload

from bot.clock import SystemClock
from bot.db import UTCDateTime
from bot.domain.reminders import (
    RECURRING_KINDS,
    DeliveryKind,
    MilestoneFacts,
    PlannedDelivery,
    ReminderPolicy,
    failure_report,
    plan_digest,
    plan_milestone,
    plan_waiting,
)
from bot.models import (
    DeliveryStatus,
    Milestone,
    MilestoneStatus,
    Person,
    Project,
    ProjectStatus,
    ReminderDelivery,
    Workspace,
)
from bot.reminders.policy import PolicyBook, load_policy_book

logger = logging.getLogger(__name__)

# Core table: bulk and conditional statements without loading ORM objects.
D = cast(Table, ReminderDelivery.__table__)
_NEWER = D.alias("newer")
PLANNED = DeliveryStatus.PLANNED
CLAIMED = DeliveryStatus.CLAIMED


@dataclass(frozen=True)
class Claim:
    """A delivery this process holds (until `lease_expires_at`) and must send or settle."""

    id: int
    token: str
    key: str
    kind: DeliveryKind
    workspace_id: int
    milestone_id: int | None
    project_id: int | None
    recipient_id: int | None
    channel_id: str | None
    occurrence: str
    send_at: datetime
    basis_due_at: datetime | None
    attempts: int
    uncertain: bool
    first_attempt_at: datetime
    slack_channel: str | None


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
    """

    delivery_id: int
    status: DeliveryStatus
    ts: str | None = None
    slack_channel: str | None = None
    error: str | None = None
    not_before: datetime | None = None
    ambiguous: bool = False
    reconciled: bool = False


# -- planning --------------------------------------------------------------------------------------


def person_zone(person: Person | None, workspace_zone: str) -> str:
    """A person's zone from their Slack profile, else the workspace zone."""
    return (person.timezone if person is not None and person.timezone else None) or workspace_zone


def milestone_facts(milestone: Milestone, workspace_zone: str) -> MilestoneFacts:
    """What planning needs from a milestone, its owner, its project's lead and channel."""
    project = milestone.project
    return MilestoneFacts(
        milestone_id=milestone.id,
        project_id=project.id,
        due_at=milestone.due_at,
        due_zone=milestone.due_timezone,
        is_open=milestone.status == MilestoneStatus.OPEN and project.status != ProjectStatus.DONE,
        owner_id=milestone.owner_id,
        owner_zone=person_zone(milestone.owner, workspace_zone),
        lead_id=project.lead_id,
        lead_zone=person_zone(project.lead, workspace_zone),
        channel_id=project.channel_id,
        workspace_zone=workspace_zone,
    )


def replan_milestone(
    session: Session,
    milestone: Milestone,
    now: datetime,
    *,
    defaults: ReminderPolicy | None = None,
    book: PolicyBook | None = None,
) -> None:
    """Bring a milestone's pending deliveries in line with it (after add, move, reassign, done…).

    Planned rows whose meaning changed are cancelled (a moved milestone's old reminders, a done
    milestone's everything), rows that still apply get the current send time and recipient, and
    missing ones are added. Rows already claimed are left to their claimer, who checks the milestone
    again before sending. Missed rows (send time passed, still planned) of an unchanged milestone are
    kept: the tick sends them within the grace window or expires them. Nothing is planned for a
    workspace Slack disconnected (`Workspace.connected`); its reinstall replans everything.

    Args:
        session: The transaction that changed the milestone.
        milestone: The milestone (flushed, with its project loaded or loadable).
        now: The current instant.
        defaults: Settings defaults (`Settings.reminder_policy`); the built-in defaults if None.
        book: The workspace's policies, when the caller replans many milestones.
    """
    project = milestone.project
    workspace = session.get(Workspace, project.workspace_id)
    assert workspace is not None
    if not workspace.connected:
        # Its pending deliveries were cancelled when Slack took the token back; a reinstall replans.
        return
    book = book or load_policy_book(session, workspace.id, defaults or ReminderPolicy())
    facts = milestone_facts(milestone, workspace.timezone)
    desired = {p.key: p for p in plan_milestone(facts, book.for_project(project.id), now)}
    rows = session.execute(
        select(D.c.id, D.c.key, D.c.kind, D.c.status, D.c.basis_due_at, D.c.send_at, D.c.recipient_id).where(
            or_(
                and_(D.c.milestone_id == milestone.id, D.c.status.in_([PLANNED, DeliveryStatus.CANCELLED])),
                D.c.key.in_(list(desired)),
            )
        )
    ).all()
    due = facts.due_at.astimezone(UTC)
    present: set[str] = set()
    for row in rows:
        plan = desired.get(row.key)
        if plan is not None:
            present.add(row.key)
            if row.status in (PLANNED, DeliveryStatus.CANCELLED):
                _refresh(session, row.id, row.status, plan, now)
            continue
        if row.status != PLANNED:
            continue
        kind = DeliveryKind(row.kind)
        still_valid = (
            facts.is_open and row.basis_due_at == due and (kind == DeliveryKind.SNOOZE or row.send_at <= now)
        )
        if kind == DeliveryKind.LEAD_TIME and facts.owner_id is None:
            still_valid = False
        if not still_valid:
            _cancel_rows(session, [row.id], now, "replanned: no longer applies")
        elif kind == DeliveryKind.LEAD_TIME and row.recipient_id != facts.owner_id:
            session.execute(
                update(D)
                .where(D.c.id == row.id, D.c.status == PLANNED)
                .values(recipient_id=facts.owner_id, updated_at=now)
            )
    _insert_planned(session, workspace.id, [p for key, p in desired.items() if key not in present], now)


def cancel_for_milestone(session: Session | Connection, milestone_id: int, now: datetime, reason: str) -> int:
    """Cancel every planned delivery of a milestone (done, deleted).

    Returns:
        How many rows were cancelled.
    """
    result = session.execute(
        update(D)
        .where(D.c.milestone_id == milestone_id, D.c.status == PLANNED)
        .values(status=DeliveryStatus.CANCELLED, last_error=reason, updated_at=now)
    )
    return int(getattr(result, "rowcount", 0) or 0)


@event.listens_for(Milestone, "before_delete")
def _cancel_deliveries_of_deleted_milestone(
    _mapper: Mapper[Milestone], connection: Connection, target: Milestone
) -> None:
    # Runs inside the deleting flush, so the cancellation commits or rolls back with the delete. The
    # foreign key's SET NULL would otherwise leave planned rows that only the tick's check catches.
    cancel_for_milestone(connection, target.id, SystemClock().now(), "milestone deleted")


def replan_project(session: Session, project: Project, now: datetime, *, defaults: ReminderPolicy) -> None:
    """Replan every milestone of a project and its digest (after its policy, lead or channel changed)."""
    workspace = session.get(Workspace, project.workspace_id)
    assert workspace is not None
    book = load_policy_book(session, project.workspace_id, defaults)
    for milestone in project.milestones:
        if milestone.status == MilestoneStatus.OPEN:
            replan_milestone(session, milestone, now, book=book)
        else:
            cancel_for_milestone(session, milestone.id, now, "milestone done")
    plan_recurring(session, now, defaults=defaults, workspace_ids=[project.workspace_id])


def replan_workspace(session: Session, workspace_id: int, now: datetime, *, defaults: ReminderPolicy) -> None:
    """Replan every milestone and recurring digest of a workspace (after an import or policy change)."""
    book = load_policy_book(session, workspace_id, defaults)
    milestones = session.scalars(
        select(Milestone)
        .join(Project)
        .where(Project.workspace_id == workspace_id)
        .options(selectinload(Milestone.owner), selectinload(Milestone.project).selectinload(Project.lead))
    ).all()
    for milestone in milestones:
        if milestone.status == MilestoneStatus.OPEN:
            replan_milestone(session, milestone, now, book=book)
        else:
            cancel_for_milestone(session, milestone.id, now, "milestone done")
    plan_recurring(session, now, defaults=defaults, workspace_ids=[workspace_id])


def replan_person(session: Session, person: Person, now: datetime, *, defaults: ReminderPolicy) -> None:
    """Replan what is sent to a person on their wall clock (after their time zone changed)."""
    book = load_policy_book(session, person.workspace_id, defaults)
    milestones = session.scalars(
        select(Milestone)
        .join(Project)
        .where(
            Milestone.status == MilestoneStatus.OPEN,
            or_(Milestone.owner_id == person.id, Project.lead_id == person.id),
        )
    ).all()
    for milestone in milestones:
        replan_milestone(session, milestone, now, book=book)
    plan_recurring(session, now, defaults=defaults, workspace_ids=[person.workspace_id])


def plan_recurring(
    session: Session, now: datetime, *, defaults: ReminderPolicy, workspace_ids: Sequence[int] | None = None
) -> int:
    """Make sure each weekly project digest and daily "waiting on you" DM has its next occurrence planned.

    Only the next future occurrence of each series is planned; future occurrences that no longer apply
    (digest turned off, the project has no channel, a person opted out or owns nothing open) are
    cancelled. Workspaces Slack disconnected (uninstalled, token revoked) are skipped. Safe to run
    from any number of processes at once: inserts skip existing keys.

    Args:
        session: Open transaction.
        now: The current instant.
        defaults: Settings defaults.
        workspace_ids: Limit to these workspaces (all when None).

    Returns:
        How many new rows were planned.
    """
    query = select(Workspace).where(Workspace.disconnected_at.is_(None))
    if workspace_ids is not None:
        query = query.where(Workspace.id.in_(list(workspace_ids)))
    planned = 0
    for workspace in session.scalars(query).all():
        book = load_policy_book(session, workspace.id, defaults)
        wanted: dict[str, PlannedDelivery | None] = {}
        projects = session.scalars(select(Project).where(Project.workspace_id == workspace.id)).all()
        for project in projects:
            series = f"p{project.id}:{DeliveryKind.DIGEST}"
            wanted[series] = (
                plan_digest(
                    project_id=project.id,
                    channel_id=project.channel_id,
                    zone=ZoneInfo(workspace.timezone),
                    policy=book.for_project(project.id),
                    now=now,
                )
                if project.status != ProjectStatus.DONE
                else None
            )
        policy = book.for_project(None)
        owners = set(
            session.scalars(
                select(Milestone.owner_id)
                .join(Project)
                .where(
                    Project.workspace_id == workspace.id,
                    Milestone.status == MilestoneStatus.OPEN,
                    Milestone.owner_id.is_not(None),
                )
            ).all()
        )
        people = session.scalars(select(Person).where(Person.workspace_id == workspace.id)).all()
        for person in people:
            series = f"u{person.id}:{DeliveryKind.WAITING}"
            eligible = person.id in owners and not person.waiting_digest_opt_out
            wanted[series] = (
                plan_waiting(
                    person_id=person.id,
                    zone=ZoneInfo(person_zone(person, workspace.timezone)),
                    policy=policy,
                    now=now,
                )
                if eligible
                else None
            )
        planned += _sync_series(session, workspace.id, wanted, now)
    return planned


def _sync_series(
    session: Session, workspace_id: int, wanted: dict[str, PlannedDelivery | None], now: datetime
) -> int:
    existing = session.execute(
        select(D.c.id, D.c.key, D.c.series, D.c.status, D.c.send_at, D.c.recipient_id, D.c.channel_id).where(
            D.c.workspace_id == workspace_id,
            D.c.kind.in_(list(RECURRING_KINDS)),
            or_(
                and_(D.c.status == PLANNED, D.c.send_at > now),
                D.c.key.in_([p.key for p in wanted.values() if p is not None]),
            ),
        )
    ).all()
    by_series: dict[str, list[Any]] = defaultdict(list)
    for row in existing:
        by_series[row.series].append(row)
    new: list[PlannedDelivery] = []
    for series, plan in wanted.items():
        rows = by_series.get(series, [])
        found = False
        for row in rows:
            if plan is not None and row.key == plan.key:
                found = True
                if row.status == DeliveryStatus.CANCELLED or (
                    row.status == PLANNED
                    and (row.send_at, row.recipient_id, row.channel_id)
                    != (plan.send_at, plan.recipient_id, plan.channel_id)
                ):
                    _refresh(session, row.id, DeliveryStatus(row.status), plan, now)
            elif row.status == PLANNED and row.send_at > now:
                _cancel_rows(session, [row.id], now, "replanned: no longer applies")
        if plan is not None and not found:
            new.append(plan)
    _insert_planned(session, workspace_id, new, now)
    return len(new)


def plan_delivery(
    session: Session,
    workspace_id: int,
    plan: PlannedDelivery,
    now: datetime,
    *,
    restart_finished: bool = False,
) -> int:
    """Plan one delivery (a snooze, a failure report): insert it, or update it while still pending.

    Args:
        session: Open transaction.
        workspace_id: Its workspace.
        plan: What to deliver, when.
        now: The current instant.
        restart_finished: Plan it again even if it was already sent (or expired or failed): a snooze
            pressed again on a message whose earlier snooze has fired is a new request.

    Returns:
        The row's id.
    """
    _insert_planned(session, workspace_id, [plan], now)
    row = session.execute(select(D.c.id, D.c.status).where(D.c.key == plan.key)).one()
    status = DeliveryStatus(row.status)
    if restart_finished and status in (DeliveryStatus.SENT, DeliveryStatus.EXPIRED, DeliveryStatus.FAILED):
        status = DeliveryStatus.CANCELLED  # restarted like a cancelled row: fresh attempts, no old ts
        session.execute(
            update(D)
            .where(D.c.id == row.id, D.c.status == row.status)
            .values(status=DeliveryStatus.CANCELLED)
        )
    if status in (PLANNED, DeliveryStatus.CANCELLED):
        _refresh(session, row.id, status, plan, now)
    return int(row.id)


def _refresh(
    session: Session, row_id: int, status: DeliveryStatus, plan: PlannedDelivery, now: datetime
) -> None:
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
        values["not_before"] = case((D.c.attempts == 0, _instant(plan.send_at)), else_=D.c.not_before)
    session.execute(update(D).where(D.c.id == row_id, D.c.status == status).values(**values))


def _cancel_rows(session: Session, ids: Sequence[int], now: datetime, reason: str) -> None:
    session.execute(
        update(D)
        .where(D.c.id.in_(list(ids)), D.c.status == PLANNED)
        .values(status=DeliveryStatus.CANCELLED, last_error=reason, updated_at=now)
    )


def _insert_planned(
    session: Session, workspace_id: int, plans: Iterable[PlannedDelivery], now: datetime
) -> None:
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
            created_at=now,
            updated_at=now,
        )
        for p in plans
    ]
    if not rows:
        return
    # ON CONFLICT DO NOTHING: another transaction (a second process's planner, a double click) may
    # plan the same key at the same moment; the unique key keeps one row and neither fails.
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        session.execute(postgresql.insert(D).on_conflict_do_nothing(index_elements=["key"]), rows)
    elif dialect == "sqlite":
        session.execute(sqlite.insert(D).on_conflict_do_nothing(index_elements=["key"]), rows)
    else:  # pragma: no cover - only SQLite and PostgreSQL are supported
        session.execute(insert(D), rows)


# -- the tick's side ---------------------------------------------------------------------------


def expire_stale(session: Session, now: datetime, *, grace: timedelta, retry_window: timedelta) -> list[int]:
    """Settle rows that must not be sent any more; runs before each claim.

    - Never-attempted rows more than `grace` past their send time are expired (after downtime).
    - Planned occurrences of a recurring digest with a newer occurrence already due are expired:
      after downtime only the latest digest is sent.
    - Rows still failing `retry_window` after their first attempt become failed.

    Returns:
        The ids of rows that became failed (their project leads get a report).
    """
    expired_late = _unlocked(session, D.c.status == PLANNED, D.c.attempts == 0, D.c.send_at < now - grace)
    session.execute(
        update(D)
        .where(D.c.id.in_(expired_late), D.c.status == PLANNED)
        .values(
            status=DeliveryStatus.EXPIRED, last_error="missed by more than the grace window", updated_at=now
        )
    )
    superseded = _unlocked(
        session,
        D.c.status == PLANNED,
        D.c.kind.in_(list(RECURRING_KINDS)),
        exists().where(
            _NEWER.c.series == D.c.series, _NEWER.c.send_at > D.c.send_at, _NEWER.c.send_at <= now
        ),
    )
    session.execute(
        update(D)
        .where(D.c.id.in_(superseded), D.c.status == PLANNED)
        .values(status=DeliveryStatus.EXPIRED, last_error="superseded by a later occurrence", updated_at=now)
    )
    given_up = _unlocked(
        session,
        or_(D.c.status == PLANNED, and_(D.c.status == CLAIMED, D.c.lease_expires_at < now)),
        D.c.attempts > 0,
        D.c.first_attempt_at < now - retry_window,
    )
    failed = session.execute(
        update(D)
        .where(D.c.id.in_(given_up))
        .values(status=DeliveryStatus.FAILED, updated_at=now, claim_token=None)
        .returning(D.c.id)
    )
    return [int(i) for i in failed.scalars()]


def _unlocked(session: Session, *criteria: Any) -> Any:
    """Ids matching `criteria`, skipping rows another transaction holds (PostgreSQL).

    Housekeeping runs in every process at every tick; skipping locked rows means it never waits on
    (or deadlocks with) a claimer or a replanning request; what it skips, the next tick settles.
    """
    query = select(D.c.id).where(*criteria)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return query.scalar_subquery()


def claim_due(
    session: Session, now: datetime, *, limit: int, lease: timedelta, claimer: str, grace: timedelta
) -> list[Claim]:
    """Claim up to `limit` due deliveries for this process, atomically.

    Due means planned with `not_before` reached (and, for a first attempt, within the grace window),
    or claimed by someone whose lease has run out. The claim sets a fresh token, the lease, counts the
    attempt, and marks a row taken over from an expired lease as `uncertain` (its earlier attempt may
    have posted). Commit right after: the claim is what other processes see.

    Args:
        session: A fresh transaction.
        now: The current instant.
        limit: At most this many rows.
        lease: How long the claim holds without being extended.
        claimer: Who claims, for the record (host:pid).
        grace: Missed first attempts older than this are not claimed (`expire_stale` expires them).

    Returns:
        The claimed deliveries, oldest first.
    """
    token = uuid4().hex
    due = (
        select(D.c.id)
        .where(
            or_(
                and_(
                    D.c.status == PLANNED,
                    D.c.not_before <= now,
                    or_(D.c.attempts > 0, D.c.send_at >= now - grace),
                ),
                and_(D.c.status == CLAIMED, D.c.lease_expires_at < now),
            )
        )
        .order_by(D.c.not_before)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        # SKIP LOCKED: concurrent claimers take disjoint rows instead of queueing on each other.
        due = due.with_for_update(skip_locked=True)
    picked = due.cte("due")
    result = session.execute(
        update(D)
        .where(D.c.id.in_(select(picked.c.id)))
        .values(
            status=CLAIMED,
            claim_token=token,
            claimed_by=claimer[:80],
            lease_expires_at=now + lease,
            attempts=D.c.attempts + 1,
            # SET expressions see the row as it was: a row taken over from an expired lease may have
            # been posted by its previous claimer.
            uncertain=or_(D.c.uncertain, D.c.status == CLAIMED),
            first_attempt_at=func.coalesce(D.c.first_attempt_at, _instant(now)),
            updated_at=now,
        )
        .returning(
            D.c.id,
            D.c.key,
            D.c.kind,
            D.c.workspace_id,
            D.c.milestone_id,
            D.c.project_id,
            D.c.recipient_id,
            D.c.channel_id,
            D.c.occurrence,
            D.c.send_at,
            D.c.basis_due_at,
            D.c.attempts,
            D.c.uncertain,
            D.c.first_attempt_at,
            D.c.slack_channel,
        )
    )
    claims = [
        Claim(
            id=row.id,
            token=token,
            key=row.key,
            kind=DeliveryKind(row.kind),
            workspace_id=row.workspace_id,
            milestone_id=row.milestone_id,
            project_id=row.project_id,
            recipient_id=row.recipient_id,
            channel_id=row.channel_id,
            occurrence=row.occurrence,
            send_at=row.send_at,
            basis_due_at=row.basis_due_at,
            attempts=row.attempts,
            uncertain=bool(row.uncertain),
            first_attempt_at=row.first_attempt_at,
            slack_channel=row.slack_channel,
        )
        for row in result
    ]
    claims.sort(key=lambda c: (c.send_at, c.id))
    return claims


def extend_leases(session: Session, token: str, until: datetime) -> int:
    """Extend the lease of the rows a claim still holds (called while a long batch is sending).

    Returns:
        How many rows are still held.
    """
    result = session.execute(
        update(D).where(D.c.claim_token == token, D.c.status == CLAIMED).values(lease_expires_at=until)
    )
    return int(getattr(result, "rowcount", 0) or 0)


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
            slack_ts=source["b_ts"], slack_channel=source["b_channel"], sent_at=now, last_error=None
        )
    elif status == PLANNED:
        values.update(
            not_before=source["b_not_before"],
            last_error=source["b_error"],
            uncertain=or_(D.c.uncertain, source["b_uncertain"]),
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


def _instant(moment: datetime) -> Any:
    # A bound instant outside a comparison with a column must be told its type, or it would reach
    # the driver as an aware datetime instead of naive UTC.
    return literal(moment, type_=UTCDateTime())


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
        _insert_planned(session, row.workspace_id, [plan], now)
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
