"""Read models: frozen snapshots of projects, milestones and blockers for rendering.

Built inside the request's session and safe to use after it closes, so renderers never touch the ORM.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.models import Blocker, Milestone, MilestoneStatus, Person, Project, ProjectStatus, Role


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


@dataclass(frozen=True)
class BlockerLine:
    """An open or resolved blocker."""

    ref: str
    project_key: str
    text: str
    raised_by: PersonRef | None
    raised_at: datetime
    resolved_at: datetime | None


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
    )


def blocker_line(blocker: Blocker) -> BlockerLine:
    """Snapshot a blocker."""
    return BlockerLine(
        ref=blocker_ref(blocker),
        project_key=blocker.project.key,
        text=blocker.text,
        raised_by=person_ref(blocker.raised_by),
        raised_at=blocker.raised_at,
        resolved_at=blocker.resolved_at,
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
            PersonRef(m.person.slack_id, m.person.name), m.role, m.person.discipline, m.person.organisation
        )
        for m in ordered
    )
