"""`describe_due`: one phrase for a due time, from one instant, in the reader's zone (issue 13, defect 3)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.domain.dates.formatting import describe_due

AMS = ZoneInfo("Europe/Amsterdam")
ZURICH = ZoneInfo("Europe/Zurich")
DUE = datetime(2026, 12, 4, 16, 0, tzinfo=UTC)  # Fri 4 Dec 2026, 17:00 in Amsterdam


@pytest.mark.parametrize(
    ("now", "phrase"),
    [
        (DUE - timedelta(days=4, minutes=5), "due in 4 days (Fri 4 Dec 2026, 17:00 CET)"),
        (DUE - timedelta(hours=3), "due in 3 hours (Fri 4 Dec 2026, 17:00 CET)"),
        (DUE + timedelta(days=2), "2 days overdue (due Fri 4 Dec 2026, 17:00 CET)"),
        # Moved by the weekend from Sunday 17:00 to Monday 08:00: three calendar days, not 2 days 15 h.
        (datetime(2026, 12, 7, 7, 0, tzinfo=UTC), "3 days overdue (due Fri 4 Dec 2026, 17:00 CET)"),
    ],
)
def test_due_phrase_says_how_far_once(now: datetime, phrase: str) -> None:
    due = describe_due(DUE, now, ZURICH)

    assert due.phrase == phrase
    assert due.phrase.count("overdue") == (1 if due.overdue else 0)


def test_due_days_are_counted_on_the_readers_calendar() -> None:
    seoul = ZoneInfo("Asia/Seoul")
    now = datetime(2026, 12, 6, 14, 0, tzinfo=UTC)  # Sunday 15:00 in Amsterdam, Sunday 23:00 in Seoul

    # Fri 17:00 → Sun in Amsterdam; Sat 01:00 → Sun in Seoul, where it was due a calendar day later.
    assert describe_due(DUE, now, AMS).relative == "2 days overdue"
    assert describe_due(DUE, now, seoul).relative == "1 day overdue"
    assert describe_due(DUE, now, seoul).local == "Sat 5 Dec 2026, 01:00 KST"
