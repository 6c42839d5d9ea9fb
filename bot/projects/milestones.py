"""Milestone operations: list, next, overdue, add, complete, move.

Milestones are referred to as `KEY-NUMBER` (e.g. `bidshade-2`); numbers are per project and never
reused. Completing twice is a no-op, so a double click or a retried request has one effect. The new
date of a move is read by `read_move_due`, the one reader `/milestone move` and the Move-date form
share.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.access import Actor, can_see, require_editor, require_milestone_editor, role_of, visible_projects
from bot.domain.dates import ParsedDue, parse_due
from bot.domain.reminders import ReminderPolicy
from bot.errors import InvalidInput, NotFound
from bot.models import INCLUDE_DELETED, Milestone, MilestoneStatus, Person, Project
from bot.projects.project import find_project, next_number, record_audit
from bot.projects.reports import MilestoneLine, milestone_line, with_dependencies
from bot.reminders.planning import cancel_for_milestone, replan_milestone

MILESTONE_REF_RE = re.compile(r"^([a-z][a-z0-9_]{0,39})-(\d{1,6})$")
MAX_TITLE = 300
NEXT_WINDOW = timedelta(days=14)


def find_milestone(session: Session, actor: Actor, ref: str) -> Milestone:
    """Resolve `KEY-NUMBER` among milestones of projects the actor may see.

    Raises:
        InvalidInput: Not of the form KEY-NUMBER.
        NotFound: No such milestone (or its project is private to the actor).
    """
    match = MILESTONE_REF_RE.match(ref.strip().lower())
    if match is None:
        raise InvalidInput(
            f"“{ref}” is not a milestone id. Ids look like `bidshade-2`; "
            "see them with `/milestone list PROJECT`."
        )
    key, number = match.group(1), int(match.group(2))
    milestone = session.scalars(
        select(Milestone)
        .join(Project)
        .where(Project.workspace_id == actor.workspace_id, Project.key == key, Milestone.number == number)
    ).first()
    if milestone is None or not can_see(milestone.project, actor):
        project = session.scalars(
            select(Project).where(Project.workspace_id == actor.workspace_id, Project.key == key)
        ).first()
        if project is not None and can_see(project, actor):
            raise NotFound(f"No milestone `{ref.strip()}`. See the ids with `/milestone list {key}`.")
        # The same sentence for a project that does not exist and one private to others.
        raise NotFound(f"No milestone `{ref.strip()}` that you can see. Your projects: `/project list`.")
    return milestone


def list_milestones(
    session: Session,
    actor: Actor,
    project_query: str | None,
    now: datetime,
    *,
    include_done: bool = False,
    everywhere: bool = False,
) -> list[MilestoneLine]:
    """Milestones of one project, of every project the actor is on, or (`everywhere`) of every project
    the actor may see, by due date."""
    if project_query:
        projects = [find_project(session, actor, project_query)]
    else:
        visible = visible_projects(session, actor)
        projects = visible if everywhere else [p for p in visible if role_of(p, actor) is not None]
    milestones = [
        m for p in projects for m in p.milestones if include_done or m.status == MilestoneStatus.OPEN
    ]
    milestones.sort(key=lambda m: (m.due_at, m.project.key, m.number))
    return with_dependencies(session, [milestone_line(m, now) for m in milestones])


def overdue(
    session: Session, actor: Actor, now: datetime, *, everywhere: bool = False
) -> list[MilestoneLine]:
    """Overdue open milestones: mine and those of projects I am on, or of every visible project."""
    projects = visible_projects(session, actor)
    if not everywhere:
        projects = [p for p in projects if role_of(p, actor) is not None]
    project_ids = [p.id for p in projects]
    if not project_ids:
        return []
    milestones = session.scalars(
        select(Milestone)
        .where(
            Milestone.project_id.in_(project_ids),
            Milestone.status == MilestoneStatus.OPEN,
            Milestone.due_at < now,
        )
        .order_by(Milestone.due_at)
    )
    return [milestone_line(m, now) for m in milestones]


def validate_title(title: str) -> str:
    """Trimmed title, or InvalidInput."""
    title = " ".join(title.split())
    if not title:
        raise InvalidInput("Give the milestone a title.")
    if len(title) > MAX_TITLE:
        raise InvalidInput(f"Milestone titles have at most {MAX_TITLE} characters (this has {len(title)}).")
    return title


def add_milestone(
    session: Session,
    actor: Actor,
    project: Project,
    *,
    title: str,
    due: ParsedDue,
    owner_slack_id: str | None,
    now: datetime,
    reminders: ReminderPolicy | None = None,
) -> Milestone:
    """Add a milestone to a project (lead or admin) and plan its reminders.

    `reminders` are the settings' reminder defaults (`Settings.reminder_policy`).

    Raises:
        InvalidInput: Bad title, a duplicate title in the project, or an owner not on the project.
    """
    require_editor(project, actor, "add milestones")
    title = validate_title(title)
    if any(m.title.lower() == title.lower() for m in project.milestones):
        raise InvalidInput(f"*{project.key}* already has a milestone called “{title}”.")
    deleted = session.scalars(
        select(Milestone.number)
        .where(
            Milestone.project_id == project.id, Milestone.deleted_at.is_not(None), Milestone.title == title
        )
        .execution_options(**{INCLUDE_DELETED: True})
    ).first()
    if deleted is not None:
        # The title stays taken while the deleted milestone may still be restored (its Undo button).
        raise InvalidInput(
            f"A deleted milestone of *{project.key}* (`{project.key}-{deleted}`) is called “{title}”; "
            "choose another title."
        )
    owner: Person | None = None
    if owner_slack_id:
        owner = next((m.person for m in project.memberships if m.person.slack_id == owner_slack_id), None)
        if owner is None:
            raise InvalidInput(f"{owner_slack_id} is not on *{project.key}*; add them to the project first.")
    number = next_number(session, project, Milestone)
    milestone = Milestone(
        project=project,
        number=number,
        title=title,
        due_at=due.instant,
        due_timezone=due.zone,
        owner=owner,
        status=MilestoneStatus.OPEN,
    )
    session.add(milestone)
    session.flush()
    record_audit(
        session,
        actor,
        "add",
        "milestone",
        milestone.id,
        now,
        project=project.key,
        number=number,
        title=title,
        due=due.instant.isoformat(),
        owner=owner.slack_id if owner is not None else None,
    )
    # Reminders are planned in the same transaction, so a milestone never exists without them.
    replan_milestone(session, milestone, now, defaults=reminders)
    return milestone


def complete_milestone(session: Session, actor: Actor, ref: str, now: datetime) -> tuple[Milestone, bool]:
    """Mark a milestone done (owner, lead or admin). Returns (milestone, whether it changed)."""
    milestone = find_milestone(session, actor, ref)
    require_milestone_editor(milestone, actor, "mark it done")
    if milestone.status == MilestoneStatus.DONE:
        return milestone, False
    milestone.status = MilestoneStatus.DONE
    milestone.done_at = now
    record_audit(session, actor, "done", "milestone", milestone.id, now, ref=ref)
    # Same transaction: once done is committed, no reminder or escalation about it is still planned.
    cancel_for_milestone(session, milestone.id, now, "milestone done")
    return milestone, True


def read_move_due(milestone: Milestone, text: str, *, now: datetime, zone: ZoneInfo) -> ParsedDue:
    """Read the new due date of a move: what `/milestone move` and the Move-date form both accept.

    Every form of `parse_due` is accepted, read in the mover's zone. A date without a time ("dec 20",
    "tomorrow", "2026-12-20") keeps the milestone's time of day and time zone: moving a 12:00
    Amsterdam deadline to another day leaves it at 12:00 in Amsterdam, whoever moves it and from
    wherever. A time that is written is the mover's, in the mover's zone.

    Args:
        milestone: The milestone being moved.
        text: The new date as typed.
        now: The current instant.
        zone: The mover's zone.

    Returns:
        The new due date.

    Raises:
        DateParseError: The text is not a date, or the kept time of day does not exist on the new
            day (a daylight-saving gap); the message can be shown as is.
    """
    try:
        milestone_zone = ZoneInfo(milestone.due_timezone)
    except (ZoneInfoNotFoundError, ValueError):
        milestone_zone = zone  # a zone name this system no longer knows: the mover's instead
    return parse_due(text, now=now, zone=zone, keep_time_of=milestone.due_at.astimezone(milestone_zone))


def same_due(milestone: Milestone, due: ParsedDue) -> bool:
    """Whether moving `milestone` to `due` would change nothing (same instant, same zone)."""
    return milestone.due_at == due.instant and milestone.due_timezone == due.zone


def move_milestone(
    session: Session,
    actor: Actor,
    ref: str,
    due: ParsedDue,
    now: datetime,
    reminders: ReminderPolicy | None = None,
) -> tuple[Milestone, datetime]:
    """Change a milestone's due time (owner, lead or admin) and replan its reminders.

    Returns (milestone, previous due). `reminders` are the settings' reminder defaults. A move to the
    due time and zone it has already (a confirmation pressed twice) changes nothing: no audit entry,
    no replanning; callers tell it with `same_due` beforehand.
    """
    milestone = find_milestone(session, actor, ref)
    require_milestone_editor(milestone, actor, "move it")
    previous = milestone.due_at
    if same_due(milestone, due):
        return milestone, previous
    milestone.due_at = due.instant
    milestone.due_timezone = due.zone
    record_audit(
        session,
        actor,
        "move",
        "milestone",
        milestone.id,
        now,
        ref=ref,
        before=previous.isoformat(),
        after=due.instant.isoformat(),
    )
    # Same transaction: the old date's pending reminders and escalations are cancelled, new ones planned.
    replan_milestone(session, milestone, now, defaults=reminders)
    return milestone, previous
