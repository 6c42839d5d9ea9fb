"""Shared fixtures: a fake Slack Web API over HTTP, an in-memory database, a real Bolt app."""

from __future__ import annotations

import os
import shutil
import sqlite3
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from slack_bolt import App
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.util import LRUCache

from bot.app import create_app
from bot.cli.console.payloads import SlackPayloads
from bot.clock import FixedClock
from bot.db import Base, make_engine, make_session_factory
from bot.experts.embeddings.sentence_transformers import SentenceTransformerEmbedder
from bot.models import Project, ProjectStatus, Workspace, WorkspaceTeam
from bot.services import Services
from bot.settings import Settings
from bot.slack.client import build_web_client
from bot.slack.notifier import build_notifier
from bot.workspace_file import import_workspace_file
from tests.fakes.driver import SlackDriver
from tests.fakes.slack_api import FakeSlackApi
from tests.migrated import DATABASE_KINDS, migrate_from_template, migrated_database
from tests.security.served import ServerPool

pytest_plugins = ["tests.pg", "tests.served_processes"]

REPO_ROOT = Path(__file__).resolve().parent.parent
DEMO_FILE = REPO_ROOT / "bot" / "data" / "adtech-alliance.yaml"
SIGNING_SECRET = "test-signing-secret"
# The demo data is written as of 2026-11-20; tests run on a fixed Friday morning in Amsterdam.
DEMO_NOW = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _no_slack_env(monkeypatch: pytest.MonkeyPatch) -> None:
    # Bolt falls back to SLACK_* variables when an argument is missing; tests must not see real ones.
    for name in list(os.environ):
        if name.startswith("SLACK_") or name in ("DATABASE_URL", "LIAISON_TIMEZONE"):
            monkeypatch.delenv(name, raising=False)


@pytest.fixture
def slack_api() -> Iterator[FakeSlackApi]:
    with FakeSlackApi() as api:
        yield api


@pytest.fixture
def pool() -> Iterator[ServerPool]:
    """Real HTTP servers in front of `bot.serving.web` (`ServerPool.start`), all stopped after the test."""
    servers = ServerPool()
    yield servers
    servers.stop_all()


@pytest.fixture
def settings(slack_api: FakeSlackApi) -> Settings:
    return Settings.from_env(
        {
            "SLACK_BOT_TOKEN": "xoxb-test-token",
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": slack_api.url,
            "DATABASE_URL": "sqlite://",
            "LIAISON_TIMEZONE": "Europe/Amsterdam",
            "LIAISON_ADMINS": "U0ADMIN",
        }
    )


@pytest.fixture(scope="session")
def empty_schema_template() -> Iterator[sqlite3.Connection]:
    """Every table created once per session in an in-memory SQLite database (see `engine`)."""
    engine = make_engine("sqlite://")
    Base.metadata.create_all(engine)
    with engine.connect() as connection:
        template = connection.connection.driver_connection
        assert isinstance(template, sqlite3.Connection)
        yield template
    engine.dispose()


@pytest.fixture(scope="session")
def sqlite_compilation() -> Iterator[Engine]:
    """An in-memory SQLite engine whose dialect and compiled-SQL cache every test's `engine` shares.

    SQLAlchemy caches a statement's compiled SQL per engine (keyed by the engine's dialect object), so
    each test's fresh engine compiled every statement its test ran anew: a fifth of the CPU of the
    handler tests went to the SQL compiler. The engines differ only by their database, which the SQL
    does not depend on; each keeps its own pool and event listeners.
    """
    engine = make_engine("sqlite://", query_cache_size=5000)
    with engine.connect():
        pass  # the dialect reads the server's settings on the first connection
    yield engine
    engine.dispose()


def _compiling_as(engine: Engine, shared: Engine) -> None:
    # Engine.dialect and the compiled cache are plain attributes; the dialect object is part of the
    # cache's key, so both are shared.
    engine.dialect = shared.dialect
    engine._compiled_cache = shared._compiled_cache


@pytest.fixture(scope="session")
def compilations(sqlite_compilation: Engine) -> dict[str, Engine]:
    """By dialect name, the engine whose dialect and compiled-SQL cache the fixtures' engines of that
    kind share (`sqlite_compilation` for SQLite; for PostgreSQL the first such engine, see
    `_compiling_once`)."""
    return {"sqlite": sqlite_compilation}


def _compiling_once(engine: Engine, compilations: dict[str, Engine]) -> Engine:
    """`engine`, compiling its SQL with the session's shared dialect of its kind (`sqlite_compilation`).

    The first engine of another kind (PostgreSQL) becomes the shared one once it has connected (its
    dialect reads the server's settings then); the engines of the test fixtures are all made alike.
    """
    shared = compilations.get(engine.dialect.name)
    if shared is None:
        with engine.connect():
            pass
        engine._compiled_cache = LRUCache(5000)
        compilations[engine.dialect.name] = engine
        return engine
    _compiling_as(engine, shared)
    return engine


@pytest.fixture
def engine(empty_schema_template: sqlite3.Connection, sqlite_compilation: Engine) -> Iterator[Engine]:
    """A fresh in-memory SQLite database with every table, empty.

    `create_all` costs about 20 ms of CPU per test; copying the session's template into this test's
    database (SQLite's backup API, as `demo` does) well under one. Statements compile once per session
    (`sqlite_compilation`).
    """
    engine = make_engine("sqlite://")
    _compiling_as(engine, sqlite_compilation)
    with engine.connect() as connection:
        target = connection.connection.driver_connection
        assert isinstance(target, sqlite3.Connection)
        empty_schema_template.backup(target)
    yield engine
    engine.dispose()


@pytest.fixture
def session_factory(engine: Engine) -> sessionmaker[Session]:
    return make_session_factory(engine)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(DEMO_NOW)


@pytest.fixture
def services(settings: Settings, session_factory: sessionmaker[Session], clock: FixedClock) -> Services:
    return Services(
        settings=settings,
        session_factory=session_factory,
        clock=clock,
        notifier=build_notifier(settings, timeout=5),
    )


@pytest.fixture
def app(settings: Settings, services: Services) -> App:
    return create_app(
        settings, services, client=build_web_client(settings, timeout=5), process_before_response=True
    )


@pytest.fixture
def payloads(slack_api: FakeSlackApi) -> SlackPayloads:
    return SlackPayloads(
        SIGNING_SECRET,
        team_id=FakeSlackApi.team_id,
        response_url_base=f"http://127.0.0.1:{slack_api.port}/response",
    )


@pytest.fixture(scope="session")
def demo_memory_template() -> Iterator[sqlite3.Connection]:
    """The demo alliance imported once per session into an in-memory SQLite database (see `demo`)."""
    engine = make_engine("sqlite://")
    Base.metadata.create_all(engine)
    with make_session_factory(engine).begin() as session:
        # Planned as of DEMO_NOW, so reminders fall where the tests' fixed clock expects them.
        import_workspace_file(session, DEMO_FILE, today=DEMO_NOW.date(), now=DEMO_NOW)
    with engine.connect() as connection:
        template = connection.connection.driver_connection
        assert isinstance(template, sqlite3.Connection)
        yield template
    engine.dispose()


@pytest.fixture
def demo(engine: Engine, demo_memory_template: sqlite3.Connection) -> None:
    """The demo alliance, dates as written (as of 2026-11-20, which DEMO_NOW is).

    Importing the workspace file takes about a fifth of a second; copying the session's imported
    template into this test's database (SQLite's backup API, pages only) a few milliseconds.
    """
    with engine.connect() as connection:
        target = connection.connection.driver_connection
        assert isinstance(target, sqlite3.Connection)
        demo_memory_template.backup(target)


@pytest.fixture(params=DATABASE_KINDS)
def empty_factory(
    request: pytest.FixtureRequest, tmp_path: Path, compilations: dict[str, Engine]
) -> Iterator[sessionmaker[Session]]:
    """Sessions of an empty migrated database of each kind Liaison runs on."""
    engine = _compiling_once(make_engine(migrated_database(request, tmp_path)), compilations)
    yield make_session_factory(engine)
    engine.dispose()


def _import_demo(url: str) -> None:
    """Import the demo alliance as of DEMO_NOW into the database at `url`, leaving no connection open."""
    engine = make_engine(url)
    try:
        with make_session_factory(engine).begin() as session:
            import_workspace_file(session, DEMO_FILE, today=DEMO_NOW.date(), now=DEMO_NOW)
    finally:
        engine.dispose()  # the last connection checkpoints a SQLite WAL into the file


@pytest.fixture(params=DATABASE_KINDS)
def demo_engine(
    request: pytest.FixtureRequest, tmp_path: Path, compilations: dict[str, Engine]
) -> Iterator[Engine]:
    """The demo alliance (planned as of DEMO_NOW) in a migrated database of each kind Liaison runs on,
    copied from a template that each pytest process imports once."""
    engine = make_engine(migrated_database(request, tmp_path, filled=("demo", _import_demo)))
    yield _compiling_once(engine, compilations)
    engine.dispose()


@pytest.fixture(scope="session")
def real_sentence_model() -> SentenceTransformerEmbedder:
    """The real sentence-transformers model, loaded once per session (per pytest-xdist worker): ~10 s.

    Every test on it lives in tests/test_experts_real_model.py, so with `--dist loadfile` (make pytest)
    one worker loads it, once.
    """
    embedder = SentenceTransformerEmbedder()
    embedder.start_loading()
    assert embedder.wait_ready(timeout=240)
    return embedder


@pytest.fixture
def slack(app: App, payloads: SlackPayloads, slack_api: FakeSlackApi) -> SlackDriver:
    return SlackDriver(app, payloads, slack_api)


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file with the demo workspace imported, dates rebased to today; made once per session.

    One per pytest-xdist worker, never written to. For tests that run Liaison as a process (on the
    real clock); they use a copy (`demo_db`).
    """
    path = tmp_path_factory.mktemp("demo-template") / "demo.db"
    url = f"sqlite:///{path}"
    migrate_from_template(url)
    engine = make_engine(url)
    try:
        with make_session_factory(engine).begin() as session:
            import_workspace_file(session, DEMO_FILE, today=date.today(), rebase_dates=True)
    finally:
        engine.dispose()  # the last connection checkpoints the WAL into the file
    return path


@pytest.fixture
def demo_db(demo_template: Path, tmp_path: Path) -> str:
    """A fresh copy of `demo_template` for one test, as a database URL."""
    target = tmp_path / "demo.db"
    shutil.copyfile(demo_template, target)
    return f"sqlite:///{target}"


def add_workspace(
    session: Session, name: str, team: str | None, *org_teams: str, timezone: str = "UTC"
) -> Workspace:
    """Add a workspace bound to Slack team `team` (None: unbound), serving `org_teams` too as an org-wide
    install (`WorkspaceTeam`, with `team` as the enterprise, "E0" if unbound); flushed, so it has its id."""
    workspace = Workspace(name=name, timezone=timezone, slack_team_id=team)
    session.add(workspace)
    session.flush()
    session.add_all(
        WorkspaceTeam(
            workspace_id=workspace.id,
            slack_team_id=org_team,
            slack_enterprise_id=team or "E0",
            created_at=DEMO_NOW,
        )
        for org_team in org_teams
    )
    return workspace


def add_public_project(session_factory: sessionmaker[Session], *, key: str, name: str) -> None:
    """Add an empty public project to the demo workspace (e.g. a second "Privacy …" for did-you-mean)."""
    with session_factory.begin() as session:
        pcm = session.scalars(select(Project).where(Project.key == "pcm")).one()
        session.add(
            Project(
                workspace_id=pcm.workspace_id,
                key=key,
                name=name,
                description="",
                status=ProjectStatus.ON_TRACK,
                private=False,
            )
        )


# The files that take longest (CPU and wall per file, measured in a `make pytest` run on two cores),
# started first: `make pytest` hands whole files to the pytest-xdist workers in collection order
# (--dist loadfile --no-loadscope-reorder), and a long file handed out last would leave the other
# workers idle at the end.
LONGEST_FILES = (
    # Mostly waiting (processes at work, stalled Slack posts, leases running out) but long: started
    # first, they overlap everything else.
    "tests/jobs/test_reminder_ticker_processes.py",
    "tests/test_inbox_crash.py",
    "tests/jobs/test_reminder_slow_slack.py",
    # Then by CPU, most first.
    "tests/test_cli.py",
    "tests/test_early_answers.py",
    "tests/test_console.py",
    "tests/security/test_interaction_fuzz.py",
    "tests/security/test_command_fuzz.py",
    "tests/jobs/test_every_job_on_each_database.py",
    "tests/test_inbox.py",
    "tests/test_migrations.py",
    "tests/test_socket_mode.py",
    "tests/console/test_model.py",
    "tests/test_experts_real_model.py",
    "tests/test_expert_index.py",
    "tests/test_index_cli.py",
    "tests/test_two_instances.py",
    "tests/test_gunicorn_model_stop.py",
    "tests/handlers/test_move_dates.py",
    "tests/publications/test_paper_commands.py",
    "tests/jobs/test_reminder_tick.py",
    "tests/jobs/test_reminder_concurrency.py",
    "tests/handlers/test_archive_delete.py",
    "tests/test_questions_accuracy.py",
    "tests/test_http_server.py",
    "tests/handlers/test_questions.py",
    "tests/handlers/test_project_lifecycle.py",
    "tests/questions/test_understanding.py",
    "tests/proposals/test_conversation_changes.py",
    "tests/jobs/test_reminder_demo.py",
    "tests/domain/test_experts.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run the longest files first (a stable sort: everything else keeps its order)."""
    rank = {path: position for position, path in enumerate(LONGEST_FILES)}
    items.sort(key=lambda item: rank.get(item.nodeid.split("::", 1)[0], len(rank)))
