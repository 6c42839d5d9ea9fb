"""Planning the delivery ledger: plan, replan and cancel reminder deliveries as milestones, projects,
people and policies change.

Every function takes the caller's `session` (the caller commits) and `now`. Replanning writes only rows
that are still `planned` (conditional updates), so it never races a claimer; a claimed row is checked
against the milestone again just before it is sent (`bot.reminders.content`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, and_, event, or_, select, update
from sqlalchemy.orm import Mapper, Session, selectinload

from bot.clock import SystemClock
from bot.domain.reminders import (
    RECURRING_KINDS,
    DeliveryKind,
    MilestoneFacts,
    PlannedDelivery,
    ReminderPolicy,
    plan_digest,
    plan_milestone,
    plan_waiting,
)
from bot.models import DeliveryStatus, Milestone, MilestoneStatus, Person, Project, ProjectStatus, Workspace
from bot.reminders.delivery_table import DELIVERIES as D
from bot.reminders.delivery_table import PLANNED, cancel_planned, insert_planned, refresh_planned
from bot.reminders.policy import PolicyBook, load_policy_book


def person_zone(person: Person | None, workspace_zone: str) -> str:
    """A person's zone from their Slack profile, else the workspace zone."""
    return (person.timezone if person is not None and person.timezone else None) or workspace_zone


def milestone_facts(milestone: Milestone, workspace_zone: str) -> MilestoneFacts:
    """What planning needs from a milestone, its owner, its project's lead and channel.

    An owner who may not see the project (a private one they are not on: imported so, say) is
    treated as no owner: nobody is reminded about a project they cannot see, and its escalations
    still reach the lead.
    """
    project = milestone.project
    owner_id = milestone.owner_id
    if owner_id is not None and project.private and all(m.person_id != owner_id for m in project.memberships):
        owner_id = None
    return MilestoneFacts(
        milestone_id=milestone.id,
        project_id=project.id,
        due_at=milestone.due_at,
        due_zone=milestone.due_timezone,
        is_open=milestone.status == MilestoneStatus.OPEN and project.status != ProjectStatus.DONE,
        owner_id=owner_id,
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
    if project.archived_at is not None or milestone.deleted_at is not None:
        # Archived projects and deleted milestones get nothing; restoring or undoing replans.
        cancel_for_milestone(
            session, milestone.id, now, "archived" if milestone.deleted_at is None else "deleted"
        )
        return
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
                refresh_planned(session, row.id, row.status, plan, now)
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
            cancel_planned(session, [row.id], now, "replanned: no longer applies")
        elif kind == DeliveryKind.LEAD_TIME and row.recipient_id != facts.owner_id:
            session.execute(
                update(D)
                .where(D.c.id == row.id, D.c.status == PLANNED)
                .values(recipient_id=facts.owner_id, updated_at=now)
            )
    insert_planned(session, workspace.id, [p for key, p in desired.items() if key not in present], now)


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
                if project.status != ProjectStatus.DONE and project.archived_at is None
                else None
            )
        policy = book.for_project(None)
        owners = set(
            session.scalars(
                select(Milestone.owner_id)
                .join(Project)
                .where(
                    Project.workspace_id == workspace.id,
                    Project.archived_at.is_(None),
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
                    refresh_planned(session, row.id, DeliveryStatus(row.status), plan, now)
            elif row.status == PLANNED and row.send_at > now:
                cancel_planned(session, [row.id], now, "replanned: no longer applies")
        if plan is not None and not found:
            new.append(plan)
    insert_planned(session, workspace_id, new, now)
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
    insert_planned(session, workspace_id, [plan], now)
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
        refresh_planned(session, row.id, status, plan, now)
    return int(row.id)
