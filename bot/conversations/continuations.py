"""Follow-ups that go on from the previous answer rather than point into it.

"who is he?" / "what are her milestones?" (the one person it was about), "who leads them?" (each of
the few projects it listed), "and the week after?" (the range next to its own), "show me the rest"
(the list it cut, from where it stopped). Pure, like `bot.conversations.followups`, which calls these.
"""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo

from bot.conversations.memory import Turn
from bot.conversations.resolved import FollowUp, Reinterpret, listed, settled
from bot.domain.dates import adjacent_range
from bot.questions.interpret import PROJECT_INTENTS, DirectoryIndex, Entities, Intent, Interpretation

# "who is he?", "what's she working on?", "what are her milestones?": the one person the previous
# answer was about.
HE_OR_SHE = re.compile(r"\b(he|she|him|his|her|hers)\b")
# Words after "her" that make it an object ("tell me about her", "is her name…" aside).
_AFTER_AN_OBJECT = frozenset({"on", "in", "for", "about", "to", "with", "please", "now", "too", "again"})


def about_the_person(
    plain: str, pronoun: re.Match[str], previous: Turn, reinterpret: Reinterpret
) -> FollowUp | None:
    """The question asked of the one person the previous answer was about (or named, for an answer
    about people: a project's lead, someone's last day); said back when there is no such one person."""
    people = previous.people or tuple(dict.fromkeys(previous.named))
    word = pronoun[1]
    if len(people) != 1:
        return FollowUp(message=f"Who do you mean by “{word}”? Name them: “what is Kwame working on?”")
    following = plain[pronoun.end() :].split()
    possessive = word in ("his", "hers") or (
        word == "her" and bool(following) and following[0] not in _AFTER_AN_OBJECT
    )
    mention = f"<@{people[0]}>'s" if possessive else f"<@{people[0]}>"
    reading = reinterpret(f"{plain[: pronoun.start()]}{mention}{plain[pronoun.end() :]}")
    if people[0] not in reading.entities.people:
        return None
    return FollowUp(interpretation=settled(reading))


# "who leads them?", "and who is on them?" after a list of projects: each of them.
THEM = re.compile(r"\b(them|they|those|these|both|each|all of them|each of them)\b")
_MAX_PROJECTS_AT_ONCE = 5


def about_the_projects(
    plain: str, them: re.Match[str], previous: Turn, index: DirectoryIndex, reinterpret: Reinterpret
) -> FollowUp | None:
    """The question asked of each project the previous answer listed (a few, still visible)."""
    records = listed(previous.records)
    keys = list(dict.fromkeys(r.project_key for r in records if r.kind == "project"))
    keys = [k for k in keys if index.has_project(k)] or list(previous.projects)
    if not 2 <= len(keys) <= _MAX_PROJECTS_AT_ONCE:
        return None
    named = " and ".join(keys)
    reading = reinterpret(f"{plain[: them.start()]}{named}{plain[them.end() :]}")
    if set(reading.entities.projects) != set(keys) or reading.intent not in PROJECT_INTENTS:
        return None
    return FollowUp(interpretation=settled(reading))


# "and the week after?", "what about the month before?", "the following week", "what's due the week
# after that?": the previous question asked again of the range next to its own.
ADJACENT = re.compile(
    r"^(?:(?:and|so|ok|okay|then|but|also|what|how|about|for|in|during)\s+)*"
    r"(?:(?:what's|what is|whats|anything|any(?: deadlines| milestones)?) (?:due|happening|coming up|on) "
    r"(?:in |for |during )?)?(?:the )?"
    r"(?:(?P<unit>day|week|fortnight|month) (?P<way>after|before|following|preceding)(?: (?:that|this|it))?"
    r"|(?P<way2>following|previous|prior) (?P<unit2>day|week|fortnight|month))(?: then)?$"
)
# What a question about a range of dates can ask (anything else asks what is due in it).
_RANGE_INTENTS = frozenset({Intent.NEXT_MILESTONE, Intent.OVERDUE, Intent.WAITING_ON, Intent.LEAVING})


def adjacent_period(adjacent: re.Match[str], previous: Turn, zone: ZoneInfo) -> FollowUp:
    """The previous question asked of the range right after (or before) the one it named."""
    unit = adjacent.group("unit") or adjacent.group("unit2")
    way = adjacent.group("way") or adjacent.group("way2")
    forward = way in ("after", "following")
    earlier = previous.date_range
    if earlier is None or earlier.soon:  # "what's coming up?" names no span to go on from
        return FollowUp(
            message=f"The {unit} {'after' if forward else 'before'} what? My last answer was about no dates:"
            " ask, say, “what's due the week after next?”"
        )
    period = adjacent_range(earlier, unit, forward=forward, zone=zone)
    try:
        intent = Intent(previous.intent)
    except ValueError:
        intent = Intent.NEXT_MILESTONE
    if intent not in _RANGE_INTENTS:
        intent = Intent.NEXT_MILESTONE
    entities = Entities(projects=previous.projects, people=previous.people, me=previous.me, date_range=period)
    return FollowUp(interpretation=Interpretation(intent, entities, 1.0, text=adjacent.string))


# "show me the rest", "the other 4", "more please", "and the remaining ones?", "see all": the rest of a
# list the previous answer cut.
THE_REST = re.compile(
    r"^(?:(?:and|ok|okay|so|please|pls|can you|could you|then)\s+)*"
    r"(?:(?:show|give|list|send|tell|let me see|see)(?: me| us)?(?: the)?\s+)?(?:the\s+)?"
    r"(?:rest(?: of (?:them|it|the list))?|others?|other (?:\d+|ones|ones too)|remaining(?: ones| \d+)?|"
    r"\d+ more|more|all of them|full list|whole list|next (?:page|ones|\d+))"
    r"(?:\s+(?:please|pls|too|as well|then))?$"
)


def the_rest(previous: Turn) -> FollowUp:
    """The previous question asked again from where its answer's list was cut."""
    nothing_more = FollowUp(message="My last answer showed everything it found: there is no more to show.")
    if not previous.rest_from:
        return nothing_more
    try:
        intent = Intent(previous.intent)
    except ValueError:
        return nothing_more
    entities = Entities(
        projects=previous.projects,
        people=previous.people,
        milestones=previous.milestones,
        disciplines=previous.disciplines,
        date_range=previous.date_range,
        me=previous.me,
        own_projects=previous.own_projects,
        skip=previous.rest_from,
    )
    return FollowUp(interpretation=Interpretation(intent, entities, 1.0, text=previous.text))


# "why?", "why is that?", "how come?", "why is it late?": what holds up what the previous answer was about.
WHY = re.compile(
    r"^(?:(?:and|but|so|ok|okay|hmm)\s+)*(?:why|how come)(?:\s+(?:is|are|was|were)\s+(?:it|that|this|they|"
    r"those|these|that one)(?:\s+(?:so\s+)?(?:late|overdue|blocked|at risk|behind|stuck|slipping|delayed))?|"
    r"\s+(?:so|not|though))?$"
)


def why(previous: Turn, index: DirectoryIndex) -> FollowUp | None:
    """What holds up the projects the previous answer was about (its blockers, its late milestones and
    what they wait on), or None when it was about no project the asker may still see."""
    keys = [*previous.projects, *(m.rsplit("-", 1)[0] for m in previous.milestones)]
    keys += [r.project_key for r in listed(previous.records)]
    visible = [k for k in dict.fromkeys(keys) if k and index.has_project(k)][:_MAX_PROJECTS_AT_ONCE]
    if not visible:
        return None
    entities = Entities(projects=tuple(visible))
    return FollowUp(interpretation=Interpretation(Intent.BLOCKED, entities, 1.0, text="what is blocking"))
