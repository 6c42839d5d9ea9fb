"""What a claimed delivery says, and whether it should still be sent at all.

`compose` loads everything a batch of claimed deliveries needs in a few queries, checks each against
the current state (a milestone done, moved or deleted since planning cancels its reminders; the
current owner, lead and channel are the recipients) and returns frozen read models that the Block Kit
builders in `bot.slack.reminder_blocks` render. One person's deliveries of a tick are merged into one
`DirectMessage` by `bot.reminders.combining`. Nothing here talks to Slack.
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import desc, func, select
from sqlalchemy.orm import Session, aliased, selectinload

from bot.checkins.content import CheckinSummary, latest_summary
from bot.domain.dates.formatting import DueText, describe_due
from bot.domain.reminders import MILESTONE_KINDS, DeliveryKind, ReminderPolicy, format_clock
from bot.models import (
    AuditEntry,
    DeliveryStatus,
    Milestone,
    MilestoneStatus,
    Person,
    Project,
    ProjectStatus,
    ReminderDelivery,
    Workspace,
)
from bot.projects.reports import MilestoneLine, PersonRef, milestone_line, person_ref
from bot.reminders.claims import Claim
from bot.reminders.outcomes import ignored_count
from bot.reminders.planning import person_zone
from bot.reminders.policy import PolicyBook, load_policy_book

DIGEST_HORIZON = timedelta(days=14)
WAITING_HORIZON = timedelta(days=7)
_LEAD_STEP = "T-"


class ReminderState(enum.StrEnum):
    """What a reminder message is about now: its due date as sent, a new due date, or nothing left to do."""

    CURRENT = "current"  # the milestone is open and due when the reminder was planned for
    MOVED = "moved"  # the milestone was moved since: the message shows the new due date, as upcoming
    DONE = "done"  # the milestone is done: the message says by whom, without buttons


# The occurrence of a reminder someone asked for in conversation (a snooze delivery, keyed "p<proposal id>"
# by bot.proposals): its message says so instead of "Snoozed reminder".
ASKED_FOR_OCCURRENCE_PREFIX = "p"


@dataclass(frozen=True)
class MilestoneReminder:
    """A reminder about one milestone: lead time, snooze, or an escalation step.

    Attributes:
        delivery_id: The delivery (buttons carry it).
        kind: Which reminder.
        milestone: The milestone as it is now.
        project_key: Its project's key (for the Open project button).
        lead: The project's lead.
        zone: The reader's zone (the recipient's, or the workspace's for a channel).
        now: When it is composed (the instant every time in it is relative to).
        lead_time: For a lead-time reminder, how long before the due time (e.g. "7d"; "0" at due).
        ignored: For an escalation, reminders the owner left unanswered (snoozes are answers).
        snooze_at: The local time "Snooze until tomorrow" means (the policy's reminder time).
        state: Whether the milestone is still as the reminder was sent for (redrawn messages).
        done_by: The Slack id of who marked it done (state DONE), if known.
        asked_for: A reminder the reader asked for ("remind me about pcm-2 tomorrow at 9"), not a snooze.
    """

    delivery_id: int
    kind: DeliveryKind
    milestone: MilestoneLine
    project_key: str
    lead: PersonRef | None
    zone: ZoneInfo
    now: datetime
    lead_time: str | None = None
    ignored: int = 0
    snooze_at: str = "09:00"
    state: ReminderState = ReminderState.CURRENT
    done_by: str | None = None
    asked_for: bool = False

    @property
    def due(self) -> DueText:
        """The due time in the reader's zone and its distance from `now`: the one phrase the message uses."""
        return describe_due(self.milestone.due_at, self.now, self.zone)


@dataclass(frozen=True)
class ProjectDigest:
    """The weekly digest of a project for its channel."""

    project_key: str
    project_name: str
    lead: PersonRef | None
    upcoming: tuple[MilestoneLine, ...]
    overdue: tuple[MilestoneLine, ...]
    open_blockers: int
    zone: ZoneInfo
    now: datetime
    checkin: CheckinSummary | None = None  # the latest weekly check-in's summary (bot/checkins)


@dataclass(frozen=True)
class WaitingDigest:
    """The daily "waiting on you" DM: a person's open milestones, overdue or due within a week."""

    person: PersonRef
    items: tuple[MilestoneLine, ...]
    zone: ZoneInfo
    now: datetime


@dataclass(frozen=True)
class FailureNotice:
    """Tells a project lead that a delivery failed for good."""

    what: str
    target: str
    error: str
    milestone: MilestoneLine | None
    zone: ZoneInfo
    now: datetime


@dataclass(frozen=True)
class DirectMessage:
    """Everything due for one person in one tick, as one DM (`bot.reminders.combining`).

    Each milestone is mentioned once: a reminder about it (with its buttons) or, if there is none, a
    line of the "waiting on you" list.

    Attributes:
        reminders: Milestone reminders, one per milestone.
        waiting: The "waiting on you" list without the milestones of `reminders` (None if nothing is left).
        failures: Delivery failures to report (to a project lead).
        keys: The delivery keys the message settles (all carried in its metadata, so that an unanswered
            post is found by any of them).
        more: Reminders left out of `reminders` to keep within Slack's limits, shown as plain lines.
    """

    reminders: tuple[MilestoneReminder, ...]
    waiting: WaitingDigest | None
    failures: tuple[FailureNotice, ...]
    keys: tuple[str, ...]
    more: tuple[MilestoneReminder, ...] = ()


Content = MilestoneReminder | ProjectDigest | WaitingDigest | FailureNotice | DirectMessage


@dataclass(frozen=True)
class Composed:
    """A claimed delivery and what to do with it: send `content` to `target`, or cancel it."""

    claim: Claim
    target: str | None = None
    team_id: str | None = None
    content: Content | None = None
    cancel_reason: str | None = None


@dataclass(frozen=True)
class _Who:
    id: int
    slack_id: str
    name: str
    timezone: str | None
    until: date | None = None  # their last day (`Person.until`)

    @property
    def ref(self) -> PersonRef:
        return PersonRef(self.slack_id, self.name)


@dataclass(frozen=True)
class _MilestoneRow:
    """A milestone with its project, owner and lead, as one row of one query."""

    id: int
    number: int
    title: str
    due_at: datetime
    due_zone: str
    status: MilestoneStatus
    done_at: datetime | None
    project_id: int
    project_key: str
    project_name: str
    channel_id: str | None
    project_done: bool
    owner: _Who | None
    lead: _Who | None

    def line(self, now: datetime) -> MilestoneLine:
        """As `bot.projects.reports.milestone_line` would snapshot it."""
        return MilestoneLine(
            ref=f"{self.project_key}-{self.number}",
            project_key=self.project_key,
            project_name=self.project_name,
            title=self.title,
            due_at=self.due_at,
            due_zone=self.due_zone,
            owner=self.owner.ref if self.owner else None,
            status=self.status,
            done_at=self.done_at,
            overdue=self.status == MilestoneStatus.OPEN and self.due_at < now,
        )


@dataclass
class _Loaded:
    milestones: dict[int, _MilestoneRow] = field(default_factory=dict)
    people: dict[int, Person] = field(default_factory=dict)
    projects: dict[int, Project] = field(default_factory=dict)
    workspaces: dict[int, Workspace] = field(default_factory=dict)
    ignored: dict[tuple[int, datetime | None], int] = field(default_factory=dict)
    books: dict[int, PolicyBook] = field(default_factory=dict)


def compose(
    session: Session, claims: Sequence[Claim], now: datetime, *, defaults: ReminderPolicy
) -> list[Composed]:
    """Decide and describe what each claimed delivery sends (or why it is cancelled).

    Args:
        session: A read session.
        claims: Deliveries this process holds.
        now: The current instant.
        defaults: Settings defaults of the reminder policy (for the snooze time shown).

    Returns:
        One `Composed` per claim, in the same order.
    """
    loaded = _load(session, claims)
    loaded.books = {w: load_policy_book(session, w, defaults) for w in loaded.workspaces}
    return [_compose_one(session, claim, loaded, now) for claim in claims]


def _load(session: Session, claims: Sequence[Claim]) -> _Loaded:
    loaded = _Loaded()
    milestone_ids = {c.milestone_id for c in claims if c.milestone_id is not None}
    if milestone_ids:
        # Plain rows, not ORM objects: a batch holds a thousand of these and they are read once.
        owner, lead = aliased(Person, name="owner"), aliased(Person, name="lead")
        rows = session.execute(
            select(
                Milestone.id,
                Milestone.number,
                Milestone.title,
                Milestone.due_at,
                Milestone.due_timezone,
                Milestone.status,
                Milestone.done_at,
                Project.id,
                Project.key,
                Project.name,
                Project.channel_id,
                Project.status,
                owner.id,
                owner.slack_id,
                owner.name,
                owner.timezone,
                lead.id,
                lead.slack_id,
                lead.name,
                lead.timezone,
                owner.until,
                lead.until,
                Project.archived_at,
            )
            .join(Project, Milestone.project_id == Project.id)
            .outerjoin(owner, Milestone.owner_id == owner.id)
            .outerjoin(lead, Project.lead_id == lead.id)
            .where(Milestone.id.in_(milestone_ids))
        )
        for r in rows:
            loaded.milestones[r[0]] = _MilestoneRow(
                id=r[0],
                number=r[1],
                title=r[2],
                due_at=r[3],
                due_zone=r[4],
                status=r[5],
                done_at=r[6],
                project_id=r[7],
                project_key=r[8],
                project_name=r[9],
                channel_id=r[10],
                # An archived project is read-only and reminds nobody, as a finished one.
                project_done=r[11] == ProjectStatus.DONE or r[22] is not None,
                owner=_Who(r[12], r[13], r[14], r[15], r[20]) if r[12] is not None else None,
                lead=_Who(r[16], r[17], r[18], r[19], r[21]) if r[16] is not None else None,
            )
    person_ids = {c.recipient_id for c in claims if c.recipient_id is not None}
    if person_ids:
        loaded.people = {p.id: p for p in session.scalars(select(Person).where(Person.id.in_(person_ids)))}
    project_ids = {
        c.project_id for c in claims if c.project_id is not None and c.kind in (DeliveryKind.DIGEST,)
    }
    if project_ids:
        loaded.projects = {
            p.id: p
            for p in session.scalars(
                select(Project)
                .where(Project.id.in_(project_ids))
                .options(
                    selectinload(Project.lead),
                    selectinload(Project.milestones).selectinload(Milestone.owner),
                    selectinload(Project.blockers),
                )
            )
        }
    loaded.workspaces = {
        w.id: w
        for w in session.scalars(select(Workspace).where(Workspace.id.in_({c.workspace_id for c in claims})))
    }
    escalations = [c for c in claims if c.kind == DeliveryKind.ESCALATE_LEAD and c.milestone_id is not None]
    if escalations:
        counts = session.execute(
            select(ReminderDelivery.milestone_id, ReminderDelivery.basis_due_at, func.count())
            .where(
                ReminderDelivery.milestone_id.in_({c.milestone_id for c in escalations}),
                ReminderDelivery.kind.in_([DeliveryKind.LEAD_TIME, DeliveryKind.SNOOZE]),
                ReminderDelivery.status == DeliveryStatus.SENT,
                ReminderDelivery.action.is_(None),
            )
            .group_by(ReminderDelivery.milestone_id, ReminderDelivery.basis_due_at)
        ).all()
        loaded.ignored = {(int(m), basis): int(n) for m, basis, n in counts if m is not None}
    return loaded


def _compose_one(session: Session, claim: Claim, loaded: _Loaded, now: datetime) -> Composed:
    workspace = loaded.workspaces.get(claim.workspace_id)
    if workspace is None:
        return Composed(claim, cancel_reason="workspace deleted")
    team_id = workspace.slack_team_id
    if claim.kind in MILESTONE_KINDS:
        return _milestone_reminder(claim, loaded, workspace, now)
    if claim.kind == DeliveryKind.DIGEST:
        project = loaded.projects.get(claim.project_id or -1)
        if project is None or not project.channel_id or project.status == ProjectStatus.DONE:
            return Composed(claim, cancel_reason="no project channel any more")
        if project.archived_at is not None:
            return Composed(claim, cancel_reason="project archived")
        weekly = replace(_digest(project, workspace, now), checkin=latest_summary(session, project.id, now))
        return Composed(claim, project.channel_id, team_id, weekly)
    if claim.kind == DeliveryKind.WAITING:
        person = loaded.people.get(claim.recipient_id or -1)
        if person is None or person.waiting_digest_opt_out:
            return Composed(claim, cancel_reason="opted out")
        if _left(person.until, workspace, now):
            return Composed(claim, cancel_reason="past their last day")
        digest = waiting_digest(session, person, workspace, now)
        if not digest.items:
            return Composed(claim, cancel_reason="nothing waiting")
        return Composed(claim, person.slack_id, team_id, digest)
    return _failure(session, claim, loaded, workspace, now)


def _milestone_reminder(claim: Claim, loaded: _Loaded, workspace: Workspace, now: datetime) -> Composed:
    milestone = loaded.milestones.get(claim.milestone_id or -1)
    if milestone is None:
        return Composed(claim, cancel_reason="milestone deleted")
    if milestone.status != MilestoneStatus.OPEN or milestone.project_done:
        return Composed(claim, cancel_reason="milestone done")
    if claim.basis_due_at != milestone.due_at:
        return Composed(claim, cancel_reason="milestone moved")
    # Recipients are resolved now, not at planning: a reassignment between planning and sending
    # reaches the new owner (the ledger replans the send time for their wall clock too).
    reader: _Who | None
    target: str | None
    if claim.kind == DeliveryKind.LEAD_TIME:
        reader = milestone.owner
    elif claim.kind == DeliveryKind.SNOOZE:
        person = loaded.people.get(claim.recipient_id or -1)
        reader = (
            _Who(person.id, person.slack_id, person.name, person.timezone, person.until) if person else None
        )
    elif claim.kind == DeliveryKind.ESCALATE_LEAD:
        owner_id = milestone.owner.id if milestone.owner else None
        reader = milestone.lead if milestone.lead and milestone.lead.id != owner_id else None
    else:
        reader = None
    if reader is not None and _left(reader.until, workspace, now):
        # Nobody is reminded after their last day; the handover job gives their milestones to the lead.
        return Composed(claim, cancel_reason="past their last day")
    target = reader.slack_id if reader is not None else None
    if claim.kind == DeliveryKind.ESCALATE_CHANNEL:
        target = milestone.channel_id
    if target is None:
        return Composed(claim, cancel_reason="nobody to tell")
    zone = _zone((reader.timezone if reader else None) or workspace.timezone)
    step = claim.occurrence.split("@", 1)[0]
    content = MilestoneReminder(
        delivery_id=claim.id,
        kind=claim.kind,
        milestone=milestone.line(now),
        project_key=milestone.project_key,
        lead=milestone.lead.ref if milestone.lead else None,
        zone=zone,
        now=now,
        lead_time=step.removeprefix(_LEAD_STEP) if claim.kind == DeliveryKind.LEAD_TIME else None,
        ignored=loaded.ignored.get((milestone.id, claim.basis_due_at), 0),
        snooze_at=format_clock(loaded.books[workspace.id].for_project(milestone.project_id).local_time),
        asked_for=claim.kind == DeliveryKind.SNOOZE and step.startswith(ASKED_FOR_OCCURRENCE_PREFIX),
    )
    return Composed(claim, target, workspace.slack_team_id, content)


@functools.cache
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def _left(until: date | None, workspace: Workspace, now: datetime) -> bool:
    """Whether someone whose last day is `until` has left by `now`, on the workspace's calendar."""
    return until is not None and now.astimezone(_zone(workspace.timezone)).date() > until


def load_reminder(
    session: Session, delivery_id: int, now: datetime, *, defaults: ReminderPolicy
) -> MilestoneReminder | None:
    """The reminder a delivery showed, as it reads now (to redraw it after a button was pressed).

    Its `state` says whether the milestone is still due when the reminder was sent for (an escalation
    then still counts the days overdue), was moved since (the message shows the new due date), or is
    done (and by whom).
    """
    delivery = session.get(ReminderDelivery, delivery_id)
    if delivery is None or delivery.milestone_id is None:
        return None
    milestone = session.get(Milestone, delivery.milestone_id)
    workspace = session.get(Workspace, delivery.workspace_id)
    if milestone is None or workspace is None:
        return None
    reader = session.get(Person, delivery.recipient_id) if delivery.recipient_id else None
    if delivery.kind == DeliveryKind.LEAD_TIME:
        reader = milestone.owner or reader
    zone = ZoneInfo(person_zone(reader, workspace.timezone))
    step = delivery.occurrence.split("@", 1)[0]
    done = milestone.status == MilestoneStatus.DONE or milestone.project.status == ProjectStatus.DONE
    if done:
        state = ReminderState.DONE
    elif delivery.basis_due_at is not None and delivery.basis_due_at != milestone.due_at:
        state = ReminderState.MOVED
    else:
        state = ReminderState.CURRENT
    return MilestoneReminder(
        delivery_id=delivery.id,
        kind=delivery.kind,
        milestone=milestone_line(milestone, now),
        project_key=milestone.project.key,
        lead=person_ref(milestone.project.lead),
        zone=zone,
        now=now,
        lead_time=step.removeprefix(_LEAD_STEP) if delivery.kind == DeliveryKind.LEAD_TIME else None,
        asked_for=delivery.kind == DeliveryKind.SNOOZE and step.startswith(ASKED_FOR_OCCURRENCE_PREFIX),
        ignored=(
            ignored_count(session, milestone.id, delivery.basis_due_at)
            if delivery.kind == DeliveryKind.ESCALATE_LEAD
            else 0
        ),
        snooze_at=format_clock(
            load_policy_book(session, workspace.id, defaults).for_project(milestone.project_id).local_time
        ),
        state=state,
        done_by=_done_by(session, milestone.id) if milestone.status == MilestoneStatus.DONE else None,
    )


def _done_by(session: Session, milestone_id: int) -> str | None:
    """Who marked a milestone done, from the audit trail (a button, a command or the App Home alike)."""
    return session.scalar(
        select(AuditEntry.actor)
        .where(
            AuditEntry.entity == "milestone",
            AuditEntry.entity_id == milestone_id,
            AuditEntry.action == "done",
        )
        .order_by(desc(AuditEntry.at), desc(AuditEntry.id))
        .limit(1)
    )


def _digest(project: Project, workspace: Workspace, now: datetime) -> ProjectDigest:
    open_milestones = sorted(
        (m for m in project.milestones if m.status == MilestoneStatus.OPEN), key=lambda m: m.due_at
    )
    return ProjectDigest(
        project_key=project.key,
        project_name=project.name,
        lead=person_ref(project.lead),
        upcoming=tuple(
            milestone_line(m, now) for m in open_milestones if now <= m.due_at <= now + DIGEST_HORIZON
        ),
        overdue=tuple(milestone_line(m, now) for m in open_milestones if m.due_at < now),
        open_blockers=sum(1 for b in project.blockers if b.resolved_at is None),
        zone=ZoneInfo(workspace.timezone),
        now=now,
    )


def waiting_digest(session: Session, person: Person, workspace: Workspace, now: datetime) -> WaitingDigest:
    """A person's "waiting on you" list as of `now`: their open milestones, overdue or due within a week."""
    milestones = session.scalars(
        select(Milestone)
        .join(Project)
        .where(
            Project.workspace_id == workspace.id,
            Project.status != ProjectStatus.DONE,
            Project.archived_at.is_(None),
            Milestone.owner_id == person.id,
            Milestone.status == MilestoneStatus.OPEN,
            Milestone.due_at <= now + WAITING_HORIZON,
        )
        .order_by(Milestone.due_at)
    ).all()
    ref = person_ref(person)
    assert ref is not None
    return WaitingDigest(
        person=ref,
        items=tuple(milestone_line(m, now) for m in milestones),
        zone=ZoneInfo(person_zone(person, workspace.timezone)),
        now=now,
    )


def _failure(
    session: Session, claim: Claim, loaded: _Loaded, workspace: Workspace, now: datetime
) -> Composed:
    lead = loaded.people.get(claim.recipient_id or -1)
    notice = failure_notice(session, claim.occurrence, lead, workspace, now)
    if lead is None or notice is None or _left(lead.until, workspace, now):
        return Composed(claim, cancel_reason="nothing to report")
    return Composed(claim, lead.slack_id, workspace.slack_team_id, notice)


def failure_notice(
    session: Session, occurrence: str, lead: Person | None, workspace: Workspace, now: datetime
) -> FailureNotice | None:
    """What a failure report (occurrence `d{failed delivery id}`) tells `lead`; None if nothing to tell."""
    failed = session.get(ReminderDelivery, int(occurrence.removeprefix("d") or 0))
    if lead is None or failed is None:
        return None
    target = failed.channel_id
    if failed.recipient_id is not None:
        recipient = session.get(Person, failed.recipient_id)
        target = f"<@{recipient.slack_id}>" if recipient else "a person"
    elif target:
        target = f"<#{target}>"
    milestone = session.get(Milestone, failed.milestone_id) if failed.milestone_id else None
    return FailureNotice(
        what=_KIND_NAMES.get(failed.kind, str(failed.kind)),
        target=target or "nobody",
        error=failed.last_error or "unknown error",
        milestone=milestone_line(milestone, now) if milestone else None,
        zone=ZoneInfo(person_zone(lead, workspace.timezone)),
        now=now,
    )


_KIND_NAMES = {
    DeliveryKind.LEAD_TIME: "a milestone reminder",
    DeliveryKind.SNOOZE: "a snoozed reminder",
    DeliveryKind.ESCALATE_LEAD: "an overdue notice to the lead",
    DeliveryKind.ESCALATE_CHANNEL: "an overdue notice to the channel",
    DeliveryKind.DIGEST: "the weekly project digest",
    DeliveryKind.WAITING: "a daily “waiting on you” message",
}
