"""Helpers for the reminder tests: reading the ledger and what the fake Slack API received."""

from __future__ import annotations

import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session, sessionmaker

from bot.domain.reminders import DeliveryKind
from bot.models import (
    DeliveryStatus,
    Milestone,
    MilestoneStatus,
    Person,
    Project,
    ReminderDelivery,
    Workspace,
)
from bot.services import Services
from bot.slack.notifier import REMINDER_EVENT_TYPE
from jobs.reminders import plan_reminders, send_due_reminders
from tests.fakes.slack_api import FakeSlackApi


def keys_of(message: dict[str, Any]) -> set[str]:
    """The delivery keys a message settles: its key, and every key of a combined DM."""
    metadata = message.get("metadata") or {}
    if metadata.get("event_type") != REMINDER_EVENT_TYPE:
        return set()
    payload = metadata.get("event_payload") or {}
    return {payload["key"], *payload.get("keys", [])}


def posted_keys(slack_api: FakeSlackApi) -> Counter[str]:
    """How many accepted messages carry each delivery key (exactly-once means every count is 1)."""
    keys: Counter[str] = Counter()
    for message in slack_api.messages():
        keys.update(keys_of(message))
    return keys


def message_for(slack_api: FakeSlackApi, key: str) -> dict[str, Any]:
    """The one accepted message of a delivery."""
    found = [m for m in slack_api.messages() if key in keys_of(m)]
    assert len(found) == 1, (key, len(found))
    return found[0]


def deliveries(session_factory: sessionmaker[Session], **where: Any) -> list[ReminderDelivery]:
    """Ledger rows matching column == value filters, by id."""
    with session_factory() as session:
        query = select(ReminderDelivery).order_by(ReminderDelivery.id)
        for name, value in where.items():
            query = query.where(getattr(ReminderDelivery, name) == value)
        return list(session.scalars(query))


def milestone(session_factory: sessionmaker[Session], key: str, number: int) -> Milestone:
    """A milestone by project key and number."""
    with session_factory() as session:
        return session.scalars(
            select(Milestone).join(Project).where(Project.key == key, Milestone.number == number)
        ).one()


def seed_due_deliveries(
    session: Session,
    *,
    count: int,
    channels: int,
    due: datetime,
    round_number: int = 0,
    project_prefix: str = "load",
) -> list[str]:
    """`count` lead-time reminders due at `due`, spread over `channels` owners (each a DM channel).

    Creates (once) a workspace, `channels` people and projects, and one open milestone per delivery;
    rows are bulk-inserted as the planner would have written them.

    Returns:
        The delivery keys.
    """
    workspace = session.scalars(select(Workspace).where(Workspace.name == "Load")).first()
    if workspace is None:
        workspace = Workspace(name="Load", timezone="UTC")
        session.add(workspace)
        session.flush()
        session.execute(
            insert(Person),
            [
                {
                    "workspace_id": workspace.id,
                    "slack_id": f"U{n:06d}",
                    "name": f"Owner {n}",
                    "timezone": "UTC",
                }
                for n in range(channels)
            ],
        )
        people = session.scalars(
            select(Person.id).where(Person.workspace_id == workspace.id).order_by(Person.id)
        )
        session.execute(
            insert(Project),
            [
                {
                    "workspace_id": workspace.id,
                    "key": f"{project_prefix}{n}",
                    "name": f"Load project {n}",
                    "description": "",
                    "status": "on_track",
                    "private": False,
                    "lead_id": person_id,
                }
                for n, person_id in enumerate(people)
            ],
        )
    people = list(
        session.scalars(select(Person.id).where(Person.workspace_id == workspace.id).order_by(Person.id))
    )
    projects = list(
        session.scalars(select(Project.id).where(Project.workspace_id == workspace.id).order_by(Project.id))
    )
    due_at = due + timedelta(days=1)
    milestone_ids = session.scalars(
        insert(Milestone).returning(Milestone.id, sort_by_parameter_order=True),
        [
            {
                "project_id": projects[i % channels],
                "number": round_number * count + i + 1,
                "title": f"Deliverable {round_number}-{i}",
                "due_at": due_at,
                "due_timezone": "UTC",
                "owner_id": people[i % channels],
                "status": MilestoneStatus.OPEN,
            }
            for i in range(count)
        ],
    ).all()
    keys = [f"m{mid}:lead_time:{round_occurrence(round_number)}" for mid in milestone_ids]
    session.execute(
        insert(ReminderDelivery),
        [
            {
                "workspace_id": workspace.id,
                "key": key,
                "series": f"m{mid}:lead_time",
                "kind": DeliveryKind.LEAD_TIME,
                "occurrence": round_occurrence(round_number),
                "milestone_id": mid,
                "project_id": projects[i % channels],
                "recipient_id": people[i % channels],
                "send_at": due,
                "send_zone": "UTC",
                "nominal_at": due,
                "basis_due_at": due_at,
                "not_before": due,
                "status": DeliveryStatus.PLANNED,
                "attempts": 0,
                "ambiguous_attempts": 0,
                "uncertain": False,
                "created_at": due,
                "updated_at": due,
            }
            for i, (mid, key) in enumerate(zip(milestone_ids, keys, strict=True))
        ],
    )
    return keys


def round_occurrence(round_number: int) -> str:
    """The occurrence every delivery of one round of `seed_due_deliveries` has (one value per round)."""
    return f"T-1d@load{round_number}"


def release_round(session: Session, round_number: int, at: datetime) -> None:
    """Make the deliveries of one seeded round due at `at`: `release` by the round's occurrence.

    One bound value instead of the round's hundreds of keys, which SQLAlchemy and psycopg would
    render and split on every call.
    """
    session.execute(
        update(ReminderDelivery)
        .where(ReminderDelivery.occurrence == round_occurrence(round_number))
        .values(send_at=at, not_before=at)
    )


def wait_until_round_sent(
    session_factory: sessionmaker[Session], round_number: int, count: int, timeout: float
) -> None:
    """`wait_until_sent` for the `count` deliveries of one seeded round, polled by their occurrence."""
    query = (
        select(func.count())
        .select_from(ReminderDelivery)
        .where(
            ReminderDelivery.occurrence == round_occurrence(round_number),
            ReminderDelivery.status == DeliveryStatus.SENT,
        )
    )
    deadline = time.monotonic() + timeout
    while True:
        with session_factory() as session:
            sent = int(session.scalar(query) or 0)
        if sent >= count:
            return
        assert time.monotonic() < deadline, f"only {sent} of {count} sent"
        time.sleep(0.05)


def release(session: Session, keys: list[str], at: datetime) -> None:
    """Make deliveries seeded for later due at `at` (a round of a load test starts)."""
    session.execute(
        update(ReminderDelivery).where(ReminderDelivery.key.in_(keys)).values(send_at=at, not_before=at)
    )


def utc(*parts: int) -> datetime:
    """An aware UTC datetime."""
    return datetime(*parts, tzinfo=UTC)


def count_with_status(session_factory: sessionmaker[Session], keys: list[str], status: DeliveryStatus) -> int:
    """How many of the deliveries with these keys have `status`."""
    with session_factory() as session:
        return int(
            session.scalar(
                select(func.count())
                .select_from(ReminderDelivery)
                .where(ReminderDelivery.key.in_(keys), ReminderDelivery.status == status)
            )
            or 0
        )


def wait_until_sent(session_factory: sessionmaker[Session], keys: list[str], timeout: float) -> None:
    """Wait until every delivery with these keys is sent; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while (sent := count_with_status(session_factory, keys, DeliveryStatus.SENT)) < len(keys):
        assert time.monotonic() < deadline, f"only {sent} sent"
        time.sleep(0.05)


def plan_and_tick_until(
    services: Services, start: datetime, end: datetime, step: timedelta = timedelta(hours=1)
) -> None:
    """Plan and tick every `step` from `start` up to, but not including, `end`."""
    now = start
    while now < end:
        plan_reminders(services, now=now)
        send_due_reminders(services, now=now)
        now += step
