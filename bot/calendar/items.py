"""What a feed shows: the dated records a person or project has, as plain `CalendarItem`s.

- A person's feed: the milestones they own in projects that are not archived and that they may
  still see (public, or they are a member), each with the dates Liaison will remind them (their
  planned and sent reminders, as alarms).
- A project's feed: every milestone of the project, for its members; nothing once it is archived.

Deleted milestones are hidden by every ORM query (`bot.models`), so they simply drop out of the feed
(a calendar client then removes the event). Done milestones stay, marked done. Agreements and papers
are added by `bot.calendar.records` where those packages have tables.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, joinedload

from bot.domain.reminders import DeliveryKind
from bot.models import (
    DeliveryStatus,
    Membership,
    Milestone,
    MilestoneStatus,
    Person,
    Project,
    ReminderDelivery,
)
from bot.projects.milestone_details import loads_links

# Reminders to the person themselves (escalations go to leads and channels, not to the owner).
_OWN_REMINDERS = (DeliveryKind.LEAD_TIME, DeliveryKind.SNOOZE)
# Planned, being sent, or sent: a cancelled one (the milestone moved or was done) is not shown.
_LIVE_REMINDERS = (DeliveryStatus.PLANNED, DeliveryStatus.CLAIMED, DeliveryStatus.SENT)
UID_DOMAIN = "liaison"


@dataclass(frozen=True)
class CalendarItem:
    """One event of a feed.

    `start` is an aware instant shown in `zone` (an IANA name), or a `date` for all-day items
    (an agreement's expiry day). `alarms` are instants (UTC) when Liaison reminds the feed's owner.
    """

    uid: str
    summary: str
    start: datetime | date
    zone: str
    done: bool = False
    description: str = ""
    url: str | None = None
    categories: tuple[str, ...] = ()
    alarms: tuple[datetime, ...] = ()


def milestone_uid(workspace_id: int, project_key: str, number: int) -> str:
    """A milestone's event UID: the same in every feed and fetch, for as long as it exists."""
    return f"milestone-{project_key}-{number}.w{workspace_id}@{UID_DOMAIN}"


def person_milestones(session: Session, person: Person) -> list[CalendarItem]:
    """The milestones a person owns, with their own reminders as alarms (see the module)."""
    member_of = select(Membership.project_id).where(Membership.person_id == person.id)
    milestones = session.scalars(
        select(Milestone)
        .join(Milestone.project)
        .where(
            Milestone.owner_id == person.id,
            Project.workspace_id == person.workspace_id,
            Project.archived_at.is_(None),
            or_(Project.private.is_(False), Project.id.in_(member_of)),
        )
        .options(joinedload(Milestone.project))
        .order_by(Milestone.due_at, Milestone.id)
    ).all()
    alarms = _reminders(session, person.id, [m.id for m in milestones])
    return [
        milestone_item(m, owner=person, alarms=alarms.get(m.id, ()), alarm_zone=person.timezone)
        for m in milestones
    ]


def project_milestones(session: Session, project: Project) -> list[CalendarItem]:
    """Every milestone of a project that is not archived (its members' shared feed)."""
    if project.archived_at is not None:
        return []
    milestones = session.scalars(
        select(Milestone)
        .where(Milestone.project_id == project.id)
        .options(joinedload(Milestone.owner))
        .order_by(Milestone.due_at, Milestone.id)
    ).all()
    return [milestone_item(m, owner=m.owner, project=project) for m in milestones]


def milestone_item(
    milestone: Milestone,
    *,
    owner: Person | None,
    project: Project | None = None,
    alarms: tuple[datetime, ...] = (),
    alarm_zone: str | None = None,
) -> CalendarItem:
    """A milestone as an event (the same UID and text in every feed; `alarms` only in its owner's)."""
    project = project or milestone.project
    ref = f"{project.key}-{milestone.number}"
    done = milestone.status == MilestoneStatus.DONE
    lines = [
        f"Milestone {ref} of {project.name} ({project.key}).",
        f"Owner: {owner.name if owner is not None else 'nobody'}.",
        "Status: done." if done else "Status: open.",
    ]
    if milestone.description:
        lines += ["", milestone.description]
    links = loads_links(milestone.links)
    if links:
        lines += ["", *links]
    if alarms and not done:
        zone = _zone(alarm_zone or milestone.due_timezone)
        times = ", ".join(_local_text(alarm, zone) for alarm in alarms)
        lines += ["", f"Liaison reminds you on Slack: {times}."]
    return CalendarItem(
        uid=milestone_uid(project.workspace_id, project.key, milestone.number),
        summary=f"{ref}: {milestone.title}",
        start=milestone.due_at,
        zone=milestone.due_timezone,
        done=done,
        description="\n".join(lines),
        url=_channel_url(project.channel_id),
        categories=("Milestone", project.key),
        alarms=() if done else alarms,
    )


def _reminders(
    session: Session, person_id: int, milestone_ids: Sequence[int]
) -> dict[int, tuple[datetime, ...]]:
    found: dict[int, list[datetime]] = defaultdict(list)
    for chunk in _chunks(milestone_ids, 500):
        rows = session.execute(
            select(ReminderDelivery.milestone_id, ReminderDelivery.send_at).where(
                ReminderDelivery.recipient_id == person_id,
                ReminderDelivery.milestone_id.in_(chunk),
                ReminderDelivery.kind.in_(_OWN_REMINDERS),
                ReminderDelivery.status.in_(_LIVE_REMINDERS),
            )
        )
        for milestone_id, send_at in rows:
            if milestone_id is not None:
                found[milestone_id].append(send_at)
    return {key: tuple(sorted(set(values))) for key, values in found.items()}


def _chunks(values: Sequence[int], size: int) -> Iterable[Sequence[int]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _local_text(instant: datetime, zone: ZoneInfo) -> str:
    return f"{instant.astimezone(zone):%a %d %b %Y %H:%M} ({zone.key})"


def _channel_url(channel_id: str | None) -> str | None:
    # Slack's redirect opens the channel in whichever workspace the reader is signed in to.
    return f"https://slack.com/app_redirect?channel={channel_id}" if channel_id else None
