"""PostgreSQL behind a TCP proxy that blackholes, then refuses, then comes back (issue 16, D1).

One server (the real WSGI stack on 127.0.0.1, the serving engine with its timeouts) in front of the demo
workspace on PostgreSQL, reached through `tests.fakes.tcp_proxy`. In each phase: `/healthz` answers at
once, `/readyz` within a second and a half, and a slash command is acked within Slack's 3 s and its user
told what happened — answered as usual, told at once that nothing was done, or told that it waits —
and once the database is back, everything works again without a restart.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator

import pytest
from sqlalchemy import make_url
from sqlalchemy.orm import Session, sessionmaker

from bot.cli.console.payloads import SlackPayloads
from bot.clock import SystemClock
from bot.db import make_serving_engine, make_session_factory
from bot.services import Services
from bot.serving.intake import DATABASE_SLOW, DATABASE_UNREACHABLE
from bot.serving.readiness import Readiness
from bot.settings import Settings
from tests.fakes.driver import message_text
from tests.fakes.slack_api import RESPONSE_URL_METHOD, FakeSlackApi
from tests.fakes.tcp_proxy import TcpProxy
from tests.security.served import Reply, Served, ServerPool

BIDSHADE_LEAD = "U02ECBANE"


@pytest.fixture
def proxied(
    postgres_url: str, shared_database: sessionmaker[Session], settings: Settings
) -> Iterator[tuple[TcpProxy, Services]]:
    """The demo database through a proxy, as a serving process reaches it."""
    target = make_url(postgres_url)
    proxy = TcpProxy(target.host or "127.0.0.1", target.port or 5432)
    url = target.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    engine = make_serving_engine(url, statement_timeout=5, pool_timeout=1)
    services = Services(
        settings=dataclasses.replace(settings, database_url=url),
        session_factory=make_session_factory(engine),
        clock=SystemClock(),
    )
    yield proxy, services
    proxy.close()
    engine.dispose()


def _timed(action: object) -> tuple[Reply, float]:
    started = time.monotonic()
    reply = action()  # type: ignore[operator]
    return reply, time.monotonic() - started


def _probes_are_bounded(served: Served, *, ready: bool) -> None:
    health, health_seconds = _timed(lambda: served.get("/healthz"))
    readiness, ready_seconds = _timed(lambda: served.get("/readyz"))
    assert health.status == 200 and health_seconds < 0.5
    assert ready_seconds < 1.5
    assert (readiness.status == 200) is ready, readiness.body


def _wait_until_ready(served: Served, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while served.get("/readyz").status != 200:
        assert time.monotonic() < deadline, "not ready again after the database came back"
        time.sleep(0.2)


def _answers(slack_api: FakeSlackApi) -> list[str]:
    return [message_text(call.params) for call in slack_api.calls(RESPONSE_URL_METHOD)]


@pytest.mark.postgres
def test_refused_then_blackholed_then_back(
    proxied: tuple[TcpProxy, Services], payloads: SlackPayloads, slack_api: FakeSlackApi
) -> None:
    proxy, services = proxied
    pool = ServerPool()
    try:
        served = pool.start(services, readiness=Readiness(services), poll_inbox=True)
        status = payloads.slash_command("/project", "status bidshade", user_id=BIDSHADE_LEAD)

        # Working: an answer, as usual (and the pool holds open connections).
        _wait_until_ready(served)
        reply = served.post(status, settle=False)
        assert reply.status == 200 and reply.body == b""
        slack_api.wait_for(RESPONSE_URL_METHOD, count=1, timeout=10)
        assert "bidshade" in _answers(slack_api)[0].lower()

        # Blackholed, with the pool's connections open: they stall. Acked within a second and a
        # half, and told within 3 s that the request waits.
        proxy.set_mode("blackhole")
        started = time.monotonic()
        reply = served.post(
            payloads.slash_command("/blocker", "add bidshade waiting on the proxy", user_id=BIDSHADE_LEAD),
            settle=False,
        )
        acked = time.monotonic() - started
        assert reply.status == 200 and reply.body == b"" and acked < 1.5
        slack_api.wait_for(RESPONSE_URL_METHOD, count=2, timeout=5)
        assert _answers(slack_api)[1] == DATABASE_SLOW and time.monotonic() - started < 3.0
        _probes_are_bounded(served, ready=False)

        # Refused (the proxy restarts and is down: the stalled connections are closed). The stalled
        # write fails, and its user is told nothing was done; a new command hears it in its ack.
        proxy.set_mode("refuse")
        slack_api.wait_for(RESPONSE_URL_METHOD, count=3, timeout=10)
        assert _answers(slack_api)[2] == DATABASE_UNREACHABLE
        reply, seconds = _timed(
            lambda: served.post(
                payloads.slash_command("/project", "status pcm", user_id=BIDSHADE_LEAD), settle=False
            )
        )
        assert reply.status == 200 and seconds < 3.0
        assert reply.json() == {"response_type": "ephemeral", "text": DATABASE_UNREACHABLE}
        time.sleep(1.2)  # the probe's cached answer expires
        _probes_are_bounded(served, ready=False)

        # Back: ready again, and commands answered as before, without a restart.
        proxy.set_mode("forward")
        _wait_until_ready(served)
        served.post(status, settle=False)  # a replay of the first body: dropped
        served.post(
            payloads.slash_command("/project", "status bidshade", user_id=BIDSHADE_LEAD), settle=False
        )
        slack_api.wait_for(RESPONSE_URL_METHOD, count=4, timeout=10)
        served.settle()
        assert "bidshade" in _answers(slack_api)[3].lower()
        assert len(_answers(slack_api)) == 4
    finally:
        pool.stop_all()
