"""Reading a change request out of a message: "mark pcm-2 done", "move bidshade-3 to next friday"…

Conservative on purpose: only an imperative or declarative sentence that names the record (a
milestone id, or a project for a blocker) and has one of the shapes below is a change request; any
other text, and anything phrased as a question ("is pcm-2 done?"), is left to the question answerer.
The readings resolve nothing: dates, people and projects are read against the records by
`bot.proposals.offers`, which reuses the commands' readers.

Shapes (case-insensitive; a leading "please", "can you", "could you", a mention of Liaison and a
trailing "please", "thanks", "." or "!" are ignored):

- done: "mark pcm-2 done", "mark pcm-2 as complete", "complete pcm-2", "close pcm-2", "pcm-2 is done",
  "pcm-2 has been finished", "i finished pcm-2", "done with pcm-2".
- move: "move bidshade-3 to next friday", "push bidshade-3 to 2026-12-20", "postpone pcm-3 until
  dec 20", "reschedule pcm-3 for friday", "set pcm-3's due date to dec 20", "change the deadline of
  pcm-3 to friday", "pcm-3 is now due friday".
- assign: "assign pcm-2 to Marek", "give pcm-2 to @Marek", "hand pcm-2 over to Priya", "reassign
  pcm-2 to <@U…>", "set pcm-2's owner to @Marek", "make Marek the owner of pcm-2", "assign Marek to
  pcm-2".
- blocker: "add a blocker to uplift: waiting for the data agreement", "raise a blocker on pcm -
  legal memo late", "log a blocker for "bid shading": no logs", "uplift is blocked by the data
  agreement", "uplift is blocked on legal".
- remind: "remind me about fatigue-2 tomorrow at 9", "remind me of pcm-3 on friday 5pm", "remind me
  tomorrow at 9 about fatigue-2".
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

# Longer than any command a person types by hand; longer texts are questions or pastes.
MAX_REQUEST_CHARS = 600


class ChangeKind(enum.StrEnum):
    """What a change request asks for."""

    DONE = "done"
    MOVE = "move"
    ASSIGN = "assign"
    BLOCKER = "blocker"
    REMIND = "remind"


@dataclass(frozen=True)
class ChangeRequest:
    """A change request as read from a message, nothing resolved yet.

    Attributes:
        kind: What is asked.
        target: The milestone id (`pcm-2`, lower case) or, for a blocker, the project as written.
        argument: The date (move, remind), the person (assign) or the blocker's text, as written;
            empty when the request did not give one.
    """

    kind: ChangeKind
    target: str
    argument: str = ""


_REF = r"(?P<ref>[a-z][a-z0-9_]{0,39}-\d{1,6})"
_LEADING = re.compile(
    r"^(?:(?:hey|hi|ok|okay)\s+)?(?:liaison[,:]?\s+)?"
    r"(?:(?:please|pls|kindly)\s+|(?:can|could|would|will)\s+you\s+(?:please\s+)?)*",
    re.IGNORECASE,
)
_TRAILING = re.compile(r"(?:[\s,]+(?:please|pls|thanks|thank you|thx))*[\s.!]*$", re.IGNORECASE)
_POLITE_QUESTION = re.compile(r"^(?:can|could|would|will)\s+you\b", re.IGNORECASE)

_DONE_WORD = r"(?:done|complete|completed|finished|closed)"
_DONE = (
    rf"(?:mark|set|flag)\s+{_REF}\s+(?:as\s+)?{_DONE_WORD}",
    rf"(?:complete|finish|close)\s+{_REF}",
    rf"{_REF}\s+(?:is|was|has\s+been|is\s+now)\s+{_DONE_WORD}",
    rf"{_REF}\s+{_DONE_WORD}",
    rf"(?:i|we)(?:\s+have|'ve|\s+just)?\s+(?:finished|completed|closed)\s+{_REF}",
    rf"(?:i'm|i\s+am|we're|we\s+are)\s+done\s+with\s+{_REF}",
    rf"done\s+with\s+{_REF}",
)
_MOVE_VERB = r"(?:move|push|postpone|reschedule|shift|delay|defer|bring\s+forward|pull\s+in)"
_DUE_NOUN = r"(?:due\s+date|deadline|due)"
_MOVE = (
    rf"{_MOVE_VERB}\s+{_REF}(?:'s\s+{_DUE_NOUN})?\s+(?:back\s+|out\s+|forward\s+)?"
    r"(?:to|until|till|til|for|on)\s+(?P<arg>.+)",
    rf"(?:set|change|update)\s+{_REF}'s\s+{_DUE_NOUN}\s+to\s+(?P<arg>.+)",
    rf"(?:set|change|update|move)\s+the\s+{_DUE_NOUN}\s+(?:of|for|on)\s+{_REF}\s+to\s+(?P<arg>.+)",
    rf"{_REF}\s+is\s+now\s+due\s+(?P<arg>.+)",
    rf"{_REF}(?:'s)?\s+(?:new\s+)?{_DUE_NOUN}\s+is\s+now\s+(?P<arg>.+)",
    rf"{_REF}\s+(?:should|will)\s+(?:now\s+)?be\s+due\s+(?P<arg>.+)",
)
_PERSON = r"(?P<arg>(?!to\b)[^\s].{0,200}?)"
_ASSIGN = (
    rf"(?:assign|reassign|give|hand|hand\s+over)\s+{_REF}\s+(?:over\s+)?to\s+{_PERSON}",
    rf"(?:set|change|update)\s+{_REF}'s\s+owner\s+to\s+{_PERSON}",
    rf"(?:set|change|update)\s+the\s+owner\s+of\s+{_REF}\s+to\s+{_PERSON}",
    rf"make\s+{_PERSON}\s+(?:the\s+)?owner\s+of\s+{_REF}",
    rf"(?:assign|give)\s+{_PERSON}\s+to\s+{_REF}",
    rf"{_REF}\s+(?:should\s+be|is\s+now)\s+owned\s+by\s+{_PERSON}",
)
_PROJECT = r"(?P<project>\"[^\"]{1,200}\"|“[^”]{1,200}”|[^:\s][^:]{0,120}?)"
_PROJECT_WORD = r"(?P<project>\"[^\"]{1,200}\"|“[^”]{1,200}”|[a-z][a-z0-9_]{0,39})"
_BLOCKER_TEXT = r"(?P<arg>\S.*)"
_BLOCKER = (
    rf"(?:add|raise|log|record|open|file|create)\s+(?:a\s+|an\s+|another\s+|one\s+more\s+)?(?:new\s+)?"
    rf"blocker\s+(?:to|on|for|in)\s+{_PROJECT}\s*(?::|\s[-–—]\s|,\s*saying\s|\s+saying\s)\s*{_BLOCKER_TEXT}",
    rf"(?:blocker|new\s+blocker)\s+(?:on|for)\s+{_PROJECT}\s*:\s*{_BLOCKER_TEXT}",
    # Declarative: only a key or a quoted name, so "why uplift is blocked by…" stays a question.
    rf"(?:the\s+)?{_PROJECT_WORD}(?:\s+project)?\s+is\s+(?:now\s+)?blocked\s+(?:by|on)\s+{_BLOCKER_TEXT}",
)
_WHEN = r"(?P<arg>.+?)"
_REMIND = (
    rf"remind\s+me\s+(?:about|of|on|re)\s+{_REF}(?:\s+(?P<arg>.+))?",
    rf"remind\s+me\s+{_WHEN}\s+(?:about|of)\s+{_REF}",
)

_PATTERNS: tuple[tuple[ChangeKind, re.Pattern[str]], ...] = tuple(
    (kind, re.compile(pattern, re.IGNORECASE | re.DOTALL))
    for kind, patterns in (
        (ChangeKind.DONE, _DONE),
        (ChangeKind.MOVE, _MOVE),
        (ChangeKind.ASSIGN, _ASSIGN),
        (ChangeKind.BLOCKER, _BLOCKER),
        (ChangeKind.REMIND, _REMIND),
    )
    for pattern in patterns
)
# A project named for a blocker is its key or its name; these words around it are not part of it.
_PROJECT_FILLER = re.compile(r"^(?:the\s+)?(?P<name>.+?)(?:\s+project)?$", re.IGNORECASE)


def read_change_request(text: str, *, bot_user_id: str | None = None) -> ChangeRequest | None:
    """Read a change request out of a message, or None when the message is not one.

    Args:
        text: The message as Slack sent it (mentions of Liaison included).
        bot_user_id: Liaison's user id (its mention is dropped); every other mention is kept, since
            it may name the new owner.

    Returns:
        The request, or None for anything else (questions above all), which then goes on to be
        answered as a question.
    """
    if len(text) > MAX_REQUEST_CHARS:
        return None
    if bot_user_id:
        text = re.sub(rf"<@{re.escape(bot_user_id)}(?:\|[^>]*)?>", " ", text)
    cleaned = " ".join(text.replace("’", "'").split())
    polite = _POLITE_QUESTION.match(cleaned) is not None
    cleaned = _LEADING.sub("", cleaned, count=1)
    if cleaned.endswith("?"):
        if not polite:
            return None  # "pcm-2 is done?" asks; "can you mark pcm-2 done?" requests
        cleaned = cleaned.rstrip("?").rstrip()
    cleaned = _TRAILING.sub("", cleaned, count=1)
    if not cleaned or "\n" in cleaned:
        return None
    for kind, pattern in _PATTERNS:
        match = pattern.fullmatch(cleaned)
        if match is None:
            continue
        groups = match.groupdict()
        argument = (groups.get("arg") or "").strip()
        if kind == ChangeKind.BLOCKER:
            project = _project_query(groups["project"])
            if not project or not argument:
                continue
            return ChangeRequest(kind, project, argument)
        ref = groups["ref"].lower()
        if kind == ChangeKind.ASSIGN and (not argument or _looks_like_ref(argument)):
            continue
        return ChangeRequest(kind, ref, argument)
    return None


def _project_query(written: str) -> str:
    written = written.strip()
    if written[:1] in ('"', "“"):
        return written[1:-1].strip()
    match = _PROJECT_FILLER.fullmatch(written)
    return match.group("name").strip() if match else written


def _looks_like_ref(text: str) -> bool:
    return re.fullmatch(_REF, text.strip().lower()) is not None
