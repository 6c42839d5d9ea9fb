"""Linking, fetching and refreshing profiles end to end: what `/profile link`, the CLI and the job call.

The order is always: validate the id (no request for a mistyped ORCID iD), check who may (the person,
or an admin), read the record completely over the network, then write it in one transaction. A fault
while reading leaves the profile as it was; the link (if one exists) notes the error.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, sessionmaker

from bot.access import Requester, act_as
from bot.errors import NotFound
from bot.experts.sources.fetch import DatabaseCache, Endpoints, FetchProgress, fetch_linked, make_client
from bot.experts.sources.http_client import NotFoundAtSource, ScholarlyHttpClient, SourceFetchError
from bot.experts.sources.records import SOURCE_NAMES, FetchedProfile, parse_external_id
from bot.experts.sources.store import (
    ApplyReport,
    SourcesView,
    apply_fetch,
    record_fetch_failure,
    set_work_hidden,
    sources_view,
    target_person,
    unlink_source,
)
from bot.experts.sources.tables import ProfileSourceLink, SourceWork
from bot.models import Person
from bot.projects.project import record_audit
from bot.settings import Settings

logger = logging.getLogger(__name__)

# The weekly refresh re-reads links last fetched longer ago than this.
REFRESH_AGE = timedelta(days=7)


@dataclass(frozen=True)
class LinkOutcome:
    """A link made and fetched: whose, which record, what changed."""

    slack_id: str
    name: str
    own: bool
    source: str
    external_id: str
    report: ApplyReport


@dataclass(frozen=True)
class RefreshReport:
    """What a refresh run did: links refreshed, links that failed (each keeps its old works)."""

    refreshed: int
    failed: int


def fetch_into(
    session_factory: sessionmaker[Session],
    settings: Settings,
    person_id: int,
    source: str,
    external_id: str,
    now: datetime,
    *,
    linked_by: str,
    client: ScholarlyHttpClient | None = None,
    progress: FetchProgress | None = None,
) -> ApplyReport:
    """Read a record and write it to a person's profile, all or nothing.

    Raises:
        SourceFetchError: The record could not be read completely; nothing was written but the
            error on an existing link.
    """
    client = client or make_client(settings, session_factory)
    try:
        fetched = fetch_linked(client, Endpoints.of(settings), source, external_id, progress=progress)
    except NotFoundAtSource:
        if isinstance(client.cache, DatabaseCache):
            client.cache.pending.clear()
        message = f"{SOURCE_NAMES[source]} has no public record {external_id}."
        _note_failure(session_factory, person_id, source, message)
        raise NotFoundAtSource(message, status=404) from None
    except SourceFetchError as error:
        if isinstance(client.cache, DatabaseCache):
            client.cache.pending.clear()  # cached with nothing else of a failed fetch
        _note_failure(session_factory, person_id, source, error.message)
        raise
    return write_fetched(session_factory, person_id, fetched, now, linked_by=linked_by, client=client)


def write_fetched(
    session_factory: sessionmaker[Session],
    person_id: int,
    fetched: FetchedProfile,
    now: datetime,
    *,
    linked_by: str,
    client: ScholarlyHttpClient | None = None,
) -> ApplyReport:
    """Write a complete fetch (or an upload) to a person's profile in one transaction."""
    with session_factory.begin() as session:
        person = session.get(Person, person_id)
        if person is None:
            raise NotFound("That person is no longer in Liaison's directory.")
        report = apply_fetch(session, person, fetched, now, linked_by=linked_by)
        cache = client.cache if client is not None else None
        if isinstance(cache, DatabaseCache):
            cache.save(session, now)
        return report


def link_and_fetch(
    session_factory: sessionmaker[Session],
    settings: Settings,
    requester: Requester,
    source: str,
    raw_id: str,
    target: str | None,
    now: datetime,
    *,
    client: ScholarlyHttpClient | None = None,
) -> LinkOutcome:
    """`/profile link orcid ID [@someone]`: validate, check who may, fetch, write.

    Raises:
        InvalidInput: A malformed id (an ORCID iD with a wrong check character included).
        UserFacingError: No workspace, not in the directory, or not allowed for `target`.
        SourceFetchError: The record could not be read; the profile is unchanged.
    """
    external_id = parse_external_id(source, raw_id)
    with session_factory() as session:
        actor = act_as(session, settings, requester)
        person = target_person(session, actor, target)
        person_id, slack_id, name, own = person.id, person.slack_id, person.name, person.id == actor.person_id
    report = fetch_into(
        session_factory,
        settings,
        person_id,
        source,
        external_id,
        now,
        linked_by=requester.user_id,
        client=client,
    )
    with session_factory.begin() as session:
        actor = act_as(session, settings, requester)
        record_audit(
            session, actor, "link_profile_source", "person", person_id, now, source=source, id=external_id
        )
    return LinkOutcome(slack_id, name, own, source, external_id, report)


def unlink(
    session_factory: sessionmaker[Session],
    settings: Settings,
    requester: Requester,
    source: str,
    target: str | None,
    now: datetime,
) -> tuple[str, int]:
    """`/profile unlink orcid [@someone]`: drop the link and its works; (whose name, works removed).

    Raises:
        UserFacingError: No workspace, nobody fits, not allowed, or no such link.
    """
    with session_factory.begin() as session:
        actor = act_as(session, settings, requester)
        person = target_person(session, actor, target)
        return person.name, unlink_source(session, actor, person, source, now)


def sources_of(
    session_factory: sessionmaker[Session], settings: Settings, requester: Requester, slack_id: str
) -> SourcesView:
    """The linked records and works of the person `slack_id`, as the requester may see them.

    Call only for a profile whose texts the requester may read (`ProfileView.texts_shown`); only the
    owner's view lists hidden works.
    """
    with session_factory() as session:
        actor = act_as(session, settings, requester)
        person_id = session.scalar(
            select(Person.id).where(Person.workspace_id == actor.workspace_id, Person.slack_id == slack_id)
        )
        if person_id is None:
            return SourcesView((), (), 0, 0)
        return sources_view(session, person_id, include_hidden=person_id == actor.person_id)


def set_hidden(
    session_factory: sessionmaker[Session],
    settings: Settings,
    requester: Requester,
    work_id: int,
    *,
    hidden: bool,
) -> str:
    """Hide or show a fetched work (owner or admin); the Slack id of the work's owner.

    Raises:
        UserFacingError: No workspace, no such work, or not allowed.
    """
    with session_factory.begin() as session:
        actor = act_as(session, settings, requester)
        set_work_hidden(session, actor, work_id, hidden)
        row = session.get(SourceWork, work_id)
        owner = session.get(Person, row.person_id) if row is not None else None
        return owner.slack_id if owner is not None else requester.user_id


def refresh_links(
    session_factory: sessionmaker[Session],
    settings: Settings,
    now: datetime,
    *,
    max_age: timedelta = REFRESH_AGE,
    client: ScholarlyHttpClient | None = None,
) -> RefreshReport:
    """Re-read every link fetched longer than `max_age` ago (or never), each in its own transaction.

    A link that fails keeps its works and notes the error; the next run tries it again.
    """
    with session_factory() as session:
        due = session.execute(
            select(ProfileSourceLink.person_id, ProfileSourceLink.source, ProfileSourceLink.external_id)
            .where(or_(ProfileSourceLink.fetched_at.is_(None), ProfileSourceLink.fetched_at <= now - max_age))
            .order_by(ProfileSourceLink.id)
        ).all()
    client = client or make_client(settings, session_factory)
    refreshed = failed = 0
    for person_id, source, external_id in due:
        try:
            fetch_into(
                session_factory,
                settings,
                person_id,
                source,
                external_id,
                now,
                linked_by="refresh",
                client=client,
            )
            refreshed += 1
        except SourceFetchError as error:
            logger.warning("profile refresh of %s %s failed: %s", source, external_id, error.message)
            failed += 1
    return RefreshReport(refreshed, failed)


def _note_failure(session_factory: sessionmaker[Session], person_id: int, source: str, message: str) -> None:
    with session_factory.begin() as session:
        record_fetch_failure(session, person_id, source, message)
