"""Answers to "who knows about …": the people the one expert ranker finds for a topic.

The ranking is `/expert`'s (`bot.experts.ranking.rank_topic`): the same profile texts, aggregation,
per-model relevance floor, diversity and keyword matches, over the asker's workspace. Hidden profiles
are never in its index, so they are never offered, nor are their texts quoted. Without a model (rules
alone) the ranker matches keywords only.

"Who outside our disciplines can help with …?" leaves out disciplines (`left_out`): the ones the
question names ("not an economist"), and for "our" the disciplines of the project in context (the
channel's or the conversation's), else of the asker's one active project, else the asker's own. The
answer names what it left out, and says so plainly when nobody outside them fits.

Two names are used elsewhere: `keyword_score` / `KEYWORD_FLOOR` (the keyword fallback of
`fallback_search`, the ranker's keyword rule applied to one record text) and `profile_texts` (the
texts `warm_up` embeds ahead of time, which are the ones the ranker embeds).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from bot.access import role_of, visible_condition, visible_projects
from bot.domain.experts.keywords import KEYWORD_MATCH, keyword_share
from bot.domain.matching import fold
from bot.experts.expert_command import ExpertCommand, ExpertMode
from bot.experts.profile_items import profile_items
from bot.experts.ranking import TopicExpert, rank_topic
from bot.experts.search import prepare_search
from bot.models import Membership, Person, Project, ProjectStatus, Role
from bot.projects.people import working_disciplines
from bot.projects.reports import PersonRef
from bot.questions.answers.core import Answer, AnswerBuilder, AnswerRequest, Segment
from bot.questions.answers.lookups import find_named_project
from bot.questions.interpret import Intent

# Keyword overlap (`keyword_score`, 0-100) at or above this counts as a match, as in the ranker.
KEYWORD_FLOOR = 100.0 * KEYWORD_MATCH
# How much of the best-fitting profile text an answer quotes.
MAX_REASON = 140


def profile_texts(person: Person) -> list[tuple[str, str]]:
    """The texts the expert ranker embeds for a person: expertise, and each publication with abstract.

    Args:
        person: A person, with publications loaded.

    Returns:
        (kind, text) pairs, kind being "expertise" or "publication".
    """
    return [(item.kind, item.text) for item in profile_items(person)]


def answer_experts(request: AnswerRequest) -> Answer:
    """Answer "who knows about …?": the three listed people whose profiles fit the topic best.

    Args:
        request: The question.

    Returns:
        The answer.
    """
    b = AnswerBuilder(Intent.EXPERTS)
    topic = request.entities.topic.strip()
    project = _project_asked_about(request, topic)
    if project is not None:
        return _experts_for_project(b, request, project, topic)
    if not topic:
        return Answer(
            Intent.EXPERTS, (("Who knows about what? Ask e.g. “who knows about auction theory?”",),)
        )
    excluded: tuple[str, ...] = ()
    # "who else?": not the people named already.
    team: frozenset[str] = frozenset(request.entities.not_people)
    if request.entities.outside:
        leaving = left_out(request)
        excluded = leaving.disciplines
        # The asker and their project's people are "us", whatever their profiles say.
        team = leaving.people | {request.actor.slack_id}
        if leaving.private_key is not None:
            # Disciplines of a private project's people are for its members only.
            b.private_keys.add(leaving.private_key)
        if not excluded:
            b.line(
                "I don't know which disciplines are yours: neither your profile nor a single project of "
                "yours names one, so I left no discipline out."
            )
    experts = rank_topic(
        request.session,
        request.embedder,
        request.actor.workspace_id,
        topic,
        exclude_disciplines=excluded,
        exclude_people=team,
    )
    # The asker is not suggested to themselves ("who could help with reserve prices?" from the one who
    # knows about them): said so instead, and the others listed.
    asker_fits = any(e.slack_id == request.actor.slack_id for e in experts)
    experts = [e for e in experts if e.slack_id != request.actor.slack_id]
    if asker_fits and not experts:
        b.line(f"Only you have a profile that fits “{topic}”.")
        return b.build()
    if asker_fits:
        b.line(f"Your own profile fits “{topic}”; besides you:")
    if excluded:
        fields = _listing(_field_label(d) for d in excluded)
        if not experts:
            b.line(
                f"Nobody outside {fields} has a profile that fits “{topic}”. "
                f"Ask “who knows about {topic}?” to include those fields."
            )
            return b.build()
        b.line(f"Outside {fields}:")
    elif not experts:
        if request.entities.not_people:
            b.line(f"No one else's profile fits “{topic}”.")
        else:
            b.line(f"I couldn't find anyone whose profile mentions “{topic}”.")
        return b.build()
    b.line(f"{'More people' if request.entities.not_people else 'People'} who know about “{topic}”:")
    _list_experts(b, experts)
    return b.build()


# Words around a project's name in an expert question: "who can help with this project?", "my uplift project".
_AROUND_A_PROJECT = frozenset(
    {
        "project",
        "projects",
        "this",
        "the",
        "our",
        "my",
        "team",
        "here",
        "us",
        "we",
        "it",
        "that",
        "on",
        "with",
    }
)


def _beyond_the_project(topic: str) -> str:
    """The words of a topic besides those around a project's name ("help with my project": none)."""
    return " ".join(w for w in topic.split() if fold(w) not in _AROUND_A_PROJECT)


def _project_asked_about(request: AnswerRequest, topic: str) -> Project | None:
    """The project an expert question is about instead of a topic: "who can help with pcm?", or "… with
    this project?" / "… here?" in its channel (or the conversation's project)."""
    words = [w for w in fold(topic).split() if w not in _AROUND_A_PROJECT]
    if not words:
        if request.entities.projects:
            return _context_project(request)
        # "… help with my project?" in a DM: the asker's one active project.
        return _only_active_project(request) if _MY_PROJECT.search(request.interpretation.text) else None
    phrase = " ".join(words)
    # The names the question was read against (the asker's view, kept in memory), not a query.
    for project in request.directory.projects:
        if phrase in (project.key, fold(project.name)):
            return find_named_project(request.session, request.actor, project.key)
    return None


def _experts_for_project(b: AnswerBuilder, request: AnswerRequest, project: Project, topic: str) -> Answer:
    """People from other disciplines for a project's work, as `/expert project KEY` ranks them (its name,
    description, open milestones and blockers; its people and their disciplines left out)."""
    search = prepare_search(request.session, request.actor, ExpertCommand(ExpertMode.PROJECT, project.key))
    source = b.project(project)
    excluded, people = search.exclude_disciplines, search.exclude_people | set(request.entities.not_people)
    if request.entities.outside:
        # "who outside my field can help with uplift?": the fields the question means are left out.
        leaving = left_out(request)
        excluded, people = leaving.disciplines, people | leaving.people
        if leaving.private_key is not None:
            b.private_keys.add(leaving.private_key)
    if project.private:
        b.private_keys.add(project.key)
    experts = rank_topic(
        request.session,
        request.embedder,
        request.actor.workspace_id,
        # Without the model, keywords: the words asked about, else the project's name (its whole text
        # shares too few words with any profile to pass the keyword rule).
        search.query_text if request.embedder is not None else (_beyond_the_project(topic) or project.name),
        exclude_disciplines=excluded,
        exclude_people=people,
    )
    fields = f" outside {_listing(_field_label(d) for d in excluded)}" if excluded else ""
    if not experts:
        b.line(
            f"Nobody{fields} has a profile that fits the work of {project.name} (",
            source,
            f"). `/expert project {project.key} all-disciplines` includes those fields.",
        )
        return b.build()
    b.line(f"For {project.name} (", source, f"), people{fields} whose work fits the project:")
    _list_experts(b, experts)
    return b.build()


def _list_experts(b: AnswerBuilder, experts: list[TopicExpert]) -> None:
    """A line per person: who, their field and organisation, and the profile text that fits."""
    for expert in experts:
        details = ", ".join(x for x in (expert.discipline, expert.organisation) if x)
        line: list[Segment] = ["• ", PersonRef(expert.slack_id, expert.name)]
        if details:
            line.append(f" — {details}")
        if expert.reason:
            line.append(f": “{_shorten(expert.reason, MAX_REASON)}”")
        b.line(*line)


@dataclass(frozen=True)
class LeftOut:
    """The disciplines an "outside our disciplines" question leaves out.

    Attributes:
        disciplines: As written on profiles, in the order first met (the lead's first); none when
            the asker's own disciplines are unknown.
        private_key: The private project whose people's disciplines these are, if any.
        people: Slack ids of that project's people (lead, members, viewers): never suggested.
    """

    disciplines: tuple[str, ...]
    private_key: str | None = None
    people: frozenset[str] = frozenset()


# "outside my field", "not from my discipline": the asker's own, not their project's.
_MY_FIELD = re.compile(
    r"\b(my|mine) (own )?(field|discipline|area|expertise|background|speciality|specialty|domain)\b"
)
# "my project", "our project", "my team": the asker's own.
_MY_PROJECT = re.compile(r"\b(my|our) (project|team)\b")


def left_out(request: AnswerRequest) -> LeftOut:
    """The disciplines to leave out of an expert question that asks for other disciplines.

    Those the question names ("not an economist"), and for "our disciplines" (`Entities.outside_own`)
    those of the people working on the project in context (the channel's or the conversation's, put
    in `entities.projects` by the interpreter), else on the asker's one active project (not done, not
    archived, as a lead or member), else (or when that project's people name none) the asker's own
    discipline.

    Args:
        request: The question.

    Returns:
        The disciplines, without repeats (case-insensitive).
    """
    entities = request.entities
    found = list(entities.outside_disciplines)
    private_key = None
    people: frozenset[str] = frozenset()
    if entities.outside_own:
        # "outside my field" is the asker's own discipline; "outside our disciplines" their project's.
        mine_only = _MY_FIELD.search(request.interpretation.text) is not None
        project = (
            None
            if mine_only
            else _context_project(request)
            if entities.projects
            else _only_active_project(request)
        )
        team = working_disciplines(project) if project is not None else ()
        if project is not None:
            found += team
            private_key = project.key if project.private else None
            people = frozenset(
                [m.person.slack_id for m in project.memberships]
                + ([project.lead.slack_id] if project.lead is not None else [])
            )
        if not team and request.actor.person_id is not None:
            person = request.session.get(Person, request.actor.person_id)
            if person is not None and person.discipline:
                found.append(person.discipline)
    unique: dict[str, str] = {}
    for discipline in found:
        if discipline.strip():
            unique.setdefault(discipline.strip().casefold(), discipline.strip())
    return LeftOut(tuple(unique.values()), private_key, people)


def _context_project(request: AnswerRequest) -> Project | None:
    """The project in context, if the asker may still see it (with its people)."""
    return request.session.scalars(
        select(Project)
        .where(visible_condition(request.actor), Project.key == request.entities.projects[0])
        .options(selectinload(Project.memberships).joinedload(Membership.person), joinedload(Project.lead))
    ).one_or_none()


def _only_active_project(request: AnswerRequest) -> Project | None:
    """The asker's one active project (lead or member, not done), or None if not exactly one."""
    actor = request.actor
    if actor.person_id is None:
        return None
    projects = visible_projects(
        request.session, actor, load=(selectinload(Project.memberships).joinedload(Membership.person),)
    )
    active = [
        p
        for p in projects
        if p.status != ProjectStatus.DONE
        and (p.lead_id == actor.person_id or role_of(p, actor) in (Role.LEAD, Role.MEMBER))
    ]
    return active[0] if len(active) == 1 else None


def _field_label(discipline: str) -> str:
    """A discipline inside a sentence: "Machine learning" → "machine learning" (acronyms kept)."""
    if len(discipline) > 1 and discipline[0].isupper() and not discipline[1].isupper():
        return discipline[0].lower() + discipline[1:]
    return discipline


def _listing(items: Iterable[str]) -> str:
    """ "a", "a and b", "a, b and c"."""
    names = list(items)
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def keyword_score(query: str, text: str) -> float:
    """Share of the query's words found (allowing typos and word forms) in `text`, 0..100.

    Args:
        query: What is looked for; words of two letters or fewer are ignored.
        text: Where it is looked for.

    Returns:
        100 when every word is found, 0 when none is.
    """
    return 100.0 * keyword_share(query, text)
