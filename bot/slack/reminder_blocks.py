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

from bot.domain.dates import format_local
from bot.domain.dates.formatting import DueText, describe_due
from bot.domain.reminders import DeliveryKind, SnoozeOption
from bot.projects.reports import MilestoneLine
from bot.reminders.actions import NoteKind, ReminderNote
from bot.reminders.admin import PolicyView
from bot.reminders.content import (
    WAITING_HORIZON,
    Content,
    DirectMessage,
    FailureNotice,
    MilestoneReminder,
    ProjectDigest,
    ReminderState,
    WaitingDigest,
)
from bot.slack import ids
from bot.slack.blocks import (
    Block,
    Reply,
    actions,
    button,
    context,
    divider,
    escape,
    mention,
    section,
    truncate,
    truncate_escaped,
)
from bot.slack.checkin_blocks import build_checkin_digest_block
from bot.slack.payload_values import loads_clean, row_id

# Ten lines of at most ~250 characters keep a digest section under Slack's 3,000.
MAX_DIGEST_LINES = 10
MAX_MODAL_TITLE = 24


def reminder_value(delivery_id: int, ref: str) -> str:
    """The value reminder buttons carry."""
    return json.dumps({"d": delivery_id, "m": ref}, separators=(",", ":"))


def parse_reminder_value(value: str) -> tuple[int, str] | None:
    """(delivery id, milestone ref) from a reminder button's value; None if it is not one."""
    try:
        data = loads_clean(value)
        delivery_id, ref = row_id(data["d"]), data["m"]
    except (ValueError, KeyError, TypeError):
        return None
    if delivery_id is None or not isinstance(ref, str):
        return None
    return delivery_id, ref


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
        data = loads_clean(private_metadata or "{}")
        delivery_id, ref, channel, ts = row_id(data["d"]), data["m"], data.get("c"), data.get("ts")
    except (ValueError, KeyError, TypeError):
        return None
    if delivery_id is None or not isinstance(ref, str):
        return None
    # Where the reminder was posted, to redraw it; anything but strings means nowhere known.
    channel = channel if isinstance(channel, str) and channel else None
    ts = ts if isinstance(ts, str) and ts else None
    return MoveTarget(delivery_id, ref, channel, ts)


def build_content_reply(content: Content) -> Reply:
    """The message for any composed delivery."""
    if isinstance(content, MilestoneReminder):
        return build_reminder_reply(content)
    if isinstance(content, DirectMessage):
        return build_direct_reply(content)
    if isinstance(content, ProjectDigest):
        return build_digest_reply(content)
    if isinstance(content, WaitingDigest):
        return build_waiting_reply(content)
    return build_failure_reply(content)


def build_redrawn_reply(content: Content, *, note: ReminderNote | None, pressed: int | None) -> Reply:
    """A reminder message as it reads after one of its buttons was pressed (`chat.update`).

    Args:
        content: The whole message as it now reads (one reminder, or a combined DM).
        note: Who did what, shown under the reminder whose button was pressed.
        pressed: That reminder's delivery id.
    """
    if isinstance(content, MilestoneReminder):
        return build_reminder_reply(content, note=note)
    if isinstance(content, DirectMessage):
        return build_direct_reply(content, note=note, pressed=pressed)
    return build_content_reply(content)


def _is_due(due: DueText, *, bold: bool = False) -> str:
    """Where the due time stands: "is *2 days overdue* (due Fri 4 Dec …)" or "is due in 4 days (Thu …)"."""
    if due.overdue and bold:
        return f"is *{due.relative}* (due {due.local})"
    return f"is {due.phrase}"


def _headline(r: MilestoneReminder) -> tuple[str, str]:
    """(mrkdwn, plain) first line of a milestone reminder; the due phrase is computed once, here."""
    m = r.milestone
    title = truncate_escaped(m.title, 300)
    if r.state == ReminderState.DONE:
        if m.done_at is None:  # its project was closed
            return f":white_check_mark: `{m.ref}` *{title}* is closed with its project.", f"Closed: {m.ref}"
        by = f" by <@{r.done_by}>" if r.done_by else ""
        return (
            f":white_check_mark: `{m.ref}` *{title}* done{by} · {format_local(m.done_at, r.zone)}",
            f"Done: {m.ref} {m.title}",
        )
    due = r.due
    if r.state == ReminderState.MOVED:
        return (
            f":spiral_calendar_pad: `{m.ref}` *{title}* was moved and {_is_due(due)}.",
            f"Moved: {m.ref} {m.title}",
        )
    if r.kind == DeliveryKind.ESCALATE_LEAD:
        unanswered = (
            f" {mention(m.owner)} has not answered {r.ignored} reminder{'s' if r.ignored != 1 else ''}."
            if r.ignored
            else ""
        )
        return (
            f":warning: `{m.ref}` *{title}* (owner {mention(m.owner)}) "
            f"{_is_due(due, bold=True)}.{unanswered}",
            f"Needs chasing: {m.ref} {m.title}",
        )
    if r.kind == DeliveryKind.ESCALATE_CHANNEL:
        return (
            f":rotating_light: `{m.ref}` *{title}* {_is_due(due, bold=True)}. "
            f"Owner {mention(m.owner)}, lead {mention(r.lead)}.",
            f"Late milestone: {m.ref} {m.title}",
        )
    if r.kind == DeliveryKind.SNOOZE and r.asked_for:
        return (
            f":alarm_clock: Reminder you asked for: `{m.ref}` *{title}* {_is_due(due)}.",
            f"Reminder: {m.ref} {m.title}",
        )
    if r.kind == DeliveryKind.SNOOZE:
        return (
            f":alarm_clock: Snoozed reminder: `{m.ref}` *{title}* {_is_due(due)}.",
            f"Reminder: {m.ref} {m.title}",
        )
    if r.lead_time == "0":
        # Quiet hours or a weekend may have moved the due-time reminder past the due time itself.
        return f":hourglass: `{m.ref}` *{title}* {_is_due(due)}.", f"Due: {m.ref} {m.title}"
    return (
        f":alarm_clock: Reminder: `{m.ref}` *{title}* {_is_due(due)}.",
        f"Reminder: {m.ref} {m.title} is due soon",
    )


def _reminder_buttons(r: MilestoneReminder) -> list[Block]:
    """The buttons that still make sense: all while it is due as sent; Done and Move date once it was
    moved (its reminders are planned afresh for the new date, so snoozing this one means nothing);
    none once it is done."""
    if r.state == ReminderState.DONE:
        return []
    value = reminder_value(r.delivery_id, r.milestone.ref)
    done = button("Done", ids.REMINDER_DONE_ACTION, value, style="primary")
    move = button("Move date…", ids.REMINDER_MOVE_ACTION, value)
    open_project = button("Open project", ids.OPEN_PROJECT_ACTION, r.project_key)
    if r.state == ReminderState.MOVED:
        return [done, move, open_project]
    return [
        done,
        button("Snooze 1 h", ids.REMINDER_SNOOZE_ACTION_PREFIX + SnoozeOption.HOUR, value),
        button(f"Tomorrow {r.snooze_at}", ids.REMINDER_SNOOZE_ACTION_PREFIX + SnoozeOption.TOMORROW, value),
        button("Next week", ids.REMINDER_SNOOZE_ACTION_PREFIX + SnoozeOption.NEXT_WEEK, value),
        move,
        open_project,
    ]


def _reminder_blocks(
    r: MilestoneReminder, note: ReminderNote | None, *, closed: bool = False
) -> tuple[list[Block], str]:
    mrkdwn, plain = _headline(r)
    blocks: list[Block] = [
        section(mrkdwn),
        context(
            f"Project *{escape(r.milestone.project_name)}* (`{r.project_key}`) · "
            f"times in {escape(r.zone.key)}"
        ),
    ]
    elements = [] if closed else _reminder_buttons(r)
    if elements:
        # Block ids must be unique within a message, and a combined DM has several reminders.
        blocks.append(actions(elements, block_id=f"{ids.REMINDER_ACTIONS_BLOCK}:{r.delivery_id}"))
    # "Done" is said by the first line itself.
    if note is not None and not (note.kind == NoteKind.DONE and r.state == ReminderState.DONE):
        blocks.append(context(_note_text(note)))
    return blocks, plain


def build_reminder_reply(
    r: MilestoneReminder, *, note: ReminderNote | None = None, closed: bool = False
) -> Reply:
    """A milestone reminder with the buttons its state allows (Done, Snooze, Move date, Open project).

    Args:
        r: What to say.
        note: Who did what (after a button was pressed), shown as a line under it.
        closed: Show no buttons whatever the state (a done milestone's state already drops them).

    Returns:
        The message.
    """
    blocks, plain = _reminder_blocks(r, note, closed=closed)
    return Reply(text=plain, blocks=blocks)


def build_direct_reply(
    dm: DirectMessage, *, note: ReminderNote | None = None, pressed: int | None = None
) -> Reply:
    """Everything due for one person in one tick as one DM: reminders (each with its buttons), the rest
    of the "waiting on you" list, failure reports; each milestone once.

    Args:
        dm: What to say.
        note: Who did what, under the reminder whose delivery id is `pressed` (a redraw).
        pressed: See `note`.
    """
    blocks: list[Block] = []
    plains: list[str] = []
    for r in dm.reminders:
        if blocks:
            blocks.append(divider())
        shown, plain = _reminder_blocks(r, note if r.delivery_id == pressed else None)
        blocks += shown
        plains.append(plain)
    if dm.more:
        lines = [_line(r.milestone, r.zone, r.now) for r in dm.more[:MAX_DIGEST_LINES]]
        blocks.append(section(f"*And {len(dm.more)} more*\n" + "\n".join(lines)))
        plains.append(f"{len(dm.more)} more")
    if dm.waiting is not None:
        if blocks:
            blocks.append(divider())
        shown_waiting, plain = _waiting_blocks(dm.waiting, also=bool(dm.reminders))
        blocks += shown_waiting
        plains.append(plain)
    if dm.failures:
        if blocks:
            blocks.append(divider())
        lines = [_failure_text(f) for f in dm.failures[:MAX_DIGEST_LINES]]
        extra = len(dm.failures) - len(lines)
        blocks.append(section("\n".join(lines) + (f"\n…and {extra} more." if extra > 0 else "")))
        plains.append(f"Could not deliver {len(dm.failures)} message{'s' if len(dm.failures) != 1 else ''}")
    return Reply(text="; ".join(plains) or "Reminders", blocks=blocks)


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
    due = describe_due(line.due_at, now, zone).phrase
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
    if d.checkin is not None:
        blocks.append(build_checkin_digest_block(d.checkin))
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
    blocks, plain = _waiting_blocks(w, also=False)
    return Reply(text=plain, blocks=blocks)


def _waiting_blocks(w: WaitingDigest, *, also: bool) -> tuple[list[Block], str]:
    overdue = [m for m in w.items if m.overdue]
    soon = [m for m in w.items if not m.overdue]
    blocks: list[Block] = [
        section(":inbox_tray: *Also waiting on you*" if also else ":inbox_tray: *Waiting on you*")
    ]
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
                f"*Due in the next {WAITING_HORIZON.days} days* ({len(soon)})\n"
                + "\n".join(_line(m, w.zone, w.now) for m in soon[:MAX_DIGEST_LINES])
            )
        )
    blocks.append(context("One message a day, on working days. Stop it with `/milestone remind me off`."))
    horizon = WAITING_HORIZON.days
    return blocks, f"Waiting on you: {len(overdue)} overdue, {len(soon)} due in the next {horizon} days"


def build_failure_reply(f: FailureNotice) -> Reply:
    """Tells a project lead that a delivery could not be made."""
    return Reply(text=f"Could not deliver {f.what}: {f.error}", blocks=[section(_failure_text(f))])


def _failure_text(f: FailureNotice) -> str:
    about = f" about `{f.milestone.ref}` *{truncate_escaped(f.milestone.title, 200)}*" if f.milestone else ""
    return (
        f":warning: Liaison could not deliver {escape(f.what)}{about} to {f.target}: "
        f"`{escape(f.error)}`. It was retried and has now been given up."
    )


def build_move_modal(reminder: MilestoneReminder, target: MoveTarget) -> dict[str, Any]:
    """The Move-date modal opened from a reminder; the date is read in the clicker's zone."""
    metadata = {"d": target.delivery_id, "m": target.ref, "c": target.channel, "ts": target.ts}
    m = reminder.milestone
    due = format_local(m.due_at, reminder.zone)
    # A date alone keeps the milestone's time of day and zone (`bot.projects.milestones.read_move_due`).
    kept = m.due_at.astimezone(ZoneInfo(m.due_zone))
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
                    "placeholder": {"type": "plain_text", "text": "dec 18, next friday or 2026-12-18 15:00"},
                },
                "hint": {
                    "type": "plain_text",
                    "text": f"A time is read in your time zone ({reminder.zone.key}); a date alone keeps "
                    f"{kept:%H:%M} {m.due_zone}.",
                },
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
