"""What the buttons on a reminder do: Done, Snooze, Move date. One transaction each; no Slack calls.

Only the milestone's owner, its project's lead or an admin may press them (`bot.access`); anyone else
gets a denial and nothing changes. Every button is idempotent: Done twice is done once, a second
Snooze of the same message replaces the first (one snoozed reminder per message), moving to the date
the milestone already has changes nothing. The result carries the reminder as it now reads and a note
saying who did what; the handler renders them (`bot.slack.reminder_blocks`) in place of the original
message, and republishes the App Homes that show the milestone (as `/milestone done` does).

The message is redrawn in its new state: done (by whom, without buttons), moved (the new due date, as
upcoming, with only Done and Move date left), or still due (with a note of the snooze). A combined DM
(`bot.reminders.combining`) is redrawn whole, each of its reminders as it now reads.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, replace
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session, sessionmaker

from bot.access import Actor, load_actor, require_milestone_editor, resolve_workspace
from bot.domain.dates import DateParseError, form_due_problem
from bot.domain.reminders import SnoozeOption, plan_snooze
from bot.errors import UserFacingError
from bot.models import Milestone, MilestoneStatus, ReminderDelivery
from bot.projects.milestones import complete_milestone, find_milestone, move_milestone, read_move_due
from bot.projects.project import affected_users, person_for
from bot.reminders.combining import load_message, message_deliveries
from bot.reminders.content import Content, MilestoneReminder, load_reminder
from bot.reminders.outcomes import record_action
from bot.reminders.planning import plan_delivery
from bot.reminders.policy import load_policy_book
from bot.settings import Settings

OUT_OF_DATE = "That reminder is out of date; see the milestone with `/milestone list`."


@dataclass(frozen=True)
class ReminderClick:
    """A press of a reminder button: which delivery's message, about which milestone, by whom."""

    delivery_id: int
    ref: str
    user_id: str
    team_id: str | None


class NoteKind(enum.StrEnum):
    """What pressing a reminder's button did."""

    DONE = "done"
    ALREADY_DONE = "already_done"
    SNOOZED = "snoozed"
    MOVED = "moved"
    ALREADY_DUE = "already_due"


@dataclass(frozen=True)
class ReminderNote:
    """The line a reminder shows once one of its buttons was pressed: who did what.

    Attributes:
        kind: What happened.
        zone: The presser's zone, in which the times are shown.
        actor: The Slack user id of who pressed it (none for "already done").
        at: Done at, snoozed until, moved to, or the due date the milestone already had.
        previous: The due date before a move.
    """

    kind: NoteKind
    zone: ZoneInfo
    actor: str | None = None
    at: datetime | None = None
    previous: datetime | None = None


@dataclass(frozen=True)
class ClickResult:
    """Either a denial (shown only to the clicker; nothing changed) or the message to redraw.

    Attributes:
        denial: Why nothing happened (for the Move-date modal: what is wrong with the date).
        reminder: The pressed reminder as it now reads; None if it is gone (the message is left as it is).
        note: Who did what, to show under it.
        closed: The milestone is done: its reminder no longer offers the buttons that change it.
        refresh_homes: App Homes that show the milestone (its project's people, owner and lead).
        message: The whole message the button was on, as it now reads: `reminder` itself, or the
            combined DM it is part of.
        pressed: The delivery whose button was pressed (its reminder gets the note).
    """

    denial: str | None = None
    reminder: MilestoneReminder | None = None
    note: ReminderNote | None = None
    closed: bool = False
    refresh_homes: frozenset[str] = field(default_factory=frozenset)
    message: Content | None = None
    pressed: int | None = None


@dataclass(frozen=True)
class MoveForm:
    """What the Move-date form shows (the reminder in the clicker's zone), or why it may not open."""

    reminder: MilestoneReminder | None = None
    denial: str | None = None


def press_done(
    session_factory: sessionmaker[Session], settings: Settings, now: datetime, click: ReminderClick
) -> ClickResult:
    """Done: complete the milestone (once), cancel its pending reminders, note who did it."""
    try:
        with session_factory.begin() as session:
            actor, milestone = _authorise(session, settings, click, "mark it done")
            milestone, changed = complete_milestone(session, actor, click.ref, now)
            _record_answer(session, click.delivery_id, actor.slack_id, "done", now)
            note = (
                ReminderNote(NoteKind.DONE, actor.zone, actor=actor.slack_id, at=now)
                if changed
                else ReminderNote(NoteKind.ALREADY_DONE, actor.zone)
            )
            return _redrawn(session, settings, click, now, note, closed=True, homes=_homes(milestone))
    except UserFacingError as error:
        return ClickResult(denial=error.message)


def press_snooze(
    session_factory: sessionmaker[Session],
    settings: Settings,
    now: datetime,
    click: ReminderClick,
    option: SnoozeOption,
) -> ClickResult:
    """Snooze: remind the clicker again later. A snooze is an answer, never counted as ignoring."""
    try:
        with session_factory.begin() as session:
            actor, milestone = _authorise(session, settings, click, "snooze its reminders")
            if milestone.status == MilestoneStatus.DONE:
                return _redrawn(
                    session,
                    settings,
                    click,
                    now,
                    ReminderNote(NoteKind.ALREADY_DONE, actor.zone),
                    closed=True,
                    homes=_homes(milestone),
                )
            person = person_for(session, actor)
            policy = load_policy_book(session, actor.workspace_id, settings.reminder_policy).for_project(
                milestone.project_id
            )
            plan = plan_snooze(
                milestone_id=milestone.id,
                project_id=milestone.project_id,
                source_delivery_id=click.delivery_id,
                recipient_id=person.id,
                zone=actor.zone,
                option=option,
                policy=policy,
                basis_due_at=milestone.due_at,
                now=now,
            )
            plan_delivery(session, actor.workspace_id, plan, now, restart_finished=True)
            _record_answer(session, click.delivery_id, actor.slack_id, "snooze", now)
            note = ReminderNote(NoteKind.SNOOZED, actor.zone, actor=actor.slack_id, at=plan.send_at)
            return _redrawn(session, settings, click, now, note, homes=_homes(milestone))
    except UserFacingError as error:
        return ClickResult(denial=error.message)


def open_move(
    session_factory: sessionmaker[Session], settings: Settings, now: datetime, click: ReminderClick
) -> MoveForm:
    """Move date…: what the form asking for the new date shows (after the permission check)."""
    try:
        with session_factory.begin() as session:
            actor, _milestone = _authorise(session, settings, click, "move it")
            reminder = load_reminder(session, click.delivery_id, now, defaults=settings.reminder_policy)
            if reminder is None:
                return MoveForm(denial=OUT_OF_DATE)
            return MoveForm(reminder=_in_zone(reminder, actor))
    except UserFacingError as error:
        return MoveForm(denial=error.message)


def submit_move(
    session_factory: sessionmaker[Session],
    settings: Settings,
    now: datetime,
    click: ReminderClick,
    *,
    due_text: str,
) -> ClickResult:
    """The Move-date form was submitted: move the milestone (replanning its reminders) or say what is
    wrong with the date (a time skipped by a daylight-saving change is refused with the valid ones)."""
    try:
        with session_factory.begin() as session:
            actor, milestone = _authorise(session, settings, click, "move it")
            try:
                due = read_move_due(milestone, due_text, now=now, zone=actor.zone)
            except DateParseError as error:
                return ClickResult(denial=str(error))
            problem = form_due_problem(due, due_text, now)
            if problem is not None and due.instant != milestone.due_at:
                return ClickResult(denial=problem)  # the form has no confirm step: asked again
            if due.instant == milestone.due_at:
                note = ReminderNote(NoteKind.ALREADY_DUE, actor.zone, at=due.instant)
            else:
                _moved, previous = move_milestone(
                    session, actor, click.ref, due, now, reminders=settings.reminder_policy
                )
                _record_answer(session, click.delivery_id, actor.slack_id, "move", now)
                note = ReminderNote(
                    NoteKind.MOVED, actor.zone, actor=actor.slack_id, at=due.instant, previous=previous
                )
            return _redrawn(session, settings, click, now, note, homes=_homes(milestone))
    except UserFacingError as error:
        return ClickResult(denial=error.message)


def _authorise(
    session: Session, settings: Settings, click: ReminderClick, action: str
) -> tuple[Actor, Milestone]:
    """The actor and the milestone, if the button is current and the actor may act on it."""
    workspace = resolve_workspace(session, click.team_id)
    actor = load_actor(
        session, workspace, click.user_id, admins=settings.admins, fallback_zone=settings.default_timezone
    )
    milestone = find_milestone(session, actor, click.ref)
    delivery = session.get(ReminderDelivery, click.delivery_id)
    if delivery is None or delivery.milestone_id != milestone.id:
        raise UserFacingError(OUT_OF_DATE)
    require_milestone_editor(milestone, actor, action)
    return actor, milestone


def _redrawn(
    session: Session,
    settings: Settings,
    click: ReminderClick,
    now: datetime,
    note: ReminderNote,
    *,
    closed: bool = False,
    homes: set[str] | frozenset[str] = frozenset(),
) -> ClickResult:
    reminder = load_reminder(session, click.delivery_id, now, defaults=settings.reminder_policy)
    message = load_message(session, click.delivery_id, now, defaults=settings.reminder_policy)
    return ClickResult(
        reminder=reminder,
        note=note,
        closed=closed,
        refresh_homes=frozenset(homes),
        message=message if reminder is not None else None,
        pressed=click.delivery_id,
    )


def _homes(milestone: Milestone) -> set[str]:
    """Who has the milestone on their App Home: its project's people, and its owner and lead."""
    people = [milestone.owner, milestone.project.lead]
    return affected_users(milestone.project) | {p.slack_id for p in people if p is not None}


def _record_answer(session: Session, delivery_id: int, actor: str, action: str, now: datetime) -> None:
    """Note who answered a reminder, on every delivery about the same milestone that its message
    settled (a combined DM shows one reminder per milestone), so none counts as ignored."""
    delivery = session.get(ReminderDelivery, delivery_id)
    if delivery is None:
        return
    for row in message_deliveries(session, delivery):
        if row.id == delivery.id or row.milestone_id == delivery.milestone_id:
            record_action(session, row.id, actor, action, now)


def _in_zone(reminder: MilestoneReminder, actor: Actor) -> MilestoneReminder:
    # The modal shows the current due date in the clicker's zone, where the new date is read.
    return replace(reminder, zone=actor.zone)
