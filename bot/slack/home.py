"""The App Home tab view (pure builder)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.projects.home import HomeReport
from bot.slack import ids
from bot.slack.blocks import (
    STATUS_EMOJI,
    Block,
    actions,
    button,
    context,
    divider,
    header,
    mention,
    milestone_blocks,
    section,
    truncate_escaped,
    zone_note,
)
from bot.slack.ids import EXPERT_HOME_ACTION

MAX_HOME_BLOCKS = 100


def build_home_view(report: HomeReport, zone: ZoneInfo, now: datetime, viewer: str, command: str) -> Block:
    """The Home tab: my projects, my next milestones (local time), overdue items with Done buttons."""
    blocks: list[Block] = [header("Liaison")]
    if not report.known:
        blocks.append(
            section(
                "You are not on any Liaison project yet. Try `" + command + " list all` and "
                "`" + command + " join KEY`, or `/liaison help`."
            )
        )
        return {"type": "home", "blocks": blocks}
    blocks.append(
        section(f"*Overdue* ({len(report.overdue)})" if report.overdue else "*Overdue*: nothing. :tada:")
    )
    blocks += milestone_blocks(report.overdue[:20], zone, now, with_project=True, done_button_for=viewer)
    blocks.append(divider())
    blocks.append(
        section(
            f"*Due in the next 14 days* ({len(report.next_milestones)})"
            if report.next_milestones
            else "*Due in the next 14 days*: nothing of yours."
        )
    )
    blocks += milestone_blocks(
        report.next_milestones[:20], zone, now, with_project=True, done_button_for=viewer
    )
    blocks.append(divider())
    blocks.append(section(f"*My projects* ({len(report.projects)})"))
    for line in report.projects[:30]:
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
    blocks.append(actions([button("Refresh", ids.HOME_REFRESH_ACTION, "refresh")]))
    blocks.append(zone_note(zone))
    blocks.append(context(f"Updated {now.astimezone(zone):%a %d %b %Y, %H:%M}."))
    if len(blocks) > MAX_HOME_BLOCKS:
        blocks = [*blocks[: MAX_HOME_BLOCKS - 1], context("More items not shown.")]
    return {"type": "home", "blocks": blocks}
