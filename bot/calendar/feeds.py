"""A feed, end to end: token → whose and which items → revisions → iCalendar bytes and an ETag.

Who sees what is checked at every fetch, not only when the URL is made: a project feed answers only
while its owner is a member of the project (someone removed from a private project stops seeing it at
once), and a personal feed leaves out archived projects and projects its owner can no longer see.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.calendar.ical import build_calendar
from bot.calendar.items import CalendarItem, person_milestones, project_milestones
from bot.calendar.records import person_records
from bot.calendar.revisions import observe
from bot.calendar.tokens import find_feed
from bot.models import Membership, Person, Project


@dataclass(frozen=True)
class RenderedFeed:
    """A feed document and its validator."""

    body: bytes
    etag: str
    filename: str


def render_feed(session: Session, token: str, now: datetime) -> RenderedFeed | None:
    """The feed a URL token opens, rendered now; None when the token opens nothing (a 404).

    Args:
        session: A transaction (event revisions are recorded in it; the caller commits).
        token: The token from the URL.
        now: The current instant.
    """
    feed = find_feed(session, token)
    if feed is None:
        return None
    person = session.get(Person, feed.person_id)
    if person is None or person.workspace_id != feed.workspace_id:
        return None
    if feed.project_id is None:
        return person_feed(session, person, now)
    project = session.get(Project, feed.project_id)
    if (
        project is None
        or project.workspace_id != feed.workspace_id
        or not is_member(session, project, person)
    ):
        return None
    return project_feed(session, project, now)


def person_feed(session: Session, person: Person, now: datetime) -> RenderedFeed:
    """A person's own feed: milestones they own, with their reminders; agreements and papers where kept."""
    items = [*person_milestones(session, person), *person_records(session, person)]
    return _rendered(
        session,
        person.workspace_id,
        items,
        now,
        name=f"Liaison: {person.name}",
        description=f"Milestones, agreements and papers of {person.name} in Liaison",
        filename=f"liaison-{person.slack_id}.ics",
    )


def project_feed(session: Session, project: Project, now: datetime) -> RenderedFeed:
    """A project's feed: all its milestones (empty once the project is archived)."""
    items = project_milestones(session, project)
    return _rendered(
        session,
        project.workspace_id,
        items,
        now,
        name=f"Liaison: {project.name}",
        description=f"Milestones of {project.name} ({project.key}) in Liaison",
        filename=f"liaison-{project.key}.ics",
    )


def is_member(session: Session, project: Project, person: Person) -> bool:
    """Whether the person has any role on the project (project feeds are for members only)."""
    return (
        session.scalars(
            select(Membership.person_id).where(
                Membership.project_id == project.id, Membership.person_id == person.id
            )
        ).first()
        is not None
    )


def _rendered(
    session: Session,
    workspace_id: int,
    items: list[CalendarItem],
    now: datetime,
    *,
    name: str,
    description: str,
    filename: str,
) -> RenderedFeed:
    # One event per UID, the first listed winning: a paper's planned milestone comes once with its owner's
    # alarms (`person_milestones`) and again without them (`records`).
    firsts: dict[str, CalendarItem] = {}
    for item in items:
        firsts.setdefault(item.uid, item)
    unique = list(firsts.values())
    revisions = observe(session, workspace_id, unique, now)
    body = build_calendar(name, description, unique, revisions)
    etag = '"' + hashlib.sha256(body).hexdigest()[:40] + '"'
    return RenderedFeed(body=body, etag=etag, filename=filename)
