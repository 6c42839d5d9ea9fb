"""Importing a workspace document into the database, as an upsert in the caller's transaction.

Import is an upsert, so importing the same file twice changes nothing. The workspace is matched by
`slack_team_id` if the file gives one, else by name; people by Slack id; projects by key; milestones
by title and blockers by text within their project. Fields of the entities the file lists are taken
from the file (an optional field left out becomes empty), and so are the memberships of the projects
it lists. Milestones, blockers and people that the file does not mention are kept, because they may
have been created in Slack.

Rebasing: `as_of` is the date the file was written as of. With `rebase_dates`, every date and time
(people's `until` included) is shifted by the whole number of weeks nearest to `today - as_of`
(`rebase_shift`), on the wall clock of its zone (a 17:00 deadline stays 17:00 local even across a DST
change), and the workspace's `as_of` moves by as much, to within three days of `today`. Whole weeks
keep every weekday: a Friday deadline stays on a Friday, and no weekday deadline lands on a weekend.

Owners: a milestone's owner should be on its project (`/milestone add` refuses anyone else). A file
whose owner is not (a member who left keeps the milestones they owned, and export writes them so)
still imports, with a warning naming the milestone and the owner (`ImportReport.warnings`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.clock import SystemClock
from bot.domain.reminders import ReminderPolicy
from bot.experts.profile_version import bump_profiles_version
from bot.models import (
    AuditEntry,
    Blocker,
    Membership,
    Milestone,
    Person,
    Project,
    Publication,
    Role,
    Workspace,
)
from bot.reminders.planning import replan_workspace
from bot.workspace_file.document import (
    BlockerEntry,
    MilestoneEntry,
    Problem,
    ProjectEntry,
    PublicationEntry,
    WorkspaceDocument,
    WorkspaceFileError,
)
from bot.workspace_file.parse import load_workspace_document

__all__ = ["ImportReport", "import_workspace", "import_workspace_file", "rebase_shift"]


@dataclass(frozen=True)
class ImportReport:
    """What an import did.

    Attributes:
        workspace_id: The workspace imported into.
        people: People listed in the file (likewise projects, milestones and blockers).
        created: Rows created (workspace, people, projects, milestones and blockers).
        updated: Existing rows whose content changed; 0 when the same file is imported again.
        shift_days: Days every date was moved by (whole weeks, see `rebase_shift`), 0 when not
            rebasing.
        warnings: What was imported but looks wrong (a milestone owner who is not on the project),
            each starting with the file and line.
    """

    workspace_id: int
    people: int
    projects: int
    milestones: int
    blockers: int
    created: int
    updated: int
    shift_days: int
    warnings: tuple[str, ...] = ()


def _assign(obj: object, **values: object) -> bool:
    """Set the attributes that differ; True if any did (an unchanged row is not counted as updated)."""
    changed = False
    for name, value in values.items():
        if getattr(obj, name) != value:
            setattr(obj, name, value)
            changed = True
    return changed


def rebase_shift(as_of: date, today: date) -> int:
    """Days a rebased file's dates move: the whole number of weeks nearest to `today - as_of`.

    Whole weeks keep weekdays, so Friday deadlines stay on Fridays and none lands on a weekend; the
    file's "now" comes within three days of `today` (4 days rounds up, 3 days down).

    Args:
        as_of: The date the file was written as of.
        today: The date to bring it to.

    Returns:
        The shift in days, a multiple of 7 (negative when `today` is before `as_of`).
    """
    return (today - as_of + timedelta(days=3)).days // 7 * 7


def _shift(moment: datetime, days: int) -> datetime:
    # Aware + timedelta is wall-clock arithmetic in Python: 17:00 stays 17:00 in the zone across DST.
    return moment + timedelta(days=days) if days else moment


class _Importer:
    """Upserts one validated document; counts what it creates and changes."""

    def __init__(self, session: Session, document: WorkspaceDocument, shift: int) -> None:
        self.session = session
        self.document = document
        self.shift = shift
        self.created = 0
        self.updated = 0
        self.person_ids: dict[str, int] = {}

    def count(self, created: bool, changed: bool) -> None:
        if created:
            self.created += 1
        elif changed:
            self.updated += 1

    def utc(self, moment: datetime | None) -> datetime | None:
        return None if moment is None else _shift(moment, self.shift).astimezone(UTC)

    def workspace(self) -> Workspace:
        entry = self.document.workspace
        if entry.slack_team_id is not None:
            criterion = Workspace.slack_team_id == entry.slack_team_id
        else:
            criterion = Workspace.name == entry.name
        workspace = self.session.scalars(select(Workspace).where(criterion).order_by(Workspace.id)).first()
        created = workspace is None
        if workspace is None:
            workspace = Workspace(name=entry.name, timezone=entry.timezone)
            self.session.add(workspace)
        as_of = entry.as_of + timedelta(days=self.shift) if entry.as_of is not None else None
        changed = _assign(workspace, name=entry.name, timezone=entry.timezone, as_of=as_of)
        # A file without a team id must not detach a workspace that Slack has since installed into.
        if entry.slack_team_id is not None:
            changed |= _assign(workspace, slack_team_id=entry.slack_team_id)
        self.count(created, changed)
        self.session.flush()
        return workspace

    def people(self, workspace: Workspace) -> None:
        existing = {
            p.slack_id: p
            for p in self.session.scalars(select(Person).where(Person.workspace_id == workspace.id))
        }
        profiles_changed = False
        for entry in self.document.people:
            person = existing.get(entry.slack_id)
            created = person is None
            if person is None:
                person = Person(workspace_id=workspace.id, slack_id=entry.slack_id)
                self.session.add(person)
                existing[entry.slack_id] = person
            changed = _assign(
                person,
                name=entry.name,
                title=entry.title,
                discipline=entry.discipline,
                sector=entry.sector,
                organisation=entry.organisation,
                timezone=entry.timezone,
                expertise=entry.expertise,
                expert_visibility=entry.expert_visibility,
                weekly_request_cap=entry.weekly_request_cap,
                until=entry.until + timedelta(days=self.shift) if entry.until is not None else None,
            )
            changed |= self.publications(person, entry.publications)
            self.count(created, changed)
            profiles_changed |= created or changed
        if profiles_changed:
            bump_profiles_version(self.session, workspace.id)
        self.session.flush()
        self.person_ids = {slack_id: person.id for slack_id, person in existing.items()}

    @staticmethod
    def publications(person: Person, entries: Sequence[PublicationEntry]) -> bool:
        current = list(person.publications)
        changed = False
        for position, entry in enumerate(entries):
            if position < len(current):
                changed |= _assign(
                    current[position], position=position, title=entry.title, abstract=entry.abstract
                )
            else:
                person.publications.append(
                    Publication(position=position, title=entry.title, abstract=entry.abstract)
                )
                changed = True
        for extra in current[len(entries) :]:
            person.publications.remove(extra)
            changed = True
        return changed

    def projects(self, workspace: Workspace) -> None:
        existing = {
            p.key: p
            for p in self.session.scalars(select(Project).where(Project.workspace_id == workspace.id))
        }
        for entry in self.document.projects:
            project = existing.get(entry.key)
            created = project is None
            if project is None:
                project = Project(workspace_id=workspace.id, key=entry.key)
                self.session.add(project)
            changed = _assign(
                project,
                name=entry.name,
                description=entry.description,
                status=entry.status,
                channel_id=entry.channel,
                private=entry.private,
                lead_id=self.person_ids[entry.lead],
            )
            changed |= self.memberships(project, entry)
            self.count(created, changed)
            self.milestones(project, entry.milestones)
            self.blockers(project, entry.blockers)

    def memberships(self, project: Project, entry: ProjectEntry) -> bool:
        # Position is the order in the file, so export writes members back in the same order.
        wanted: dict[int, tuple[Role, int]] = {}
        for position, slack_id in enumerate(entry.members):
            role = Role.LEAD if slack_id == entry.lead else Role.MEMBER
            wanted[self.person_ids[slack_id]] = (role, position)
        for offset, slack_id in enumerate(entry.viewers):
            wanted[self.person_ids[slack_id]] = (Role.VIEWER, len(entry.members) + offset)
        changed = False
        for membership in list(project.memberships):
            if membership.person_id in wanted:
                role, position = wanted.pop(membership.person_id)
                changed |= _assign(membership, role=role, position=position)
            else:
                project.memberships.remove(membership)
                changed = True
        for person_id, (role, position) in wanted.items():
            project.memberships.append(Membership(person_id=person_id, role=role, position=position))
            changed = True
        return changed

    def milestones(self, project: Project, entries: Sequence[MilestoneEntry]) -> None:
        by_title = {m.title: m for m in project.milestones}
        next_number = max((m.number for m in project.milestones), default=0) + 1
        for entry in entries:
            milestone = by_title.get(entry.title)
            created = milestone is None
            if milestone is None:
                milestone = Milestone(number=next_number, title=entry.title)
                next_number += 1
                project.milestones.append(milestone)
            changed = _assign(
                milestone,
                due_at=self.utc(entry.due),
                due_timezone=entry.timezone,
                owner_id=self.person_ids[entry.owner] if entry.owner is not None else None,
                status=entry.status,
                done_at=self.utc(entry.done_at),
            )
            self.count(created, changed)

    def blockers(self, project: Project, entries: Sequence[BlockerEntry]) -> None:
        by_text = {b.text: b for b in project.blockers}
        next_number = max((b.number for b in project.blockers), default=0) + 1
        for entry in entries:
            blocker = by_text.get(entry.text)
            created = blocker is None
            if blocker is None:
                blocker = Blocker(number=next_number, text=entry.text)
                next_number += 1
                project.blockers.append(blocker)
            changed = _assign(
                blocker,
                raised_by_id=self.person_ids[entry.raised_by],
                raised_at=self.utc(entry.raised_at),
                resolved_at=self.utc(entry.resolved_at),
                resolved_by_id=self.person_ids[entry.resolved_by] if entry.resolved_by is not None else None,
            )
            self.count(created, changed)


def import_workspace(
    session: Session,
    document: WorkspaceDocument,
    *,
    today: date,
    rebase_dates: bool = False,
    actor: str = "import",
    now: datetime | None = None,
    reminders: ReminderPolicy | None = None,
) -> ImportReport:
    """Create or update a workspace from a validated document, in the caller's transaction.

    Args:
        session: Session inside a transaction the caller owns (`session.begin()`); never committed here.
        document: From `load_workspace_document` or `parse_workspace_document`.
        today: The date rebased files are moved to.
        rebase_dates: Shift every date and time by the whole weeks nearest to `today - as_of`
            (wall clock, in its zone; see `rebase_shift`).
        actor: Who imported, for the audit entry.
        now: When, for the audit entry and reminder planning; defaults to the system clock.
        reminders: The settings' reminder defaults (`Settings.reminder_policy`); built-in if None.

    Returns:
        Counts of what the file holds and of the rows created and changed.

    Raises:
        WorkspaceFileError: If `rebase_dates` is set but the file has no `as_of`; nothing is written.
    """
    as_of = document.workspace.as_of
    if rebase_dates and as_of is None:
        raise WorkspaceFileError(
            [Problem(document.workspace.line, "workspace: 'as_of' is required to rebase dates")],
            document.source,
        )
    shift = rebase_shift(as_of, today) if rebase_dates and as_of is not None else 0
    importer = _Importer(session, document, shift)
    workspace = importer.workspace()
    importer.people(workspace)
    importer.projects(workspace)
    at = now if now is not None else SystemClock().now()
    # Same transaction: moved, reassigned or completed milestones get their reminders replanned.
    session.flush()
    replan_workspace(session, workspace.id, at, defaults=reminders or ReminderPolicy())
    report = ImportReport(
        workspace_id=workspace.id,
        people=len(document.people),
        projects=len(document.projects),
        milestones=sum(len(p.milestones) for p in document.projects),
        blockers=sum(len(p.blockers) for p in document.projects),
        created=importer.created,
        updated=importer.updated,
        shift_days=shift,
        warnings=tuple(f"{document.source}:{w.line or 1}: {w.message}" for w in document.warnings),
    )
    session.add(
        AuditEntry(
            workspace_id=workspace.id,
            actor=actor,
            action="import",
            entity="workspace",
            entity_id=workspace.id,
            detail=(
                f"{document.source}: {report.people} people, {report.projects} projects, "
                f"{report.milestones} milestones, {report.blockers} blockers; "
                f"{report.created} created, {report.updated} updated; dates shifted by {shift} days"
            ),
            at=at,
        )
    )
    session.flush()
    return report


def import_workspace_file(
    session: Session,
    path: Path,
    *,
    today: date,
    rebase_dates: bool = False,
    actor: str = "import",
    now: datetime | None = None,
    reminders: ReminderPolicy | None = None,
) -> ImportReport:
    """Load, validate and import a workspace file; see `import_workspace`.

    Args:
        session: Session inside a transaction the caller owns.
        path: The YAML file.
        today: The date rebased files are moved to.
        rebase_dates: Shift every date by the whole weeks nearest to `today - as_of`.
        actor: Who imported, for the audit entry.
        now: When, for the audit entry and reminder planning; defaults to the system clock.
        reminders: The settings' reminder defaults.

    Returns:
        The import report.

    Raises:
        WorkspaceFileError: If the file has any problem; nothing is written then.
    """
    document = load_workspace_document(path)
    return import_workspace(
        session, document, today=today, rebase_dates=rebase_dates, actor=actor, now=now, reminders=reminders
    )
