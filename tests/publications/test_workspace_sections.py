"""The workspace file's `venues:` and `papers:` sections: the demo's, round trips, re-imports, errors."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.db import Base
from bot.models import Milestone, Project
from bot.publications.tables import Paper, PaperMilestone, Venue
from bot.workspace_file.document import WorkspaceFileError
from bot.workspace_file.export import export_workspace
from bot.workspace_file.importer import import_workspace, import_workspace_file
from bot.workspace_file.parse import parse_workspace_document
from tests.fakes.driver import SlackDriver
from tests.publications.conftest import BELL, OSEI

DEMO_FILE = Path(__file__).resolve().parents[2] / "bot" / "data" / "adtech-alliance.yaml"
SHARED_EXAMPLE = Path(__file__).resolve().parents[3] / "shared" / "examples" / "adtech-alliance.yaml"
NOW = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)


def _fresh() -> sessionmaker[Session]:
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    return sessionmaker(engine, expire_on_commit=False)


def _milestones(factory: sessionmaker[Session]) -> int:
    with factory() as session:
        return session.scalar(select(func.count()).select_from(Milestone)) or 0


@pytest.mark.usefixtures("demo")
def test_the_demo_shows_a_planned_paper_and_one_whose_review_no_longer_fits(slack: SlackDriver) -> None:
    listed = slack.command(OSEI, "/paper list").reply_text
    assert "fatigue-p1" in listed and "fatigue-p2" in listed and "23:59 AoE" in listed
    fits = slack.command(OSEI, "/paper status fatigue-p1").reply_text
    assert "Partner review starts" in fits and "no longer fits" not in fits and "Ana Lima" in fits
    late = slack.command(BELL, "/paper status fatigue-p2").reply_text
    assert "no longer fits" in late and "Sun 15 Nov 2026" in late
    venues = slack.command(OSEI, "/paper venues").reply_text
    assert "funding call" in venues and "AdSys 2027" in venues and "CAMW 2026" in venues


def test_export_round_trip_is_exact_and_reimport_neither_duplicates_nor_loses_the_plan() -> None:
    first = _fresh()
    with first.begin() as session:
        import_workspace_file(session, DEMO_FILE, today=NOW.date(), now=NOW)
    with first() as session:
        text = export_workspace(session, 1)
    assert "venues:" in text and "papers:" in text and "Draft complete" not in text
    count = _milestones(first)

    second = _fresh()
    with second.begin() as session:
        import_workspace(session, parse_workspace_document(text), today=NOW.date(), now=NOW)
    with second() as session:
        assert export_workspace(session, 1) == text
    assert _milestones(second) == count

    # Importing the same file again (even pruning) keeps one plan per paper, not deleted.
    with first.begin() as session:
        import_workspace(session, parse_workspace_document(text), today=NOW.date(), now=NOW, prune=True)
    with first() as session:
        assert session.scalar(select(func.count()).select_from(Milestone)) == count
        plan = session.scalars(select(PaperMilestone)).all()
        assert len(plan) == 4 and all(link.milestone is not None for link in plan)  # 3 + 1 (2 passed)
        assert export_workspace(session, 1) == text


def test_rebased_files_move_deadlines_on_their_own_clock() -> None:
    factory = _fresh()
    with factory.begin() as session:
        report = import_workspace_file(
            session, DEMO_FILE, today=date(2026, 12, 4), now=NOW, rebase_dates=True
        )
        assert report.shift_days == 14
    with factory() as session:
        venue = session.scalars(select(Venue).where(Venue.key == "adsys27")).one()
        assert venue.deadline_at == datetime(2027, 2, 27, 11, 59, tzinfo=UTC)  # 26 Feb, 23:59 AoE
        assert venue.notification_on == date(2027, 4, 30)


def test_files_without_the_sections_still_import(tmp_path: Path) -> None:
    factory = _fresh()
    with factory.begin() as session:
        import_workspace_file(session, SHARED_EXAMPLE, today=NOW.date(), now=NOW)
    with factory() as session:
        assert session.scalar(select(func.count()).select_from(Paper)) == 0
        assert session.scalar(select(func.count()).select_from(Project))


@pytest.mark.parametrize(
    ("section", "says"),
    [
        ("venues:\n  - key: x1\n    name: X\n    kind: symposium\n", "kind 'symposium' is not one of"),
        (
            "venues:\n  - key: x1\n    name: X\n    kind: journal\n"
            "    deadline: 2027-01-01\n    zone: Mars/Base\n",
            "not a time zone",
        ),
        (
            "venues:\n  - key: x1\n    name: X\n    kind: journal\n    deadline: next week\n",
            "YYYY-MM-DD HH:MM",
        ),
        (
            "papers:\n  - project: fatigue\n    id: 1\n    title: T\n    authors: [U0NOBODY1]\n",
            "not one of the people in this file",
        ),
        ("papers:\n  - project: nosuch\n    id: 1\n    title: T\n    authors: [Jane]\n", "not a project"),
        (
            "papers:\n  - project: fatigue\n    id: 1\n    title: T\n    authors: [Jane]\n    venue: ghost\n",
            "not a venue in this file",
        ),
        ("papers:\n  - project: fatigue\n    id: 1\n    title: T\n    authors: []\n", "at least one author"),
        (
            "papers:\n  - project: fatigue\n    id: 1\n    title: T\n    authors: [Jane]\n"
            "  - project: fatigue\n    id: 1\n    title: U\n    authors: [Jane]\n",
            "listed twice",
        ),
    ],
)
def test_bad_sections_are_reported_with_their_line(section: str, says: str) -> None:
    text = SHARED_EXAMPLE.read_text(encoding="utf-8") + "\n" + section
    with pytest.raises(WorkspaceFileError, match=says):
        parse_workspace_document(text)
