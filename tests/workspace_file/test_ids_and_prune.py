"""Milestone and blocker ids (a new title is a rename), `--prune` and its dry run, and the optional
sections that keep reminder policies and personal opt-outs through export and import."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.cli.main import main
from bot.models import (
    INCLUDE_DELETED,
    Blocker,
    FeedOptOut,
    Milestone,
    Person,
    Project,
    ReminderPolicySetting,
)
from bot.workspace_file import WorkspaceFileError, parse_workspace_document
from tests.workspace_file.support import BASE, NOW, export_text, import_text

TWO_MILESTONES = BASE.replace(
    """        status: open
""",
    """        status: open
      - title: Second
        due: 2026-12-04
        owner: U0ALICE
""",
)


def _milestones(factory: sessionmaker[Session], *, deleted: bool = False) -> list[tuple[int, str, bool]]:
    with factory() as session:
        rows = session.scalars(
            select(Milestone)
            .join(Project)
            .where(Project.key == "alpha")
            .order_by(Milestone.number)
            .execution_options(**{INCLUDE_DELETED: deleted})
        )
        return [(m.number, m.title, m.deleted_at is not None) for m in rows]


def test_same_id_with_a_new_title_is_a_rename(session_factory: sessionmaker[Session]) -> None:
    report = import_text(session_factory, TWO_MILESTONES)
    exported = export_text(session_factory, report.workspace_id)
    assert "      - title: Second\n        id: 2\n" in exported

    renamed = import_text(session_factory, exported.replace("title: Second", "title: Second, renamed"))

    assert _milestones(session_factory) == [(1, "First", False), (2, "Second, renamed", False)]
    assert renamed.created == 0
    assert "rename milestone alpha-2 'Second' to 'Second, renamed'" in renamed.plan


def test_without_id_a_new_title_is_still_a_new_milestone(session_factory: sessionmaker[Session]) -> None:
    import_text(session_factory, TWO_MILESTONES)

    report = import_text(session_factory, TWO_MILESTONES.replace("title: Second", "title: Other"))

    assert [title for _, title, _ in _milestones(session_factory)] == ["First", "Second", "Other"]
    assert "create milestone alpha-3 'Other'" in report.plan


def test_blocker_id_makes_new_text_an_edit(session_factory: sessionmaker[Session]) -> None:
    report = import_text(session_factory, BASE)
    exported = export_text(session_factory, report.workspace_id)

    import_text(session_factory, exported.replace("text: Stuck", "text: Still stuck"))

    with session_factory() as session:
        assert [(b.number, b.text) for b in session.scalars(select(Blocker))] == [(1, "Still stuck")]


def test_prune_dry_run_prints_the_plan_and_changes_nothing(tmp_path: Path) -> None:
    database = tmp_path / "liaison.db"
    url = f"sqlite:///{database}"
    first = tmp_path / "first.yaml"
    first.write_text(TWO_MILESTONES, encoding="utf-8")
    runner = CliRunner()
    assert runner.invoke(main, ["import", str(first), "--database-url", url]).exit_code == 0
    second = tmp_path / "second.yaml"
    second.write_text(BASE.replace("title: First", "title: Third"), encoding="utf-8")
    before = database.read_bytes()

    result = runner.invoke(main, ["import", str(second), "--prune", "--dry-run", "--database-url", url])

    assert result.exit_code == 0, result.output
    assert "nothing was changed" in result.output
    assert "create milestone alpha-3 'Third'" in result.output
    assert "remove milestone alpha-1 'First'" in result.output
    assert "remove milestone alpha-2 'Second'" in result.output
    assert database.read_bytes() == before
    with sqlite3.connect(database) as connection:
        titles = connection.execute("SELECT title, deleted_at FROM milestone ORDER BY number").fetchall()
    assert titles == [("First", None), ("Second", None)]


def test_prune_soft_deletes_and_archives_what_the_file_no_longer_lists(
    session_factory: sessionmaker[Session],
) -> None:
    two_projects = TWO_MILESTONES + BASE[BASE.index("  - key: alpha") :].replace("alpha", "beta").replace(
        "C0ALPHA", "C0BETA"
    )
    import_text(session_factory, two_projects)

    assert import_text(session_factory, BASE).removed == 0  # without --prune nothing goes
    report = import_text(session_factory, BASE, prune=True)

    assert report.removed == 2
    assert "remove milestone alpha-2 'Second'" in report.plan
    assert "archive project beta" in report.plan
    assert _milestones(session_factory, deleted=True) == [(1, "First", False), (2, "Second", True)]
    with session_factory() as session:
        archived = {p.key: p.archived_at is not None for p in session.scalars(select(Project))}
    assert archived == {"alpha": False, "beta": True}

    # Listing it again restores it, with its number.
    restored = import_text(session_factory, TWO_MILESTONES, prune=True)
    assert _milestones(session_factory) == [(1, "First", False), (2, "Second", False)]
    assert "update milestone alpha-2 'Second'" in restored.plan


def test_policies_and_opt_outs_round_trip(
    session_factory: sessionmaker[Session], other_session_factory: sessionmaker[Session]
) -> None:
    text = (
        BASE.replace(
            "  as_of: 2026-11-20\n",
            "  as_of: 2026-11-20\n  reminders:\n    lead_times: 7d,1d,0\n    skip_weekends: true\n",
        )
        .replace(
            "    members: [U0ALICE, U0BOB]\n",
            "    members: [U0ALICE, U0BOB]\n    reminders:\n      escalate_lead_days: 2\n"
            "      digest: mon 09:00\n",
        )
        .replace(
            "    name: Bob Example\n",
            "    name: Bob Example\n    notifications: off\n    waiting_digest: off\n",
        )
    )
    report = import_text(session_factory, text)
    exported = export_text(session_factory, report.workspace_id)

    assert "  reminders:\n    lead_times: 7d,1d,0\n    skip_weekends: true\n" in exported
    assert "    reminders:\n      escalate_lead_days: 2\n      digest: mon 09:00\n" in exported
    assert "    notifications: off\n    waiting_digest: off\n" in exported
    again = import_text(other_session_factory, exported)
    assert export_text(other_session_factory, again.workspace_id) == exported
    with other_session_factory() as session:
        policies = {
            row.scope.split(":")[0]: (row.lead_times, row.skip_weekends, row.escalate_lead_days, row.digest)
            for row in session.scalars(select(ReminderPolicySetting))
        }
        bob = session.scalars(select(Person).where(Person.slack_id == "U0BOB")).one()
        opted_out = session.get(FeedOptOut, bob.id) is not None
        waiting_opt_out = bob.waiting_digest_opt_out
    assert policies == {
        "workspace": ("7d,1d,0", True, None, None),
        "project": (None, None, 2, "mon 09:00"),
    }
    assert opted_out and waiting_opt_out


def test_a_file_without_opt_outs_keeps_those_chosen_in_slack(session_factory: sessionmaker[Session]) -> None:
    import_text(session_factory, BASE)
    with session_factory.begin() as session:
        bob = session.scalars(select(Person).where(Person.slack_id == "U0BOB")).one()
        session.add(FeedOptOut(person_id=bob.id, since=NOW))

    import_text(session_factory, BASE)

    with session_factory() as session:
        assert session.scalars(select(FeedOptOut)).one() is not None


@pytest.mark.parametrize(
    ("old", "new", "line", "message"),
    [
        (
            "        owner: U0BOB\n",
            "        owner: U0BOB\n        id: zero\n",
            22,
            "id must be a whole number",
        ),
        ("        owner: U0BOB\n", "        owner: U0BOB\n        id: 0\n", 22, "id must be between 1"),
        (
            "    channel: C0ALPHA\n",
            "    channel: C0ALPHA\n    reminders: 3\n",
            16,
            "reminders must be a mapping",
        ),
        (
            "    channel: C0ALPHA\n",
            "    channel: C0ALPHA\n    reminders:\n      lead_time: 1d\n",
            17,
            "did you mean",
        ),
        ("    name: Bob Example\n", "    name: Bob Example\n    notifications: maybe\n", 11, "true or false"),
    ],
)
def test_new_fields_report_problems_with_lines(old: str, new: str, line: int, message: str) -> None:
    assert old in BASE
    with pytest.raises(WorkspaceFileError) as error:
        parse_workspace_document(BASE.replace(old, new, 1))

    assert [p.line for p in error.value.problems] == [line]
    assert message in error.value.problems[0].message


def test_a_repeated_id_is_a_problem() -> None:
    text = TWO_MILESTONES.replace(
        "        owner: U0BOB\n", "        owner: U0BOB\n        id: 1\n", 1
    ).replace("        owner: U0ALICE\n", "        owner: U0ALICE\n        id: 1\n", 1)
    with pytest.raises(WorkspaceFileError) as error:
        parse_workspace_document(text)

    assert "id 1 is used twice (first at line 22)" in str(error.value)
