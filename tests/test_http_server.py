"""HTTP mode: the WSGI app (`bot.serving.web`) over real sockets on 127.0.0.1, and gunicorn running it.

Signature, body-cap, replay and fuzz tests live in tests/security/; this file covers serving itself:
acks before listeners finish, health, readiness, metrics, request ids, and graceful shutdown.
"""

from __future__ import annotations

import gc
import io
import json
import logging
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from sqlalchemy import create_engine, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from bot.cli.console.payloads import SlackPayloads
from bot.db import make_engine, make_session_factory
from bot.experts.embeddings.protocol import EmbedderLoadError
from bot.models import DeliveryStatus, ReminderDelivery
from bot.services import Services
from bot.serving.ack_priority import AckPriority
from bot.serving.logs import REQUEST_ID, configure_logging, current_request_id
from bot.serving.metrics import DeliveryCollector
from bot.serving.readiness import Readiness
from bot.serving.wsgi import ListenerExecutor, settle_after_start
from bot.settings import LogFormat
from bot.slack import ids
from bot.workspace_file import import_workspace_file
from tests.conftest import DEMO_FILE
from tests.fakes.driver import milestone_form_submission, view_of
from tests.fakes.slack_api import RESPONSE_URL_METHOD, FakeSlackApi
from tests.migrated import migrate_from_template
from tests.security.served import Served, ServerPool, http_request

GUNICORN = Path(sys.executable).parent / "gunicorn"


@pytest.fixture
def served(pool: ServerPool, services: Services, demo: None) -> Served:
    return pool.start(services)


def test_slash_command_is_acked_before_listener_finishes(
    served: Served, payloads: SlackPayloads, slack_api: FakeSlackApi
) -> None:
    # The reply to Slack's response_url hangs for 2 s; the HTTP ack must not wait for it.
    slack_api.delay(RESPONSE_URL_METHOD, 2.0)
    signed = payloads.slash_command("/project", "status bidshade", user_id="U02ECBANE")

    reply = served.post(signed, settle=False)

    assert reply.status == 200
    assert reply.body == b""
    assert reply.seconds < 1.5
    posted = slack_api.wait_for(RESPONSE_URL_METHOD, timeout=5)
    assert len(posted) == 1
    assert "Bid shading for first-price auctions" in json.dumps(posted[0].params["blocks"])
    assert posted[0].params["_response_token"] in signed.body


def test_fast_ack_answers_before_a_slow_listener_even_starts_its_reply(
    served: Served, payloads: SlackPayloads, slack_api: FakeSlackApi
) -> None:
    # The listener needs >= 1.5 s (Slack's response_url is slow); the empty 200 comes at once, from
    # the HTTP layer, while the work is still queued or running on the listener pool.
    slack_api.delay(RESPONSE_URL_METHOD, 1.5)
    signed = payloads.slash_command("/project", "status bidshade", user_id="U02ECBANE")
    started = time.monotonic()

    reply = served.post(signed, settle=False)
    acked_after = time.monotonic() - started
    still_working = not served.listeners.drain(0)

    assert reply.status == 200
    assert reply.body == b""
    # Before the listener could have finished (it needs >= 1.5 s), not a speed bound: a loaded test
    # machine may take its time over the ack itself.
    assert acked_after < 1.5
    assert still_working
    posted = slack_api.wait_for(RESPONSE_URL_METHOD, timeout=5)
    served.settle()
    assert time.monotonic() - started >= 1.5
    assert len(posted) == 1
    assert "Bid shading for first-price auctions" in json.dumps(posted[0].params["blocks"])


def test_listener_work_waits_while_another_request_is_being_acked(
    served: Served, payloads: SlackPayloads, slack_api: FakeSlackApi
) -> None:
    # Another request's ack in progress (as `bot.serving.web` marks it around its checks and dispatch).
    with served.web.ack_priority.acking():
        reply = served.post(
            payloads.slash_command("/project", "status bidshade", user_id="U02ECBANE"), settle=False
        )
        assert reply.status == 200
        time.sleep(0.4)
        assert slack_api.calls(RESPONSE_URL_METHOD) == [], "the listener ran while an ack was in progress"
    served.settle()

    assert len(slack_api.calls(RESPONSE_URL_METHOD)) == 1


class _RecordingPriority(AckPriority):
    def __init__(self) -> None:
        super().__init__()
        self.acks = 0

    @contextmanager
    def acking(self) -> Iterator[None]:
        self.acks += 1
        with super().acking():
            yield


def test_slack_requests_mark_their_ack_and_a_slow_upload_does_not(
    served: Served, payloads: SlackPayloads
) -> None:
    recording = _RecordingPriority()
    served.web.ack_priority = recording
    host, port = served.url.removeprefix("http://").split(":")

    with socket.create_connection((host, int(port)), timeout=5) as stalled:
        stalled.sendall(b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{")
        time.sleep(0.2)
        # A client still sending its body holds no ack open (listener work would wait on it).
        assert recording.acks == 0
        served.post(payloads.slash_command("/project", "list", user_id="U02ECBANE"))
        assert recording.acks == 1
        served.get("/healthz")
    assert recording.acks == 1


def test_a_form_submission_waiting_on_slack_does_not_hold_listener_work_back(
    served: Served, payloads: SlackPayloads, slack_api: FakeSlackApi
) -> None:
    # Nothing but this submission could release the command's listener early (no 1.5 s limit).
    served.web.ack_priority = AckPriority(max_wait_seconds=60)
    served.post(payloads.slash_command("/milestone", "add bidshade", user_id="U02ECBANE"))
    (opened,) = slack_api.calls("views.open")
    submitted = milestone_form_submission(
        payloads, view_of(opened), user="U02ECBANE", title="Form waiting on Slack", due="2026-12-18"
    )
    # The form's listener saves, then waits 3 s on its confirmation before the ack can go out.
    slack_api.delay("chat.postMessage", 3.0)
    replies: list[int] = []
    submitting = threading.Thread(target=lambda: replies.append(served.post(submitted, settle=False).status))
    submitting.start()
    assert slack_api.wait_for("chat.postMessage", timeout=10)

    command = served.post(payloads.slash_command("/project", "list", user_id="U02ECBANE"), settle=False)
    answered = slack_api.wait_for(RESPONSE_URL_METHOD, timeout=10)
    still_submitting = submitting.is_alive()
    submitting.join(timeout=15)
    served.settle()

    assert command.status == 200 and len(answered) == 1
    assert still_submitting, "the command's answer waited for the form's Slack call"
    assert replies == [200]


def test_event_is_acked_empty_and_handled_after(
    served: Served, payloads: SlackPayloads, slack_api: FakeSlackApi
) -> None:
    opened = payloads.event({"type": "app_home_opened", "user": "U02ECBANE", "tab": "home"})

    reply = served.post(opened)

    assert reply.status == 200
    assert reply.body == b""
    assert slack_api.calls("views.publish"), "the event was not handled after the ack"


def test_view_submission_errors_are_still_in_the_ack(
    served: Served, payloads: SlackPayloads, slack_api: FakeSlackApi
) -> None:
    served.post(payloads.slash_command("/milestone", "add bidshade", user_id="U02ECBANE"))
    opened = slack_api.calls("views.open")
    assert len(opened) == 1
    submitted = milestone_form_submission(
        payloads, view_of(opened[0]), user="U02ECBANE", title="Review", due="whenever"
    )

    reply = served.post(submitted)

    assert reply.status == 200
    body = reply.json()
    assert body["response_action"] == "errors"
    assert ids.DUE_INPUT in body["errors"]


def test_a_burst_of_connections_is_not_reset(served: Served) -> None:
    # Python's default listen backlog is 5: a burst of Slack requests got connection resets.
    assert served.server.request_queue_size >= 1024
    host, port = "127.0.0.1", served.server.server_port
    burst = 100
    gate = threading.Barrier(burst)
    answers: list[bytes] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def ask() -> None:
        try:
            gate.wait(10)
            with socket.create_connection((host, port), timeout=20) as connection:
                connection.sendall(
                    f"GET /healthz HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode()
                )
                answer = b""
                while chunk := connection.recv(65536):
                    answer += chunk
            with lock:
                answers.append(answer)
        except BaseException as error:
            with lock:
                errors.append(error)

    threads = [threading.Thread(target=ask) for _ in range(burst)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert errors == []
    assert len(answers) == burst
    assert all(answer.startswith(b"HTTP/1.0 200") or answer.startswith(b"HTTP/1.1 200") for answer in answers)


def test_url_verification_challenge_is_echoed(served: Served, payloads: SlackPayloads) -> None:
    signed = payloads.sign(
        json.dumps({"token": "legacy", "challenge": "c4allenge", "type": "url_verification"}),
        "application/json",
    )

    reply = served.post(signed)

    assert reply.status == 200
    assert b"c4allenge" in reply.body


def test_request_with_bad_signature_is_rejected(
    served: Served, payloads: SlackPayloads, slack_api: FakeSlackApi
) -> None:
    signed = payloads.slash_command("/project", "status bidshade", user_id="U02ECBANE")

    reply = served.post(signed, **{"X-Slack-Signature": "v0=" + "0" * 64})

    assert reply.status == 401
    assert reply.json() == {"error": "invalid request"}
    assert slack_api.calls(RESPONSE_URL_METHOD) == []


def test_request_with_tampered_body_is_rejected(served: Served, payloads: SlackPayloads) -> None:
    signed = payloads.slash_command("/project", "status bidshade", user_id="U02ECBANE")
    tampered = type(signed)(signed.body.replace("U02ECBANE", "U12ETSTEI"), signed.headers)

    assert served.post(tampered).status == 401


def test_request_older_than_five_minutes_is_rejected(
    served: Served, payloads: SlackPayloads, slack_api: FakeSlackApi
) -> None:
    body = payloads.slash_command("/project", "status bidshade", user_id="U02ECBANE").body
    # Correctly signed, but replayed six minutes later.
    stale = payloads.sign(body, "application/x-www-form-urlencoded", timestamp=int(time.time()) - 6 * 60)

    reply = served.post(stale)

    assert reply.status == 401
    assert slack_api.calls(RESPONSE_URL_METHOD) == []


def test_request_without_signature_headers_is_rejected(served: Served) -> None:
    reply = http_request(
        f"{served.url}/slack/events",
        data=b"command=%2Fproject&text=status+bidshade&user_id=U02ECBANE",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )

    assert reply.status == 401


def test_get_on_slack_events_is_405(served: Served) -> None:
    reply = served.get("/slack/events")

    assert reply.status == 405
    assert reply.headers["allow"] == "POST"


def test_unknown_path_is_404(served: Served, payloads: SlackPayloads) -> None:
    signed = payloads.slash_command("/project", "status bidshade", user_id="U02ECBANE")

    assert served.get("/nope").status == 404
    assert served.post(signed, path="/slack/other").status == 404


def test_slow_client_does_not_block_other_requests(served: Served) -> None:
    host, port = served.url.removeprefix("http://").split(":")
    # A client that sends half a request and stalls: a single-threaded server would hang on it.
    with socket.create_connection((host, int(port)), timeout=5) as stalled:
        stalled.sendall(b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{")

        reply = served.get("/healthz")

    assert reply.status == 200
    assert reply.seconds < 2


# -- health and readiness ---------------------------------------------------------------------------


class _LoadingModel:
    """Stands in for `CachingEmbedder` in readiness checks: loading, loaded, or failed."""

    def __init__(self) -> None:
        self.loaded = False
        self.error: str | None = None

    @property
    def ready(self) -> bool:
        return self.loaded

    def wait_ready(self, timeout: float | None = None) -> bool:
        if self.error:
            raise EmbedderLoadError(self.error)
        return self.loaded


def _broken_services(services: Services, tmp_path: Path) -> Services:
    not_a_directory = tmp_path / "plain-file"
    not_a_directory.write_text("", encoding="utf-8")
    # SQLite cannot create a database inside a regular file, so every connection attempt fails.
    broken = create_engine(f"sqlite:///{not_a_directory / 'liaison.db'}")
    return Services(
        settings=services.settings, session_factory=make_session_factory(broken), clock=services.clock
    )


def test_healthz_is_liveness_only_and_readyz_reports_the_database(
    pool: ServerPool, services: Services, tmp_path: Path
) -> None:
    broken = _broken_services(services, tmp_path)
    served = pool.start(broken, readiness=Readiness(broken))

    health = served.get("/healthz")
    ready = served.get("/readyz")

    # A database outage must not make an orchestrator restart every instance: liveness stays 200.
    assert (health.status, health.json()) == (200, {"status": "ok"})
    assert ready.status == 503
    assert ready.content_type == "application/json"
    assert ready.json() == {
        "status": "not ready",
        "reason": "database: unreachable",
        "checks": {"database": "unreachable"},
    }


def test_readyz_is_ready_when_database_answers(served: Served) -> None:
    reply = served.get("/readyz")

    assert reply.status == 200
    assert reply.json() == {"status": "ready", "checks": {"database": "ok"}}


def test_readyz_waits_for_the_model_in_a_process_that_needs_it(pool: ServerPool, services: Services) -> None:
    model = _LoadingModel()
    served = pool.start(services, readiness=Readiness(services, embedder=model))  # type: ignore[arg-type]

    loading = served.get("/readyz")
    model.loaded = True
    loaded = served.get("/readyz")
    model.error = "embedding model directory not found: /models/nope"
    failed = served.get("/readyz")

    assert loading.status == 503
    assert loading.json()["reason"] == "model: loading"
    assert loaded.status == 200
    assert loaded.json()["checks"] == {"database": "ok", "model": "ok"}
    assert failed.status == 503
    assert (
        failed.json()["reason"] == "model: failed to load: embedding model directory not found: /models/nope"
    )


def test_readyz_reports_a_stopped_scheduler_and_draining(pool: ServerPool, services: Services) -> None:
    running = {"value": False}
    served = pool.start(services, readiness=Readiness(services, scheduler_running=lambda: running["value"]))

    stopped = served.get("/readyz")
    running["value"] = True
    ok = served.get("/readyz")
    served.web.start_draining()
    draining = served.get("/readyz")

    assert stopped.json()["reason"] == "scheduler: stopped"
    assert ok.status == 200
    assert draining.status == 503
    assert draining.json()["reason"] == "process: shutting down"
    assert served.get("/healthz").status == 200


def test_probes_refuse_post(served: Served) -> None:
    reply = http_request(f"{served.url}/readyz", data=b"x")

    assert reply.status == 405


# -- metrics, request ids, logs ---------------------------------------------------------------------


def _metric(text: str, name: str, **labels: str) -> float:
    wanted = ",".join(f'{k}="{v}"' for k, v in labels.items())
    pattern = re.escape(name) + (r"\{" + re.escape(wanted) + r"\}" if labels else "") + r" (\S+)"
    match = re.search("^" + pattern + "$", text, flags=re.MULTILINE)
    return float(match.group(1)) if match else 0.0


def test_metrics_count_slack_requests_by_kind_and_outcome(served: Served, payloads: SlackPayloads) -> None:
    served.post(payloads.slash_command("/project", "list", user_id="U02ECBANE"))
    served.post(
        payloads.slash_command("/project", "list", user_id="U02ECBANE"), **{"X-Slack-Signature": "v0=1"}
    )
    served.post(payloads.block_action(user_id="U02ECBANE", action_id="open_project", value="bidshade"))

    reply = served.get("/metrics")

    assert reply.status == 200
    assert reply.content_type is not None and reply.content_type.startswith("text/plain")
    text = reply.body.decode()
    assert _metric(text, "liaison_slack_requests_total", kind="command", outcome="accepted") == 1
    assert _metric(text, "liaison_slack_requests_total", kind="unknown", outcome="bad_signature") == 1
    assert _metric(text, "liaison_slack_requests_total", kind="block_actions", outcome="accepted") == 1
    assert _metric(text, "liaison_slack_ack_seconds_count", kind="command") == 1
    assert _metric(text, "liaison_http_requests_total", route="slack", status="200") == 2
    assert _metric(text, "liaison_http_requests_total", route="slack", status="401") == 1


def test_every_response_carries_a_request_id_and_a_sane_given_one_is_kept(served: Served) -> None:
    generated = served.get("/healthz")
    kept = served.get("/healthz", **{"X-Request-Id": "lb-1234.abc"})
    replaced = served.get("/healthz", **{"X-Request-Id": "bad id\twith spaces"})

    assert re.fullmatch(r"[0-9a-f]{16}", generated.headers["x-request-id"])
    assert kept.headers["x-request-id"] == "lb-1234.abc"
    assert re.fullmatch(r"[0-9a-f]{16}", replaced.headers["x-request-id"])


@pytest.fixture
def json_log() -> Iterator[io.StringIO]:
    """Route log records, as JSON lines, into a buffer for the duration of a test."""
    root = logging.getLogger()
    saved_handlers, saved_level = list(root.handlers), root.level
    buffer = io.StringIO()
    configure_logging("INFO", LogFormat.JSON, stream=buffer, force=True)
    yield buffer
    for handler in list(root.handlers):
        if handler not in saved_handlers:
            root.removeHandler(handler)
    root.setLevel(saved_level)


def test_json_logs_of_a_slack_request_carry_its_request_id(
    served: Served, payloads: SlackPayloads, json_log: io.StringIO
) -> None:
    reply = served.post(
        payloads.slash_command("/project", "list", user_id="U02ECBANE"), **{"X-Request-Id": "req-42"}
    )

    records = [json.loads(line) for line in json_log.getvalue().splitlines()]
    answered = [r for r in records if r["message"].startswith("slack command answered 200")]
    assert reply.headers["x-request-id"] == "req-42"
    assert len(answered) == 1
    assert answered[0]["request_id"] == "req-42"
    assert answered[0]["level"] == "INFO"
    assert answered[0]["logger"] == "bot.serving.web"


def test_listener_executor_runs_tasks_in_the_submitting_request_context() -> None:
    executor = ListenerExecutor(2)
    token = REQUEST_ID.set("req-7")
    try:
        future = executor.submit(current_request_id)
    finally:
        REQUEST_ID.reset(token)
    outside = executor.submit(current_request_id)

    assert future.result(timeout=5) == "req-7"
    assert outside.result(timeout=5) is None
    assert executor.drain(5)
    executor.shutdown()


def test_what_a_process_holds_after_start_is_left_out_of_full_collections() -> None:
    # create_wsgi_app calls it once the runtime is built: start-up objects are not scanned again.
    settle_after_start()
    try:
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()


def test_listener_executor_drain_waits_for_running_work_with_a_limit() -> None:
    executor = ListenerExecutor(1)
    release = threading.Event()
    executor.submit(release.wait, 10)

    assert not executor.drain(0.1)
    release.set()
    assert executor.drain(5)
    executor.shutdown()


# -- gunicorn, the production server ----------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("gunicorn") / "demo.db"
    url = f"sqlite:///{path}"
    migrate_from_template(url)
    engine = make_engine(url)
    with make_session_factory(engine).begin() as session:
        import_workspace_file(session, DEMO_FILE, today=date.today(), rebase_dates=True)
    engine.dispose()
    return path


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_until_ready(url: str, process: subprocess.Popen[Any], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"gunicorn exited with {process.returncode}")
        try:
            if http_request(f"{url}/readyz", timeout=2).status == 200:
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise AssertionError("gunicorn did not become ready")


@pytest.fixture
def gunicorn_env(demo_database: Path, tmp_path: Path, slack_api: FakeSlackApi) -> dict[str, str]:
    database = tmp_path / "demo.db"
    shutil.copyfile(demo_database, database)
    return {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", "/tmp"),
        "PYTHONUTF8": "1",
        "DATABASE_URL": f"sqlite:///{database}",
        "SLACK_BOT_TOKEN": "xoxb-gunicorn-secret-token",
        "SLACK_SIGNING_SECRET": "gunicorn-signing-secret",
        "SLACK_API_URL": slack_api.url,
        "LIAISON_HOST": "127.0.0.1",
        "LIAISON_PORT": str(_free_port()),
        "LIAISON_EMBEDDINGS": "false",
        "LIAISON_WEB_THREADS": "4",
        "LIAISON_SHUTDOWN_SECONDS": "20",
        "LOG_LEVEL": "DEBUG",
        "LOG_FORMAT": "json",
    }


def test_gunicorn_sigterm_finishes_requests_in_flight_and_the_work_after_acks(
    gunicorn_env: dict[str, str], slack_api: FakeSlackApi, tmp_path: Path
) -> None:
    url = f"http://127.0.0.1:{gunicorn_env['LIAISON_PORT']}"
    payloads = SlackPayloads(
        gunicorn_env["SLACK_SIGNING_SECRET"],
        team_id=FakeSlackApi.team_id,
        response_url_base=f"http://127.0.0.1:{slack_api.port}/response",
    )
    process = subprocess.Popen(
        [str(GUNICORN), "-c", "python:bot.serving.gunicorn_conf"],
        env=gunicorn_env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _wait_until_ready(url, process)
        host, port = "127.0.0.1", int(gunicorn_env["LIAISON_PORT"])
        # 1. A request whose body is still arriving when SIGTERM comes.
        slow = payloads.slash_command("/project", "status bidshade", user_id="U02ECBANE")
        head = (
            f"POST /slack/events HTTP/1.1\r\nHost: {host}\r\nContent-Type: {slow.headers['Content-Type']}\r\n"
            f"X-Slack-Request-Timestamp: {slow.headers['X-Slack-Request-Timestamp']}\r\n"
            f"X-Slack-Signature: {slow.headers['X-Slack-Signature']}\r\n"
            f"Content-Length: {len(slow.body.encode())}\r\nConnection: close\r\n\r\n"
        ).encode()
        body = slow.body.encode()
        connection = socket.create_connection((host, port), timeout=20)
        connection.sendall(head + body[:20])
        # 2. A command acked at once whose listener then waits 2 s for Slack, and after that
        #    republishes App Homes: views.publish proves the listener ran to its end.
        slack_api.delay(RESPONSE_URL_METHOD, 2.0)
        done = payloads.slash_command("/milestone", "done bidshade-2", user_id="U02ECBANE")
        acked = http_request(f"{url}/slack/events", data=done.body.encode(), headers=done.headers)
        assert acked.status == 200
        process.send_signal(signal.SIGTERM)
        time.sleep(0.5)
        connection.sendall(body[20:])
        answer = connection.recv(65536)
        connection.close()

        returncode = process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
        _, stderr = process.communicate(timeout=10)

    assert answer.startswith(b"HTTP/1.1 200"), answer[:200]
    assert returncode == 0, stderr[-3000:]
    assert len(slack_api.calls(RESPONSE_URL_METHOD)) == 2  # both commands were answered
    assert slack_api.calls("views.publish"), "the listener was cut off before it republished homes"
    # LOG_LEVEL=DEBUG logs every Web API call; the token and secret still appear nowhere.
    assert "gunicorn-secret-token" not in stderr
    assert gunicorn_env["SLACK_SIGNING_SECRET"] not in stderr
    lines = [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]
    assert any(line["logger"] == "bot.serving.web" and line.get("request_id") for line in lines)
    # The worker_exit hook ran the runtime's shutdown (role all: the scheduler was stopped too).
    assert any(line["message"] == "Liaison all process stopped" for line in lines)


def test_gunicorn_refuses_a_malformed_setting_in_one_line(
    gunicorn_env: dict[str, str], tmp_path: Path
) -> None:
    result = subprocess.run(
        [str(GUNICORN), "-c", "python:bot.serving.gunicorn_conf"],
        env={**gunicorn_env, "LIAISON_PROCESS_ROLE": "everything"},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=30,
    )

    assert result.returncode != 0
    assert result.stderr.strip().splitlines()[-1] == (
        "Configuration error: LIAISON_PROCESS_ROLE must be one of all, web, worker, got 'everything'"
    )


def test_queue_lag_is_the_age_of_the_oldest_due_planned_delivery(
    session_factory: sessionmaker[Session], demo: None
) -> None:
    with session_factory() as session:
        oldest = session.scalar(
            select(func.min(ReminderDelivery.not_before)).where(
                ReminderDelivery.status == DeliveryStatus.PLANNED
            )
        )
    assert oldest is not None

    def lag_at(now: datetime) -> float:
        registry = CollectorRegistry()
        registry.register(DeliveryCollector(session_factory, clock=lambda: now))
        return _metric(generate_latest(registry).decode(), "liaison_reminder_queue_lag_seconds")

    assert lag_at(oldest - timedelta(minutes=1)) == 0  # nothing due yet
    assert lag_at(oldest + timedelta(seconds=90)) == 90
    with session_factory.begin() as session:
        session.execute(update(ReminderDelivery).values(status=DeliveryStatus.SENT))
    assert lag_at(oldest + timedelta(seconds=90)) == 0  # the ticks caught up
