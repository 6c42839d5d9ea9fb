"""Server CPU per slash command, in one process: Liaison against a bare Bolt app (issue 16, item 6).

    python -m bench.command_cpu [--requests 300] [--database sqlite|postgresql://…] [--repeats 3]
                                [--command "/project status bidshade" …] [--no-write | --output PATH]
                                [--profile COMMAND] [--profile-lines 40] [--sort tottime]
                                [--by-thread COMMAND]

(`python -m bench command-cpu` runs it with the defaults.)

The HTTP load benchmark (bench/load.py) measures the same ratio across processes under load, where a
busy or noisy machine moves the numbers by a millisecond or more. This one takes the HTTP server, the
client and the scheduling out: each server's WSGI application is called directly, one request at a
time, and the process CPU time (`time.process_time`: every thread, user + system) is summed over the
requests. The fake Slack Web API, which receives every `respond()`, runs in its own process, so its
work is not counted; the client side of the `respond()` post is, for both servers.

- Liaison: `bot.serving.wsgi.build_runtime` for the web role without the model, exactly what a
  gunicorn worker builds (signature check, the request's record before the fast ack, Bolt on the
  listener pool, logging at INFO to /dev/null), on the demo workspace (dates rebased) in SQLite (a
  file, WAL) or a throwaway PostgreSQL database.
- bare Bolt: `bench.load.create_bare_bolt_app`, the load benchmark's baseline (a `slack_bolt.App`
  whose listeners `ack()` and `respond()` a fixed text), with the same kind of listener pool.

Every request is a fresh signed `/project status bidshade` or `/milestone next` (or any command of
`bench.load.MIX` with `--command`) from the load benchmark's demo users in turn; after each, the
listener pool is drained, so the next request finds the process idle. Both servers are warmed up
first (first-request costs belong to the cold start). `--repeats` alternates the servers to spread
outside disturbance; the report gives the median per command.

The section (markdown) goes to stdout and replaces "## Server CPU per command (issue 16)" in
docs/benchmarks.md, or goes to `--output`.

`--by-thread "/milestone next"` instead splits both servers' CPU per request by thread (the request
thread, the listener pool, Liaison's inbox writers). `--profile "/project status bidshade"` instead
runs Liaison's path for that command under cProfile, in thread CPU time (the request thread, and every
task of the listener pool and every inbox write under a profiler of its own, merged), and prints the
top functions.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import itertools
import os
import platform
import pstats
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from wsgiref.types import StartResponse, WSGIEnvironment
from wsgiref.util import setup_testing_defaults

from bench.load import (
    BOT_TOKEN,
    MIX,
    RESULTS,
    SIGNING_SECRET,
    USERS,
    FakeSlackProcess,
    create_bare_bolt_app,
    demo_database,
    write_section,
)

SECTION = "## Server CPU per command (issue 16)"
DEFAULT_COMMANDS = ("/project status bidshade", "/milestone next")
CPU_RATIO_TARGET = 2.0
WsgiApp = Callable[[WSGIEnvironment, StartResponse], Iterable[bytes]]


@dataclass
class Target:
    """One server under test: its WSGI app and a way to wait for its listener work."""

    name: str
    wsgi: WsgiApp
    drain: Callable[[], None]


def environ_for(body: bytes, headers: dict[str, str]) -> WSGIEnvironment:
    """The WSGI environment of a POST of `body` to /slack/events with `headers`."""
    environ: dict[str, Any] = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/slack/events",
        "QUERY_STRING": "",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
    }
    for name, value in headers.items():
        key = name.upper().replace("-", "_")
        environ[key if key == "CONTENT_TYPE" else f"HTTP_{key}"] = value
    setup_testing_defaults(environ)
    return environ


def call(wsgi: WsgiApp, body: bytes, headers: dict[str, str]) -> str:
    """Call the WSGI app once; the status line."""
    status: list[str] = []

    def start_response(line: str, _headers: Any, _exc_info: Any = None) -> Callable[[bytes], object]:
        status.append(line)
        return lambda _data: None

    for _chunk in wsgi(environ_for(body, headers), start_response):
        pass
    return status[0]


def settings_env(database_url: str, api_url: str) -> dict[str, str]:
    """Liaison's environment, as the load benchmark gives its servers."""
    return {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": api_url,
        "DATABASE_URL": database_url,
        "LIAISON_PROCESS_ROLE": "web",
        "LIAISON_EMBEDDINGS": "false",
        "LIAISON_WEB_THREADS": "8",
        "LOG_LEVEL": "INFO",
        "LOG_FORMAT": "text",
    }


@contextmanager
def targets(
    database_url: str, api_url: str, *, show_logs: bool = False
) -> Iterator[tuple[Target, Target, Any]]:
    """Liaison's runtime and bare Bolt, both in this process; Liaison's runtime as the third item."""
    from bot.serving.logs import configure_logging, settings_secrets
    from bot.serving.wsgi import ListenerExecutor, build_runtime, settle_after_start
    from bot.settings import Settings

    env = settings_env(database_url, api_url)
    settings = Settings.from_env(env, require_slack=True)
    with ExitStack() as stack:
        stream = sys.stderr if show_logs else stack.enter_context(open(os.devnull, "w", encoding="utf-8"))
        # Production logs at INFO (a line per request); what writing them costs is part of a command.
        configure_logging(
            settings.log_level,
            settings.log_format,
            secrets=settings_secrets(settings),
            stream=stream,
            force=True,
        )
        runtime = build_runtime(settings)
        stack.callback(runtime.shutdown, 5)
        runtime.start()  # as `create_wsgi_app` does (for the web role: the inbox's poller, if any)
        listeners = runtime.listeners
        assert listeners is not None
        liaison = Target("Liaison", runtime, lambda: _drain(listeners))

        saved = {k: os.environ.get(k) for k in env}
        os.environ.update(env)
        try:
            bare_pool = ListenerExecutor(8)
            bare = Target(
                "bare Bolt", create_bare_bolt_app(listener_executor=bare_pool), lambda: _drain(bare_pool)
            )
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
        stack.callback(bare_pool.shutdown, False)
        settle_after_start()  # as `create_wsgi_app` does, for both servers' start-up objects
        yield liaison, bare, runtime


def _drain(pool: Any) -> None:
    if not pool.drain(30):
        raise RuntimeError("listener work did not finish in 30 s")


def prepare(
    payloads: Any, command: str, count: int, users: Iterator[str]
) -> list[tuple[bytes, dict[str, str]]]:
    """`count` signed bodies of `command` ("/project status bidshade"), each with its own response_url."""
    name, _, text = command.partition(" ")
    prepared = []
    for _ in range(count):
        signed = payloads.slash_command(name, text, user_id=next(users))
        prepared.append((signed.body.encode(), signed.headers))
    return prepared


def measure(target: Target, requests: Sequence[tuple[bytes, dict[str, str]]]) -> float:
    """CPU seconds of this process per request, sending them one at a time and draining after each."""
    started = time.process_time()
    for body, headers in requests:
        status = call(target.wsgi, body, headers)
        if not status.startswith("200"):
            raise RuntimeError(f"{target.name} answered {status}")
        target.drain()
    return (time.process_time() - started) / len(requests)


def check_answers(fake: FakeSlackProcess, expected: int, label: str) -> None:
    """Every request's respond() arrived, and none of them is an error or an apology."""
    deadline = time.monotonic() + 10
    seen = fake.responses()
    while len(seen) < expected and time.monotonic() < deadline:
        time.sleep(0.05)
        seen = fake.responses()
    if len(seen) < expected:
        raise RuntimeError(f"{label}: {len(seen)} of {expected} answers reached the fake Slack")
    for token in list(seen)[:5]:
        answer = fake.response(token) or ""
        if "went wrong" in answer or ":warning:" in answer or "No project" in answer:
            raise RuntimeError(f"{label}: answered with an error: {answer[:300]}")


def measure_interpreter(runtime: Any, command: str, count: int) -> float:
    """CPU seconds per call of Liaison's command interpreter alone (`execute_command`: the transaction,
    the actor, the reads and the reply's Block Kit), without HTTP, Bolt or the respond() post."""
    from bot.slack.commands import CommandRequest, execute_command

    name, _, text = command.partition(" ")
    services = runtime.services
    users = itertools.cycle(USERS)
    requests = [
        CommandRequest(
            command=name, text=text, user_id=next(users), team_id="T0LIAISON", channel_id="C0GENERAL"
        )
        for _ in range(count)
    ]
    started = time.process_time()
    for request in requests:
        outcome = execute_command(services.session_factory, services.settings, services.clock.now(), request)
        if outcome.is_error:
            raise RuntimeError(f"{command} failed: {outcome.reply}")
    return (time.process_time() - started) / count


@dataclass
class Result:
    """CPU ms per command, per server, over the repeats."""

    command: str
    liaison_ms: list[float]
    bare_ms: list[float]
    interpreter_ms: list[float]  # of Liaison's: `execute_command` alone (the command's own reads and reply)

    @property
    def ratio(self) -> float:
        """Median of Liaison over median of bare Bolt."""
        return statistics.median(self.liaison_ms) / statistics.median(self.bare_ms)


def run(args: argparse.Namespace) -> list[Result]:
    """Warm up, then alternate the servers `args.repeats` times per command."""
    from bot.cli.console.payloads import SlackPayloads

    fake = FakeSlackProcess()
    try:
        payloads = SlackPayloads(
            SIGNING_SECRET, team_id="T0LIAISON", response_url_base=fake.response_url_base
        )
        users = itertools.cycle(USERS)
        with (
            tempfile.TemporaryDirectory(prefix="liaison-cpu-") as tmp,
            demo_database(args.database, Path(tmp)) as url,
            targets(url, fake.api_url, show_logs=args.show_logs) as (liaison, bare, runtime),
        ):
            for target in (liaison, bare):
                for command in args.command:
                    fake.reset()
                    warm = prepare(payloads, command, 30, users)
                    measure(target, warm)
                    check_answers(fake, len(warm), f"{target.name} {command}")
            results = []
            for command in args.command:
                result = Result(command, [], [], [])
                for n in range(args.repeats):
                    result.interpreter_ms.append(1000 * measure_interpreter(runtime, command, args.requests))
                    order = (liaison, bare) if n % 2 == 0 else (bare, liaison)
                    for target in order:
                        fake.reset()
                        requests = prepare(payloads, command, args.requests, users)
                        seconds = measure(target, requests)
                        check_answers(fake, len(requests), f"{target.name} {command}")
                        (result.liaison_ms if target is liaison else result.bare_ms).append(1000 * seconds)
                results.append(result)
            return results
    finally:
        fake.stop()


def profile(args: argparse.Namespace) -> str:
    """Liaison's path for one command under cProfile (this thread and the listener pool's tasks, in
    thread CPU time); the merged stats as text."""
    from bot.cli.console.payloads import SlackPayloads

    command = args.profile
    fake = FakeSlackProcess()
    try:
        payloads = SlackPayloads(
            SIGNING_SECRET, team_id="T0LIAISON", response_url_base=fake.response_url_base
        )
        users = itertools.cycle(USERS)
        with (
            tempfile.TemporaryDirectory(prefix="liaison-cpu-") as tmp,
            demo_database(args.database, Path(tmp)) as url,
            targets(url, fake.api_url, show_logs=args.show_logs) as (liaison, _bare, runtime),
        ):
            measure(liaison, prepare(payloads, command, 30, users))
            requests = prepare(payloads, command, args.requests, users)
            # CPU time of each thread, not wall time: waits (the respond() post, fsync) are not work.
            profilers = [cProfile.Profile(time.thread_time)]
            intake = getattr(runtime, "intake", None)
            with ExitStack() as profiled:
                # The listener pool's tasks, and the inbox's writes on their own threads
                # (`bot.serving.intake.RecordWriter`, the poller's finish marks).
                profiled.enter_context(_profiled_tasks(runtime.listeners, profilers))
                if intake is not None:
                    for name in ("record_many", "write_finished"):
                        profiled.enter_context(_profiled_calls(intake.inbox, name, profilers))
                started = time.process_time()
                profilers[0].enable()
                measure(liaison, requests)
                profilers[0].disable()
                per_request = 1000 * (time.process_time() - started) / len(requests)
        out = io.StringIO()
        out.write(f"{command}: {per_request:.2f} ms CPU per request under the profiler\n")
        stats = pstats.Stats(profilers[0], stream=out)
        for other in profilers[1:]:
            stats.add(other)
        stats.strip_dirs().sort_stats(args.sort).print_stats(args.profile_lines)
        return out.getvalue()
    finally:
        fake.stop()


def by_thread(args: argparse.Namespace) -> str:
    """Each server's CPU per request for one command, split by thread (Linux: /proc/self/task), as text.

    The request thread is this one ("MainThread"; it also drains the pool between requests); Liaison's
    listener pool ("bolt-listener"), its inbox writers ("inbox-write") and poller; bare Bolt's pool.
    """
    from bot.cli.console.payloads import SlackPayloads

    command = args.by_thread
    fake = FakeSlackProcess()
    out = io.StringIO()
    try:
        payloads = SlackPayloads(
            SIGNING_SECRET, team_id="T0LIAISON", response_url_base=fake.response_url_base
        )
        users = itertools.cycle(USERS)
        with (
            tempfile.TemporaryDirectory(prefix="liaison-cpu-") as tmp,
            demo_database(args.database, Path(tmp)) as url,
            targets(url, fake.api_url, show_logs=args.show_logs) as (liaison, bare, _runtime),
        ):
            for n in range(args.repeats):
                for target in (liaison, bare) if n % 2 == 0 else (bare, liaison):
                    measure(target, prepare(payloads, command, 30, users))
                    requests = prepare(payloads, command, args.requests, users)
                    before = _thread_cpu()
                    seconds = measure(target, requests)
                    after = _thread_cpu()
                    out.write(f"{target.name}, {command}: {1000 * seconds:.2f} ms per request\n")
                    spent: dict[str, float] = {}
                    for thread, cpu in after.items():
                        group = thread[1].rstrip("0123456789_-")
                        spent[group] = spent.get(group, 0.0) + cpu - before.get(thread, 0.0)
                    for group, cpu in sorted(spent.items(), key=lambda item: -item[1]):
                        if cpu > 0:
                            out.write(f"  {group:<16} {1000 * cpu / len(requests):.2f} ms\n")
        return out.getvalue()
    finally:
        fake.stop()


def _thread_cpu() -> dict[tuple[int, str], float]:
    """CPU seconds (user + system) of each live thread of this process, by (native id, name)."""
    import threading

    ticks = os.sysconf("SC_CLK_TCK")
    spent = {}
    for thread in threading.enumerate():
        try:
            stat = Path(f"/proc/self/task/{thread.native_id}/stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        spent[(thread.native_id or 0, thread.name)] = (int(fields[11]) + int(fields[12])) / ticks
    return spent


@contextmanager
def _profiled_calls(owner: Any, name: str, profilers: list[cProfile.Profile]) -> Iterator[None]:
    """Run every call of `owner.name` meanwhile under a profiler of its own, added to `profilers`."""
    original = getattr(owner, name)

    def profiled(*args: Any, **kwargs: Any) -> Any:
        profiler = cProfile.Profile(time.thread_time)
        profiler.enable()
        try:
            return original(*args, **kwargs)
        finally:
            profiler.disable()
            profilers.append(profiler)

    setattr(owner, name, profiled)
    try:
        yield
    finally:
        delattr(owner, name)  # the method of the class again


@contextmanager
def _profiled_tasks(pool: Any, profilers: list[cProfile.Profile]) -> Iterator[None]:
    """Run every task submitted to `pool` meanwhile under a profiler of its own, added to `profilers`."""
    original = pool.submit

    def submit(fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
        def profiled(*args: Any, **kwargs: Any) -> Any:
            profiler = cProfile.Profile(time.thread_time)
            profiler.enable()
            try:
                return fn(*args, **kwargs)
            finally:
                profiler.disable()
                profilers.append(profiler)

        return original(profiled, *args, **kwargs)

    pool.submit = submit
    try:
        yield
    finally:
        pool.submit = original


def render(results: Sequence[Result], args: argparse.Namespace, command: str) -> str:
    """The markdown section: CPU ms per command for both servers, the ratio, against the target."""
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    lines = [
        SECTION,
        "",
        f"`{command}` — {machine}; {datetime.now(UTC):%Y-%m-%d}.",
        "",
        "Process CPU time (user + system, every thread) per command, each server's WSGI application called "
        "in one process, one request at a time: Liaison as a gunicorn worker builds it (web role, no model, "
        "INFO logs to /dev/null), bare Bolt as bench/load.py's baseline; the fake Slack Web API that "
        "receives every respond() in its own process. The interpreter column is Liaison's "
        "`execute_command` alone (transaction, actor, reads, Block Kit), called directly. "
        f"{args.requests} requests × {args.repeats} rounds per command and server, alternating; "
        f"database {args.database}, demo workspace. Median (min–max), ms:",
        "",
        "| Command | Liaison | of which the interpreter | bare Bolt | Ratio | Target ≤ 2× |",
        "| --- | ---: | ---: | ---: | ---: | --- |",
    ]
    for r in results:
        verdict = "met" if r.ratio <= CPU_RATIO_TARGET else "**not met**"
        lines.append(
            f"| `{r.command}` | {_spread(r.liaison_ms)} | {_spread(r.interpreter_ms)} | {_spread(r.bare_ms)} "
            f"| {r.ratio:.2f} | {verdict} |"
        )
    lines += [
        "",
        "Without the HTTP server (which costs both servers the same, about 1 ms a request under gunicorn), "
        "the ratio here is higher than the load benchmark's for the same code.",
        "",
    ]
    return "\n".join(lines)


def _spread(values: list[float]) -> str:
    return f"{statistics.median(values):.2f} ({min(values):.2f}–{max(values):.2f})"


def main(argv: list[str] | None = None) -> None:
    """Parse the arguments, run, print the report (or the profile)."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=300, help="requests per command, server and repeat")
    parser.add_argument("--repeats", type=int, default=3, help="rounds per command, alternating servers")
    parser.add_argument(
        "--database", default="sqlite", help="'sqlite' (a temporary file) or a PostgreSQL server URL"
    )
    parser.add_argument(
        "--command",
        action="append",
        choices=[f"{c} {t}" for c, t in MIX],
        help=f"a command of the load mix (repeatable; default: {', '.join(DEFAULT_COMMANDS)})",
    )
    parser.add_argument("--profile", metavar="COMMAND", help="profile Liaison on this command instead")
    parser.add_argument(
        "--by-thread", metavar="COMMAND", help="split both servers' CPU for this command by thread instead"
    )
    parser.add_argument("--profile-lines", type=int, default=40)
    parser.add_argument("--sort", default="tottime", help="pstats sort key (tottime, cumulative, …)")
    parser.add_argument("--show-logs", action="store_true", help="servers' log lines to stderr")
    parser.add_argument(
        "--output", type=Path, help="write the section to this file instead of docs/benchmarks.md"
    )
    parser.add_argument("--no-write", action="store_true", help="only print the section")
    argv = sys.argv[1:] if argv is None else argv
    args = parser.parse_args(argv)
    args.command = args.command or list(DEFAULT_COMMANDS)
    if args.profile:
        print(profile(args))
        return
    if args.by_thread:
        print(by_thread(args))
        return
    section = render(run(args), args, " ".join(["python -m bench.command_cpu", *argv]))
    print(section)
    if args.output is not None:
        args.output.write_text(section, encoding="utf-8")
    elif not args.no_write:
        write_section(RESULTS, section, SECTION)


if __name__ == "__main__":
    main()
