"""Terms of the agreements covering a project, as other features need them (publications' back-planning)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from bot.agreements.tables import Agreement, AgreementProject, AgreementStatus


def longest_review_days(session: Session, project_id: int, *, now: datetime) -> int | None:
    """The longest pre-publication review window of the agreements in force for a project.

    An agreement is in force when it is signed and not past its expiry day (an agreement expiring
    today still binds today). Agreements without a review window are ignored.

    Args:
        session: The caller's session.
        project_id: The project whose agreements count.
        now: The current instant (aware).

    Returns:
        The largest `publication_review_days`, or None when no agreement in force sets one.
    """
    today = now.date()
    stmt = (
        select(func.max(Agreement.publication_review_days))
        .join(AgreementProject, AgreementProject.agreement_id == Agreement.id)
        .where(
            AgreementProject.project_id == project_id,
            Agreement.status == AgreementStatus.SIGNED.value,
            Agreement.publication_review_days.is_not(None),
            or_(Agreement.expires_on.is_(None), Agreement.expires_on >= today),
        )
    )
    value = session.scalar(stmt)
    return int(value) if value is not None else None
