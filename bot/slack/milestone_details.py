"""The Slack side of richer milestones: `/blocker add KEY text --on ID`, the note a move adds when
milestones that come after the moved one are now due before it, and the `/milestone` subcommands that
edit and show a milestone's record (`describe`, `link`, `unlink`, `after`, `not-after`, `show`).

Kept out of the command interpreter (`bot.slack.commands`), which only calls these.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session, sessionmaker

from bot.access import Actor, Requester, act_as
from bot.domain.dates import format_local
from bot.errors import InvalidInput, UserFacingError
from bot.models import Blocker, Milestone, MilestoneStatus
from bot.projects.blockers import add_blocker
from bot.projects.dependants import move_dependants
from bot.projects.milestone_details import dependants_due_before, link_blocker
from bot.projects.milestone_edits import (
    Edited,
    MilestoneDetail,
    add_dependency,
    add_link,
    milestone_detail,
    remove_dependency,
    remove_link,
    set_description,
)
from bot.projects.project import affected_users
from bot.projects.reports import MilestoneLine
from bot.settings import Settings
from bot.slack import blocks as kit
from bot.slack import ids
from bot.slack.payload_values import loads_clean, row_id

__all__ = [
    "DETAIL_VERBS",
    "build_milestone_detail_reply",
    "build_moved_reply",
    "execute_move_dependants",
    "raise_blocker",
    "run_detail_command",
    "split_on_option",
    "with_dependants_note",
]

# `--on 2`, `--on pcm-2`, `--on=2`, anywhere in the blocker's text (the last one counts).
_ON_OPTION_RE = re.compile(r"(?:^|\s)--on(?:=|\s+)(\S+)(?=\s|$)")


def split_on_option(text: str) -> tuple[str, str | None]:
    """Take `--on ID` out of a blocker's text.

    Args:
        text: What follows the project in `/blocker add`.

    Returns:
        The text without the option, and the milestone written after `--on` (None without one).
    """
    matches = list(_ON_OPTION_RE.finditer(text))
    if not matches:
        return text, None
    last = matches[-1]
    rest = (text[: last.start()] + " " + text[last.end() :]).strip()
    return " ".join(rest.split()), last.group(1)


def with_dependants_note(
    reply: kit.Reply,
    session: Session,
    milestone: Milestone,
    zone: ZoneInfo,
    now: datetime,
    *,
    previous: datetime | None = None,
) -> kit.Reply:
    """A move's reply, plus the milestones that come after `milestone` but are now due before it.

    Args:
        reply: The move's reply.
        session: The move's session.
        milestone: The moved milestone, with its new due time.
        zone: The viewer's zone.
        now: The current instant.
        previous: Its due time before the move: with it, a "Move them too" button offers to move them
            by the same shift.

    Returns:
        The reply, unchanged when no dependant falls before the milestone.
    """
    del now
    dependants = dependants_due_before(session, milestone)
    if not dependants:
        return reply
    lines = [
        f"• `{d.project.key}-{d.number}` *{kit.truncate_escaped(d.title, 200)}*, due "
        f"{format_local(d.due_at, zone)}"
        for d in dependants[:10]
    ]
    ref = f"{milestone.project.key}-{milestone.number}"
    offer = "move them by the same shift, or" if previous is not None else "move them with"
    note = (
        f":link: These come after `{ref}` but are now due before it; {offer} "
        f"`/milestone move ID DATE`:\n" + "\n".join(lines)
    )
    refs = ", ".join(f"{d.project.key}-{d.number}" for d in dependants)
    blocks = [*reply.blocks, kit.section(note)]
    if previous is not None:
        value = json.dumps(
            {
                "m": milestone.id,
                "to": milestone.due_at.isoformat(),
                "s": int((milestone.due_at - previous).total_seconds()),
                "d": [d.id for d in dependants[:10]],
            },
            separators=(",", ":"),
        )
        blocks.append(kit.actions([kit.button("Move them too", ids.MOVE_DEPENDANTS_ACTION, value)]))
    return kit.Reply(text=f"{reply.text}; now due before it: {refs}", blocks=blocks)


def execute_move_dependants(
    session_factory: sessionmaker[Session],
    settings: Settings,
    now: datetime,
    requester: Requester,
    value: str,
) -> tuple[kit.Reply, frozenset[str], bool]:
    """ "Move them too": move a moved milestone's dependants by its shift, as whoever clicked.

    Returns:
        The reply, whose App Homes to republish, and whether it is an error (the message then stays).
    """
    try:
        data = loads_clean(value)
        milestone_id = row_id(data.get("m")) if isinstance(data, dict) else None
        expected = datetime.fromisoformat(data["to"]) if milestone_id is not None else None
        shift = timedelta(seconds=int(data["s"]))
        dependant_ids = [i for i in (row_id(d) for d in data["d"]) if i is not None]
    except (ValueError, TypeError, KeyError, OverflowError, AttributeError):
        expected = None
    if expected is None or expected.tzinfo is None or abs(shift) > timedelta(days=3660):
        return kit.build_error_reply("That button is out of date."), frozenset(), True
    try:
        with session_factory.begin() as session:
            actor = act_as(session, settings, requester)
            result = move_dependants(
                session,
                actor,
                milestone_id or 0,
                shift=shift,
                expected_due=expected,
                dependant_ids=dependant_ids,
                now=now,
                reminders=settings.reminder_policy,
            )
            zone = actor.zone
    except UserFacingError as error:
        return kit.build_error_reply(error.message), frozenset(), True
    lines = [f"• Moved `{ref}` to {format_local(due, zone)}" for ref, due in result.moved]
    lines += [f"• Left `{ref}` where it is: {kit.escape(reason)}" for ref, reason in result.skipped]
    if not lines:
        lines = ["Nothing to move: none of them is due before it any more."]
    text = f"Moved {len(result.moved)} dependants" if result.moved else "No dependant moved"
    return kit.Reply(text=text, blocks=[kit.section("\n".join(lines))]), result.affected, False


def build_moved_reply(
    session: Session, moved: Milestone, local_text: str, previous: datetime, zone: ZoneInfo, now: datetime
) -> kit.Reply:
    """The reply to a move (`/milestone move`, its confirm button): where it went, from where, and the
    milestones that come after it but are now due before it.

    Args:
        session: The move's session.
        moved: The milestone, with its new due time.
        local_text: The new due time as the mover reads it.
        previous: The due time it had.
        zone: The mover's zone.
        now: The current instant.
    """
    ref = f"{moved.project.key}-{moved.number}"
    message = (
        f":spiral_calendar_pad: Moved `{ref}` *{kit.escape(moved.title)}* to *{local_text}* "
        f"(was {format_local(previous, zone)})."
    )
    reply = kit.Reply(text=f"Moved {ref} to {local_text}", blocks=[kit.section(message)])
    return with_dependants_note(reply, session, moved, zone, now, previous=previous)


def raise_blocker(
    session: Session, actor: Actor, project_query: str, text: str, now: datetime
) -> tuple[Blocker, kit.Reply]:
    """`/blocker add PROJECT text [--on ID]`: raise the blocker, linked to a milestone with `--on`.

    Args:
        session: The request's session.
        actor: Who raises it.
        project_query: The project as written.
        text: The blocker's text, with `--on ID` anywhere in it.
        now: The current instant.

    Returns:
        The blocker and the reply.
    """
    text, on = split_on_option(text)
    blocker = add_blocker(session, actor, project_query, text, now)
    held_up = link_blocker(session, actor, blocker, on) if on is not None else None
    ref = f"{blocker.project.key}-b{blocker.number}"
    project = kit.escape(blocker.project.name)
    message = f":no_entry: Blocker `{ref}` raised on *{project}*: {kit.escape(blocker.text)}"
    if held_up is not None:
        message += f" (holds up `{blocker.project.key}-{held_up.number}`)"
    return blocker, kit.Reply(text=f"Blocker {ref} raised", blocks=[kit.section(message)])


# -- /milestone describe|link|unlink|after|not-after|show ------------------------------------------

DETAIL_VERBS = ("show", "describe", "link", "unlink", "after", "not-after")
_USAGES = {
    "show": "show ID",
    "describe": "describe ID text… (no text clears it)",
    "link": "link ID https://…",
    "unlink": "unlink ID https://…",
    "after": "after ID OTHER (ID comes after OTHER)",
    "not-after": "not-after ID OTHER",
}


def _unwrap_url(word: str) -> str:
    """A URL as typed, or as Slack wraps it when it formats links (`<https://…>`, `<https://…|label>`)."""
    if word.startswith("<") and word.endswith(">"):
        return word[1:-1].split("|", 1)[0]
    return word


def run_detail_command(
    session: Session, actor: Actor, now: datetime, command: str, text: str
) -> tuple[kit.Reply, frozenset[str]]:
    """Carry out `show`, `describe`, `link`, `unlink`, `after` or `not-after` of `/milestone`.

    Args:
        session: The request's session (the caller commits).
        actor: Who typed it.
        now: The current instant.
        command: The command's configured name (`/milestone`).
        text: The command's text: the verb, then its arguments.

    Returns:
        The reply, and whose App Homes to republish (none when nothing changed).

    Raises:
        UserFacingError: Bad input, an unknown or invisible milestone, a refused permission.
    """
    verb, _, args = text.strip().partition(" ")
    verb = verb.lower()
    parts = args.strip().split(None, 1)
    usage = f"Usage: `{command} {_USAGES[verb]}`"
    if not parts:
        raise InvalidInput(usage)
    ref, rest = parts[0], parts[1].strip() if len(parts) > 1 else ""
    if verb == "show":
        return build_milestone_detail_reply(
            milestone_detail(session, actor, ref, now), actor, now
        ), frozenset()
    if verb == "describe":
        edited = set_description(session, actor, ref, rest, now)
        done = "Cleared the description of" if edited.milestone.description is None else "Described"
        already = "already has that description" if rest else "already has no description"
        return _edited_reply(edited, done, already)
    if len(rest.split()) != 1:
        raise InvalidInput(usage)
    if verb in ("link", "unlink"):
        url = _unwrap_url(rest)
        if verb == "link":
            edited = add_link(session, actor, ref, url, now)
            return _edited_reply(edited, "Linked", "already has that link", url=url)
        edited = remove_link(session, actor, ref, url, now)
        return _edited_reply(edited, "Removed a link from", "already has no such link", url=url)
    if verb == "after":
        edited = add_dependency(session, actor, ref, rest, now)
        return _edited_reply(edited, "now comes after", "already comes after")
    edited = remove_dependency(session, actor, ref, rest, now)
    return _edited_reply(edited, "no longer comes after", "already does not come after")


def _edited_reply(
    edited: Edited, done: str, already: str, *, url: str = ""
) -> tuple[kit.Reply, frozenset[str]]:
    """The reply to an edit: `done` says what changed (after the milestone for a dependency), `already`
    what was so before a no-op."""
    milestone, other = edited.milestone, edited.other
    ref = f"{milestone.project.key}-{milestone.number}"
    what = f"`{ref}` *{kit.truncate_escaped(milestone.title, 200)}*"
    suffix = f" `{other.project.key}-{other.number}`" if other is not None else ""
    suffix += f": {kit.escape(url)}" if url else ""
    plain_suffix = f" {other.project.key}-{other.number}" if other is not None else ""
    if not edited.changed:
        message = f"{what} {already}{suffix}; nothing changed."
        return kit.Reply(text=f"{ref} {already}{plain_suffix}", blocks=[kit.section(message)]), frozenset()
    if other is not None:
        message, plain = f":link: {what} {done}{suffix}.", f"{ref} {done}{plain_suffix}"
    else:
        message, plain = f":memo: {done} {what}{suffix}.", f"{done} {ref}"
    refresh = frozenset(affected_users(milestone.project))
    return kit.Reply(text=plain, blocks=[kit.section(message)]), refresh


def _related(lines: tuple[MilestoneLine, ...], zone: ZoneInfo, now: datetime) -> str:
    return "\n".join(
        f"• `{line.ref}` *{kit.truncate_escaped(line.title, 200)}*, "
        + ("done" if line.status == MilestoneStatus.DONE else f"due {kit.when(line.due_at, zone, now)}")
        for line in lines[:15]
    ) + (f"\n…and {len(lines) - 15} more" if len(lines) > 15 else "")


def build_milestone_detail_reply(detail: MilestoneDetail, actor: Actor, now: datetime) -> kit.Reply:
    """`/milestone show ID`: one milestone in full, times in the viewer's zone, user text escaped.

    Args:
        detail: The milestone and what surrounds it, as the viewer may see it.
        actor: The viewer (for the zone).
        now: The current instant.
    """
    line, zone = detail.line, actor.zone
    if line.status == MilestoneStatus.DONE:
        status = f":white_check_mark: done {format_local(line.done_at, zone)}" if line.done_at else "done"
        due = format_local(line.due_at, zone)  # a milestone that is done is overdue no longer
    else:
        status = ":warning: overdue" if line.overdue else ":spiral_calendar_pad: open"
        due = kit.when(line.due_at, zone, now)
    blocks = [
        kit.section(
            f"`{line.ref}` *{kit.truncate_escaped(line.title, 300)}*\n"
            f"Project: *{kit.truncate_escaped(line.project_name, 200)}* (`{line.project_key}`)\n"
            f"Due: {due}\nOwner: {kit.mention(line.owner)}\nStatus: {status}"
        ),
        kit.section(
            "*Description*\n" + kit.truncate_escaped(line.description, 2900)
            if line.description
            else "_No description._"
        ),
    ]
    if line.links:
        blocks.append(kit.section("*Links*\n" + "\n".join(f"• {kit.link_text(url)}" for url in line.links)))
    if line.waiting_on:  # unsigned agreements it requires (bot.agreements)
        waits = (f"• {kit.waiting_text(wait, now.astimezone(zone).date())}" for wait in line.waiting_on)
        blocks.append(kit.section("*Waiting on*\n" + "\n".join(waits)))
    if detail.after:
        blocks.append(kit.section("*Comes after*\n" + _related(detail.after, zone, now)))
    if detail.dependants:
        blocks.append(kit.section("*Comes before*\n" + _related(detail.dependants, zone, now)))
    if detail.blockers:
        held = "\n".join(
            f"• `{b.ref}` {kit.truncate_escaped(b.text, 300)} (raised {kit.age_text(b.raised_at, now)} "
            f"by {kit.mention(b.raised_by)})"
            for b in detail.blockers[:15]
        )
        blocks.append(kit.section("*Held up by*\n" + held))
    blocks.append(kit.zone_note(zone))
    return kit.Reply(text=f"{line.ref} {line.title}", blocks=blocks)
