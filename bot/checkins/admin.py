"""A project's check-in settings: shown to anyone who may see the project, changed by its lead or an admin.

Turning check-ins on keeps the schedule a project had (or starts with the defaults, Monday 10:00 and
a summary on Tuesday 10:00). Turning them off cancels the questions not asked yet; the summary of a
round under way still posts the answers given. Turning them on again, or a new schedule, replans this
week's round if it asked nobody yet; a round already under way keeps its times, so nobody is asked
twice in a week.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, exists, select, update
from sqlalchemy.orm import Session

from bot.access import Actor, require_editor
from bot.checkins.schedule import (
    DEFAULT_ASK,
    DEFAULT_CUTOFF,
    WeeklyTime,
    format_clock,
    format_schedule,
    parse_clock,
    parse_schedule,
)
from bot.checkins.tables import CheckinAsk, CheckinRound, CheckinSchedule
from bot.models import DeliveryStatus, Project, Workspace
from bot.projects.project import find_project


@dataclass(frozen=True)
class CheckinSettings:
    """A project's check-ins as a command shows them.

    Attributes:
        project_key: Its key.
        project_name: Its name.
        enabled: Whether members are asked.
        ask: When each member is asked (their own zone).
        cutoff: When the summary is posted (`zone`).
        zone: The workspace zone of the cut-off.
        channel_id: Where the summary goes (None: the project has no channel, so it goes nowhere).
        changed: Whether this request changed anything.
    """

    project_key: str
    project_name: str
    enabled: bool
    ask: WeeklyTime
    cutoff: WeeklyTime
    zone: str
    channel_id: str | None
    changed: bool = False


def schedule_times(row: CheckinSchedule | None) -> tuple[WeeklyTime, WeeklyTime]:
    """The asking and cut-off times of a schedule row (the defaults without one)."""
    if row is None:
        return DEFAULT_ASK, DEFAULT_CUTOFF
    return WeeklyTime(row.ask_day, parse_clock(row.ask_time)), WeeklyTime(
        row.cutoff_day, parse_clock(row.cutoff_time)
    )


def show_checkins(session: Session, actor: Actor, query: str) -> CheckinSettings:
    """The check-in settings of a project the actor may see.

    Raises:
        UserFacingError: No such (visible) project.
    """
    project = find_project(session, actor, query)
    return _view(session, project, session.get(CheckinSchedule, project.id), changed=False)


def change_checkins(
    session: Session,
    actor: Actor,
    query: str,
    now: datetime,
    *,
    enabled: bool,
    ask: WeeklyTime | None = None,
    cutoff: WeeklyTime | None = None,
) -> CheckinSettings:
    """Turn a project's check-ins on or off, or set their schedule (which turns them on).

    Args:
        session: The request's session (the caller commits).
        actor: Who asks; must lead the project or be an admin.
        query: The project's key or name.
        now: The current instant.
        enabled: On or off.
        ask: A new asking time (None: keep it).
        cutoff: A new cut-off (None: keep it; with a new asking time and none given, the default gap).

    Raises:
        UserFacingError: No such project, not its lead, an archived project.
    """
    project = find_project(session, actor, query)
    require_editor(project, actor, "change its check-ins")
    row = session.get(CheckinSchedule, project.id)
    old_ask, old_cutoff = schedule_times(row)
    new_ask = ask or old_ask
    new_cutoff = cutoff or (
        WeeklyTime((new_ask.day + DEFAULT_CUTOFF.day - DEFAULT_ASK.day) % 7, new_ask.at)
        if ask is not None and row is None
        else old_cutoff
    )
    before = (row.enabled, old_ask, old_cutoff) if row is not None else None
    if before == (enabled, new_ask, new_cutoff) or (row is None and not enabled):
        return _view(session, project, row, changed=False)
    if row is None:
        row = CheckinSchedule(project_id=project.id, workspace_id=project.workspace_id)
        session.add(row)
    row.enabled = enabled
    row.ask_day, row.ask_time = new_ask.day, format_clock(new_ask.at)
    row.cutoff_day, row.cutoff_time = new_cutoff.day, format_clock(new_cutoff.at)
    row.updated_at, row.updated_by = now, actor.slack_id
    session.flush()
    if not enabled:
        _cancel_unasked(session, project.id, now)
    else:  # turned on again, or rescheduled: rounds that asked nobody yet are planned afresh
        _forget_unstarted_rounds(session, project.id, now)
    return _view(session, project, row, changed=True)


def _cancel_unasked(session: Session, project_id: int, now: datetime) -> None:
    rounds = select(CheckinRound.id).where(CheckinRound.project_id == project_id)
    session.execute(
        update(CheckinAsk)
        .where(CheckinAsk.round_id.in_(rounds), CheckinAsk.status == DeliveryStatus.PLANNED)
        .values(status=DeliveryStatus.CANCELLED, last_error="check-ins turned off", updated_at=now)
    )


def _forget_unstarted_rounds(session: Session, project_id: int, now: datetime) -> None:
    """Delete the open rounds that asked nobody yet (the next tick plans them on the current schedule)."""
    # Asked (or perhaps asked: claimed, failed): such a round keeps its times, so nobody is asked twice.
    started = exists().where(
        CheckinAsk.round_id == CheckinRound.id,
        CheckinAsk.status.in_([DeliveryStatus.CLAIMED, DeliveryStatus.SENT, DeliveryStatus.FAILED]),
    )
    session.execute(
        delete(CheckinRound).where(
            CheckinRound.project_id == project_id,
            CheckinRound.status == DeliveryStatus.PLANNED,
            CheckinRound.cutoff_at > now,
            ~started,
        )
    )


def _view(
    session: Session, project: Project, row: CheckinSchedule | None, *, changed: bool
) -> CheckinSettings:
    ask, cutoff = schedule_times(row)
    workspace = session.get(Workspace, project.workspace_id)
    return CheckinSettings(
        project_key=project.key,
        project_name=project.name,
        enabled=bool(row is not None and row.enabled),
        ask=ask,
        cutoff=cutoff,
        zone=workspace.timezone if workspace is not None else "UTC",
        channel_id=project.channel_id,
        changed=changed,
    )


def schedule_texts(session: Session, workspace_id: int) -> dict[int, str]:
    """The enabled check-in schedules of a workspace's projects, in the workspace file's form (export)."""
    rows = session.scalars(
        select(CheckinSchedule).where(
            CheckinSchedule.workspace_id == workspace_id, CheckinSchedule.enabled.is_(True)
        )
    )
    return {row.project_id: format_schedule(*schedule_times(row)) for row in rows}


def import_schedule(session: Session, project: Project, text: str | None, now: datetime) -> bool:
    """Apply a project's `checkins` from the workspace file (import); returns whether anything changed.

    No `checkins` key leaves the project's check-ins as they are (a file written before the key existed
    keeps what leads set in Slack); `off` turns them off.
    """
    if text is None:
        return False
    row = session.get(CheckinSchedule, project.id)
    if text.strip().lower() == "off":
        if row is None or not row.enabled:
            return False
        row.enabled, row.updated_at, row.updated_by = False, now, "import"
        _cancel_unasked(session, project.id, now)
        return True
    ask, cutoff = parse_schedule(text)
    if row is not None and row.enabled and schedule_times(row) == (ask, cutoff):
        return False
    if row is None:
        row = CheckinSchedule(project_id=project.id, workspace_id=project.workspace_id)
        session.add(row)
    row.enabled = True
    row.ask_day, row.ask_time = ask.day, format_clock(ask.at)
    row.cutoff_day, row.cutoff_time = cutoff.day, format_clock(cutoff.at)
    row.updated_at, row.updated_by = now, "import"
    session.flush()
    _forget_unstarted_rounds(session, project.id, now)
    return True
