"""Which agreements milestones wait on: read by the milestone read models (`bot.projects.reports`).

Kept apart from `bot.agreements.records` (which uses `bot.projects`) so that the projects' read models
can ask without an import cycle.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any

from sqlalchemy import Integer, Select, bindparam, null, select, text
from sqlalchemy.orm import Session

from bot.access import read_rows
from bot.agreements.tables import Agreement, AgreementStatus, MilestoneAgreement

STATUS_LABELS: dict[str, str] = {
    AgreementStatus.DRAFT: "draft",
    AgreementStatus.NEGOTIATION: "negotiation",
    AgreementStatus.LEGAL_REVIEW: "legal review",
    AgreementStatus.SIGNED: "signed",
    AgreementStatus.EXPIRED: "expired",
    AgreementStatus.TERMINATED: "terminated",
}


@dataclass(frozen=True)
class WaitingOn:
    """An unsigned agreement a milestone needs: its key, status label and the day that status began."""

    key: str
    status: str
    since: date

    def days_in_status(self, today: date) -> int:
        """Whole days the agreement has been in its status on `today` (never negative)."""
        return max(0, (today - self.since).days)


def status_label(status: str) -> str:
    """The words for a stored status ("legal review" for `legal_review`)."""
    return STATUS_LABELS.get(status, status.replace("_", " "))


def status_phrase(label: str) -> str:
    """What follows "has been": "in legal review", "in draft", but "signed" (`label` as `status_label`
    gives it)."""
    return label if label in _STATES else f"in {label}"


# Statuses that are states an agreement is in ("has been signed"), not stages it is in.
_STATES = frozenset({"signed", "expired", "terminated"})


def waited_on_select(milestone_ids: Any = None) -> Select[int, str, int, str, date]:
    """The unsigned agreements the milestones `milestone_ids` (an expanding parameter) require, as rows
    `milestone_id, key, status, since` with `number` NULL: the columns of
    `bot.projects.milestone_details.dependency_refs_select`, so that both can be read in one statement.

    Args:
        milestone_ids: What the milestone ids are taken from instead (a subquery, say).
    """
    if milestone_ids is None:
        milestone_ids = bindparam("milestone_ids", expanding=True)
    return (
        select(
            MilestoneAgreement.milestone_id.label("milestone_id"),
            Agreement.key.label("key"),
            null().cast(Integer).label("number"),
            Agreement.status.label("status"),
            Agreement.status_since.label("since"),
        )
        .join(Agreement, Agreement.id == MilestoneAgreement.agreement_id)
        .where(
            MilestoneAgreement.milestone_id.in_(milestone_ids),
            Agreement.status != AgreementStatus.SIGNED.value,
        )
    )


def waiting_on_values(key: str, status: str, since: date) -> WaitingOn:
    """An agreement waited on as shown, from its key, stored status and the day that status began."""
    return WaitingOn(key, status_label(status), since)


@cache
def _waited_on_statement() -> Select[int, str, int, str, date]:
    # Built once per process with the ids as an expanding parameter, and read as rows: `/project
    # status` asks on every call (the same treatment as `bot.projects.milestone_details.dependency_refs`).
    return waited_on_select().order_by(text("milestone_id"), text("key"))


def agreements_waited_on(session: Session, milestone_ids: Iterable[int]) -> dict[int, tuple[WaitingOn, ...]]:
    """The unsigned agreements each milestone requires, by milestone id (ordered by key). One query.

    Args:
        session: The caller's session.
        milestone_ids: The milestones asked about.

    Returns:
        Only milestones that wait on something appear.
    """
    ids = sorted(set(milestone_ids))
    if not ids:
        return {}
    rows = read_rows(session, _waited_on_statement(), {"milestone_ids": ids})
    found: dict[int, list[WaitingOn]] = {}
    for row in rows:
        found.setdefault(row.milestone_id, []).append(waiting_on_values(row.key, row.status, row.since))
    return {milestone_id: tuple(waits) for milestone_id, waits in found.items()}
