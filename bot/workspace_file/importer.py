"""Importing a workspace document into the database, as an upsert in the caller's transaction.

Import is an upsert, so importing the same file twice changes nothing. The workspace is matched by
`slack_team_id` if the file gives one, else by name; people by Slack id; projects by key; milestones
by `id` (their number) if the file gives one, else by title, and blockers by `id`, else by text, within
their project, so a new title with a known id is a rename. Fields of the entities the file lists are
taken from the file (an optional field left out becomes empty), and so are the memberships of the
projects it lists. Milestones, blockers and people that the file does not mention are kept, because
they may have been created in Slack, unless the import prunes (`prune`). Reminder policies and
personal opt-outs the file leaves out are kept too.

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

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.checkins.admin import import_schedule
from bot.clock import SystemClock
from bot.domain.reminders import ReminderPolicy
from bot.experts.profile_version import bump_profiles_version
from bot.experts.sources.store import link_record
from bot.models import (
    INCLUDE_DELETED,
    AuditEntry,
    Blocker,
    FeedOptOut,
    Membership,
    Milestone,
    MilestoneDependency,
    Person,
    Project,
    Publication,
    ReminderPolicySetting,
    Role,
    Workspace,
)
from bot.projects.milestone_details import dumps_links
from bot.publications.replan import PlanningDefaults
from bot.reminders.planning import replan_workspace
from bot.workspace_file.agreements import import_agreements
from bot.workspace_file.document import (
    POLICY_KEYS,
    BlockerEntry,
    MilestoneEntry,
    PolicyEntry,
    Problem,
    ProjectEntry,
    PublicationEntry,
    WorkspaceDocument,
    WorkspaceFileError,
)
from bot.workspace_file.parse import load_workspace_document
from bot.workspace_file.publications import import_publications

__all__ = ["ImportReport", "import_workspace", "import_workspace_file", "rebase_shift"]

_Numbered = TypeVar("_Numbered", Milestone, Blocker)


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
        plan: Every change, one line each ("create milestone pcm-3 …", "rename pcm-2 …", "remove …"),
            what `liaison import --dry-run` prints.
        removed: Rows pruned (projects archived, milestones and blockers deleted); 0 without `prune`.
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
    plan: tuple[str, ...] = ()
    removed: int = 0


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


def _free_numbers(start: int, claimed: set[int]) -> Iterator[int]:
    """Numbers for new rows without an id: from `start` on (numbers are never reused), skipping ids the
    file gives, so a fresh import numbers a file's milestones in file order around its written ids."""
    number = start
    while True:
        if number not in claimed:
            yield number
        number += 1


class _Importer:
    """Upserts one validated document; counts what it creates and changes, and writes down its plan."""

    def __init__(
        self, session: Session, document: WorkspaceDocument, shift: int, *, prune: bool, now: datetime
    ) -> None:
        self.session = session
        self.document = document
        self.shift = shift
        self.prune = prune
        self.now = now
        self.created = 0
        self.updated = 0
        self.removed = 0
        self.plan: list[str] = []
        self.person_ids: dict[str, int] = {}
        # Milestones by (project key, file id), and each listed milestone with its entry.
        self.by_file_id: dict[tuple[str, int], Milestone] = {}
        self.listed: list[tuple[str, Milestone, MilestoneEntry]] = []

    def count(self, created: bool, changed: bool, label: str = "") -> None:
        if created:
            self.created += 1
            self.plan.append(f"create {label}")
        elif changed:
            self.updated += 1
            self.plan.append(f"update {label}")

    def remove(self, label: str) -> None:
        self.removed += 1
        self.plan.append(f"remove {label}")

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
        self.count(created, changed, f"workspace '{entry.name}'")
        self.session.flush()
        self.policy(workspace.id, "workspace", None, entry.reminders, f"workspace '{entry.name}'")
        return workspace

    def policy(
        self, workspace_id: int, scope: str, project_id: int | None, entry: PolicyEntry | None, label: str
    ) -> None:
        # No `reminders` key keeps what `/milestone remind` set; a written one decides every rule
        # (a rule it leaves out inherits again).
        if entry is None:
            return
        row = self.session.scalars(
            select(ReminderPolicySetting).where(
                ReminderPolicySetting.workspace_id == workspace_id, ReminderPolicySetting.scope == scope
            )
        ).first()
        created = row is None
        if row is None:
            row = ReminderPolicySetting(workspace_id=workspace_id, scope=scope, project_id=project_id)
            self.session.add(row)
        values = dict.fromkeys(POLICY_KEYS) | dict(entry.values)
        changed = _assign(row, **values)
        if created or changed:
            row.updated_at = self.now
            row.updated_by = "import"
        self.count(created, changed, f"reminder policy of {label}")

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
            if entry.waiting_digest is not None:
                changed |= _assign(person, waiting_digest_opt_out=not entry.waiting_digest)
            changed |= self.publications(person, entry.publications)
            self.count(created, changed, f"person {entry.slack_id}")
            profiles_changed |= created or changed
        if profiles_changed:
            bump_profiles_version(self.session, workspace.id)
        self.session.flush()
        self.person_ids = {slack_id: person.id for slack_id, person in existing.items()}
        self.opt_outs()

    def opt_outs(self) -> None:
        for entry in self.document.people:
            if entry.orcid is not None and link_record(
                self.session, self.person_ids[entry.slack_id], "orcid", entry.orcid, self.now
            ):
                self.plan.append(f"update person {entry.slack_id}: orcid {entry.orcid}")
            if entry.notifications is None:
                continue
            person_id = self.person_ids[entry.slack_id]
            row = self.session.get(FeedOptOut, person_id)
            if entry.notifications and row is not None:
                self.session.delete(row)
                self.plan.append(f"update person {entry.slack_id}: notifications on")
            elif not entry.notifications and row is None:
                self.session.add(FeedOptOut(person_id=person_id, since=self.now))
                self.plan.append(f"update person {entry.slack_id}: notifications off")

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
            if entry.archived and project.archived_at is None:
                project.archived_at = self.now
                changed = True
            elif not entry.archived and self.prune and project.archived_at is not None:
                # The file is the whole truth under --prune: a project it lists unarchived is not archived.
                project.archived_at = None
                changed = True
            changed |= self.memberships(project, entry)
            self.count(created, changed, f"project {entry.key}")
            self.session.flush()
            self.policy(
                workspace.id, f"project:{project.id}", project.id, entry.reminders, f"project {entry.key}"
            )
            if import_schedule(self.session, project, entry.checkins, self.now):
                self.plan.append(f"update project {entry.key}: checkins {entry.checkins}")
            self.milestones(project, entry.milestones)
            self.blockers(project, entry.blockers)
        if self.prune:
            listed = {entry.key for entry in self.document.projects}
            for key, project in sorted(existing.items()):
                if key not in listed and project.archived_at is None:
                    project.archived_at = self.now
                    self.removed += 1
                    self.plan.append(f"archive project {key}")

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

    def dependencies(self) -> None:
        """The file decides what each milestone it lists comes after."""
        self.session.flush()
        listed_ids = [milestone.id for _, milestone, _ in self.listed]
        current: dict[int, set[int]] = {}
        for row in self.session.scalars(
            select(MilestoneDependency).where(MilestoneDependency.milestone_id.in_(listed_ids))
        ):
            current.setdefault(row.milestone_id, set()).add(row.depends_on_id)
        for key, milestone, entry in self.listed:
            wanted = {self.by_file_id[ref].id for ref in entry.depends_on if ref in self.by_file_id}
            have = current.get(milestone.id, set())
            if wanted == have:
                continue
            for depends_on_id in have - wanted:
                self.session.delete(self.session.get(MilestoneDependency, (milestone.id, depends_on_id)))
            for depends_on_id in sorted(wanted - have):
                self.session.add(MilestoneDependency(milestone_id=milestone.id, depends_on_id=depends_on_id))
            self.plan.append(f"update milestone {key}-{milestone.number}: depends on {len(wanted)}")

    def all_rows(self, project: Project, numbered: type[_Numbered]) -> list[_Numbered]:
        """A project's milestones or blockers, soft-deleted ones included (they keep their numbers)."""
        if project.id is None:
            return []
        return list(
            self.session.scalars(
                select(numbered)
                .where(numbered.project_id == project.id)
                .order_by(numbered.number)
                .execution_options(**{INCLUDE_DELETED: True})
            )
        )

    def restore(self, row: Milestone | Blocker) -> bool:
        if row.deleted_at is None:
            return False
        row.deleted_at = None
        return True

    def milestones(self, project: Project, entries: Sequence[MilestoneEntry]) -> None:
        rows = self.all_rows(project, Milestone)
        by_number = {m.number: m for m in rows}
        by_title = {m.title: m for m in rows}
        claimed = {entry.id for entry in entries if entry.id is not None}
        free = _free_numbers(max(by_number, default=0) + 1, claimed)
        seen: set[int] = set()
        for entry in entries:
            milestone = by_number.get(entry.id) if entry.id is not None else None
            if milestone is None:
                milestone = by_title.get(entry.title)
                # A title another entry's id renames away is that entry's, not this one's; an id the
                # database does not have falls back to the title (the number stays the database's).
                if milestone is not None and (milestone.number in claimed or milestone.number in seen):
                    milestone = None
            created = milestone is None
            if milestone is None:
                number = entry.id if entry.id is not None else next(free)
                milestone = Milestone(number=number, title=entry.title)
                project.milestones.append(milestone)
            label = f"milestone {project.key}-{milestone.number}"
            if not created and milestone.title != entry.title:
                self.plan.append(f"rename {label} '{milestone.title}' to '{entry.title}'")
            seen.add(milestone.number)
            changed = self.restore(milestone)
            changed |= _assign(
                milestone,
                description=entry.description,
                links=dumps_links(entry.links),
                title=entry.title,
                due_at=self.utc(entry.due),
                due_timezone=entry.timezone,
                owner_id=self.person_ids[entry.owner] if entry.owner is not None else None,
                status=entry.status,
                done_at=self.utc(entry.done_at),
            )
            self.count(created, changed, f"{label} '{entry.title}'")
            if entry.id is not None:
                self.by_file_id[(project.key, entry.id)] = milestone
            self.listed.append((project.key, milestone, entry))
        if self.prune:
            for milestone in rows:
                if milestone.number not in seen and milestone.deleted_at is None:
                    milestone.deleted_at = self.now
                    self.remove(f"milestone {project.key}-{milestone.number} '{milestone.title}'")

    def blockers(self, project: Project, entries: Sequence[BlockerEntry]) -> None:
        self.session.flush()  # milestone ids, for the blockers' `milestone`
        rows = self.all_rows(project, Blocker)
        by_number = {b.number: b for b in rows}
        by_text = {b.text: b for b in rows if b.deleted_at is None}
        claimed = {entry.id for entry in entries if entry.id is not None}
        free = _free_numbers(max(by_number, default=0) + 1, claimed)
        seen: set[int] = set()
        for entry in entries:
            blocker = by_number.get(entry.id) if entry.id is not None else None
            if blocker is None:
                blocker = by_text.get(entry.text)
                if blocker is not None and (blocker.number in claimed or blocker.number in seen):
                    blocker = None
            created = blocker is None
            if blocker is None:
                number = entry.id if entry.id is not None else next(free)
                blocker = Blocker(number=number, text=entry.text)
                project.blockers.append(blocker)
            seen.add(blocker.number)
            changed = self.restore(blocker)
            on = self.by_file_id.get((project.key, entry.milestone)) if entry.milestone is not None else None
            changed |= _assign(
                blocker,
                milestone_id=on.id if on is not None else None,
                text=entry.text,
                raised_by_id=self.person_ids[entry.raised_by],
                raised_at=self.utc(entry.raised_at),
                resolved_at=self.utc(entry.resolved_at),
                resolved_by_id=self.person_ids[entry.resolved_by] if entry.resolved_by is not None else None,
            )
            self.count(created, changed, f"blocker {project.key}-b{blocker.number}")
        if self.prune:
            for blocker in rows:
                if blocker.number not in seen and blocker.deleted_at is None:
                    blocker.deleted_at = self.now
                    self.remove(f"blocker {project.key}-b{blocker.number}")


def import_workspace(
    session: Session,
    document: WorkspaceDocument,
    *,
    today: date,
    rebase_dates: bool = False,
    actor: str = "import",
    now: datetime | None = None,
    reminders: ReminderPolicy | None = None,
    prune: bool = False,
) -> ImportReport:
    """Create or update a workspace from a validated document, in the caller's transaction.

    With `prune`, what the file no longer lists goes: projects of the workspace it does not list are
    archived, and milestones and blockers of the projects it lists are soft-deleted (they keep their
    numbers; listing them again restores them). People are never removed. For a dry run, import
    with a session that the caller rolls back and print `ImportReport.plan`.

    Args:
        session: Session inside a transaction the caller owns (`session.begin()`); never committed here.
        document: From `load_workspace_document` or `parse_workspace_document`.
        today: The date rebased files are moved to.
        rebase_dates: Shift every date and time by the whole weeks nearest to `today - as_of`
            (wall clock, in its zone; see `rebase_shift`).
        actor: Who imported, for the audit entry.
        now: When, for the audit entry and reminder planning; defaults to the system clock.
        reminders: The settings' reminder defaults (`Settings.reminder_policy`); built-in if None.
        prune: Remove what the file no longer lists (see above).

    Returns:
        Counts of what the file holds and of the rows created and changed, and the plan.

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
    at = now if now is not None else SystemClock().now()
    importer = _Importer(session, document, shift, prune=prune, now=at)
    workspace = importer.workspace()
    importer.people(workspace)
    importer.projects(workspace)
    importer.dependencies()
    # Agreements (optional section) are listed in the plan, not in the counts of core records.
    import_agreements(
        session,
        workspace.id,
        document.agreements,
        shift=shift,
        today=today,
        milestones=importer.by_file_id,
        prune=prune,
        now=at,
        plan=importer.plan,
    )
    # Venues and papers (optional sections), after the agreements: papers are back-planned from their
    # review windows. Listed in the plan too.
    import_publications(
        session,
        workspace.id,
        document.venues,
        document.papers,
        shift=shift,
        prune=prune,
        now=at,
        defaults=PlanningDefaults(reminders=reminders),
        plan=importer.plan,
    )
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
        plan=tuple(importer.plan),
        removed=importer.removed,
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
                f"{report.created} created, {report.updated} updated, {report.removed} removed; "
                f"dates shifted by {shift} days"
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
    prune: bool = False,
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
        prune: Remove what the file no longer lists.

    Returns:
        The import report.

    Raises:
        WorkspaceFileError: If the file has any problem; nothing is written then.
    """
    document = load_workspace_document(path)
    return import_workspace(
        session,
        document,
        today=today,
        rebase_dates=rebase_dates,
        actor=actor,
        now=now,
        reminders=reminders,
        prune=prune,
    )
