"""Which workspace a request's team id selects (`bot.access.resolve_workspace`), in one query.

The rules: the team's own workspace first, then an org-wide install that serves the team, then the one
unbound workspace (single-workspace installs and the demo); anything else is "not set up". The query
ranks them in SQL, so it is checked on SQLite and on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.access import resolve_workspace
from bot.db import make_engine, make_session_factory
from bot.errors import NotSetUp
from bot.models import Workspace, WorkspaceTeam
from tests.migrated import DATABASE_KINDS, migrated_database
from tests.statements import recorded_statements

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


@pytest.fixture(params=DATABASE_KINDS)
def session_factory(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(migrated_database(request, tmp_path))
    yield make_session_factory(engine)
    engine.dispose()


def _add(session_factory: sessionmaker[Session], name: str, team: str | None, *org_teams: str) -> None:
    with session_factory.begin() as session:
        workspace = Workspace(name=name, timezone="UTC", slack_team_id=team)
        session.add(workspace)
        session.flush()
        for org_team in org_teams:
            session.add(
                WorkspaceTeam(
                    workspace_id=workspace.id,
                    slack_team_id=org_team,
                    slack_enterprise_id=team or "E0",
                    created_at=NOW,
                )
            )


def _resolve(session_factory: sessionmaker[Session], team: str | None) -> str:
    with session_factory() as session:
        return resolve_workspace(session, team).name


def test_the_only_unbound_workspace_serves_any_team(session_factory: sessionmaker[Session]) -> None:
    _add(session_factory, "demo", None)
    assert _resolve(session_factory, "T1") == "demo"
    assert _resolve(session_factory, None) == "demo"


def test_a_team_finds_its_own_workspace_before_an_org_install_or_an_unbound_one(
    session_factory: sessionmaker[Session],
) -> None:
    _add(session_factory, "unbound", None)
    _add(session_factory, "org", "E1", "T1", "T2")
    _add(session_factory, "own", "T1")
    assert _resolve(session_factory, "T1") == "own"
    assert _resolve(session_factory, "T2") == "org"
    assert _resolve(session_factory, "T9") == "unbound"
    assert _resolve(session_factory, None) == "unbound"


def test_several_unbound_workspaces_serve_no_team_without_a_match(
    session_factory: sessionmaker[Session],
) -> None:
    _add(session_factory, "first", None)
    _add(session_factory, "second", None)
    _add(session_factory, "bound", "T1")
    assert _resolve(session_factory, "T1") == "bound"
    for team in ("T9", None):
        with pytest.raises(NotSetUp, match="no projects for this Slack workspace"):
            _resolve(session_factory, team)


def test_only_bound_workspaces_serve_no_other_team(session_factory: sessionmaker[Session]) -> None:
    _add(session_factory, "bound", "T1")
    assert _resolve(session_factory, "T1") == "bound"
    with pytest.raises(NotSetUp):
        _resolve(session_factory, "T2")
    with pytest.raises(NotSetUp):
        _resolve(session_factory, None)


def test_resolving_takes_one_query(session_factory: sessionmaker[Session]) -> None:
    _add(session_factory, "unbound", None)
    _add(session_factory, "org", "E1", "T2")
    with session_factory() as session, recorded_statements(session.get_bind()) as statements:
        for team in ("T2", "T9", None):
            resolve_workspace(session, team)
    assert len(statements) == 3, statements
