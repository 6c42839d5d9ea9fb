"""An agreement as the workspace file writes it (`agreements:` section; bot/workspace_file/agreements.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from bot.agreements.tables import AgreementKind, AgreementStatus


@dataclass(frozen=True)
class AgreementEntry:
    """One validated `agreements:` entry. Dates are calendar days (rebased with the file)."""

    key: str
    kind: AgreementKind
    title: str
    parties: tuple[str, ...]
    projects: tuple[str, ...]  # project keys written in the file
    owner: str | None  # Slack id
    status: AgreementStatus
    status_since: date | None  # None: the import day
    effective_on: date | None
    expires_on: date | None
    document_url: str | None
    publication_review_days: int | None
    data_restricted_to: tuple[str, ...]
    notes: str | None
    required_by: tuple[tuple[str, int], ...]  # milestones (project key, id) waiting on it
    line: int
