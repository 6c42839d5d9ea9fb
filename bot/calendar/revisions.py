"""SEQUENCE and LAST-MODIFIED for each event, kept in `calendar_entry` as feeds are fetched.

RFC 5545 (3.8.7.4) wants SEQUENCE raised whenever an event changes significantly (its start, its
status), so that a client holding the old copy takes the new one as an update of the same UID. No
milestone column counts revisions, and dates change through many paths (commands, forms, replanning,
imports), so each fetch compares what it is about to serve with the last revision seen and records
any change: the first fetch after a move serves SEQUENCE n+1, and every later fetch the same. Two
fetches at once may both record a change; they write the same values.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import cast

from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from bot.calendar.items import CalendarItem
from bot.calendar.tables import CalendarEntry
from bot.db import insert_ignoring_conflicts

_CHUNK = 500


@dataclass(frozen=True)
class Revision:
    """An event's SEQUENCE and when it last changed (its LAST-MODIFIED and DTSTAMP)."""

    sequence: int
    modified_at: datetime


def schedule_hash(item: CalendarItem) -> str:
    """What makes a change significant: when it is, and whether it is done."""
    return _sha256([item.start.isoformat(), item.zone, item.done])


def content_hash(item: CalendarItem) -> str:
    """Everything an event shows."""
    return _sha256(
        [
            item.start.isoformat(),
            item.zone,
            item.done,
            item.summary,
            item.description,
            item.url,
            list(item.categories),
            [alarm.isoformat() for alarm in item.alarms],
        ]
    )


def observe(
    session: Session, workspace_id: int, items: Sequence[CalendarItem], now: datetime
) -> dict[str, Revision]:
    """Record the items as served now; return each UID's revision.

    Args:
        session: The fetch's transaction (the caller commits).
        workspace_id: The feed's workspace (UIDs are unique within it).
        items: What the feed is about to serve.
        now: The current instant (the modification time of anything that changed).
    """
    wanted = {item.uid: item for item in items}
    known = _entries(session, workspace_id, list(wanted))
    new = [uid for uid in wanted if uid not in known]
    if new:
        rows = [
            {
                "workspace_id": workspace_id,
                "uid": uid,
                "schedule_hash": schedule_hash(wanted[uid]),
                "content_hash": content_hash(wanted[uid]),
                "sequence": 0,
                "modified_at": now,
            }
            for uid in new
        ]
        insert_ignoring_conflicts(session, cast(Table, CalendarEntry.__table__), rows)
        known |= _entries(session, workspace_id, new)
    revisions: dict[str, Revision] = {}
    for uid, item in wanted.items():
        entry = known[uid]
        schedule, content = schedule_hash(item), content_hash(item)
        if entry.schedule_hash != schedule:
            entry.schedule_hash = schedule
            entry.sequence += 1
        if entry.content_hash != content:
            entry.content_hash = content
            entry.modified_at = now
        revisions[uid] = Revision(entry.sequence, entry.modified_at)
    return revisions


def _entries(session: Session, workspace_id: int, uids: Sequence[str]) -> dict[str, CalendarEntry]:
    found: dict[str, CalendarEntry] = {}
    for start in range(0, len(uids), _CHUNK):
        chunk = uids[start : start + _CHUNK]
        statement = select(CalendarEntry).where(
            CalendarEntry.workspace_id == workspace_id, CalendarEntry.uid.in_(chunk)
        )
        found |= {entry.uid: entry for entry in session.scalars(statement)}
    return found


def _sha256(value: object) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode("utf-8")).hexdigest()
