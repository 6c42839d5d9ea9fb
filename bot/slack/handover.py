"""Replies and DMs for handing milestones over: `/milestone assign`, `/project leave` and `/project remove`.

Pure builders (no Slack calls): the interpreter (`bot.slack.commands`) turns a `Departure` or an
`Assignment` into the asker's ephemeral reply and the DMs that tell the others — the lead, the new
owner, the person removed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.errors import InvalidInput
from bot.projects.ownership import Assignment, Departure
from bot.projects.reports import MilestoneLine, PersonRef
from bot.slack import blocks as kit

_TO_RE = re.compile(r"(?:^|\s)--to(?:=|\s+)(?P<to>\S.*)$", re.DOTALL)
_DANGLING_TO_RE = re.compile(r"(?:^|\s)--to=?\s*$")
_MENTION_START = ("@", "<@")


def split_new_owner(args: str) -> tuple[str, str | None]:
    """Split `… --to @someone` into the rest and who is named after `--to` (None without `--to`).

    Raises:
        InvalidInput: `--to` with nobody after it.
    """
    match = _TO_RE.search(args)
    if match is None:
        if _DANGLING_TO_RE.search(args):
            raise InvalidInput("Name the new owner after `--to`, e.g. `--to @Lena Kovalenko`.")
        return args.strip(), None
    return args[: match.start()].strip(), match.group("to").strip()


def split_person_and_project(text: str, usage: str) -> tuple[str, str]:
    """Split `@person PROJECT` (a name may be several words; the key is one) into person and project.

    `PROJECT @person` is read too, when only the last word is a mention.

    Raises:
        InvalidInput: Fewer than two words; the message gives `usage`.
    """
    words = text.split()
    if len(words) < 2:
        raise InvalidInput(f"Usage: `{usage}`")
    if words[-1].startswith(_MENTION_START) and not words[0].startswith(_MENTION_START):
        return text[len(words[0]) :].strip(), words[0]
    return text[: text.rindex(words[-1])].strip(), words[-1]


def zone_of(name: str | None, fallback: ZoneInfo) -> ZoneInfo:
    """A person's zone by name, else `fallback` (no zone, or one this system does not know)."""
    if not name:
        return fallback
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return fallback


def _project(departure: Departure) -> str:
    return f"*{kit.escape(departure.project_name)}* (`{departure.project_key}`)"


def _refs(lines: Sequence[MilestoneLine]) -> str:
    return ", ".join(f"`{line.ref}`" for line in lines[:10]) + (
        f" and {len(lines) - 10} more" if len(lines) > 10 else ""
    )


def _list(lines: Sequence[MilestoneLine], zone: ZoneInfo, now: datetime) -> str:
    shown = [
        f"• `{m.ref}` *{kit.truncate_escaped(m.title, 200)}*, due {kit.when(m.due_at, zone, now)}"
        for m in lines
    ]
    return "\n".join(shown[:20]) + (f"\n…and {len(shown) - 20} more" if len(shown) > 20 else "")


def _reply(message: str, people: Sequence[PersonRef | None] = ()) -> kit.Reply:
    """A reply from escaped mrkdwn; the notification's fallback text names `people` instead of mentioning
    them (a mention in a fallback would show as markup)."""
    text = message.replace("*", "").replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    for person in people:
        if person is not None:
            text = text.replace(kit.mention(person), f"@{person.name}")
    return kit.Reply(text=text, blocks=[kit.section(message)])


def departure_reply(
    departure: Departure, *, actor_id: str, command: str, removing: bool, zone: ZoneInfo, now: datetime
) -> kit.Reply:
    """The asker's answer to `/project leave` or `/project remove`: done, not needed, or who takes over.

    Args:
        departure: What happened (or is needed first).
        actor_id: Who asked.
        command: The configured name of `/project`, for the button and the usage.
        removing: `/project remove` (else `/project leave`).
        zone: The asker's zone.
        now: The current instant.
    """
    person, lead, key = departure.person, departure.lead, departure.project_key
    people = (person, lead, departure.to)
    if departure.pending:
        if removing:
            intro = (
                f"{kit.mention(person)} owns open milestones on {_project(departure)}. Who takes them over?"
            )
            text = f"remove {person.slack_id} {key} --to {lead.slack_id}" if lead is not None else None
            label = (
                f"Take them over and remove {person.name}"
                if lead is not None and lead.slack_id == actor_id
                else f"Hand them to {lead.name if lead else ''} and remove {person.name}"
            )
            usage = f"Or name someone else: `{command} remove {person.slack_id} {key} --to @someone`."
        else:
            intro = f"You own open milestones on {_project(departure)}. Who takes them over when you leave?"
            text = f"leave {key} --to {lead.slack_id}" if lead is not None else None
            label = f"Hand them to {lead.name if lead else ''} and leave"
            usage = f"Or name someone else: `{command} leave {key} --to @someone`."
        value = json.dumps({"command": command, "text": text}) if text is not None else None
        return kit.build_handover_reply(
            intro=intro,
            pending=departure.pending,
            zone=zone,
            now=now,
            hand_to=lead,
            confirm_label=label,
            confirm_value=value,
            usage=usage,
        )
    if not departure.changed:
        if removing:
            return _reply(f"{kit.mention(person)} is not on {_project(departure)}; nothing changed.", people)
        return _reply(f"You were not on {_project(departure)}; nothing changed.", people)
    handed = ""
    if departure.handed:
        to = departure.to
        owner = "yours" if to is not None and to.slack_id == actor_id else f"{kit.mention(to)}'s"
        verb = "is" if len(departure.handed) == 1 else "are"
        handed = f" {_refs(departure.handed)} {verb} now {owner}."
    if removing:
        return _reply(f"Removed {kit.mention(person)} from {_project(departure)}.{handed}", people)
    return _reply(f"You left {_project(departure)}.{handed}", people)


def departure_messages(
    departure: Departure, *, removing: bool, fallback_zone: ZoneInfo, now: datetime
) -> tuple[kit.DirectMessage, ...]:
    """DMs about a departure that happened: to the lead, the new owner and the person removed (never to
    whoever did it)."""
    by = departure.by
    if not departure.changed or by is None:
        return ()
    person, lead, to = departure.person, departure.lead, departure.to
    people = (by, person, lead, to)
    project = _project(departure)
    what = (
        f"{kit.mention(by)} removed {kit.mention(person)} from {project}"
        if removing
        else f"{kit.mention(person)} left {project}"
    )
    messages: list[kit.DirectMessage] = []
    if lead is not None and lead.slack_id != by.slack_id:
        note = ""
        if departure.handed and to is not None:
            owner = "yours" if to.slack_id == lead.slack_id else f"{kit.mention(to)}'s"
            noun = "open milestone" if len(departure.handed) == 1 else "open milestones"
            verb = "is" if len(departure.handed) == 1 else "are"
            note = f" Their {noun} {_refs(departure.handed)} {verb} now {owner}."
        messages.append(kit.DirectMessage(lead.slack_id, _reply(f"{what}.{note}", people)))
    told = {by.slack_id, lead.slack_id if lead is not None else ""}
    if to is not None and departure.handed and to.slack_id not in told:
        zone = zone_of(departure.to_timezone, fallback_zone)
        message = f":inbox_tray: {what}; you now own:\n{_list(departure.handed, zone, now)}"
        messages.append(kit.DirectMessage(to.slack_id, _reply(message, people)))
    if removing and person.slack_id != by.slack_id:
        note = f" Your open milestones there went to {kit.mention(to)}." if departure.handed and to else ""
        message = f"{kit.mention(by)} removed you from {project}.{note}"
        messages.append(kit.DirectMessage(person.slack_id, _reply(message, people)))
    return tuple(messages)


def assignment_reply(assignment: Assignment) -> kit.Reply:
    """The asker's answer to `/milestone assign`."""
    line, owner, previous = assignment.milestone, assignment.owner, assignment.previous
    people = (owner, previous)
    title = f"`{line.ref}` *{kit.truncate_escaped(line.title, 300)}*"
    if not assignment.changed:
        return _reply(f"{title} is already {kit.mention(owner)}'s; nothing changed.", people)
    was = f"{kit.mention(previous)}'s" if previous is not None else "nobody's"
    return _reply(f":bust_in_silhouette: {title} is now {kit.mention(owner)}'s (was {was}).", people)


def assignment_messages(
    assignment: Assignment, *, fallback_zone: ZoneInfo, now: datetime
) -> tuple[kit.DirectMessage, ...]:
    """DMs about a milestone handed over: the previous owner is told here. The new owner is told by the
    change feed (bot/feed), which respects their quiet hours and their opt-out."""
    if not assignment.changed:
        return ()
    line, owner, previous, by = assignment.milestone, assignment.owner, assignment.previous, assignment.by
    people = (owner, previous, by)
    title = f"`{line.ref}` *{kit.truncate_escaped(line.title, 300)}* on *{kit.escape(line.project_name)}*"
    messages: list[kit.DirectMessage] = []
    del fallback_zone, now  # the previous owner's note has no time in it
    if previous is not None and previous.slack_id not in (by.slack_id, owner.slack_id):
        message = f"{kit.mention(by)} handed {title} to {kit.mention(owner)}."
        messages.append(kit.DirectMessage(previous.slack_id, _reply(message, people)))
    return tuple(messages)
