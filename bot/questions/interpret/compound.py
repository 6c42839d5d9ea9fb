"""Two questions in one message: "who leads pcm and what's next?", "is bidshade on track? when is the
live test?". Each part is read and answered on its own; the second takes the first's subject when it
names none ("… and what's next?") or points at it ("… and who owns it?")."""

from __future__ import annotations

import re

# Where a second question starts: after "and", "also", a comma, a semicolon or a question mark, with a
# question word ("and what's next?", "? when is …", ", who owns it?").
_SECOND = re.compile(
    r"(?:\?\s*|\s*[,;]\s*(?:and\s+|also\s+|plus\s+)?|\s+(?:and|also|plus|and also)\s+)"
    r"(?=(?:what|whats|what's|who|whos|who's|whom|when|whens|when's|where|which|how|is|are|does|do|did|"
    r"has|have|any|anything|can|could)\b)",
    re.IGNORECASE,
)
# A part that is a question by itself (a lone "and" or a name is not).
_ASKS = re.compile(
    r"^\s*(?:<@[A-Z0-9]+(?:\|[^>]*)?>\s*)?(?:what|whats|what's|who|whos|who's|whom|when|whens|when's|where|"
    r"which|how|is|are|does|do|did|has|have|any|anything|can|could|status|list|show|tell)\b",
    re.IGNORECASE,
)
# "it", "its", "that", "them", "she" in the second part: the first part's subject.
POINTER = re.compile(r"\b(it|its|that one|them|they|their|he|she|him|her|his)\b", re.IGNORECASE)
_MIN_WORDS = 2


def split_two_questions(text: str) -> tuple[str, str] | None:
    """The two questions a message asks, or None when it asks one (or more than two, read as one).

    Args:
        text: The message as typed (Slack markup included).

    Returns:
        The first and the second question, each as typed (the first ends with "?").
    """
    parts = _SECOND.split(text.strip(), maxsplit=2)
    if len(parts) != 2:
        return None
    first, second = parts[0].strip(" ,;?"), parts[1].strip()
    if len(first.split()) < _MIN_WORDS or len(second.rstrip("?").split()) < _MIN_WORDS:
        return None
    if not _ASKS.match(first) or not _ASKS.match(second):
        return None
    return f"{first}?", second


def with_subject(second: str, subject: str) -> str:
    """The second question with its pointer ("it", "them") replaced by the first's subject."""
    return POINTER.sub(subject, second, count=1)
