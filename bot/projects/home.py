"""What a person's App Home shows: their own work, the projects they lead, and (admins) the alliance.

- Everyone: their overdue milestones, what they own in the next 14 days, their projects.
- Leads (`LeadView`): on the projects they lead, others' overdue milestones, open blockers, milestones
  at risk (open, due within `AT_RISK_WINDOW`) and people leaving soon (last day within the handover
  notice window), each with its action (Done / Move, Resolve, Hand them to me).
- Admins (`LIAISON_ADMINS`): every project's status, lead, next milestone and overdue count.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, contains_eager, joinedload

from bot.access import Actor, require_milestone_editor
from bot.domain.dates import DateParseError, form_due_problem
from bot.domain.reminders import ReminderPolicy
from bot.errors import InvalidInput
from bot.models import Milestone, MilestoneStatus, Project, ProjectStatus, Workspace
from bot.projects.end_dates import LeaverLine, leaving_soon, local_today
from bot.projects.milestones import (
    NEXT_WINDOW,
    find_milestone,
    move_milestone,
    overdue,
    read_move_due,
    same_due,
)
from bot.projects.overview import ProjectSummary, project_summaries
from bot.projects.project import affected_users, list_projects
from bot.projects.reports import (
    BlockerLine,
    MilestoneLine,
    ProjectLine,
    milestone_line,
    open_blockers,
    upcoming_milestones,
)

# Open milestones due this soon on a project someone leads are "at risk" in their lead view.
AT_RISK_WINDOW = timedelta(days=3)


@dataclass(frozen=True)
class LeadView:
    """What needs a lead's attention on the projects they lead (keys in `projects`).

    Attributes:
        overdue: Overdue milestones owned by others (the lead's own are in their own list).
        blockers: Open blockers.
        at_risk: Open milestones of others due within `AT_RISK_WINDOW`, not yet overdue.
        leaving: Members whose last day is within the handover notice window.
        notice_days: That window, in days.
    """

    projects: tuple[str, ...]
    overdue: tuple[MilestoneLine, ...]
    blockers: tuple[BlockerLine, ...]
    at_risk: tuple[MilestoneLine, ...]
    leaving: tuple[LeaverLine, ...]
    notice_days: int


@dataclass(frozen=True)
class HomeReport:
    """A snapshot for one viewer.

    Attributes:
        lead: The viewer's lead view; None when they lead no project.
        overview: Every project of the workspace, for admins; None for everyone else.
    """

    known: bool
    projects: tuple[ProjectLine, ...]
    next_milestones: tuple[MilestoneLine, ...]
    overdue: tuple[MilestoneLine, ...]
    lead: LeadView | None = None
    overview: tuple[ProjectSummary, ...] | None = None


def home_report(session: Session, actor: Actor, now: datetime, *, notice_days: int = 14) -> HomeReport:
    """Build the viewer's App Home report.

    Args:
        session: Any session; only reads.
        actor: The viewer.
        now: The current instant.
        notice_days: The handover notice window (`Settings.handover_notice_days`): members leaving
            within it are listed in the lead view.
    """
    overview = tuple(project_summaries(session, actor.workspace_id, now)) if actor.is_admin else None
    if actor.person_id is None:
        return HomeReport(False, (), (), (), overview=overview)
    projects = list_projects(session, actor, mine=True)
    late = [
        m for m in overdue(session, actor, now) if m.owner is not None and m.owner.slack_id == actor.slack_id
    ]
    upcoming = upcoming_milestones(session, actor, now, now + NEXT_WINDOW)
    return HomeReport(
        True,
        tuple(projects),
        tuple(upcoming),
        tuple(late),
        lead=lead_view(session, actor, now, notice_days=notice_days),
        overview=overview,
    )


def lead_view(session: Session, actor: Actor, now: datetime, *, notice_days: int) -> LeadView | None:
    """What needs the actor's attention on the projects they lead; None when they lead none.

    Done projects are left out: nothing there needs chasing.
    """
    led = session.execute(
        select(Project.id, Project.key)
        .where(
            Project.workspace_id == actor.workspace_id,
            Project.lead_id == actor.person_id,
            Project.status != ProjectStatus.DONE,
            Project.archived_at.is_(None),
        )
        .order_by(Project.key)
    ).all()
    if not led:
        return None
    ids = [project_id for project_id, _ in led]
    keys = {key for _, key in led}
    milestones = session.scalars(
        select(Milestone)
        .join(Project, Milestone.project_id == Project.id)
        .options(contains_eager(Milestone.project), joinedload(Milestone.owner))
        .where(
            Milestone.project_id.in_(ids),
            Milestone.status == MilestoneStatus.OPEN,
            Milestone.due_at <= now + AT_RISK_WINDOW,
        )
        .order_by(Milestone.due_at, Project.key, Milestone.number)
    ).all()
    mine = actor.slack_id
    # The lead's own milestones are in their own lists (overdue, next 14 days).
    lines = [
        line
        for line in (milestone_line(m, now) for m in milestones)
        if line.owner is None or line.owner.slack_id != mine
    ]
    workspace = session.get(Workspace, actor.workspace_id)
    today = local_today(now, workspace.timezone if workspace is not None else None)
    return LeadView(
        projects=tuple(key for _, key in led),
        overdue=tuple(m for m in lines if m.overdue),
        blockers=tuple(b for b in open_blockers(session, actor, None) if b.project_key in keys),
        at_risk=tuple(m for m in lines if not m.overdue),
        leaving=tuple(leaving_soon(session, ids, today, notice_days=notice_days)),
        notice_days=notice_days,
    )


# -- "Move date…" from the lead view -----------------------------------------------------------------


@dataclass(frozen=True)
class HomeMove:
    """A milestone moved from the App Home's form (`changed` is False when it was due then already)."""

    milestone: MilestoneLine
    previous: datetime
    changed: bool
    affected: frozenset[str]


def milestone_to_move(session: Session, actor: Actor, ref: str, now: datetime) -> MilestoneLine:
    """The milestone the App Home's "Move date…" is for, if the actor may move it (owner, lead, admin).

    Raises:
        NotFound: No such milestone visible to the actor.
        Forbidden: The actor may not move it.
        InvalidInput: It is done already, or `ref` is not a milestone id.
    """
    milestone = find_milestone(session, actor, ref)
    require_milestone_editor(milestone, actor, "move it")
    if milestone.status != MilestoneStatus.OPEN:
        raise InvalidInput(f"`{ref}` is done already.")
    return milestone_line(milestone, now)


def move_from_home(
    session: Session,
    actor: Actor,
    ref: str,
    text: str,
    now: datetime,
    *,
    reminders: ReminderPolicy | None = None,
) -> HomeMove:
    """Move a milestone to the date typed in the App Home's form, as `/milestone move` reads it.

    The form is its own confirmation, so relative dates ("next friday") are taken as resolved now;
    a date in the past is refused (it would make the milestone overdue at once).

    Raises:
        InvalidInput: The text is not a date, or names a past one (the message can be shown as is).
        NotFound, Forbidden: As for `milestone_to_move`.
    """
    milestone = find_milestone(session, actor, ref)
    require_milestone_editor(milestone, actor, "move it")
    try:
        due = read_move_due(milestone, text, now=now, zone=actor.zone)
    except DateParseError as error:
        raise InvalidInput(str(error)) from None
    problem = form_due_problem(due, text, now)
    if problem is not None:
        raise InvalidInput(problem)
    changed = not same_due(milestone, due)
    moved, previous = move_milestone(session, actor, ref, due, now, reminders=reminders)
    return HomeMove(
        milestone_line(moved, now),
        previous,
        changed,
        frozenset(affected_users(moved.project)) if changed else frozenset(),
    )
