"""A stalled database (connections accepted, never answered) never hangs the probes (issue 16, D1).

A blackhole stands in for a PostgreSQL server behind a stopped proxy: it accepts TCP connections and
never says a word. `/readyz` must answer within a second, ten of them at once must not take ten
server threads into the stall, `/healthz` never touches the database at all, and a command is acked
within a second and its user told within Slack's 3 s that nothing was done (libpq's connect timeout,
2 s).
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest
from sqlalchemy import Connection, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as SQLAlchemyTimeoutError

from bot.cli.console.payloads import SlackPayloads
from bot.db import make_engine, make_serving_engine, make_session_factory
from bot.services import Services
from bot.serving.intake import ACK_WRITE_BUDGET_SECONDS, DATABASE_UNREACHABLE
from bot.serving.readiness import Readiness
from bot.settings import Settings, SettingsError
from tests.fakes.driver import message_text
from tests.fakes.slack_api import RESPONSE_URL_METHOD, FakeSlackApi
from tests.security.served import ServerPool, http_request


@pytest.fixture
def blackhole() -> Iterator[int]:
    """A port that accepts connections and never answers (the connections are held until the end)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    stop.set()
    thread.join(timeout=2)
    for connection in held:
        connection.close()
    listener.close()


def test_readyz_answers_within_a_second_and_healthz_at_once_while_the_database_stalls(
    pool: ServerPool, services: Services, blackhole: int
) -> None:
    engine = make_engine(f"postgresql://postgres@127.0.0.1:{blackhole}/stalled")
    stalled = Services(
        settings=services.settings, session_factory=make_session_factory(engine), clock=services.clock
    )
    served = pool.start(stalled, readiness=Readiness(stalled), with_bolt=False)
    answers: list[tuple[int, float]] = []

    def probe() -> None:
        started = time.monotonic()
        reply = http_request(f"{served.url}/readyz", timeout=5)
        answers.append((reply.status, time.monotonic() - started))

    probes = [threading.Thread(target=probe) for _ in range(10)]
    for thread in probes:
        thread.start()
    health_started = time.monotonic()
    health = served.get("/healthz")
    health_seconds = time.monotonic() - health_started
    for thread in probes:
        thread.join(timeout=10)

    assert health.status == 200 and health_seconds < 0.5
    assert len(answers) == 10
    assert {status for status, _ in answers} == {503}
    assert max(seconds for _, seconds in answers) < 1.5
    # One probe is stuck in the stall, not one per request.
    stuck = [t for t in threading.enumerate() if t.name == "readiness-probe" and t.is_alive()]
    assert len(stuck) <= 1
    reply = served.get("/readyz")
    assert reply.status == 503 and b"no answer within" in reply.body


def test_a_command_against_a_stalled_database_is_acked_and_the_user_told_within_three_seconds(
    pool: ServerPool, services: Services, payloads: SlackPayloads, slack_api: FakeSlackApi, blackhole: int
) -> None:
    engine = make_engine(f"postgresql://postgres@127.0.0.1:{blackhole}/stalled")
    stalled = Services(
        settings=services.settings, session_factory=make_session_factory(engine), clock=services.clock
    )
    served = pool.start(stalled, readiness=Readiness(stalled))
    started = time.monotonic()

    ack = served.post(
        payloads.slash_command("/project", "status bidshade", user_id="U02ECBANE"), settle=False
    )
    acked = time.monotonic() - started
    told = slack_api.wait_for(RESPONSE_URL_METHOD, count=1, timeout=10)
    served.settle()
    told_after = time.monotonic() - started

    # The ack waits for the inbox record at most ACK_WRITE_BUDGET_SECONDS (1 s), then answers Slack and
    # leaves the write to settle after it: libpq gives up at 2 s, and the user is told.
    assert ack.status == 200 and acked < ACK_WRITE_BUDGET_SECONDS + 0.5
    assert told and told_after < 3.0
    assert message_text(slack_api.calls(RESPONSE_URL_METHOD)[0].params) == DATABASE_UNREACHABLE


@pytest.mark.postgres
def test_serving_engine_bounds_statements_and_pool_checkouts(postgres_url: str) -> None:
    engine = make_serving_engine(postgres_url, statement_timeout=1, pool_timeout=1)
    try:
        started = time.monotonic()
        with pytest.raises(OperationalError), engine.connect() as connection:
            connection.execute(text("SELECT pg_sleep(5)"))
        assert time.monotonic() - started < 3

        held: list[Connection] = []
        try:
            started = time.monotonic()
            with pytest.raises(SQLAlchemyTimeoutError):  # the pool runs dry, then a checkout waits 1 s
                for _ in range(100):
                    held.append(engine.connect())
            assert time.monotonic() - started < 3
        finally:
            for connection in held:
                connection.close()
    finally:
        engine.dispose()


def test_database_timeouts_are_settings() -> None:
    settings = Settings.from_env(
        {"LIAISON_DB_STATEMENT_TIMEOUT_SECONDS": "7", "LIAISON_DB_POOL_TIMEOUT_SECONDS": "3"}
    )
    assert (settings.database_statement_timeout_seconds, settings.database_pool_timeout_seconds) == (7, 3)
    assert (Settings().database_statement_timeout_seconds, Settings().database_pool_timeout_seconds) == (
        30,
        10,
    )
    with pytest.raises(SettingsError):
        Settings.from_env({"LIAISON_DB_STATEMENT_TIMEOUT_SECONDS": "0"})
