"""`interpret`: a question in, an `Interpretation` out; and `projects_named`, a thread's subject."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.domain.dates import find_date_range
from bot.domain.matching import OWN_PROJECTS
from bot.questions.interpret.directory import Directory
from bot.questions.interpret.entities import (
    DirectoryIndex,
    EntityMatch,
    drop_contained,
    find_entities,
    index_directory,
    resolve_overlaps,
)
from bot.questions.interpret.entity_hints import adjust_for_entities
from bot.questions.interpret.intents import (
    CONFIDENT,
    NEEDS_PROJECT,
    PROJECT_INTENTS,
    Intent,
    SimilarityFn,
    decide,
    rule_scores,
)
from bot.questions.interpret.interpretation import Entities, Interpretation, Reading
from bot.questions.interpret.normalise import english_words, prepare_text
from bot.questions.interpret.outside import ASKS_FOR_PEOPLE, Outside, find_outside
from bot.questions.interpret.readings import entity_readings, intent_readings
from bot.questions.interpret.vocabulary import FUNCTION_WORDS, INTENT_WORDS, is_content

_PRONOUN_ME = re.compile(r"\b(me|my|mine|myself|i|am i|i am)\b")
# "tell me about…" asks for something; it does not make the asker the subject.
_ME_AS_ADDRESSEE = re.compile(r"\b(tell|show|give|let|help|remind|send|get|find) me\b")
# "what's holding us up", "is anything blocking me": the asker's projects.
_US = re.compile(
    r"\b(blocking|blocks|holding|keeping|stopping|slowing) (us|me)\b|"
    r"\b(are we|am i) (blocked|stuck|held up)\b"
)
# "what's overdue everywhere?", "… across all projects": not the channel's or the thread's project.
# "which project is most behind?" picks among projects, also in one project's channel.
EVERYWHERE = re.compile(
    r"\b(everywhere|across (?:all|every|the whole|the) (?:projects?|alliance|board|teams?)|"
    r"(?:on|in|for|of) (?:all|every) (?:the )?projects?|alliance[- ]wide|all over)\b|"
    r"^(?:which|what) (?:of (?:the|our|all) )?projects?\b(?!.*\b(?:this|here)\b)"
)
# "what does Priya own here?": a person's, in the project in context (said outright).
_HERE_SAID = re.compile(r"\b(here|this project|this channel|this team)\b")
_CONTEXT_WORDS = re.compile(r"\b(this|that|the|our) (project|channel|one|team)\b|\b(here|it)\b")


def interpret(
    text: str,
    directory: Directory | DirectoryIndex,
    *,
    now: datetime,
    zone: ZoneInfo,
    channel_id: str | None = None,
    context_projects: Sequence[str] = (),
    bot_user_id: str | None = None,
    similarity: SimilarityFn | None = None,
) -> Interpretation:
    """Understand a question.

    Args:
        text: The question as typed in Slack (mentions like `<@U…>` and `<#C…>` included).
        directory: The names the asker may see (or a prebuilt `DirectoryIndex` of them).
        now: The current instant, timezone-aware.
        zone: The asker's zone, for "this week" and "before Christmas".
        channel_id: Where it was asked; a project's channel makes that project the default subject.
        context_projects: Projects named earlier in the thread, most recent first; the next default.
        bot_user_id: Liaison's own user id, removed from the text.
        similarity: Intent → similarity of the (masked) question to each intent's exemplars; consulted
            when the phrase rules are not decisive. None (e.g. while the model loads) means rules alone.

    Returns:
        The interpretation; see `Interpretation`.
    """
    index = directory if isinstance(directory, DirectoryIndex) else index_directory(directory)
    prepared = prepare_text(text, bot_user_id, index.name_words)
    prepared = replace(prepared, words=tuple(_possessive_projects(prepared.text, index).split()))
    date_range, rest = find_date_range(prepared.text, now=now, zone=zone)
    words = rest.split()
    normal = prepared.text
    rules = _asked_before_the_topic(rule_scores(normal), normal)
    me = bool(_PRONOUN_ME.search(_ME_AS_ADDRESSEE.sub(" ", normal)))

    if not prepared.words and not prepared.mentions and not prepared.refs:
        return Interpretation(Intent.HELP, Entities(date_range=date_range), 0.9, text=normal)
    matches = drop_contained(find_entities(words, index, ("project", "person", "milestone", "discipline")))
    people = [m for m in prepared.mentions if index.has_person(m)] + [
        m.keys[0] for m in matches if m.kind == "person" and m.sure
    ]
    refs = [r for r in prepared.refs if index.milestone(r) is not None]
    # What each kind of name contributes depends on the question; collect everything, decide below.
    by_kind: dict[str, list[EntityMatch]] = {"project": [], "person": [], "milestone": [], "discipline": []}
    for match in matches:
        by_kind[match.kind].append(match)

    adjust_for_entities(rules, by_kind, refs, people, me, date_range, normal)
    outside = find_outside(words, index)
    if outside.asked and ASKS_FOR_PEOPLE.search(normal):
        # "who outside our disciplines can help with consent law?": people from other fields are
        # asked for, whatever project or field the topic's words resemble.
        rules[Intent.EXPERTS] = rules.get(Intent.EXPERTS, 0.0) + 3.0
        for other in _NOT_WITH_OUTSIDE:
            rules.pop(other, None)
    intent, confidence, used_similarity, ranked = decide(rules, words, matches, similarity)
    if intent != Intent.EXPERTS:
        outside = Outside()

    preferred = _PREFERRED_KINDS.get(intent, ("project", "person", "discipline", "milestone"))
    kept = resolve_overlaps([m for m in matches if m.kind in preferred], preferred)
    sure = {kind: [m.keys[0] for m in kept if m.kind == kind and m.sure] for kind in preferred}
    unsure = [m for m in kept if not m.sure]

    projects = list(dict.fromkeys(sure.get("project", [])))
    milestones = list(dict.fromkeys(refs + sure.get("milestone", [])))
    if intent == Intent.WHEN_MILESTONE and not milestones:
        # "when is the fatigue signal thing due?": two titles share the words; give each its date
        # rather than the next milestones of the project whose name is one of the words.
        milestones = _few_named_alike(matches)
    if intent == Intent.WHEN_MILESTONE and not milestones and projects:
        intent = Intent.NEXT_MILESTONE
    people_ids = list(dict.fromkeys([*prepared.mentions, *sure.get("person", [])]))
    people_ids = [p for p in people_ids if index.has_person(p)]
    disciplines = list(dict.fromkeys(sure.get("discipline", [])))

    names_milestone = bool(refs) or any(m.kind == "milestone" for m in kept)
    if (
        intent == Intent.PROJECT_STATUS
        and not projects
        and len(milestones) == 1
        and _PROJECT_WORD.search(normal)
    ):
        # "how's the PSI project doing?": the project of the one milestone the words fit.
        projects = [milestones[0].rsplit("-", 1)[0]]
        milestones = []
    if intent == Intent.PROJECT_STATUS and not projects and names_milestone:
        # "tell me about the retail data approval", "tell me about pcm-2": a milestone, not a project,
        # was named.
        intent = Intent.WHEN_MILESTONE
    has_context = bool(context_projects) or index.project_of_channel(channel_id) is not None
    if intent == Intent.WHEN_MILESTONE and not milestones and not projects and has_context:
        intent = Intent.NEXT_MILESTONE  # "when is it due?" in a project's channel or thread
    from_context = False
    person_scoped = intent in _PERSON_SCOPED and (people_ids or me) and not _HERE_SAID.search(normal)
    uses_context = intent in PROJECT_INTENTS or (intent == Intent.WAITING_ON and _HERE_SAID.search(normal))
    if not projects and uses_context and not person_scoped:
        # "who's my lead?" is about the asker's own projects, whatever the conversation was about last.
        remembered = [] if _MY_OWN.search(normal) else [k for k in context_projects if index.has_project(k)]
        context = [index.project_of_channel(c) for c in prepared.channels] + [
            index.project_of_channel(channel_id),
            *remembered,
        ]
        chosen = next((k for k in context if k), None)
        # "who's on the zorbulon project?" in #bidshade names a project, one it does not know: say so
        # rather than answer for the channel's.
        names_another = any(is_content(m.group(1)) for m in _A_PROJECT_NAMED.finditer(normal))
        if (
            chosen is not None
            and not names_another
            and not EVERYWHERE.search(normal)  # "what's overdue everywhere?" in #pcm: every project
            and (intent in NEEDS_PROJECT or _CONTEXT_WORDS.search(normal) or intent != Intent.SEARCH)
        ):
            projects = [chosen]
            from_context = True

    if outside.own and not projects:
        # "our disciplines" are those of the project in context: the linked channel's, this
        # channel's, or the thread's (as for "this project"); else the answer looks at the asker.
        context = [index.project_of_channel(c) for c in prepared.channels] + [
            index.project_of_channel(channel_id),
            *[k for k in context_projects if index.has_project(k)],
        ]
        chosen = next((k for k in context if k), None)
        if chosen is not None:
            projects = [chosen]
            from_context = True

    # "what's next on my projects", "any blockers on my project": the asker's projects are the scope.
    own_projects = (
        (intent in _PERSON_SCOPED or intent == Intent.BLOCKED)
        and not projects
        and not people_ids
        and bool(OWN_PROJECTS.search(normal) or (intent == Intent.BLOCKED and _US.search(normal)))
    )
    if own_projects:
        me = False
    if intent == Intent.BLOCKED and not projects and milestones:
        # "what's holding up the uplift data access?": the milestone's project.
        projects = list(dict.fromkeys(ref.rsplit("-", 1)[0] for ref in milestones))
    if (
        intent == Intent.NEXT_MILESTONE
        and projects
        and date_range is not None
        and date_range.soon
        and _UPCOMING.search(normal)
        and not re.search(r"\b(soon|shortly)\b", normal)
    ):
        # "upcoming milestones for uplift" is what's next for it, however far ahead, not the next 14 days.
        date_range = None
    entities = Entities(
        projects=tuple(projects),
        people=tuple(people_ids),
        milestones=tuple(milestones),
        disciplines=tuple(disciplines),
        date_range=date_range,
        topic=_topic(_without(words, outside.spans)) if intent in (Intent.EXPERTS, Intent.SEARCH) else "",
        me=me,
        from_context=from_context,
        own_projects=own_projects,
        outside_own=outside.own,
        outside_disciplines=outside.disciplines,
    )

    alternatives: tuple[Reading, ...] = ()
    unknown = ""
    if not (confidence >= CONFIDENT):
        alternatives = intent_readings(ranked, entities, index)
    relevant_unsure = [m for m in unsure if m.kind in _ENTITY_KINDS_FOR.get(intent, ())]
    if confidence >= CONFIDENT and relevant_unsure and not _has_entity_for(intent, entities):
        alternatives = entity_readings(intent, entities, relevant_unsure[0], index)
        confidence = min(confidence, 0.5)
    needs_project = intent in NEEDS_PROJECT and not entities.projects
    unnamed = _unknown_project_at_the_end(intent, entities, rest, index)
    if unnamed:
        # "what's next for zorbulon?": a project nobody can see (or that does not exist) is said back,
        # not dropped to answer for the asker's projects.
        alternatives, needs_project, unknown = (), True, unnamed
    elif entities.projects and intent in PROJECT_INTENTS:
        # "who leads fairdelivery and pcm?" from someone who cannot see fairdelivery: said back beside
        # pcm's answer, as "who leads zorbulon and pcm?" is, not dropped without a word.
        unknown = _unknown_beside_a_project(normal, entities.projects, index)
    elif needs_project or (intent == Intent.WHEN_MILESTONE and not entities.milestones):
        relevant = [m for m in kept if m.kind in _ENTITY_KINDS_FOR.get(intent, ())]
        if intent == Intent.MEMBERS:
            relevant += [m for m in kept if m.kind == "person" and m.sure]  # "is sara on it?": her name
        leftover = [
            w
            for i, w in enumerate(words)
            if is_content(w) and w not in _RELATIVE_WORDS and not any(m.start <= i < m.end for m in relevant)
        ]
        if leftover and not alternatives:
            unknown = " ".join(leftover)
    return Interpretation(
        intent=intent,
        entities=entities,
        confidence=confidence,
        alternatives=alternatives,
        unknown_name=unknown,
        needs_project=needs_project,
        used_similarity=used_similarity,
        # "our disciplines" refers to the project in context as "this project" does.
        refers_to_context=bool(_CONTEXT_WORDS.search(normal)) or outside.own,
        text=normal,
    )


_PREFERRED_KINDS: dict[Intent, tuple[str, ...]] = {
    Intent.WHEN_MILESTONE: ("milestone", "project", "person"),
    Intent.PERSON_PROJECTS: ("person", "discipline", "project"),
    Intent.WAITING_ON: ("person", "project"),
    Intent.DISCIPLINE_PROJECTS: ("discipline", "person", "project"),
    Intent.EXPERTS: ("person",),
    Intent.SEARCH: ("project", "milestone", "person"),
    Intent.HELP: (),
    Intent.LIST_PROJECTS: ("discipline", "person"),
}
_ENTITY_KINDS_FOR: dict[Intent, tuple[str, ...]] = {
    Intent.PROJECT_STATUS: ("project",),
    Intent.LEAD: ("project",),
    Intent.MEMBERS: ("project",),
    Intent.NEXT_MILESTONE: ("project", "person"),
    Intent.OVERDUE: ("project", "person"),
    Intent.BLOCKED: ("project",),
    Intent.WHEN_MILESTONE: ("milestone",),
    Intent.PERSON_PROJECTS: ("person",),
    Intent.WAITING_ON: ("person",),
    Intent.DISCIPLINE_PROJECTS: ("discipline",),
}
_PERSON_SCOPED = frozenset({Intent.NEXT_MILESTONE, Intent.OVERDUE})
# Readings that only a project or field named in the topic suggests, once a question asks for people
# from other disciplines ("outside the team's disciplines" says "team", not "who is on the team").
_NOT_WITH_OUTSIDE = (
    Intent.PROJECT_STATUS,
    Intent.PERSON_PROJECTS,
    Intent.MEMBERS,
    Intent.DISCIPLINE_PROJECTS,
    Intent.LIST_PROJECTS,
)


# "Ingrid's project", "Kenji's team", "Mei's work" (the apostrophe is gone by now: "ingrid s project").
# "the PSI project", "the retail data project": a project called by a word of its work.
_PROJECT_WORD = re.compile(r"\b[a-z0-9-]+ project\b")
_POSSESSIVE = re.compile(
    r"\b(?P<name>[a-z][a-z-]*(?: [a-z][a-z-]*)?)(?P<mark> s|s) "
    r"(?P<what>project|team|work|group|study|research|effort)\b"  # "Ingrid's projects" are all hers
)


def _possessive_projects(text: str, index: DirectoryIndex) -> str:
    """The text with "Ingrid's project" written as the key of the one project she leads (else is on).

    Only when the name is sure to be one person and that person leads exactly one project the asker may
    see (or, leading none, is on exactly one); otherwise the text is left as it was.
    """

    def project_of(match: re.Match[str]) -> str:
        name = match.group("name")
        # Typed without the apostrophe ("kenjis team"), the name may also end in that s ("james").
        names = [name] if match.group("mark") == " s" else [name, name + "s"]
        for candidate in names:
            found = _project_of_person(candidate.split(), index)
            if found is not None:
                return found
        return match.group(0)

    return _POSSESSIVE.sub(project_of, text)


def _project_of_person(words: list[str], index: DirectoryIndex) -> str | None:
    """For `_possessive_projects`: the words with the name at their end written as its person's one
    project ("on kenji" → "on uplift"), or None."""
    for start in range(len(words)):  # "the lead on ingrid": try "on ingrid", then "ingrid"
        found = [m for m in find_entities(words[start:], index, ("person",)) if m.sure]
        if len(found) == 1 and len(found[0].keys) == 1 and found[0].end == len(words) - start:
            person = found[0].keys[0]
            projects = index.directory.projects
            led = [p.key for p in projects if p.lead_id == person]
            on = [p.key for p in projects if person in p.people_ids]
            chosen = led if led else on
            if len(chosen) == 1:
                before = " ".join(words[: start + found[0].start])  # "on" of "on kenji s team"
                return f"{before} {chosen[0]}".strip()
    return None


def _few_named_alike(matches: Sequence[EntityMatch]) -> list[str]:
    """The milestones a phrase of two or more words fits equally well, if they are few (up to three)
    and the phrase says more than a project's name within it ("creative fatigue" is the project)."""
    for match in matches:
        if match.kind != "milestone" or match.sure or match.end - match.start < 2 or len(match.keys) > 3:
            continue
        projects = [m for m in matches if m.kind == "project" and m.start < match.end and match.start < m.end]
        if all(m.start > match.start or m.end < match.end for m in projects):
            return list(match.keys)
    return []


def _has_entity_for(intent: Intent, entities: Entities) -> bool:
    kinds = _ENTITY_KINDS_FOR.get(intent, ())
    return (
        ("project" in kinds and bool(entities.projects))
        or ("person" in kinds and bool(entities.people))
        or ("milestone" in kinds and bool(entities.milestones))
        or ("discipline" in kinds and bool(entities.disciplines))
    )


def _without(words: Sequence[str], spans: Sequence[tuple[int, int]]) -> list[str]:
    """The words outside the given (start, end) spans."""
    return [w for i, w in enumerate(words) if not any(start <= i < end for start, end in spans)]


# "the zorbulon project", "the fairness audit team": a project named by the asker.
_A_PROJECT_NAMED = re.compile(r"\b([a-z][a-z0-9-]+) (?:project|team)\b")
# "my lead", "my team", "our PI": the asker's own projects are meant.
_MY_OWN = re.compile(r"\b(my|our) (lead|leader|pi|boss|manager|team|teams|project|projects)\b")
# "upcoming", "coming up": as a date range, the next 14 days ("soon" asks for that window).
_UPCOMING = re.compile(r"\b(upcoming|coming up)\b")
# The weight of a phrase that asks for people outright ("who knows about", "who can help with").
_ASKS_FOR_EXPERTS = 3.0
# Words of asking to be pointed to someone ("who could explain X to us?", "someone to ping about X").
_ASKING_WORDS = frozenset(
    {"explain", "teach", "brief", "ping", "contact", "recommend", "suggest", "understand", "w"}
    | {"someone", "somebody", "anyone", "anybody", "any1", "some1", "person"}
)
_ASKERS_SCOPE = re.compile(
    r"\b(on|in|across|at|from|within|of) (the |our |this |my )?(alliance|team|consortium|workspace|group|"
    r"network|org|organisation|organization|company|lab|partners)\b"
)


# Where an expert question's topic starts: after the first of these words.
_TOPIC_CUT = re.compile(
    r"\b(about|on|in|with|w|at|for|regarding|re|around|of|understands|understand|studies|researches|knows|"
    r"know|gets|get|groks)\b (.+)$"
)
_A_PERSON_FOR = re.compile(
    r"^(?:an? |some |any )?(?:[a-z]+ ){0,2}(?:person|people|expert|experts|guy|gal|specialist|whiz|wizard|"
    r"nerd|geek|someone|somebody|folks?|colleague) (?:for|on|with|about|in|to help with) (.+)$"
)
# Words of the question's own kind that are no part of a topic, even after the cut ("who knows about
# X, any expert?"); other intent words are the topic's own there ("delayed feedback", "risk models").
_ASKING_INTENT_WORDS = frozenset(
    """expert experts expertise knowledgeable specialist specialists understands experience experienced
    help helpful ask talk contact advice advise familiar who which what when how hi hello hey thanks
    thank liaison people team""".split()  # noqa: SIM905 (a word list reads better as text)
)


def _topic(words: Sequence[str]) -> str:
    """What an expert question is about: the words after the asking phrase, minus filler."""
    # Where the asker looks ("who in the alliance has…", "anyone on the team who…") is not the topic.
    text = _ASKERS_SCOPE.sub(" ", " ".join(words))
    cut = _TOPIC_CUT.search(text)
    tail = cut.group(2) if cut else text
    # "looking for a stats person for CUPED": the topic is what the person is wanted for.
    wanted = _A_PERSON_FOR.match(tail)
    tail = wanted.group(1) if wanted else tail
    # Before the cut every intent word is the question's; after it, only the asking ones.
    dropped = _ASKING_INTENT_WORDS if cut else INTENT_WORDS
    kept = [
        w for w in tail.split() if w not in FUNCTION_WORDS and w not in dropped and w not in _ASKING_WORDS
    ]
    return " ".join(kept)


def _asked_before_the_topic(rules: dict[Intent, float], text: str) -> dict[Intent, float]:
    """Drop readings that only the topic of a plain request for people suggests.

    "who knows about delayed feedback?" asks for people; "delayed" is what they should know about, not
    a question about overdue work. When the words up to the topic ask for people on their own, the
    other readings are scored on those words alone.
    """
    if rules.get(Intent.EXPERTS, 0.0) < _ASKS_FOR_EXPERTS:
        return rules
    cut = _TOPIC_CUT.search(_ASKERS_SCOPE.sub(" ", text))
    if cut is None:
        return rules
    asking = rule_scores(cut.string[: cut.start(2)])
    if asking.get(Intent.EXPERTS, 0.0) < _ASKS_FOR_EXPERTS:
        return rules
    return {intent: score for intent, score in rules.items() if intent == Intent.EXPERTS or intent in asking}


# "what's next for zorbulon?", "how long has zorbulon been blocked?": a one-word name after "for/on".
_NAME_AT_THE_END = re.compile(
    r"(?:\b(?:for|on|of|at|in) (?:the )?(?P<after>[a-z][a-z0-9_]{3,})(?: project)?$|"
    r"^(?:how long|since when) (?:has|is|have) (?:the )?(?P<subject>[a-z][a-z0-9_]{3,})(?: project)? "
    r"(?:been )?(?:blocked|stuck|at risk)|"
    r"^how many \w+ (?:does|has) (?:the )?(?P<owner>[a-z][a-z0-9_]{3,})(?: project)? (?:have|got))\b"
)


def _unknown_project_at_the_end(intent: Intent, entities: Entities, rest: str, index: DirectoryIndex) -> str:
    """A word where a question about milestones or blockers names its project, known as no name at all."""
    if intent not in (Intent.NEXT_MILESTONE, Intent.OVERDUE, Intent.BLOCKED) or (
        entities.projects or entities.people or entities.milestones or entities.me or entities.own_projects
    ):
        return ""
    found = _NAME_AT_THE_END.search(rest)
    if found is None:
        return ""
    name = found.group("after") or found.group("subject") or found.group("owner")
    if not is_content(name) or name in index.name_words or name in _NOT_PROJECT_NAMES:
        return ""
    return name


# Words that point at another time, answer or person ("what about the week after?", "who else is on my
# team?"), never a name.
_RELATIVE_WORDS = frozenset(
    "after before following previous next later earlier that this then else other others".split()  # noqa: SIM905
)
# Words that end such questions without naming a project.
_NOT_PROJECT_NAMES = (
    frozenset(
        """everyone everybody anyone anybody someone somebody team teams alliance everything anything all
    them their mine ours yours total general average time track schedule hold review legal agenda moment
    line list horizon pipeline docket board roadmap calendar plan plans radar plate desk whole rest""".split()  # noqa: SIM905
    )
    | _RELATIVE_WORDS
)


_JOINED = re.compile(r"\b([a-z][a-z0-9-]{1,30})(?:,| and| &)\s+([a-z][a-z0-9-]{1,30})\b")


def _unknown_beside_a_project(text: str, projects: Sequence[str], index: DirectoryIndex) -> str:
    """A name joined to a named project by "and" or a comma that names no project the asker may see
    and is no English word ("fairdelivery", "zorbulon"), or ""."""
    for found in _JOINED.finditer(text):
        pair = found.groups()
        for word, other in (pair, pair[::-1]):
            if other not in projects or index.has_project(word) or word in index.name_words:
                continue
            if word in english_words() or word in _NOT_PROJECT_NAMES or not is_content(word):
                continue
            return word
    return ""


def question_topic(masked_question: str) -> str:
    """The topic an expert question or a search would look for in a (masked) question's words.

    `bot.questions.search` embeds it together with the question, so that a search asks the model
    once rather than twice.
    """
    return _topic(masked_question.split())


def projects_named(text: str, index: DirectoryIndex) -> list[str]:
    """Projects a message names confidently (by key, name or channel link), in order of appearance.

    Used to carry a thread's subject over to a question asked in it.
    """
    prepared = prepare_text(text, None, index.name_words)
    keys = [index.project_of_channel(c) for c in prepared.channels]
    keys += [r.rsplit("-", 1)[0] for r in prepared.refs]
    matches = find_entities(list(prepared.words), index, ("project",), whole_names=False)
    keys += [m.keys[0] for m in sorted(matches, key=lambda m: m.start) if m.sure]
    return [k for k in dict.fromkeys(keys) if k and index.has_project(k)]
