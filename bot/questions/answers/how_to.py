"""How-to questions ("how do I mark something done?", "how can I add a blocker?"): the commands that
do it, picked from the command catalogue (`bot.commands`), so a new command is found without a rule."""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.commands import COMMANDS, CommandNames

# "how do I …", "how can we …", "how to …", "is there a way to …", "where do I …": the task asked about.
HOW_TO = re.compile(
    r"^(?:(?:hi|hey|hello|so|ok|okay|please)\s+)*"
    r"(?:how (?:do|can|should|would|could|may) (?:i|we|one)|how to|"
    r"is there a way to|where (?:do|can) i|can i|can you tell me how to) (?P<task>.+)$"
)
# The same deed in other words, mapped to the catalogue's ("mark … done" is `/milestone done`).
_SYNONYMS = {
    "complete": "done",
    "completed": "done",
    "finish": "done",
    "finished": "done",
    "tick": "done",
    "close": "done",
    "raise": "add",
    "log": "add",
    "report": "add",
    "flag": "add",
    "new": "add",
    "start": "add",
    "reschedule": "move",
    "postpone": "move",
    "push": "move",
    "delay": "move",
    "change": "move",
    "deadline": "due",
    "date": "due",
    "hand": "assign",
    "give": "assign",
    "transfer": "assign",
    "reassign": "assign",
    "remove": "delete",
    "erase": "delete",
    "stop": "off",
    "disable": "off",
    "mute": "off",
    "reminders": "remind",
    "reminder": "remind",
    "notifications": "notifications",
    "blockers": "blocker",
    "milestones": "milestone",
    "projects": "project",
    "experts": "expert",
    "team": "project",
}
_FILLER = frozenset(
    """a an the my our this that it its to of for on in at i we me you something some one as what whats is
    are how do does which when who be been get turned""".split()  # noqa: SIM905
)
_MAX_ROWS = 3
# The deeds themselves: a row must also match something else (a thing: "blocker", "calendar", "mark").
_DEEDS = frozenset(
    {"add", "create", "done", "move", "assign", "delete", "off", "on", "edit", "join", "leave", "resolve"}
    | {"remove", "set", "list", "show", "see", "view", "status", "set-status"}
)
# What the catalogue of slash commands does not hold: the buttons of a reminder.
_BUTTONS = (
    ("Snooze 1 h · Tomorrow · Next week", "buttons on a milestone's reminder: remind me again later"),
    ("Done", "button on a milestone's reminder: mark it done"),
    ("Move date…", "button on a milestone's reminder: a new due date"),
)


# Words that mean more than one deed of the catalogue ("change the lead" is an edit, "change a
# deadline" a move; "add someone to a project" is the edit form's members).
_ALSO = {
    "change": ("edit", "move"),
    "someone": ("member", "edit"),
    "somebody": ("member", "edit"),
    "person": ("member",),
    "people": ("member",),
    "colleague": ("member",),
    "blocked": ("blocker",),
    "stuck": ("blocker",),
    "see": ("list", "show"),
    "view": ("list", "show"),
    "record": ("set-status", "status"),
    "signed": ("set-status",),
}


def _stems(text: str) -> set[str]:
    words = [w for w in re.findall(r"[a-z][a-z-]*", text.lower()) if w not in _FILLER]
    stems = {_SYNONYMS.get(w, w.removesuffix("s") if len(w) > 4 else w) for w in words}
    return stems | {also for w in words for also in _ALSO.get(w, ())}


def how_to_rows(task: str, names: CommandNames | None = None) -> list[tuple[str, str]]:
    """The catalogue's help rows that do `task`, best first (at most three; none when nothing fits).

    Args:
        task: What the asker wants to do ("mark something done", "add a blocker").
        names: The workspace's command names (the defaults when None).

    Returns:
        (usage, what it does) rows, with the command names filled in.
    """
    names = names or CommandNames()
    wanted = _stems(task)
    typed = set(re.findall(r"[a-z][a-z-]*", task.lower()))
    rows = [
        (usage.format_map(fields), what.format_map(fields))
        for command in COMMANDS
        for fields in [{"cmd": names[command.key], **names}]
        for usage, what in command.help
    ]
    scored: list[tuple[int, int, tuple[str, str]]] = []
    # The rows that show how to ask a question ("/ask …", "@liaison …") do nothing themselves.
    rows = [row for row in rows if not row[0].startswith(("/ask", "@"))]
    for order, row in enumerate([*rows, *_BUTTONS]):
        # Placeholders ("[PROJECT]", "KEY") are no words of the deed.
        usage_words = _stems(re.sub(r"\[[^\]]*\]|\b[A-Z][A-Z-]+\b", " ", row[0]))
        what_words = _stems(row[1])
        matched = wanted & (usage_words | what_words)
        if not wanted & usage_words or not matched - _DEEDS:
            continue  # "make the coffee" is no command's; "add" alone names no thing to add
        # A word of the row's usage counts twice, a word typed as it is written once more.
        score = (
            2 * len(matched - _DEEDS)
            + len(matched & _DEEDS)
            + len(wanted & usage_words)
            + len(typed & usage_words)
        )
        if score >= 2:
            scored.append((score, -order, row))
    scored.sort(key=lambda item: (-item[0], -item[1]))
    return [row for _, _, row in _best(scored)]


def _best(scored: Sequence[tuple[int, int, tuple[str, str]]]) -> Sequence[tuple[int, int, tuple[str, str]]]:
    """The top rows: those within one point of the best, at most three."""
    if not scored:
        return []
    top = scored[0][0]
    return [item for item in scored if item[0] >= top - 1][:_MAX_ROWS]
