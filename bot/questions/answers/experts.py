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

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from bot.access import role_of, visible_condition, visible_projects
from bot.domain.experts.keywords import KEYWORD_MATCH, keyword_share
from bot.experts.profile_items import profile_items
from bot.experts.ranking import rank_topic
from bot.models import Membership, Person, Project, ProjectStatus, Role
from bot.projects.people import working_disciplines
from bot.projects.reports import PersonRef
from bot.questions.answers.core import Answer, AnswerBuilder, AnswerRequest, Segment
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
    if not topic:
        return Answer(
            Intent.EXPERTS, (("Who knows about what? Ask e.g. “who knows about auction theory?”",),)
        )
    excluded: tuple[str, ...] = ()
    team: frozenset[str] = frozenset()
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
        b.line(f"I couldn't find anyone whose profile mentions “{topic}”.")
        return b.build()
    b.line(f"People who know about “{topic}”:")
    for expert in experts:
        details = ", ".join(x for x in (expert.discipline, expert.organisation) if x)
        line: list[Segment] = ["• ", PersonRef(expert.slack_id, expert.name)]
        if details:
            line.append(f" — {details}")
        if expert.reason:
            line.append(f": “{_shorten(expert.reason, MAX_REASON)}”")
        b.line(*line)
    return b.build()


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
        project = _context_project(request) if entities.projects else _only_active_project(request)
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
