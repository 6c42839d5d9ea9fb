"""`/project checkins KEY [on|off|schedule DAY HH:MM [cutoff DAY HH:MM]]`: parse, call `bot.checkins`, reply.

Anyone who may see the project sees its check-in settings; only its lead or an admin changes them
(`bot.checkins.admin`). Every answer is ephemeral, errors included.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from bot.access import Actor
from bot.checkins.admin import change_checkins, show_checkins
from bot.checkins.schedule import ScheduleError, WeeklyTime, parse_clock, parse_day
from bot.errors import InvalidInput
from bot.slack import blocks as kit
from bot.slack.checkin_blocks import build_settings_reply

CHECKINS_VERB = "checkins"
_VERBS = ("on", "off", "schedule")


@dataclass(frozen=True)
class CheckinCommand:
    """What `/project checkins …` asks for."""

    project: str
    verb: str | None  # None: show the settings
    ask: WeeklyTime | None = None
    cutoff: WeeklyTime | None = None


def usage(command: str) -> str:
    """The usage line of the subcommand."""
    return f"{command} checkins KEY on|off|schedule DAY HH:MM [cutoff DAY HH:MM]"


def parse_checkins(args: str, command: str) -> CheckinCommand:
    """Read the text after `checkins`.

    Raises:
        InvalidInput: Not of the expected form, with the usage and what was wrong.
    """
    words = args.split()
    at = next((i for i, word in enumerate(words) if i and word.lower() in _VERBS), None)
    if at is None:
        if not words:
            raise InvalidInput(f"Usage: `{usage(command)}`")
        return CheckinCommand(project=" ".join(words), verb=None)
    project, verb, rest = " ".join(words[:at]), words[at].lower(), words[at + 1 :]
    if verb in ("on", "off"):
        if rest:
            raise InvalidInput(f"`{verb}` takes nothing after it. Usage: `{usage(command)}`")
        return CheckinCommand(project=project, verb=verb)
    try:
        if len(rest) not in (2, 5) or (len(rest) == 5 and rest[2].lower() != "cutoff"):
            raise InvalidInput(
                f"Usage: `{usage(command)}`, e.g. `{command} checkins {project} schedule mon 10:00 "
                "cutoff tue 10:00`."
            )
        ask = WeeklyTime(parse_day(rest[0]), parse_clock(rest[1]))
        cutoff = WeeklyTime(parse_day(rest[3]), parse_clock(rest[4])) if len(rest) == 5 else None
    except ScheduleError as error:
        raise InvalidInput(str(error)) from None
    return CheckinCommand(project=project, verb=verb, ask=ask, cutoff=cutoff)


def run_checkins_command(
    session: Session, actor: Actor, now: datetime, *, command: str, args: str
) -> kit.Reply:
    """Carry out `/project checkins …` for its author and build the reply (the caller commits).

    Called by the command interpreter (`bot.slack.commands`), which answers `UserFacingError`s.

    Raises:
        UserFacingError: Bad input, an unknown project, a refused permission.
    """
    parsed = parse_checkins(args, command)
    if parsed.verb is None:
        view = show_checkins(session, actor, parsed.project)
    else:
        view = change_checkins(
            session,
            actor,
            parsed.project,
            now,
            enabled=parsed.verb != "off",
            ask=parsed.ask,
            cutoff=parsed.cutoff,
        )
    return build_settings_reply(view, command=command)
