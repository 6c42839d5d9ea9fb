"""The Slack side of richer milestones: `/blocker add KEY text --on ID`, and the note a move adds when
milestones that come after the moved one are now due before it.

Kept out of the command interpreter (`bot.slack.commands`), which only calls these.
"""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from bot.access import Actor
from bot.domain.dates import format_local
from bot.models import Blocker, Milestone
from bot.projects.blockers import add_blocker
from bot.projects.milestone_details import dependants_due_before, link_blocker
from bot.slack import blocks as kit

__all__ = ["build_moved_reply", "raise_blocker", "split_on_option", "with_dependants_note"]

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
    reply: kit.Reply, session: Session, milestone: Milestone, zone: ZoneInfo, now: datetime
) -> kit.Reply:
    """A move's reply, plus the milestones that come after `milestone` but are now due before it.

    Args:
        reply: The move's reply.
        session: The move's session.
        milestone: The moved milestone, with its new due time.
        zone: The viewer's zone.
        now: The current instant.

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
    note = (
        f":link: These come after `{ref}` but are now due before it; move them with "
        f"`/milestone move ID DATE`:\n" + "\n".join(lines)
    )
    refs = ", ".join(f"{d.project.key}-{d.number}" for d in dependants)
    return kit.Reply(
        text=f"{reply.text}; now due before it: {refs}", blocks=[*reply.blocks, kit.section(note)]
    )


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
    return with_dependants_note(reply, session, moved, zone, now)


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
