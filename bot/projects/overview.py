"""The alliance overview: each project's health in a line, for the admins' App Home and `liaison report`.

Read in a handful of grouped statements for the whole workspace (not per project), with the rows of
`bot.projects.reports` for the next milestone due.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, and_, case, func, select
from sqlalchemy.orm import Session

from bot.models import Blocker, Membership, Milestone, MilestoneStatus, Person, Project, ProjectStatus, Role
from bot.projects.reports import (
    MilestoneLine,
    PersonRef,
    milestone_columns,
    milestone_line_of_row,
    person_ref_of,
)


@dataclass(frozen=True)
class ProjectSummary:
    """One project's health in a line: what the admins' overview and `liaison report` show.

    Attributes:
        next_due: The next open milestone that is not overdue, if any.
        members: Members and the lead (viewers not counted).
    """

    key: str
    name: str
    status: ProjectStatus
    private: bool
    lead: PersonRef | None
    members: int
    open_milestones: int
    overdue: int
    next_due: MilestoneLine | None
    open_blockers: int


def project_summaries(session: Session, workspace_id: int, now: datetime) -> list[ProjectSummary]:
    """Every project of a workspace, private ones included (for admins and the CLI), by key.

    Five queries whatever the number of projects: the projects with their leads, then member,
    milestone and blocker counts, then each project's next milestone.

    Args:
        session: Any session; only reads.
        workspace_id: The workspace.
        now: What "overdue" and "next" are measured from.
    """
    projects = session.execute(
        select(
            Project.id,
            Project.key,
            Project.name,
            Project.status,
            Project.private,
            Person.slack_id,
            Person.name,
        )
        .outerjoin(Person, Project.lead_id == Person.id)
        .where(Project.workspace_id == workspace_id, Project.archived_at.is_(None))
        .order_by(Project.key)
    ).all()
    in_workspace = select(Project.id).where(Project.workspace_id == workspace_id)
    members = {
        project_id: int(count)
        for project_id, count in session.execute(
            select(Membership.project_id, func.count())
            .where(Membership.project_id.in_(in_workspace), Membership.role != Role.VIEWER)
            .group_by(Membership.project_id)
        )
    }
    open_milestone = and_(Milestone.project_id.in_(in_workspace), Milestone.status == MilestoneStatus.OPEN)
    late = func.sum(case((Milestone.due_at < now, 1), else_=0))
    milestones = {
        row[0]: (int(row[1]), int(row[2] or 0))
        for row in session.execute(
            select(Milestone.project_id, func.count(), late)
            .where(open_milestone)
            .group_by(Milestone.project_id)
        )
    }
    blockers = {
        project_id: int(count)
        for project_id, count in session.execute(
            select(Blocker.project_id, func.count())
            .where(Blocker.project_id.in_(in_workspace), Blocker.resolved_at.is_(None))
            .group_by(Blocker.project_id)
        )
    }
    first = (
        select(Milestone.project_id, func.min(Milestone.due_at).label("due_at"))
        .where(open_milestone, Milestone.due_at >= now)
        .group_by(Milestone.project_id)
        .subquery()
    )
    # Milestones due at the same instant: the lowest number, as the project's list orders them.
    upcoming = session.execute(
        select(Milestone.project_id, *milestone_columns())
        .join(first, and_(Milestone.project_id == first.c.project_id, Milestone.due_at == first.c.due_at))
        .outerjoin(Person, Milestone.owner_id == Person.id)
        .where(Milestone.status == MilestoneStatus.OPEN)
        .order_by(Milestone.project_id, Milestone.number)
    )
    next_rows: dict[int, Row[Any]] = {}
    for row in upcoming:
        next_rows.setdefault(row.project_id, row)
    summaries = []
    for project_id, key, name, status, private, lead_slack_id, lead_name in projects:
        counts = milestones.get(project_id, (0, 0))
        following = next_rows.get(project_id)
        summaries.append(
            ProjectSummary(
                key=key,
                name=name,
                status=status,
                private=private,
                lead=person_ref_of(lead_slack_id, lead_name),
                members=members.get(project_id, 0),
                open_milestones=counts[0],
                overdue=counts[1],
                next_due=milestone_line_of_row(key, name, following, now) if following is not None else None,
                open_blockers=blockers.get(project_id, 0),
            )
        )
    return summaries
