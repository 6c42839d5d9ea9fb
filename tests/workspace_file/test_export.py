"""Workspace export: what it writes, quoting, and byte-identical round trips through import."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.models import (
    ExpertVisibility,
    Milestone,
    MilestoneStatus,
    Person,
    Project,
    Role,
    Workspace,
)
from bot.workspace_file import (
    export_workspace,
)
from tests.conftest import DEMO_FILE
from tests.workspace_file.support import (
    BASE,
    EXTENSIONS_FILE,
    export_text,
    find_milestone,
    import_file,
    import_text,
    snapshot,
)

# ---- export and round trips ---------------------------------------------------------------------


def _without_ids(data: Any) -> Any:
    """The file's data with the `id` of milestones and blockers left out (the demo file has none)."""
    if isinstance(data, dict):
        return {key: _without_ids(value) for key, value in data.items() if key != "id"}
    if isinstance(data, list):
        return [_without_ids(item) for item in data]
    return data


def test_export_of_demo_reads_back_as_the_same_data(session_factory: sessionmaker[Session]) -> None:
    report = import_file(session_factory, DEMO_FILE)

    text = export_text(session_factory, report.workspace_id)

    assert _without_ids(yaml.safe_load(text)) == _without_ids(
        yaml.safe_load(DEMO_FILE.read_text(encoding="utf-8"))
    )
    # Every milestone and blocker carries its number, so a renamed one stays itself on re-import.
    assert "        id: 1\n" in text
    # Written like the hand-made file: unquoted times, flow lists, defaults left out.
    assert "        due: 2026-11-27 12:00\n" in text
    assert "    members: [U02ECBANE, U01MLOSEI, U02ECMORA, U11DEJANS]\n" in text
    assert text.count("private:") == 1
    assert "status: open" not in text
    assert "        timezone:" not in text
    assert max(len(line) for line in text.splitlines()) <= 100


def test_round_trip_is_byte_identical_and_data_identical(
    session_factory: sessionmaker[Session], other_session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    first = import_file(session_factory, DEMO_FILE)
    exported = export_text(session_factory, first.workspace_id)
    path = tmp_path / "exported.yaml"
    path.write_text(exported, encoding="utf-8")

    second = import_file(other_session_factory, path)

    assert export_text(other_session_factory, second.workspace_id) == exported
    assert snapshot(other_session_factory, second.workspace_id) == snapshot(
        session_factory, first.workspace_id
    )


def test_extensions_import_into_the_right_columns(session_factory: sessionmaker[Session]) -> None:
    report = import_file(session_factory, EXTENSIONS_FILE)

    assert (report.people, report.projects, report.milestones, report.blockers) == (3, 2, 3, 2)
    with session_factory() as session:
        workspace = session.get(Workspace, report.workspace_id)
        assert workspace is not None and workspace.slack_team_id == "T0INTERCH"
        alice = session.scalars(select(Person).where(Person.slack_id == "U0ALICE")).one()
        assert alice.publications[0].abstract is not None
        assert alice.publications[0].abstract.startswith("We show that an export which re-imports")
        assert alice.publications[1].title == "Yes: a short note on YAML booleans"
        assert alice.publications[1].abstract is None
        assert (alice.expert_visibility, alice.weekly_request_cap) == (ExpertVisibility.LISTED, 1)
        bob = session.scalars(select(Person).where(Person.slack_id == "U0BOB")).one()
        assert (bob.expert_visibility, bob.weekly_request_cap) == (ExpertVisibility.HIDDEN, None)
        interop = session.scalars(select(Project).where(Project.key == "interop")).one()
        assert interop.private is True
        assert interop.channel_id == "G0INTEROP"
        assert sorted((m.person.slack_id, m.role, m.position) for m in interop.memberships) == [
            ("U0ALICE", Role.MEMBER, 0),
            ("U0BOB", Role.LEAD, 1),
            ("W0CAROL", Role.VIEWER, 2),
        ]
        draft = find_milestone(session, "interop", "Draft spec")
        # Written in New York time (EST, UTC-5), not in the workspace zone.
        assert (draft.due_at, draft.due_timezone) == (
            datetime(2026, 11, 18, 14, 30, tzinfo=UTC),
            "America/New_York",
        )
        assert draft.done_at == datetime(2026, 11, 17, 21, 45, tzinfo=UTC)
        # The offset picks the second 02:30 of the night the clocks go back.
        rehearsal = find_milestone(session, "interop", "Fall-back rehearsal")
        assert rehearsal.due_at == datetime(2026, 10, 25, 1, 30, tzinfo=UTC)
        blockers = [
            (b.number, b.raised_by.slack_id if b.raised_by else None, b.raised_at, b.resolved_at)
            for b in interop.blockers
        ]
        assert blockers == [
            (1, "U0ALICE", datetime(2026, 11, 19, 9, 15, tzinfo=UTC), None),
            (2, "U0BOB", datetime(2026, 11, 2, 7, 0, tzinfo=UTC), datetime(2026, 11, 3, 13, 30, tzinfo=UTC)),
        ]
        assert interop.blockers[1].resolved_by is not None
        assert interop.blockers[1].resolved_by.slack_id == "W0CAROL"
        plain = session.scalars(select(Project).where(Project.key == "plain")).one()
        assert (plain.name, plain.private, plain.description) == ("2026", False, "")


def test_extensions_round_trip_byte_identical(
    session_factory: sessionmaker[Session], other_session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    first = import_file(session_factory, EXTENSIONS_FILE)
    exported = export_text(session_factory, first.workspace_id)
    # The file is written in export form, so export reproduces it exactly.
    assert exported == EXTENSIONS_FILE.read_text(encoding="utf-8")
    path = tmp_path / "exported.yaml"
    path.write_text(exported, encoding="utf-8")

    second = import_file(other_session_factory, path)

    assert export_text(other_session_factory, second.workspace_id) == exported
    assert snapshot(other_session_factory, second.workspace_id) == snapshot(
        session_factory, first.workspace_id
    )


def test_export_quotes_text_that_yaml_would_read_as_another_type(
    session_factory: sessionmaker[Session], other_session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    report = import_text(session_factory, BASE)
    tricky = ["yes", "2026-11-20", "12", "a: b", " padded ", "line one\nline two", "# not a comment", "null"]
    with session_factory.begin() as session:
        alpha = session.scalars(select(Project).where(Project.key == "alpha")).one()
        alpha.description = "  two  spaces\tand a tab, " + "long " * 30
        for number, title in enumerate(tricky, start=2):
            alpha.milestones.append(
                Milestone(
                    number=number,
                    title=title,
                    due_at=datetime(2026, 12, 1, 16, 0, tzinfo=UTC),
                    due_timezone="Asia/Kolkata",
                    status=MilestoneStatus.OPEN,
                )
            )
    exported = export_text(session_factory, report.workspace_id)
    path = tmp_path / "tricky.yaml"
    path.write_text(exported, encoding="utf-8")

    second = import_file(other_session_factory, path)

    assert snapshot(other_session_factory, second.workspace_id) == snapshot(
        session_factory, report.workspace_id
    )
    assert export_text(other_session_factory, second.workspace_id) == exported
    assert "        due: 2026-12-01 21:30\n        timezone: Asia/Kolkata\n" in exported


def test_export_of_unknown_workspace_raises(session_factory: sessionmaker[Session]) -> None:
    with pytest.raises(LookupError), session_factory() as session:
        export_workspace(session, 42)
