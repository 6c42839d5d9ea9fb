"""Writing fetched works to a profile, all or nothing; links, unlinks, hiding; what `/profile` shows.

Every write here runs in the caller's transaction and bumps the workspace's profiles version, so the
expert index re-embeds the changed items and every process reloads it (jobs/expert_index.py, within a
minute). A refetch replaces the source's works as a whole but keeps each work's `hidden` flag (works
are matched by key: DOI, else normalised title).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, delete, func, select
from sqlalchemy.orm import Session

from bot.access import Actor
from bot.errors import Forbidden, NotFound
from bot.experts.profile_version import bump_profiles_version
from bot.experts.profiles import find_person
from bot.experts.sources.records import SOURCE_NAMES, FetchedProfile
from bot.experts.sources.tables import ProfileSourceLink, SourceWork
from bot.models import Person
from bot.projects.project import record_audit

# Works listed with Hide/Show buttons in `/profile` (Block Kit allows 50 blocks a message).
SHOWN_WORKS = 12


@dataclass(frozen=True)
class ApplyReport:
    """What writing a fetch changed: works added, updated, removed; works kept hidden."""

    added: int
    updated: int
    removed: int
    hidden: int

    @property
    def total(self) -> int:
        """Works of the source after the write."""
        return self.added + self.updated


@dataclass(frozen=True)
class LinkLine:
    """A link as `/profile` shows it."""

    source: str
    external_id: str
    fetched_at: datetime | None
    last_error: str | None
    works: int


@dataclass(frozen=True)
class WorkLine:
    """A fetched or uploaded work as `/profile` shows it (`id` is what Hide/Show buttons carry)."""

    id: int
    source: str
    title: str
    year: int | None
    doi: str | None
    hidden: bool


@dataclass(frozen=True)
class SourcesView:
    """The sources part of a profile: links, the first works (most recent first), counts."""

    links: tuple[LinkLine, ...]
    works: tuple[WorkLine, ...]
    total_works: int
    hidden_works: int


def target_person(session: Session, actor: Actor, target: str | None) -> Person:
    """The person whose sources `actor` changes: themself, or (admins only) `target`.

    Raises:
        NotFound: The actor is not in the directory (and named nobody), or `target` fits nobody.
        Forbidden: `target` is someone else and the actor is not an admin.
    """
    if target is None or target == actor.slack_id:
        person = session.get(Person, actor.person_id) if actor.person_id is not None else None
        if person is None:
            raise NotFound("You are not in Liaison's directory yet, so you have no profile to link.")
        return person
    person = find_person(session, actor, target)
    if person.id != actor.person_id and not actor.is_admin:
        raise Forbidden("Only the person themself or a Liaison admin can link or unlink their records.")
    return person


def apply_fetch(
    session: Session, person: Person, fetched: FetchedProfile, now: datetime, *, linked_by: str
) -> ApplyReport:
    """Make `person`'s works of `fetched.source` exactly `fetched.works` (hidden flags kept by key).

    For a linked source (ORCID, OpenAlex) the link row is created or updated too: its id, fetch time
    and expertise hint; a link to another id first drops the old id's works.
    """
    if fetched.source in ("orcid", "openalex"):
        link = _link(session, person.id, fetched.source)
        if link is None:
            link = ProfileSourceLink(
                person_id=person.id,
                source=fetched.source,
                external_id=fetched.external_id,
                linked_at=now,
                linked_by=linked_by,
            )
            session.add(link)
        elif link.external_id != fetched.external_id:
            session.execute(
                delete(SourceWork).where(
                    SourceWork.person_id == person.id, SourceWork.source == fetched.source
                )
            )
            link.external_id, link.linked_at, link.linked_by = fetched.external_id, now, linked_by
        link.fetched_at, link.expertise, link.last_error = now, fetched.expertise, None
    existing = {
        work.key: work
        for work in session.scalars(
            select(SourceWork).where(SourceWork.person_id == person.id, SourceWork.source == fetched.source)
        )
    }
    added = updated = hidden = 0
    seen: set[str] = set()
    for work in fetched.works:
        if work.key in seen:
            continue
        seen.add(work.key)
        row = existing.pop(work.key, None)
        if row is None:
            row = SourceWork(person_id=person.id, source=fetched.source, key=work.key, hidden=False)
            session.add(row)
            added += 1
        else:
            updated += 1
            hidden += row.hidden
        row.title, row.year, row.doi, row.abstract, row.fetched_at = (
            work.title,
            work.year,
            work.doi,
            work.abstract,
            now,
        )
    for gone in existing.values():
        session.delete(gone)
    bump_profiles_version(session, person.workspace_id)
    session.flush()
    return ApplyReport(added, updated, len(existing), hidden)


def link_record(
    session: Session,
    person_id: int,
    source: str,
    external_id: str,
    now: datetime,
    *,
    linked_by: str = "import",
) -> bool:
    """Link a person to a record without fetching it (a workspace file's `orcid`); whether it changed.

    The works follow with the next refresh or `liaison profiles fetch`; a link to another id drops
    the old id's works at once.
    """
    link = _link(session, person_id, source)
    if link is not None and link.external_id == external_id:
        return False
    if link is None:
        session.add(
            ProfileSourceLink(
                person_id=person_id,
                source=source,
                external_id=external_id,
                linked_at=now,
                linked_by=linked_by,
            )
        )
        return True
    for work in session.scalars(
        select(SourceWork).where(SourceWork.person_id == person_id, SourceWork.source == source)
    ):
        session.delete(work)
    link.external_id, link.linked_at, link.linked_by, link.fetched_at = external_id, now, linked_by, None
    link.expertise = link.last_error = None
    workspace_id = session.scalar(select(Person.workspace_id).where(Person.id == person_id))
    if workspace_id is not None:
        bump_profiles_version(session, workspace_id)
    return True


def linked_orcids(session: Session, person_ids: Iterable[int]) -> dict[int, str]:
    """The ORCID iD linked by each of these people (those who linked one)."""
    rows = session.execute(
        select(ProfileSourceLink.person_id, ProfileSourceLink.external_id).where(
            ProfileSourceLink.source == "orcid", ProfileSourceLink.person_id.in_(list(person_ids))
        )
    )
    return {person_id: external_id for person_id, external_id in rows}


def record_fetch_failure(session: Session, person_id: int, source: str, message: str) -> None:
    """Note on an existing link why its last fetch failed (the profile itself is left alone)."""
    link = _link(session, person_id, source)
    if link is not None:
        link.last_error = message[:500]


def unlink_source(session: Session, actor: Actor, person: Person, source: str, now: datetime) -> int:
    """Remove `person`'s link to `source` and every work it brought; the number of works removed.

    Raises:
        NotFound: No such link.
    """
    link = _link(session, person.id, source)
    if link is None:
        raise NotFound(f"{_whose(actor, person)} no linked {SOURCE_NAMES[source]} record.")
    works = session.scalars(
        select(SourceWork).where(SourceWork.person_id == person.id, SourceWork.source == source)
    ).all()
    for work in works:
        session.delete(work)
    session.delete(link)
    record_audit(session, actor, "unlink_profile_source", "person", person.id, now, source=source)
    bump_profiles_version(session, person.workspace_id)
    return len(works)


def set_work_hidden(session: Session, actor: Actor, work_id: int, hidden: bool) -> WorkLine:
    """Hide a fetched work from `actor`'s profile (or show it again); only its owner or an admin may.

    Raises:
        NotFound: No such work in the actor's workspace (deleted by a refetch or unlink).
        Forbidden: It is someone else's, and the actor is not an admin.
    """
    row = session.get(SourceWork, work_id)
    owner = session.get(Person, row.person_id) if row is not None else None
    if row is None or owner is None or owner.workspace_id != actor.workspace_id:
        raise NotFound("That work is no longer on the profile (a newer fetch replaced it).")
    if owner.id != actor.person_id and not actor.is_admin:
        raise Forbidden("Only the person themself or a Liaison admin can hide works on their profile.")
    if row.hidden != hidden:
        row.hidden = hidden
        bump_profiles_version(session, owner.workspace_id)
    return WorkLine(row.id, row.source, row.title, row.year, row.doi, row.hidden)


def sources_view(
    session: Session, person_id: int, *, limit: int = SHOWN_WORKS, include_hidden: bool = True
) -> SourcesView:
    """The links and the most recent fetched works of a person, for `/profile`.

    Args:
        session: Any session.
        person_id: Whose.
        limit: Works listed (the rest are counted).
        include_hidden: List hidden works too (their owner's view); others never see them.
    """
    shown = (
        SourceWork.person_id == person_id
        if include_hidden
        else and_(SourceWork.person_id == person_id, ~SourceWork.hidden)
    )
    counts = dict(
        session.execute(
            select(SourceWork.source, func.count()).where(shown).group_by(SourceWork.source)
        ).all()
    )
    links = tuple(
        LinkLine(
            link.source, link.external_id, link.fetched_at, link.last_error, int(counts.get(link.source, 0))
        )
        for link in session.scalars(
            select(ProfileSourceLink)
            .where(ProfileSourceLink.person_id == person_id)
            .order_by(ProfileSourceLink.source)
        )
    )
    works = tuple(
        WorkLine(w.id, w.source, w.title, w.year, w.doi, w.hidden)
        for w in session.scalars(
            select(SourceWork)
            .where(shown)
            .order_by(SourceWork.year.desc().nulls_last(), SourceWork.id)
            .limit(limit)
        )
    )
    hidden = session.scalar(
        select(func.count())
        .select_from(SourceWork)
        .where(SourceWork.person_id == person_id, SourceWork.hidden)
    )
    return SourcesView(links, works, sum(int(c) for c in counts.values()), int(hidden or 0))


def _link(session: Session, person_id: int, source: str) -> ProfileSourceLink | None:
    return session.scalars(
        select(ProfileSourceLink).where(
            ProfileSourceLink.person_id == person_id, ProfileSourceLink.source == source
        )
    ).first()


def _whose(actor: Actor, person: Person) -> str:
    return "You have" if person.id == actor.person_id else f"{person.name} has"
