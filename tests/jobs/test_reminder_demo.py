"""The demo console: `:clock +Nd` lets reminders, escalations and digests fire visibly, in order."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from bot.cli.console.session import ConsoleSession
from bot.db import make_engine, make_session_factory
from bot.settings import Settings
from bot.workspace_file import import_workspace_file
from tests.conftest import DEMO_FILE
from tests.migrated import migrate_from_template


def test_clock_forward_shows_reminders_escalations_and_digests_once(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    migrate_from_template(url)
    engine = make_engine(url)
    with make_session_factory(engine).begin() as session:
        import_workspace_file(session, DEMO_FILE, today=date.today(), rebase_dates=True)
    engine.dispose()
    output: list[str] = []
    console = ConsoleSession(Settings(database_url=url), output=output.append, with_scheduler=True)
    console.start()
    try:
        console.handle_line(":clock +8d")
        text = "\n".join(output)
        posted = len(console.fake.messages())
        console.handle_line(":clock +1m")  # nothing that already fired fires again
        again = len(console.fake.messages())
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
    assert again == posted
