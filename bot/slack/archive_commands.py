"""`/project archive|restore KEY`, `/milestone delete ID`, `/blocker delete ID` and their Undo button.

Parse, call `bot.projects.lifecycle`, build the (ephemeral) reply. Split from the interpreter
(`bot.slack.commands`), which routes these verbs here in one line each, as `feed_commands` is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from bot.access import Actor, Requester, act_as
from bot.errors import InvalidInput, UserFacingError
from bot.projects.lifecycle import (
    Restored,
    delete_blocker,
    delete_milestone,
    set_archived,
    undo_blocker_delete,
    undo_milestone_delete,
)
from bot.projects.project import affected_users
from bot.settings import Settings
from bot.slack import blocks as kit
from bot.slack import ids
from bot.slack.payload_values import row_id

ARCHIVE_VERBS = ("archive", "restore")


@dataclass(frozen=True)
class LifecycleReply:
    """A reply, and whose App Home shows the change (empty when nothing changed)."""

    reply: kit.Reply
    refresh_homes: frozenset[str] = frozenset()
    is_error: bool = False


def run_lifecycle_command(
    session: Session,
    actor: Actor,
    settings: Settings,
    now: datetime,
    command: str,
    text: str,
) -> LifecycleReply:
    """Carry out `archive`/`restore` (on `/project`) or `delete` (on `/milestone` and `/blocker`).

    Args:
        session: The request's session (the caller commits).
        actor: Who typed it.
        settings: For command names and the reminder defaults.
        now: The current instant.
        command: The command's configured name (`/project`, `/milestone`, `/blocker`).
        text: The command's text: the verb ("archive", "restore" or "delete"), then its argument.

    Raises:
        UserFacingError: Bad input, an unknown id or project, a refused permission.
    """
    names = settings.commands
    verb, _, args = text.strip().partition(" ")
    verb = verb.lower()
    target = args.split()[0] if args.split() else ""
    if not target:
        what = "KEY" if verb in ARCHIVE_VERBS else "ID"
        raise InvalidInput(f"Usage: `{command} {verb} {what}`")
    if verb in ARCHIVE_VERBS:
        archiving = verb == "archive"
        query = args.strip()
        project, changed = set_archived(
            session, actor, query, now, archived=archiving, reminders=settings.reminder_policy
        )
        name, key = kit.escape(project.name), project.key
        if not changed:
            state = "archived" if archiving else "not archived"
            message = f"*{name}* (`{key}`) is already {state}; nothing changed."
            return LifecycleReply(kit.Reply(text=message, blocks=[kit.section(message)]))
        if archiving:
            message = (
                f":file_cabinet: Archived *{name}* (`{key}`): it is read-only, hidden from lists and App "
                f"Home, and its reminders have stopped. `{names.project} list archived` shows it; "
                f"`{names.project} restore {key}` brings it back."
            )
        else:
            message = (
                f":outbox_tray: Restored *{name}* (`{key}`): it can be changed again, and its reminders "
                "are back."
            )
        return LifecycleReply(
            kit.Reply(text=message, blocks=[kit.section(message)]), frozenset(affected_users(project))
        )
    if command == names.milestone:
        milestone = delete_milestone(session, actor, target, now)
        ref = f"{milestone.project.key}-{milestone.number}"
        message = (
            f":wastebasket: Deleted `{ref}` *{kit.escape(milestone.title)}*; its reminders are cancelled."
        )
        action, deleted_id, project = ids.UNDO_MILESTONE_DELETE_ACTION, milestone.id, milestone.project
    else:
        blocker = delete_blocker(session, actor, target, now)
        ref = f"{blocker.project.key}-b{blocker.number}"
        message = f":wastebasket: Deleted blocker `{ref}`: {kit.escape(blocker.text)}"
        action, deleted_id, project = ids.UNDO_BLOCKER_DELETE_ACTION, blocker.id, blocker.project
    blocks = [kit.section(message), kit.actions([kit.button("Undo", action, str(deleted_id))])]
    return LifecycleReply(kit.Reply(text=f"Deleted {ref}", blocks=blocks), frozenset(affected_users(project)))


def execute_undo_delete(
    session_factory: sessionmaker[Session],
    settings: Settings,
    now: datetime,
    requester: Requester,
    *,
    action_id: str,
    value: str,
) -> LifecycleReply:
    """Undo a deletion for whoever clicked Undo, in its own transaction.

    A value Liaison could not have written is refused as out of date; a click on an Undo whose row is
    back already (a double click, a stale message) changes nothing and says "already restored".
    """
    # Digits Liaison wrote; not "²" or "٣" (digits to `str.isdigit`) or ids past PostgreSQL's integer.
    number = row_id(value)
    if number is None:
        return LifecycleReply(kit.build_error_reply("That button is out of date."), is_error=True)
    try:
        with session_factory.begin() as session:
            actor = act_as(session, settings, requester)
            restored: Restored
            if action_id == ids.UNDO_MILESTONE_DELETE_ACTION:
                restored = undo_milestone_delete(
                    session, actor, number, now, reminders=settings.reminder_policy
                )
            else:
                restored = undo_blocker_delete(session, actor, number, now)
    except UserFacingError as error:
        return LifecycleReply(kit.build_error_reply(error.message), is_error=True)
    what = f"`{restored.ref}` {kit.escape(restored.title)}"
    if not restored.changed:
        message = f"{what} is already restored; nothing changed."
        return LifecycleReply(
            kit.Reply(text=f"{restored.ref} is already restored", blocks=[kit.section(message)])
        )
    message = f":leftwards_arrow_with_hook: Restored {what}."
    return LifecycleReply(
        kit.Reply(text=f"Restored {restored.ref}", blocks=[kit.section(message)]), restored.affected
    )
