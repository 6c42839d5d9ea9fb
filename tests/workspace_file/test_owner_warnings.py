"""A milestone owner who is not on the project: imported, with a warning naming milestone and owner.

Issue 13, defect 13. `/milestone add` refuses such an owner, but Slack itself can leave one behind (a
member who leaves keeps the milestones they owned, and export writes them so), so refusing the file
would make such an export impossible to import back: the import warns instead, and says where.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy.orm import Session, sessionmaker

from bot.cli.main import main
from bot.workspace_file import parse_workspace_document
from tests.conftest import DEMO_FILE
from tests.workspace_file.support import BASE, find_milestone, import_file, import_text

# BASE with a third person, Carol, who is on no project, owning alpha's milestone.
CAROL = "  - slack_id: U0CAROL\n    name: Carol Example\n"
OUTSIDE_OWNER = BASE.replace("projects:\n", CAROL + "projects:\n").replace("owner: U0BOB", "owner: U0CAROL")
SHARED_EXAMPLE = Path(__file__).resolve().parents[3] / "shared" / "examples" / "adtech-alliance.yaml"


def _line_of(text: str, fragment: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), start=1) if fragment in line)


def test_owner_outside_the_project_is_a_warning_at_the_milestone() -> None:
    document = parse_workspace_document(OUTSIDE_OWNER, "alliance.yaml")

    (warning,) = document.warnings
    assert warning.line == _line_of(OUTSIDE_OWNER, "- title: First")
    assert "milestone 'First'" in warning.message and "owner 'U0CAROL'" in warning.message
    assert "not a member or viewer of the project" in warning.message


def test_owner_outside_the_project_is_imported_and_reported(session_factory: sessionmaker[Session]) -> None:
    report = import_text(session_factory, OUTSIDE_OWNER)

    line = _line_of(OUTSIDE_OWNER, "- title: First")
    assert report.warnings == (
        f"<string>:{line}: project 'alpha' milestone 'First': owner 'U0CAROL' is not a member or viewer "
        "of the project; imported anyway (add them to members, or change the owner)",
    )
    with session_factory() as session:
        first = find_milestone(session, "alpha", "First")
        assert first.owner is not None and first.owner.slack_id == "U0CAROL"


def test_members_leads_and_viewers_may_own_milestones_without_warning() -> None:
    as_viewer = OUTSIDE_OWNER.replace("    milestones:\n", "    viewers: [U0CAROL]\n    milestones:\n")
    as_lead = BASE.replace("owner: U0BOB", "owner: U0ALICE")

    assert parse_workspace_document(as_viewer).warnings == ()
    assert parse_workspace_document(as_lead).warnings == ()
    assert parse_workspace_document(BASE).warnings == ()


def test_shipped_examples_import_without_warnings(session_factory: sessionmaker[Session]) -> None:
    assert import_file(session_factory, DEMO_FILE).warnings == ()
    if SHARED_EXAMPLE.is_file():  # the compatibility test in test_import.py insists on it in CI
        assert import_file(session_factory, SHARED_EXAMPLE).warnings == ()


def test_cli_import_prints_the_warning_and_succeeds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # no .env from the checkout
    path = tmp_path / "alliance.yaml"
    path.write_text(OUTSIDE_OWNER, encoding="utf-8")

    result = CliRunner().invoke(
        main, ["import", str(path)], env={"DATABASE_URL": f"sqlite:///{tmp_path / 'liaison.db'}"}
    )

    assert result.exit_code == 0, result.output
    line = _line_of(OUTSIDE_OWNER, "- title: First")
    assert f"Warning: {path}:{line}: project 'alpha' milestone 'First': owner 'U0CAROL'" in result.stderr
    assert "Imported" in result.stdout
