"""`liaison report [--csv]`: every project's health in one table (the admins' alliance overview).

One row per project, private ones included: key, name, status, lead, members, open milestones,
overdue, next due, open blockers. `--csv` writes RFC 4180 CSV with a header row to standard output
(for a spreadsheet); without it, an aligned text table. Mounted into the main CLI with
``main.add_command(report_command)``.
"""

from __future__ import annotations

import csv
import io
import sys
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import click

from bot.cli.configuration import settings_or_exit
from bot.clock import SystemClock

if TYPE_CHECKING:
    from bot.projects.overview import ProjectSummary

CSV_COLUMNS = (
    "key",
    "name",
    "status",
    "private",
    "lead",
    "lead_slack_id",
    "members",
    "open_milestones",
    "overdue",
    "next_due",
    "next_milestone",
    "open_blockers",
)


@click.command("report")
@click.option("--csv", "as_csv", is_flag=True, help="Write CSV (one row per project, with a header row).")
@click.option("--workspace", default=None, help="Workspace name (needed only when there are several).")
@click.option(
    "--database-url",
    envvar="DATABASE_URL",
    default=None,
    help="SQLAlchemy URL (default: DATABASE_URL, else a SQLite file in your data dir).",
)
def report_command(as_csv: bool, workspace: str | None, database_url: str | None) -> None:
    """Every project's status, lead, members, milestones, overdue count, next due date and blockers."""
    from sqlalchemy import select
    from sqlalchemy.exc import SQLAlchemyError

    from bot.db import make_engine, make_session_factory
    from bot.models import Workspace
    from bot.projects.overview import project_summaries
    from bot.schema import upgrade_database

    settings = settings_or_exit(database_url)
    now = _now()
    try:
        upgrade_database(settings.database_url)
        engine = make_engine(settings.database_url)
        try:
            with make_session_factory(engine)() as session:
                found = session.scalars(select(Workspace).order_by(Workspace.id)).all()
                chosen = [w for w in found if workspace is None or w.name == workspace]
                if len(chosen) != 1:
                    names = ", ".join(w.name for w in found) or "none; run `liaison import FILE.yaml` first"
                    click.echo(f"Choose one workspace with --workspace (found: {names}).", err=True)
                    sys.exit(1)
                zone = ZoneInfo(chosen[0].timezone)
                rows = [_row(summary, zone) for summary in project_summaries(session, chosen[0].id, now)]
        finally:
            engine.dispose()
    except (SQLAlchemyError, OSError) as error:
        reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
        click.echo(f"Database error: {reason}", err=True)
        sys.exit(1)
    click.echo(_csv(rows) if as_csv else _table(rows), nl=False)


def _now() -> datetime:
    """What "overdue" and "next" are measured from (tests replace it)."""
    return SystemClock().now()


def _row(summary: ProjectSummary, zone: ZoneInfo) -> tuple[str, ...]:
    following = summary.next_due
    local = following.due_at.astimezone(zone) if following is not None else None
    return (
        summary.key,
        summary.name,
        summary.status.value,
        "yes" if summary.private else "no",
        summary.lead.name if summary.lead is not None else "",
        summary.lead.slack_id if summary.lead is not None else "",
        str(summary.members),
        str(summary.open_milestones),
        str(summary.overdue),
        f"{local:%Y-%m-%d %H:%M}" if local is not None else "",
        following.ref if following is not None else "",
        str(summary.open_blockers),
    )


def _csv(rows: Sequence[tuple[str, ...]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    writer.writerows(rows)
    return out.getvalue()


def _table(rows: Sequence[tuple[str, ...]]) -> str:
    shown = ("key", "status", "lead", "members", "open_milestones", "overdue", "next_due", "open_blockers")
    picks = [CSV_COLUMNS.index(name) for name in shown]
    lines = [tuple(name.replace("_", " ") for name in shown), *(tuple(row[i] for i in picks) for row in rows)]
    widths = [max(len(line[i]) for line in lines) for i in range(len(shown))]
    text = "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        for line in lines
    )
    return text + "\n"
