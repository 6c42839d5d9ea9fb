"""Messages about people's last days (pure builders, no Slack calls).

- The handover notice (`build_handover_notice`), `LIAISON_HANDOVER_NOTICE_DAYS` before someone's last
  day: to each lead, the leaver's open milestones on the lead's projects with a "Hand them to me"
  button per project (`TAKE_OVER_ACTION`); to a leaver who leads projects, which ones need a new lead.
- The DM to the lead the day after (`build_departure_message`): who left, what is theirs now.
- The answer to "Hand them to me" (`build_take_over_reply`) and the DM to the leaver
  (`take_over_messages`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.domain.dates.vocabulary import day_label
from bot.projects.end_dates import EndDateDeparture, HandoverNotice, TakeOver, zone_of
from bot.projects.reports import MilestoneLine, PersonRef
from bot.slack import ids
from bot.slack.blocks import (
    Block,
    DirectMessage,
    Reply,
    actions,
    button,
    context,
    escape,
    mention,
    section,
    truncate_escaped,
    when,
)
from bot.slack.payload_values import loads_clean

MAX_LISTED = 15
MAX_PROJECTS = 10


def encode_take_over(person: str, project_key: str) -> str:
    """The value of a "Hand them to me" button: whose milestones, on which project."""
    return json.dumps({"person": person, "project": project_key})


def read_take_over(value: object) -> tuple[str, str] | None:
    """The (person, project key) a "Hand them to me" button carries; None when it is not one of ours."""
    if not isinstance(value, str):
        return None
    try:
        data = loads_clean(value)
    except (ValueError, TypeError):
        return None
    if not isinstance(data, dict):
        return None
    person, project = data.get("person"), data.get("project")
    if not (isinstance(person, str) and isinstance(project, str) and person and project):
        return None
    return person, project


def _fallback(message: str, people: Sequence[PersonRef | None]) -> str:
    """Notification text: the message without markup, people named instead of mentioned."""
    text = message
    for person in people:
        if person is not None:
            text = text.replace(mention(person), f"@{person.name}")
    return text.replace("*", "").replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _milestones(lines: Sequence[MilestoneLine], zone: ZoneInfo, now: datetime) -> str:
    shown = [
        f"• `{m.ref}` *{truncate_escaped(m.title, 200)}*, due {when(m.due_at, zone, now)}"
        for m in lines[:MAX_LISTED]
    ]
    if len(lines) > MAX_LISTED:
        shown.append(f"…and {len(lines) - MAX_LISTED} more")
    return "\n".join(shown)


def _last_day(notice: HandoverNotice | EndDateDeparture) -> str:
    return day_label(notice.until)


def build_handover_notice(notice: HandoverNotice, now: datetime, *, milestone_command: str) -> Reply:
    """The DM before someone's last day: what to hand over, with one button per project.

    Args:
        notice: Whom to tell what.
        now: The current instant (due times are shown relative to it).
        milestone_command: The configured name of `/milestone` (for `assign`).
    """
    zone = zone_of(notice.recipient_zone)
    leaver = notice.leaver
    people = (leaver, notice.recipient)
    if notice.to_lead:
        keys = ", ".join(f"*{escape(name)}* (`{key}`)" for key, name in notice.to_lead[:MAX_PROJECTS])
        message = (
            f":wave: Your last day on the alliance is *{_last_day(notice)}*. You lead {keys}: make "
            "another member lead before you go (`/project edit KEY`), so that someone chases its "
            "milestones. Your open milestones elsewhere go to those projects' leads the day after."
        )
        return Reply(text=_fallback(message, people), blocks=[section(message)])
    blocks: list[Block] = [
        section(
            f":wave: {mention(leaver)}'s last day is *{_last_day(notice)}*. They own open milestones on "
            "projects you lead; hand them over before then. Whatever is still theirs the day after "
            "becomes yours, and they leave the project."
        )
    ]
    for project in notice.projects[:MAX_PROJECTS]:
        blocks.append(
            section(
                f"*{truncate_escaped(project.name, 200)}* (`{project.key}`)\n"
                + _milestones(project.milestones, zone, now)
            )
        )
        blocks.append(
            actions(
                [
                    button(
                        "Hand them to me",
                        ids.TAKE_OVER_ACTION,
                        encode_take_over(leaver.slack_id, project.key),
                        style="primary",
                    )
                ]
            )
        )
    if len(notice.projects) > MAX_PROJECTS:
        blocks.append(context(f"…and {len(notice.projects) - MAX_PROJECTS} more projects."))
    blocks.append(
        context(f"Or give each to another member: `{milestone_command} assign {_example(notice)} @someone`.")
    )
    count = sum(len(p.milestones) for p in notice.projects)
    text = (
        f"@{leaver.name}'s last day is {_last_day(notice)}: they own {count} open milestone"
        f"{'s' if count != 1 else ''} on your projects."
    )
    return Reply(text=text, blocks=blocks)


def _example(notice: HandoverNotice) -> str:
    first = next((p.milestones[0].ref for p in notice.projects if p.milestones), None)
    return first or "KEY-N"


def build_departure_message(departure: EndDateDeparture, now: datetime) -> DirectMessage | None:
    """The DM to the lead the day after someone's last day; None without a lead to tell."""
    lead = departure.lead
    if lead is None:
        return None
    leaver = departure.leaver
    project = f"*{truncate_escaped(departure.project_name, 200)}* (`{departure.project_key}`)"
    left = (
        f"left {project} (their last day was {_last_day(departure)})"
        if departure.removed
        else f"has left the alliance (their last day was {_last_day(departure)})"
    )
    message = f":wave: {mention(leaver)} {left}."
    if departure.handed:
        zone = zone_of(departure.lead_zone)
        what = f"Their open milestones on {project} are yours now:" if not departure.removed else "Yours now:"
        message += f" {what}\n{_milestones(departure.handed, zone, now)}"
    reply = Reply(text=_fallback(message, (leaver, lead)), blocks=[section(message)])
    return DirectMessage(lead.slack_id, reply)


def build_take_over_reply(take_over: TakeOver, zone: ZoneInfo, now: datetime) -> Reply:
    """The lead's answer to "Hand them to me": what is theirs now (or that nothing was left)."""
    leaver = take_over.leaver
    project = f"*{truncate_escaped(take_over.project_name, 200)}* (`{take_over.project_key}`)"
    changed = [a.milestone for a in take_over.assignments if a.changed]
    if not changed:
        message = f"{mention(leaver)} owns no open milestones on {project} any more; nothing changed."
    else:
        message = (
            f":inbox_tray: {mention(leaver)}'s open milestones on {project} are yours now:\n"
            + _milestones(changed, zone, now)
        )
    return Reply(text=_fallback(message, (leaver,)), blocks=[section(message)])


def take_over_messages(take_over: TakeOver, by: PersonRef) -> tuple[DirectMessage, ...]:
    """The DM to the leaver: who took which of their milestones (none when nothing changed)."""
    changed = [a.milestone for a in take_over.assignments if a.changed]
    leaver = take_over.leaver
    if not changed or leaver.slack_id == by.slack_id:
        return ()
    refs = ", ".join(f"`{m.ref}`" for m in changed[:MAX_LISTED])
    if len(changed) > MAX_LISTED:
        refs += f" and {len(changed) - MAX_LISTED} more"
    project = f"*{truncate_escaped(take_over.project_name, 200)}* (`{take_over.project_key}`)"
    message = f"{mention(by)} took over your open milestones on {project}: {refs}."
    return (DirectMessage(leaver.slack_id, Reply(text=_fallback(message, (by,)), blocks=[section(message)])),)
