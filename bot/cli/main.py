"""The `liaison` command line: serve, doctor, demo, say, import, export, report, db upgrade, manifest.

`.env` is read here and only here (`load_dotenv(override=False)`: real environment variables win).
"""

from __future__ import annotations

import dataclasses
import logging
import os
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from dotenv import find_dotenv, load_dotenv

from bot.cli.calendar import calendar_group
from bot.cli.configuration import settings_or_exit
from bot.cli.experts import experts
from bot.cli.index import index_group
from bot.cli.profiles import profiles_group
from bot.cli.report import report_command
from bot.serving.process_exit import exit_now, exit_now_if_torch_was_imported
from bot.settings import Settings

if TYPE_CHECKING:
    from bot.domain.reminders import ReminderPolicy
    from bot.experts.embeddings.cache import CachingEmbedder

PACKAGED_DEMO_FILE = Path(__file__).resolve().parents[1] / "data" / "adtech-alliance.yaml"
logger = logging.getLogger(__name__)


def demo_file() -> Path:
    """The demo workspace the product ships (bot/data), extended as features need demo records.

    The original-format copy in ../shared/examples stays importable (a compatibility test), but the demo
    always shows the shipped one, so it never depends on what lies beside a checkout.
    """
    return PACKAGED_DEMO_FILE


def _configure_logging(level: str, settings: Settings | None = None) -> None:
    """Log to standard error with request ids, masking Slack tokens and the configured secrets."""
    from bot.serving.logs import configure_logging, settings_secrets
    from bot.settings import LogFormat

    if settings is None:
        configure_logging(level, LogFormat.TEXT)
    else:
        configure_logging(level, settings.log_format, secrets=settings_secrets(settings))


@contextmanager
def _database_errors(database_url: str) -> Iterator[None]:
    """Turn "cannot reach or open the database" into one line and exit status 1, not a traceback."""
    from sqlalchemy.exc import SQLAlchemyError

    try:
        yield
    except (SQLAlchemyError, OSError) as error:
        reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
        click.echo(f"Database error ({_redact(database_url)}): {reason}", err=True)
        sys.exit(1)


database_option = click.option(
    "--database-url",
    envvar="DATABASE_URL",
    default=None,
    help="SQLAlchemy URL (default: DATABASE_URL, else a SQLite file in your data dir).",
)


@click.group()
@click.version_option(package_name="liaison")
def main() -> None:
    """Liaison keeps cross-disciplinary research alliances coordinated in Slack."""
    # Look for .env from the working directory up (the default search starts next to this file,
    # which for an installed package is site-packages, never the user's project).
    load_dotenv(find_dotenv(usecwd=True), override=False)


@main.group()
def db() -> None:
    """Database schema commands."""


@db.command("upgrade")
@database_option
def db_upgrade(database_url: str | None) -> None:
    """Migrate the database to the latest schema."""
    from bot.schema import upgrade_database

    settings = settings_or_exit(database_url)
    with _database_errors(settings.database_url):
        upgrade_database(settings.database_url)
    click.echo(f"Database is up to date: {_redact(settings.database_url)}")


@main.group()
def tokens() -> None:
    """Slack tokens of OAuth installs (multi-workspace mode)."""


@tokens.command("reencrypt")
@database_option
def tokens_reencrypt(database_url: str | None) -> None:
    """Re-encrypt every stored token with the first LIAISON_TOKEN_ENCRYPTION_KEY.

    After prepending a new key to LIAISON_TOKEN_ENCRYPTION_KEY (old keys still listed, so stored
    tokens decrypt), run this once; then the old keys may be removed.
    """
    from bot.db import make_engine
    from bot.slack.installations import LiaisonInstallationStore, TokenCipher

    settings = settings_or_exit(database_url)
    if not settings.slack_client_id or not settings.token_encryption_keys:
        raise click.ClickException(
            "tokens reencrypt needs SLACK_CLIENT_ID and LIAISON_TOKEN_ENCRYPTION_KEY (OAuth installs)"
        )
    with _database_errors(settings.database_url):
        engine = make_engine(settings.database_url)
        try:
            store = LiaisonInstallationStore(
                settings.slack_client_id, engine, cipher=TokenCipher(settings.token_encryption_keys)
            )
            rewritten = store.reencrypt_all()
        finally:
            engine.dispose()
    click.echo(f"Re-encrypted the tokens of {rewritten} installation and bot rows with the first key.")


@main.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--rebase-dates",
    is_flag=True,
    help="Shift every date by the whole weeks nearest to (today - as_of), so weekdays stay weekdays.",
)
@click.option(
    "--prune",
    is_flag=True,
    help="Remove what the file no longer lists: archive missing projects, delete milestones and blockers.",
)
@click.option("--dry-run", is_flag=True, help="Print what the import would change, and change nothing.")
@database_option
def import_command(
    file: Path, rebase_dates: bool, prune: bool, dry_run: bool, database_url: str | None
) -> None:
    """Import (or re-import) a workspace YAML file; all or nothing."""
    from bot.db import make_engine, make_session_factory, refresh_planner_statistics
    from bot.schema import upgrade_database
    from bot.workspace_file import WorkspaceFileError, import_workspace, load_workspace_document

    settings = settings_or_exit(database_url)
    try:
        # Validate the whole file before the database is created or migrated: a bad file writes nothing.
        document = load_workspace_document(file)
        with _database_errors(settings.database_url):
            if not dry_run:
                upgrade_database(settings.database_url)
            engine = make_engine(settings.database_url)
            try:
                # A dry run imports in a transaction it rolls back: the plan is exactly what an
                # import would do, and the database is left as it was.
                with make_session_factory(engine)() as session, session.begin() as transaction:
                    report = import_workspace(
                        session,
                        document,
                        today=date.today(),
                        rebase_dates=rebase_dates,
                        reminders=settings.reminder_policy,
                        prune=prune,
                    )
                    if dry_run:
                        transaction.rollback()
                if not dry_run:
                    refresh_planner_statistics(engine)
            finally:
                engine.dispose()
    except WorkspaceFileError as error:
        click.echo(f"Nothing was imported; fix these problems first:\n{error}", err=True)
        sys.exit(1)
    for warning in report.warnings:
        click.echo(f"Warning: {warning}", err=True)
    if dry_run:
        click.echo(f"Dry run of {file}: nothing was changed. The import would:")
        for line in report.plan or ("change nothing",):
            click.echo(f"  {line}")
        return
    shifted = f", dates shifted by {report.shift_days} days" if report.shift_days else ""
    removed = f", {report.removed} removed" if prune else ""
    click.echo(
        f"Imported {file}: {report.people} people, {report.projects} projects, {report.milestones} "
        f"milestones, {report.blockers} blockers ({report.created} created, {report.updated} updated"
        f"{removed}{shifted}) into {_redact(settings.database_url)}"
    )


@main.command("export")
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write to this file instead of standard output.",
)
@click.option("--workspace", default=None, help="Workspace name (needed only when there are several).")
@database_option
def export_command(output: Path | None, workspace: str | None, database_url: str | None) -> None:
    """Export a workspace in the import format."""
    from sqlalchemy import select

    from bot.db import make_engine, make_session_factory
    from bot.models import Workspace
    from bot.schema import upgrade_database
    from bot.workspace_file import export_workspace

    settings = settings_or_exit(database_url)
    with _database_errors(settings.database_url):
        upgrade_database(settings.database_url)
        engine = make_engine(settings.database_url)
        try:
            with make_session_factory(engine)() as session:
                names = list(session.scalars(select(Workspace.name).order_by(Workspace.id)))
                if not names:
                    click.echo(
                        "No workspace in this database yet: run `liaison import FILE.yaml` first "
                        f"(database: {_redact(settings.database_url)}).",
                        err=True,
                    )
                    sys.exit(1)
                query = select(Workspace).order_by(Workspace.id)
                if workspace:
                    query = query.where(Workspace.name == workspace)
                found = session.scalars(query).all()
                if len(found) != 1:
                    click.echo(
                        f"Choose one workspace with --workspace (found: {', '.join(names)}).", err=True
                    )
                    sys.exit(1)
                text = export_workspace(session, found[0].id)
        finally:
            engine.dispose()
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        click.echo(f"Exported {found[0].name} to {output}")


@main.command()
@click.option("--port", type=int, default=None, help="HTTP port (default LIAISON_PORT or 3000).")
def serve(port: int | None) -> None:
    """Run this process's role (LIAISON_PROCESS_ROLE): Slack over Socket Mode or HTTP, and/or the scheduler.

    HTTP mode (no SLACK_APP_TOKEN) serves /slack/events, /healthz, /readyz and /metrics on one port; the
    worker role serves only the last three. SIGTERM or Ctrl-C stops gracefully: no new requests,
    in-flight ones and the work after their acks finish, a running reminder tick completes. For
    production HTTP serving, gunicorn runs the same application (docs/deployment.md).
    """
    from slack_bolt.error import BoltError

    from bot.schema import upgrade_database
    from bot.serving.http_server import make_http_server, stop_http_server
    from bot.serving.wsgi import build_runtime, settle_after_start

    settings = settings_or_exit(require_slack=True)
    _configure_logging(settings.log_level, settings)
    with _database_errors(settings.database_url):
        upgrade_database(settings.database_url)
    try:
        runtime = build_runtime(settings)  # checks the token with auth.test
    except BoltError as error:
        click.echo(f"Slack did not accept SLACK_BOT_TOKEN: {error}", err=True)
        sys.exit(1)
    except OSError as error:
        click.echo(f"Cannot reach Slack at {settings.slack_api_url}: {error}", err=True)
        sys.exit(1)
    socket_mode = runtime.app is not None and bool(settings.slack_app_token)
    server = None
    if not socket_mode:
        # `--port 0` asks the OS for a free port (the line below says which one).
        listen_port = settings.http_port if port is None else port
        try:
            server = make_http_server(runtime, settings.http_host, listen_port)
        except OSError as error:
            runtime.shutdown(timeout=0)
            click.echo(f"Cannot listen on {settings.http_host}:{listen_port}: {error.strerror}", err=True)
            sys.exit(1)
    with _stop_signals() as stop:
        runtime.start()
        settle_after_start()
        socket_handler = None
        if socket_mode:
            from bot.serving.socket_mode import LiaisonSocketModeHandler

            click.echo("Liaison is connecting to Slack over Socket Mode.")
            assert runtime.app is not None and runtime.listeners is not None
            assert settings.slack_app_token is not None
            socket_handler = LiaisonSocketModeHandler(
                runtime.app,
                settings.slack_app_token,
                listeners=runtime.listeners,
                ack_priority=runtime.web.ack_priority,
                intake=runtime.intake,
            )
            socket_handler.connect()
        else:
            assert server is not None
            # A stop (SIGTERM) waits for the serving loop's next check: 50 ms instead of socketserver's 0.5 s.
            threading.Thread(
                target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="http-server", daemon=True
            ).start()
            base = f"http://{settings.http_host}:{server.server_port}"
            if runtime.app is not None:
                click.echo(f"Liaison listens on {base}/slack/events (health: /healthz).")
            else:
                click.echo(f"Liaison worker runs the scheduler (health, readiness, metrics: {base}/healthz).")
        # A timed wait keeps the main thread responsive to signals on every platform.
        while not stop.wait(0.5):
            pass
        logger.info("stopping: finishing requests in flight")
        runtime.web.start_draining()
        # One drain limit for everything: requests being acked, then the work after the acks.
        deadline = time.monotonic() + settings.shutdown_seconds
        if server is not None and not stop_http_server(server, settings.shutdown_seconds):
            logger.warning("stopping: requests still running after %d s", settings.shutdown_seconds)
        if socket_handler is not None:
            socket_handler.close()
        if not runtime.shutdown(timeout=max(deadline - time.monotonic(), 0.0)):
            # Threads still run past the drain limit; what they held was handed back to the inbox.
            exit_now(0)


@contextmanager
def _stop_signals() -> Iterator[threading.Event]:
    """An event set by SIGTERM or SIGINT while the block runs (the previous handlers come back after)."""
    import signal

    stop = threading.Event()

    def request_stop(signum: int, _frame: Any) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield stop
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@main.command()
def doctor() -> None:
    """Check settings, database and schema, model files and the Slack token; exit 1 if anything fails."""
    from bot.cli.doctor import Status, format_checklist, run_checks

    checks = run_checks(os.environ)
    click.echo(format_checklist(checks))
    if any(check.status is Status.FAIL for check in checks):
        sys.exit(1)


def _background_embedder(settings: Settings) -> CachingEmbedder | None:
    """The sentence-embedding model for questions, loading in a background thread from now on.

    Loading takes ~10 s on two cores; until it is done, questions the rules understand are answered at
    once and the others wait for it (off the request path). Its progress bar is kept off the prompt.
    None when the model is not installed.
    """
    from bot.cli.console.model import console_embedder

    return console_embedder(settings, load_now=True)


def _prepare_demo_database(database_url: str, file: Path, reminders: ReminderPolicy | None = None) -> None:
    from bot.db import make_engine, make_session_factory, refresh_planner_statistics
    from bot.schema import upgrade_database
    from bot.workspace_file import WorkspaceFileError, import_workspace, load_workspace_document

    try:
        document = load_workspace_document(file)
        with _database_errors(database_url):
            upgrade_database(database_url)
            engine = make_engine(database_url)
            try:
                with make_session_factory(engine).begin() as session:
                    import_workspace(
                        session, document, today=date.today(), rebase_dates=True, reminders=reminders
                    )
                refresh_planner_statistics(engine)
            finally:
                engine.dispose()
    except WorkspaceFileError as error:
        click.echo(f"Cannot load the demo workspace:\n{error}", err=True)
        sys.exit(1)


@main.command()
@click.option(
    "--database-url", default=None, help="Use this database instead of a fresh temporary SQLite file."
)
@click.option(
    "--file",
    "file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Workspace YAML to load (default: the demo alliance).",
)
@click.option("--as", "as_user", default=None, help="Start as this user (Slack id or name).")
def demo(database_url: str | None, file: Path | None, as_user: str | None) -> None:
    """Interactive console: the real bot against a local fake Slack, on the demo workspace."""
    from bot.cli.console.session import CONSOLE_HELP, ConsoleSession

    workspace_file = file or demo_file()
    # Settings first: a malformed variable is reported before anything is created or written.
    settings = settings_or_exit(database_url or "sqlite://")
    if database_url is None:
        temporary = Path(tempfile.mkdtemp(prefix="liaison-demo-")) / "demo.db"
        settings = dataclasses.replace(settings, database_url=f"sqlite:///{temporary}")
    _prepare_demo_database(settings.database_url, workspace_file, settings.reminder_policy)
    _configure_logging("WARNING")
    session = ConsoleSession(
        settings, output=click.echo, with_scheduler=True, embedder=_background_embedder(settings)
    )
    with _database_errors(settings.database_url):
        session.start()
    interactive = sys.stdin.isatty()
    try:
        click.echo(
            f"Liaison demo console — workspace from {workspace_file}, dates rebased to today.\n"
            f"Database: {_redact(settings.database_url)}\n{CONSOLE_HELP}"
        )
        if as_user:
            session.switch_user(as_user)  # an unclear name is reported; the first person stays
        click.echo(f"You are @{session.people.get(session.user_id, session.user_id)} ({session.user_id}).")
        _repl(session.handle_line, session.prompt, interactive)
    finally:
        session.stop()


def _repl(handle: Callable[[str], bool], prompt: Callable[[], str], interactive: bool) -> None:
    while True:
        try:
            line = input(prompt()) if interactive else sys.stdin.readline()
        except (EOFError, KeyboardInterrupt):
            click.echo()
            return
        if not interactive:
            if not line:
                return
            click.echo(f"{prompt()}{line.rstrip()}")
        if not handle(line):
            return


@main.command()
@click.option("--as", "as_user", required=True, help="The Slack user id (or name) who types the text.")
@click.option("--dm", is_flag=True, help="Write it in Liaison's DM (a message.im event).")
@click.option(
    "--in",
    "in_channel",
    metavar="CHANNEL",
    default=None,
    help="Say it in this channel (an id, or a project's key or name) as an @mention, so "
    '"this project" means it. With --assistant: the channel the user is looking at.',
)
@click.option(
    "--thread", "thread_ts", metavar="TS", default=None, help="Reply in this thread (its ts, as printed)."
)
@click.option(
    "--assistant",
    is_flag=True,
    help="Write it in an assistant thread (Slack's AI-app view): a new one (assistant_thread_started "
    "first), or the one --thread names.",
)
@click.option(
    "--model",
    "load_model",
    is_flag=True,
    help="Load the embedding model before answering (otherwise it loads only when the text needs it).",
)
@click.option("--json", "json_output", is_flag=True, help="Print the Slack Web API calls as JSON lines.")
@click.argument("text", nargs=-1, required=True)
@database_option
def say(
    as_user: str,
    dm: bool,
    in_channel: str | None,
    thread_ts: str | None,
    assistant: bool,
    load_model: bool,
    json_output: bool,
    text: tuple[str, ...],
    database_url: str | None,
) -> None:
    """Send one message as a user (e.g. "/project status bidshade") and print what the bot posted."""
    from bot.cli.console.model import console_embedder
    from bot.cli.console.session import ConsoleSession
    from bot.experts.embeddings.protocol import EmbedderLoadError
    from bot.schema import upgrade_database

    if dm and (in_channel or assistant):
        raise click.UsageError("--dm goes alone: --in names a channel, --assistant an assistant thread.")
    settings = settings_or_exit(database_url)
    _configure_logging("ERROR")
    embedder = console_embedder(settings, load_now=load_model)
    if load_model:
        if embedder is None:
            click.echo(f"The embedding model {settings.embedding_model} is not installed.", err=True)
            sys.exit(1)
        try:
            embedder.wait_ready(None)
        except EmbedderLoadError as error:
            click.echo(f"Cannot load the embedding model: {error}", err=True)
            sys.exit(1)
    outputs: list[str] = []
    errors: list[str] = []
    session = ConsoleSession(
        settings,
        output=outputs.append,
        error_output=errors.append,
        json_output=json_output,
        with_scheduler=False,
        embedder=embedder,
    )
    with _database_errors(settings.database_url):
        upgrade_database(settings.database_url)
        session.start()
    try:
        if not session.people:
            click.echo(
                "No workspace in this database yet: run `liaison import FILE.yaml` first "
                f"(database: {_redact(settings.database_url)}).",
                err=True,
            )
            sys.exit(1)
        if session.switch_user(
            as_user, where_to_look="`liaison export` lists everyone with their Slack id"
        ) and session.go_to(dm=dm, channel=in_channel, thread_ts=thread_ts, assistant=assistant):
            session.handle_line(" ".join(text))
    finally:
        session.stop()
    for line in outputs:
        click.echo(line)
    for line in errors:
        click.echo(line, err=True)
    # Scripts can tell "the bot answered" from "the request failed" (unknown user, HTTP error, typo).
    if errors:
        sys.exit(1)


@main.command()
def manifest() -> None:
    """Print the Slack app manifest for the configured command names and URL."""
    from bot.slack.manifest import build_manifest

    settings = settings_or_exit()
    click.echo(build_manifest(settings.commands, request_url=settings.public_url), nl=False)


def _redact(url: str) -> str:
    """A database URL without its password, for messages."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        return "<database URL>"


def run(argv: list[str] | None = None) -> Any:
    """The `liaison` console script and `python -m bot`: the command group, then a clean exit.

    After a command that finished cleanly, a process that imported torch (`serve` and `demo` load the
    model in a background thread, which may still be loading) leaves without interpreter finalization,
    which could abort in torch's C++ runtime (bot.serving.process_exit). In-process callers (tests with
    click's runner) invoke `main` and are never cut short.
    """
    try:
        return main.main(args=argv, prog_name="liaison")
    except SystemExit as done:
        if done.code in (0, None):
            exit_now_if_torch_was_imported(0)
        raise


# `liaison experts evaluate FILE.json` (issue #4's evaluation of the production scoring code).
main.add_command(experts)
# `liaison index rebuild|status`: the stored profile vectors behind expert suggestions.
main.add_command(index_group)
# `liaison profiles fetch --orcid …|import-bibtex FILE|refresh`: profiles from ORCID, OpenAlex, files.
main.add_command(profiles_group)
# `liaison report [--csv]`: every project's health, one row each.
main.add_command(report_command)
# `liaison calendar export --person U…`: a calendar feed as an .ics file (docs/calendar.md).
main.add_command(calendar_group)
