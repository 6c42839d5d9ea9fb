"""Asking for people from other disciplines: "who outside our disciplines can help with consent law?".

`find_outside` reads the phrases that ask for it: relative ones ("outside our disciplines", "from
another field", "not from my field", "outside the team's disciplines"), whose disciplines depend on
who asks and where (`bot.questions.answers.experts` resolves them), and ones that name a discipline
("who else, not an economist, …", "outside privacy law"). It also gives the words those phrases
span, so that they are not taken for the topic.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from bot.questions.interpret.entities import DirectoryIndex, match_discipline

# Words for a field of knowledge, and for whose fields they are ("the team's" is folded to "the team s").
_FIELD = (
    r"(disciplines?|fields?|areas?|domains?|specialt(y|ies)|specialit(y|ies)|specialisms?|backgrounds?|"
    r"expertise|subjects?|professions?|lines? of work)"
)
_WHOSE = (
    r"(our|my|your|the team s|the teams|our team s|my team s|this team s|the project s|this project s|"
    r"the group s)( own)?"
)
_OUTSIDE_OWN = re.compile(
    rf"\b((from |in )?(outside|beyond) (of )?{_WHOSE} ({_FIELD}|team|group|bubble)"
    rf"|(not|none) (from|in|of) {_WHOSE} ({_FIELD}|team|group)"
    rf"|(an?other|other|different) {_FIELD} than (ours|mine|our own|my own))\b"
)
# "someone from another field": only right after a word for people, since inside a topic the same words
# say something else ("transfer learning from another domain", "data from other domains").
_FROM_OTHER = re.compile(
    rf"\b(from|in|of|with) (an?other|other|different|a different|outside|other people s) {_FIELD}\b"
)
_PEOPLE = frozenset(
    {
        "who",
        "whom",
        "anyone",
        "anybody",
        "someone",
        "somebody",
        "people",
        "person",
        "experts",
        "expert",
        "specialists",
        "colleagues",
        "researchers",
        "folks",
        "one",
        "ones",
        "here",
        "else",
    }
)
# How many words may stand between the word for people and "from another field" ("anyone here from …").
_PEOPLE_REACH = 2
# Words after which a discipline is one to leave out: "not an economist", "outside privacy law",
# "other than statisticians", "non-economists", "except lawyers", "apart from economics".
_EXCLUDING = frozenset({"not", "non", "except", "excluding", "besides", "outside", "beyond"})
_SKIPPED = frozenset({"a", "an", "the", "any", "of", "from", "in", "by"})
# Longest discipline phrase looked for after such a word ("natural language processing").
_MAX_DISCIPLINE_WORDS = 3
# A question that asks for people (an expert question), rather than about a project.
ASKS_FOR_PEOPLE = re.compile(
    r"\b(who|whom|anyone|anybody|someone|somebody|people|person|experts?|specialists?|colleagues?|"
    r"researchers?|help|advice|advise)\b"
)


@dataclass(frozen=True)
class Outside:
    """What a question says about leaving disciplines out.

    Attributes:
        own: It asks for people outside the asker's (or their project's) disciplines.
        disciplines: Disciplines it names to leave out, as the directory writes them.
        spans: (start, end) word positions of the phrases that say so, not part of the topic.
    """

    own: bool = False
    disciplines: tuple[str, ...] = ()
    spans: tuple[tuple[int, int], ...] = ()

    @property
    def asked(self) -> bool:
        """Whether the question asks for people outside some disciplines."""
        return self.own or bool(self.disciplines)


def find_outside(words: Sequence[str], index: DirectoryIndex) -> Outside:
    """Read the phrases of a question that ask for people from other disciplines.

    Args:
        words: The question's normalised words.
        index: The directory (its disciplines, for "not an economist").

    Returns:
        What the question leaves out; `Outside()` when it leaves nothing out.
    """
    spans: list[tuple[int, int]] = []
    text = " ".join(words)
    starts = [0]
    for word in words[:-1]:
        starts.append(starts[-1] + len(word) + 1)
    for pattern in (_OUTSIDE_OWN, _FROM_OTHER):
        for match in pattern.finditer(text):
            first = starts.index(match.start()) if match.start() in starts else None
            if first is None:
                continue
            if pattern is _FROM_OTHER and not _PEOPLE & set(words[max(0, first - 1 - _PEOPLE_REACH) : first]):
                continue
            spans.append((first, first + len(match.group(0).split())))
    own = bool(spans)
    named: list[str] = []
    for position, word in enumerate(words):
        after_other_than = word == "than" and position > 0 and words[position - 1] == "other"
        after_apart_from = word == "from" and position > 0 and words[position - 1] in ("apart", "aside")
        if word not in _EXCLUDING and not after_other_than and not after_apart_from:
            continue
        start = position + 1
        while start < len(words) and words[start] in _SKIPPED:
            start += 1
        for length in range(_MAX_DISCIPLINE_WORDS, 0, -1):
            if start + length > len(words):
                continue
            discipline = match_discipline(words[start : start + length], index)
            if discipline is not None:
                begin = position - 1 if after_other_than or after_apart_from else position
                spans.append((begin, start + length))
                if discipline not in named:
                    named.append(discipline)
                break
    if named and "else" in words:
        # "who else, not an economist, …": everyone else, not only the fields named.
        own = True
        spans += [(i, i + 1) for i, w in enumerate(words) if w == "else"]
    return Outside(own, tuple(named), tuple(sorted(spans)))
