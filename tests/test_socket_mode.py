"""Socket Mode end to end: `liaison serve` with SLACK_APP_TOKEN, and how it stops on SIGTERM.

The real `liaison` script runs in a subprocess against two fakes in this process: the Slack Web API
(`FakeSlackApi`) and a Socket Mode WebSocket server (`tests.fakes.socket_mode.FakeSocketModeServer`),
whose URL the fake Web API answers to `apps.connections.open`. Slash commands arrive as Socket Mode
envelopes, are acknowledged over the socket, and are answered at their `response_url` on the fake Web
API.

docs/deployment.md ("Stopping gracefully") promises that on SIGTERM the Socket Mode connection closes,
work already started (an answer via `response_url`) finishes, the scheduler stops and the process
exits 0. The fake Web API holds the `response_url` answer back, so SIGTERM arrives while the listener
is still inside `respond()`.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from slack_sdk import WebClient
from slack_sdk.socket_mode.builtin import SocketModeClient
from slack_sdk.socket_mode.client import BaseSocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse
from sqlalchemy import Engine, select

from bot.cli.console.payloads import SlackPayloads
from bot.db import make_engine, make_session_factory
from bot.models import Blocker, InboxRequest, Milestone
from tests.fakes.driver import milestone_form_submission, view_of
from tests.fakes.slack_api import RESPONSE_URL_METHOD, FakeSlackApi, RecordedCall
from tests.fakes.socket_mode import FakeSocketModeServer

LIAISON = Path(sys.executable).parent / "liaison"
BOT_TOKEN = "xoxb-socket-mode"
APP_TOKEN = "xapp-1-A0LIAISON-1-socketmode"
CONNECTING_LINE = "Liaison is connecting to Slack over Socket Mode.\n"
# Logged by Runtime.shutdown() after the listener drain and the scheduler stop: the last step.
STOPPED_MESSAGE = "Liaison all process stopped"
# How long the fake Web API holds back the answer to `respond()`. Longer than the process needs to
# stop without draining (signal poll 0.5 s, closing the socket, stopping slack_sdk's threads: about
# 1-2 s), so a shutdown that did not wait for the listener would visibly finish first.
RESPOND_DELAY = 5.0
# Pings from the fake end slack_sdk's blocking reads (3 s timeout) early, as Slack's own pings do, so
# the client closes its socket within a fraction of a second of being told to.
SERVER_PING_INTERVAL = 0.25


# -- the served process -----------------------------------------------------------------------------


class StderrLines:
    """Reads a process's standard error in a thread, stamping each line with `time.monotonic()`."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream
        self._lines: list[tuple[float, str]] = []
        self._condition = threading.Condition()
        self._thread = threading.Thread(target=self._read, name="serve-stderr", daemon=True)
        self._thread.start()

    def _read(self) -> None:
        for line in self._stream:
            with self._condition:
                self._lines.append((time.monotonic(), line))
                self._condition.notify_all()

    def join(self, timeout: float = 10.0) -> None:
        """Wait until the stream ended (the process exited)."""
        self._thread.join(timeout)

    @property
    def text(self) -> str:
        """Everything read so far."""
        with self._condition:
            return "".join(line for _, line in self._lines)

    def first(self, fragment: str) -> float | None:
        """When the first line containing `fragment` was read, or None."""
        with self._condition:
            return next((at for at, line in self._lines if fragment in line), None)


@dataclass
class Served:
    """A running `liaison serve` over Socket Mode and the fakes it talks to."""

    process: subprocess.Popen[str]
    api: FakeSlackApi
    socket_mode: FakeSocketModeServer
    stderr: StderrLines
    # time.monotonic() of every answered `response_url` post, taken just before the fake answers it.
    answered: list[float] = field(default_factory=list)

    def slash_command(self, line: str, *, user_id: str = "U02ECBANE") -> tuple[str, dict[str, str]]:
        """Send `line` (e.g. "/project status bidshade") as a `slash_commands` envelope.

        Returns:
            The envelope id and the payload, whose `response_url` points at the fake Web API.
        """
        command, _, text = line.partition(" ")
        # The fields Slack posts for a command over HTTP are the payload of its Socket Mode envelope.
        signed = SlackPayloads(
            "unused-in-socket-mode",
            team_id=FakeSlackApi.team_id,
            response_url_base=f"http://127.0.0.1:{self.api.port}/response",
        ).slash_command(command, text, user_id=user_id)
        payload = dict(parse_qsl(signed.body, keep_blank_values=True))
        return self.socket_mode.send_slash_command(payload), payload

    def stop(self, timeout: float) -> tuple[int, float]:
        """SIGTERM; return the exit status and when the exit was seen (time.monotonic()).

        Raises:
            subprocess.TimeoutExpired: Still running after `timeout` seconds.
        """
        self.process.send_signal(signal.SIGTERM)
        returncode = self.process.wait(timeout=timeout)
        exited_at = time.monotonic()
        self.stderr.join()
        return returncode, exited_at


def _process_env(**extra: str) -> dict[str, str]:
    """A clean environment: nothing of the caller's SLACK_*, LIAISON_*, proxies or .env."""
    return {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp"), "PYTHONUTF8": "1", **extra}


@contextmanager
def serve_over_socket_mode(database_url: str, cwd: Path, **env: str) -> Iterator[Served]:
    """`liaison serve` with SLACK_APP_TOKEN set, connected to the fake Socket Mode server."""
    with (
        FakeSlackApi() as api,
        FakeSocketModeServer(app_id="A0LIAISON", ping_interval=SERVER_PING_INTERVAL) as socket_mode,
    ):
        api.respond("apps.connections.open", {"url": socket_mode.url})
        answered: list[float] = []

        def stamp_answer(call: RecordedCall) -> None:
            # Called after a `delay` fault has elapsed, right before the fake sends its answer.
            if call.method == RESPONSE_URL_METHOD:
                answered.append(time.monotonic())

        api.subscribe(stamp_answer)
        values = {
            "DATABASE_URL": database_url,
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_APP_TOKEN": APP_TOKEN,
            "SLACK_SIGNING_SECRET": "socket-mode-secret",
            "SLACK_API_URL": api.url,
            "LIAISON_EMBEDDINGS": "false",
            "LOG_LEVEL": "INFO",
            **env,
        }
        process = subprocess.Popen(
            [str(LIAISON), "serve"],
            env=_process_env(**values),
            cwd=cwd,  # no .env from the checkout
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert process.stdout is not None and process.stderr is not None
        stderr = StderrLines(process.stderr)
        try:
            line = process.stdout.readline()
            if line != CONNECTING_LINE:
                process.wait(timeout=10)
                stderr.join()
                raise AssertionError(f"serve printed {line!r}; stderr:\n{stderr.text}")
            try:
                socket_mode.wait_for_connection(timeout=60)
            except TimeoutError as error:
                raise AssertionError(
                    f"no Socket Mode connection; refused handshakes: {socket_mode.rejected_handshakes}; "
                    f"stderr:\n{stderr.text}"
                ) from error
            yield Served(process, api, socket_mode, stderr, answered)
        finally:
            if process.poll() is None:
                process.kill()
            process.wait(timeout=10)
            stderr.join()
            process.stdout.close()
            process.stderr.close()


def _wait_until(condition: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.01)
    return True


# -- the fake speaks slack_sdk's protocol -------------------------------------------------------------


def test_fake_socket_mode_server_serves_slack_sdks_builtin_client() -> None:
    """The handshake, `hello`, an envelope and its ack, pings both ways, and a client-side close."""
    received: list[SocketModeRequest] = []

    def acknowledge(client: BaseSocketModeClient, request: SocketModeRequest) -> None:
        received.append(request)
        client.send_socket_mode_response(
            SocketModeResponse(envelope_id=request.envelope_id, payload={"text": "on it"})
        )

    with FakeSlackApi() as api, FakeSocketModeServer(ping_interval=0.1) as socket_mode:
        api.respond("apps.connections.open", {"url": socket_mode.url})
        client = SocketModeClient(
            app_token=APP_TOKEN, web_client=WebClient(base_url=api.url, timeout=5), ping_interval=30
        )
        client.socket_mode_request_listeners.append(acknowledge)
        try:
            client.connect()
            connection = socket_mode.wait_for_connection(timeout=10)
            envelope_id = socket_mode.send_slash_command({"command": "/project", "text": "list"})
            ack = socket_mode.wait_for_ack(envelope_id, timeout=10)
            assert _wait_until(lambda: len(connection.pongs) >= 2, timeout=5), connection.frames
        finally:
            client.close()
        assert socket_mode.wait_closed(connection, timeout=10)

    (opened,) = api.calls("apps.connections.open")
    assert opened.authorization == f"Bearer {APP_TOKEN}"
    assert connection.path == f"/link/?ticket={socket_mode.ticket}&app_id=A0LIAISON"
    assert connection.sent[0]["type"] == "hello"
    assert [r.envelope_id for r in received] == [envelope_id]
    assert received[0].type == "slash_commands" and received[0].accepts_response_payload
    assert received[0].payload == {"command": "/project", "text": "list"}
    assert ack.payload == {"text": "on it"}
    assert connection.pings, "slack_sdk pings right after the handshake"
    assert connection.closed_by == "client"
    assert socket_mode.rejected_handshakes == []


# -- liaison serve over Socket Mode -------------------------------------------------------------------


def test_slash_command_envelope_is_acked_over_the_socket_and_answered_at_its_response_url(
    demo_db: str, tmp_path: Path
) -> None:
    with serve_over_socket_mode(demo_db, tmp_path) as served:
        envelope_id, payload = served.slash_command("/project status bidshade")
        ack = served.socket_mode.wait_for_ack(envelope_id, timeout=15)
        (reply,) = served.api.wait_for(RESPONSE_URL_METHOD, timeout=15)
        returncode, _ = served.stop(timeout=30)

    # An empty ack: the answer is ephemeral and goes to the response_url, not into the ack.
    assert ack.payload is None
    assert [a.envelope_id for a in served.socket_mode.acks()] == [envelope_id]
    assert payload["response_url"].endswith("/response/" + reply.params["_response_token"])
    assert reply.params["response_type"] == "ephemeral"
    assert "Bid shading for first-price auctions" in json.dumps(reply.params["blocks"])
    (opened,) = served.api.calls("apps.connections.open")
    assert opened.authorization == f"Bearer {APP_TOKEN}"
    assert returncode == 0, served.stderr.text
    assert "Traceback" not in served.stderr.text


def test_a_slash_command_envelope_is_recorded_in_the_inbox_before_its_ack(
    demo_db: str, tmp_path: Path
) -> None:
    with serve_over_socket_mode(demo_db, tmp_path) as served:
        envelope_id, _ = served.slash_command(
            "/blocker add pcm recorded over the socket", user_id="U11DEAHME"
        )
        served.socket_mode.wait_for_ack(envelope_id, timeout=15)
        engine = make_engine(demo_db)
        try:
            with make_session_factory(engine)() as session:
                recorded = session.scalars(select(InboxRequest).where(InboxRequest.kind == "command")).all()
            assert served.api.wait_for(RESPONSE_URL_METHOD, timeout=15), served.stderr.text
            assert _wait_until(lambda: _blockers(engine, "recorded over the socket") == 1, timeout=10)
        finally:
            engine.dispose()
        returncode, _ = served.stop(timeout=30)

    # Recorded when the ack arrived: a process killed now would leave it to another instance.
    assert len(recorded) == 1
    assert json.loads(recorded[0].headers)["x-liaison-transport"] == "socket_mode"
    assert json.loads(recorded[0].body)["text"] == "add pcm recorded over the socket"
    assert returncode == 0, served.stderr.text


def _blockers(engine: Engine, text: str) -> int:
    with make_session_factory(engine)() as session:
        return len(session.scalars(select(Blocker).where(Blocker.text == text)).all())


def _sigterm_while_responding(served: Served) -> tuple[int, float, float]:
    """Send a command whose `respond()` the fake holds back, and SIGTERM while it is held.

    Returns:
        The exit status, when SIGTERM was sent and when the exit was seen (time.monotonic()).
    """
    served.api.delay(RESPONSE_URL_METHOD, RESPOND_DELAY)
    envelope_id, _ = served.slash_command("/project status bidshade")
    served.socket_mode.wait_for_ack(envelope_id, timeout=15)
    # The fake records the post when it arrives, then holds its answer back for RESPOND_DELAY.
    assert served.api.wait_for(RESPONSE_URL_METHOD, timeout=15), served.stderr.text
    assert not served.answered, "the fake answered the response_url before its delay"
    signalled_at = time.monotonic()
    returncode, exited_at = served.stop(timeout=RESPOND_DELAY + 25)
    return returncode, signalled_at, exited_at


def test_sigterm_lets_a_respond_in_progress_finish_before_the_process_stops(
    demo_db: str, tmp_path: Path
) -> None:
    with serve_over_socket_mode(demo_db, tmp_path) as served:
        returncode, signalled_at, exited_at = _sigterm_while_responding(served)

    log = served.stderr.text
    assert returncode == 0, log
    assert served.answered, f"the response_url was never answered:\n{log}"
    assert served.answered[0] < exited_at
    # Runtime.shutdown() logs this after the listener drain and the scheduler stop; without the drain
    # it would come about RESPOND_DELAY seconds before the answer.
    stopped_at = served.stderr.first(STOPPED_MESSAGE)
    assert stopped_at is not None, log
    assert served.answered[0] < stopped_at, f"the process stopped before respond() finished:\n{log}"
    assert "stopping: finishing requests in flight" in log
    assert "listener work still running" not in log
    assert exited_at - signalled_at < RESPOND_DELAY + 10, log
    assert "Traceback" not in log, log


def test_sigterm_closes_the_socket_mode_connection_before_draining_and_does_not_reconnect(
    demo_db: str, tmp_path: Path
) -> None:
    with serve_over_socket_mode(demo_db, tmp_path) as served:
        connection = served.socket_mode.wait_for_connection()
        returncode, signalled_at, _ = _sigterm_while_responding(served)
        # The process is gone; give the fake's reader thread a moment to see the end of the stream.
        assert served.socket_mode.wait_closed(connection, timeout=5)

    log = served.stderr.text
    assert returncode == 0, log
    assert connection.closed_at is not None and connection.closed_by == "client", connection
    assert served.answered, log
    # No new envelopes once stopping: the connection went away while respond() was still held back…
    assert signalled_at < connection.closed_at < served.answered[0], (
        f"closed {connection.closed_at - signalled_at:.2f} s after SIGTERM, answered "
        f"{served.answered[0] - signalled_at:.2f} s after it:\n{log}"
    )
    # …and the client did not ask for a new one.
    assert len(served.api.calls("apps.connections.open")) == 1
    assert len(served.socket_mode.connections) == 1
    assert "Traceback" not in log, log


# -- acks do not wait for listener work ---------------------------------------------------------------


def test_a_command_is_acked_while_every_listener_thread_is_busy(demo_db: str, tmp_path: Path) -> None:
    # One listener thread, held inside a respond() the fake answers after 2.5 s. The second command's
    # ack is sent by the envelope's worker at once, not by its listener once a thread is free (which
    # used to take the whole 2.5 s, and past Slack's 3 s with slower answers).
    with serve_over_socket_mode(demo_db, tmp_path, LIAISON_WEB_THREADS="1") as served:
        served.api.delay(RESPONSE_URL_METHOD, 2.5)
        first, _ = served.slash_command("/project status bidshade")
        served.socket_mode.wait_for_ack(first, timeout=15)
        assert served.api.wait_for(RESPONSE_URL_METHOD, timeout=15)
        second, _ = served.slash_command("/project list all")
        ack = served.socket_mode.wait_for_ack(second, timeout=15)
        assert _wait_until(lambda: len(served.answered) == 2, timeout=20), served.stderr.text
        returncode, _ = served.stop(timeout=30)

    log = served.stderr.text
    assert ack.at < served.answered[0], "the second ack waited for the busy listener thread"
    assert ack.payload is None
    assert returncode == 0, log
    assert "Traceback" not in log and "didn't call ack()" not in log, log


def test_sigterm_during_a_form_submission_still_sends_its_ack_before_closing(
    demo_db: str, tmp_path: Path
) -> None:
    # A modal submission is acked with its listener's answer (field errors keep the modal open), so it
    # is dispatched on the envelope's worker. SIGTERM arrives while that listener waits on Slack: the
    # connection must stay open until the ack has been sent (slack_sdk's own close shuts the socket
    # first, and the ack was lost).
    with serve_over_socket_mode(demo_db, tmp_path) as served:
        envelope, _ = served.slash_command("/milestone add bidshade")
        served.socket_mode.wait_for_ack(envelope, timeout=15)
        (opened,) = served.api.wait_for("views.open", timeout=15)
        signed = milestone_form_submission(
            SlackPayloads(
                "unused-in-socket-mode", team_id=FakeSlackApi.team_id, response_url_base=served.api.url
            ),
            view_of(opened),
            user="U02ECBANE",
            title="Socket Mode review",
            due="2026-12-18",
        )
        payload = json.loads(dict(parse_qsl(signed.body))["payload"])
        # The confirmation the listener sends before its ack is held back by the fake.
        served.api.delay("chat.postMessage", 2.0)
        submitted = served.socket_mode.send_envelope("interactive", payload, accepts_response_payload=True)
        assert served.api.wait_for("chat.postMessage", timeout=15), served.stderr.text
        returncode, _ = served.stop(timeout=30)

    log = served.stderr.text
    assert served.socket_mode.acks(submitted), f"the submission was never acked:\n{log}"
    assert returncode == 0, log
    assert "Traceback" not in log, log
    engine = make_engine(demo_db)
    try:
        with make_session_factory(engine)() as session:
            assert session.scalar(select(Milestone.id).where(Milestone.title == "Socket Mode review"))
    finally:
        engine.dispose()
