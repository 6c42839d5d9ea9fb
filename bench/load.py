"""HTTP load benchmark (issue 6): Liaison's web process against a bare Bolt app on the same server stack.

    python -m bench.load [--rate 50] [--duration 60] [--slices 6] [--burst 200] [--bursts 3]
                         [--server gunicorn|serve] [--database sqlite|postgresql://…] [--threads 8]
                         [--workers 1] [--cpu-command "/project status bidshade" …] [--cpu-requests 300]
                         [--output PATH] [--samples PATH]

(`python -m bench load` runs it with the defaults.)

What runs, each in its own process, on 127.0.0.1:

- the fake Slack Web API (`bot.cli.console.fake_slack`), which both servers call: `auth.test` at start and
  every `respond()` (slash command answers go to the command's `response_url`, which points here);
- Liaison exactly as production starts it: `gunicorn -c python:bot.serving.gunicorn_conf` with
  `LIAISON_PROCESS_ROLE=web` and `LIAISON_EMBEDDINGS=false` (the commands of the mix never use the
  model; see docs/deployment.md), against a fresh database migrated and loaded with the demo workspace
  (dates rebased); `--server serve` runs `liaison serve` instead;
- "bare Bolt": the same gunicorn configuration (`bot.serving.gunicorn_conf`, so the same gthread worker,
  worker and thread counts and keep-alive) serving a minimal `slack_bolt.App` with the same signing
  secret whose command listeners only `ack()` and `respond()` a fixed text, with a listener pool as
  large as Liaison's. The ratio of the two isolates what Liaison itself adds: body cap, signature and
  replay check (a database write), logging, and the listener's work (queries, rendering), which
  delays other requests' acks once the listener pool is busy.

Measured:

1. Cold start (each `--cold-starts` times, nothing else running): spawn → first 200 from `/healthz`
   → first acked signed command, for the web role without the model (target < 3 s) and for bare Bolt;
   and spawn → `/readyz` 200 for the web role with the model (reported, no target).
2. Steady load: signed slash commands (a mix of `/project status bidshade`, `/milestone next`,
   `/project list all`, `/blocker list pcm` from several demo users) sent open-loop at `--rate` per
   second for `--duration` seconds to each server, in `--slices` slices that alternate between the
   servers (Liaison, bare, bare, Liaison, …), so that a disturbance from outside (another process, CPU
   stolen by the hypervisor) falls on both rather than on whichever server ran at that moment.
3. Bursts: `--burst` requests released at once, `--bursts` times per server, alternating.
4. Server CPU per command (issue 16, item 6): `/project status bidshade` and `/milestone next`
   (`--cpu-command`) each sent alone at `--rate`, `--cpu-requests` per server in two slices per server
   (ABBA), as the issue's target is per command.

For every request: the HTTP response time (the ack, which Slack wants within 3 s), status, errors and
timeouts, and the time until its `respond()` reached the fake Slack. The client sends each request on a
new connection from a pool of pre-started threads (at least one per burst request), and records how
late each one started against its schedule, so a client bottleneck would show. Client, servers and
fake share the machine's cores.

Server CPU is the user + system time of the server's process tree (/proc/<pid>/stat of gunicorn's master
and workers) read before and after each slice, summed over the slices and divided by their requests.

`--samples FILE` appends every request's timings (server, phase, command, sent, acked, answered) as JSON
lines, to see which commands make a percentile.

The section (markdown) goes to stdout and replaces "## Commands: CPU and answer time (issue 16)" in
docs/benchmarks.md (the earlier "## HTTP load (issue 6)" stays there as history), or goes to `--output`.
Targets, each Liaison / bare Bolt measured in the same run: ack p99 ≤ 1.5 in each phase and cold start
< 3 s (issue 6); the time to the user's answer (respond() reached the fake Slack) p99 ≤ 2 in each
phase, and server CPU per command ≤ 2 (issue 16, item 6); each database's part opens with a table of
them, each marked met or not met.
"""

from __future__ import annotations

import argparse
import functools
import http.client
import json
import math
import multiprocessing
import os
import platform
import queue
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Executor
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs
from wsgiref.types import StartResponse, WSGIEnvironment

# Keep module-level imports light: gunicorn workers import this module for the bare Bolt app, and
# its cold start should not pay for the harness's imports.

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "docs" / "benchmarks.md"
SECTION = "## Commands: CPU and answer time (issue 16)"
VENV_BIN = Path(sys.executable).parent
SIGNING_SECRET = "bench-load-signing-secret"
BOT_TOKEN = "xoxb-bench-load-token"
SLACK_BUDGET_SECONDS = 3.0
P99_RATIO_TARGET = 1.5  # ack p99, Liaison / bare Bolt (issue 6)
ANSWER_P99_RATIO_TARGET = 2.0  # respond() p99, Liaison / bare Bolt (issue 16, item 6)
CPU_RATIO_TARGET = 2.0  # server CPU per command, Liaison / bare Bolt (issue 16, item 6)
COLD_START_TARGET_SECONDS = 3.0
BARE_REPLY = "ok"
BARE_APP = "bench.load:create_bare_bolt_app()"
SPAWN = multiprocessing.get_context("spawn")

# The request mix: what people ask most often, all read-only (a write would change later answers).
MIX: tuple[tuple[str, str], ...] = (
    ("/project", "status bidshade"),
    ("/milestone", "next"),
    ("/project", "list all"),
    ("/blocker", "list pcm"),
)
# The commands whose server CPU is also measured alone (issue 16, item 6: "leaner commands").
CPU_COMMANDS: tuple[tuple[str, str], ...] = (("/project", "status bidshade"), ("/milestone", "next"))
# Demo users from different disciplines (and so with different projects and time zones).
USERS: tuple[str, ...] = (
    "U02ECBANE",
    "U01MLOSEI",
    "U01MLKOV",
    "U03MSLIND",
    "U04CPMUEL",
    "U05PLDUBO",
    "U08NLPETR",
    "U13PMTANA",
)


# -- statistics ---------------------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile of `values`, interpolating linearly between ranks (numpy's default).

    Args:
        values: The sample, in any order.
        q: Percentile in [0, 100].

    Returns:
        The percentile; with one value, that value.

    Raises:
        ValueError: `values` is empty or `q` is outside [0, 100].
    """
    if not values:
        raise ValueError("percentile of an empty sample")
    if not 0 <= q <= 100:
        raise ValueError(f"percentile must be in [0, 100], got {q}")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


@dataclass(frozen=True)
class Sample:
    """One request the client sent, and what became of it."""

    server: str
    phase: str
    command: str
    token: str  # the last path segment of its response_url, to find its respond() at the fake
    sent_at: float  # wall clock (comparable with the fake's record times) when sending started
    lag: float  # how much later than scheduled sending started (client-side delay)
    seconds: float | None  # HTTP response time (connect → body read); None on error
    connect: float | None  # of which the TCP connect (a dropped SYN is retried after 1 s); None on error
    status: int | None
    error: str | None = None
    responded_at: float | None = None  # when its respond() reached the fake Slack

    @property
    def ok(self) -> bool:
        """Answered 200 (Slack treats anything else, or no answer in 3 s, as a failure)."""
        return self.status == 200


@dataclass(frozen=True)
class Summary:
    """Latencies (seconds) and counts of one server in one phase."""

    requests: int
    failed: int
    over_budget: int
    p50: float
    p95: float
    p99: float
    max: float
    responded: int
    respond_p50: float | None
    respond_p99: float | None
    lag_p99: float
    connect_p99: float
    failures: dict[str, int] = field(default_factory=dict)  # error or HTTP status → count
    cpu_ms_per_request: float | None = None
    rss_mb: float | None = None
    steal_percent: float | None = None  # of the machine's CPU time taken by the hypervisor meanwhile


def summarize(samples: Sequence[Sample]) -> Summary:
    """Percentiles of the acks of successful requests, counts of failures and late answers.

    Args:
        samples: One server's requests in one phase (at least one).

    Returns:
        The summary; failed requests count in `failed`, not in the percentiles.
    """
    acked = [s.seconds for s in samples if s.ok and s.seconds is not None]
    responds = [s.responded_at - s.sent_at for s in samples if s.responded_at is not None]
    # With every request failed, report infinities rather than crash: the table then says so.
    latency = acked or [math.inf]
    return Summary(
        requests=len(samples),
        failed=sum(1 for s in samples if not s.ok),
        over_budget=sum(1 for s in acked if s > SLACK_BUDGET_SECONDS),
        p50=percentile(latency, 50),
        p95=percentile(latency, 95),
        p99=percentile(latency, 99),
        max=max(latency),
        responded=len(responds),
        respond_p50=percentile(responds, 50) if responds else None,
        respond_p99=percentile(responds, 99) if responds else None,
        lag_p99=percentile([s.lag for s in samples], 99),
        connect_p99=percentile([s.connect for s in samples if s.connect is not None] or [math.inf], 99),
        failures=dict(Counter(s.error or f"HTTP {s.status}" for s in samples if not s.ok)),
    )


# -- signed requests ----------------------------------------------------------------------------


@dataclass(frozen=True)
class PreparedRequest:
    """A signed slash command, ready to send."""

    command: str
    body: bytes
    headers: dict[str, str]
    token: str


def prepare_commands(
    payloads: Any, count: int, rng: random.Random, mix: Sequence[tuple[str, str]] = MIX
) -> list[PreparedRequest]:
    """`count` signed slash commands drawn from `mix`, each with its own response_url and trigger id.

    Bodies are unique (the replay check would answer a repeat with an empty 200 without acting).
    Signing in advance keeps that work off the client during the measurement; signatures stay valid
    for 300 s, longer than a phase.

    Args:
        payloads: A `bot.cli.console.payloads.SlackPayloads` whose response URLs point at the fake Slack.
        count: How many.
        rng: Chooses commands and users.
        mix: (command, text) pairs to draw from; the benchmark's mix by default.
    """
    prepared = []
    for _ in range(count):
        command, text = mix[rng.randrange(len(mix))]
        signed = payloads.slash_command(command, text, user_id=USERS[rng.randrange(len(USERS))])
        response_url = parse_qs(signed.body)["response_url"][0]
        prepared.append(
            PreparedRequest(
                command=f"{command} {text}",
                body=signed.body.encode(),
                headers={**signed.headers, "Connection": "close"},
                token=response_url.rsplit("/", 1)[1],
            )
        )
    return prepared


def post(port: int, request: PreparedRequest, timeout: float) -> tuple[int, bytes, float]:
    """POST one signed request to /slack/events on a new connection; the status, body and connect time."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        begun = time.perf_counter()
        connection.connect()
        connected = time.perf_counter() - begun
        connection.request("POST", "/slack/events", body=request.body, headers=request.headers)
        response = connection.getresponse()
        return response.status, response.read(), connected
    finally:
        connection.close()


def get(port: int, path: str, timeout: float) -> int:
    """GET `path`; the status."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", path, headers={"Connection": "close"})
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


# -- the open-loop client -----------------------------------------------------------------------


class LoadClient:
    """Sends prepared requests at scheduled times from a pool of pre-started threads.

    Open loop: a request is sent at its time whether or not earlier ones were answered, as Slack does;
    a closed loop would slow down with the server and hide queueing. Each request records how late it
    started (`Sample.lag`), which shows whether the client kept up.
    """

    def __init__(self, threads: int, timeout: float) -> None:
        self._timeout = timeout
        self._jobs: queue.SimpleQueue[Callable[[], None] | None] = queue.SimpleQueue()
        self._threads = [
            threading.Thread(target=self._work, name=f"load-client-{n}", daemon=True) for n in range(threads)
        ]
        for thread in self._threads:
            thread.start()

    def _work(self) -> None:
        while (job := self._jobs.get()) is not None:
            job()

    def close(self) -> None:
        """Stop the threads (after the jobs already queued)."""
        for _ in self._threads:
            self._jobs.put(None)

    def run(
        self,
        server: str,
        phase: str,
        port: int,
        requests: Sequence[PreparedRequest],
        offsets: Sequence[float],
    ) -> list[Sample]:
        """Send `requests[i]` at `offsets[i]` seconds from now; every sample once all were answered.

        Args:
            server: Label for the samples.
            phase: Label for the samples.
            port: The server's port on 127.0.0.1.
            requests: What to send.
            offsets: When, in seconds from the start, non-decreasing; equal offsets make a burst.
        """
        results: list[Sample | None] = [None] * len(requests)
        done = threading.Semaphore(0)
        start = time.perf_counter() + 0.05

        def send(index: int, scheduled: float) -> None:
            request = requests[index]
            begun = time.perf_counter()
            sent_at = time.time()
            status: int | None = None
            error: str | None = None
            seconds: float | None = None
            connect: float | None = None
            try:
                status, _, connect = post(port, request, self._timeout)
                seconds = time.perf_counter() - begun
            except (OSError, http.client.HTTPException) as failure:  # refused, reset, timed out, garbled
                error = type(failure).__name__
            try:
                results[index] = Sample(
                    server=server,
                    phase=phase,
                    command=request.command,
                    token=request.token,
                    sent_at=sent_at,
                    lag=begun - scheduled,
                    seconds=seconds,
                    connect=connect,
                    status=status,
                    error=error,
                )
            finally:
                done.release()  # always, or `run` would wait forever

        for index, offset in enumerate(offsets):
            scheduled = start + offset
            delay = scheduled - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            self._jobs.put(functools.partial(send, index, scheduled))
        for _ in requests:
            done.acquire()
        return [s for s in results if s is not None]


# -- the fake Slack API in its own process --------------------------------------------------------


def _serve_fake(conn: Any) -> None:
    from bot.cli.console.fake_slack import FakeSlackApi
    from bot.cli.console.fake_slack_http import RESPONSE_URL_METHOD

    api = FakeSlackApi().start()
    conn.send((api.url, api.response_url("x").rsplit("/", 1)[0]))
    while True:
        command, argument = conn.recv()
        if command == "stop":
            api.stop()
            conn.send(None)
            return
        if command == "reset":
            api.reset()
            conn.send(None)
        elif command == "responses":
            conn.send({c.params.get("_response_token"): c.at for c in api.calls(RESPONSE_URL_METHOD)})
        elif command == "response":
            found = [
                c.params
                for c in api.calls(RESPONSE_URL_METHOD)
                if c.params.get("_response_token") == argument
            ]
            conn.send(repr(found[0]) if found else None)


class FakeSlackProcess:
    """The fake Slack Web API in a child process (so its work does not compete with the client's GIL)."""

    def __init__(self) -> None:
        self._conn, child = SPAWN.Pipe()
        self._process = SPAWN.Process(target=_serve_fake, args=(child,), daemon=True)
        self._process.start()
        self.api_url, self.response_url_base = self._conn.recv()

    def _ask(self, command: str, argument: Any = None) -> Any:
        self._conn.send((command, argument))
        return self._conn.recv()

    def reset(self) -> None:
        """Forget recorded calls."""
        self._ask("reset")

    def responses(self) -> dict[str, float]:
        """response_url token → when its post arrived (wall clock)."""
        return dict(self._ask("responses"))

    def response(self, token: str) -> str | None:
        """What was posted to one response_url (repr of the parameters), if anything."""
        answer = self._ask("response", token)
        return None if answer is None else str(answer)

    def stop(self) -> None:
        """Stop the server and the process."""
        self._ask("stop")
        self._process.join(timeout=10)


# -- the machine ----------------------------------------------------------------------------------


def cpu_times() -> tuple[int, int] | None:
    """(steal, total) CPU time of the whole machine so far, in clock ticks (Linux), else None.

    Steal is time the hypervisor gave this virtual machine's CPUs to someone else: a phase that suffers
    it is slowed by something outside the servers, which its share in the report shows.
    """
    try:
        with open("/proc/stat", encoding="ascii") as stat:
            fields = stat.readline().split()
    except OSError:
        return None
    if len(fields) < 9 or fields[0] != "cpu":
        return None
    # user nice system idle iowait irq softirq steal [guest guest_nice] (guest time is inside user).
    ticks = [int(f) for f in fields[1:9]]
    return ticks[7], sum(ticks)


# -- servers ------------------------------------------------------------------------------------


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass(frozen=True)
class ServerSpec:
    """How to start one of the two servers."""

    name: str
    argv: tuple[str, ...]
    env: dict[str, str]


def server_specs(
    kind: str, *, database_url: str, api_url: str, threads: int, workers: int, embeddings: bool = False
) -> tuple[ServerSpec, ServerSpec]:
    """Liaison's web role and bare Bolt, both under `kind` (gunicorn or liaison serve).

    Args:
        kind: "gunicorn" (production) or "serve" (`liaison serve`'s threaded server; bare Bolt then
            runs on the same server class, `bot.serving.http_server.make_http_server`).
        database_url: Liaison's database (migrated, with data).
        api_url: The fake Slack Web API.
        threads: `LIAISON_WEB_THREADS`, for both (gunicorn threads and listener pools).
        workers: `LIAISON_WEB_WORKERS`, for both.
        embeddings: Load the model in Liaison's process.
    """
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": os.environ.get("HOME", "/tmp"),
        "PYTHONUTF8": "1",
        # gunicorn imports `bench.load:create_bare_bolt_app()`; bench is not installed.
        "PYTHONPATH": str(REPO),
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": api_url,
        "DATABASE_URL": database_url,
        "LIAISON_HOST": "127.0.0.1",
        "LIAISON_PROCESS_ROLE": "web",
        "LIAISON_EMBEDDINGS": "true" if embeddings else "false",
        "LIAISON_WEB_THREADS": str(threads),
        "LIAISON_WEB_WORKERS": str(workers),
        "LOG_LEVEL": "INFO",  # production's level: Liaison logs a line per Slack request
        "LOG_FORMAT": "text",
    }
    if kind == "gunicorn":
        gunicorn = (str(VENV_BIN / "gunicorn"), "-c", "python:bot.serving.gunicorn_conf")
        # The application argument overrides the configuration's `wsgi_app`; everything else is the same.
        return ServerSpec("Liaison", gunicorn, env), ServerSpec("bare Bolt", (*gunicorn, BARE_APP), env)
    if kind == "serve":
        return (
            ServerSpec("Liaison", (str(VENV_BIN / "liaison"), "serve"), env),
            ServerSpec("bare Bolt", (sys.executable, "-m", "bench.load", "--serve-bare"), env),
        )
    raise ValueError(f"unknown server kind {kind!r}")


@dataclass
class Server:
    """A running server process (gunicorn's master, or `liaison serve`)."""

    spec: ServerSpec
    port: int
    process: subprocess.Popen[bytes]
    log: Path
    started: float  # perf_counter just before the spawn

    def stop(self) -> None:
        """SIGTERM (graceful in both servers), then SIGKILL after 30 s."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def pids(self) -> list[int]:
        """This process and its children (gunicorn's workers)."""
        pids = [self.process.pid]
        try:
            children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text()
        except OSError:
            return pids
        return pids + [int(p) for p in children.split()]

    def cpu_seconds(self) -> float | None:
        """User + system CPU time of the process and its children so far (Linux), else None."""
        total = 0.0
        for pid in self.pids():
            try:
                stat = Path(f"/proc/{pid}/stat").read_text()
            except OSError:
                return None
            # Fields after the command name (which may contain spaces): utime is the 12th, stime the 13th.
            fields = stat.rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        return total

    def rss_mb(self) -> float | None:
        """Resident memory of the process and its children (MB, Linux), else None."""
        total = 0
        for pid in self.pids():
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                return None
            total += next(
                (int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:")), 0
            )
        return total / 1024


def start_server(spec: ServerSpec, logs: Path) -> Server:
    """Spawn the server on a free port; its output goes to a log file in `logs`."""
    port = free_port()
    log = logs / f"{spec.name.replace(' ', '-').lower()}-{port}.log"
    with log.open("wb") as output:
        started = time.perf_counter()
        process = subprocess.Popen(
            spec.argv,
            env={**spec.env, "LIAISON_PORT": str(port)},
            # Not the repository: `liaison serve` would read a developer's .env there.
            cwd=logs,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    return Server(spec, port, process, log, started)


def wait_for(server: Server, path: str, timeout: float, poll: float = 0.01) -> float:
    """Seconds from the spawn until `path` answers 200.

    A request that reaches gunicorn while its worker boots waits in the listen backlog and is answered
    once the worker is up, so the first 200 marks the moment the process could serve.

    Raises:
        RuntimeError: The process exited, or no 200 within `timeout`.
    """
    deadline = server.started + timeout
    while time.perf_counter() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(
                f"{server.spec.name} exited with {server.process.returncode}; see {server.log}"
            )
        try:
            if get(server.port, path, timeout=max(0.1, deadline - time.perf_counter())) == 200:
                return time.perf_counter() - server.started
        except (OSError, http.client.HTTPException):
            pass  # not listening yet
        time.sleep(poll)
    raise RuntimeError(f"{server.spec.name}: {path} not 200 after {timeout:.0f} s; see {server.log}")


def first_ack(server: Server, payloads: Any, timeout: float) -> float:
    """Seconds from the spawn until a signed command of the mix is acked (200)."""
    deadline = server.started + timeout
    rng = random.Random(0)
    while time.perf_counter() < deadline:
        try:
            (request,) = prepare_commands(payloads, 1, rng)
            if post(server.port, request, timeout=max(0.1, deadline - time.perf_counter()))[0] == 200:
                return time.perf_counter() - server.started
        except (OSError, http.client.HTTPException):
            pass
        time.sleep(0.01)
    raise RuntimeError(f"{server.spec.name}: no acked command after {timeout:.0f} s; see {server.log}")


# -- bare Bolt (runs inside the server process) ---------------------------------------------------


WsgiApp = Callable[[WSGIEnvironment, StartResponse], Iterable[bytes]]


def create_bare_bolt_app(listener_executor: Executor | None = None) -> WsgiApp:
    """The baseline WSGI app: a minimal Bolt app whose command listeners ack and respond a fixed text.

    Configured from the same variables as Liaison (`SLACK_BOT_TOKEN`, `SLACK_SIGNING_SECRET`,
    `SLACK_API_URL`, `LIAISON_WEB_THREADS` for the listener pool). Bolt checks the signatures itself.
    `/healthz` answers 200, for the cold-start measurement; everything else goes to Bolt's WSGI adapter.

    Args:
        listener_executor: Bolt's listener pool (bench/command_cpu.py passes one it can drain); by
            default a thread pool of `LIAISON_WEB_THREADS` threads.
    """
    from concurrent.futures import ThreadPoolExecutor

    from slack_bolt import Ack, App, Respond
    from slack_bolt.adapter.wsgi import SlackRequestHandler
    from slack_sdk import WebClient

    env = os.environ
    client = WebClient(token=env["SLACK_BOT_TOKEN"], base_url=env.get("SLACK_API_URL", WebClient.BASE_URL))
    app = App(
        signing_secret=env["SLACK_SIGNING_SECRET"],
        client=client,
        # As large as Liaison's (bot.serving.wsgi.ListenerExecutor); Bolt's default is 5 threads.
        listener_executor=listener_executor
        or ThreadPoolExecutor(
            max_workers=int(env.get("LIAISON_WEB_THREADS", "8")), thread_name_prefix="bolt-listener"
        ),
    )

    def answer(ack: Ack, respond: Respond) -> None:
        ack()
        respond(text=BARE_REPLY, response_type="ephemeral")

    for name in (command for command, _ in MIX):
        app.command(name)(answer)
    bolt = SlackRequestHandler(app)

    def wsgi(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == "/healthz":
            start_response("200 OK", [("Content-Type", "application/json")])
            return [b'{"status": "ok"}']
        return bolt(environ, start_response)

    return wsgi


def serve_bare() -> None:
    """Serve bare Bolt on `bot.serving.http_server`'s threaded server (the `--server serve` baseline).

    Runs until SIGTERM.
    """
    from bot.serving.http_server import make_http_server, stop_http_server

    server = make_http_server(create_bare_bolt_app(), "127.0.0.1", int(os.environ["LIAISON_PORT"]))
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    threading.Thread(target=server.serve_forever, daemon=True).start()
    while not stop.wait(0.5):
        pass
    stop_http_server(server, 30)


# -- data ---------------------------------------------------------------------------------------


@contextmanager
def demo_database(database: str, directory: Path) -> Iterator[str]:
    """A fresh database (SQLite file in `directory`, or a throwaway PostgreSQL database on the server
    `database` names), migrated and loaded with the demo workspace, dates rebased to today."""
    from datetime import date

    from bot.cli.main import demo_file
    from bot.db import make_engine, make_session_factory, refresh_planner_statistics
    from bot.schema import upgrade_database
    from bot.workspace_file import import_workspace_file

    with ExitStack() as stack:
        if database == "sqlite":
            url = f"sqlite:///{directory / 'liaison.db'}"
        else:
            from bench.reminders import fresh_database

            url = stack.enter_context(fresh_database(database))
        upgrade_database(url)
        engine = make_engine(url)
        try:
            with make_session_factory(engine).begin() as session:
                import_workspace_file(session, demo_file(), today=date.today(), rebase_dates=True)
            refresh_planner_statistics(engine)  # as `liaison import` does
        finally:
            engine.dispose()
        yield url


# -- runs ---------------------------------------------------------------------------------------


@dataclass
class ColdStart:
    """Seconds from spawn, per repetition."""

    label: str
    healthz: list[float] = field(default_factory=list)
    first_ack: list[float] = field(default_factory=list)
    readyz: list[float] = field(default_factory=list)
    unclean_stops: int = 0  # workers that did not exit cleanly on SIGTERM (gunicorn logs "was sent SIG…")


@dataclass
class PhaseResult:
    """Both servers' summaries in one phase."""

    phase: str
    description: str
    summaries: dict[str, Summary]

    def ratio(self) -> float:
        """Ack p99 of Liaison / ack p99 of bare Bolt."""
        return self.summaries["Liaison"].p99 / self.summaries["bare Bolt"].p99

    def answer_ratio(self) -> float | None:
        """respond() p99 of Liaison / of bare Bolt (the time to the user's answer); None if unknown."""
        return _ratio_of(self.summaries["Liaison"].respond_p99, self.summaries["bare Bolt"].respond_p99)

    def cpu_ratio(self) -> float | None:
        """Server CPU per request of Liaison / of bare Bolt; None if unknown."""
        return _ratio_of(
            self.summaries["Liaison"].cpu_ms_per_request, self.summaries["bare Bolt"].cpu_ms_per_request
        )


@dataclass
class CommandCpu:
    """Server CPU per request of one command sent alone to each server (ms; None where unreadable)."""

    command: str
    requests: int
    cpu_ms: dict[str, float | None]

    def ratio(self) -> float | None:
        """Liaison / bare Bolt."""
        return _ratio_of(self.cpu_ms.get("Liaison"), self.cpu_ms.get("bare Bolt"))


def _ratio_of(liaison: float | None, bare: float | None) -> float | None:
    if liaison is None or bare is None or bare <= 0:
        return None
    return liaison / bare


@dataclass
class RunResult:
    """Everything measured against one database."""

    database: str
    cold_starts: list[ColdStart]
    phases: list[PhaseResult]
    sanity: str
    server_errors: dict[str, int]
    command_cpu: list[CommandCpu] = field(default_factory=list)


def measure_cold_starts(
    args: argparse.Namespace, database_url: str, fake: FakeSlackProcess, payloads: Any, logs: Path
) -> list[ColdStart]:
    """Spawn each variant `args.cold_starts` times, alone on the machine, and time it to serving."""
    variants: list[tuple[str, ServerSpec, bool]] = []
    for embeddings in (False, True):
        liaison, bare = server_specs(
            args.server,
            database_url=database_url,
            api_url=fake.api_url,
            threads=args.threads,
            workers=args.workers,
            embeddings=embeddings,
        )
        if embeddings:
            variants.append(("Liaison web role, model on", liaison, True))
        else:
            variants += [("Liaison web role, model off", liaison, False), ("bare Bolt", bare, False)]
    results = {label: ColdStart(label) for label, _, _ in variants}
    for _ in range(args.cold_starts):
        for label, spec, ready in variants:
            server = start_server(spec, logs)
            try:
                results[label].healthz.append(wait_for(server, "/healthz", timeout=60))
                results[label].first_ack.append(first_ack(server, payloads, timeout=60))
                if ready:
                    results[label].readyz.append(wait_for(server, "/readyz", timeout=180, poll=0.05))
            finally:
                server.stop()
            if "was sent SIG" in server.log.read_text(encoding="utf-8", errors="replace"):
                results[label].unclean_stops += 1
    return list(results.values())


def drain(fake: FakeSlackProcess, samples: list[Sample], timeout: float) -> list[Sample]:
    """Wait (up to `timeout` s) until every acked request's respond() reached the fake; attach the times."""
    wanted = {s.token for s in samples if s.ok}
    deadline = time.monotonic() + timeout
    while True:
        seen = fake.responses()
        if wanted <= seen.keys() or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    return [replace(s, responded_at=seen.get(s.token)) for s in samples]


@dataclass
class PhaseRecord:
    """What one server accumulated in one phase (over its slices or bursts)."""

    samples: list[Sample] = field(default_factory=list)
    cpu: list[float | None] = field(default_factory=list)  # server CPU seconds per slice
    stolen_ticks: int = 0  # the machine's CPU time taken by the hypervisor during this server's slices
    machine_ticks: int = 0  # the machine's CPU time during them, all states
    steal_readable: bool = True

    def add_machine_time(self, before: tuple[int, int] | None, after: tuple[int, int] | None) -> None:
        """Count the machine's CPU time between two `cpu_times()` readings."""
        if before is None or after is None:
            self.steal_readable = False
            return
        self.stolen_ticks += after[0] - before[0]
        self.machine_ticks += after[1] - before[1]

    def cpu_ms_per_request(self) -> float | None:
        """The server's CPU time per request over this server's slices (ms); None if unknown."""
        if not self.samples or any(c is None for c in self.cpu):
            return None
        return 1000 * sum(c for c in self.cpu if c is not None) / len(self.samples)

    def steal_percent(self) -> float | None:
        """Stolen share of the machine's CPU time over this server's slices; None if unknown."""
        if not self.steal_readable or self.machine_ticks <= 0:
            return None
        return 100 * self.stolen_ticks / self.machine_ticks


def run_phase(
    client: LoadClient,
    server: Server,
    fake: FakeSlackProcess,
    phase: str,
    requests: list[PreparedRequest],
    offsets: Sequence[float],
    record: PhaseRecord,
) -> list[Sample]:
    """Send one phase (or slice of it) to one server, wait for its respond() calls; add them to `record`."""
    fake.reset()
    cpu_before = server.cpu_seconds()
    machine_before = cpu_times()
    samples = client.run(server.spec.name, phase, server.port, requests, offsets)
    samples = drain(fake, samples, timeout=60)
    record.add_machine_time(machine_before, cpu_times())
    cpu_after = server.cpu_seconds()
    record.cpu.append(None if cpu_before is None or cpu_after is None else cpu_after - cpu_before)
    record.samples.extend(samples)
    return samples


def run_load(
    args: argparse.Namespace, database_url: str, fake: FakeSlackProcess, payloads: Any, logs: Path
) -> tuple[list[PhaseResult], list[CommandCpu], str, dict[str, int]]:
    """Warm both servers up, then the steady phase, the bursts and the commands alone, alternating servers."""
    liaison_spec, bare_spec = server_specs(
        args.server,
        database_url=database_url,
        api_url=fake.api_url,
        threads=args.threads,
        workers=args.workers,
    )
    rng = random.Random(args.seed)
    servers = [start_server(liaison_spec, logs), start_server(bare_spec, logs)]
    client = LoadClient(threads=max(args.burst, 64) + 16, timeout=args.timeout)
    try:
        for server in servers:
            wait_for(server, "/healthz", timeout=60)
        # Warm-up, not measured: first-request costs (Bolt's lazy authorization, compiled queries, pool
        # connections) belong to the cold start, measured separately.
        sanity = ""
        for server in servers:
            warm = prepare_commands(payloads, 40, rng)
            samples = run_phase(
                client, server, fake, "warm-up", warm, [i / 20 for i in range(len(warm))], PhaseRecord()
            )
            failed = [s for s in samples if not s.ok or s.responded_at is None]
            if failed:
                raise RuntimeError(f"{server.spec.name}: warm-up failed: {failed[0]}; see {server.log}")
            if server.spec is liaison_spec:
                sanity = _check_liaison_answers(fake, server, payloads, rng)
        by_phase: dict[str, dict[str, PhaseRecord]] = {}

        def record_of(phase: str, server: Server) -> PhaseRecord:
            return by_phase.setdefault(phase, {}).setdefault(server.spec.name, PhaseRecord())

        # The steady phase is sent in slices, alternating servers in ABBA order, so that a disturbance
        # from outside (another process, the hypervisor's steal) lands on both in expectation rather than
        # on whichever server happened to run then; each server still gets `duration` s at `rate`/s.
        per_slice = max(1, round(args.rate * args.duration / args.slices))
        slice_offsets = [i / args.rate for i in range(per_slice)]
        for n in range(args.slices):
            for server in servers if n % 2 == 0 else servers[::-1]:
                print(
                    f"   steady {n + 1}/{args.slices}: {server.spec.name}, {per_slice} requests over "
                    f"{per_slice / args.rate:g} s",
                    flush=True,
                )
                requests = prepare_commands(payloads, per_slice, rng)
                run_phase(
                    client,
                    server,
                    fake,
                    "steady",
                    requests,
                    slice_offsets,
                    record_of("steady", server),
                )
        for n in range(args.bursts):
            for server in servers:
                print(f"   burst {n + 1}/{args.bursts}: {server.spec.name}, {args.burst} at once", flush=True)
                run_phase(
                    client,
                    server,
                    fake,
                    "burst",
                    prepare_commands(payloads, args.burst, rng),
                    [0.0] * args.burst,
                    record_of("burst", server),
                )
        command_cpu = [
            measure_command_cpu(client, servers, fake, payloads, rng, command, args)
            for command in args.cpu_command
        ]
        rss = {server.spec.name: server.rss_mb() for server in servers}
    finally:
        client.close()
        for server in servers:
            server.stop()
    descriptions = {
        "steady": f"{args.rate:g}/s for {args.duration:g} s in {args.slices} slices",
        "burst": f"{args.burst} at once, ×{args.bursts}",
    }
    if args.samples is not None:
        _write_samples(args.samples, database_url, by_phase)
    phases = []
    for phase, per_server in by_phase.items():
        summaries = {}
        for name, record in per_server.items():
            summaries[name] = replace(
                summarize(record.samples),
                cpu_ms_per_request=record.cpu_ms_per_request(),
                rss_mb=rss[name],
                steal_percent=record.steal_percent(),
            )
        phases.append(PhaseResult(phase, descriptions[phase], summaries))
    errors = {server.spec.name: _count_error_lines(server.log) for server in servers}
    return phases, command_cpu, sanity, errors


def _write_samples(path: Path, database_url: str, by_phase: dict[str, dict[str, PhaseRecord]]) -> None:
    """Append every sample of the run as one JSON line (for looking into the tail: which commands, when)."""
    database = "sqlite" if database_url.startswith("sqlite") else "postgresql"
    with path.open("a", encoding="utf-8") as out:
        for per_server in by_phase.values():
            for record in per_server.values():
                for sample in record.samples:
                    out.write(json.dumps({"database": database, **asdict(sample)}) + "\n")


def measure_command_cpu(
    client: LoadClient,
    servers: Sequence[Server],
    fake: FakeSlackProcess,
    payloads: Any,
    rng: random.Random,
    command: str,
    args: argparse.Namespace,
) -> CommandCpu:
    """Server CPU per request of one command of the mix sent alone, at the steady rate, to each server.

    `args.cpu_requests` requests per server, in two slices per server in ABBA order (as the steady
    phase), so that a disturbance from outside lands on both.
    """
    pair = next((c, t) for c, t in MIX if f"{c} {t}" == command)
    per_slice = max(1, args.cpu_requests // 2)
    offsets = [i / args.rate for i in range(per_slice)]
    records = {server.spec.name: PhaseRecord() for server in servers}
    for n in range(2):
        for server in servers if n % 2 == 0 else servers[::-1]:
            print(f"   {command} alone {n + 1}/2: {server.spec.name}, {per_slice} requests", flush=True)
            requests = prepare_commands(payloads, per_slice, rng, mix=(pair,))
            run_phase(client, server, fake, "cpu", requests, offsets, records[server.spec.name])
    return CommandCpu(
        command=command,
        requests=2 * per_slice,
        cpu_ms={name: record.cpu_ms_per_request() for name, record in records.items()},
    )


def _check_liaison_answers(fake: FakeSlackProcess, server: Server, payloads: Any, rng: random.Random) -> str:
    """Make sure Liaison answers for real (not with an error message) before timing it."""
    fake.reset()
    signed = payloads.slash_command("/project", "status bidshade", user_id="U02ECBANE")
    token = parse_qs(signed.body)["response_url"][0].rsplit("/", 1)[1]
    request = PreparedRequest("/project status bidshade", signed.body.encode(), signed.headers, token)
    status, _, _ = post(server.port, request, timeout=10)
    deadline = time.monotonic() + 10
    answer = fake.response(token)
    while answer is None and time.monotonic() < deadline:
        time.sleep(0.1)
        answer = fake.response(token)
    if status != 200 or answer is None or "first-price auctions" not in answer:
        raise RuntimeError(f"Liaison did not answer /project status bidshade properly: {status} {answer!r}")
    return "`/project status bidshade` answered with the project's status blocks"


def _count_error_lines(log: Path) -> int:
    try:
        text = log.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return 0
    return sum(1 for line in text.splitlines() if " ERROR " in line or "Traceback" in line)


def run_all(args: argparse.Namespace) -> list[RunResult]:
    """Cold starts and load against each `--database`, with one fake Slack process."""
    from bot.cli.console.payloads import SlackPayloads

    results = []
    fake = FakeSlackProcess()
    try:
        payloads = SlackPayloads(
            SIGNING_SECRET, team_id="T0LIAISON", response_url_base=fake.response_url_base
        )
        for database in args.database:
            with tempfile.TemporaryDirectory(prefix="liaison-load-") as tmp:
                logs = Path(tmp)
                with demo_database(database, logs) as url:
                    label = "SQLite (file, WAL)" if database == "sqlite" else "PostgreSQL"
                    print(f"== {label}: cold starts", flush=True)
                    cold = measure_cold_starts(args, url, fake, payloads, logs) if args.cold_starts else []
                    print(f"== {label}: load", flush=True)
                    phases, command_cpu, sanity, errors = run_load(args, url, fake, payloads, logs)
                    if args.keep_logs:
                        kept = Path(args.keep_logs)
                        kept.mkdir(parents=True, exist_ok=True)
                        for log in logs.glob("*.log"):
                            shutil.copy(log, kept / log.name)
                results.append(RunResult(label, cold, phases, sanity, errors, command_cpu))
    finally:
        fake.stop()
    return results


# -- report -------------------------------------------------------------------------------------


def _ms(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    return "∞" if math.isinf(seconds) else f"{1000 * seconds:.1f}"


def _cpu_ms(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}"


def _ratio(ratio: float | None, target: float = P99_RATIO_TARGET) -> str:
    if ratio is None:
        return "unknown"
    # Two decimals, unless rounding would hide which side of the target the ratio is on (1.504 → "1.50").
    shown = f"{ratio:.2f}"
    return shown if (float(shown) <= target) == (ratio <= target) else f"{ratio:.3f}"


def _target_line(label: str, ratio: float | None, target: float, caveat: str = "") -> str:
    """`label` ratio = **r** (target ≤ t: met / not met), for a ratio that may be unknown."""
    verdict = "unknown" if ratio is None else _verdict(ratio <= target and not caveat)
    return f"{label} = **{_ratio(ratio, target)}** (target ≤ {target:g}: {verdict}{caveat})"


def _verdict(ok: bool) -> str:
    return "met" if ok else "**not met**"


EXPLANATION = (
    "How to read it:",
    "",
    "- Bare Bolt acks from its listener: with `process_before_response` off, Bolt runs the listener on its "
    "pool and polls every 10 ms until the listener has called `ack()`, a floor of about 10 ms. Liaison's "
    "HTTP layer acks commands itself once the body cap and signature checks pass and the request is "
    "recorded in the durable inbox (one insert, committed), and runs the listener from that record on its "
    'pool afterwards (docs/deployment.md, "What happens to a request").',
    "- One gunicorn worker's threads share one interpreter lock, so listener work (queries, Block Kit) "
    "slows the acks still to come. Liaison holds listener work back while requests are being acked, and "
    "after a burst until 25 ms pass without one (`bot.serving.ack_priority`, at most 1.5 s): "
    "in a burst the acks go "
    "out first and the answers (respond()) follow; under steady traffic each listener starts right after "
    "its ack.",
    "- Server CPU: user + system time of the server's processes (gunicorn master and worker) from the "
    "start of the phase until every respond() arrived, per request. Server RSS: of the same processes, "
    "after the load. Bare Bolt's command is an `ack()` and a fixed `respond()`; Liaison's also records "
    "the request durably before the ack (a committed insert), runs the command (its reads, Block "
    "Kit) and posts a larger answer. `python -m bench.command_cpu` splits it in "
    "one process, without the HTTP server.",
    "- Client lag p99: how much later than scheduled the client began sending; small against the acks "
    "means the client was not the bottleneck.",
    "- CPU steal: the share of the machine's CPU time the hypervisor gave to other guests while the "
    "server was measured (from /proc/stat); a few percent or more slows everything on the machine.",
    "- Connect p99: the TCP handshake, part of the ack time. The kernel completes it from the listen "
    "backlog whether or not the server is accepting; about 1 s means a connection attempt was dropped and "
    "retried (the client's SYN retransmission), not a slow server.",
)


def render(results: list[RunResult], args: argparse.Namespace, command: str, load: str) -> str:
    """The markdown section."""
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    server = (
        f"gunicorn (`-c python:bot.serving.gunicorn_conf`: gthread), "
        f"{args.workers} worker × {args.threads} threads"
        if args.server == "gunicorn"
        else "`liaison serve` (`bot.serving.http_server`'s server: one process, a thread per connection; "
        "bare Bolt on the "
        f"same server class), listener pools of {args.threads} threads"
    )
    lines = [
        SECTION,
        "",
        f"`{command}` — {machine}; {datetime.now(UTC):%Y-%m-%d}.",
        "",
        f"Setup: {server}, `LIAISON_PROCESS_ROLE=web`, "
        "`LIAISON_EMBEDDINGS=false`, `LOG_LEVEL=INFO`; demo workspace (dates rebased); the fake Slack Web "
        "API in its own process receives every `respond()`. Baseline: a bare `slack_bolt.App` (same signing "
        "secret, listener pool of the same size, listeners that `ack()` and `respond()` a fixed text) "
        "under the same server configuration. Mix: `/project status bidshade`, `/milestone next`, "
        f"`/project list all`, `/blocker list pcm`, from {len(USERS)} demo users; every body unique "
        "(new trigger id and response_url), sent open-loop on a new connection each.",
        "",
    ]
    for result in results:
        lines += [f"### {result.database}", "", *_target_table(result), ""]
        lines += [
            "Ack = HTTP response time of the signed command (Slack's budget: 3 s). respond() = request sent "
            "→ the answer reached the fake Slack. Times in ms.",
            "",
            "| Phase | Server | Requests | Failed | > 3 s | Ack p50 | p95 | p99 | max | respond() p50 | p99 "
            "| Server CPU ms/request | Server RSS MB | Client lag p99 | Connect p99 | CPU steal % |",
            "| --- | --- |" + " ---: |" * 14,
        ]
        for phase in result.phases:
            for name, s in phase.summaries.items():
                cpu = "–" if s.cpu_ms_per_request is None else f"{s.cpu_ms_per_request:.1f}"
                rss = "–" if s.rss_mb is None else f"{s.rss_mb:.0f}"
                responded = "" if s.responded == s.requests - s.failed else f" ({s.responded} answered)"
                lines.append(
                    f"| {phase.phase} ({phase.description}) | {name} | {s.requests} | {s.failed} | "
                    f"{s.over_budget} | {_ms(s.p50)} | {_ms(s.p95)} | {_ms(s.p99)} | {_ms(s.max)} | "
                    f"{_ms(s.respond_p50)}{responded} | {_ms(s.respond_p99)} | {cpu} | {rss} | "
                    f"{_ms(s.lag_p99)} | {_ms(s.connect_p99)} | {_percent(s.steal_percent)} |"
                )
        lines.append("")
        for phase in result.phases:
            ratio = phase.ratio()
            p50_ratio = phase.summaries["Liaison"].p50 / phase.summaries["bare Bolt"].p50
            failed = phase.summaries["Liaison"].failed
            # Percentiles leave failed requests out, so a ratio alone could hide them.
            caveat = f", and {failed} of Liaison's requests failed" if failed else ""
            lines.append(
                f"- {phase.phase}: ack p99 ratio Liaison / bare Bolt = **{_ratio(ratio)}** (target ≤ "
                f"{P99_RATIO_TARGET}: {_verdict(ratio <= P99_RATIO_TARGET and not failed)}{caveat}); "
                f"p50 ratio {p50_ratio:.2f}."
            )
            lines.append(
                f"- {phase.phase}: "
                + _target_line(
                    "answer (respond()) p99 ratio", phase.answer_ratio(), ANSWER_P99_RATIO_TARGET, caveat
                )
                + "; "
                + _target_line("server CPU per request ratio", phase.cpu_ratio(), CPU_RATIO_TARGET)
                + "."
            )
            for name, summary in phase.summaries.items():
                if summary.failures:
                    kinds = ", ".join(f"{kind} × {count}" for kind, count in sorted(summary.failures.items()))
                    lines.append(f"- {phase.phase}, {name}: failed requests: {kinds}.")
        if result.command_cpu:
            lines += [
                "",
                f"Server CPU per command, each command of the mix alone at {args.rate:g}/s (user + system "
                "time of the server's processes per request, ms):",
                "",
                "| Command | Requests per server | Liaison | bare Bolt | Ratio | Target ≤ "
                f"{CPU_RATIO_TARGET:g}× |",
                "| --- | ---: | ---: | ---: | ---: | --- |",
            ]
            for alone in result.command_cpu:
                alone_ratio = alone.ratio()
                verdict = "unknown" if alone_ratio is None else _verdict(alone_ratio <= CPU_RATIO_TARGET)
                cells = [_cpu_ms(alone.cpu_ms.get("Liaison")), _cpu_ms(alone.cpu_ms.get("bare Bolt"))]
                lines.append(
                    f"| `{alone.command}` | {alone.requests} | {' | '.join(cells)} | "
                    f"{_ratio(alone_ratio, CPU_RATIO_TARGET)} | {verdict} |"
                )
            if not result.cold_starts:
                lines.append("")  # before the sanity line (the cold-start block opens with one)
        if result.cold_starts:
            lines += [
                "",
                f"Cold start, spawn → first answer (median of {args.cold_starts}; max in brackets), s:",
                "",
                "| Process | /healthz 200 | first acked command | /readyz 200 | Unclean stops |",
                "| --- | ---: | ---: | ---: | ---: |",
            ]
            for cold in result.cold_starts:
                cells = [_median_max(cold.healthz), _median_max(cold.first_ack), _median_max(cold.readyz)]
                lines.append(
                    f"| {cold.label} | {' | '.join(cells)} | {cold.unclean_stops}/{len(cold.healthz)} |"
                )
            target = next(c for c in result.cold_starts if c.label == "Liaison web role, model off")
            worst = max(target.first_ack)
            lines += [
                "",
                "Each process is stopped with SIGTERM right after the last measurement; an unclean stop is a "
                "worker that gunicorn reports killed by a signal (e.g. SIGABRT) instead of exiting.",
                "",
                f"- Cold start of the web role without the model, spawn → first acked command: worst "
                f"{worst:.2f} s (target < {COLD_START_TARGET_SECONDS:g} s: "
                f"{_verdict(worst < COLD_START_TARGET_SECONDS)}).",
            ]
        errors = ", ".join(f"{name} {count}" for name, count in result.server_errors.items())
        lines += [f"- Sanity: {result.sanity}; ERROR lines in the server logs: {errors}.", ""]
    lines += [*EXPLANATION, ""]
    lines += [
        f"Load average (1/5/15 min) before and after: {load}. Client, servers, the fake Slack and "
        "the database share the machine's cores, so absolute times include their competition; both "
        "servers get the same client and fake, and are loaded one after the other (the other one idles).",
        "",
    ]
    return "\n".join(lines)


def _target_table(result: RunResult) -> list[str]:
    """The run's targets, Liaison against bare Bolt, each met or not (issue 16, item 6, and issue 6)."""
    rows: list[tuple[str, float | None, float | None, float, bool]] = []
    for alone in result.command_cpu:
        label = f"Server CPU per command, `{alone.command}` alone (ms)"
        rows.append(
            (label, alone.cpu_ms.get("Liaison"), alone.cpu_ms.get("bare Bolt"), CPU_RATIO_TARGET, False)
        )
    phases = {phase.phase: phase for phase in result.phases}
    for name, label in (("steady", "steady"), ("burst", "bursts")):
        phase = phases.get(name)
        if phase is None:
            continue
        liaison, bare = phase.summaries["Liaison"], phase.summaries["bare Bolt"]
        failed = liaison.failed > 0
        rows.append(
            (
                f"Answer (respond()) p99, {label} (ms)",
                _scaled(liaison.respond_p99),
                _scaled(bare.respond_p99),
                ANSWER_P99_RATIO_TARGET,
                failed,
            )
        )
        rows.append(
            (f"Ack p99, {label} (ms)", _scaled(liaison.p99), _scaled(bare.p99), P99_RATIO_TARGET, failed)
        )
    lines = [
        "| Target (Liaison / bare Bolt, this run) | Liaison | bare Bolt | Ratio | Target | Verdict |",
        "| --- | ---: | ---: | ---: | ---: | --- |",
    ]
    for label, liaison_value, bare_value, target, failed in rows:
        ratio = _ratio_of(liaison_value, bare_value)
        verdict = "unknown" if ratio is None else _verdict(ratio <= target and not failed)
        lines.append(
            f"| {label} | {_cpu_ms(liaison_value)} | {_cpu_ms(bare_value)} | {_ratio(ratio, target)} "
            f"| ≤ {target:g} | {verdict}{' (requests failed)' if failed else ''} |"
        )
    cold = next((c for c in result.cold_starts if c.label == "Liaison web role, model off"), None)
    if cold is not None and cold.first_ack:
        worst = max(cold.first_ack)
        lines.append(
            f"| Cold start, web role without the model, spawn → first acked command, worst (s) | {worst:.2f} "
            f"| – | – | < {COLD_START_TARGET_SECONDS:g} s | {_verdict(worst < COLD_START_TARGET_SECONDS)} |"
        )
    return lines


def _scaled(seconds: float | None) -> float | None:
    """Seconds as milliseconds (None and infinity kept)."""
    return None if seconds is None else 1000 * seconds


def _median_max(values: list[float]) -> str:
    if not values:
        return "–"
    return f"{statistics.median(values):.2f} ({max(values):.2f})"


def write_section(path: Path, section: str, heading: str = SECTION) -> None:
    """Replace the section under `heading` of `path` (other sections are kept), or append it.

    Args:
        path: The results file (docs/benchmarks.md).
        section: The new section, starting with its heading.
        heading: The section's heading line; this benchmark's by default.
    """
    existing = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    if heading in existing:
        head, _, rest = existing.partition(heading)
        following = rest.find("\n## ")
        tail = rest[following + 1 :] if following != -1 else ""
        existing = head.rstrip() + "\n\n" + section + ("\n" + tail if tail else "")
    else:
        existing = existing.rstrip() + "\n\n" + section
    path.write_text(existing, encoding="utf-8")


def main(argv: list[str] | None = None) -> None:
    """Parse the arguments, run, print the section and write it."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rate", type=float, default=50.0, help="requests per second in the steady phase")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of the steady phase")
    parser.add_argument(
        "--slices", type=int, default=6, help="steady phase sent in this many slices, alternating servers"
    )
    parser.add_argument("--burst", type=int, default=200, help="requests released at once in a burst")
    parser.add_argument("--bursts", type=int, default=3, help="bursts per server (alternating)")
    parser.add_argument(
        "--server", choices=("gunicorn", "serve"), default="gunicorn", help="HTTP server for both apps"
    )
    parser.add_argument(
        "--database",
        action="append",
        help="'sqlite' (a temporary file; the default) or a PostgreSQL server URL (a throwaway database "
        "is created there); repeat to run against several",
    )
    parser.add_argument(
        "--cpu-command",
        action="append",
        choices=[f"{c} {t}" for c, t in MIX],
        help="a command of the mix whose server CPU is also measured alone (repeatable; default: "
        + ", ".join(f"{c} {t}" for c, t in CPU_COMMANDS)
        + ")",
    )
    parser.add_argument(
        "--cpu-requests", type=int, default=300, help="requests per server for each --cpu-command (0: skip)"
    )
    parser.add_argument("--threads", type=int, default=8, help="LIAISON_WEB_THREADS for both servers")
    parser.add_argument("--workers", type=int, default=1, help="LIAISON_WEB_WORKERS for both servers")
    parser.add_argument("--cold-starts", type=int, default=3, help="spawns per cold-start variant (0: skip)")
    parser.add_argument("--timeout", type=float, default=30.0, help="client timeout per request, s")
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument(
        "--output", type=Path, help="write the section to this file instead of docs/benchmarks.md"
    )
    parser.add_argument("--no-write", action="store_true", help="only print the section")
    parser.add_argument("--keep-logs", help="copy the servers' logs into this directory")
    parser.add_argument(
        "--samples", type=Path, help="append every request's timings to this file (JSON lines)"
    )
    parser.add_argument("--serve-bare", action="store_true", help=argparse.SUPPRESS)
    argv = sys.argv[1:] if argv is None else argv
    args = parser.parse_args(argv)
    if args.serve_bare:
        serve_bare()
        return
    args.database = args.database or ["sqlite"]
    args.cpu_command = (
        (args.cpu_command or [f"{c} {t}" for c, t in CPU_COMMANDS]) if args.cpu_requests > 0 else []
    )
    before = "/".join(f"{x:.2f}" for x in os.getloadavg())
    results = run_all(args)
    after = "/".join(f"{x:.2f}" for x in os.getloadavg())
    command = " ".join(["python -m bench.load", *argv])
    section = render(results, args, command, f"{before} → {after}")
    print(section)
    if args.output is not None:
        args.output.write_text(section, encoding="utf-8")
    elif not args.no_write:
        write_section(RESULTS, section)


if __name__ == "__main__":
    main()
