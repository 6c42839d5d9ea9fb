"""Follow-ups: a short question read against the previous answer of the same conversation.

"and who owns it?", "when is that due?", "what about pcm?", "the second one", "the private one":
each names no record of its own but points at one the previous answer named (`Turn`). The record is
put into the question in place of the pointing words and the question is read again
(`reinterpret`), so the answer comes from the same answerers as any question; when the words left say
nothing more ("and the second one?"), the record's default question is asked (a milestone's due date
and owner, a project's status).

Privacy: a follow-up only ever resolves against the asker's own previous answer, and every record is
checked again against what the asker may see now (`DirectoryIndex`): a record of a project they
left is "not one I can show", never named. This module is pure: no database, no clock.
"""

from __future__ import annotations

import re
from dataclasses import replace
from zoneinfo import ZoneInfo

from bot.conversations.continuations import (
    ADJACENT,
    HE_OR_SHE,
    THE_REST,
    THEM,
    WHY,
    about_the_person,
    about_the_projects,
    adjacent_period,
    the_rest,
    why,
)
from bot.conversations.memory import Record, Turn
from bot.conversations.resolved import FollowUp, Reinterpret, listed, settled
from bot.questions.interpret import PROJECT_INTENTS, DirectoryIndex, Entities, Intent, Interpretation
from bot.questions.interpret.entities import match_discipline

_ORDINALS = {
    "first": 1,
    "1st": 1,
    "second": 2,
    "2nd": 2,
    "third": 3,
    "3rd": 3,
    "fourth": 4,
    "4th": 4,
    "fifth": 5,
    "5th": 5,
    "sixth": 6,
    "6th": 6,
    "seventh": 7,
    "7th": 7,
    "eighth": 8,
    "8th": 8,
    "ninth": 9,
    "9th": 9,
    "tenth": 10,
    "10th": 10,
    "last": -1,
}
_NUMBERS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8}
# A bare ordinal counts only at the end ("who owns the second?"): "last week" is a date, not a pick.
_ORDINAL = re.compile(
    r"\b(?:the )?(" + "|".join(_ORDINALS) + r")"
    r"(?: (?:one|item|milestone|project|blocker|option|choice)s?\b|$)"
)
_NUMBERED = re.compile(
    r"\b(?:number|no\.?|option|choice|item) ?(\d{1,2}|" + "|".join(_NUMBERS) + r")\b|(?:^|\s)#(\d{1,2})\b"
)
_PRIVATE = re.compile(r"\b(?:the )?private (?:one|project|item)s?\b")
# "it", "that", "this one"; "this project" / "that milestone" too. Plurals ("them") are not one record.
_PRONOUN = re.compile(
    r"\b(?:(?:this|that) (?:one|project|milestone|item|blocker|deliverable)|its|it|"
    r"(?:that|this)(?! (?:week|month|year|quarter|sprint|morning|afternoon|evening|weekend|time)))\b"
)
# "there" is the previous answer's project ("and what is overdue there?"), but not in "is there any …"
# or "there are …".
_THERE = re.compile(
    r"(?<!\bis )(?<!\bare )(?<!\bwas )(?<!\bwere )(?<!\bget )(?<!\bfrom )"
    r"\b(?:(?:in|on|over|out) )?there\b(?! (?:is|are|was|were|be|been|any|anything|anyone)\b)"
)
# A question that goes on from the previous answer without naming anything: "and when is the next
# deadline?", "so who is on the team?".
_CONTINUING = re.compile(r"^(?:and|so|also|then|plus|ok|okay) (.+)$")
_WHAT_ABOUT = re.compile(
    r"^(?:and |but |so |ok |okay )?(?:what|how) about (.+)$|^(?:and |also )?same for (.+)$"
)
# "no, I meant uplift", "sorry, bidshade", "actually pcm": the previous question about another subject.
_CORRECTION = re.compile(
    r"^(?:no|nope|nah|sorry|oops|actually|wait)\b[ ,]*(?:(?:no|sorry|sry|i|meant|mean|actually|i meant|"
    r"i mean|rather|make that|make it|not that one)\b[ ,]*)*(?:the )?((?:\S+ ?){1,4})$"
)
_AND = re.compile(r"^(?:and|also|plus) (.+)$")
# Words that add nothing to a pointing phrase: "and the second one?" asks about the record itself.
_FILLER = frozenset(
    {"and", "but", "so", "ok", "okay", "then", "also", "plus", "please", "what", "about", "how", "the", "one"}
)

# Intents whose answer a date range narrows.
_DATED_INTENTS = frozenset({Intent.NEXT_MILESTONE, Intent.OVERDUE, Intent.WAITING_ON})
_PERSON_INTENTS = frozenset(
    {Intent.NEXT_MILESTONE, Intent.OVERDUE, Intent.WAITING_ON, Intent.PERSON_PROJECTS}
)


def resolve_follow_up(
    text: str,
    fresh: Interpretation,
    previous: Turn,
    index: DirectoryIndex,
    reinterpret: Reinterpret,
    *,
    bot_user_id: str | None = None,
    channel_project: str | None = None,
    zone: ZoneInfo | None = None,
) -> FollowUp | None:
    """Read a question against the previous answer, if it points at it.

    Args:
        text: The question as typed (Slack markup included).
        fresh: The question read on its own.
        previous: The conversation's previous turn (the asker's own).
        index: What the asker may see now.
        reinterpret: Reads a question (rewritten with a record in place of the pointer).
        bot_user_id: Liaison's user id, dropped from the text.
        channel_project: The project of the channel the question was asked in (or that the asker
            is looking at): "this project" then means that one, not the previous answer's.
        zone: The asker's time zone, whose calendar "the week after" counts in (default UTC).

    Returns:
        The resolution, or None when the question is not a follow-up (answer `fresh`).
    """
    plain = _plain(text, bot_user_id)
    if not plain:
        return None
    adjacent = ADJACENT.match(plain)
    if adjacent is not None:
        return adjacent_period(adjacent, previous, zone or ZoneInfo("UTC"))
    if THE_REST.match(plain) and previous.intent != Intent.EXPERTS.value:
        return the_rest(previous)
    if WHY.match(plain):
        return why(previous, index)
    if previous.intent == Intent.EXPERTS.value and previous.topic:
        more = _more_experts(plain, previous, index)
        if more is not None:
            return more
    swapped = _swap_subject(plain, previous, index, reinterpret)
    if swapped is not None:
        return swapped
    neighbour = _NEIGHBOUR.search(plain)
    if neighbour is not None:
        stepped = _step_from_focus(plain, neighbour, previous, index, reinterpret)
        if stepped is not None:
            return stepped
    if not fresh.entities.people:
        someone = HE_OR_SHE.search(plain)
        if someone is not None:
            return about_the_person(plain, someone, previous, reinterpret)
    if not fresh.entities.projects or fresh.entities.from_context:
        them = THEM.search(plain)
        if them is not None:
            projects = about_the_projects(plain, them, previous, index, reinterpret)
            if projects is not None:
                return projects
    # "is sara on it?": a person named, the project pointed at.
    whether_on = (
        fresh.intent == Intent.MEMBERS and bool(fresh.entities.people) and not fresh.entities.projects
    )
    own_subject = _names_own_subject(fresh) and not whether_on
    found = _position(plain)
    # "the first one" alone is a pick even though "first" is also a word of a project's name, and so
    # is "what's the first one about", whose only project was that word.
    if found is not None and (
        not own_subject
        or _only_pointer(plain, found[1])
        or _named_by_the_pointer(plain, found[1], fresh, reinterpret)
    ):
        picked = _pick_by_position(found, previous, index, reinterpret)
        if picked is not None:
            return picked
    private = _PRIVATE.search(plain)
    if private is not None and (not own_subject or _only_pointer(plain, private)):
        return _pick_private(plain, private, previous, index, reinterpret)
    if own_subject or fresh.intent == Intent.HELP or _asks_about_a_topic(fresh):
        # "how does this work?" asks about Liaison, whatever the last answer was about; "who knows
        # about privacy and what it means for ads" about privacy.
        return None
    pronoun = _resolve_pronoun(plain, previous, index, reinterpret, channel_project)
    if pronoun is not None:
        return pronoun
    pointer = _PRONOUN.search(plain)
    if (
        pointer is not None
        and not (channel_project is not None and pointer[0].startswith("this"))
        and " project" not in pointer[0]
        and len(listed(previous.records)) > 1
    ):
        # "who owns that?" after a list of several: which one is not for Liaison to guess.
        records = listed(previous.records)
        return FollowUp(message=_out_of_range(len(records), records[0].kind))
    there = _THERE.search(plain)
    if there is not None:
        return _about_the_project(plain, there, previous, index, reinterpret)
    continuing = _CONTINUING.match(plain)
    if continuing is not None and fresh.intent in PROJECT_INTENTS:
        return _about_the_project(plain, None, previous, index, reinterpret)
    return None


# After people who know about a topic: "who else?", "anyone else?", "any others?", "more?".
_MORE_PEOPLE = re.compile(
    r"^(?:and |ok |okay |so |but |thanks |thx )*(?:(?:who|anyone|anybody|someone|somebody|any ?one) else"
    r"(?: (?:who|that) (?:knows|could help|can help))?|(?:any )?(?:others?|more)(?: people| names| "
    r"suggestions| experts)?|(?:show|give) me more(?: people| names)?|more please)$"
)


# "and pcm?", "and next year?": a short name after "and", not a question of its own ("and who owns it?").
_AND_SHORT = re.compile(
    r"^(?:and|also|plus) (?!(?:who|what|when|where|why|how|which|is|are|do|does|did|can|could|will|thanks|"
    r"thank)\b)((?:\S+ ?){1,3})$"
)
# "and for pcm?", "and on kafka?": the same question about something else.
_AND_FOR = re.compile(r"^(?:and|but|also) (?:for|on|about|with) (.+)$")


def other_subject(text: str, bot_user_id: str | None = None) -> str | None:
    """What "what about pcm?" / "and for uplift?" names instead of the previous subject, if the question
    is one of those."""
    plain = _plain(text, bot_user_id)
    other = _WHAT_ABOUT.match(plain) or _AND_FOR.match(plain) or _AND_SHORT.match(plain)
    if other is None:
        return None
    subject = " ".join(next((g for g in other.groups() if g), "").split()).removeprefix("for ")
    subject = subject.removesuffix(" then").strip()
    return subject if subject and subject not in ("that", "it", "this", "them") else None


def _more_experts(plain: str, previous: Turn, index: DirectoryIndex) -> FollowUp | None:
    """ "who else?" asks for more people on the same topic (not those named already); "what about
    kafka?" / "and for pcm?" asks for people on another topic or project; "and outside crypto?" for
    the same topic, leaving that field out."""
    if _MORE_PEOPLE.match(plain):
        entities = Entities(topic=previous.topic, not_people=previous.named)
        return FollowUp(interpretation=Interpretation(Intent.EXPERTS, entities, 1.0))
    outside = _OUTSIDE_A_FIELD.match(plain)
    if outside is not None:
        field = match_discipline(outside.group("field").split(), index)
        if field is not None:
            entities = Entities(topic=previous.topic, outside_disciplines=(field,))
            return FollowUp(interpretation=Interpretation(Intent.EXPERTS, entities, 1.0))
    topic = other_subject(plain)
    if topic is None or _ANOTHER_KIND_OF_QUESTION.search(topic):
        return None  # "what about the overdue stuff?" asks something else than who knows about it
    return FollowUp(interpretation=Interpretation(Intent.EXPERTS, Entities(topic=topic), 1.0))


# "and outside crypto?", "what about outside economics?", "anyone not from law?": the same topic.
_OUTSIDE_A_FIELD = re.compile(
    r"^(?:(?:and|but|so|ok|okay|what|how|about|anyone|anybody|someone|people)\s+)*"
    r"(?:outside(?: of)?|not from|besides|apart from|other than)\s+(?:the\s+)?"
    r"(?P<field>[a-z][a-z &-]{1,40}?)(?:\s+(?:people|folks|field))?$"
)
# Words that make "what about …" a question of another kind, not another topic or project.
_ANOTHER_KIND_OF_QUESTION = re.compile(
    r"\b(overdue|late|due|deadlines?|status|blocked|blockers?|milestones?|next|agreements?|papers?|lead|"
    r"leads|members?|owners?|waiting)\b"
)


# "and the one after that?", "the milestone before it": the milestone next to the one just answered.
_NEIGHBOUR = re.compile(
    r"\b(?:the )?(?:one|milestone|deliverable|deadline|thing|step)s? (?P<way>after|before|following|"
    r"preceding) (?:that|it|this)(?: one)?\b|\bthe (?P<next>next|previous) one\b(?! (?:after|before)\b)"
)


def _step_from_focus(
    plain: str, neighbour: re.Match[str], previous: Turn, index: DirectoryIndex, reinterpret: Reinterpret
) -> FollowUp | None:
    """The question asked of the milestone after (or before) the previous answer's one milestone, by
    number within its project (among those the asker may see)."""
    record = _focus(previous)
    if record is None or record.kind != "milestone" or not _visible(record, index):
        return None
    way = neighbour.group("way") or neighbour.group("next")
    forward = way in ("after", "following", "next")
    key, number = record.ref.rsplit("-", 1)
    numbers = sorted(int(m.ref.rsplit("-", 1)[1]) for m in index.directory.milestones if m.project_key == key)
    steps = [n for n in numbers if (n > int(number) if forward else n < int(number))]
    if not steps:
        side = "after" if forward else "before"
        return FollowUp(message=f"`{record.ref}` has no milestone {side} it on `{key}` that you can see.")
    target = Record("milestone", f"{key}-{steps[0] if forward else steps[-1]}", key)
    return _ask_about(target, plain, neighbour, index, reinterpret)


def _remaining(plain: str, pointer: re.Match[str]) -> list[str]:
    """The words of the question besides the pointing phrase and filler."""
    rest = f"{plain[: pointer.start()]} {plain[pointer.end() :]}"
    return [w for w in rest.split() if w not in _FILLER]


def _named_by_the_pointer(
    plain: str, pointer: re.Match[str], fresh: Interpretation, reinterpret: Reinterpret
) -> bool:
    """Whether the question names a project only through its pointing phrase ("first" of "first-price
    auctions"): without that phrase it names no project, milestone or person of its own. A date
    ("due on the 10th") is not a pointer's doing."""
    named = fresh.entities
    if not named.projects or named.from_context or named.date_range or named.milestones or named.people:
        return False
    rest = " ".join(f"{plain[: pointer.start()]} {plain[pointer.end() :]}".split())
    return bool(rest) and not _names_own_subject(reinterpret(rest))


def _only_pointer(plain: str, pointer: re.Match[str]) -> bool:
    return not _remaining(plain, pointer)


def _names_own_subject(fresh: Interpretation) -> bool:
    """Whether the question names its subject itself ("what about pcm?" does: it is handled apart)."""
    named = fresh.entities
    return bool(
        fresh.unknown_name  # "who leads zorbulon?" is about zorbulon, even if nothing is called so
        or named.milestones
        or named.people
        or named.me
        or named.date_range  # "what is due this week and who owns it?" is about the week
        or (named.projects and not named.from_context)
    )


def _asks_about_a_topic(fresh: Interpretation) -> bool:
    """Whether the question asks who knows about a topic it names (not "who can help with it?")."""
    topic = set(fresh.entities.topic.split()) - {"it", "this", "that", "them", "its", "one"}
    return fresh.intent == Intent.EXPERTS and fresh.confident and bool(topic)


def _plain(text: str, bot_user_id: str | None) -> str:
    if bot_user_id:
        text = re.sub(rf"<@{re.escape(bot_user_id)}(\|[^>]*)?>", " ", text)
    # Lower case, except Slack's `<@U…>` and `<#C…>` markup: ids are case-sensitive.
    text = re.sub(r"<[^>]*>|[^<]+", lambda m: m[0] if m[0].startswith("<") else m[0].casefold(), text)
    text = text.replace("’", "'")
    text = re.sub(r"[?!.,;:]+(\s|$)", r" ", text)
    return " ".join(text.split())


# -- "the second one", "number 2", "the last one" ----------------------------------------------------


def _position(plain: str) -> tuple[int, re.Match[str]] | None:
    match = _ORDINAL.search(plain)
    if match is not None:
        return _ORDINALS[match.group(1)], match
    match = _NUMBERED.search(plain)
    if match is not None:
        raw = match.group(1) or match.group(2)
        return (int(raw) if raw.isdigit() else _NUMBERS[raw]), match
    return None


def _pick_by_position(
    found: tuple[int, re.Match[str]], previous: Turn, index: DirectoryIndex, reinterpret: Reinterpret
) -> FollowUp | None:
    position, match = found
    plain = match.string
    if previous.choices:
        # The previous answer asked "did you mean …": the second one is its second button.
        choices = previous.choices
        if not 1 <= abs(position) <= len(choices) or position == 0:
            return FollowUp(message=_out_of_range(len(choices), "choice"))
        question = choices[position - 1] if position > 0 else choices[-1]
        return FollowUp(interpretation=settled(reinterpret(question)))
    records = listed(previous.records)
    if not records:
        return None
    if position == 0 or abs(position) > len(records):
        return FollowUp(message=_out_of_range(len(records), records[0].kind))
    record = records[position - 1] if position > 0 else records[-1]
    return _ask_about(record, plain, match, index, reinterpret)


def _out_of_range(count: int, kind: str) -> str:
    noun = {"milestone": "milestone", "project": "project", "blocker": "blocker", "choice": "choice"}.get(
        kind, "record"
    )
    plural = "" if count == 1 else "s"
    return (
        f"My last answer listed {count} {noun}{plural}; say which by its number "
        f"(e.g. “the first one”) or by its name."
    )


# -- "the private one" -----------------------------------------------------------------------------


def _pick_private(
    plain: str, pointer: re.Match[str], previous: Turn, index: DirectoryIndex, reinterpret: Reinterpret
) -> FollowUp:
    private_keys = {p.key for p in index.directory.projects if p.private}
    # Only records the asker may see now count; a private project they cannot see is never hinted at,
    # and the message is the same whether or not one exists.
    candidates = [r for r in previous.records if r.project_key in private_keys and _visible(r, index)]
    projects = {r.project_key for r in candidates}
    if len(projects) != 1:
        return FollowUp(
            message="I can't tell which record you mean from my last answer; ask about it by its name or key."
        )
    key = projects.pop()
    return _ask_about(Record("project", key, key), plain, pointer, index, reinterpret)


# -- "what about pcm?", "and Marek?" --------------------------------------------------------------------


def _swap_subject(
    plain: str, previous: Turn, index: DirectoryIndex, reinterpret: Reinterpret
) -> FollowUp | None:
    match = _WHAT_ABOUT.match(plain) or _CORRECTION.match(plain)
    rest = next((g for g in match.groups() if g), None) if match else None
    if rest is None:
        short = _AND.match(plain)
        if short is None or len(short.group(1).split()) > 3:
            return None
        rest = short.group(1)
    if _position(rest) is not None or _PRIVATE.search(rest):
        return None  # "and the first one?" points into the previous answer; it names nothing new
    try:
        intent = Intent(previous.intent)
    except ValueError:
        return None
    named = reinterpret(rest).entities
    if named.from_context:
        named = replace(named, projects=())
    entities: Entities | None = None
    if named.milestones:
        # "what about pcm-3?" asks about that milestone, whatever was asked before.
        intent = Intent.WHEN_MILESTONE
        entities = Entities(milestones=named.milestones[:1])
    elif named.projects and (intent in PROJECT_INTENTS or intent == Intent.WHEN_MILESTONE):
        if intent == Intent.WHEN_MILESTONE:
            intent = Intent.NEXT_MILESTONE  # "when is pcm-2 due?" … "what about fatigue?"
        # "what's due the week after?" … "and pcm?": the same dates, for pcm.
        period = previous.date_range if intent in _DATED_INTENTS else None
        entities = Entities(projects=named.projects[:1], date_range=period)
    elif named.people and intent in _PERSON_INTENTS:
        entities = Entities(people=named.people[:1])
    elif named.date_range is not None and not named.people and (previous.projects or previous.people):
        # "what's next for bidshade?" … "what about next week?": bidshade's, next week.
        if intent not in _DATED_INTENTS:
            intent = Intent.NEXT_MILESTONE
        entities = Entities(
            projects=previous.projects, people=previous.people, me=previous.me, date_range=named.date_range
        )
    if entities is None:
        return None
    return FollowUp(interpretation=Interpretation(intent, entities, 1.0, text=plain))


# -- "and who owns it?", "when is that due?" -------------------------------------------------------


def _resolve_pronoun(
    plain: str,
    previous: Turn,
    index: DirectoryIndex,
    reinterpret: Reinterpret,
    channel_project: str | None,
) -> FollowUp | None:
    match = _PRONOUN.search(plain)
    if match is None:
        return None
    if channel_project is not None and match[0].startswith("this"):
        return None  # "this project" in (or beside) a project's channel is that channel's project
    record = _focus(previous)
    if record is not None and record.kind == "project" and _ASKS_OF_A_MILESTONE.search(plain):
        # "what's next for bidshade?" then "and who owns it?": the next one, the first listed.
        record = _first_listed_milestone(previous) or record
    if record is None or not _visible(record, index):
        return None
    return _ask_about(record, plain, match, index, reinterpret)


# What is asked of one milestone, not of a project: its owner, its due date.
_ASKS_OF_A_MILESTONE = re.compile(r"\b(?:owns?|owned|owner|whose|responsible|due|deadline)\b")


def _first_listed_milestone(previous: Turn) -> Record | None:
    """The first milestone of an answer listing a project's next ones (the next of them)."""
    if previous.intent != Intent.NEXT_MILESTONE.value:
        return None
    return next((r for r in previous.records if r.kind == "milestone"), None)


def _focus(previous: Turn) -> Record | None:
    """The one record "it" can mean: the milestone or project the previous answer was about."""
    milestones = [r for r in previous.records if r.kind == "milestone"]
    if len(previous.milestones) == 1:
        ref = previous.milestones[0]
        return next((r for r in milestones if r.ref == ref), Record("milestone", ref, ref.rsplit("-", 1)[0]))
    if len(milestones) == 1:
        return milestones[0]
    if len(previous.projects) == 1:
        return Record("project", previous.projects[0], previous.projects[0])
    projects = [r for r in previous.records if r.kind == "project"]
    return projects[0] if len(projects) == 1 else None


def _about_the_project(
    plain: str,
    pointer: re.Match[str] | None,
    previous: Turn,
    index: DirectoryIndex,
    reinterpret: Reinterpret,
) -> FollowUp | None:
    """The question asked of the previous answer's project ("there", or nothing named after "and").

    A milestone's answer stands for its project here: "what is blocked there?" after `pcm-2`.
    """
    record = _focus(previous)
    # A milestone is visible only with its project: whether the project is, is the whole check here.
    if record is None or not index.has_project(record.project_key):
        return None
    key = record.project_key
    text = f"{plain[: pointer.start()]}{key}{plain[pointer.end() :]}" if pointer else f"{plain} {key}"
    reading = reinterpret(text)
    if reading.intent in PROJECT_INTENTS and _names_project(reading, key):
        return FollowUp(interpretation=settled(reading))
    return None


# -- asking about one record -------------------------------------------------------------------------


def _visible(record: Record, index: DirectoryIndex) -> bool:
    if record.kind == "milestone":
        return index.milestone(record.ref) is not None
    return index.has_project(record.project_key)


def _ask_about(
    record: Record, plain: str, pointer: re.Match[str], index: DirectoryIndex, reinterpret: Reinterpret
) -> FollowUp:
    if not _visible(record, index):
        return FollowUp(message="That record is not one I can show you any more.")
    before, after = plain[: pointer.start()], plain[pointer.end() :]
    if _remaining(plain, pointer):
        # The question says what it wants of the record: put the record in and read it again.
        if record.kind == "milestone":
            reading = reinterpret(f"{before}{record.ref}{after}")
            if reading.intent == Intent.WHEN_MILESTONE and record.ref in reading.entities.milestones:
                return FollowUp(interpretation=settled(reading))
            # "who leads it?" about pcm-2 asks about its project; "who owns it?" about the milestone.
            reading = reinterpret(f"{before}{record.project_key}{after}")
            if reading.intent in _PROJECT_LEVEL and _names_project(reading, record.project_key):
                return FollowUp(interpretation=settled(reading))
        else:
            reading = reinterpret(f"{before}{record.project_key}{after}")
            if reading.intent in PROJECT_INTENTS and _names_project(reading, record.project_key):
                return FollowUp(interpretation=settled(reading))
    return FollowUp(interpretation=_default_question(record))


# Questions about a milestone's project rather than the milestone itself.
_PROJECT_LEVEL = frozenset({Intent.LEAD, Intent.MEMBERS, Intent.BLOCKED})


def _names_project(reading: Interpretation, key: str) -> bool:
    entities = reading.entities
    return key in entities.projects and not entities.from_context


def _default_question(record: Record) -> Interpretation:
    if record.kind == "milestone":
        return Interpretation(Intent.WHEN_MILESTONE, Entities(milestones=(record.ref,)), 1.0)
    if record.kind == "blocker":
        return Interpretation(Intent.BLOCKED, Entities(projects=(record.project_key,)), 1.0)
    return Interpretation(Intent.PROJECT_STATUS, Entities(projects=(record.project_key,)), 1.0)


# -- pointing at a record in a change request ("mark it done") ---------------------------------------

_POINTER_IN_TEXT = (
    re.compile(_ORDINAL.pattern, re.IGNORECASE),
    re.compile(_NUMBERED.pattern, re.IGNORECASE),
    re.compile(_PRONOUN.pattern, re.IGNORECASE),
)


def pointer_in(text: str) -> re.Match[str] | None:
    """Where a message points at a record of the previous answer ("the second one", "#2", "it"), if it does.

    Text only: what the pointer means needs the previous turn (`point_at_record`).
    """
    ordinal, numbered, pronoun = _POINTER_IN_TEXT
    return ordinal.search(text) or numbered.search(text) or pronoun.search(text)


def point_at_record(text: str, previous: Turn, index: DirectoryIndex) -> tuple[str, Record] | None:
    """The record a pointer in a change request means, and the text with the pointer replaced by its ref.

    "mark it done" after an answer about `pcm-3`, "move the second one to friday" after a list: the
    pointer is resolved against the previous answer as a question's follow-up would be ("the second
    one" is the second listed record; "it" the one record the answer was about), and only to a record
    the asker can still see.

    Args:
        text: The message as written (its punctuation matters to the change request's reader).
        previous: The asker's previous turn in this conversation.
        index: What the asker can see now.

    Returns:
        `(rewritten text, record)`, or None when nothing in the text points at one visible record.
    """
    match = pointer_in(text)
    if match is None:
        return None
    record: Record | None
    if match.re is _POINTER_IN_TEXT[2]:  # "it", "that one": the one record the answer was about
        record = _focus(previous)
    else:  # "the second one", "#2": by position in what the answer listed
        found = _position(_plain(match[0], None))
        records = listed(previous.records)
        if found is None or not records or found[0] == 0 or abs(found[0]) > len(records):
            return None
        record = records[found[0] - 1] if found[0] > 0 else records[-1]
    if record is None or not _visible(record, index):
        return None
    return f"{text[: match.start()]}{record.ref}{text[match.end() :]}", record
