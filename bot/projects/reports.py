"""Read models: frozen snapshots of projects, milestones and blockers for rendering.

Built inside the request's session and safe to use after it closes, so renderers never touch the ORM.
Two ways to build them: from ORM objects a command already loaded to change them (`milestone_line`,
`project_line`…), and, for the read-only commands every user runs (`/project status`, `/project list`,
`/milestone next`, `/blocker list`), straight from rows (`status_report`, `project_lines`,
`upcoming_milestones`, `open_blockers`): each selects only the columns its reply shows, with statements
built once per process and run with bound parameters. Building a statement and loading ORM objects
cost several times more than the query itself; the issue's "leaner commands" measures both
(bench/command_cpu.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from functools import cache
from typing import Any

from sqlalchemy import (
    Integer,
    Row,
    Select,
    and_,
    bindparam,
    cast,
    func,
    literal_column,
    null,
    select,
    text,
    union_all,
)
from sqlalchemy.exc import NoResultFound
from sqlalchemy.orm import Session, aliased

from bot.access import (
    Actor,
    Visibility,
    bound_visible_condition,
    read_rows,
    visibility_of,
    visibility_params,
)
from bot.agreements.waiting import WaitingOn, waited_on_select, waiting_on_values
from bot.models import Blocker, Membership, Milestone, MilestoneStatus, Person, Project, ProjectStatus, Role
from bot.projects.milestone_details import dependency_refs_select, loads_links


@dataclass(frozen=True)
class PersonRef:
    """A person as shown in answers."""

    slack_id: str
    name: str


@dataclass(frozen=True)
class MemberLine:
    """One member of a project, with the discipline that makes the team cross-disciplinary."""

    person: PersonRef
    role: Role
    discipline: str | None
    organisation: str | None
    until: date | None = None  # their last day, if they leave (students, interns)


@dataclass(frozen=True)
class MilestoneLine:
    """A milestone with what is needed to show it in the viewer's time zone."""

    ref: str
    project_key: str
    project_name: str
    title: str
    due_at: datetime
    due_zone: str
    owner: PersonRef | None
    status: MilestoneStatus
    done_at: datetime | None
    overdue: bool
    # Richer records (docs/workspace-format.md): the row id, what it is, its links and the refs of the
    # milestones it comes after (`after`, filled by `with_dependencies`).
    id: int | None = None
    description: str | None = None
    links: tuple[str, ...] = ()
    after: tuple[str, ...] = ()
    # Unsigned agreements it requires (`/agreement require`), filled by `with_dependencies` too.
    waiting_on: tuple[WaitingOn, ...] = ()


@dataclass(frozen=True)
class BlockerLine:
    """An open or resolved blocker."""

    ref: str
    project_key: str
    text: str
    raised_by: PersonRef | None
    raised_at: datetime
    resolved_at: datetime | None
    milestone: str | None = None  # the ref of the milestone it holds up


@dataclass(frozen=True)
class ProjectLine:
    """A project in a list."""

    key: str
    name: str
    status: ProjectStatus
    private: bool
    lead: PersonRef | None
    channel_id: str | None
    my_role: Role | None
    member_count: int
    archived: bool = False


@dataclass(frozen=True)
class ProjectStatusReport:
    """Everything `/project status` shows."""

    project: ProjectLine
    description: str
    members: tuple[MemberLine, ...]
    next_milestones: tuple[MilestoneLine, ...]
    overdue: tuple[MilestoneLine, ...]
    open_blockers: tuple[BlockerLine, ...]


def person_ref(person: Person | None) -> PersonRef | None:
    """Snapshot a person, or None."""
    return PersonRef(person.slack_id, person.name) if person is not None else None


def milestone_ref(milestone: Milestone) -> str:
    """The id users type for a milestone: `KEY-NUMBER`."""
    return f"{milestone.project.key}-{milestone.number}"


def blocker_ref(blocker: Blocker) -> str:
    """The id users type for a blocker: `KEY-bNUMBER`."""
    return f"{blocker.project.key}-b{blocker.number}"


def milestone_line(milestone: Milestone, now: datetime) -> MilestoneLine:
    """Snapshot a milestone; overdue means open and due before `now`."""
    return MilestoneLine(
        ref=milestone_ref(milestone),
        project_key=milestone.project.key,
        project_name=milestone.project.name,
        title=milestone.title,
        due_at=milestone.due_at,
        due_zone=milestone.due_timezone,
        owner=person_ref(milestone.owner),
        status=milestone.status,
        done_at=milestone.done_at,
        overdue=milestone.status == MilestoneStatus.OPEN and milestone.due_at < now,
        id=milestone.id,
        description=milestone.description,
        links=loads_links(milestone.links),
    )


def with_dependencies(session: Session, lines: Sequence[MilestoneLine]) -> list[MilestoneLine]:
    """The lines with `after` (the refs of the milestones each comes after) and `waiting_on` (the unsigned
    agreements each requires) filled in. One query."""
    ids = sorted({line.id for line in lines if line.id is not None})
    if not ids:
        return list(lines)
    found = _Dependencies()
    for row in read_rows(session, _after_and_waiting_statement(), {"milestone_ids": ids}):
        found.add(row.milestone_id, row.key, row.number, row.status, row.since)
    return found.fill(lines)


@dataclass
class _Dependencies:
    """What milestones come after (refs) and the agreements they wait on, by milestone id, as read."""

    refs: dict[int, list[str]] = field(default_factory=dict)
    waits: dict[int, list[WaitingOn]] = field(default_factory=dict)

    def add(self, milestone_id: int, key: str, number: int | None, status: str | None, since: Any) -> None:
        """One row of `_after_and_waiting_statement`'s columns (`number` set: a milestone come after)."""
        if number is not None:
            self.refs.setdefault(milestone_id, []).append(f"{key}-{number}")
        else:
            self.waits.setdefault(milestone_id, []).append(waiting_on_values(key, status or "", since))

    def fill(self, lines: Sequence[MilestoneLine]) -> list[MilestoneLine]:
        """The lines with `after` and `waiting_on` set from what was read."""
        return [
            replace(
                line,
                after=tuple(self.refs.get(line.id, line.after)),
                waiting_on=tuple(self.waits.get(line.id, ())),
            )
            if line.id in self.refs or line.id in self.waits
            else line
            for line in lines
        ]


def blocker_line(blocker: Blocker) -> BlockerLine:
    """Snapshot a blocker."""
    return BlockerLine(
        ref=blocker_ref(blocker),
        project_key=blocker.project.key,
        text=blocker.text,
        raised_by=person_ref(blocker.raised_by),
        raised_at=blocker.raised_at,
        resolved_at=blocker.resolved_at,
        milestone=f"{blocker.project.key}-{blocker.held_up.number}" if blocker.held_up is not None else None,
    )


def project_line(project: Project, my_role: Role | None) -> ProjectLine:
    """Snapshot a project for lists."""
    return ProjectLine(
        key=project.key,
        name=project.name,
        status=project.status,
        private=project.private,
        lead=person_ref(project.lead),
        channel_id=project.channel_id,
        my_role=my_role,
        member_count=sum(1 for m in project.memberships if m.role != Role.VIEWER),
    )


def member_lines(project: Project) -> tuple[MemberLine, ...]:
    """Members in their listed order, lead first."""
    ordered = sorted(project.memberships, key=lambda m: (m.role != Role.LEAD, m.position, m.person.name))
    return tuple(
        MemberLine(
            PersonRef(m.person.slack_id, m.person.name),
            m.role,
            m.person.discipline,
            m.person.organisation,
            m.person.until,
        )
        for m in ordered
    )


# -- straight from rows ---------------------------------------------------------------------------


def person_ref_of(slack_id: str | None, name: str | None) -> PersonRef | None:
    return PersonRef(slack_id, name) if slack_id is not None and name is not None else None


def status_report(session: Session, actor: Actor, project_id: int, now: datetime) -> ProjectStatusReport:
    """What `/project status` shows of a project the actor may see (found by `match_project`).

    One query, whatever the project's size (`_status_statement`): the project with its lead and
    members, its open blockers with who raised them, and its open milestones with their owners, what
    they come after and the agreements they wait on.
    """
    rows = read_rows(session, _status_statement(), {"project_id": project_id}).all()
    project_rows = [row for row in rows if row.part == _MEMBER_ROW]
    if not project_rows:
        raise NoResultFound(f"no project {project_id}")  # as `.one()` would: the caller just found it
    project = project_rows[0]
    members = [row for row in project_rows if row.person_id is not None]
    my_role = next((m.role for m in members if m.person_id == actor.person_id), None)
    line = ProjectLine(
        key=project.key,
        name=project.project_name,
        status=project.project_status,
        private=project.private,
        lead=person_ref_of(project.lead_slack_id, project.lead_name),
        channel_id=project.channel_id,
        my_role=my_role if actor.person_id is not None else None,
        member_count=sum(1 for m in members if m.role != Role.VIEWER),
        archived=project.archived_at is not None,
    )
    ordered = sorted(members, key=lambda m: (m.role != Role.LEAD, m.position, m.name))
    # Open milestones, each with what it comes after and waits on (a row per dependency).
    milestones: list[MilestoneLine] = []
    found = _Dependencies()
    for row in rows:
        if row.part != _MILESTONE_ROW:
            continue
        if not milestones or milestones[-1].id != row.id:
            milestones.append(milestone_line_of_row(project.key, project.project_name, row, now))
        if row.dep_key is not None:
            found.add(row.id, row.dep_key, row.dep_number, row.dep_status, row.dep_since)
    # The next three and every overdue one.
    shown = found.fill([m for m in milestones if not m.overdue][:3] + [m for m in milestones if m.overdue])
    return ProjectStatusReport(
        project=line,
        description=project.project_description,
        members=tuple(
            MemberLine(PersonRef(m.slack_id, m.name), m.role, m.discipline, m.organisation, m.until)
            for m in ordered
        ),
        next_milestones=tuple(m for m in shown if not m.overdue),
        overdue=tuple(m for m in shown if m.overdue),
        open_blockers=tuple(_blocker_line(project.key, row) for row in rows if row.part == _BLOCKER_ROW),
    )


def project_lines(
    session: Session, actor: Actor, *, mine: bool, archived: bool | None = False
) -> list[ProjectLine]:
    """`/project list`: the projects the actor may see (with `mine`, those they have a role on), by key.

    One query: each project with its lead, its member count and the actor's role. `archived`: False
    leaves archived projects out (the default), True lists only them, None lists both.
    """
    visibility = visibility_of(actor)
    rows = read_rows(session, _project_lines_statement(visibility), visibility_params(actor))
    lines = [
        ProjectLine(
            key=row.key,
            name=row.name,
            status=row.status,
            private=row.private,
            lead=person_ref_of(row.lead_slack_id, row.lead_name),
            channel_id=row.channel_id,
            my_role=row.my_role,
            member_count=row.member_count,
            archived=row.archived_at is not None,
        )
        for row in rows
        if archived is None or (row.archived_at is not None) == archived
    ]
    return [line for line in lines if line.my_role is not None] if mine else lines


def upcoming_milestones(
    session: Session, actor: Actor, start: datetime, end: datetime
) -> list[MilestoneLine]:
    """Open milestones the actor owns on projects they may see, due from `start` to `end`, by due time.

    Args:
        session: The request's session.
        actor: Whose milestones; someone Liaison does not know owns none.
        start: The current instant (earlier ones are overdue, listed elsewhere).
        end: The end of the window (inclusive).
    """
    if actor.person_id is None:
        return []
    visibility = visibility_of(actor)
    rows = read_rows(
        session, _upcoming_statement(visibility), {**visibility_params(actor), "start": start, "end": end}
    )
    return [milestone_line_of_row(row.project_key, row.project_name, row, start) for row in rows]


def open_blockers(session: Session, actor: Actor, project_id: int | None) -> list[BlockerLine]:
    """Open blockers of one project the actor may see (found by `match_project`), or of every such
    project: by project key, then number. One query."""
    if project_id is not None:
        rows = read_rows(session, _blockers_statement(None), {"project_id": project_id})
    else:
        visibility = visibility_of(actor)
        rows = read_rows(session, _blockers_statement(visibility), visibility_params(actor))
    return [_blocker_line(row.project_key, row) for row in rows]


def project_key_and_status(
    session: Session, project_id: int, actor: Actor | None = None
) -> tuple[str, ProjectStatus]:
    """The key and status of a project found by `match_project`: what `/blocker list PROJECT` shows of
    the project besides its blockers (`open_blockers`). Taken from what was read with the actor
    (`Actor.visible_projects`) when it was, else read (one query, no ORM objects)."""
    for project in (actor.visible_projects if actor is not None else None) or ():
        if project.id == project_id:
            return project.key, project.status
    row = read_rows(session, _key_and_status_statement(), {"project_id": project_id}).one()
    return row.key, row.status


def milestone_line_of_row(key: str, name: str, row: Row[Any], now: datetime) -> MilestoneLine:
    return MilestoneLine(
        ref=f"{key}-{row.number}",
        project_key=key,
        project_name=name,
        title=row.title,
        due_at=row.due_at,
        due_zone=row.due_timezone,
        owner=person_ref_of(row.owner_slack_id, row.owner_name),
        status=row.status,
        done_at=row.done_at,
        overdue=row.status == MilestoneStatus.OPEN and row.due_at < now,
        id=row.id,
        description=row.description,
        links=loads_links(row.links),
    )


def _blocker_line(key: str, row: Row[Any]) -> BlockerLine:
    return BlockerLine(
        ref=f"{key}-b{row.number}",
        project_key=key,
        text=row.text,
        raised_by=person_ref_of(row.raised_by_slack_id, row.raised_by_name),
        raised_at=row.raised_at,
        resolved_at=row.resolved_at,
        milestone=f"{key}-{row.milestone_number}" if row.milestone_number is not None else None,
    )


_Statement = Select[*tuple[Any, ...]]

# The statements, each built once per process (the first time it is needed) and run with bound
# parameters: `project_id`, or the actor's (`visibility_params`).


def _project_id() -> Any:
    return bindparam("project_id", type_=Integer)


def milestone_columns() -> tuple[Any, ...]:
    return (
        Milestone.number,
        Milestone.title,
        Milestone.due_at,
        Milestone.due_timezone,
        Milestone.status,
        Milestone.done_at,
        Person.slack_id.label("owner_slack_id"),
        Person.name.label("owner_name"),
        Milestone.id,
        Milestone.description,
        Milestone.links,
    )


def _blocker_columns() -> tuple[Any, ...]:
    return (
        Blocker.number,
        Blocker.text,
        Blocker.raised_at,
        Blocker.resolved_at,
        Person.slack_id.label("raised_by_slack_id"),
        Person.name.label("raised_by_name"),
        _blocker_milestone_number(),
    )


def _blocker_milestone_number() -> Any:
    # The number of the (live) milestone a blocker holds up; NULL when none.
    held_up = aliased(Milestone)
    return (
        select(held_up.number)
        .where(held_up.id == Blocker.milestone_id, held_up.deleted_at.is_(None))
        .correlate(Blocker)
        .scalar_subquery()
        .label("milestone_number")
    )


@cache
def _after_and_waiting_statement() -> Any:
    # What milestones come after and the agreements they wait on, in one statement (one round trip
    # fewer for every command that lists milestones); `number` is set on the rows of the first kind.
    return union_all(dependency_refs_select(), waited_on_select()).order_by(
        text("milestone_id"), text("key"), text("number")
    )


# `part` of a row of `_status_statement`.
_MEMBER_ROW = "member"
_BLOCKER_ROW = "blocker"
_MILESTONE_ROW = "milestone"


@cache
def _status_statement() -> Any:
    # `/project status` reads in one round trip the project with its lead and members (a row per
    # member, each with the project's columns), its open blockers (a row per blocker) and its open
    # milestones with what each comes after and waits on (a row per dependency): three SELECTs under
    # one column list, each leaving the others' columns NULL (`part` tells them apart).
    # Blockers and milestones share `number`; the project's `status` and `description` are renamed so
    # that a milestone row reads as `milestone_line_of_row` expects.
    lead = aliased(Person)
    member = _by_name(
        Project.key,
        Project.name.label("project_name"),
        Project.status.label("project_status"),
        Project.private,
        Project.channel_id,
        Project.description.label("project_description"),
        Project.archived_at,
        lead.slack_id.label("lead_slack_id"),
        lead.name.label("lead_name"),
        Membership.person_id,
        Membership.role,
        Membership.position,
        Person.slack_id,
        Person.name,
        Person.discipline,
        Person.organisation,
        Person.until,
    )
    blocker = _by_name(*_blocker_columns())
    # What the project's milestones come after and wait on (`_after_and_waiting_statement`'s rows for
    # them), joined to the open ones below: a milestone with several dependencies comes once per
    # dependency, one without, once.
    project_milestones = select(Milestone.id).where(Milestone.project_id == _project_id())
    dependency = union_all(
        dependency_refs_select(project_milestones), waited_on_select(project_milestones)
    ).subquery("dependency")
    milestone = _by_name(
        *milestone_columns(),
        dependency.c.key.label("dep_key"),
        dependency.c.number.label("dep_number"),
        dependency.c.status.label("dep_status"),
        dependency.c.since.label("dep_since"),
    )
    slots = {**member, **blocker, **milestone}  # one column per name, in a fixed order

    def part(name: str, columns: dict[str, Any], *, first: bool = False) -> Select[Any]:
        # The first SELECT's NULLs are cast to their columns' types: PostgreSQL resolves the types of a
        # UNION two SELECTs at a time, and two untyped NULLs would make a text column. The later ones
        # are plain NULLs (the statement stays short enough for psycopg to cache its parsing).
        missing = _typed_null if first else _bare_null
        return select(
            literal_column(f"'{name}'").label("part"),
            *(columns[key] if key in columns else missing(column) for key, column in slots.items()),
        )

    members = (
        part(_MEMBER_ROW, member, first=True)
        .select_from(Project)
        .outerjoin(lead, Project.lead_id == lead.id)
        .outerjoin(Membership, Membership.project_id == Project.id)
        .outerjoin(Person, Membership.person_id == Person.id)
        .where(Project.id == _project_id())
    )
    blockers = (
        part(_BLOCKER_ROW, blocker)
        .select_from(Blocker)
        .outerjoin(Person, Blocker.raised_by_id == Person.id)
        .where(
            Blocker.project_id == _project_id(), Blocker.resolved_at.is_(None), Blocker.deleted_at.is_(None)
        )
    )
    milestones = (
        part(_MILESTONE_ROW, milestone)
        .select_from(Milestone)
        .outerjoin(Person, Milestone.owner_id == Person.id)
        .outerjoin(dependency, dependency.c.milestone_id == Milestone.id)
        .where(
            Milestone.project_id == _project_id(),
            Milestone.status == MilestoneStatus.OPEN,
            Milestone.deleted_at.is_(None),
        )
    )
    merged: Any = union_all(members, blockers, milestones)
    ordered = merged.selected_columns
    # Blockers by number; milestones by due time (those due at the same instant by number, as the
    # project's list orders them), each one's dependencies together, in their order. Members are
    # ordered in Python.
    return merged.order_by(ordered.part, ordered.due_at, ordered.number, ordered.dep_key, ordered.dep_number)


def _by_name(*columns: Any) -> dict[str, Any]:
    return {column.key: column for column in columns}


def _typed_null(column: Any) -> Any:
    """NULL cast to `column`'s type, under its name: the other SELECTs' columns in a UNION ALL."""
    return cast(null(), column.type).label(column.key)


def _bare_null(_column: Any) -> Any:
    """A NULL without a type or a name, for a later SELECT of a UNION ALL: the first SELECT's give the
    columns their types and names."""
    return literal_column("NULL")


@cache
def _key_and_status_statement() -> _Statement:
    return select(Project.key, Project.status).where(Project.id == _project_id())


@cache
def _blockers_statement(visibility: Visibility | None) -> _Statement:
    """Open blockers with their project's key: of one project (`visibility` None), or of every visible one."""
    # Every visible project's: archived ones are left out (read-only, hidden from lists and Home).
    where = (
        Blocker.project_id == _project_id()
        if visibility is None
        else and_(bound_visible_condition(visibility), Project.archived_at.is_(None))
    )
    return (
        select(Project.key.label("project_key"), *_blocker_columns())
        .join(Project, Blocker.project_id == Project.id)
        .outerjoin(Person, Blocker.raised_by_id == Person.id)
        .where(where, Blocker.resolved_at.is_(None), Blocker.deleted_at.is_(None))
        .order_by(Project.key, Blocker.number)
    )


@cache
def _project_lines_statement(visibility: Visibility) -> _Statement:
    member_count = (
        select(func.count())
        .where(Membership.project_id == Project.id, Membership.role != Role.VIEWER)
        .correlate(Project)
        .scalar_subquery()
    )
    my_role = (
        select(Membership.role)
        .where(
            Membership.project_id == Project.id, Membership.person_id == bindparam("person_id", type_=Integer)
        )
        .correlate(Project)
        .scalar_subquery()
    )
    return (
        select(
            Project.key,
            Project.name,
            Project.status,
            Project.private,
            Project.channel_id,
            Person.slack_id.label("lead_slack_id"),
            Person.name.label("lead_name"),
            member_count.label("member_count"),
            my_role.label("my_role"),
            Project.archived_at,
        )
        .outerjoin(Person, Project.lead_id == Person.id)
        .where(bound_visible_condition(visibility))
        .order_by(Project.key)
    )


@cache
def _upcoming_statement(visibility: Visibility) -> _Statement:
    return (
        select(Project.key.label("project_key"), Project.name.label("project_name"), *milestone_columns())
        .join(Project, Milestone.project_id == Project.id)
        .outerjoin(Person, Milestone.owner_id == Person.id)
        .where(
            bound_visible_condition(visibility),
            Project.archived_at.is_(None),
            Milestone.deleted_at.is_(None),
            and_(
                Milestone.owner_id == bindparam("person_id", type_=Integer),
                Milestone.status == MilestoneStatus.OPEN,
                Milestone.due_at >= bindparam("start"),
                Milestone.due_at <= bindparam("end"),
            ),
        )
        .order_by(Milestone.due_at, Milestone.id)
    )
