"""What the buttons on a reminder do: Done, Snooze, Move date. One transaction each; no Slack calls.

Only the milestone's owner, its project's lead or an admin may press them (`bot.access`); anyone else
gets a denial and nothing changes. Every button is idempotent: Done twice is done once, a second
Snooze of the same message replaces the first (one snoozed reminder per message), moving to the date
the milestone already has changes nothing. The result carries the reminder redrawn with a line saying
who did what, for the handler to put in place of the original message.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from bot.access import Actor, load_actor, require_milestone_editor, resolve_workspace
from bot.domain.dates import DateParseError, format_local, parse_due
from bot.domain.reminders import SnoozeOption, plan_snooze
from bot.errors import UserFacingError
from bot.models import Milestone, MilestoneStatus, ReminderDelivery
from bot.projects.milestones import complete_milestone, find_milestone, move_milestone
from bot.projects.project import affected_users, person_for
from bot.reminders.content import MilestoneReminder, load_reminder
from bot.reminders.ledger import plan_delivery, record_action
from bot.reminders.policy import load_policy_book
from bot.settings import Settings
from bot.slack import ids
from bot.slack.blocks import Reply
from bot.slack.reminder_blocks import build_move_modal, build_reminder_reply

OUT_OF_DATE = "That reminder is out of date; see the milestone with `/milestone list`."


@dataclass(frozen=True)
class ReminderClick:
    """A press of a reminder button: which delivery's message, about which milestone, by whom."""

    delivery_id: int
    ref: str
    user_id: str
    team_id: str | None


@dataclass(frozen=True)
class ClickResult:
    """Either a denial (shown only to the clicker; nothing changed) or the reminder redrawn.

    Attributes:
        denial: Why nothing happened.
        update: The reminder message as it should now read.
        modal: A modal to open (Move date).
        errors: Field errors for a modal submission (keeps it open).
        channel: The message to update, when known from the modal's metadata.
        ts: Its timestamp.
        refresh_homes: App Homes that show the milestone.
    """

    denial: str | None = None
    update: Reply | None = None
    modal: dict[str, Any] | None = None
    errors: dict[str, str] = field(default_factory=dict)
    channel: str | None = None
    ts: str | None = None
    refresh_homes: frozenset[str] = field(default_factory=frozenset)


def press_done(
    session_factory: sessionmaker[Session], settings: Settings, now: datetime, click: ReminderClick
) -> ClickResult:
    """Done: complete the milestone (once), cancel its pending reminders, note who did it."""
    try:
        with session_factory.begin() as session:
            actor, milestone = _authorise(session, settings, click, "mark it done")
            milestone, changed = complete_milestone(session, actor, click.ref, now)
            record_action(session, click.delivery_id, actor.slack_id, "done", now)
            note = (
                f":white_check_mark: <@{actor.slack_id}> marked this done · {format_local(now, actor.zone)}"
                if changed
                else ":white_check_mark: Already done."
            )
            return _redrawn(
                session, settings, click, now, note, closed=True, homes=affected_users(milestone.project)
            )
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
                    session, settings, click, now, ":white_check_mark: Already done.", closed=True
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
            record_action(session, click.delivery_id, actor.slack_id, "snooze", now)
            note = f":zzz: <@{actor.slack_id}> snoozed this until {format_local(plan.send_at, actor.zone)}"
            return _redrawn(session, settings, click, now, note)
    except UserFacingError as error:
        return ClickResult(denial=error.message)


def open_move(
    session_factory: sessionmaker[Session],
    settings: Settings,
    now: datetime,
    click: ReminderClick,
    *,
    channel: str | None,
    ts: str | None,
) -> ClickResult:
    """Move date…: the modal asking for the new date (after the permission check)."""
    try:
        with session_factory.begin() as session:
            actor, _milestone = _authorise(session, settings, click, "move it")
            reminder = load_reminder(session, click.delivery_id, now, defaults=settings.reminder_policy)
            if reminder is None:
                return ClickResult(denial=OUT_OF_DATE)
            metadata = {"d": click.delivery_id, "m": click.ref, "c": channel, "ts": ts}
            return ClickResult(modal=build_move_modal(_in_zone(reminder, actor), metadata))
    except UserFacingError as error:
        return ClickResult(denial=error.message)


def submit_move(
    session_factory: sessionmaker[Session],
    settings: Settings,
    now: datetime,
    *,
    user_id: str,
    team_id: str | None,
    due_text: str,
    private_metadata: str,
) -> ClickResult:
    """The Move-date modal was submitted: move the milestone (replanning its reminders) or say what is
    wrong with the date (a time skipped by a daylight-saving change is refused with the valid ones)."""
    try:
        data = json.loads(private_metadata or "{}")
        click = ReminderClick(int(data["d"]), str(data["m"]), user_id, team_id)
        channel, ts = data.get("c"), data.get("ts")
    except (ValueError, KeyError, TypeError):
        return ClickResult(errors={ids.DUE_INPUT: OUT_OF_DATE})
    try:
        with session_factory.begin() as session:
            actor, milestone = _authorise(session, settings, click, "move it")
            try:
                due = parse_due(due_text, now=now, zone=actor.zone)
            except DateParseError as error:
                return ClickResult(errors={ids.DUE_INPUT: str(error)})
            if due.instant == milestone.due_at:
                note = f":spiral_calendar_pad: Already due {format_local(due.instant, actor.zone)}."
            else:
                _moved, previous = move_milestone(
                    session, actor, click.ref, due, now, reminders=settings.reminder_policy
                )
                record_action(session, click.delivery_id, actor.slack_id, "move", now)
                note = (
                    f":spiral_calendar_pad: <@{actor.slack_id}> moved this to "
                    f"{format_local(due.instant, actor.zone)} (was {format_local(previous, actor.zone)})"
                )
            result = _redrawn(session, settings, click, now, note, homes=affected_users(milestone.project))
            return ClickResult(
                update=result.update, channel=channel, ts=ts, refresh_homes=result.refresh_homes
            )
    except UserFacingError as error:
        return ClickResult(errors={ids.DUE_INPUT: error.message})


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
    note: str,
    *,
    closed: bool = False,
    homes: set[str] | frozenset[str] = frozenset(),
) -> ClickResult:
    reminder = load_reminder(session, click.delivery_id, now, defaults=settings.reminder_policy)
    update = build_reminder_reply(reminder, note=note, closed=closed) if reminder is not None else None
    return ClickResult(update=update, refresh_homes=frozenset(homes))


def _in_zone(reminder: MilestoneReminder, actor: Actor) -> MilestoneReminder:
    # The modal shows the current due date in the clicker's zone, where the new date is read.
    return replace(reminder, zone=actor.zone)
