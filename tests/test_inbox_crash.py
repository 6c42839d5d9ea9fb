"""Nothing acked is lost, nothing acts twice: kill -9 and SIGTERM of a busy instance (issue 16, D6).

Two real `liaison serve` processes share one PostgreSQL database. Instance A gets a burst of signed
`/blocker add` commands, each with its own text, while the fake Slack answers `response_url` posts
slowly, so that A has acked far more than it has done when it is stopped:

- kill -9 in the middle of the burst: every command A acked must exist as a blocker exactly once
  after instance B has taken over A's requests (their leases run out), and the ones A had written but
  not finished are not written again;
- SIGTERM with a backlog: A stops within its drain limit (2 s here) and exits 0, handing back what it
  did not finish, which B runs at once; again each acked command exists exactly once.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.cli.console.payloads import SignedBody, SlackPayloads
from bot.models import Blocker, InboxRequest
from tests.fakes.slack_api import RESPONSE_URL_METHOD, FakeSlackApi
from tests.security.served import http_request
from tests.served_processes import Instance, instance_environment, running_instances, wait_for

PCM_MEMBER = "U11DEAHME"  # a member of project pcm in the demo workspace
BURST = 240
SENDERS = 12
LEASE_SECONDS = 3
DRAIN_SECONDS = 2


@dataclass
class Burst:
    """The commands of a burst and what their senders saw."""

    bodies: list[tuple[str, SignedBody]]
    acked: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def send(self, instance: Instance, senders: int = SENDERS) -> list[threading.Thread]:
        """Start `senders` threads posting the burst to `instance`; each records acks and failures."""

        def run(share: list[tuple[str, SignedBody]]) -> None:
            for text, signed in share:
                try:
                    reply = http_request(
                        f"{instance.url}/slack/events",
                        data=signed.body.encode(),
                        headers=signed.headers,
                        timeout=5,
                    )
                    ok = reply.status == 200 and not reply.body
                except OSError:
                    ok = False  # the process is gone: not acked, so not promised
                with self.lock:
                    (self.acked if ok else self.failed).append(text)

        threads = [
            threading.Thread(target=run, args=(self.bodies[n::senders],), daemon=True) for n in range(senders)
        ]
        for thread in threads:
            thread.start()
        return threads


def _burst(payloads: SlackPayloads, label: str, count: int) -> Burst:
    texts = [f"{label} blocker {n:03d}" for n in range(count)]
    return Burst(
        [(text, payloads.slash_command("/blocker", f"add pcm {text}", user_id=PCM_MEMBER)) for text in texts]
    )


def _stored(factory: sessionmaker[Session], label: str) -> Counter[str]:
    with factory() as session:
        return Counter(session.scalars(select(Blocker.text).where(Blocker.text.like(f"{label} blocker %"))))


def _unfinished(factory: sessionmaker[Session]) -> int:
    with factory() as session:
        return int(
            session.scalar(
                select(func.count()).select_from(InboxRequest).where(InboxRequest.finished_at.is_(None))
            )
            or 0
        )


@pytest.fixture
def environment(postgres_url: str, slack_api: FakeSlackApi) -> Iterator[dict[str, str]]:
    # Every answer takes 50 ms to post, so A's listeners fall behind its acks during the burst.
    slack_api.delay(RESPONSE_URL_METHOD, 0.05, times=1_000_000)
    yield {
        **instance_environment(postgres_url, slack_api.url),
        "LIAISON_INBOX_LEASE_SECONDS": str(LEASE_SECONDS),
        "LIAISON_SHUTDOWN_SECONDS": str(DRAIN_SECONDS),
        "LIAISON_WEB_THREADS": "4",
        # Web processes, as the recommended layout runs them (docs/deployment.md): they take Slack's
        # requests and take over each other's inbox, which is all these tests are about. The
        # scheduler of role `all` (reminders, check-ins, feeds, ...) would only compete with the
        # listeners for CPU here.
        "LIAISON_PROCESS_ROLE": "web",
    }


@pytest.mark.postgres
def test_kill_9_during_a_burst_loses_no_acked_command_and_doubles_none(
    shared_database: sessionmaker[Session],
    environment: dict[str, str],
    payloads: SlackPayloads,
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> None:
    burst = _burst(payloads, "kill", BURST)

    with running_instances(2, environment, tmp_path, request) as (first, second):
        senders = burst.send(first)
        wait_for(lambda: len(burst.acked) >= BURST // 2, "half of the burst to be acked", 30)
        os.kill(first.process.pid, signal.SIGKILL)
        first.process.wait(timeout=10)
        done_at_kill = sum(_stored(shared_database, "kill").values())
        acked_at_kill = len(burst.acked)
        for sender in senders:
            sender.join(timeout=30)
        acked = list(burst.acked)
        # The second instance takes over once the dead one's leases run out.
        wait_for(
            lambda: set(_stored(shared_database, "kill")) >= set(acked), "every acked command's blocker", 60
        )
        wait_for(lambda: _unfinished(shared_database) == 0, "the inbox to be empty", 30)
        took_over = "took over an inbox request" in second.output()

    stored = _stored(shared_database, "kill")
    assert done_at_kill < acked_at_kill, "the kill came after all the work was done: nothing was tested"
    assert len(acked) >= BURST // 2
    assert {text: stored[text] for text in acked} == dict.fromkeys(acked, 1)
    assert [text for text, count in stored.items() if count > 1] == []
    assert took_over


@pytest.mark.postgres
def test_sigterm_with_a_backlog_exits_within_the_drain_limit_and_hands_the_rest_over(
    shared_database: sessionmaker[Session],
    environment: dict[str, str],
    payloads: SlackPayloads,
    slack_api: FakeSlackApi,
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> None:
    count = 120
    burst = _burst(payloads, "term", count)
    # Slower answers still: A has seconds of work queued when it is told to stop.
    slack_api.delay(RESPONSE_URL_METHOD, 0.2, times=1_000_000)

    with running_instances(2, environment, tmp_path, request) as (first, _second):
        for sender in burst.send(first):
            sender.join(timeout=30)
        assert len(burst.acked) == count and burst.failed == []
        backlog = count - sum(_stored(shared_database, "term").values())
        started = time.monotonic()
        first.terminate()
        exit_code = first.process.wait(timeout=30)
        stopped_after = time.monotonic() - started
        wait_for(lambda: len(_stored(shared_database, "term")) == count, "every acked command's blocker", 60)
        wait_for(lambda: _unfinished(shared_database) == 0, "the inbox to be empty", 30)
        output = first.output()

    stored = _stored(shared_database, "term")
    assert backlog > 0, "the backlog was done before the stop: nothing was tested"
    assert exit_code == 0
    # The drain limit, plus the HTTP server's stop and the pool's close.
    assert stopped_after < DRAIN_SECONDS + 3, stopped_after
    assert "handed back to the other instances" in output
    assert stored == {text: 1 for text in burst.acked}
