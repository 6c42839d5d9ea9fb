"""The `liaison` command line: db upgrade, import, export, say and serve, against SQLite files in tmp_path.

Most tests run the click command in-process (CliRunner); a few run the installed `liaison` script in a
subprocess so the entry point, the exit codes and the real process environment are covered too.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import func, select
from sqlalchemy import text as sql_text

from bot.cli.console.payloads import SlackPayloads
from bot.cli.main import demo_file, main
from bot.db import make_engine, make_session_factory
from bot.models import Milestone, Person, Project
from bot.publications.tables import PaperMilestone
from bot.schema import current_revision, head_revision
from bot.slack.installations import InstallationKey
from bot.slack.workspaces import forget_installation
from tests.conftest import DEMO_FILE, REPO_ROOT
from tests.fakes.slack_api import RESPONSE_URL_METHOD, FakeSlackApi

LIAISON = Path(sys.executable).parent / "liaison"
BROKEN_YAML = """\
workspace:
  name: Broken alliance
  timezone: Mars/Olympus_Mons
people:
  - slack_id: not-an-id
    name: Ada
projects:
  - key: p1
    name: Project one
    status: on_track
    lead: U0NOBODY
    members: [U0NOBODY]
"""


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.startswith(("SLACK_", "LIAISON_")) or name in ("DATABASE_URL", "LOG_LEVEL"):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no .env from the checkout


def _invoke(args: list[str], database_url: str, **env: str) -> Result:
    return CliRunner().invoke(main, args, env={"DATABASE_URL": database_url, **env})


def _run(args: list[str], database_url: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """Run the installed `liaison` script with a clean environment."""
    return subprocess.run(
        [str(LIAISON), *args],
        env=_process_env(DATABASE_URL=database_url, **env),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
    )


def _process_env(**extra: str) -> dict[str, str]:
    return {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp"), "PYTHONUTF8": "1", **extra}


def _count(database_url: str, model: type) -> int:
    engine = make_engine(database_url)
    try:
        with make_session_factory(engine)() as session:
            return int(session.scalar(select(func.count()).select_from(model)) or 0)
    finally:
        engine.dispose()


# -- db upgrade -------------------------------------------------------------------------------------


def test_db_upgrade_migrates_new_database_to_head(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'new' / 'liaison.db'}"

    first = _invoke(["db", "upgrade"], url)
    second = _invoke(["db", "upgrade"], url)

    assert first.exit_code == 0, first.output
    assert first.stdout == f"Database is up to date: {url}\n"
    assert second.exit_code == 0, second.output
    assert current_revision(url) == head_revision()


def test_db_upgrade_reports_unreachable_database_in_one_line() -> None:
    # Port 1 on localhost refuses connections at once.
    result = _invoke(["db", "upgrade"], "postgresql://liaison:hunter2@127.0.0.1:1/liaison")

    assert result.exit_code == 1
    assert len(result.stderr.splitlines()) == 1
    assert result.stderr.startswith("Database error (postgresql://liaison:***@127.0.0.1:1/liaison): ")
    assert "hunter2" not in result.output


def test_database_url_option_overrides_environment(tmp_path: Path) -> None:
    chosen = f"sqlite:///{tmp_path / 'chosen.db'}"

    result = _invoke(["db", "upgrade", "--database-url", chosen], f"sqlite:///{tmp_path / 'env.db'}")

    assert result.exit_code == 0, result.output
    assert (tmp_path / "chosen.db").exists()
    assert not (tmp_path / "env.db").exists()


# -- import / export --------------------------------------------------------------------------------


def test_import_reports_counts(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'liaison.db'}"

    result = _run(["import", str(DEMO_FILE), "--rebase-dates"], url, tmp_path)

    assert result.returncode == 0, result.stderr
    assert re.fullmatch(
        rf"Imported {re.escape(str(DEMO_FILE))}: 24 people, 7 projects, 20 milestones, 0 blockers "
        rf"\(52 created, 0 updated(, dates shifted by -?\d+ days)?\) into {re.escape(url)}\n",
        result.stdout,
    ), result.stdout
    # The file's 20 milestones, and those planned backwards for its papers (docs/publications.md).
    planned = _count(url, PaperMilestone)
    assert planned > 0
    assert (_count(url, Person), _count(url, Project), _count(url, Milestone)) == (24, 7, 20 + planned)


def _analyzed_tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return set(
                connection.scalars(
                    sql_text("SELECT relname FROM pg_stat_user_tables WHERE last_analyze IS NOT NULL")
                )
            )
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_an_import_into_postgresql_gives_the_planner_statistics(postgres_url: str) -> None:
    # Tables this small never reach autovacuum's analyze threshold; without statistics the planner
    # guesses their sizes (bot.db.refresh_planner_statistics).
    upgraded = _invoke(["db", "upgrade"], postgres_url)
    assert upgraded.exit_code == 0, upgraded.output
    dry = _invoke(["import", str(DEMO_FILE), "--rebase-dates", "--dry-run"], postgres_url)
    assert dry.exit_code == 0, dry.output
    assert _analyzed_tables(postgres_url) == set()  # a dry run changes nothing, statistics included

    result = _invoke(["import", str(DEMO_FILE), "--rebase-dates"], postgres_url)

    assert result.exit_code == 0, result.output
    assert {"project", "milestone", "membership", "person", "milestone_dependency"} <= _analyzed_tables(
        postgres_url
    )


def test_import_same_file_again_changes_nothing(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'liaison.db'}"
    _invoke(["import", str(DEMO_FILE)], url)

    again = _invoke(["import", str(DEMO_FILE)], url)

    assert again.exit_code == 0, again.output
    assert "(0 created, 0 updated)" in again.stdout


def test_import_of_broken_file_lists_problems_and_writes_nothing(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text(BROKEN_YAML, encoding="utf-8")
    database = tmp_path / "liaison.db"
    url = f"sqlite:///{database}"

    result = _run(["import", str(broken)], url, tmp_path)

    assert result.returncode == 1
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert lines[0] == "Nothing was imported; fix these problems first:"
    assert f"{broken}:3: workspace timezone 'Mars/Olympus_Mons' is not an IANA time zone" in result.stderr
    assert any(line.startswith(f"{broken}:5: ") and "not-an-id" in line for line in lines)
    assert all(re.match(rf"{re.escape(str(broken))}:\d+: ", line) for line in lines[1:]), lines
    assert not database.exists()

    said = _run(["say", "--as", "U02ECBANE", "/project list"], url, tmp_path)

    assert said.returncode == 1
    assert said.stderr.startswith("No workspace in this database yet")


def test_import_of_broken_file_leaves_existing_workspace_alone(demo_db: str, tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text(BROKEN_YAML, encoding="utf-8")

    result = _invoke(["import", str(broken)], demo_db)

    assert result.exit_code == 1
    assert (_count(demo_db, Person), _count(demo_db, Project)) == (24, 7)


def test_export_reimport_export_is_byte_identical(demo_db: str, tmp_path: Path) -> None:
    exported = _invoke(["export"], demo_db)
    assert exported.exit_code == 0, exported.output
    first = tmp_path / "first.yaml"
    first.write_text(exported.stdout, encoding="utf-8")
    other_db = f"sqlite:///{tmp_path / 'other.db'}"

    imported = _invoke(["import", str(first)], other_db)
    second = tmp_path / "second.yaml"
    again = _invoke(["export", "--output", str(second)], other_db)

    assert imported.exit_code == 0, imported.output
    assert again.exit_code == 0, again.output
    assert again.stdout == f"Exported Adtech Research Alliance to {second}\n"
    assert second.read_bytes() == first.read_bytes()
    assert "key: fairdelivery" in exported.stdout


def test_export_of_empty_database_says_there_is_no_workspace(tmp_path: Path) -> None:
    result = _invoke(["export"], f"sqlite:///{tmp_path / 'empty.db'}")

    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.startswith("No workspace in this database yet")


def test_export_of_unknown_workspace_lists_the_known_ones(demo_db: str) -> None:
    result = _invoke(["export", "--workspace", "Nope"], demo_db)

    assert result.exit_code == 1
    assert result.stderr == "Choose one workspace with --workspace (found: Adtech Research Alliance).\n"


# -- say --------------------------------------------------------------------------------------------


def test_say_prints_project_name_and_members(demo_db: str, tmp_path: Path) -> None:
    result = _run(["say", "--as", "U02ECBANE", "/project status bidshade"], demo_db, tmp_path)

    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "── Liaison → only you see this"
    assert "   BID SHADING FOR FIRST-PRICE AUCTIONS (BIDSHADE)" in lines
    for member in ("@Prof. Ingrid Banerjee — lead", "@Kwame Osei", "@Diego Morales", "@Pieter Jansen"):
        assert any(line.strip().startswith(member) for line in lines), member
    assert "<@" not in result.stdout


def test_say_accepts_user_by_name(demo_db: str) -> None:
    by_id = _invoke(["say", "--as", "U02ECBANE", "/project", "status", "bidshade"], demo_db)
    by_name = _invoke(["say", "--as", "ingrid", "/project", "status", "bidshade"], demo_db)

    assert by_name.exit_code == 0, by_name.output
    assert by_name.stdout == by_id.stdout
    assert "[1: Mark done]" in by_name.stdout  # Ingrid owns the next milestone


def test_say_unknown_user_exits_1_asking_who(demo_db: str) -> None:
    result = _invoke(["say", "--as", "nobody at all", "/project status bidshade"], demo_db)

    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.startswith("Who is “nobody at all”?")
    assert "Did you mean: see :users" not in result.stderr  # a console command means nothing here
    assert "`liaison export` lists everyone with their Slack id" in result.stderr


def test_say_json_prints_web_api_calls(demo_db: str) -> None:
    result = _invoke(["say", "--json", "--as", "U02ECBANE", "/project status bidshade"], demo_db)

    assert result.exit_code == 0, result.output
    calls = [json.loads(line) for line in result.stdout.splitlines()]
    assert calls
    assert all(set(call) == {"method", "args"} for call in calls)
    (reply,) = [c for c in calls if c["method"] == RESPONSE_URL_METHOD]
    assert reply["args"]["blocks"][0]["text"]["text"] == "Bid shading for first-price auctions (bidshade)"
    assert reply["args"]["response_type"] == "ephemeral"


def test_say_private_project_is_hidden_from_non_member(demo_db: str) -> None:
    outsider = _invoke(["say", "--as", "U02ECBANE", "/project status fairdelivery"], demo_db)
    outsider_list = _invoke(["say", "--as", "U02ECBANE", "/project list all"], demo_db)
    member = _invoke(["say", "--as", "U12ETSTEI", "/project status fairdelivery"], demo_db)

    assert outsider.exit_code == 0, outsider.output
    for text in (outsider.stdout, outsider_list.stdout):
        assert "Fairness audit" not in text
        assert "Rebecca Stein" not in text
        assert "FAIRNESS" not in text
    assert "Bid shading for first-price auctions" in outsider_list.stdout
    assert "FAIRNESS AUDIT OF AD DELIVERY (FAIRDELIVERY)" in member.stdout
    assert "@Lena Kovalenko" in member.stdout


def test_say_text_that_is_not_a_command_exits_1(demo_db: str) -> None:
    result = _invoke(["say", "--as", "U02ECBANE", "hello there"], demo_db)

    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.startswith("Start with / for a slash command")


def test_say_json_keeps_errors_off_stdout(demo_db: str) -> None:
    result = _invoke(["say", "--json", "--as", "U02ECBANE", ":bogus"], demo_db)

    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == "Unknown console command :bogus. Type :help.\n"


def test_say_dm_is_a_message_im_answered_in_the_dm(demo_db: str) -> None:
    result = _invoke(["say", "--as", "ingrid", "--dm", "what is overdue on pcm?"], demo_db)

    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert re.fullmatch(r"── Liaison → DM to @Prof\. Ingrid Banerjee · ts \d+\.\d{6}", lines[0]), lines[0]
    assert "pcm-2" in result.stdout and "uplift-1" not in result.stdout


def test_say_in_channel_then_thread_follow_up(demo_db: str) -> None:
    first = _invoke(["say", "--as", "ingrid", "--in", "pcm", "what's overdue in this project?"], demo_db)

    assert first.exit_code == 0, first.output
    header = first.stdout.splitlines()[0]
    match = re.fullmatch(r"── Liaison → #C1PCM \(in thread (\d+\.\d{6})\) · #pcm", header)
    assert match, header
    assert "pcm-2" in first.stdout and "uplift-1" not in first.stdout  # "this project" is pcm

    thread = match.group(1)
    follow_up = _invoke(
        ["say", "--as", "ingrid", "--in", "C1PCM", "--thread", thread, "and who owns it?"], demo_db
    )

    assert follow_up.exit_code == 0, follow_up.output
    assert follow_up.stdout.splitlines()[0] == f"── Liaison → #C1PCM (in thread {thread}) · #pcm"
    assert "@Priya Rao" in follow_up.stdout


def test_say_assistant_starts_a_thread_and_answers_in_it(demo_db: str) -> None:
    result = _invoke(
        ["say", "--as", "ingrid", "--assistant", "--in", "bidshade", "what's next here?"], demo_db
    )

    assert result.exit_code == 0, result.output
    out = result.stdout
    match = re.search(
        r"^── You are in assistant thread (\d+\.\d{6}), looking at #bidshade ", out, re.MULTILINE
    )
    assert match, out
    thread = match.group(1)
    greeting = out.index(f"── Liaison → DM to @Prof. Ingrid Banerjee (assistant thread {thread})")
    answer = out.rindex(f"── Liaison → DM to @Prof. Ingrid Banerjee (assistant thread {thread})")
    assert match.start() < greeting < answer
    assert "Next milestones on Bid shading for first-price auctions" in out[answer:]


def test_say_assistant_json_prints_only_web_api_calls(demo_db: str) -> None:
    result = _invoke(["say", "--json", "--as", "ingrid", "--assistant", "what is overdue on pcm?"], demo_db)

    assert result.exit_code == 0, result.output
    calls = [json.loads(line) for line in result.stdout.splitlines()]
    methods = [c["method"] for c in calls]
    assert "assistant.threads.setSuggestedPrompts" in methods
    posts = [c["args"] for c in calls if c["method"] == "chat.postMessage"]
    assert len(posts) == 2 and posts[0]["thread_ts"] == posts[1]["thread_ts"]
    assert posts[1]["channel"] == "D02ECBANE"


def test_say_dm_with_in_is_a_usage_error(demo_db: str) -> None:
    result = _invoke(["say", "--as", "ingrid", "--dm", "--in", "pcm", "hello"], demo_db)

    assert result.exit_code == 2
    assert "--dm goes alone" in result.stderr


def test_say_in_a_private_project_nobody_may_see_exits_1(demo_db: str) -> None:
    result = _invoke(["say", "--as", "ingrid", "--in", "fairdelivery", "what's next here?"], demo_db)

    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.startswith("No project “fairdelivery” that you can see.")


def test_say_model_flag_without_the_model_installed_exits_1(demo_db: str, tmp_path: Path) -> None:
    missing = tmp_path / "no-model"

    result = _invoke(
        ["say", "--model", "--as", "ingrid", "/expert pricing"], demo_db, EMBEDDING_MODEL=str(missing)
    )

    assert result.exit_code == 1
    assert result.stderr == f"The embedding model {missing} is not installed.\n"


# -- serve ------------------------------------------------------------------------------------------


@pytest.fixture
def served(demo_db: str, tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], str, FakeSlackApi]]:
    """`liaison serve --port 0` in HTTP mode against a fake Slack API; stopped with Ctrl-C.

    LIAISON_PORT names a port that is taken, so the server only starts if `--port 0` wins over it.
    """
    with FakeSlackApi() as api, socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        process = subprocess.Popen(
            [str(LIAISON), "serve", "--port", "0"],
            env=_process_env(
                DATABASE_URL=demo_db,
                SLACK_BOT_TOKEN="xoxb-serve",
                SLACK_SIGNING_SECRET="serve-secret",
                SLACK_API_URL=api.url,
                LIAISON_HOST="127.0.0.1",
                LIAISON_PORT=str(taken.getsockname()[1]),
                LOG_LEVEL="WARNING",
            ),
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            assert process.stdout is not None
            line = process.stdout.readline()
            match = re.fullmatch(
                r"Liaison listens on (http://127\.0\.0\.1:\d+)/slack/events \(health: /healthz\)\.\n", line
            )
            assert match, (
                line,
                process.stderr.read() if process.poll() is not None and process.stderr else "",
            )
            yield process, match.group(1), api
        finally:
            if process.poll() is None:
                process.kill()
            process.wait(timeout=10)


def test_serve_on_port_0_answers_health_and_commands(
    served: tuple[subprocess.Popen[str], str, FakeSlackApi],
) -> None:
    process, base_url, api = served
    signed = SlackPayloads(
        "serve-secret",
        team_id=FakeSlackApi.team_id,
        response_url_base=f"http://127.0.0.1:{api.port}/response",
    ).slash_command("/project", "status bidshade", user_id="U02ECBANE")

    with urllib.request.urlopen(f"{base_url}/healthz", timeout=5) as health:
        assert json.loads(health.read()) == {"status": "ok"}
    request = urllib.request.Request(
        f"{base_url}/slack/events", data=signed.body.encode(), headers=signed.headers, method="POST"
    )
    with urllib.request.urlopen(request, timeout=5) as ack:
        assert ack.status == 200
    (reply,) = api.wait_for(RESPONSE_URL_METHOD, timeout=10)
    assert "Bid shading for first-price auctions" in json.dumps(reply.params["blocks"])

    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=10) == 0


def test_serve_port_in_use_exits_1(demo_db: str, slack_api: FakeSlackApi) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]

        result = _invoke(
            ["serve", "--port", str(port)],
            demo_db,
            SLACK_BOT_TOKEN="xoxb-serve",
            SLACK_SIGNING_SECRET="serve-secret",
            SLACK_API_URL=slack_api.url,
            LIAISON_HOST="127.0.0.1",
        )

    assert result.exit_code == 1
    assert result.stderr.startswith(f"Cannot listen on 127.0.0.1:{port}: ")


def test_serve_with_rejected_token_exits_1_in_one_line(demo_db: str, slack_api: FakeSlackApi) -> None:
    slack_api.fail("auth.test", "invalid_auth", times=3)

    result = _invoke(
        ["serve", "--port", "0"],
        demo_db,
        SLACK_BOT_TOKEN="xoxb-revoked",
        SLACK_SIGNING_SECRET="serve-secret",
        SLACK_API_URL=slack_api.url,
        LIAISON_HOST="127.0.0.1",
        LOG_LEVEL="ERROR",
    )

    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1].startswith("Slack did not accept SLACK_BOT_TOKEN: ")
    assert "invalid_auth" in result.stderr
    assert "Traceback" not in result.stderr


# -- serve: roles and graceful shutdown (issue 6) ---------------------------------------------------


def _start_serve(
    database_url: str, cwd: Path, api: FakeSlackApi, **env: str
) -> tuple[subprocess.Popen[str], str]:
    """`liaison serve --port 0` in a subprocess; returns it and the line it printed."""
    values = {
        "DATABASE_URL": database_url,
        "SLACK_BOT_TOKEN": "xoxb-serve",
        "SLACK_SIGNING_SECRET": "serve-secret",
        "SLACK_API_URL": api.url,
        "LIAISON_HOST": "127.0.0.1",
        "LIAISON_EMBEDDINGS": "false",
        "LOG_LEVEL": "WARNING",
        **env,
    }
    process = subprocess.Popen(
        [str(LIAISON), "serve", "--port", "0"],
        env=_process_env(**values),
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    if not line:
        process.wait(timeout=10)
        raise AssertionError(process.stderr.read() if process.stderr else "serve printed nothing")
    return process, line


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def test_serve_sigterm_lets_the_work_after_an_ack_finish(demo_db: str, tmp_path: Path) -> None:
    with FakeSlackApi() as api:
        process, line = _start_serve(demo_db, tmp_path, api, LIAISON_PROCESS_ROLE="web")
        try:
            match = re.fullmatch(
                r"Liaison listens on (http://127\.0\.0\.1:\d+)/slack/events \(health: /healthz\)\.\n", line
            )
            assert match, line
            base_url = match.group(1)
            # The answer to Slack waits 2 s; then the listener republishes App Homes (views.publish).
            api.delay(RESPONSE_URL_METHOD, 2.0)
            signed = SlackPayloads(
                "serve-secret",
                team_id=FakeSlackApi.team_id,
                response_url_base=f"http://127.0.0.1:{api.port}/response",
            ).slash_command("/milestone", "done bidshade-2", user_id="U02ECBANE")
            request = urllib.request.Request(
                f"{base_url}/slack/events", data=signed.body.encode(), headers=signed.headers, method="POST"
            )
            with urllib.request.urlopen(request, timeout=5) as ack:
                assert ack.status == 200
            api.wait_for(RESPONSE_URL_METHOD, timeout=5)  # the listener is now inside its slow call

            process.send_signal(signal.SIGTERM)
            returncode = process.wait(timeout=30)
        finally:
            if process.poll() is None:
                process.kill()
            process.wait(timeout=10)

        assert returncode == 0
        assert api.calls("views.publish"), "SIGTERM cut the listener off before it finished"


def test_serve_worker_role_runs_the_scheduler_and_serves_only_probes(demo_db: str, tmp_path: Path) -> None:
    with FakeSlackApi() as api:
        # A worker needs no signing secret: it never receives Slack's requests.
        process, line = _start_serve(
            demo_db, tmp_path, api, LIAISON_PROCESS_ROLE="worker", SLACK_SIGNING_SECRET=""
        )
        try:
            match = re.fullmatch(
                r"Liaison worker runs the scheduler \(health, readiness, metrics: (http://127\.0\.0\.1:\d+)/healthz\)\.\n",
                line,
            )
            assert match, line
            base_url = match.group(1)
            ready_status, ready = _get(f"{base_url}/readyz")
            events_status, _ = _get(f"{base_url}/slack/events")
            metrics_status, metrics = _get(f"{base_url}/metrics")

            process.send_signal(signal.SIGTERM)
            returncode = process.wait(timeout=30)
        finally:
            if process.poll() is None:
                process.kill()
            process.wait(timeout=10)

    assert ready_status == 200
    assert json.loads(ready) == {"status": "ready", "checks": {"database": "ok", "scheduler": "ok"}}
    assert events_status == 404
    assert metrics_status == 200
    assert b'liaison_reminder_deliveries{status="planned"}' in metrics
    assert returncode == 0


# -- doctor -----------------------------------------------------------------------------------------


def _doctor(database_url: str, api: FakeSlackApi, **env: str) -> Result:
    values = {
        "SLACK_BOT_TOKEN": "xoxb-doctor-secret",
        "SLACK_SIGNING_SECRET": "doctor-signing-secret",
        "SLACK_API_URL": api.url,
        **env,
    }
    return _invoke(["doctor"], database_url, **values)


def test_doctor_passes_on_a_ready_installation(demo_db: str, slack_api: FakeSlackApi) -> None:
    result = _doctor(demo_db, slack_api)

    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert [line.split()[0] for line in lines[:-1]] == ["ok"] * 6
    assert [line.split()[1] for line in lines[:-1]] == [
        "settings",
        "database",
        "schema",
        "workspaces",
        "model",
        "slack",
    ]
    assert "role all: Slack over HTTP on 0.0.0.0:3000, scheduler on, model loaded" in lines[0]
    assert f"at revision {head_revision()} (latest)" in result.stdout
    assert "1 connected" in lines[3]
    assert "auth.test: bot U0LIAISONBOT in team" in lines[5]
    assert lines[-1] == "All checks passed."
    assert "xoxb-doctor-secret" not in result.output


def test_doctor_warns_about_a_disconnected_workspace_and_says_how_to_reconnect(
    demo_db: str, slack_api: FakeSlackApi
) -> None:
    engine = make_engine(demo_db)
    try:
        forget_installation(
            make_session_factory(engine),
            None,
            InstallationKey(None, "T0LIAISON", False),
            now=datetime(2026, 11, 21, 9, 0, tzinfo=UTC),
            uninstalled=True,
        )
    finally:
        engine.dispose()

    result = _doctor(demo_db, slack_api)

    assert result.exit_code == 0, result.output  # a warning, not a failure
    (line,) = [line for line in result.stdout.splitlines() if line.split()[1] == "workspaces"]
    assert line.startswith("warn")
    assert "1 of 1 disconnected" in line and "uninstalled from this workspace on 2026-11-21" in line
    assert "set its new SLACK_BOT_TOKEN" in line


def test_doctor_reports_every_problem_and_exits_1(tmp_path: Path, slack_api: FakeSlackApi) -> None:
    slack_api.fail("auth.test", "invalid_auth", times=5)
    empty = f"sqlite:///{tmp_path / 'empty.db'}"

    result = _doctor(empty, slack_api, EMBEDDING_MODEL=str(tmp_path / "no-model-here"))

    assert result.exit_code == 1
    by_name = {line.split()[1]: line for line in result.stdout.splitlines()[:-1]}
    assert by_name["settings"].startswith("ok")
    assert by_name["database"].startswith("ok")
    assert by_name["schema"].startswith("FAIL") and "run `liaison db upgrade`" in by_name["schema"]
    assert by_name["model"].startswith("FAIL") and "no-model-here" in by_name["model"]
    assert by_name["slack"].startswith("FAIL") and "invalid_auth" in by_name["slack"]
    assert result.stdout.splitlines()[-1] == "3 checks failed."
    assert "xoxb-doctor-secret" not in result.output


def test_doctor_names_an_unreachable_database_without_its_password(slack_api: FakeSlackApi) -> None:
    result = _doctor(
        "postgresql://liaison:hunter2@127.0.0.1:1/liaison", slack_api, LIAISON_EMBEDDINGS="false"
    )

    assert result.exit_code == 1
    database = next(line for line in result.stdout.splitlines() if line.split()[1] == "database")
    assert database.startswith("FAIL")
    assert "postgresql://liaison:***@127.0.0.1:1/liaison unreachable" in database
    assert "hunter2" not in result.output
    assert "schema" not in result.stdout  # not checked without a database


def test_doctor_reports_a_bad_setting_and_still_checks_the_rest(
    demo_db: str, slack_api: FakeSlackApi
) -> None:
    result = _doctor(demo_db, slack_api, SLACK_BOT_TOKEN="", LIAISON_PROCESS_ROLE="worker")

    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[0].startswith("FAIL") and "SLACK_BOT_TOKEN is not set" in lines[0]
    assert any(line.startswith("warn") and "layout" in line for line in lines)  # worker role on SQLite
    assert any(line.startswith("ok") and "database" in line for line in lines)
    assert any(line.startswith("ok") and "worker role does not load it" in line for line in lines)


def test_demo_loads_the_workspace_the_product_ships() -> None:
    # Not the original-format copy in ../shared/examples, even in a checkout beside it.
    assert demo_file() == REPO_ROOT / "bot" / "data" / "adtech-alliance.yaml"
    assert demo_file().is_file()
