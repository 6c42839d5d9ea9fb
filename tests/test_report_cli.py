"""`liaison report [--csv]`: one row per project, through the CLI runner against a SQLite file."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import update

from bot.cli.main import main
from bot.db import make_engine
from bot.models import Project
from tests.conftest import DEMO_FILE, DEMO_NOW


@pytest.fixture
def database_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """The demo alliance, dates as written, and a report run on Fri 20 Nov 2026 (its `as_of`)."""
    monkeypatch.chdir(tmp_path)  # no .env from the checkout
    monkeypatch.setattr("bot.cli.report._now", lambda: DEMO_NOW)
    url = f"sqlite:///{tmp_path / 'liaison.db'}"
    imported = _invoke(["import", str(DEMO_FILE)], url)
    assert imported.exit_code == 0, imported.output
    return url


def _invoke(args: list[str], database_url: str) -> Result:
    return CliRunner().invoke(main, args, env={"DATABASE_URL": database_url})


def test_csv_has_one_row_per_project_with_its_health(database_url: str) -> None:
    result = _invoke(["report", "--csv"], database_url)

    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [r["key"] for r in rows] == [
        "bidshade",
        "brandsafe",
        "consentux",
        "fairdelivery",
        "fatigue",
        "pcm",
        "uplift",
    ]
    pcm = next(r for r in rows if r["key"] == "pcm")
    assert pcm == {
        "key": "pcm",
        "name": "Privacy-preserving conversion measurement",
        "status": "at_risk",
        "private": "no",
        "lead": "Dr. Mei Wong",
        "lead_slack_id": "U06CRWONG",
        "members": "4",
        "open_milestones": "3",
        "overdue": "1",
        "next_due": "2026-12-04 17:00",  # in the workspace's zone
        "next_milestone": "pcm-3",
        "open_blockers": "0",
    }
    consentux = next(r for r in rows if r["key"] == "consentux")
    assert (consentux["status"], consentux["open_milestones"], consentux["next_due"]) == ("done", "0", "")
    assert next(r for r in rows if r["key"] == "fairdelivery")["private"] == "yes"


def test_csv_quotes_what_needs_quoting(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        with engine.begin() as connection:
            connection.execute(
                update(Project).where(Project.key == "bidshade").values(name='Bid shading, "first-price"')
            )
    finally:
        engine.dispose()

    result = _invoke(["report", "--csv"], database_url)

    assert '\nbidshade,"Bid shading, ""first-price""",on_track,' in result.stdout
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert rows[0]["name"] == 'Bid shading, "first-price"' and len(rows) == 7


def test_without_csv_prints_an_aligned_table(database_url: str) -> None:
    result = _invoke(["report"], database_url)

    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split() == [
        "key",
        "status",
        "lead",
        "members",
        "open",
        "milestones",
        "overdue",
        "next",
        "due",
        "open",
        "blockers",
    ]
    assert len(lines) == 8
    assert lines[6].startswith("pcm ") and "at_risk" in lines[6] and "2026-12-04 17:00" in lines[6]


def test_an_empty_database_says_how_to_start(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = _invoke(["report", "--csv"], f"sqlite:///{tmp_path / 'empty.db'}")

    assert result.exit_code == 1
    assert "liaison import FILE.yaml" in result.stderr


def test_an_unknown_workspace_lists_the_known_ones(database_url: str) -> None:
    result = _invoke(["report", "--workspace", "Nope"], database_url)

    assert result.exit_code == 1
    assert "found: Adtech Research Alliance" in result.stderr
