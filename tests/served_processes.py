"""Real `liaison serve` processes for tests: start them on ports the OS picks, talk to them, stop them.

A pytest plugin (named in tests/conftest.py, for its `shared_database` fixture) used by the tests that
need more than one process (test_two_instances, test_inbox_crash): nothing is shared in memory, only
the PostgreSQL database and the fake Slack Web API.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine, update
from sqlalchemy.orm import Session, sessionmaker

from bot.cli.console.payloads import SignedBody
from bot.clock import SystemClock
from bot.db import make_engine, make_session_factory
from bot.models import Workspace
from bot.workspace_file import import_workspace_file
from tests.conftest import DEMO_FILE, SIGNING_SECRET
from tests.fakes.slack_api import FakeSlackApi
from tests.migrated import migrate_from_template
from tests.security.served import http_request

LIAISON = Path(sys.executable).parent / "liaison"
LISTENING = re.compile(r"listens on (http://127\.0\.0\.1:\d+)/slack/events")
REQUESTS_TOTAL = re.compile(
    r'^liaison_slack_requests_total\{kind="(\w+)",outcome="(\w+)"\} (\S+)$', re.MULTILINE
)


@dataclass
class Instance:
    """One running `liaison serve` process and where its output goes."""

    name: str
    process: subprocess.Popen[bytes]
    log: Path
    url: str = ""
    terminated: bool = False

    def output(self) -> str:
        """Everything the process wrote so far (stdout and stderr)."""
        return self.log.read_text(errors="replace")

    def post(self, signed: SignedBody) -> int:
        """Send a signed Slack request to `/slack/events`; returns the HTTP status of the ack."""
        reply = http_request(
            f"{self.url}/slack/events", data=signed.body.encode(), headers=signed.headers, timeout=10
        )
        return reply.status

    def command_outcomes(self) -> Counter[str]:
        """This process's `liaison_slack_requests_total` for slash commands, by outcome."""
        text = http_request(f"{self.url}/metrics", timeout=5).body.decode()
        outcomes: Counter[str] = Counter()
        for kind, outcome, value in REQUESTS_TOTAL.findall(text):
            if kind == "command":
                outcomes[outcome] += int(float(value))
        return outcomes

    def terminate(self) -> None:
        """Send SIGTERM, once.

        A second one could land after the graceful stop restored the default handler, and kill the
        process on its way out.
        """
        if not self.terminated and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.terminated = True

    def stop(self, timeout: float = 30) -> int | None:
        """SIGTERM (unless sent already) and wait for the exit; kill the process if it takes too long.

        Returns:
            The exit status, or None when the process had to be killed.
        """
        self.terminate()
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            return None


def instance_environment(database_url: str, api_url: str) -> dict[str, str]:
    """One instance's environment: nothing inherited but PATH and HOME, as in a container."""
    return {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", "/tmp"),
        "PYTHONUTF8": "1",
        "DATABASE_URL": database_url,
        "SLACK_BOT_TOKEN": "xoxb-two-instances-token",
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": api_url,
        "LIAISON_HOST": "127.0.0.1",
        "LIAISON_PROCESS_ROLE": "all",
        "LIAISON_EMBEDDINGS": "false",
        "LIAISON_REMINDER_TICK_SECONDS": "1",
        "LIAISON_CHANNEL_POSTS_PER_SECOND": "100",
        # Small batches: each ticker claims many times a second while a round lasts, so the two
        # processes' claims really overlap (without SKIP LOCKED they would claim rows twice).
        "LIAISON_REMINDER_BATCH_SIZE": "5",
        "LIAISON_REMINDER_WORKERS": "4",
        "LIAISON_SHUTDOWN_SECONDS": "20",
        "LOG_LEVEL": "INFO",
        "LOG_FORMAT": "text",
    }


def wait_until_ready(instance: Instance, timeout: float = 60) -> None:
    """Wait for the instance's port (printed on start) to answer `/readyz` with 200.

    Raises:
        AssertionError: The process exited or did not become ready in time.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if instance.process.poll() is not None:
            raise AssertionError(
                f"{instance.name} exited with {instance.process.returncode}:\n{instance.output()[-3000:]}"
            )
        if not instance.url and (found := LISTENING.search(instance.output())):
            instance.url = found.group(1)
        if instance.url:
            try:
                if http_request(f"{instance.url}/readyz", timeout=2).status == 200:
                    return
            except OSError:
                pass  # listening, not answering yet
        time.sleep(0.05)
    raise AssertionError(f"{instance.name} was not ready after {timeout:.0f} s:\n{instance.output()[-3000:]}")


@contextmanager
def running_instances(
    count: int, env: dict[str, str], logs: Path, request: pytest.FixtureRequest
) -> Iterator[list[Instance]]:
    """Start `count` instances (on ports the OS picks) and wait until all are ready.

    On the way out any instance still running is stopped, and every instance's output is attached
    to the test report, where a failure shows it.
    """
    instances: list[Instance] = []
    try:
        for n in range(count):
            name = f"instance-{'ab'[n]}"
            log = logs / f"{name}.log"
            with log.open("wb") as output:
                # Not the repository as working directory: `liaison serve` would read a developer's .env.
                process = subprocess.Popen(
                    [str(LIAISON), "serve", "--port", "0"],
                    env=env,
                    cwd=logs,
                    stdout=output,
                    stderr=subprocess.STDOUT,
                )
            instances.append(Instance(name, process, log))
        for instance in instances:
            wait_until_ready(instance)
        yield instances
    finally:
        for instance in instances:
            instance.stop()
            request.node.add_report_section("call", f"output of {instance.name}", instance.output())


@pytest.fixture
def shared_database(postgres_url: str) -> Iterator[sessionmaker[Session]]:
    """The shared database, migrated, with the demo alliance imported."""
    migrate_from_template(postgres_url)
    engine: Engine = make_engine(postgres_url)
    factory = make_session_factory(engine)
    with factory.begin() as session:
        # The instances run on the real clock, so the demo's dates are moved to today.
        import_workspace_file(session, DEMO_FILE, today=SystemClock().now().date(), rebase_dates=True)
        # The seeded load workspace below is a second workspace: commands then find theirs by team.
        session.execute(update(Workspace).values(slack_team_id=FakeSlackApi.team_id))
    yield factory
    engine.dispose()


def wait_for(condition: Callable[[], bool], what: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out after {timeout:.0f} s waiting for {what}"
        time.sleep(0.05)
