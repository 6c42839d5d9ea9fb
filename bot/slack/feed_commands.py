"""`/project subscribe|unsubscribe` and `/liaison notifications on|off`: parse, call `bot.feed`, reply.

Slash command text arrives unescaped (the manifest's `should_escape: false`), so a channel typed as
`#general` reaches us as a name without its id. A channel is therefore named by its id (`C0123ABCD`, or a
`<#C0123ABCD|general>` mention), or left out: then it is the channel the command is typed in.
"""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy.orm import Session

from bot.access import Actor
from bot.errors import InvalidInput
from bot.feed.kinds import ALL_KINDS, FeedKind, format_kinds, is_kinds_text, parse_kinds
from bot.feed.subscriptions import SubscriptionChange, set_notifications, subscribe, unsubscribe
from bot.slack import blocks as kit

_CHANNEL_MENTION = re.compile(r"^<#([CG][A-Z0-9]{2,})(?:\|[^>]*)?>$")
_CHANNEL_ID = re.compile(r"^[CG][A-Z0-9]{2,}$")
FEED_VERBS = ("subscribe", "unsubscribe")


def run_feed_command(
    session: Session,
    actor: Actor,
    now: datetime,
    *,
    verb: str,
    command: str,
    channel_id: str | None,
    args: str,
) -> kit.Reply:
    """Carry out a feed subcommand and build its (ephemeral) reply.

    Args:
        session: The request's session (the caller commits).
        actor: Who typed it.
        now: The current instant.
        verb: "subscribe", "unsubscribe" or "notifications".
        command: The command's configured name (`/project`, `/liaison`), for usage lines.
        channel_id: Where the command was typed (a channel, or a DM's `D…` id).
        args: The text after the verb.

    Raises:
        UserFacingError: Bad input, an unknown project, a refused permission.
    """
    if verb == "notifications":
        return _notifications(session, actor, now, command, args)
    usage = (
        f"{command} {verb} PROJECT [C0123ABCD]"
        + (f" [{format_kinds(ALL_KINDS)}]" if verb == "subscribe" else "")
        + " (in the channel itself, leave the channel out)"
    )
    words = args.split()
    kinds: frozenset[FeedKind] | None = None
    channel: str | None = None
    if words and words[0].startswith("#"):
        _channel_of(words[0])  # refused, explaining why: Slack sent the channel's name, not its id
    at = next((i for i, word in enumerate(words) if i and _channel_of(word) is not None), None)
    if at is not None:
        # `PROJECT CHANNEL [kinds]`: whatever follows the channel must be kinds.
        channel, rest = _channel_of(words[at]), words[at + 1 :]
        words = words[:at]
        if rest and verb == "subscribe":
            kinds = parse_kinds(",".join(rest))
        elif rest:
            raise InvalidInput(f"Usage: `{usage}`")
    elif len(words) > 1 and verb == "subscribe" and ("," in words[-1] or is_kinds_text(words[-1])):
        kinds = parse_kinds(words.pop())
    query = " ".join(words)
    if not query:
        raise InvalidInput(f"Usage: `{usage}`")
    if channel is None and channel_id and _CHANNEL_ID.match(channel_id):
        channel = channel_id
    if verb == "subscribe":
        return _subscribed(subscribe(session, actor, query, channel, kinds, now))
    return _unsubscribed(unsubscribe(session, actor, query, channel, now), command)


def _channel_of(word: str) -> str | None:
    """The channel id a word names, None if it names none; a bare `#name` is an error."""
    mention = _CHANNEL_MENTION.match(word)
    if mention is not None:
        return mention.group(1)
    if _CHANNEL_ID.match(word):
        return word
    if word.startswith("#"):
        raise InvalidInput(
            f"Slack sends “{word}” without the channel's id. Run the command in that channel (leave the "
            "channel out), or give its id, e.g. `C0123ABCD` (channel details → About)."
        )
    return None


def _reply(template: str, change: SubscriptionChange) -> kit.Reply:
    """A one-section reply: `{project}` and `{channel}` are filled in escaped and as a mention in the
    blocks, as plain text in the notification text (which `Reply` escapes)."""
    mrkdwn = template.format(
        project=f"*{kit.escape(change.project_name)}* (`{change.project_key}`)",
        channel=f"<#{change.channel_id}>",
    )
    plain = template.format(
        project=f"{change.project_name} ({change.project_key})", channel=change.channel_id
    )
    return kit.Reply(text=plain, blocks=[kit.section(mrkdwn)])


def _subscribed(change: SubscriptionChange) -> kit.Reply:
    what = format_kinds(change.kinds).replace(",", ", ")
    verb = "now gets" if change.changed else "already gets"
    template = f":newspaper: {{channel}} {verb} the changes of {{project}}: {what}."
    if not change.own_channel and change.changed:
        template += " Liaison posts there only once it is in the channel (`/invite @Liaison`)."
    return _reply(template, change)


def _unsubscribed(change: SubscriptionChange, command: str) -> kit.Reply:
    if not change.changed:
        template = "{channel} was not getting the changes of {project}; nothing changed."
    elif change.own_channel:
        template = (
            ":mute: {channel}, the project's own channel, no longer gets the changes of {project}; "
            f"`{command} subscribe {change.project_key}` there turns them back on."
        )
    else:
        template = ":mute: {channel} no longer gets the changes of {project}."
    return _reply(template, change)


def _notifications(session: Session, actor: Actor, now: datetime, command: str, args: str) -> kit.Reply:
    choice = args.strip().lower()
    if choice not in ("on", "off"):
        raise InvalidInput(
            f"Usage: `{command} notifications off` (or `on`): personal messages when someone else moves "
            "a milestone of yours or adds one with you as its owner."
        )
    enabled = choice == "on"
    changed = set_notifications(session, actor, enabled, now)
    verb = "are now" if changed else "were already"
    message = (
        f"Your personal notifications (a milestone of yours moved, or added for you, by someone else) "
        f"{verb} {choice}."
    )
    return kit.Reply(text=message, blocks=[kit.section(message)])
