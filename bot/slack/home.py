"""The App Home tab view and the Move-date form it opens (pure builders).

Sections, in order: the viewer's overdue milestones; for leads, "Projects you lead" (others' overdue
milestones with Done / Move date…, open blockers with Resolve, milestones at risk, people leaving soon
with "Hand them to me"); what the viewer owns in the next 14 days; their projects; for admins, the
alliance overview. Slack allows 100 blocks in a Home view: every section shows at most a fixed number
of items and says how many more there are, and the limits add up to fewer than 100 blocks.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TypeVar
from zoneinfo import ZoneInfo

from bot.domain.dates.vocabulary import day_label
from bot.projects.end_dates import LeaverLine
from bot.projects.home import AT_RISK_WINDOW, HomeReport, LeadView
from bot.projects.overview import ProjectSummary
from bot.projects.reports import BlockerLine, MilestoneLine
from bot.slack import ids
from bot.slack.blocks import (
    STATUS_EMOJI,
    Block,
    Reply,
    actions,
    age_text,
    button,
    context,
    divider,
    header,
    mention,
    milestone_blocks,
    milestone_text,
    section,
    truncate_escaped,
    when,
    zone_note,
)
from bot.slack.end_date_blocks import encode_take_over
from bot.slack.ids import EXPERT_HOME_ACTION
from bot.slack.modals import input_block, plain_text
from bot.slack.payload_values import loads_clean

MAX_HOME_BLOCKS = 100
# Items per section. Worst case: 1 header + 12 overdue + 1 divider + 34 lead view (with its divider) + 12
# next + 1 divider + 18 projects + 15 overview + 3 footer = 97 blocks.
MAX_OWN = 10
MAX_PROJECTS = 8
MAX_LEAD_ITEMS = 4
MAX_OVERVIEW = 12

_T = TypeVar("_T")


def _capped(items: Sequence[_T], limit: int, render: Callable[[_T], list[Block]], more: str) -> list[Block]:
    """The first `limit` items' blocks, then a note saying how many more there are, and where."""
    blocks = [block for item in items[:limit] for block in render(item)]
    if len(items) > limit:
        blocks.append(context(f"…and {len(items) - limit} more. {more}"))
    return blocks


def build_home_view(
    report: HomeReport, zone: ZoneInfo, now: datetime, viewer: str, command: str, milestone_command: str = ""
) -> Block:
    """The Home tab: my overdue and next milestones (local time) with Done buttons, the projects I lead,
    my projects, and the alliance overview for admins.

    Args:
        report: What to show (`bot.projects.home.home_report`).
        zone: The viewer's zone.
        now: The current instant.
        viewer: The viewer's Slack id.
        command: The configured name of `/project`.
        milestone_command: The configured name of `/milestone` (in "…and N more" notes).
    """
    milestone = milestone_command or "/milestone"
    blocks: list[Block] = [header("Liaison")]
    if not report.known:
        blocks.append(
            section(
                "You are not on any Liaison project yet. Try `" + command + " list all` and "
                "`" + command + " join KEY`, or `/liaison help`."
            )
        )
        blocks += _overview_blocks(report.overview, zone, now)
        return {"type": "home", "blocks": blocks[:MAX_HOME_BLOCKS]}
    blocks.append(
        section(f"*Overdue* ({len(report.overdue)})" if report.overdue else "*Overdue*: nothing. :tada:")
    )
    blocks += _capped(
        report.overdue,
        MAX_OWN,
        lambda line: milestone_blocks([line], zone, now, with_project=True, done_button_for=viewer),
        f"`{milestone} overdue` lists them all.",
    )
    blocks.append(divider())
    if report.lead is not None:
        blocks += _lead_blocks(report.lead, zone, now, milestone)
        blocks.append(divider())
    blocks.append(
        section(
            f"*Due in the next 14 days* ({len(report.next_milestones)})"
            if report.next_milestones
            else "*Due in the next 14 days*: nothing of yours."
        )
    )
    blocks += _capped(
        report.next_milestones,
        MAX_OWN,
        lambda line: milestone_blocks([line], zone, now, with_project=True, done_button_for=viewer),
        f"`{milestone} next` lists them all.",
    )
    blocks.append(divider())
    blocks.append(section(f"*My projects* ({len(report.projects)})"))
    for line in report.projects[:MAX_PROJECTS]:
        role = line.my_role.value if line.my_role else ""
        blocks.append(
            section(
                f"*{truncate_escaped(line.name, 200)}* `{line.key}`\n{STATUS_EMOJI[line.status]} · lead "
                f"{mention(line.lead)} · you: {role}",
                accessory=button("Status", ids.OPEN_PROJECT_ACTION, line.key),
            )
        )
        # A section holds one accessory (Status), so "Find experts" sits in its own actions block.
        blocks.append(actions([button("Find experts", EXPERT_HOME_ACTION, line.key)]))
    if len(report.projects) > MAX_PROJECTS:
        blocks.append(
            context(f"…and {len(report.projects) - MAX_PROJECTS} more. `{command} list` lists them all.")
        )
    blocks += _overview_blocks(report.overview, zone, now)
    blocks.append(actions([button("Refresh", ids.HOME_REFRESH_ACTION, "refresh")]))
    blocks.append(zone_note(zone))
    local = now.astimezone(zone)
    blocks.append(context(f"Updated {day_label(local)}, {local:%H:%M}."))  # as every other date
    if len(blocks) > MAX_HOME_BLOCKS:  # the limits above keep within it; never send Slack more
        blocks = [*blocks[: MAX_HOME_BLOCKS - 1], context("More items not shown.")]
    return {"type": "home", "blocks": blocks}


# -- projects I lead -------------------------------------------------------------------------------


def _done_and_move(line: MilestoneLine, zone: ZoneInfo, now: datetime) -> list[Block]:
    return [
        section(milestone_text(line, zone, now, with_project=True)),
        actions(
            [
                button("Mark done", ids.MILESTONE_DONE_ACTION, line.ref, style="primary"),
                button("Move date…", ids.HOME_MOVE_ACTION, line.ref),
            ]
        ),
    ]


def _blocker(line: BlockerLine, now: datetime) -> list[Block]:
    text = (
        f":no_entry: `{line.ref}` {truncate_escaped(line.text, 500)}\n"
        f"      raised by {mention(line.raised_by)} {age_text(line.raised_at, now)}"
    )
    return [section(text, accessory=button("Resolve", ids.BLOCKER_RESOLVE_ACTION, line.ref))]


def _leaver(line: LeaverLine, now: datetime) -> list[Block]:
    owns = (
        f"owns {line.open_milestones} open milestone{'s' if line.open_milestones != 1 else ''} there"
        if line.open_milestones
        else "owns no open milestones there"
    )
    text = (
        f":wave: {mention(line.person)} · `{line.project_key}` · last day *{day_label(line.until)}* · {owns}"
    )
    accessory = (
        button(
            "Hand them to me", ids.TAKE_OVER_ACTION, encode_take_over(line.person.slack_id, line.project_key)
        )
        if line.open_milestones
        else None
    )
    return [section(text, accessory=accessory)]


def _lead_blocks(lead: LeadView, zone: ZoneInfo, now: datetime, milestone: str) -> list[Block]:
    keys = ", ".join(f"`{key}`" for key in lead.projects[:10]) + (" …" if len(lead.projects) > 10 else "")
    blocks: list[Block] = [section(f"*Projects you lead* ({keys})")]
    if not (lead.overdue or lead.blockers or lead.at_risk or lead.leaving):
        # The lead's own milestones are in their own lists above, so this speaks only of the others'.
        blocks.append(
            context(
                "Nothing else needs you there: no one else's milestone is overdue or at risk, "
                "no open blockers, no one leaving."
            )
        )
        return blocks
    if lead.overdue:
        blocks.append(section(f"*Overdue on your projects* ({len(lead.overdue)})"))
        blocks += _capped(
            lead.overdue,
            MAX_LEAD_ITEMS,
            lambda line: _done_and_move(line, zone, now),
            f"`{milestone} overdue all` lists them all.",
        )
    if lead.blockers:
        blocks.append(section(f"*Open blockers* ({len(lead.blockers)})"))
        blocks += _capped(
            lead.blockers, MAX_LEAD_ITEMS, lambda line: _blocker(line, now), "`/blocker list` lists them all."
        )
    if lead.at_risk:
        days = AT_RISK_WINDOW.days
        blocks.append(section(f"*At risk: due within {days} days* ({len(lead.at_risk)})"))
        blocks += _capped(
            lead.at_risk,
            MAX_LEAD_ITEMS,
            lambda line: _done_and_move(line, zone, now),
            f"`{milestone} list KEY` lists them all.",
        )
    if lead.leaving:
        blocks.append(section(f"*Leaving within {lead.notice_days} days* ({len(lead.leaving)})"))
        blocks += _capped(
            lead.leaving,
            MAX_LEAD_ITEMS,
            lambda line: _leaver(line, now),
            "`/project members KEY` shows them.",
        )
    return blocks


# -- the alliance overview (admins) ----------------------------------------------------------------


def _summary(summary: ProjectSummary, zone: ZoneInfo, now: datetime) -> list[Block]:
    lock = " :lock:" if summary.private else ""
    following = summary.next_due
    next_text = "no milestone ahead"
    if following is not None:
        title = truncate_escaped(following.title, 150)
        next_text = f"next `{following.ref}` *{title}*, {when(following.due_at, zone, now)}"
    overdue = f"*{summary.overdue} overdue*" if summary.overdue else "0 overdue"
    blockers = f" · {summary.open_blockers} open blocker{'s' if summary.open_blockers != 1 else ''}"
    text = (
        f"{STATUS_EMOJI[summary.status]} · *{truncate_escaped(summary.name, 150)}* `{summary.key}`{lock}"
        f" · lead {mention(summary.lead)}\n      {overdue} · {next_text}"
        + (blockers if summary.open_blockers else "")
    )
    return [section(text)]


def _overview_blocks(
    overview: tuple[ProjectSummary, ...] | None, zone: ZoneInfo, now: datetime
) -> list[Block]:
    if overview is None:
        return []
    blocks: list[Block] = [
        divider(),
        section(f"*Alliance overview* ({len(overview)} projects) · admins only"),
    ]
    if not overview:
        blocks.append(context("No projects yet."))
    blocks += _capped(
        overview,
        MAX_OVERVIEW,
        lambda summary: _summary(summary, zone, now),
        "`liaison report --csv` lists every project.",
    )
    return blocks


# -- the Move-date form ----------------------------------------------------------------------------


def build_home_move_modal(line: MilestoneLine, zone: ZoneInfo, now: datetime) -> Block:
    """The form "Move date…" opens from the App Home: the new due date, as `/milestone move` reads it."""
    return {
        "type": "modal",
        "callback_id": ids.HOME_MOVE_MODAL,
        "title": plain_text("Move date"),
        "submit": plain_text("Move"),
        "close": plain_text("Cancel"),
        "private_metadata": json.dumps({"ref": line.ref}),
        "blocks": [
            section(milestone_text(line, zone, now, with_project=True)),
            input_block(
                ids.DUE_INPUT,
                "New due date",
                {"type": "plain_text_input", "placeholder": plain_text("e.g. dec 20, next friday 15:00")},
                hint="A date without a time keeps the milestone's time of day.",
            ),
        ],
    }


def read_home_move_metadata(metadata: object) -> str | None:
    """The milestone ref the Move-date form was opened for; None when it is not one of ours."""
    if not isinstance(metadata, str):
        return None
    try:
        data = loads_clean(metadata)
    except (ValueError, TypeError):
        return None
    ref = data.get("ref") if isinstance(data, dict) else None
    return ref if isinstance(ref, str) and ref else None


def build_reply_modal(reply: Reply) -> Block:
    """A reply shown in a modal: clicks in the App Home have no conversation to answer in."""
    return {
        "type": "modal",
        "title": plain_text("Liaison"),
        "close": plain_text("Close"),
        "blocks": reply.as_kwargs()["blocks"][:MAX_HOME_BLOCKS],
    }
