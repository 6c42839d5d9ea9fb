"""`liaison profiles ...`: expert profiles from ORCID, OpenAlex, BibTeX and CSV (docs/profiles.md).

`fetch` links a person to their ORCID iD (or OpenAlex author id), reads every work with a progress bar,
writes them in one transaction and embeds the person's changed items at once (another progress bar), so
suggestions use them on the next /expert; `import-bibtex` and `import-csv` load a file of works;
`refresh` re-reads every link older than a week (what the weekly job does when it is on).

Mounted into the main CLI with ``main.add_command(profiles_group)``.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from bot.cli.configuration import settings_or_exit
from bot.cli.index import (
    _database,
    _embedder,
    _load,
    _progress,
    database_option,
    fake_embedder_option,
)

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

    from bot.settings import Settings

person_option = click.option(
    "--person", "slack_id", required=True, metavar="SLACK_ID", help="Whose profile: their Slack user id (U…)."
)
workspace_option = click.option(
    "--workspace",
    "selector",
    default=None,
    metavar="NAME_OR_TEAM_ID",
    help="The person's workspace, by name or Slack team id (needed only when several have that id).",
)
no_index_option = click.option(
    "--no-index", is_flag=True, help="Only store the works; a running bot embeds them within a minute."
)


@click.group("profiles")
def profiles_group() -> None:
    """Expert profiles from ORCID, OpenAlex, BibTeX and CSV."""


@profiles_group.command("fetch")
@click.option("--orcid", default=None, metavar="ID", help="An ORCID iD, e.g. 0000-0002-1825-0097.")
@click.option("--openalex", default=None, metavar="ID", help="An OpenAlex author id, e.g. A5023888391.")
@person_option
@workspace_option
@no_index_option
@fake_embedder_option
@database_option
def fetch_command(
    orcid: str | None,
    openalex: str | None,
    slack_id: str,
    selector: str | None,
    no_index: bool,
    fake_embedder: bool,
    database_url: str | None,
) -> None:
    """Link a person to their ORCID (or OpenAlex) record, fetch every work, and index them."""
    from bot.errors import InvalidInput
    from bot.experts.sources.http_client import SourceFetchError
    from bot.experts.sources.records import OPENALEX, ORCID, SOURCE_NAMES, parse_external_id
    from bot.experts.sources.service import fetch_into

    if (orcid is None) == (openalex is None):
        raise click.UsageError("Give exactly one of --orcid and --openalex.")
    source = ORCID if orcid is not None else OPENALEX
    try:
        external_id = parse_external_id(source, str(orcid or openalex))
    except InvalidInput as error:
        raise click.BadParameter(error.message, param_hint=f"--{source}") from None
    settings = settings_or_exit(database_url)
    with _database(settings) as session_factory:
        person_id, workspace_id, name = _person(session_factory, slack_id, selector)
        click.echo(f"Fetching {SOURCE_NAMES[source]} record {external_id} for {name}…")
        started = time.perf_counter()
        with _fetch_progress(f"{name}: works read") as progress:
            try:
                report = fetch_into(
                    session_factory,
                    settings,
                    person_id,
                    source,
                    external_id,
                    datetime.now(UTC),
                    linked_by="cli",
                    progress=progress,
                )
            except SourceFetchError as error:
                click.echo(f"Could not fetch: {error.message} The profile was not changed.", err=True)
                sys.exit(1)
        click.echo(
            f"{name}: {report.total} works ({report.added} new, {report.updated} updated, "
            f"{report.removed} removed, {report.hidden} hidden) in {time.perf_counter() - started:.1f} s"
        )
        if not no_index:
            _index(settings, session_factory, workspace_id, person_id, name, fake=fake_embedder)


@profiles_group.command("import-bibtex")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@person_option
@workspace_option
@no_index_option
@fake_embedder_option
@database_option
def import_bibtex_command(
    file: Path,
    slack_id: str,
    selector: str | None,
    no_index: bool,
    fake_embedder: bool,
    database_url: str | None,
) -> None:
    """Replace a person's uploaded works with those of a BibTeX (.bib) or CSV (.csv) file."""
    _import_file(file, slack_id, selector, no_index, fake_embedder, database_url)


@profiles_group.command("import-csv")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@person_option
@workspace_option
@no_index_option
@fake_embedder_option
@database_option
def import_csv_command(
    file: Path,
    slack_id: str,
    selector: str | None,
    no_index: bool,
    fake_embedder: bool,
    database_url: str | None,
) -> None:
    """Replace a person's uploaded works with those of a CSV file (title, year, doi, abstract columns)."""
    _import_file(file, slack_id, selector, no_index, fake_embedder, database_url)


@profiles_group.command("refresh")
@click.option(
    "--older-than-days",
    type=click.IntRange(min=0),
    default=7,
    show_default=True,
    help="Re-read links fetched this long ago.",
)
@database_option
def refresh_command(older_than_days: int, database_url: str | None) -> None:
    """Re-read every linked record fetched longer ago than --older-than-days (the weekly job's work)."""
    from bot.experts.sources.service import refresh_links

    settings = settings_or_exit(database_url)
    with _database(settings) as session_factory:
        report = refresh_links(
            session_factory, settings, datetime.now(UTC), max_age=timedelta(days=older_than_days)
        )
    click.echo(f"{report.refreshed} linked profiles refreshed, {report.failed} failed (kept as they were).")
    if report.failed:
        sys.exit(1)


def _import_file(
    file: Path,
    slack_id: str,
    selector: str | None,
    no_index: bool,
    fake_embedder: bool,
    database_url: str | None,
) -> None:
    from bot.errors import InvalidInput
    from bot.experts.sources.service import write_fetched
    from bot.experts.sources.uploads import parse_upload

    try:
        upload = parse_upload(file.read_bytes(), file.name)
    except InvalidInput as error:
        click.echo(error.message, err=True)
        sys.exit(1)
    for problem in upload.problems:
        click.echo(f"{file.name}: {problem}; skipped", err=True)
    settings = settings_or_exit(database_url)
    with _database(settings) as session_factory:
        person_id, workspace_id, name = _person(session_factory, slack_id, selector)
        report = write_fetched(session_factory, person_id, upload.profile, datetime.now(UTC), linked_by="cli")
        skipped = f", {upload.skipped} entries skipped" if upload.skipped else ""
        click.echo(
            f"{name}: {report.total} works from {file.name} "
            f"({report.added} new, {report.removed} removed{skipped})"
        )
        if not no_index:
            _index(settings, session_factory, workspace_id, person_id, name, fake=fake_embedder)


def _person(
    session_factory: sessionmaker[Session], slack_id: str, selector: str | None
) -> tuple[int, int, str]:
    """(person id, workspace id, name) of a Slack id, in the selected workspace; exits when unclear."""
    from sqlalchemy import or_, select

    from bot.models import Person, Workspace

    with session_factory() as session:
        query = (
            select(Person.id, Person.workspace_id, Person.name)
            .join(Workspace)
            .where(Person.slack_id == slack_id)
        )
        if selector is not None:
            query = query.where(or_(Workspace.name == selector, Workspace.slack_team_id == selector))
        found = session.execute(query).all()
    if len(found) != 1:
        where = f" in workspace {selector!r}" if selector else ""
        problem = "Nobody has" if not found else "Several workspaces have"
        hint = "" if not found else " (pick one with --workspace)"
        click.echo(f"{problem} the Slack id {slack_id}{where}{hint}.", err=True)
        sys.exit(1)
    person_id, workspace_id, name = found[0]
    return int(person_id), int(workspace_id), str(name)


def _index(
    settings: Settings,
    session_factory: sessionmaker[Session],
    workspace_id: int,
    person_id: int,
    name: str,
    *,
    fake: bool,
) -> None:
    """Embed the person's new and changed items now, with a progress bar; bots reload their index."""
    from bot.experts.profile_version import bump_profiles_version
    from bot.experts.vector_sync import sync_profile_vectors

    embedder = _embedder(settings, fake=fake)
    _load(embedder)
    started = time.perf_counter()
    with _progress(name) as progress:
        report = sync_profile_vectors(
            session_factory,
            embedder,
            workspace_id,
            now=datetime.now(UTC),
            person_ids=[person_id],
            progress=progress,
            remove_other_models=False,
        )
    with session_factory.begin() as session:
        bump_profiles_version(session, workspace_id)
    click.echo(
        f"{name}: {report.embedded} items embedded, {report.unchanged} unchanged, {report.removed} removed "
        f"(model {embedder.model_name}, {time.perf_counter() - started:.1f} s)"
    )


class _FetchProgress:
    """Works read so far: a bar on a terminal, a line per page otherwise."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.tty = sys.stdout.isatty()
        self._bar: Any = None
        self._shown = 0

    def __call__(self, done: int, total: int) -> None:
        if self.tty:
            if self._bar is None:
                self._bar = click.progressbar(length=max(total, 1), label=self.label, show_pos=True)
                self._bar.__enter__()
            self._bar.length = max(total, done, 1)
            self._bar.update(done - self._shown)
            self._shown = done
            return
        click.echo(f"  {self.label}: {done}/{total}")

    def close(self) -> None:
        if self._bar is not None:
            self._bar.__exit__(None, None, None)
            self._bar = None


@contextmanager
def _fetch_progress(label: str) -> Iterator[_FetchProgress]:
    display = _FetchProgress(label)
    try:
        yield display
    finally:
        display.close()
