"""People's `until` (their last day) in the workspace file: optional, validated, rebased, round-tripped."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.models import Person
from bot.workspace_file import WorkspaceFileError, import_workspace, parse_workspace_document
from tests.conftest import DEMO_FILE, REPO_ROOT
from tests.workspace_file.support import BASE, export_text, import_file, import_text

SHARED_EXAMPLE = REPO_ROOT.parent / "shared" / "examples" / "adtech-alliance.yaml"
WITH_UNTIL = BASE.replace("    name: Bob Example\n", "    name: Bob Example\n    until: 2026-12-18\n")


def _until(factory: sessionmaker[Session], slack_id: str) -> date | None:
    with factory() as session:
        return session.scalars(select(Person.until).where(Person.slack_id == slack_id)).one()


def test_until_is_read_as_a_date() -> None:
    document = parse_workspace_document(WITH_UNTIL)
    assert {p.slack_id: p.until for p in document.people} == {"U0ALICE": None, "U0BOB": date(2026, 12, 18)}


@pytest.mark.parametrize("value", ["'2026-12-18'", "2026-12-18"])
def test_until_may_be_quoted_or_not(value: str) -> None:
    text = BASE.replace("    name: Bob Example\n", f"    name: Bob Example\n    until: {value}\n")
    assert parse_workspace_document(text).people[1].until == date(2026, 12, 18)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2026-02-30", "person 'U0BOB' until '2026-02-30' is not a date YYYY-MM-DD"),
        ("next friday", "person 'U0BOB' until 'next friday' is not a date YYYY-MM-DD"),
        ("[2026-12-18]", "person 'U0BOB' until must be a date YYYY-MM-DD, not a list"),
    ],
)
def test_bad_until_is_a_problem_on_its_line(value: str, message: str) -> None:
    text = BASE.replace("    name: Bob Example\n", f"    name: Bob Example\n    until: {value}\n")
    with pytest.raises(WorkspaceFileError) as caught:
        parse_workspace_document(text, "team.yaml")
    assert str(caught.value) == f"team.yaml:11: {message}"


def test_misspelt_until_gets_a_did_you_mean() -> None:
    text = BASE.replace("    name: Bob Example\n", "    name: Bob Example\n    untill: 2026-12-18\n")
    with pytest.raises(WorkspaceFileError) as caught:
        parse_workspace_document(text, "team.yaml")
    assert "unknown key 'untill' (did you mean 'until'?)" in str(caught.value)


def test_import_sets_until_and_a_file_without_it_clears_it(session_factory: sessionmaker[Session]) -> None:
    import_text(session_factory, WITH_UNTIL)
    assert _until(session_factory, "U0BOB") == date(2026, 12, 18)

    report = import_text(session_factory, BASE)

    assert _until(session_factory, "U0BOB") is None
    assert report.updated == 1  # Bob: the file decides the fields of the people it lists


def test_reimporting_the_same_until_changes_nothing(session_factory: sessionmaker[Session]) -> None:
    import_text(session_factory, WITH_UNTIL)
    assert import_text(session_factory, WITH_UNTIL).updated == 0


def test_rebasing_moves_until_by_whole_weeks(session_factory: sessionmaker[Session]) -> None:
    with session_factory.begin() as session:
        report = import_workspace(
            session, parse_workspace_document(WITH_UNTIL), today=date(2027, 1, 8), rebase_dates=True
        )
    assert report.shift_days == 49
    assert _until(session_factory, "U0BOB") == date(2027, 2, 5)  # still a Friday


def test_export_writes_until_after_the_time_zone_and_round_trips(
    session_factory: sessionmaker[Session], other_session_factory: sessionmaker[Session]
) -> None:
    first = export_text(session_factory, import_text(session_factory, WITH_UNTIL).workspace_id)
    assert "    name: Bob Example\n    until: 2026-12-18\n" in first

    second = export_text(other_session_factory, import_text(other_session_factory, first).workspace_id)

    assert second == first


def test_demo_file_has_a_leaver_and_round_trips(
    session_factory: sessionmaker[Session], other_session_factory: sessionmaker[Session]
) -> None:
    report = import_file(session_factory, DEMO_FILE)
    assert _until(session_factory, "U08NLKIMJ") == date(2026, 12, 18)
    text = export_text(session_factory, report.workspace_id)
    assert "until: 2026-12-18" in text
    again = export_text(other_session_factory, import_text(other_session_factory, text).workspace_id)
    assert again == text


@pytest.mark.skipif(not SHARED_EXAMPLE.exists(), reason="the shared example is not beside this checkout")
def test_the_original_demo_file_without_until_still_imports(session_factory: sessionmaker[Session]) -> None:
    report = import_file(session_factory, SHARED_EXAMPLE)
    assert report.people == 24
    with session_factory() as session:
        assert session.scalars(select(Person).where(Person.until.is_not(None))).all() == []
