"""Milestone descriptions, links and dependencies, and blockers on a milestone, in the workspace file."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.models import Blocker, Milestone, MilestoneDependency
from bot.workspace_file import WorkspaceFileError, parse_workspace_document
from tests.workspace_file.support import BASE, export_text, import_text

RICH = BASE.replace(
    """        status: open
    blockers:
      - text: Stuck
""",
    """        status: open
        id: 1
        description: What the first one is.
        links:
          - https://example.org/spec
          - http://example.org/notes?a=1&b=2
      - title: Second
        id: 2
        due: 2026-12-04
        depends_on: [1]
    blockers:
      - text: Stuck
        milestone: 2
""",
)


def test_rich_fields_import_and_round_trip_byte_identical(
    session_factory: sessionmaker[Session], other_session_factory: sessionmaker[Session]
) -> None:
    report = import_text(session_factory, RICH)

    with session_factory() as session:
        first, second = session.scalars(select(Milestone).order_by(Milestone.number)).all()
        assert first.description == "What the first one is."
        assert first.links == '["https://example.org/spec", "http://example.org/notes?a=1&b=2"]'
        dependency = session.scalars(select(MilestoneDependency)).one()
        assert (dependency.milestone_id, dependency.depends_on_id) == (second.id, first.id)
        assert session.scalars(select(Blocker)).one().milestone_id == second.id
    exported = export_text(session_factory, report.workspace_id)
    assert "        depends_on: [1]\n" in exported and "        milestone: 2\n" in exported
    again = import_text(other_session_factory, exported)
    assert export_text(other_session_factory, again.workspace_id) == exported
    # Importing the same file again changes nothing.
    assert import_text(session_factory, exported).updated == 0


def test_dependencies_the_file_drops_are_removed(session_factory: sessionmaker[Session]) -> None:
    import_text(session_factory, RICH)

    import_text(session_factory, RICH.replace("        depends_on: [1]\n", ""))

    with session_factory() as session:
        assert session.scalars(select(MilestoneDependency)).all() == []


def test_depends_on_another_project_by_ref(session_factory: sessionmaker[Session]) -> None:
    beta = RICH[RICH.index("  - key: alpha") :].replace("alpha", "beta").replace("C0ALPHA", "C0BETA")
    beta = beta.replace("depends_on: [1]", "depends_on: [1, alpha-2]")
    report = import_text(session_factory, RICH + beta)

    exported = export_text(session_factory, report.workspace_id)

    assert "        depends_on: [alpha-2, 1]\n" in exported


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("          - https://example.org/spec\n", "          - ftp://x.org/spec\n", "not an http(s) URL"),
        (
            "          - https://example.org/spec\n",
            "          - https://example.org/a b\n",
            "not an http(s) URL",
        ),
        ("        depends_on: [1]\n", "        depends_on: [7]\n", "'alpha-7' is not a milestone id"),
        ("        depends_on: [1]\n", "        depends_on: [first]\n", "write the id of a milestone"),
        ("        milestone: 2\n", "        milestone: 9\n", "milestone 9 is not the id of a milestone"),
        ("        description: What the first one is.\n", "        description: [a]\n", "must be a string"),
    ],
)
def test_bad_rich_fields_are_reported_at_their_line(old: str, new: str, message: str) -> None:
    assert old in RICH
    line = RICH[: RICH.index(old)].count("\n") + 1
    with pytest.raises(WorkspaceFileError) as error:
        parse_workspace_document(RICH.replace(old, new, 1))

    assert [(p.line, message in p.message) for p in error.value.problems] == [(line, True)]


def test_a_dependency_cycle_is_reported() -> None:
    text = RICH.replace("        id: 1\n", "        id: 1\n        depends_on: [2]\n", 1)

    with pytest.raises(WorkspaceFileError) as error:
        parse_workspace_document(text)

    assert "milestones depend on each other in a cycle: alpha-1 → alpha-2 → alpha-1" in str(error.value)
