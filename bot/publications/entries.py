"""Validated entries of the workspace file's `venues:` and `papers:` sections (bot/workspace_file)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from bot.publications.deadlines import Deadline


@dataclass(frozen=True)
class VenueEntry:
    """One `venues:` entry; dates and the deadline are rebased with the file."""

    key: str
    name: str
    kind: str
    deadline: Deadline | None
    notification_on: date | None
    starts_on: date | None
    ends_on: date | None
    url: str | None
    line: int | None = None


@dataclass(frozen=True)
class PaperEntry:
    """One `papers:` entry: a paper of a project in the file, numbered `id` there (`fatigue-p1`)."""

    project: str
    number: int
    title: str
    authors: tuple[str, ...]  # Slack ids of people in the file, or external co-authors' names
    venue: str | None
    status: str
    links: tuple[str, ...]
    line: int | None = None
