"""Agreement reminders: before expiry (60, 30 and 7 days) and a nudge when one sits in a status too long.

Like milestone reminders they go through a ledger (`agreement_reminder`, unique by agreement and kind),
are claimed atomically (a conditional UPDATE with a claim token and a lease), are sent at the
recipient's local time (the workspace's reminder policy: its local time, quiet hours and weekends, in
the recipient's zone) and are marked sent, so each is sent exactly once however many processes tick.

- Expiry (`expiry-<days>-<expiry date>`): to the owner of a signed agreement, `days` before it expires.
  Reminders whose day has passed when the agreement is recorded are not sent late, except the latest
  one (an agreement added 25 days before expiry gets its 30-day reminder at once, not its 60-day one).
- Stale (`stale-<status>-<since>`): to the owner when an agreement has been in draft, negotiation or
  legal review for `stale_days` (default 21); `escalate_lead_days` (the policy's, as for milestones)
  later, to each lead of the projects it covers (`stale-lead-<status>-<since>-<person id>`).

A changed expiry date or status makes new kinds; planned rows whose kind no longer applies are
cancelled. Agreements of disconnected workspaces, or covering only archived projects, get none.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Protocol
from uuid import uuid4
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot.access import Actor
from bot.agreements.records import covered_projects, may_edit
from bot.agreements.tables import Agreement, AgreementProject, AgreementReminder, AgreementStatus
from bot.agreements.waiting import status_label
from bot.domain.reminders import ReminderPolicy
from bot.domain.reminders.timing import next_allowed, wall_clock
from bot.models import Person, Project, Workspace
from bot.reminders.policy import load_policy_book
from bot.reminders.sending import AmbiguousDeliveryError, DeliveryError, PermanentDeliveryError

EXPIRY_DAYS = (60, 30, 7)
STALE_DAYS = 21
LEASE = timedelta(minutes=5)
RETRY = timedelta(minutes=5)
MAX_ATTEMPTS = 5
PLANNED, CLAIMED, SENT, CANCELLED, FAILED = "planned", "claimed", "sent", "cancelled", "failed"
STALE_STATUSES = (AgreementStatus.DRAFT, AgreementStatus.NEGOTIATION, AgreementStatus.LEGAL_REVIEW)


@dataclass(frozen=True)
class AgreementNotice:
    """One reminder, composed for sending (rendered by `bot.slack.agreement_blocks`)."""

    key: str  # the delivery key tagged on the message
    team_id: str | None
    recipient: str  # Slack id
    kind: str  # "expiry", "stale" or "escalation"
    agreement_key: str
    title: str
    status: str  # label
    days_in_status: int
    expires_on: date | None
    days_left: int | None
    owner: str | None  # Slack id
    projects: tuple[str, ...]  # keys
    # Who may record its status (the leads of the projects it covers, and admins): the recipient, or
    # else the leads to ask, as Slack ids.
    recipient_may_update: bool = True
    leads: tuple[str, ...] = ()


class NoticeSender(Protocol):
    """Posts a reminder to its recipient's DM (bot/slack implements it)."""

    def send(self, notice: AgreementNotice, /) -> None:
        """Post it; raises `bot.reminders.sending.DeliveryError` subclasses on failure."""


@dataclass(frozen=True)
class _Plan:
    kind: str
    recipient_id: int
    day: date  # the local day it is due on


def _zone(name: str | None, fallback: str) -> ZoneInfo:
    for candidate in (name, fallback):
        if candidate:
            try:
                return ZoneInfo(candidate)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return ZoneInfo("UTC")


def _plans(
    agreement: Agreement,
    leads: list[int],
    today: date,
    policy: ReminderPolicy,
    expiry_days: tuple[int, ...],
    stale_days: int,
) -> list[_Plan]:
    plans: list[_Plan] = []
    owner = agreement.owner_id
    if owner is not None and agreement.status == AgreementStatus.SIGNED and agreement.expires_on is not None:
        expires = agreement.expires_on
        if expires >= today:
            due = sorted((expires - timedelta(days=d), d) for d in expiry_days)
            past = [(day, d) for day, d in due if day <= today]
            # Only the latest reminder whose day has passed is still worth sending.
            chosen = past[-1:] + [(day, d) for day, d in due if day > today]
            plans += [_Plan(f"expiry-{d}-{expires.isoformat()}", owner, day) for day, d in chosen]
    if agreement.status in STALE_STATUSES and stale_days > 0:
        since = agreement.status_since
        nudge = since + timedelta(days=stale_days)
        base = f"{agreement.status}-{since.isoformat()}"
        if owner is not None:
            plans.append(_Plan(f"stale-{base}", owner, nudge))
        if policy.escalate_lead_days > 0:
            # The owner gets the nudge first and the days to act on it, even when the agreement had
            # stalled long before it was first planned (an import, a new install).
            escalate = max(nudge, today) + timedelta(days=policy.escalate_lead_days)
            # A lead who owns the agreement was nudged already.
            others = sorted(set(leads) - {owner})
            plans += [_Plan(f"stale-lead-{base}-{lead}", lead, escalate) for lead in others]
    return plans


def plan_agreement_reminders(
    session: Session,
    now: datetime,
    *,
    defaults: ReminderPolicy,
    expiry_days: tuple[int, ...] = EXPIRY_DAYS,
    stale_days: int = STALE_DAYS,
) -> int:
    """Bring the ledger in line with the agreements: add what is due to be planned, cancel what no
    longer applies. Returns the number of rows added. The caller commits."""
    added = 0
    workspaces = session.scalars(select(Workspace).where(Workspace.disconnected_at.is_(None))).all()
    for workspace in workspaces:
        policy = load_policy_book(session, workspace.id, defaults).for_project(None)
        people = {p.id: p for p in session.scalars(select(Person).where(Person.workspace_id == workspace.id))}
        for agreement in session.scalars(select(Agreement).where(Agreement.workspace_id == workspace.id)):
            projects = session.scalars(
                select(Project)
                .join(AgreementProject, AgreementProject.project_id == Project.id)
                .where(AgreementProject.agreement_id == agreement.id)
            ).all()
            active = [p for p in projects if p.archived_at is None]
            wanted: list[_Plan] = []
            if active or not projects:
                owner_zone = _zone(
                    people[agreement.owner_id].timezone if agreement.owner_id in people else None,
                    workspace.timezone,
                )
                today = now.astimezone(owner_zone).date()
                leads = [p.lead_id for p in active if p.lead_id is not None]
                wanted = _plans(agreement, leads, today, policy, expiry_days, stale_days)
            existing = {
                r.kind: r
                for r in session.scalars(
                    select(AgreementReminder).where(AgreementReminder.agreement_id == agreement.id)
                )
            }
            kinds = {plan.kind for plan in wanted}
            for kind, row in existing.items():
                if kind not in kinds and row.status == PLANNED:
                    row.status = CANCELLED
            for plan in wanted:
                if plan.kind in existing or plan.recipient_id not in people:
                    continue
                zone = _zone(people[plan.recipient_id].timezone, workspace.timezone)
                send_at = max(wall_clock(plan.day, policy.local_time, zone), now)
                row = AgreementReminder(
                    workspace_id=workspace.id,
                    agreement_id=agreement.id,
                    kind=plan.kind,
                    recipient_id=plan.recipient_id,
                    send_at=next_allowed(send_at, zone, policy),
                    send_zone=zone.key,
                    status=PLANNED,
                    attempts=0,
                    created_at=now,
                )
                try:
                    with session.begin_nested():
                        session.add(row)
                except IntegrityError:  # another process planned it first
                    continue
                added += 1
    session.flush()
    return added


def _claim(session: Session, row_id: int, token: str, now: datetime) -> bool:
    result = session.execute(
        update(AgreementReminder)
        .where(
            AgreementReminder.id == row_id,
            or_(
                AgreementReminder.status == PLANNED,
                (AgreementReminder.status == CLAIMED) & (AgreementReminder.lease_expires_at < now),
            ),
        )
        .values(
            status=CLAIMED,
            claim_token=token,
            lease_expires_at=now + LEASE,
            attempts=AgreementReminder.attempts + 1,
        )
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0) == 1)


def _compose(
    session: Session, row: AgreementReminder, now: datetime, admins: frozenset[str] = frozenset()
) -> AgreementNotice | None:
    agreement = session.get(Agreement, row.agreement_id)
    recipient = session.get(Person, row.recipient_id)
    workspace = session.get(Workspace, row.workspace_id)
    if agreement is None or recipient is None or workspace is None:
        return None
    owner = session.get(Person, agreement.owner_id) if agreement.owner_id is not None else None
    covered = covered_projects(session, agreement)
    projects = [p.key for p in covered]
    leads = tuple(
        dict.fromkeys(p.lead.slack_id for p in covered if p.lead is not None and p.archived_at is None)
    )
    zone = _zone(row.send_zone, workspace.timezone)
    recipient_as_actor = Actor(
        slack_id=recipient.slack_id,
        workspace_id=row.workspace_id,
        person_id=recipient.id,
        is_admin=recipient.slack_id in admins,
        zone=zone,
    )
    today = now.astimezone(zone).date()
    kind = (
        "expiry"
        if row.kind.startswith("expiry-")
        else ("escalation" if row.kind.startswith("stale-lead-") else "stale")
    )
    return AgreementNotice(
        key=f"agreement-reminder:{row.id}",
        team_id=workspace.slack_team_id,
        recipient=recipient.slack_id,
        kind=kind,
        agreement_key=agreement.key,
        title=agreement.title,
        status=status_label(agreement.status),
        days_in_status=max(0, (today - agreement.status_since).days),
        expires_on=agreement.expires_on,
        days_left=(agreement.expires_on - today).days if agreement.expires_on else None,
        owner=owner.slack_id if owner is not None else None,
        projects=tuple(projects),
        # The rule `/agreement set-status` applies (`may_edit`).
        recipient_may_update=may_edit(covered, recipient_as_actor),
        leads=leads,
    )


def send_agreement_reminders(
    session_factory: sessionmaker[Session],
    sender: NoticeSender,
    now: Callable[[], datetime],
    *,
    defaults: ReminderPolicy,
    expiry_days: tuple[int, ...] = EXPIRY_DAYS,
    stale_days: int = STALE_DAYS,
    admins: frozenset[str] = frozenset(),
) -> int:
    """One tick: plan, then claim and send every due reminder. Returns how many were sent.

    `admins` (Slack ids) may record any agreement's status; a reminder to someone who may not names the
    leads who can.
    """
    with session_factory.begin() as session:
        plan_agreement_reminders(
            session, now(), defaults=defaults, expiry_days=expiry_days, stale_days=stale_days
        )
    sent = 0
    with session_factory() as session:
        due = session.scalars(
            select(AgreementReminder.id)
            .where(
                AgreementReminder.send_at <= now(),
                or_(
                    AgreementReminder.status == PLANNED,
                    (AgreementReminder.status == CLAIMED) & (AgreementReminder.lease_expires_at < now()),
                ),
            )
            .order_by(AgreementReminder.send_at, AgreementReminder.id)
        ).all()
    for row_id in due:
        token = uuid4().hex  # 32 characters: the column holds 36, and PostgreSQL enforces that
        with session_factory.begin() as session:
            if not _claim(session, row_id, token, now()):
                continue  # another process has it
            row = session.get(AgreementReminder, row_id)
            notice = _compose(session, row, now(), admins) if row is not None else None
        outcome, error = SENT, None
        if notice is not None:
            try:
                sender.send(notice)
            except AmbiguousDeliveryError:
                outcome = SENT  # it may have been posted: never risk a second copy
            except PermanentDeliveryError as failure:
                outcome, error = FAILED, str(failure)
            except DeliveryError as failure:
                outcome, error = PLANNED, str(failure)
        else:
            outcome = CANCELLED
        with session_factory.begin() as session:
            row = session.get(AgreementReminder, row_id)
            if row is None or row.claim_token != token:
                continue
            if outcome == PLANNED and row.attempts >= MAX_ATTEMPTS:
                outcome = FAILED
            row.status = outcome
            row.last_error = error
            row.claim_token = None
            row.lease_expires_at = None
            if outcome == PLANNED:
                row.send_at = now() + RETRY
            if outcome == SENT:
                row.sent_at = now()
                sent += 1
    return sent
