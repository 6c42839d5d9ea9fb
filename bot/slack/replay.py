"""Once-only processing of Slack deliveries that may arrive again (event retries, double clicks).

Slack retries an event up to three times, the first while the original may still be running, and
sends no nonce, so the event id is recorded in the database in its own transaction before acting.
The primary key makes the check atomic across threads and processes.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot.models import ProcessedRequest


def claim_once(session_factory: sessionmaker[Session], key: str, now: datetime) -> bool:
    """Record `key`; True the first time it is seen, False for every repeat."""
    try:
        with session_factory.begin() as session:
            session.add(ProcessedRequest(key=key[:200], seen_at=now))
    except IntegrityError:
        return False
    return True
