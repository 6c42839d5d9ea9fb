"""`build_answer`: an interpreted question in, an `Answer` out, from the records the asker may see.

Unclear questions are asked back ("did you mean", "which project?"); clear ones go to the topic module
that answers their intent (`_ANSWERERS`). Every lookup goes through `bot.access` (via
`bot.projects.project`, `bot.projects.milestones`), so a private project never reaches a non-member:
not by name, not by count, not as a suggestion.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from datetime import datetime

from rapidfuzz import fuzz
from sqlalchemy.orm import Session

from bot.access import Actor, role_of, visible_projects
from bot.commands import CommandNames
from bot.domain.matching import Candidate, fold, match_name
from bot.errors import NotFound, UserFacingError
from bot.experts.embeddings.cache import CachingEmbedder
from bot.models import Project, ProjectStatus, Role
from bot.questions.answers.blockers import answer_blocked, answer_waiting
from bot.questions.answers.core import Answer, AnswerRequest, Choice, Line
from bot.questions.answers.experts import answer_experts
from bot.questions.answers.fallback_search import answer_search
from bot.questions.answers.help import answer_help
from bot.questions.answers.milestones import answer_next, answer_overdue, answer_when
from bot.questions.answers.people import (
    answer_discipline_projects,
    answer_lead,
    answer_leaving,
    answer_members,
    answer_person_projects,
)
from bot.questions.answers.projects import answer_list_projects, answer_status
from bot.questions.interpret import (
    NEEDS_PROJECT,
    Directory,
    Intent,
    Interpretation,
    Reading,
    canonical_question,
    describe,
    index_directory,
)
from bot.questions.interpret.vocabulary import is_content


def build_answer(
    session: Session,
    actor: Actor,
    interpretation: Interpretation,
    now: datetime,
    *,
    directory: Directory,
    embedder: CachingEmbedder | None = None,
    commands: CommandNames | None = None,
) -> Answer:
    """Answer an interpreted question from the records the actor may see.

    Args:
        session: The request's session (read only).
        actor: The asker; visibility follows `bot.access`.
        interpretation: What the question means.
        now: The current instant (UTC).
        directory: The same snapshot the question was interpreted against (for labels).
        embedder: For semantic search and expert suggestions; None means keyword matching.
        commands: The workspace's slash command names, for how-to answers (the defaults when None).

    Returns:
        The answer.
    """
    private_keys = {p.key for p in directory.projects if p.private}
    if interpretation.unknown_name and interpretation.entities.projects and not interpretation.needs_project:
        # "who leads fairdelivery and pcm?": the name no visible project has is said back first.
        known = replace(interpretation, unknown_name="")
        answer = build_answer(
            session, actor, known, now, directory=directory, embedder=embedder, commands=commands
        )
        head = f"I don't know a project called “{interpretation.unknown_name}”."
        return replace(answer, lines=((head,), *answer.lines))
    not_theirs = _channel_project_not_theirs(interpretation, directory, actor)
    if not_theirs is not None:
        # "who's on my project?" in #bidshade from someone not on it: their own project(s), not the
        # channel's.
        own = replace(
            interpretation,
            entities=replace(interpretation.entities, projects=(), from_context=False),
            needs_project=True,
        )
        answer = build_answer(
            session, actor, own, now, directory=directory, embedder=embedder, commands=commands
        )
        return replace(answer, lines=((f"You are not on {not_theirs}.",), *answer.lines))
    if not interpretation.confident and len(interpretation.alternatives) == 1:
        # A question back with one option is a question that has an answer: give it (with the
        # "I read this as" note below, since the reading was not certain).
        interpretation = _take_reading(interpretation, interpretation.alternatives[0])
    if not interpretation.confident and interpretation.alternatives:
        return _unsure(interpretation, private_keys)
    if interpretation.needs_project:
        # Read once for the three ways of finding the project (each would read every visible one).
        projects = visible_projects(session, actor)
        single = _single_project(projects, actor, interpretation)
        if single is not None:
            key, head = single
            chosen = replace(
                interpretation,
                entities=replace(interpretation.entities, projects=(key,)),
                needs_project=False,
                unknown_name="",
            )
            answer = build_answer(
                session, actor, chosen, now, directory=directory, embedder=embedder, commands=commands
            )
            return replace(answer, lines=((head,), *answer.lines))
        mine = _own_projects(projects, actor) if interpretation.entities.me else []
        if len(mine) > 1 and interpretation.intent in (Intent.LEAD, Intent.MEMBERS):
            # "who's my lead?" from someone on several projects: each of theirs, not "which project?".
            answers = [
                build_answer(
                    session,
                    actor,
                    replace(
                        interpretation,
                        entities=replace(interpretation.entities, projects=(key,)),
                        needs_project=False,
                        unknown_name="",
                    ),
                    now,
                    directory=directory,
                    embedder=embedder,
                    commands=commands,
                )
                for key in mine[:_MAX_OWN_PROJECTS]
            ]
            return replace(
                answers[0],
                lines=tuple(line for a in answers for line in a.lines),
                sources=tuple(s for a in answers for s in a.sources),
                private=any(a.private for a in answers),
            )
        return _which_project(projects, actor, interpretation, private_keys)
    intent = interpretation.intent
    entities = interpretation.entities
    try:
        if intent == Intent.WHEN_MILESTONE and not entities.milestones:
            return _unknown_milestone(interpretation)
        answer = _ANSWERERS[intent](
            AnswerRequest(session, actor, entities, now, directory, embedder, interpretation, commands)
        )
    except NotFound as error:
        return _not_found(error, interpretation, private_keys)
    except UserFacingError as error:
        return Answer(intent, ((error.message,),))
    if not interpretation.confident and intent != Intent.SEARCH:
        # Rules alone were not sure and there was no second opinion: say so, but still answer.
        note: Line = (
            "(I read this as: ",
            # With the directory's names: "Next milestones for Oliver Tanaka", not his Slack id.
            describe(intent, entities, index_directory(directory)),
            ". Rephrase if you meant something else.)",
        )
        answer = replace(answer, lines=(*answer.lines, note))
    return answer


# How many of the asker's projects "who's my lead?" answers for at once.
_MAX_OWN_PROJECTS = 4


def _own_projects(projects: Sequence[Project], actor: Actor) -> list[str]:
    """Keys of the live projects (of those visible) the asker is on (not as a viewer), by key."""
    return [
        p.key
        for p in projects
        if p.status != ProjectStatus.DONE and role_of(p, actor) not in (None, Role.VIEWER)
    ]


def _take_reading(interpretation: Interpretation, reading: Reading) -> Interpretation:
    """The interpretation as if `reading` had been read from the start (still not confident)."""
    return replace(
        interpretation,
        intent=reading.intent,
        entities=reading.entities,
        alternatives=(),
        needs_project=reading.intent in NEEDS_PROJECT and not reading.entities.projects,
        unknown_name="",
    )


def _single_project(
    projects: Sequence[Project], actor: Actor, interpretation: Interpretation
) -> tuple[str, str] | None:
    """The one project a question without one can only mean, and the line saying so; else None.

    An unknown name with a single near miss among the visible projects, or no name at all from
    someone on one project only (or in a workspace of one project).
    """
    name = interpretation.unknown_name
    if name:
        match = match_name(name, [Candidate(p.key, p.name) for p in projects])
        options = list(match.alternatives)
        if len(options) != 1 or not _near_enough(name, options[0]):
            return None
        return options[0].key, (
            f"I don't know a project called “{name}”; I took it to mean {options[0].name} ({options[0].key}):"
        )
    mine = [p for p in projects if role_of(p, actor) is not None]
    if len(mine) == 1:
        return mine[0].key, f"Answering for your one project, {mine[0].key}:"
    if not mine and len(projects) == 1:
        return projects[0].key, f"Answering for the only project, {projects[0].key}:"
    return None


# "my project", "our team", "my lead": the asker's own, whichever channel they ask in.
_MINE = re.compile(r"\b(my|our) (project|team|lead|leader|pi|boss|manager|group)\b")


def _channel_project_not_theirs(
    interpretation: Interpretation, directory: Directory, actor: Actor
) -> str | None:
    """The name of the channel's project when the question asks about the asker's own ("my project")
    and the asker is not on it; else None."""
    e = interpretation.entities
    if not e.from_context or len(e.projects) != 1 or interpretation.intent not in NEEDS_PROJECT:
        return None
    if not _MINE.search(interpretation.text):
        return None
    shown = next((p for p in directory.projects if p.key == e.projects[0]), None)
    if shown is None or actor.slack_id in shown.people_ids or shown.lead_id == actor.slack_id:
        return None
    return shown.name


def _near_enough(name: str, option: Candidate) -> bool:
    """Whether most words of an unknown name are in the one near miss ("uplfit modeling" is "Uplift
    modelling"; "housing ads audit" shares only "ads" with "Creative fatigue in video ads")."""
    words = [w for w in fold(name).split() if is_content(w)]
    known = [*fold(option.name).split(), fold(option.key)]
    hits = sum(1 for w in words if any(k.startswith(w) or fuzz.ratio(w, k) >= 80 for k in known))
    return 2 * hits > len(words)


def _choices(readings: Iterable[Reading]) -> tuple[Choice, ...]:
    return tuple(Choice(r.label, r.question) for r in readings)


def _unsure(interpretation: Interpretation, private_keys: set[str]) -> Answer:
    readings = interpretation.alternatives
    private = any(k in private_keys for r in readings for k in r.entities.projects) or any(
        r.split("-")[0] in private_keys for reading in readings for r in reading.entities.milestones
    )
    return Answer(
        interpretation.intent,
        (("I'm not sure what you mean. Did you mean one of these?",),),
        choices=_choices(readings),
        unsure=True,
        private=private,
    )


def _which_project(
    projects: Sequence[Project], actor: Actor, interpretation: Interpretation, private_keys: set[str]
) -> Answer:
    intent = interpretation.intent
    entities = interpretation.entities
    if interpretation.unknown_name:
        match = match_name(interpretation.unknown_name, [Candidate(p.key, p.name) for p in projects])
        options = list(match.alternatives)
        head = f"I don't know a project called “{interpretation.unknown_name}”."
        if not options:
            return Answer(intent, ((head, " Ask me “list all projects” to see them."),), unsure=True)
        lines: Line = (head, " Did you mean one of these?")
    else:
        mine = [p for p in projects if role_of(p, actor) is not None]
        if not mine and entities.me and intent in (Intent.LEAD, Intent.MEMBERS):
            # "who's my lead?" from someone on no project: there is none to guess.
            return Answer(
                intent,
                (("You are not on any project, so none is yours. Ask about one: “who leads pcm?”",),),
            )
        mine = mine or list(projects)
        options = [Candidate(p.key, p.name) for p in mine[:3]]
        lines = ("Which project do you mean?",)
    choices = []
    for candidate in options[:3]:
        chosen = replace(entities, projects=(candidate.key,))
        choices.append(Choice(f"{candidate.name} ({candidate.key})", canonical_question(intent, chosen)))
    private = any(c.key in private_keys for c in options[:3])
    return Answer(intent, (lines,), choices=tuple(choices), unsure=True, private=private)


def _unknown_milestone(interpretation: Interpretation) -> Answer:
    name = interpretation.unknown_name
    text = (
        f"I couldn't find a milestone called “{name}”."
        if name
        else "Which milestone do you mean? Name it or give its id, like `bidshade-2`."
    )
    return Answer(Intent.WHEN_MILESTONE, ((text,),), unsure=True)


def _not_found(error: NotFound, interpretation: Interpretation, private_keys: set[str]) -> Answer:
    choices = []
    for candidate in error.alternatives[:3]:
        chosen = replace(interpretation.entities, projects=(candidate.key,))
        choices.append(
            Choice(f"{candidate.name} ({candidate.key})", canonical_question(interpretation.intent, chosen))
        )
    private = any(c.key in private_keys for c in error.alternatives[:3])
    return Answer(
        interpretation.intent, ((error.message,),), choices=tuple(choices), unsure=True, private=private
    )


_ANSWERERS: dict[Intent, Callable[[AnswerRequest], Answer]] = {
    Intent.HELP: answer_help,
    Intent.PROJECT_STATUS: answer_status,
    Intent.NEXT_MILESTONE: answer_next,
    Intent.OVERDUE: answer_overdue,
    Intent.LEAD: answer_lead,
    Intent.MEMBERS: answer_members,
    Intent.BLOCKED: answer_blocked,
    Intent.WAITING_ON: answer_waiting,
    Intent.WHEN_MILESTONE: answer_when,
    Intent.PERSON_PROJECTS: answer_person_projects,
    Intent.DISCIPLINE_PROJECTS: answer_discipline_projects,
    Intent.EXPERTS: answer_experts,
    Intent.LIST_PROJECTS: answer_list_projects,
    Intent.LEAVING: answer_leaving,
    Intent.SEARCH: answer_search,
}
