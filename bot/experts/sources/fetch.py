"""Reading a linked record completely over the network, before anything is written.

A fetch of an ORCID record reads the ORCID works and person, then the OpenAlex author with that ORCID
(for abstracts, extra works and topics; an ORCID unknown to OpenAlex is fine). Only when every request
has succeeded does the caller write the result, in one transaction (`bot.experts.sources.store`): a
429, a 5xx or a timeout half-way leaves the stored profile exactly as it was.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.experts.sources.http_client import (
    CachedResponse,
    NotFoundAtSource,
    ScholarlyHttpClient,
    polite_user_agent,
)
from bot.experts.sources.openalex import fetch_author, fetch_author_works
from bot.experts.sources.orcid import fetch_orcid_expertise, fetch_orcid_works
from bot.experts.sources.records import ORCID, FetchedProfile, merge_works
from bot.experts.sources.tables import HttpCacheEntry
from bot.settings import Settings

# Called as progress(works read, works expected) while pages arrive.
FetchProgress = Callable[[int, int], None]


@dataclass(frozen=True)
class Endpoints:
    """Where the scholarly APIs are (settings; tests and the demo point them at a local fake)."""

    orcid_url: str
    openalex_url: str

    @classmethod
    def of(cls, settings: Settings) -> Endpoints:
        """The endpoints configured in `settings`."""
        return cls(settings.orcid_api_url, settings.openalex_api_url)


@dataclass
class DatabaseCache:
    """A `ResponseCache` read from `http_cache_entry`; new entries wait in `pending` until the
    profile write commits them (`save`), so a failed fetch caches nothing."""

    session_factory: sessionmaker[Session]
    pending: dict[str, CachedResponse] = field(default_factory=dict)

    def load(self, url: str) -> CachedResponse | None:
        """The stored (or just fetched) response of `url`."""
        if url in self.pending:
            return self.pending[url]
        with self.session_factory() as session:
            entry = session.scalars(select(HttpCacheEntry).where(HttpCacheEntry.url == url[:1000])).first()
            return CachedResponse(entry.body, entry.etag, entry.last_modified) if entry else None

    def store(self, url: str, response: CachedResponse) -> None:
        """Remember a response until `save`."""
        if len(url) <= 1000:
            self.pending[url] = response

    def save(self, session: Session, now: datetime) -> None:
        """Write the pending entries in the caller's transaction."""
        for url, response in self.pending.items():
            entry = session.scalars(select(HttpCacheEntry).where(HttpCacheEntry.url == url)).first()
            if entry is None:
                entry = HttpCacheEntry(url=url)
                session.add(entry)
            entry.body, entry.etag, entry.last_modified = response.body, response.etag, response.last_modified
            entry.stored_at = now
        self.pending.clear()


def make_client(
    settings: Settings, session_factory: sessionmaker[Session] | None = None
) -> ScholarlyHttpClient:
    """The scholarly HTTP client of `settings`, caching in the database when given one."""
    cache = DatabaseCache(session_factory) if session_factory is not None else None
    return ScholarlyHttpClient(
        polite_user_agent(settings.scholarly_contact),
        timeout=settings.scholarly_timeout_seconds,
        cache=cache,
    )


def fetch_linked(
    client: ScholarlyHttpClient,
    endpoints: Endpoints,
    source: str,
    external_id: str,
    *,
    progress: FetchProgress | None = None,
) -> FetchedProfile:
    """Everything a linked record has, read completely (see the module docstring).

    Args:
        client: The HTTP client.
        endpoints: The API base URLs.
        source: ``"orcid"`` or ``"openalex"``.
        external_id: The normalised id (`bot.experts.sources.records.parse_external_id`).
        progress: Told how many works have been read.

    Raises:
        NotFoundAtSource: The record does not exist.
        SourceFetchError: Any request failed after its retries.
    """
    if source == ORCID:
        orcid_works = fetch_orcid_works(client, endpoints.orcid_url, external_id)
        if progress is not None:
            progress(len(orcid_works), len(orcid_works))
        expertise = fetch_orcid_expertise(client, endpoints.orcid_url, external_id)
        try:
            author = fetch_author(client, endpoints.openalex_url, orcid=external_id)
        except NotFoundAtSource:
            return FetchedProfile(ORCID, external_id, merge_works(orcid_works), expertise)
        openalex_works = fetch_author_works(client, endpoints.openalex_url, author.id, progress=progress)
        if not expertise and author.topics:
            expertise = "; ".join(author.topics) + "."
        return FetchedProfile(ORCID, external_id, merge_works(orcid_works, openalex_works), expertise)
    author = fetch_author(client, endpoints.openalex_url, author_id=external_id)
    works = fetch_author_works(client, endpoints.openalex_url, author.id, progress=progress)
    topics = "; ".join(author.topics) + "." if author.topics else None
    return FetchedProfile(source, external_id, merge_works(works), topics)
