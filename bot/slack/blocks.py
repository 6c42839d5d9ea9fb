"""Pure Block Kit builders for messages. No Slack calls here.

Every string that came from a user (project names, descriptions, milestone titles, blocker text,
search queries) passes through `escape` before it goes into mrkdwn, so `<!channel>` or `<@U…>` typed
into a project name shows as text and pings nobody. Slack's limits are enforced here: at most 50
blocks per message, 3,000 characters per section, 150 per header, 75 per button label.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from bot.agreements.waiting import WaitingOn
from bot.domain.dates import format_local, format_relative
from bot.domain.dates.vocabulary import day_label
from bot.domain.matching import Candidate
from bot.models import MilestoneStatus, ProjectStatus, Role
from bot.projects.reports import (
    BlockerLine,
    MemberLine,
    MilestoneLine,
    PersonRef,
    ProjectLine,
    ProjectStatusReport,
)
from bot.slack import ids

Block = dict[str, Any]
MAX_BLOCKS = 50
MAX_SECTION_TEXT = 3000
MAX_HEADER_TEXT = 150
MAX_BUTTON_TEXT = 75
MAX_BUTTON_VALUE = 2000
MAX_FALLBACK_TEXT = 3000
STATUS_EMOJI = {
    ProjectStatus.ON_TRACK: ":large_green_circle: on track",
    ProjectStatus.AT_RISK: ":large_yellow_circle: at risk",
    ProjectStatus.BLOCKED: ":red_circle: blocked",
    ProjectStatus.DONE: ":white_check_mark: done",
}


def escape(text: str) -> str:
    """Escape the three characters Slack's mrkdwn treats as control (`&`, `<`, `>`)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def truncate(text: str, limit: int) -> str:
    """Cut `text` to `limit` characters, ending with an ellipsis when cut."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def truncate_escaped(text: str, limit: int) -> str:
    """Escape, then cut without splitting an entity such as `&amp;` (escaping lengthens text)."""
    escaped = escape(text)
    if len(escaped) <= limit:
        return escaped
    cut = escaped[: limit - 1]
    amp = cut.rfind("&")
    if amp != -1 and ";" not in cut[amp:]:
        cut = cut[:amp]
    return cut.rstrip() + "…"


def mention(person: PersonRef | None) -> str:
    """A user mention for a person we know by Slack id (ids are validated on import/creation)."""
    return f"<@{person.slack_id}>" if person is not None else "_nobody_"


def section(text: str, *, accessory: Block | None = None) -> Block:
    """A mrkdwn section; `text` must already be escaped. Cut to Slack's 3,000 characters."""
    block: Block = {"type": "section", "text": {"type": "mrkdwn", "text": truncate(text, MAX_SECTION_TEXT)}}
    if accessory is not None:
        block["accessory"] = accessory
    return block


def header(text: str) -> Block:
    """A header block (plain text, so no escaping needed)."""
    return {
        "type": "header",
        "text": {"type": "plain_text", "text": truncate(text, MAX_HEADER_TEXT), "emoji": True},
    }


def context(text: str) -> Block:
    """Small grey mrkdwn text; `text` must already be escaped."""
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": truncate(text, MAX_SECTION_TEXT)}]}


def divider() -> Block:
    """A horizontal rule."""
    return {"type": "divider"}


def button(label: str, action_id: str, value: str, *, style: str | None = None) -> Block:
    """A button with a plain-text label (cut to 75 characters)."""
    element: Block = {
        "type": "button",
        "text": {"type": "plain_text", "text": truncate(label, MAX_BUTTON_TEXT), "emoji": True},
        "action_id": action_id,
        "value": value,
    }
    if style:
        element["style"] = style
    return element


def actions(elements: Sequence[Block], block_id: str | None = None) -> Block:
    """An actions block (at most 25 elements)."""
    block: Block = {"type": "actions", "elements": list(elements)[:25]}
    if block_id:
        block["block_id"] = block_id
    return block


@dataclass(frozen=True)
class Reply:
    """A message: Block Kit blocks plus the plain-text fallback Slack shows in notifications."""

    text: str
    blocks: list[Block] = field(default_factory=list)

    def as_kwargs(self) -> dict[str, Any]:
        """Arguments for `respond()` / `chat.postMessage`."""
        # The fallback text is parsed as mrkdwn for notifications, so it is escaped like block text.
        return {"text": truncate_escaped(self.text, MAX_FALLBACK_TEXT), "blocks": cap_blocks(self.blocks)}


@dataclass(frozen=True)
class DirectMessage:
    """A message to one person's DM with the app (someone told about a change another person made)."""

    user_id: str
    reply: Reply


def cap_blocks(blocks: list[Block], limit: int = MAX_BLOCKS) -> list[Block]:
    """Keep a message within Slack's block limit, saying how much was left out."""
    if len(blocks) <= limit:
        return blocks
    kept = blocks[: limit - 1]
    return [
        *kept,
        context(f"…and {len(blocks) - len(kept)} more not shown. Narrow the question to see them."),
    ]


# -- shared pieces -------------------------------------------------------------------------------


def when(instant: datetime, zone: ZoneInfo, now: datetime) -> str:
    """Due time in the viewer's zone plus a relative hint: "Fri 27 Nov 2026, 12:00 CET (in 7 days)"."""
    return f"{format_local(instant, zone)} ({format_relative(instant, now)})"


def milestone_text(line: MilestoneLine, zone: ZoneInfo, now: datetime, *, with_project: bool = False) -> str:
    """One milestone as a mrkdwn line."""
    mark = (
        ":white_check_mark:"
        if line.status == MilestoneStatus.DONE
        else (":warning:" if line.overdue else ":spiral_calendar_pad:")
    )
    project = f" · _{escape(line.project_name)}_" if with_project else ""
    due = (
        f"done {format_local(line.done_at, zone)}"
        if line.status == MilestoneStatus.DONE and line.done_at
        else when(line.due_at, zone, now)
    )
    after = " · after " + ", ".join(f"`{escape(ref)}`" for ref in line.after) if line.after else ""
    text = (
        f"{mark} `{line.ref}` *{truncate_escaped(line.title, 300)}*{project}\n"
        f"      {due} · owner {mention(line.owner)}{after}"
    )
    for wait in line.waiting_on[:3]:  # unsigned agreements it requires (bot.agreements)
        text += f"\n      :hourglass_flowing_sand: {waiting_text(wait, now.astimezone(zone).date())}"
    if line.description:
        text += f"\n      {truncate_escaped(' '.join(line.description.split()), 300)}"
    if line.links:
        text += "\n      " + " · ".join(link_text(url) for url in line.links[:5])
    return text


def waiting_text(wait: WaitingOn, today: date) -> str:
    """ "waiting on `dua-7` (legal review, 23 days in this status)"; keys are validated, labels escaped."""
    days = wait.days_in_status(today)
    unit = "day" if days == 1 else "days"
    return f"waiting on `{escape(wait.key)}` ({escape(wait.status)}, {days} {unit} in this status)"


def link_text(url: str) -> str:
    """A stored (validated http(s)) link as a mrkdwn link labelled with its host, escaped."""
    host = urlsplit(url).netloc or url
    return f"<{escape(url)}|{truncate_escaped(host, 60)}>"


def age_text(raised_at: datetime, now: datetime) -> str:
    """How long ago something happened: "today", "1 day ago", "5 days ago"."""
    days = (now - raised_at) // timedelta(days=1)
    if days <= 0:
        return "today"
    return f"{days} day ago" if days == 1 else f"{days} days ago"


def milestone_blocks(
    lines: Iterable[MilestoneLine],
    zone: ZoneInfo,
    now: datetime,
    *,
    with_project: bool = False,
    done_button_for: str | None = None,
) -> list[Block]:
    """One section per milestone; a Done button where the viewer may complete it."""
    blocks = []
    for line in lines:
        accessory = None
        if (
            done_button_for
            and line.status == MilestoneStatus.OPEN
            and line.owner is not None
            and line.owner.slack_id == done_button_for
        ):
            accessory = button("Mark done", ids.MILESTONE_DONE_ACTION, line.ref, style="primary")
        blocks.append(
            section(milestone_text(line, zone, now, with_project=with_project), accessory=accessory)
        )
    return blocks


def zone_note(zone: ZoneInfo) -> Block:
    """Footer saying which zone times are shown in."""
    return context(f"Times in your time zone ({zone.key}).")


# -- replies -------------------------------------------------------------------------------------


def build_error_reply(
    message: str, *, alternatives: Sequence[Candidate] = (), command: str = "", retry_template: str = ""
) -> Reply:
    """An ephemeral error, with "did you mean" buttons that re-run the command with each choice."""
    blocks = [section(f":warning: {escape(message)}")]
    if alternatives and command and retry_template:
        choices = []
        for number, candidate in enumerate(alternatives[:3]):
            value = json.dumps({"command": command, "text": retry_template.format(key=candidate.key)})
            # A button re-runs the whole command; one too long for a button value (a pasted essay)
            # gets no button, and the keys named in the message still let the user retype it.
            if len(value) <= MAX_BUTTON_VALUE:
                # Slack rejects an actions block whose elements share an action_id: number them.
                label = f"{candidate.name} ({candidate.key})"
                choices.append(button(label, f"{ids.PICK_PROJECT_ACTION}:{number}", value))
        if choices:
            blocks.append(actions(choices, block_id="did_you_mean"))
    # The notification fallback names the choices too (find_project's message ends "Did you mean:").
    text = f"{message} " + ", ".join(c.key for c in alternatives[:3]) if alternatives else message
    return Reply(text=text, blocks=blocks)


def build_notice_reply(message: str) -> Reply:
    """A short confirmation; `message` is escaped here."""
    return Reply(text=message, blocks=[section(escape(message))])


def build_project_list_reply(lines: Sequence[ProjectLine], *, mine: bool, command: str) -> Reply:
    """`/project list`: one section per project with its status, lead and my role."""
    title = "Your projects" if mine else "Projects"
    if not lines:
        hint = (
            f"You are not on any project yet. See all with `{command} list all`, join with "
            f"`{command} join KEY`."
            if mine
            else "None to show."
        )
        return Reply(text=f"{title}: none. {hint}", blocks=[section(escape(title) + ": none.\n" + hint)])
    blocks: list[Block] = [header(f"{title} ({len(lines)})")]
    for line in lines:
        role = f" · you: {line.my_role.value}" if line.my_role else ""
        lock = (" :lock:" if line.private else "") + (" · archived" if line.archived else "")
        blocks.append(
            section(
                f"*{truncate_escaped(line.name, 200)}* `{line.key}`{lock}\n"
                f"{STATUS_EMOJI[line.status]} · lead {mention(line.lead)} · "
                f"{line.member_count} members{role}",
                accessory=button("Status", ids.OPEN_PROJECT_ACTION, line.key),
            )
        )
    if mine:
        blocks.append(context(f"Only projects you are on. All projects: `{command} list all`."))
    text = f"{title}: " + ", ".join(f"{line.key} ({line.status.value})" for line in lines)
    return Reply(text=text, blocks=blocks)


def _member_text(member: MemberLine) -> str:
    role = "lead · " if member.role == Role.LEAD else ("viewer · " if member.role == Role.VIEWER else "")
    parts = [escape(x) for x in (member.discipline, member.organisation) if x]
    if member.until is not None:
        parts.append(f":wave: last day {day_label(member.until)}")
    details = " · ".join(parts)
    return f"{mention(member.person)} — {role}{details}" if details or role else mention(member.person)


def build_project_status_reply(
    report: ProjectStatusReport, zone: ZoneInfo, now: datetime, viewer: str
) -> Reply:
    """`/project status`: the project at a glance, in the viewer's time zone."""
    p = report.project
    blocks: list[Block] = [
        header(f"{p.name} ({p.key})"),
        section(
            f"{STATUS_EMOJI[p.status]} · lead {mention(p.lead)}"
            + (f" · <#{p.channel_id}>" if p.channel_id else "")
            + (" · :lock: private" if p.private else "")
            + (" · :file_cabinet: archived (read-only)" if p.archived else "")
        ),
    ]
    if report.description:
        blocks.append(section(truncate_escaped(report.description, MAX_SECTION_TEXT)))
    blocks.append(section("*Members*\n" + "\n".join(_member_text(m) for m in report.members[:40])))
    blocks.append(
        section(
            f"*Next milestones* ({len(report.next_milestones)})"
            if report.next_milestones
            else "*Next milestones*: none scheduled."
        )
    )
    blocks += milestone_blocks(report.next_milestones, zone, now, done_button_for=viewer)
    if report.overdue:
        blocks.append(section(f"*Overdue* ({len(report.overdue)})"))
        blocks += milestone_blocks(report.overdue[:15], zone, now, done_button_for=viewer)
    if report.open_blockers:
        blockers = f"*Open blockers* ({len(report.open_blockers)})"
    elif p.status == ProjectStatus.BLOCKED:
        blockers = "*Open blockers*: none recorded, though the status is blocked."
    else:
        blockers = "*Open blockers*: none."
    blocks.append(section(blockers))
    blocks += [section(_blocker_text(b, now)) for b in report.open_blockers[:10]]
    blocks.append(zone_note(zone))
    text = (
        f"{p.name} ({p.key}): {p.status.value}; {len(report.next_milestones)} upcoming, "
        f"{len(report.overdue)} overdue milestones; {len(report.open_blockers)} open blockers"
    )
    return Reply(text=text, blocks=blocks)


def build_members_reply(project: ProjectLine, members: Sequence[MemberLine]) -> Reply:
    """`/project members`."""
    lines = [_member_text(m) for m in members]
    disciplines = sorted({m.discipline for m in members if m.discipline})
    blocks = [
        header(f"Members of {project.name}"),
        section("\n".join(lines[:60]) or "No members."),
        context("Disciplines: " + ", ".join(escape(d) for d in disciplines)),
    ]
    return Reply(text=f"{project.key} members: " + ", ".join(m.person.name for m in members), blocks=blocks)


def _blocker_text(line: BlockerLine, now: datetime | None = None) -> str:
    age = f" {age_text(line.raised_at, now)}" if now is not None else ""
    on = f" · holds up `{escape(line.milestone)}`" if line.milestone else ""
    return (
        f":no_entry: `{line.ref}` {truncate_escaped(line.text, 2500)}\n"
        f"      raised{age} by {mention(line.raised_by)}{on}"
    )


def build_blockers_reply(
    lines: Sequence[BlockerLine],
    scope: str,
    *,
    blocked_hint: str | None = None,
    now: datetime | None = None,
) -> Reply:
    """`/blocker list` and `/project blockers`.

    Args:
        lines: The open blockers.
        scope: "on KEY", "in your visible projects"…
        blocked_hint: For one project whose status is blocked: what to do about a blocked project
            without recorded blockers (mrkdwn, escaped); said instead of celebrating "no blockers".
        now: The current instant, to show each blocker's age ("raised 5 days ago").
    """
    if not lines and blocked_hint is not None:
        message = f"No blockers are recorded {scope}, but its status is blocked."
        return Reply(
            text=message,
            blocks=[
                section(
                    f":red_circle: No blockers are recorded {escape(scope)}, but its status is *blocked*."
                )
            ]
            + [context(blocked_hint)],
        )
    if not lines:
        return Reply(
            text=f"No open blockers {scope}.", blocks=[section(f":tada: No open blockers {escape(scope)}.")]
        )
    blocks = [header(f"Open blockers {scope}"), *[section(_blocker_text(b, now)) for b in lines]]
    return Reply(
        text=f"{len(lines)} open blockers {scope}: " + "; ".join(b.ref for b in lines), blocks=blocks
    )


def build_milestone_list_reply(
    title: str, lines: Sequence[MilestoneLine], zone: ZoneInfo, now: datetime, *, viewer: str, empty: str
) -> Reply:
    """A titled list of milestones (list, next, overdue) with Done buttons on the viewer's own."""
    if not lines:
        return Reply(text=empty, blocks=[section(escape(empty))])
    blocks = [
        header(f"{title} ({len(lines)})"),
        *milestone_blocks(lines, zone, now, with_project=True, done_button_for=viewer),
        zone_note(zone),
    ]
    text = f"{title}: " + "; ".join(
        f"{m.ref} {m.title} due {format_local(m.due_at, zone)}" for m in lines[:20]
    )
    return Reply(text=text, blocks=blocks)


def build_confirm_move_reply(
    line: MilestoneLine, local_text: str, payload: str, *, in_the_past: bool = False
) -> Reply:
    """Ask before applying a relative date ("next friday") or one in the past, echoing what it was
    understood as."""
    message = f"Move `{line.ref}` *{truncate_escaped(line.title, 300)}* to *{escape(local_text)}*?"
    if in_the_past:
        message += "\n:warning: That is in the past: the milestone would be overdue at once."
    return Reply(
        text=f"Move {line.ref} to {local_text}?" + (" (in the past)" if in_the_past else ""),
        blocks=[
            section(message),
            actions(
                [
                    button("Move it", ids.CONFIRM_MOVE_ACTION, payload, style="primary"),
                    button("Cancel", ids.CANCEL_ACTION, line.ref),
                ],
                block_id="confirm_move",
            ),
        ],
    )


def _milestone_refs(lines: Sequence[MilestoneLine], zone: ZoneInfo, now: datetime) -> str:
    return "\n".join(
        f"• `{line.ref}` *{truncate_escaped(line.title, 200)}* — {when(line.due_at, zone, now)}"
        for line in lines[:20]
    ) + (f"\n…and {len(lines) - 20} more" if len(lines) > 20 else "")


def build_handover_reply(
    *,
    intro: str,
    pending: Sequence[MilestoneLine],
    zone: ZoneInfo,
    now: datetime,
    hand_to: PersonRef | None,
    confirm_label: str,
    confirm_value: str | None,
    usage: str,
) -> Reply:
    """Ask for a new owner before someone leaves (or is removed from) a project they own milestones on.

    Args:
        intro: The question's first sentence (mrkdwn, escaped).
        pending: The open milestones that need a new owner.
        zone: The asker's zone.
        now: The current instant.
        hand_to: The suggested new owner (the lead), or None when there is none to suggest.
        confirm_label: The label of the button that hands everything to `hand_to` and goes ahead.
        confirm_value: Its value (the command to re-run, JSON); None for no button.
        usage: How to name someone else instead (escaped).
    """
    blocks: list[Block] = [section(f"{intro}\n{_milestone_refs(pending, zone, now)}")]
    elements = []
    if hand_to is not None and confirm_value is not None and len(confirm_value) <= MAX_BUTTON_VALUE:
        elements.append(button(confirm_label, ids.HANDOVER_ACTION, confirm_value, style="primary"))
    elements.append(button("Cancel", ids.CANCEL_ACTION, "handover"))
    blocks.append(actions(elements, block_id=ids.HANDOVER_BLOCK))
    blocks.append(context(usage))
    refs = ", ".join(line.ref for line in pending[:20])
    return Reply(text=f"{len(pending)} open milestones need a new owner first: {refs}", blocks=blocks)
