"""`bot.db.run_read`: the commands' reads in the driver's own SQL give what SQLAlchemy's execution gives.

Every read a command makes goes through `run_read` (compiled once, the driver's cursor, SQLAlchemy's
type processors). The reference is the same read through `Connection.execute`, which `run_read`
itself falls back to while a cursor-execution event listener is attached: each domain read is run
both ways on the demo workspace, on SQLite and on PostgreSQL, and must give equal results.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import pytest
from sqlalchemy import (
    Boolean,
    Column,
    Engine,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    bindparam,
    insert,
    literal,
    select,
    text,
)
from sqlalchemy import Enum as SqlEnum
from sqlalchemy.exc import DBAPIError, MultipleResultsFound, NoResultFound
from sqlalchemy.orm import Session, sessionmaker

import bot.db
from bot.access import Actor, Requester, act_as
from bot.agreements.waiting import agreements_waited_on
from bot.db import UTCDateTime, make_engine, make_session_factory, run_read
from bot.models import Milestone, Person, Project
from bot.projects.milestone_details import dependency_refs
from bot.projects.project import match_project
from bot.projects.reports import (
    open_blockers,
    project_key_and_status,
    project_lines,
    status_report,
    upcoming_milestones,
)
from bot.settings import Settings
from tests.conftest import DEMO_NOW
from tests.statements import recorded_statements

Read = Callable[[Session], Any]


def _both_ways(
    session_factory: sessionmaker[Session], engine: Engine, read: Read
) -> tuple[Any, Any, int, int]:
    """`read` through `run_read`, then through `Connection.execute` (each in a session of its own); and
    how many statements the second executed, and how many the first prepared."""
    prepared: list[object] = []
    original = bot.db._prepare_read

    def spy(statement: Any, dialect: Any) -> Any:
        result = original(statement, dialect)
        prepared.append(result)
        return result

    bot.db._prepared_reads.clear()
    bot.db._prepare_read = spy
    try:
        with session_factory() as session:
            fast = read(session)
    finally:
        bot.db._prepare_read = original
    with recorded_statements(engine) as statements, session_factory() as session:
        reference = read(session)
    return fast, reference, len(statements), sum(1 for p in prepared if p is not None)


def _reads(session: Session, settings: Settings) -> Iterator[tuple[str, Read]]:
    people = session.scalars(select(Person.slack_id).where(Person.slack_id.is_not(None))).all()
    project_ids = session.scalars(select(Project.id).order_by(Project.id)).all()
    milestone_ids = session.scalars(select(Milestone.id).order_by(Milestone.id)).all()
    assert len(people) > 5 and len(project_ids) > 3 and len(milestone_ids) > 5
    for user in [*people, "UNKNOWN1", "U0ADMIN"]:
        requester = Requester(user_id=user, team_id="T0LIAISON")
        actor = act_as(session, settings, requester)
        yield f"act_as {user}", partial(act_as, settings=settings, requester=requester)
        yield (
            f"act_as with projects {user}",
            partial(_actor_with_projects, settings=settings, requester=requester),
        )
        yield f"project_lines {user}", partial(_project_lists, actor=actor)
        yield (
            f"upcoming {user}",
            partial(
                upcoming_milestones,
                actor=actor,
                start=DEMO_NOW - timedelta(days=30),
                end=DEMO_NOW + timedelta(days=60),
            ),
        )
        yield f"blockers {user}", partial(open_blockers, actor=actor, project_id=None)
        for query in ("bidshade", "bid shading", "pcm", "consent"):
            yield f"match {query} {user}", partial(_match_or_error, actor=actor, query=query)
    admin = act_as(session, settings, Requester(user_id="U0ADMIN", team_id="T0LIAISON"))
    for project_id in project_ids:
        yield f"status {project_id}", partial(status_report, actor=admin, project_id=project_id, now=DEMO_NOW)
        yield f"blockers of {project_id}", partial(open_blockers, actor=admin, project_id=project_id)
        yield f"key and status {project_id}", partial(project_key_and_status, project_id=project_id)
    for ids in (milestone_ids[:1], milestone_ids[:3], milestone_ids):
        yield f"dependencies {len(ids)}", partial(dependency_refs, milestone_ids=ids)
        yield f"agreements {len(ids)}", partial(agreements_waited_on, milestone_ids=ids)


def _actor_with_projects(session: Session, settings: Settings, requester: Requester) -> object:
    actor = act_as(session, settings, requester, with_visible_projects=True)
    return actor, actor.visible_projects


def _project_lists(session: Session, actor: Actor) -> object:
    return project_lines(session, actor, mine=False), project_lines(session, actor, mine=True, archived=None)


def _match_or_error(session: Session, actor: Actor, query: str) -> object:
    try:
        return match_project(session, actor, query)
    except Exception as error:  # the user-facing error is part of the result compared
        return (type(error).__name__, str(error))


def test_every_command_read_gives_what_sqlalchemy_gives(demo_engine: Engine, settings: Settings) -> None:
    session_factory: sessionmaker[Session] = make_session_factory(demo_engine)
    with session_factory() as session:
        reads = list(_reads(session, settings))
    assert len(reads) > 50
    statements = 0
    for name, read in reads:
        fast, reference, executed, prepared = _both_ways(session_factory, demo_engine, read)
        assert fast == reference, name
        # A read with nothing to look up (someone Liaison does not know owns no milestones) runs none.
        assert prepared >= 1 if executed else prepared == 0, name
        statements += executed
    assert statements > 50


class Colour(enum.StrEnum):
    RED = "red"
    BLUE = "blue"


@pytest.fixture
def typed_table(demo_engine: Engine) -> Table:
    """A table of the column types whose conversions matter: instants, enums, booleans."""
    metadata = MetaData()
    table = Table(
        "read_types",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("at", UTCDateTime),
        Column("colour", SqlEnum(Colour, native_enum=False, length=10)),
        Column("flag", Boolean),
        Column("label", String(20)),
        Column("amount", Numeric(10, 2)),
    )
    metadata.create_all(demo_engine)
    with demo_engine.begin() as connection:
        connection.execute(
            insert(table),
            [
                {
                    "id": 1,
                    "at": datetime(2026, 12, 1, 9, tzinfo=UTC),
                    "colour": Colour.RED,
                    "flag": True,
                    "label": None,
                },
                {"id": 2, "at": None, "colour": Colour.BLUE, "flag": False, "label": "x"},
                {
                    "id": 3,
                    "at": datetime(2026, 12, 3, 9, tzinfo=UTC),
                    "colour": None,
                    "flag": None,
                    "label": None,
                },
            ],
        )
    return table


def test_types_are_converted_as_sqlalchemy_converts_them(demo_engine: Engine, typed_table: Table) -> None:
    t = typed_table
    since = bindparam("since", type_=UTCDateTime)
    statement = (
        select(t.c.id, t.c.at, t.c.colour, t.c.flag, t.c.label.label("shown"))
        .where((t.c.at >= since) | t.c.at.is_(None) | (t.c.colour == Colour.BLUE))
        .order_by(t.c.id)
    )
    with demo_engine.connect() as connection:
        rows = run_read(connection, statement, {"since": datetime(2026, 11, 1, tzinfo=UTC)}).all()
        reference = connection.execute(statement, {"since": datetime(2026, 11, 1, tzinfo=UTC)}).all()
    assert [tuple(row) for row in rows] == [tuple(row) for row in reference]
    assert rows[0].at == datetime(2026, 12, 1, 9, tzinfo=UTC) and rows[0].at.tzinfo is UTC
    assert rows[0].colour is Colour.RED and rows[1].colour is Colour.BLUE and rows[2].colour is None
    assert rows[0].flag is True and rows[1].flag is False and rows[2].flag is None
    assert rows[1].shown == "x"


def test_an_expanding_list_and_the_statements_own_literals(demo_engine: Engine, typed_table: Table) -> None:
    t = typed_table
    statement = (
        select(t.c.id)
        .where(t.c.id.in_(bindparam("ids", expanding=True)), t.c.colour != Colour.BLUE)
        .order_by(t.c.id)
    )
    with demo_engine.connect() as connection:
        for ids in ([1], [1, 2, 3], [2], []):
            got = [row.id for row in run_read(connection, statement, {"ids": ids})]
            assert got == ([1] if 1 in ids else []), ids  # 2 is blue; 3 has no colour (NULL != x is not true)
        # The list's elements go through the column type's conversion (an enum is stored by name).
        by_colour = (
            select(t.c.id).where(t.c.colour.in_(bindparam("colours", expanding=True))).order_by(t.c.id)
        )
        for colours, expected in (([Colour.RED], [1]), ([Colour.BLUE, Colour.RED], [1, 2]), ([], [])):
            assert [row.id for row in run_read(connection, by_colour, {"colours": colours})] == expected


def test_statements_it_cannot_run_exactly_go_through_sqlalchemy(
    demo_engine: Engine, typed_table: Table
) -> None:
    t = typed_table
    with demo_engine.connect() as connection:
        amounts = run_read(connection, select(t.c.amount).where(t.c.id == 1), {}).all()
        assert bot.db._prepare_read(select(t.c.amount), connection.dialect) is None  # Numeric
        assert [tuple(row) for row in amounts] == [(None,)]
        plain = run_read(connection, text("SELECT 1 AS one"), {}).one()
        assert plain.one == 1
        odd_key = run_read(connection, select(literal(2).label("two words")), {}).one()
        assert tuple(odd_key) == (2,)


def test_one_first_and_errors(demo_engine: Engine, typed_table: Table) -> None:
    t = typed_table
    by_id = select(t.c.id).where(t.c.id == bindparam("id"))
    every = select(t.c.id).order_by(t.c.id)
    with demo_engine.connect() as connection:
        assert run_read(connection, by_id, {"id": 2}).one().id == 2
        assert run_read(connection, by_id, {"id": 9}).one_or_none() is None
        assert run_read(connection, by_id, {"id": 9}).first() is None
        first = run_read(connection, every, {}).first()
        assert first is not None and first.id == 1
        with pytest.raises(NoResultFound):
            run_read(connection, by_id, {"id": 9}).one()
        with pytest.raises(MultipleResultsFound):
            run_read(connection, every, {}).one_or_none()
        # A driver error is SQLAlchemy's, with the statement, and the connection recovers on rollback.
        missing = Table("no_such_table", MetaData(), Column("id", Integer))
        with pytest.raises(DBAPIError) as raised:
            run_read(connection, select(missing.c.id), {})
        assert "no_such_table" in str(raised.value)
        connection.rollback()
        assert run_read(connection, by_id, {"id": 1}).one().id == 1


@pytest.mark.postgres
def test_a_connection_the_server_ended_is_invalidated(postgres_url: str) -> None:
    engine = make_engine(postgres_url)
    try:
        one = select(literal(1, Integer).label("one"))
        with engine.connect() as connection:
            assert run_read(connection, one, {}).one().one == 1
            with engine.connect() as other:
                pid = connection.exec_driver_sql("SELECT pg_backend_pid()").scalar()
                connection.rollback()
                other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            with pytest.raises(DBAPIError) as raised:
                run_read(connection, one, {})
            assert raised.value.connection_invalidated
        with engine.connect() as connection:  # the pool hands out a working connection again
            assert run_read(connection, one, {}).one().one == 1
    finally:
        engine.dispose()
