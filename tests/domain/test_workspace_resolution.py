"""Which workspace a request's team id selects (`bot.access.resolve_workspace`), in one query.

The rules: the team's own workspace first, then an org-wide install that serves the team, then the one
unbound workspace (single-workspace installs and the demo); anything else is "not set up". The query
ranks them in SQL, so it is checked on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.access import resolve_workspace
from bot.errors import NotSetUp
from tests.conftest import add_workspace
from tests.statements import recorded_statements


def _add(empty_factory: sessionmaker[Session], name: str, team: str | None, *org_teams: str) -> None:
    with empty_factory.begin() as session:
        add_workspace(session, name, team, *org_teams)


def _resolve(empty_factory: sessionmaker[Session], team: str | None) -> str:
    with empty_factory() as session:
        return resolve_workspace(session, team).name


def test_the_only_unbound_workspace_serves_any_team(empty_factory: sessionmaker[Session]) -> None:
    _add(empty_factory, "demo", None)
    assert _resolve(empty_factory, "T1") == "demo"
    assert _resolve(empty_factory, None) == "demo"


def test_a_team_finds_its_own_workspace_before_an_org_install_or_an_unbound_one(
    empty_factory: sessionmaker[Session],
) -> None:
    _add(empty_factory, "unbound", None)
    _add(empty_factory, "org", "E1", "T1", "T2")
    _add(empty_factory, "own", "T1")
    assert _resolve(empty_factory, "T1") == "own"
    assert _resolve(empty_factory, "T2") == "org"
    assert _resolve(empty_factory, "T9") == "unbound"
    assert _resolve(empty_factory, None) == "unbound"


def test_several_unbound_workspaces_serve_no_team_without_a_match(
    empty_factory: sessionmaker[Session],
) -> None:
    _add(empty_factory, "first", None)
    _add(empty_factory, "second", None)
    _add(empty_factory, "bound", "T1")
    assert _resolve(empty_factory, "T1") == "bound"
    for team in ("T9", None):
        with pytest.raises(NotSetUp, match="no projects for this Slack workspace"):
            _resolve(empty_factory, team)


def test_only_bound_workspaces_serve_no_other_team(empty_factory: sessionmaker[Session]) -> None:
    _add(empty_factory, "bound", "T1")
    assert _resolve(empty_factory, "T1") == "bound"
    with pytest.raises(NotSetUp):
        _resolve(empty_factory, "T2")
    with pytest.raises(NotSetUp):
        _resolve(empty_factory, None)


def test_resolving_takes_one_query(empty_factory: sessionmaker[Session]) -> None:
    _add(empty_factory, "unbound", None)
    _add(empty_factory, "org", "E1", "T2")
    with empty_factory() as session, recorded_statements(session.get_bind()) as statements:
        for team in ("T2", "T9", None):
            resolve_workspace(session, team)
    assert len(statements) == 3, statements
