"""The demo console: `:clock +Nd` lets reminders, escalations and digests fire visibly, in order."""

from __future__ import annotations

import re
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from bot.cli.console.session import ConsoleSession
from bot.db import make_engine, make_session_factory
from bot.settings import Settings
from bot.workspace_file import import_workspace_file
from tests.conftest import DEMO_FILE
from tests.migrated import migrate_from_template


def _settled_count(console: ConsoleSession, *, quiet: float = 1.0, limit: float = 20.0) -> int:
    """How many messages the fake Slack holds once none has arrived for `quiet` seconds (at most
    `limit` seconds of waiting)."""
    deadline = time.monotonic() + limit
    count = len(console.fake.messages())
    quiet_since = time.monotonic()
    while time.monotonic() < deadline and time.monotonic() - quiet_since < quiet:
        time.sleep(0.05)
        now_count = len(console.fake.messages())
        if now_count != count:
            count, quiet_since = now_count, time.monotonic()
    return count


def _to_ten_past(now: datetime) -> timedelta:
    """How far it is from `now` to ten minutes past the next hour."""
    return now.replace(minute=10, second=0, microsecond=0) + timedelta(hours=1) - now


def test_clock_forward_shows_reminders_escalations_and_digests_once(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    migrate_from_template(url)
    engine = make_engine(url)
    with make_session_factory(engine).begin() as session:
        import_workspace_file(session, DEMO_FILE, today=date.today(), rebase_dates=True)
    engine.dispose()
    output: list[str] = []
    console = ConsoleSession(Settings(database_url=url), output=output.append, with_scheduler=True)
    # Sends fall on the hour or the half hour (09:00 local, 17:00 due times, zones like Asia/Kolkata):
    # start ten minutes past an hour, or the last step could cross one and rightly post something new.
    console.clock.advance(_to_ten_past(datetime.now(UTC)))
    console.start()
    try:
        console.handle_line(":clock +8d")
        # The clock move also wakes the scheduler's jobs, which post on their own threads: count once
        # they are done, or a late post of this move would pass for a second one of the next.
        posted = _settled_count(console)
        text = "\n".join(output)
        console.handle_line(":clock +1m")  # nothing that already fired fires again
        again = _settled_count(console)
        late = [(m["channel"], m["text"][:120]) for m in console.fake.messages()[posted:]]
    finally:
        console.stop()

    assert text.startswith("Clock moved to ")
    stamps = re.findall(r"^⏰ (.+) UTC \(simulated\)$", text, flags=re.MULTILINE)
    assert len(stamps) >= 3
    assert "── Liaison → DM to @" in text
    assert ":alarm_clock: Reminder:" in text  # a lead-time reminder
    assert "days overdue*" in text  # an escalation to a lead or channel
    assert "Weekly digest of" in text and "Waiting on you" in text
    # The buttons can be pressed with :click (which message comes first within one tick may vary).
    assert re.search(r"\[\d+: Done\]", text)
    assert again == posted, late
