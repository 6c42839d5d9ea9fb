"""Shared by the workspace file tests: the small valid file they vary, import and export helpers."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.models import (
    AuditEntry,
    Blocker,
    Membership,
    Milestone,
    Person,
    Project,
    Publication,
    Workspace,
)
from bot.workspace_file import (
    ImportReport,
    export_workspace,
    import_workspace,
    import_workspace_file,
    parse_workspace_document,
)

DATA = Path(__file__).parent.parent / "data" / "workspace_file"
EXTENSIONS_FILE = DATA / "extensions.yaml"
AS_OF = date(2026, 11, 20)
NOW = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
TABLES = (Workspace, Person, Publication, Project, Membership, Milestone, Blocker, AuditEntry)

# A small valid file; the broken-document cases each change one line of it.
BASE = """\
workspace:
  name: Test Alliance
  timezone: Europe/Amsterdam
  as_of: 2026-11-20
people:
  - slack_id: U0ALICE
    name: Alice Example
    sector: industry
  - slack_id: U0BOB
    name: Bob Example
projects:
  - key: alpha
    name: Alpha
    status: on_track
    channel: C0ALPHA
    lead: U0ALICE
    members: [U0ALICE, U0BOB]
    milestones:
      - title: First
        due: 2026-11-27 12:00
        owner: U0BOB
        status: open
    blockers:
      - text: Stuck
        raised_by: U0BOB
        raised_at: 2026-11-19 10:00
"""


def import_file(
    factory: sessionmaker[Session], path: Path, *, today: date = AS_OF, rebase: bool = False
) -> ImportReport:
    """Imports a workspace file in one transaction, at `NOW`; returns the import report."""
    with factory.begin() as session:
        return import_workspace_file(session, path, today=today, rebase_dates=rebase, now=NOW)


def import_text(factory: sessionmaker[Session], text: str, **kwargs: Any) -> ImportReport:
    """Parses and imports workspace text in one transaction, at `NOW`; returns the report."""
    with factory.begin() as session:
        return import_workspace(session, parse_workspace_document(text), today=AS_OF, now=NOW, **kwargs)


def export_text(factory: sessionmaker[Session], workspace_id: int) -> str:
    """The export of a workspace."""
    with factory() as session:
        return export_workspace(session, workspace_id)


def row_counts(factory: sessionmaker[Session]) -> dict[str, int]:
    """Rows per table of every table an import writes."""
    with factory() as session:
        return {t.__name__: session.scalar(select(func.count()).select_from(t)) or 0 for t in TABLES}


def find_milestone(session: Session, key: str, title: str) -> Milestone:
    """The milestone with `title` in the project with `key`."""
    return session.scalars(
        select(Milestone).join(Project).where(Project.key == key, Milestone.title == title)
    ).one()


def snapshot(factory: sessionmaker[Session], workspace_id: int) -> dict[str, Any]:
    """Everything an import writes, keyed by natural keys so two databases can be compared."""
    with factory() as session:
        workspace = session.get(Workspace, workspace_id)
        assert workspace is not None
        people = session.scalars(select(Person).where(Person.workspace_id == workspace_id)).all()
        slack = {p.id: p.slack_id for p in people}
        projects = session.scalars(select(Project).where(Project.workspace_id == workspace_id)).all()
        return {
            "workspace": (workspace.name, workspace.timezone, workspace.as_of, workspace.slack_team_id),
            "people": {
                p.slack_id: (
                    p.name,
                    p.title,
                    p.discipline,
                    p.sector,
                    p.organisation,
                    p.timezone,
                    p.expertise,
                    [(pub.position, pub.title, pub.abstract) for pub in p.publications],
                )
                for p in people
            },
            "projects": {
                p.key: (
                    p.name,
                    p.description,
                    p.status,
                    p.channel_id,
                    p.private,
                    slack.get(p.lead_id) if p.lead_id else None,
                    sorted((slack[m.person_id], m.role, m.position) for m in p.memberships),
                    [
                        (
                            m.number,
                            m.title,
                            m.due_at,
                            m.due_timezone,
                            slack.get(m.owner_id) if m.owner_id else None,
                            m.status,
                            m.done_at,
                        )
                        for m in p.milestones
                    ],
                    [
                        (
                            b.number,
                            b.text,
                            slack.get(b.raised_by_id) if b.raised_by_id else None,
                            b.raised_at,
                            b.resolved_at,
                            slack.get(b.resolved_by_id) if b.resolved_by_id else None,
                        )
                        for b in p.blockers
                    ],
                )
                for p in projects
            },
        }
