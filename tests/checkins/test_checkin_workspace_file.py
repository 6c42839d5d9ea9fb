"""The workspace file's optional `checkins` key: imported, exported the same way, validated; files that
leave it out keep what leads set in Slack."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.checkins.tables import CheckinSchedule
from bot.models import Workspace
from bot.workspace_file import (
    WorkspaceFileError,
    export_workspace,
    import_workspace,
    parse_workspace_document,
)
from tests.workspace_file.support import AS_OF, BASE, NOW


def _with(line: str) -> str:
    return BASE.replace("    members: [U0ALICE, U0BOB]\n", f"    members: [U0ALICE, U0BOB]\n{line}", 1)


def _import(factory: sessionmaker[Session], text: str) -> None:
    with factory.begin() as session:
        import_workspace(session, parse_workspace_document(text), today=AS_OF, now=NOW)


def _schedule(factory: sessionmaker[Session]) -> tuple[bool, int, str, int, str] | None:
    with factory() as session:
        row = session.scalars(select(CheckinSchedule)).first()
        return (
            None if row is None else (row.enabled, row.ask_day, row.ask_time, row.cutoff_day, row.cutoff_time)
        )


def _export(factory: sessionmaker[Session]) -> str:
    with factory() as session:
        workspace_id = session.scalars(select(Workspace.id)).one()
        return export_workspace(session, workspace_id)


def test_checkins_import_and_export_the_same_way(session_factory: sessionmaker[Session]) -> None:
    _import(session_factory, _with("    checkins: Wednesday 9:30\n"))

    assert _schedule(session_factory) == (True, 2, "09:30", 3, "09:30")  # cut-off a day later
    exported = _export(session_factory)
    assert "    checkins: wed 09:30 cutoff thu 09:30\n" in exported
    _import(session_factory, exported)  # the export reads back unchanged
    assert _export(session_factory) == exported


def test_a_file_without_the_key_keeps_the_check_ins_and_off_turns_them_off(
    session_factory: sessionmaker[Session],
) -> None:
    _import(session_factory, _with("    checkins: on\n"))
    _import(session_factory, BASE)
    assert _schedule(session_factory) == (True, 0, "10:00", 1, "10:00")

    _import(session_factory, _with("    checkins: off\n"))

    assert _schedule(session_factory) == (False, 0, "10:00", 1, "10:00")
    assert "checkins" not in _export(session_factory)


@pytest.mark.parametrize("value", ["funday 10:00", "mon 25:00", "mon 10:00 until tue 10:00", "sometimes"])
def test_a_bad_schedule_is_a_problem_on_its_line(value: str) -> None:
    with pytest.raises(WorkspaceFileError) as raised:
        parse_workspace_document(_with(f"    checkins: {value}\n"))

    assert "project 'alpha': checkins:" in str(raised.value)
