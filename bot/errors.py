"""Errors whose message is meant for the person who typed the command.

Handlers catch `UserFacingError` and answer ephemerally with its message; anything else is a bug and
goes to the app's error handler (logged, with a short apology to the user).
"""

from __future__ import annotations

from bot.domain.matching import Candidate


class UserFacingError(Exception):
    """A request that cannot be carried out, with a message safe to show its author."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotSetUp(UserFacingError):
    """This Slack workspace has no data in Liaison yet."""


class NotFound(UserFacingError):
    """The project, milestone or person named does not exist (or is not visible to the asker)."""

    def __init__(self, message: str, alternatives: tuple[Candidate, ...] = (), query: str = "") -> None:
        super().__init__(message)
        self.alternatives = alternatives
        self.query = query


class Ambiguous(NotFound):
    """Several projects match the name given; the user should pick one."""


class Forbidden(UserFacingError):
    """The asker may not do this; the message says why."""


class InvalidInput(UserFacingError):
    """The command's arguments are malformed; the message says what is expected."""
