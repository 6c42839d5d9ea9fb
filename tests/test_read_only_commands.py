"""Read-only subcommands run in a session that cannot write (and, on PostgreSQL, without a transaction).

`bot.slack.read_only.READ_ONLY_SUBCOMMANDS` lists the subcommands whose handler only reads; they run in
`bot.db.read_only_session`. A subcommand listed by mistake would fail with `ReadOnlyViolation` rather
than write: every listed one is run here for several demo users, on SQLite and PostgreSQL, with and
without arguments, and must answer without it.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine, func, insert, select, text, update
from sqlalchemy.orm import Session, sessionmaker

import bot.slack.commands
from bot.db import (
    ReadOnlyViolation,
    make_engine,
    make_session_factory,
    read_only_session,
    read_only_sessions_closed_at_end,
)
from bot.models import Blocker, Person, Project
from bot.settings import Settings
from bot.slack.commands import SUBCOMMANDS, CommandRequest, execute_command
from bot.slack.read_only import READ_ONLY_SUBCOMMANDS, names_a_project, reads_only
from tests.conftest import DEMO_NOW
from tests.statements import recorded_statements

USERS = ("U02ECBANE", "U11DEAHME", "U0ADMIN", "UNOBODY01")  # a lead, a member, an admin, a stranger
ARGUMENTS = ("", "bidshade", "pcm", "all", "mine", "archived", "nosuchproject")


@pytest.fixture
def demo_factory(demo_engine: Engine) -> sessionmaker[Session]:
    return make_session_factory(demo_engine)


def test_every_read_only_subcommand_answers_without_writing(
    demo_factory: sessionmaker[Session], settings: Settings
) -> None:
    answered = 0
    for key, verbs in READ_ONLY_SUBCOMMANDS.items():
        for verb in sorted(verbs):
            for argument in ARGUMENTS:
                text = f"{verb} {argument}".strip()
                assert reads_only(settings, settings.commands[key], text)
                for user in USERS:
                    request = CommandRequest(settings.commands[key], text, user, "T0LIAISON", "C0GENERAL")
                    outcome = execute_command(demo_factory, settings, DEMO_NOW, request)  # raises if it wrote
                    assert outcome.reply is not None
                    # Only a reply: it may be answered while its request is recorded, and only the reply
                    # waits for the record (bot.slack.response_url.ANSWER_HOLD), not a modal, DM or Home.
                    assert outcome.modal is None and not outcome.messages and not outcome.refresh_homes
                    answered += not outcome.is_error
    assert answered > 100


def test_project_names_matched_on_projects_read_with_the_actor_give_the_same_answers(
    demo_factory: sessionmaker[Session],
    demo_engine: Engine,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A read-only command naming a project reads the projects its author may see with the author
    # (`bot.access.act_as`), one statement fewer; every answer must be the one the separate reads give.
    requests = [
        CommandRequest(settings.commands[key], f"{verb} {argument}".strip(), user, "T0LIAISON", "C0GENERAL")
        for key, verbs in READ_ONLY_SUBCOMMANDS.items()
        for verb in sorted(verbs)
        for argument in (*ARGUMENTS, "bid shading", "Privacy", "uplift")
        for user in USERS
    ]
    prefetched = [r for r in requests if names_a_project(settings, r.command, r.text)]
    # Never for a command that writes: the projects read with its author could be stale after a write.
    for key, verbs in SUBCOMMANDS.items():
        for verb in verbs:
            text = f"{verb} pcm"
            if names_a_project(settings, settings.commands[key], text):
                assert reads_only(settings, settings.commands[key], text), text
    assert {r.text.split()[0] for r in prefetched} == {"status", "members", "blockers", "list"}

    def answers() -> tuple[list[object], int]:
        with recorded_statements(demo_engine) as statements:
            replies = [execute_command(demo_factory, settings, DEMO_NOW, r).reply for r in prefetched]
        return replies, len(statements)

    together, together_statements = answers()
    monkeypatch.setattr(bot.slack.commands, "names_a_project", lambda *_: False)
    alone, alone_statements = answers()
    assert together == alone
    assert any(
        "set-status uplift on_track" in str(reply) for reply in together
    )  # the status, from the actor's read
    assert sum(1 for reply in alone if reply is not None and "No project matches" not in str(reply)) > 50
    # One read fewer each at least (a blocker list also takes the project's key and status from it).
    assert together_statements <= alone_statements - len(prefetched)


def test_commands_that_change_something_are_not_read_only(settings: Settings) -> None:
    names = settings.commands
    for command, words in (
        (names.project, "create x"),
        (names.project, "set-status pcm blocked"),
        (names.milestone, "done pcm-1"),
        (names.milestone, "remind pcm"),
        (names.blocker, "add pcm waiting"),
        (names.blocker, "resolve pcm-b1"),
        (names.help, "notifications off"),
        ("/unknown", "list"),
    ):
        assert not reads_only(settings, command, words), (command, words)
    assert reads_only(settings, names.project, "STATUS  pcm")


def test_a_read_only_session_refuses_writes_and_writes_nothing(demo_factory: sessionmaker[Session]) -> None:
    with demo_factory() as session:
        blockers_before = session.scalar(select(func.count()).select_from(Blocker))
        name_before = session.scalar(select(Project.name).where(Project.key == "pcm"))
    with pytest.raises(ReadOnlyViolation), read_only_session(demo_factory) as session:
        project = session.scalars(select(Project).where(Project.key == "pcm")).one()
        project.name = "renamed"
        session.flush()
    with pytest.raises(ReadOnlyViolation), read_only_session(demo_factory) as session:
        session.execute(update(Project).where(Project.key == "pcm").values(name="renamed"))
    with pytest.raises(ReadOnlyViolation), read_only_session(demo_factory) as session:
        person_id = session.scalar(select(Person.id).limit(1))
        project_id = session.scalar(select(Project.id).where(Project.key == "pcm"))
        session.execute(
            insert(Blocker).values(project_id=project_id, number=99, text="x", raised_by_id=person_id)
        )
    with demo_factory() as session:
        assert session.scalar(select(Project.name).where(Project.key == "pcm")) == name_before
        assert session.scalar(select(func.count()).select_from(Blocker)) == blockers_before


def test_in_a_closing_scope_a_read_only_session_is_closed_when_the_scope_ends(
    demo_engine: Engine,
) -> None:
    factory = make_session_factory(demo_engine)
    pool: Any = demo_engine.pool
    with read_only_sessions_closed_at_end():
        with read_only_session(factory) as session:
            assert session.scalar(select(Project.name).where(Project.key == "pcm"))
            held = pool.checkedout()
        assert held >= 1 and pool.checkedout() == held  # still open: the answer is posted meanwhile
        with pytest.raises(ReadOnlyViolation), read_only_session(factory) as failing:
            failing.execute(update(Project).where(Project.key == "pcm").values(name="renamed"))
        assert pool.checkedout() == held  # a session whose block failed was closed at once
    assert pool.checkedout() == held - 1  # the scope's end closed the first one
    with read_only_session(factory) as session:  # outside a scope: closed with its block
        session.scalar(select(Project.name).where(Project.key == "pcm"))
    assert pool.checkedout() == held - 1


@pytest.mark.postgres
def test_on_postgresql_reads_run_in_autocommit_and_the_pool_gets_a_transactional_connection_back(
    postgres_url: str,
) -> None:
    engine = make_engine(postgres_url, pool_size=1, max_overflow=0)  # one connection: the same one reused
    factory = make_session_factory(engine)
    try:
        with engine.begin() as connection:
            connection.execute(text("CREATE TABLE scratch (id integer)"))
        with read_only_session(factory) as session:
            driver = session.connection().connection.dbapi_connection
            assert driver is not None and driver.autocommit
            assert session.scalar(text("SELECT count(*) FROM scratch")) == 0
        # The next session gets the same connection back, in a transaction: a failed block leaves nothing.
        with pytest.raises(RuntimeError, match="roll it back"), factory.begin() as session:
            driver = session.connection().connection.dbapi_connection
            assert driver is not None and not driver.autocommit
            session.execute(text("INSERT INTO scratch VALUES (1)"))
            raise RuntimeError("roll it back")
        with factory() as session:
            assert session.scalar(text("SELECT count(*) FROM scratch")) == 0
    finally:
        engine.dispose()
