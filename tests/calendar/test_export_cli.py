"""`liaison calendar export`: the feed as a file, through the CLI runner against a SQLite file."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from icalendar import Calendar

from bot.cli.main import main
from tests.calendar.support import events, milestones
from tests.conftest import DEMO_FILE, DEMO_NOW


@pytest.fixture
def database_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.chdir(tmp_path)  # no .env from the checkout
    monkeypatch.setattr("bot.cli.calendar._now", lambda: DEMO_NOW)
    url = f"sqlite:///{tmp_path / 'liaison.db'}"
    imported = _invoke(["import", str(DEMO_FILE)], url)
    assert imported.exit_code == 0, imported.output
    return url


def _invoke(args: list[str], database_url: str) -> Result:
    return CliRunner().invoke(main, args, env={"DATABASE_URL": database_url})


def test_export_writes_a_persons_feed(database_url: str) -> None:
    result = _invoke(["calendar", "export", "--person", "U01MLOSEI"], database_url)

    assert result.exit_code == 0, result.output
    assert result.stdout_bytes.startswith(b"BEGIN:VCALENDAR\r\n")
    found = events(Calendar.from_ical(result.stdout_bytes))
    assert {"milestone-bidshade-3.w1@liaison", "milestone-fatigue-2.w1@liaison"} <= milestones(found)
    assert not any(uid.startswith("milestone-fairdelivery-") for uid in found)
    # The same UIDs and SEQUENCE numbers on a second export: an update, not a duplicate.
    again = _invoke(["calendar", "export", "--person", "U01MLOSEI"], database_url)
    assert again.stdout_bytes == result.stdout_bytes


def test_export_writes_a_projects_feed(database_url: str) -> None:
    result = _invoke(["calendar", "export", "--project", "fairdelivery"], database_url)

    assert result.exit_code == 0, result.output
    found = events(Calendar.from_ical(result.stdout_bytes))
    assert {"milestone-fairdelivery-1.w1@liaison", "milestone-fairdelivery-2.w1@liaison"} <= set(found)


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--person", "U0NOBODY"], 1, "No person U0NOBODY"),
        (["--project", "nope"], 1, "No project nope"),
        ([], 2, "exactly one of --person"),
        (["--person", "U01MLOSEI", "--project", "pcm"], 2, "exactly one of --person"),
        (["--person", "U01MLOSEI", "--workspace", "Elsewhere"], 1, "Choose one workspace"),
    ],
)
def test_export_refuses_bad_input_clearly(
    database_url: str, args: list[str], code: int, message: str
) -> None:
    result = _invoke(["calendar", "export", *args], database_url)

    assert result.exit_code == code
    assert message in result.output
    assert "Traceback" not in result.output
