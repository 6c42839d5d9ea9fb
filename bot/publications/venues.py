"""Venues: conferences, journals, workshops and funding calls of a workspace.

Every member of the workspace sees every venue (they are public facts); project leads and admins add
them and move their deadlines (`bot.publications.papers.move_venue_deadline` replans the papers).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.access import Actor
from bot.errors import Forbidden, InvalidInput, NotFound
from bot.models import Person, Project
from bot.projects.milestone_details import link_problem
from bot.projects.project import record_audit
from bot.publications.deadlines import Deadline
from bot.publications.tables import Venue

VENUE_KEY_RE = re.compile(r"^[a-z][a-z0-9_-]{1,39}$")
MAX_VENUE_NAME = 200


class VenueKind(StrEnum):
    """What a venue is; papers for a funding call are funding proposals."""

    CONFERENCE = "conference"
    JOURNAL = "journal"
    WORKSHOP = "workshop"
    FUNDING_CALL = "funding_call"


def parse_kind(text: str) -> VenueKind:
    """A venue kind as typed (`funding-call` and `funding call` too).

    Raises:
        InvalidInput: Not a kind.
    """
    cleaned = "_".join(text.strip().lower().replace("-", " ").split())
    try:
        return VenueKind(cleaned)
    except ValueError:
        kinds = ", ".join(k.value for k in VenueKind)
        raise InvalidInput(f"“{text[:40]}” is not a venue kind; use one of {kinds}.") from None


@dataclass(frozen=True)
class VenueDraft:
    """A venue to add, as read from a command or the workspace file."""

    key: str
    name: str
    kind: VenueKind
    deadline: Deadline | None
    notification_on: date | None = None
    starts_on: date | None = None
    ends_on: date | None = None
    url: str | None = None


def deadline_of(venue: Venue) -> Deadline | None:
    """The venue's deadline, or None (a journal with rolling submissions)."""
    if venue.deadline_at is None or venue.deadline_zone is None:
        return None
    return Deadline(instant=venue.deadline_at, zone=venue.deadline_zone)


def is_funding_call(venue: Venue | None) -> bool:
    """Whether papers for this venue are funding proposals."""
    return venue is not None and venue.kind == VenueKind.FUNDING_CALL


def may_manage_venues(session: Session, actor: Actor) -> bool:
    """Admins and whoever leads a project of the workspace add venues and move their deadlines."""
    if actor.is_admin:
        return True
    if actor.person_id is None:
        return False
    lead = session.scalar(
        select(Project.id)
        .where(Project.workspace_id == actor.workspace_id, Project.lead_id == actor.person_id)
        .limit(1)
    )
    return lead is not None


def require_venue_manager(session: Session, actor: Actor, action: str) -> None:
    """Refuse people who neither lead a project nor are admins.

    Raises:
        Forbidden: The actor may not manage venues.
    """
    if not may_manage_venues(session, actor):
        raise Forbidden(f"Only project leads and admins can {action}.")


def find_venue(session: Session, actor: Actor, key: str) -> Venue:
    """The venue of the actor's workspace with this key.

    Raises:
        InvalidInput: Not shaped like a key.
        NotFound: No such venue (the message names a few that exist).
    """
    cleaned = key.strip().lower()
    if not VENUE_KEY_RE.match(cleaned):
        raise InvalidInput(
            f"“{key[:40]}” is not a venue key. Keys look like `neurips27`; see `/paper venues`."
        )
    venue = session.scalars(
        select(Venue).where(Venue.workspace_id == actor.workspace_id, Venue.key == cleaned)
    ).first()
    if venue is None:
        known = [v.key for v in list_venues(session, actor)[:5]]
        hint = f" Known venues: {', '.join(known)}." if known else " No venue is recorded yet."
        raise NotFound(f"No venue `{cleaned}`.{hint}")
    return venue


def list_venues(session: Session, actor: Actor) -> list[Venue]:
    """The workspace's venues, soonest deadline first (those without one last)."""
    venues = session.scalars(select(Venue).where(Venue.workspace_id == actor.workspace_id)).all()
    return sorted(
        venues,
        key=lambda v: (v.deadline_at is None, v.deadline_at or datetime.min.replace(tzinfo=UTC), v.key),
    )


def validate_venue(draft: VenueDraft) -> None:
    """Check a venue's fields.

    Raises:
        InvalidInput: A bad key, name, URL or date order.
    """
    if not VENUE_KEY_RE.match(draft.key):
        raise InvalidInput(
            f"“{draft.key[:40]}” is not a venue key: 2-40 lowercase letters, digits, `-` or `_`, "
            "starting with a letter (e.g. `neurips27`)."
        )
    name = " ".join(draft.name.split())
    if not name:
        raise InvalidInput("Give the venue a name, e.g. `Conference on Advertising Systems 2027`.")
    if len(name) > MAX_VENUE_NAME:
        raise InvalidInput(f"Venue names have at most {MAX_VENUE_NAME} characters.")
    if draft.url is not None and link_problem(draft.url) is not None:
        raise InvalidInput("The venue's URL must start with http:// or https:// (500 characters at most).")
    if draft.starts_on and draft.ends_on and draft.ends_on < draft.starts_on:
        raise InvalidInput("The venue's event cannot end before it starts.")


def add_venue(session: Session, actor: Actor, draft: VenueDraft, now: datetime) -> Venue:
    """Record a venue (project leads and admins).

    Raises:
        Forbidden: The actor leads no project and is no admin.
        InvalidInput: Bad fields, or the key is taken.
    """
    require_venue_manager(session, actor, "add venues")
    validate_venue(draft)
    taken = session.scalar(
        select(Venue.id).where(Venue.workspace_id == actor.workspace_id, Venue.key == draft.key)
    )
    if taken is not None:
        raise InvalidInput(f"A venue `{draft.key}` exists already; choose another key.")
    venue = Venue(
        workspace_id=actor.workspace_id,
        key=draft.key,
        name=" ".join(draft.name.split()),
        kind=draft.kind.value,
        deadline_at=draft.deadline.instant if draft.deadline else None,
        deadline_zone=draft.deadline.zone if draft.deadline else None,
        notification_on=draft.notification_on,
        starts_on=draft.starts_on,
        ends_on=draft.ends_on,
        url=draft.url,
    )
    session.add(venue)
    session.flush()
    record_audit(session, actor, "add", "venue", venue.id, now, key=venue.key, kind=venue.kind)
    return venue


def person_slack_ids(people: list[Person | None]) -> list[str]:
    """Slack ids of the people given, skipping None, in order, without repeats."""
    seen: list[str] = []
    for person in people:
        if person is not None and person.slack_id not in seen:
            seen.append(person.slack_id)
    return seen
