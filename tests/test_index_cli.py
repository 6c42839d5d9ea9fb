"""`liaison index rebuild` and `liaison index status`, against a SQLite file in tmp_path.

The group is invoked through a root group of our own, as the main CLI mounts it; the hashing embedder
stands in for the model (the rebuild with the real one is in tests/test_experts_real_model.py, where
the model is loaded anyway).
"""

from __future__ import annotations

import os
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result
from sqlalchemy import select

from bot.cli.index import index_group
from bot.db import make_engine, make_session_factory
from bot.experts.profile_version import bump_profiles_version
from bot.models import Person, ProfileVector, Workspace
from bot.workspace_file import import_workspace_file
from tests.conftest import DEMO_FILE, DEMO_NOW
from tests.migrated import migrate_from_template


@click.group()
def root() -> None:
    """Stands in for `liaison`."""


root.add_command(index_group)


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.startswith(("SLACK_", "LIAISON_")) or name in ("DATABASE_URL", "EMBEDDING_MODEL"):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    return demo_database_file(tmp_path)


def demo_database_file(folder: Path) -> str:
    """The URL of a SQLite file in `folder` with the demo workspace imported as of DEMO_NOW."""
    url = f"sqlite:///{folder / 'liaison.db'}"
    migrate_from_template(url)
    engine = make_engine(url)
    with make_session_factory(engine).begin() as session:
        import_workspace_file(session, DEMO_FILE, today=DEMO_NOW.date(), now=DEMO_NOW)
    engine.dispose()
    return url


def run_index(*args: str, database_url: str | None = None, env: dict[str, str] | None = None) -> Result:
    options = ["--database-url", database_url] if database_url else []
    return CliRunner().invoke(root, ["index", *args, *options], env=env)


def stored_vectors(database_url: str) -> list[tuple[str, str, int]]:
    engine = make_engine(database_url)
    try:
        with make_session_factory(engine)() as session:
            return [
                (row.item_key, row.model_name, row.dimension)
                for row in session.scalars(select(ProfileVector).order_by(ProfileVector.id))
            ]
    finally:
        engine.dispose()


def _edit_expertise(database_url: str, slack_id: str, text: str) -> None:
    engine = make_engine(database_url)
    try:
        with make_session_factory(engine).begin() as session:
            person = session.scalars(select(Person).where(Person.slack_id == slack_id)).one()
            person.expertise = text
            bump_profiles_version(session, person.workspace_id)
    finally:
        engine.dispose()


def test_rebuild_embeds_every_item_then_nothing(database_url: str) -> None:
    first = run_index("rebuild", "--fake-embedder", database_url=database_url)

    assert first.exit_code == 0, first.output
    assert "Adtech Research Alliance: 52 embedded, 0 unchanged, 0 removed (model hashing-v1, " in first.output
    assert len(stored_vectors(database_url)) == 52

    second = run_index("rebuild", "--fake-embedder", database_url=database_url)

    assert second.exit_code == 0, second.output
    assert "Adtech Research Alliance: 0 embedded, 52 unchanged, 0 removed" in second.output
    assert "embedded (" not in second.output  # no progress lines when there is nothing to embed


def test_rebuild_prints_progress_lines_when_not_on_a_terminal(database_url: str) -> None:
    result = run_index("rebuild", "--fake-embedder", "--batch-size", "10", database_url=database_url)

    assert result.exit_code == 0, result.output
    lines = [line.strip() for line in result.output.splitlines() if "items embedded" in line]
    assert lines == [
        f"Adtech Research Alliance: {done}/52 items embedded ({done * 100 // 52}%)"
        for done in (0, 10, 20, 30, 40, 50, 52)
    ]


def test_rebuild_embeds_only_the_changed_item(database_url: str) -> None:
    run_index("rebuild", "--fake-embedder", database_url=database_url)
    _edit_expertise(database_url, "U02ECBANE", "Repeated auctions with learning bidders.")

    result = run_index("rebuild", "--fake-embedder", database_url=database_url)

    assert result.exit_code == 0, result.output
    assert "1 embedded, 51 unchanged, 0 removed" in result.output


def test_rebuild_force_reembeds_everything(database_url: str) -> None:
    run_index("rebuild", "--fake-embedder", database_url=database_url)

    result = run_index("rebuild", "--fake-embedder", "--force", database_url=database_url)

    assert result.exit_code == 0, result.output
    assert "52 embedded, 0 unchanged, 0 removed" in result.output
    assert len(stored_vectors(database_url)) == 52


def test_rebuild_selects_a_workspace_by_name_or_team_id(database_url: str) -> None:
    engine = make_engine(database_url)
    with make_session_factory(engine).begin() as session:
        session.add(Workspace(name="Empty alliance", timezone="UTC", slack_team_id="T0EMPTY"))
    engine.dispose()

    by_team = run_index("rebuild", "--fake-embedder", "--workspace", "T0EMPTY", database_url=database_url)
    by_name = run_index(
        "rebuild", "--fake-embedder", "--workspace", "adtech research alliance", database_url=database_url
    )
    unknown = run_index("rebuild", "--fake-embedder", "--workspace", "Nope", database_url=database_url)

    assert by_team.exit_code == 0 and "Empty alliance: 0 embedded" in by_team.output
    assert "Adtech" not in by_team.output
    assert by_name.exit_code == 0 and "Adtech Research Alliance: 52 embedded" in by_name.output
    assert unknown.exit_code == 1
    assert (
        "No single workspace named or with team id 'Nope' (found: Adtech Research Alliance, Empty alliance)"
        in (unknown.output)
    )


def test_rebuild_removes_other_models_vectors_without_loading_a_model(database_url: str) -> None:
    run_index("rebuild", "--fake-embedder", database_url=database_url)
    # Every item is current for the hashing model; a status for the real model finds them all missing.
    status = run_index("status", database_url=database_url)
    assert "model all-MiniLM-L6-v2: 0 current, 0 stale, 52 missing" in status.output
    assert "vectors of other models: hashing-v1 (52); `liaison index rebuild` removes them" in status.output

    result = run_index(
        "rebuild", "--fake-embedder", database_url=database_url, env={"EMBEDDING_MODEL": "/nonexistent"}
    )

    # EMBEDDING_MODEL is ignored with the fake embedder; nothing to embed means no model is loaded.
    assert result.exit_code == 0, result.output
    assert "Loading" not in result.output


def test_rebuild_reports_a_model_that_cannot_be_loaded(database_url: str, tmp_path: Path) -> None:
    missing = tmp_path / "no-such-model"

    result = run_index("rebuild", database_url=database_url, env={"EMBEDDING_MODEL": str(missing)})

    assert result.exit_code == 1
    assert f"Cannot load the embedding model: embedding model directory not found: {missing}" in result.output
    assert stored_vectors(database_url) == []


def test_status_counts_current_stale_and_missing_items(database_url: str) -> None:
    before = run_index("status", "--fake-embedder", database_url=database_url)
    run_index("rebuild", "--fake-embedder", database_url=database_url)
    _edit_expertise(database_url, "U02ECBANE", "Repeated auctions with learning bidders.")

    after = run_index("status", "--fake-embedder", database_url=database_url)

    assert before.exit_code == 0, before.output
    assert before.output.startswith(
        "Adtech Research Alliance: 52 items of 24 people (0 hidden); model hashing-v1: 0 current, 0 stale, "
        "52 missing\n"
    )
    assert after.exit_code == 0, after.output
    assert "model hashing-v1: 51 current, 1 stale, 0 missing" in after.output
    assert "`liaison index rebuild`" in after.output
    assert run_index("rebuild", "--fake-embedder", database_url=database_url).exit_code == 0
    assert run_index("status", "--fake-embedder", database_url=database_url).output == (
        "Adtech Research Alliance: 52 items of 24 people (0 hidden); model hashing-v1: 52 current, 0 stale, "
        "0 missing\n"
    )


def test_commands_explain_an_empty_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'empty.db'}"

    for command in ("rebuild", "status"):
        result = run_index(command, "--fake-embedder", database_url=url)
        assert result.exit_code == 1
        assert "No workspace in this database yet: run `liaison import FILE.yaml` first" in result.output


def test_commands_report_an_unreachable_database_in_one_line() -> None:
    result = run_index("status", database_url="postgresql://nobody@127.0.0.1:1/nothing")

    assert result.exit_code == 1
    assert result.output.startswith("Database error (postgresql://nobody@127.0.0.1:1/nothing): ")
    assert "Traceback" not in result.output


def test_the_database_url_comes_from_the_environment(database_url: str) -> None:
    result = run_index("rebuild", "--fake-embedder", env={"DATABASE_URL": database_url})

    assert result.exit_code == 0, result.output
    assert "52 embedded" in result.output


def test_fake_embedder_is_hidden_from_help() -> None:
    result = CliRunner().invoke(root, ["index", "rebuild", "--help"])

    assert result.exit_code == 0
    assert "--workspace NAME_OR_TEAM_ID" in result.output and "--force" in result.output
    assert "--fake-embedder" not in result.output


def test_rebuild_bumps_the_profiles_version_only_when_it_wrote(database_url: str) -> None:
    """Running bots reload their cached index when the version moves (bot/experts/index.py)."""

    def version() -> int:
        engine = make_engine(database_url)
        try:
            with make_session_factory(engine)() as session:
                return session.scalars(select(Workspace.profiles_version)).one()
        finally:
            engine.dispose()

    before = version()
    run_index("rebuild", "--fake-embedder", database_url=database_url)
    after_rebuild = version()
    run_index("rebuild", "--fake-embedder", database_url=database_url)

    assert after_rebuild == before + 1
    assert version() == after_rebuild
