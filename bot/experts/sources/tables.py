"""The tables of `bot.experts.sources` (registered on `bot.db.Base` by `bot.schema`).

`profile_source_link` is a person's link to a scholarly record (their ORCID iD or OpenAlex author id),
with when it was last fetched and what went wrong last. `source_work` holds the works fetched from a
link or uploaded (BibTeX, CSV): each is a profile item the expert index embeds unless its owner hid it.
`http_cache_entry` keeps the last response of each URL with its `ETag` / `Last-Modified`, so a weekly
refresh of an unchanged record costs a `304 Not Modified`.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from bot.db import Base, UTCDateTime


class ProfileSourceLink(Base):
    """A person's link to their record at a scholarly source (one per person and source).

    Attributes:
        source: ``"orcid"`` or ``"openalex"``.
        external_id: The normalised identifier (``0000-0002-1825-0097``, ``A5023888391``).
        linked_by: Slack id of who linked it (the person, or an admin).
        fetched_at: The last successful fetch (None: never fetched yet).
        expertise: The record's biography/keywords (ORCID) or topics (OpenAlex), used as the person's
            expertise while they have written none.
        last_error: What the last failed fetch said (None after a success).
    """

    __tablename__ = "profile_source_link"
    __table_args__ = (UniqueConstraint("person_id", "source"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    source: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(64))
    linked_by: Mapped[str] = mapped_column(String(32))
    linked_at: Mapped[datetime] = mapped_column(UTCDateTime())
    fetched_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    expertise: Mapped[str | None] = mapped_column(Text)
    last_error: Mapped[str | None] = mapped_column(Text)


class SourceWork(Base):
    """One work on a person's profile that came from a source rather than the edit form.

    Attributes:
        source: ``"orcid"``, ``"openalex"``, ``"bibtex"`` or ``"csv"``.
        key: Unique per person and source: ``doi:<doi>`` when there is a DOI, else ``title:<normalised>``;
            a refetch keeps the `hidden` flag of a work with the same key.
        hidden: The person hid it from their profile: not shown to others, never embedded.
    """

    __tablename__ = "source_work"
    __table_args__ = (UniqueConstraint("person_id", "source", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    source: Mapped[str] = mapped_column(String(16))
    key: Mapped[str] = mapped_column(String(400))
    title: Mapped[str] = mapped_column(Text)
    year: Mapped[int | None] = mapped_column(Integer)
    doi: Mapped[str | None] = mapped_column(String(300))
    abstract: Mapped[str | None] = mapped_column(Text)
    hidden: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime())


class HttpCacheEntry(Base):
    """The last 200 response of one URL, revalidated with `If-None-Match` / `If-Modified-Since`."""

    __tablename__ = "http_cache_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(1000), unique=True)
    etag: Mapped[str | None] = mapped_column(String(300))
    last_modified: Mapped[str | None] = mapped_column(String(100))
    body: Mapped[str] = mapped_column(Text)
    stored_at: Mapped[datetime] = mapped_column(UTCDateTime())
