"""Pure Block Kit builders for reminder messages and the Move-date modal. No Slack calls here.

The reminders package decides what a reminder says (`bot.reminders.content`) and what a button did
(`bot.reminders.actions`); this module renders both, and carries what the buttons and the Move-date
modal need back (their values and the modal's private metadata).

User text (titles, project names) is escaped with `bot.slack.blocks.escape`; Slack's limits (50 blocks,
3,000 characters per section, 75 per button label, modal title 24) are kept by the shared helpers.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.domain.dates import format_local, format_relative
from bot.domain.reminders import DeliveryKind, SnoozeOption
from bot.projects.reports import MilestoneLine
from bot.reminders.actions import NoteKind, ReminderNote
from bot.reminders.admin import PolicyView
from bot.reminders.content import Content, FailureNotice, MilestoneReminder, ProjectDigest, WaitingDigest
from bot.slack import ids
from bot.slack.blocks import (
    Block,
    Reply,
    actions,
    button,
    context,
    escape,
    mention,
    section,
    truncate,
    truncate_escaped,
)

# Ten lines of at most ~250 characters keep a digest section under Slack's 3,000.
MAX_DIGEST_LINES = 10
MAX_MODAL_TITLE = 24


def reminder_value(delivery_id: int, ref: str) -> str:
    """The value reminder buttons carry."""
    return json.dumps({"d": delivery_id, "m": ref}, separators=(",", ":"))


def parse_reminder_value(value: str) -> tuple[int, str] | None:
    """(delivery id, milestone ref) from a reminder button's value; None if it is not one."""
    try:
        data = json.loads(value)
        return int(data["d"]), str(data["m"])
    except (ValueError, KeyError, TypeError):
        return None


@dataclass(frozen=True)
class MoveTarget:
    """What the Move-date modal is about: the reminder's delivery and milestone, and where its message
    is (to redraw it once the date moved), carried in the modal's private metadata."""

    delivery_id: int
    ref: str
    channel: str | None
    ts: str | None


def parse_move_metadata(private_metadata: str) -> MoveTarget | None:
    """The `MoveTarget` a Move-date modal was opened with; None if its metadata is not one."""
    try:
        data = json.loads(private_metadata or "{}")
        return MoveTarget(int(data["d"]), str(data["m"]), data.get("c"), data.get("ts"))
    except (ValueError, KeyError, TypeError):
        return None


def build_content_reply(content: Content) -> Reply:
    """The message for any composed delivery."""
    if isinstance(content, MilestoneReminder):
        return build_reminder_reply(content)
    if isinstance(content, ProjectDigest):
        return build_digest_reply(content)
    if isinstance(content, WaitingDigest):
        return build_waiting_reply(content)
    return build_failure_reply(content)


def _due(line: MilestoneLine, zone: ZoneInfo, now: datetime) -> str:
    return f"{format_local(line.due_at, zone)} ({format_relative(line.due_at, now, zone=zone)})"


def _headline(r: MilestoneReminder) -> tuple[str, str]:
    """(mrkdwn, plain) first line of a milestone reminder."""
    m = r.milestone
    title = truncate_escaped(m.title, 300)
    due = _due(m, r.zone, r.now)
    if r.kind == DeliveryKind.ESCALATE_LEAD:
        days = f"{r.overdue_days} day{'s' if r.overdue_days != 1 else ''}"
        unanswered = (
            f" {mention(m.owner)} has not answered {r.ignored} reminder{'s' if r.ignored != 1 else ''}."
            if r.ignored
            else ""
        )
        return (
            f":warning: `{m.ref}` *{title}* (owner {mention(m.owner)}) is *{days} overdue*: it was due {due}."
            f"{unanswered}",
            f"{m.ref} {m.title} is {days} overdue",
        )
    if r.kind == DeliveryKind.ESCALATE_CHANNEL:
        days = f"{r.overdue_days} day{'s' if r.overdue_days != 1 else ''}"
        return (
            f":rotating_light: `{m.ref}` *{title}* is *{days} overdue* (due {due}). "
            f"Owner {mention(m.owner)}, lead {mention(r.lead)}.",
            f"{m.ref} {m.title} is {days} overdue",
        )
    if r.kind == DeliveryKind.SNOOZE:
        return (
            f":alarm_clock: Snoozed reminder: `{m.ref}` *{title}* is due {due}.",
            f"Reminder: {m.ref} {m.title}",
        )
    if r.lead_time == "0":
        # Quiet hours or a weekend may have moved the due-time reminder past the due time itself.
        verb = "was due" if m.overdue else "is due"
        return f":hourglass: `{m.ref}` *{title}* {verb} {due}.", f"Due: {m.ref} {m.title}"
    return (
        f":alarm_clock: Reminder: `{m.ref}` *{title}* is due {due}.",
        f"Reminder: {m.ref} {m.title} is due soon",
    )


def build_reminder_reply(
    r: MilestoneReminder, *, note: ReminderNote | None = None, closed: bool = False
) -> Reply:
    """A milestone reminder with Done, Snooze, Move date and Open project buttons.

    Args:
        r: What to say.
        note: Who did what (after a button was pressed), shown as a line under it.
        closed: Drop the buttons that change the milestone (it is done).

    Returns:
        The message.
    """
    mrkdwn, plain = _headline(r)
    blocks: list[Block] = [section(mrkdwn)]
    blocks.append(
        context(
            f"Project *{escape(r.milestone.project_name)}* (`{r.project_key}`) · "
            f"times in {escape(r.zone.key)}"
        )
    )
    value = reminder_value(r.delivery_id, r.milestone.ref)
    if closed:
        elements = [button("Open project", ids.OPEN_PROJECT_ACTION, r.project_key)]
    else:
        elements = [
            button("Done", ids.REMINDER_DONE_ACTION, value, style="primary"),
            button("Snooze 1 h", ids.REMINDER_SNOOZE_ACTION_PREFIX + SnoozeOption.HOUR, value),
            button(
                f"Tomorrow {r.snooze_at}", ids.REMINDER_SNOOZE_ACTION_PREFIX + SnoozeOption.TOMORROW, value
            ),
            button("Next week", ids.REMINDER_SNOOZE_ACTION_PREFIX + SnoozeOption.NEXT_WEEK, value),
            button("Move date…", ids.REMINDER_MOVE_ACTION, value),
            button("Open project", ids.OPEN_PROJECT_ACTION, r.project_key),
        ]
    blocks.append(actions(elements, block_id=ids.REMINDER_ACTIONS_BLOCK))
    if note is not None:
        blocks.append(context(_note_text(note)))
    return Reply(text=plain, blocks=blocks)


def _note_text(note: ReminderNote) -> str:
    """The mrkdwn line saying who did what to a reminder, times in the presser's zone."""

    def when(moment: datetime | None) -> str:
        assert moment is not None, f"a {note.kind} note has its times"
        return format_local(moment, note.zone)

    def who() -> str:
        assert note.actor is not None, f"a {note.kind} note names who pressed the button"
        return f"<@{note.actor}>"

    if note.kind == NoteKind.DONE:
        return f":white_check_mark: {who()} marked this done · {when(note.at)}"
    if note.kind == NoteKind.ALREADY_DONE:
        return ":white_check_mark: Already done."
    if note.kind == NoteKind.SNOOZED:
        return f":zzz: {who()} snoozed this until {when(note.at)}"
    if note.kind == NoteKind.ALREADY_DUE:
        return f":spiral_calendar_pad: Already due {when(note.at)}."
    return f":spiral_calendar_pad: {who()} moved this to {when(note.at)} (was {when(note.previous)})"


def _line(line: MilestoneLine, zone: ZoneInfo, now: datetime) -> str:
    due = _due(line, zone, now)
    return f"• `{line.ref}` {truncate_escaped(line.title, 120)} · {due} · owner {mention(line.owner)}"


def build_digest_reply(d: ProjectDigest) -> Reply:
    """The weekly project digest for the project channel."""
    blocks: list[Block] = [
        section(f":spiral_calendar_pad: *Weekly digest of {escape(d.project_name)}* (`{d.project_key}`)")
    ]
    if d.overdue:
        blocks.append(
            section(
                f"*Overdue* ({len(d.overdue)})\n"
                + "\n".join(_line(m, d.zone, d.now) for m in d.overdue[:MAX_DIGEST_LINES])
            )
        )
    if d.upcoming:
        blocks.append(
            section(
                f"*Due in the next 14 days* ({len(d.upcoming)})\n"
                + "\n".join(_line(m, d.zone, d.now) for m in d.upcoming[:MAX_DIGEST_LINES])
            )
        )
    if not d.overdue and not d.upcoming:
        blocks.append(section("Nothing is overdue and nothing is due in the next 14 days."))
    blockers = f"{d.open_blockers} open blocker{'s' if d.open_blockers != 1 else ''}"
    blocks.append(context(f"Lead {mention(d.lead)} · {blockers} · times in {escape(d.zone.key)}"))
    blocks.append(
        actions([button("Open project", ids.OPEN_PROJECT_ACTION, d.project_key)], block_id="digest")
    )
    text = (
        f"Weekly digest of {d.project_name}: {len(d.overdue)} overdue, {len(d.upcoming)} due in 14 days, "
        f"{blockers}"
    )
    return Reply(text=text, blocks=blocks)


def build_waiting_reply(w: WaitingDigest) -> Reply:
    """The daily "waiting on you" DM."""
    overdue = [m for m in w.items if m.overdue]
    soon = [m for m in w.items if not m.overdue]
    blocks: list[Block] = [section(":inbox_tray: *Waiting on you*")]
    if overdue:
        blocks.append(
            section(
                f"*Overdue* ({len(overdue)})\n"
                + "\n".join(_line(m, w.zone, w.now) for m in overdue[:MAX_DIGEST_LINES])
            )
        )
    if soon:
        blocks.append(
            section(
                f"*Due this week* ({len(soon)})\n"
                + "\n".join(_line(m, w.zone, w.now) for m in soon[:MAX_DIGEST_LINES])
            )
        )
    blocks.append(context("One message a day, on working days. Stop it with `/milestone remind me off`."))
    return Reply(text=f"Waiting on you: {len(overdue)} overdue, {len(soon)} due this week", blocks=blocks)


def build_failure_reply(f: FailureNotice) -> Reply:
    """Tells a project lead that a delivery could not be made."""
    about = f" about `{f.milestone.ref}` *{truncate_escaped(f.milestone.title, 200)}*" if f.milestone else ""
    text = (
        f":warning: Liaison could not deliver {escape(f.what)}{about} to {f.target}: "
        f"`{escape(f.error)}`. It was retried and has now been given up."
    )
    return Reply(text=f"Could not deliver {f.what}: {f.error}", blocks=[section(text)])


def build_move_modal(reminder: MilestoneReminder, target: MoveTarget) -> dict[str, Any]:
    """The Move-date modal opened from a reminder; the date is read in the clicker's zone."""
    metadata = {"d": target.delivery_id, "m": target.ref, "c": target.channel, "ts": target.ts}
    m = reminder.milestone
    due = format_local(m.due_at, reminder.zone)
    return {
        "type": "modal",
        "callback_id": ids.REMINDER_MOVE_MODAL,
        "title": {"type": "plain_text", "text": truncate(f"Move {m.ref}", MAX_MODAL_TITLE)},
        "submit": {"type": "plain_text", "text": "Move"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "private_metadata": json.dumps(metadata),
        "blocks": [
            section(f"`{m.ref}` *{truncate_escaped(m.title, 300)}* is due {due}."),
            {
                "type": "input",
                "block_id": ids.DUE_INPUT,
                "label": {"type": "plain_text", "text": "New due date"},
                "element": {
                    "type": "plain_text_input",
                    "action_id": ids.DUE_INPUT,
                    "max_length": 60,
                    "placeholder": {"type": "plain_text", "text": "2026-12-04 17:00, or next friday 17:00"},
                },
                "hint": {"type": "plain_text", "text": f"In your time zone ({reminder.zone.key})."},
            },
        ],
    }


def build_policy_reply(view: PolicyView, *, changed: bool, command: str) -> Reply:
    """`/milestone remind`: a scope's effective reminder policy (and that it was just changed)."""
    lines = [
        f"• `{label}` {escape(value)}" + (" _(set here)_" if label in view.set_here else "")
        for label, value in view.effective
    ]
    title = f"Reminders for {view.scope}" + (" — saved" if changed else "")
    blocks: list[Block] = [
        section(f":bell: *{escape(title)}*\n" + "\n".join(lines)),
        context(
            f"Change with e.g. `{command} remind bidshade lead-times 7d,1d,0 at 09:00`, "
            "`quiet 20:00-08:00`, `weekends skip`, `escalate-lead 2d`, `escalate-channel 5d`, "
            "`digest mon 09:00`; `reset` inherits again. "
            f"Your daily “waiting on you” DM: `{command} remind me off|on`."
        ),
    ]
    return Reply(text=f"{title}: " + "; ".join(f"{k} {v}" for k, v in view.effective), blocks=blocks)
