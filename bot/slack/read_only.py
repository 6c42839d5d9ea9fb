"""Slash subcommands that only read, and the session each command runs in.

A subcommand listed here never writes: it runs in `bot.db.read_only_session` (no transaction round
trips on PostgreSQL; a write raises `ReadOnlyViolation` instead of happening). Every other subcommand
runs in a transaction, committed on success. A subcommand listed here must also do nothing in Slack but
reply: it may run while its request is still being recorded (`bot.serving.intake`), and only its reply
waits for the record (`bot.slack.response_url.ANSWER_HOLD`); tests/test_read_only_commands.py checks it.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import AbstractContextManager

from sqlalchemy.orm import Session, sessionmaker

from bot.db import read_only_session
from bot.settings import Settings

# By command key (`bot.commands.COMMANDS`): the verbs whose handler only reads.
READ_ONLY_SUBCOMMANDS: Mapping[str, frozenset[str]] = {
    "project": frozenset({"list", "status", "members", "blockers"}),
    "milestone": frozenset({"list", "next", "overdue"}),
    "blocker": frozenset({"list"}),
}


# Of those, the verbs whose argument, when there is one (and is not "all"), names a project: their actor
# is read with the projects the person may see (`bot.access.act_as`), and the match reads nothing more.
_NAMING_A_PROJECT: Mapping[str, frozenset[str]] = {
    "project": frozenset({"status", "members", "blockers"}),
    "milestone": frozenset({"list"}),
    "blocker": frozenset({"list"}),
}


def reads_only(settings: Settings, command: str, text: str) -> bool:
    """Whether the slash command `command` (its configured name) with `text` only reads."""
    return _listed(READ_ONLY_SUBCOMMANDS, settings, command, text.strip().partition(" ")[0])


def names_a_project(settings: Settings, command: str, text: str) -> bool:
    """Whether the slash command only reads and its argument names a project (`/project status pcm`)."""
    verb, _, argument = text.strip().partition(" ")
    if not argument.strip() or argument.strip().lower() == "all":
        return False
    return _listed(READ_ONLY_SUBCOMMANDS, settings, command, verb) and _listed(
        _NAMING_A_PROJECT, settings, command, verb
    )


def _listed(verbs_by_key: Mapping[str, frozenset[str]], settings: Settings, command: str, verb: str) -> bool:
    """Whether `verb` is listed for the command configured as `command`."""
    verb = verb.lower()
    return any(settings.commands[key] == command and verb in verbs for key, verbs in verbs_by_key.items())


def command_session(
    session_factory: sessionmaker[Session], settings: Settings, command: str, text: str
) -> AbstractContextManager[Session]:
    """The session a slash command runs in: read-only for the subcommands above, else a transaction
    (`session_factory.begin()`: committed when the block ends normally, rolled back on an error)."""
    if reads_only(settings, command, text):
        return read_only_session(session_factory)
    return session_factory.begin()


__all__ = ["READ_ONLY_SUBCOMMANDS", "command_session", "names_a_project", "reads_only"]
