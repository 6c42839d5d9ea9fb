"""One DM per person per tick: deliveries due for the same person together become one message.

A tick often finds several DMs due for one person at once: the due-time reminder and the daily "waiting
on you" list (both at the local reminder time), or on Monday everything a weekend moved to the end of
the quiet hours. They are posted as one message with a section per kind, and each milestone is
mentioned once: a reminder about it (with its buttons), else a line of the waiting list.

The ledger keeps one row per delivery, and every row is still settled on its own: the combined post
carries *all* its rows' keys in its metadata, each row is marked sent (or to retry, or failed) by that
one post, and an unanswered combined post is looked for by each row's key (`bot.reminders.reconciliation`),
so exactly-once holds per row as before. Channel posts (escalations to a channel, weekly digests) are
not combined. A redrawn message (after a button was pressed) is rebuilt from the rows that share its
`ts` (`load_message`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.domain.reminders import DeliveryKind, ReminderPolicy
from bot.models import DeliveryStatus, Person, ReminderDelivery, Workspace
from bot.reminders.content import (
    Composed,
    Content,
    DirectMessage,
    FailureNotice,
    MilestoneReminder,
    WaitingDigest,
    failure_notice,
    load_reminder,
    waiting_digest,
)

# What goes to a person's DM (a channel post has no recipient).
DM_KINDS = frozenset(
    {
        DeliveryKind.LEAD_TIME,
        DeliveryKind.SNOOZE,
        DeliveryKind.ESCALATE_LEAD,
        DeliveryKind.WAITING,
        DeliveryKind.FAILURE,
    }
)
# Reminders shown with their buttons in one message (each takes four blocks of Slack's 50); more are
# listed as lines.
MAX_REMINDERS_WITH_BUTTONS = 10
# When two reminders about one milestone fall due together, the one shown (its buttons act for both).
_RANK = {DeliveryKind.ESCALATE_LEAD: 0, DeliveryKind.LEAD_TIME: 1, DeliveryKind.SNOOZE: 2}


@dataclass(frozen=True)
class Post:
    """One message to send, settling one or more claimed deliveries (several only for one person's DM).

    Attributes:
        items: The composed deliveries, each with content and target.
        target: Where it goes (a user id for a DM, or a channel id).
        team_id: The workspace.
    """

    items: tuple[Composed, ...]
    target: str
    team_id: str | None


def plan_posts(composed: Sequence[Composed]) -> list[Post]:
    """Group the sendable deliveries of a batch into posts: one per person for DMs, one each otherwise.

    Args:
        composed: A batch as composed (cancelled ones, without content or target, are skipped).

    Returns:
        The posts, in the order of each post's first delivery.
    """
    groups: dict[tuple[str | None, str] | int, list[Composed]] = {}
    for item in composed:
        if item.content is None or not item.target:
            continue
        key: tuple[str | None, str] | int = (
            (item.team_id, item.target) if item.claim.kind in DM_KINDS else item.claim.id
        )
        groups.setdefault(key, []).append(item)
    return [Post(tuple(items), items[0].target or "", items[0].team_id) for items in groups.values()]


def combined_content(items: Sequence[Composed]) -> Content:
    """What one post of these deliveries says: the delivery's own content, or a `DirectMessage`."""
    contents = [item.content for item in items if item.content is not None]
    if len(contents) == 1:
        return contents[0]
    return direct_message(contents, keys=[item.claim.key for item in items])


def direct_message(contents: Sequence[Content], *, keys: Sequence[str]) -> DirectMessage:
    """Several deliveries' content for one person as one DM, each milestone mentioned once.

    Args:
        contents: Milestone reminders, waiting lists and failure notices for one person.
        keys: The delivery keys the message settles.

    Returns:
        The combined message: a reminder per milestone (the most pressing kind when there are two),
        in due order; the waiting list without those milestones; failure notices that do not name
        them again.
    """
    reminders = [c for c in contents if isinstance(c, MilestoneReminder)]
    chosen: dict[str, MilestoneReminder] = {}
    for reminder in sorted(reminders, key=lambda r: (_RANK.get(r.kind, 9), r.delivery_id)):
        chosen.setdefault(reminder.milestone.ref, reminder)
    kept = sorted(chosen.values(), key=lambda r: (r.milestone.due_at, r.delivery_id))
    mentioned = set(chosen)
    waiting: WaitingDigest | None = None
    lists = [c for c in contents if isinstance(c, WaitingDigest)]
    if lists:
        latest = max(lists, key=lambda w: w.now)
        items = tuple(m for m in latest.items if m.ref not in mentioned)
        mentioned |= {m.ref for m in items}
        waiting = replace(latest, items=items) if items else None
    failures: list[FailureNotice] = []
    for notice in (c for c in contents if isinstance(c, FailureNotice)):
        if notice.milestone is not None and notice.milestone.ref in mentioned:
            notice = replace(notice, milestone=None)  # the milestone is named above already
        elif notice.milestone is not None:
            mentioned.add(notice.milestone.ref)
        failures.append(notice)
    return DirectMessage(
        reminders=tuple(kept[:MAX_REMINDERS_WITH_BUTTONS]),
        waiting=waiting,
        failures=tuple(failures),
        keys=tuple(keys),
        more=tuple(kept[MAX_REMINDERS_WITH_BUTTONS:]),
    )


def message_deliveries(session: Session, delivery: ReminderDelivery) -> list[ReminderDelivery]:
    """The deliveries settled by the message `delivery` was posted in (itself alone if not combined)."""
    if not delivery.slack_ts or not delivery.slack_channel:
        return [delivery]
    rows = list(
        session.scalars(
            select(ReminderDelivery)
            .where(
                ReminderDelivery.workspace_id == delivery.workspace_id,
                ReminderDelivery.slack_channel == delivery.slack_channel,
                ReminderDelivery.slack_ts == delivery.slack_ts,
                ReminderDelivery.status == DeliveryStatus.SENT,
            )
            .order_by(ReminderDelivery.id)
        )
    )
    return rows or [delivery]


def load_message(
    session: Session, delivery_id: int, now: datetime, *, defaults: ReminderPolicy
) -> Content | None:
    """The whole message a delivery was posted in, as it reads now (to redraw it after a button press).

    A message of one reminder is that reminder (`load_reminder`); a combined DM is rebuilt from every
    delivery it settled, each milestone as it is now (done, moved, or still due), the waiting list as
    of `now`.

    Returns:
        The content, or None if the delivery (or its milestone) is gone.
    """
    delivery = session.get(ReminderDelivery, delivery_id)
    if delivery is None:
        return None
    rows = message_deliveries(session, delivery)
    if len(rows) == 1:
        return load_reminder(session, delivery_id, now, defaults=defaults)
    workspace = session.get(Workspace, delivery.workspace_id)
    if workspace is None:
        return None
    contents: list[Content] = []
    for row in rows:
        person = session.get(Person, row.recipient_id) if row.recipient_id is not None else None
        content: Content | None
        if row.milestone_id is not None and row.kind != DeliveryKind.FAILURE:
            content = load_reminder(session, row.id, now, defaults=defaults)
        elif row.kind == DeliveryKind.WAITING and person is not None:
            content = waiting_digest(session, person, workspace, now)
        elif row.kind == DeliveryKind.FAILURE:
            content = failure_notice(session, row.occurrence, person, workspace, now)
        else:
            content = None
        if content is not None:
            contents.append(content)
    return direct_message(contents, keys=[row.key for row in rows])
