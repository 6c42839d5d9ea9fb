"""`liaison index ...`: the stored vectors of people's profile items (bot/experts/vector_sync.py).

`rebuild` embeds every item whose vector is missing, stale or of another model (all of them after
`EMBEDDING_MODEL` changed), with a progress bar, and removes the vectors of other models; `status`
counts what a rebuild would do without loading the model.

Mounted into the main CLI with ``main.add_command(index_group)``; also runnable on its own as
``python -m bot.cli.index rebuild``. Settings come from the environment, which the main CLI has filled
from `.env` (as has the stand-alone entry point below).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import click

from bot.cli.configuration import settings_or_exit
from bot.experts.vector_sync import SYNC_BATCH
from bot.settings import Settings

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

    from bot.experts.embeddings.protocol import Embedder

# Plain progress lines (when the output is not a terminal) every this many percent.
PROGRESS_LINE_STEP = 10

database_option = click.option(
    "--database-url",
    envvar="DATABASE_URL",
    default=None,
    help="SQLAlchemy URL (default: DATABASE_URL, else a SQLite file in your data dir).",
)
workspace_option = click.option(
    "--workspace",
    "selector",
    default=None,
    metavar="NAME_OR_TEAM_ID",
    help="Only this workspace, by name or Slack team id (default: every workspace).",
)
fake_embedder_option = click.option(
    "--fake-embedder",
    is_flag=True,
    hidden=True,
    help="Use the deterministic hashing embedder instead of the model (tests).",
)


@dataclass(frozen=True)
class _Workspace:
    id: int
    name: str


@click.group("index")
def index_group() -> None:
    """The expert index: stored vectors of people's profiles."""


@index_group.command("rebuild")
@workspace_option
@click.option("--force", is_flag=True, help="Re-embed every item, even those whose vector is current.")
@click.option(
    "--batch-size",
    type=click.IntRange(min=1),
    default=SYNC_BATCH,
    show_default=True,
    help="Items per embedding call and per transaction.",
)
@fake_embedder_option
@database_option
def rebuild_command(
    selector: str | None, force: bool, batch_size: int, fake_embedder: bool, database_url: str | None
) -> None:
    """Embed what changed (or everything, after EMBEDDING_MODEL changed) and drop other models' vectors.

    Safe while the bot runs: it upserts the same rows the bot's background refresh writes, and running
    bots reload their index when it is done. Run it before starting bots on a new model: their
    background refresh would otherwise embed everything itself, without a progress bar.
    """
    from bot.experts.profile_version import bump_profiles_version
    from bot.experts.vector_sync import index_status, sync_profile_vectors

    settings = settings_or_exit(database_url)
    embedder = _embedder(settings, fake=fake_embedder)
    with _database(settings) as session_factory:
        with session_factory() as session:
            workspaces = _select_workspaces(session, selector, settings.database_url)
            statuses = [index_status(session, w.id, embedder.model_name) for w in workspaces]
        # Loaded up front, so that the progress bar measures embedding only; and not at all (~10 s)
        # when every vector is current and only other models' vectors are to be removed.
        if force or any(status.stale or status.missing for status in statuses):
            _load(embedder)
        for workspace in workspaces:
            started = time.perf_counter()
            with _progress(workspace.name) as progress:
                report = sync_profile_vectors(
                    session_factory,
                    embedder,
                    workspace.id,
                    now=datetime.now(UTC),
                    force=force,
                    progress=progress,
                    batch_size=batch_size,
                )
            if report.embedded or report.reused or report.removed:
                # Running bots reload their cached index when the profiles version moves.
                with session_factory.begin() as session:
                    bump_profiles_version(session, workspace.id)
            copied = f", {report.reused} copied" if report.reused else ""
            click.echo(
                f"{workspace.name}: {report.embedded} embedded{copied}, {report.unchanged} unchanged, "
                f"{report.removed} removed (model {embedder.model_name}, "
                f"{time.perf_counter() - started:.1f} s)"
            )


@index_group.command("status")
@workspace_option
@fake_embedder_option
@database_option
def status_command(selector: str | None, fake_embedder: bool, database_url: str | None) -> None:
    """Per workspace: profile items, and how many have a current, stale or no vector (loads no model)."""
    from bot.experts.vector_sync import index_status

    settings = settings_or_exit(database_url)
    model_name = _model_name(settings, fake=fake_embedder)
    with _database(settings) as session_factory, session_factory() as session:
        workspaces = _select_workspaces(session, selector, settings.database_url)
        statuses = [index_status(session, w.id, model_name) for w in workspaces]
        for workspace, status in zip(workspaces, statuses, strict=True):
            click.echo(
                f"{workspace.name}: {status.items} items of {status.people} people "
                f"({status.hidden} hidden); model {model_name}: {status.current} current, "
                f"{status.stale} stale, {status.missing} missing"
            )
            if status.other_models:
                others = ", ".join(f"{name} ({count})" for name, count in status.other_models.items())
                click.echo(f"  vectors of other models: {others}; `liaison index rebuild` removes them")
        if any(status.stale or status.missing for status in statuses):
            click.echo(
                "A running bot on this model embeds stale and missing items within a minute; "
                "`liaison index rebuild` does it now."
            )


def _model_name(settings: Settings, *, fake: bool) -> str:
    from bot.experts.embeddings.hashing import HashingEmbedder

    return HashingEmbedder.model_name if fake else settings.embedding_model


def _embedder(settings: Settings, *, fake: bool) -> Embedder:
    from bot.experts.embeddings.hashing import HashingEmbedder
    from bot.experts.embeddings.sentence_transformers import SentenceTransformerEmbedder

    # Without the question cache (bot.experts.embeddings.cache.CachingEmbedder): every text here is
    # embedded once.
    return HashingEmbedder() if fake else SentenceTransformerEmbedder(settings.embedding_model)


def _load(embedder: Embedder) -> None:
    from bot.experts.embeddings.protocol import EmbedderLoadError

    wait_ready = getattr(embedder, "wait_ready", None)
    if wait_ready is None:
        return
    click.echo(f"Loading the embedding model {embedder.model_name}…")
    started = time.perf_counter()
    try:
        wait_ready()
    except EmbedderLoadError as error:
        click.echo(f"Cannot load the embedding model: {error}", err=True)
        sys.exit(1)
    click.echo(f"Model loaded in {time.perf_counter() - started:.1f} s.")


@contextmanager
def _database(settings: Settings) -> Iterator[sessionmaker[Session]]:
    """Migrate, then yield a session factory; database errors become one line and exit status 1."""
    from sqlalchemy.exc import SQLAlchemyError

    from bot.db import make_engine, make_session_factory
    from bot.schema import upgrade_database

    engine = None
    try:
        upgrade_database(settings.database_url)
        engine = make_engine(settings.database_url)
        yield make_session_factory(engine)
    except (SQLAlchemyError, OSError) as error:
        reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
        click.echo(f"Database error ({_redact(settings.database_url)}): {reason}", err=True)
        sys.exit(1)
    finally:
        if engine is not None:
            engine.dispose()


def _select_workspaces(session: Session, selector: str | None, database_url: str) -> list[_Workspace]:
    from sqlalchemy import select

    from bot.models import Workspace

    rows = session.execute(
        select(Workspace.id, Workspace.name, Workspace.slack_team_id).order_by(Workspace.id)
    )
    found = [(_Workspace(id, name), team_id) for id, name, team_id in rows]
    if not found:
        click.echo(
            "No workspace in this database yet: run `liaison import FILE.yaml` first "
            f"(database: {_redact(database_url)}).",
            err=True,
        )
        sys.exit(1)
    if selector is None:
        return [workspace for workspace, _ in found]
    chosen = [w for w, team_id in found if selector in (w.name, team_id)]
    if not chosen:
        # Forgive case only when that leaves no doubt.
        chosen = [w for w, _ in found if w.name.casefold() == selector.casefold()]
    if len(chosen) != 1:
        names = ", ".join(w.name for w, _ in found)
        click.echo(f"No single workspace named or with team id {selector!r} (found: {names}).", err=True)
        sys.exit(1)
    return chosen


class _ProgressDisplay:
    """A `ProgressCallback` for one workspace: a bar on a terminal, a line every 10% otherwise."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.tty = sys.stdout.isatty()
        self._bar: Any = None
        self._shown = 0
        self._next_line = 0

    def __call__(self, done: int, total: int) -> None:
        if total == 0:
            return
        if self.tty:
            if self._bar is None:
                self._bar = click.progressbar(length=total, label=f"{self.label}: embedding", show_pos=True)
                self._bar.__enter__()
            self._bar.update(done - self._shown)
            self._shown = done
            return
        percent = done * 100 // total
        if percent >= self._next_line or done == total:
            click.echo(f"  {self.label}: {done}/{total} items embedded ({percent}%)")
            self._next_line = (percent // PROGRESS_LINE_STEP + 1) * PROGRESS_LINE_STEP

    def close(self) -> None:
        if self._bar is not None:
            self._bar.__exit__(None, None, None)
            self._bar = None


@contextmanager
def _progress(label: str) -> Iterator[_ProgressDisplay]:
    display = _ProgressDisplay(label)
    try:
        yield display
    finally:
        display.close()


def _redact(url: str) -> str:
    """A database URL without its password, for messages."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        return "<database URL>"


if __name__ == "__main__":
    from dotenv import find_dotenv, load_dotenv

    load_dotenv(find_dotenv(usecwd=True), override=False)
    index_group(prog_name="python -m bot.cli.index")
