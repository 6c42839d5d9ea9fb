"""Once-only processing of Slack deliveries that may arrive again (event retries, double clicks).

Slack retries an event up to three times, the first while the original may still be running, and
sends no nonce, so the event id is recorded in the database in its own transaction before acting.
The primary key makes the check atomic across threads and processes.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import cache
from typing import Any, cast

from slack_bolt.middleware import Middleware
from slack_bolt.request import BoltRequest
from slack_bolt.response import BoltResponse
from sqlalchemy import Insert, Table, insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot.clock import Clock
from bot.models import ProcessedRequest


def claim_once(session_factory: sessionmaker[Session], key: str, now: datetime) -> bool:
    """Record `key`; True the first time it is seen, False for every repeat."""
    try:
        with session_factory.begin() as session:
            # A plain INSERT: the ORM's unit of work would cost more than the insert (every request).
            session.execute(_claim_statement(), {"key": key[:200], "seen_at": now})
    except IntegrityError:
        return False
    return True


@cache
def _claim_statement() -> Insert:
    return insert(cast(Table, ProcessedRequest.__table__))


def once_per_event(session_factory: sessionmaker[Session], clock: Clock) -> Middleware:
    """A Bolt global middleware: every Events API delivery acts once per `event_id`.

    Slack retries an event (with `X-Slack-Retry-Num`) when its ack was slow or lost, the first retry
    possibly while the original still runs; a repeat is answered 200 without reaching any listener, for
    every event type (App Home publishing, uninstalls and revoked tokens as much as questions). The
    claim is in the database, so it holds across threads, processes and instances.

    Args:
        session_factory: Where the claims are recorded (`processed_request`).
        clock: The current instant for the claim's record.
    """
    return _DropRepeatedEvents(session_factory, clock)


class _DropRepeatedEvents(Middleware):
    # A `Middleware` subclass, which Bolt calls as it is: a function middleware would cost a build of
    # its keyword arguments on every request, events or not.
    def __init__(self, session_factory: sessionmaker[Session], clock: Clock) -> None:
        self._session_factory = session_factory
        self._clock = clock

    def process(
        self, *, req: BoltRequest, resp: BoltResponse, next: Callable[[], BoltResponse]
    ) -> BoltResponse | None:
        body: dict[str, Any] = req.body
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        if event_id and not claim_once(self._session_factory, f"event:{event_id}", self._clock.now()):
            return BoltResponse(status=200, body="")
        return next()
