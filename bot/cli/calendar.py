"""`liaison calendar export --person U… > file.ics`: a feed as a file, for scripts (docs/calendar.md).

The same document the feed URL serves (same UIDs and SEQUENCE numbers, which the export records too),
without a URL: `--person` writes what that person's private feed shows, `--project KEY` a project's
feed. Mounted into the main CLI with ``main.add_command(calendar_group)``.
"""

from __future__ import annotations

import sys
from datetime import datetime

import click

from bot.cli.configuration import settings_or_exit
from bot.clock import SystemClock


@click.group("calendar")
def calendar_group() -> None:
    """Calendar feeds (iCalendar): export one as a file."""


@calendar_group.command("export")
@click.option("--person", "person_id", default=None, help="Slack user id (U…) whose own feed to write.")
@click.option("--project", "project_key", default=None, help="Project key whose feed to write.")
@click.option("--workspace", default=None, help="Workspace name (needed only when there are several).")
@click.option(
    "--database-url",
    envvar="DATABASE_URL",
    default=None,
    help="SQLAlchemy URL (default: DATABASE_URL, else a SQLite file in your data dir).",
)
def export_command(
    person_id: str | None, project_key: str | None, workspace: str | None, database_url: str | None
) -> None:
    """Write a person's (or a project's) calendar feed to standard output as iCalendar."""
    from sqlalchemy import select
    from sqlalchemy.exc import SQLAlchemyError

    from bot.calendar.feeds import person_feed, project_feed
    from bot.db import make_engine, make_session_factory
    from bot.models import Person, Project, Workspace
    from bot.schema import upgrade_database

    if (person_id is None) == (project_key is None):
        raise click.UsageError("Give exactly one of --person U… or --project KEY.")
    settings = settings_or_exit(database_url)
    try:
        upgrade_database(settings.database_url)
        engine = make_engine(settings.database_url)
        try:
            with make_session_factory(engine).begin() as session:
                found = session.scalars(select(Workspace).order_by(Workspace.id)).all()
                chosen = [w for w in found if workspace is None or w.name == workspace]
                if len(chosen) != 1:
                    names = ", ".join(w.name for w in found) or "none; run `liaison import FILE.yaml` first"
                    click.echo(f"Choose one workspace with --workspace (found: {names}).", err=True)
                    sys.exit(1)
                workspace_id = chosen[0].id
                if person_id is not None:
                    person = session.scalars(
                        select(Person).where(
                            Person.workspace_id == workspace_id, Person.slack_id == person_id
                        )
                    ).first()
                    if person is None:
                        click.echo(f"No person {person_id} in {chosen[0].name}.", err=True)
                        sys.exit(1)
                    feed = person_feed(session, person, _now())
                else:
                    project = session.scalars(
                        select(Project).where(
                            Project.workspace_id == workspace_id, Project.key == project_key
                        )
                    ).first()
                    if project is None:
                        click.echo(f"No project {project_key} in {chosen[0].name}.", err=True)
                        sys.exit(1)
                    feed = project_feed(session, project, _now())
        finally:
            engine.dispose()
    except (SQLAlchemyError, OSError) as error:
        reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
        click.echo(f"Database error: {reason}", err=True)
        sys.exit(1)
    click.echo(feed.body, nl=False)


def _now() -> datetime:
    """The instant recorded as the modification time of changed events (tests replace it)."""
    return SystemClock().now()
