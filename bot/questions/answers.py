"""Answers to plain-language questions, built from the project records the asker may see.

`build_answer` takes an `Interpretation` (see `bot.questions.interpret`) and returns a frozen `Answer`:
short lines of text segments (plain text, people, instants, record references) rendered later in the
asker's zone, the records the answer came from, and "did you mean" choices when the question was
unclear. Every lookup goes through `bot.access` (via `bot.projects.project`,
`bot.projects.milestones`), so a private project never reaches a non-member: not by name, not by
count, not as a suggestion.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from rapidfuzz import fuzz
from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.orm import Session, selectinload, sessionmaker

from bot.access import Actor, can_see, role_of, visible_condition, visible_projects
from bot.domain.experts import ProfileItem, parse_aggregation, score_people
from bot.domain.matching import Candidate, match_name
from bot.errors import NotFound, UserFacingError
from bot.models import (
    Blocker,
    ExpertVisibility,
    Membership,
    Milestone,
    MilestoneStatus,
    Person,
    Project,
    ProjectStatus,
    Role,
    Workspace,
)
from bot.projects.milestones import find_milestone
from bot.projects.project import STATUS_LABELS, find_project
from bot.projects.reports import PersonRef, milestone_ref, person_ref
from bot.questions.interpret import (
    Directory,
    Entities,
    Intent,
    Interpretation,
    MilestoneName,
    PersonName,
    ProjectName,
    Reading,
    canonical_question,
    describe,
    fold,
)
from bot.questions.search import CachingEmbedder, rank_texts

logger = logging.getLogger(__name__)

# How many records one answer lists before saying "and N more".
MAX_ITEMS = 10
# Without a date range, "what's next" looks this far ahead across several projects.
UPCOMING_WINDOW = timedelta(days=14)
# Semantic search: hits below this cosine similarity are not shown (all-MiniLM-L6-v2: related texts
# score 0.35 and up, unrelated ones under 0.2). The keyword fallback uses rapidfuzz's 0-100 scale.
SEARCH_FLOOR = 0.3
KEYWORD_FLOOR = 60.0
EXPERT_FLOOR = 0.2
# EXPERT_FLOOR was tuned on a person's best item; the expert ranking's default (top-3 mean) scores lower.
BEST_ITEM = parse_aggregation("max")


@dataclass(frozen=True)
class When:
    """An instant, shown in the reader's zone with a relative hint ("in 3 days")."""

    instant: datetime
    relative: bool = True


@dataclass(frozen=True)
class Source:
    """A record an answer came from: a project (key), milestone (`key-N`) or blocker (`key-bN`)."""

    kind: str
    ref: str
    title: str
    project_key: str


Segment = str | PersonRef | When | Source
Line = tuple[Segment, ...]


@dataclass(frozen=True)
class Choice:
    """A "did you mean" button: its label and the question it re-asks."""

    label: str
    question: str


@dataclass(frozen=True)
class Answer:
    """What to tell the asker.

    Attributes:
        intent: What was answered.
        lines: The answer, first line first; each line is a tuple of segments.
        sources: Records the answer came from, for buttons.
        choices: Readings to offer when the question was unclear.
        unsure: The answer says it is unsure (and offers `choices` or related records).
        private: The answer names a private project, so it may only be shown to the asker.
    """

    intent: Intent
    lines: tuple[Line, ...]
    sources: tuple[Source, ...] = ()
    choices: tuple[Choice, ...] = ()
    unsure: bool = False
    private: bool = False


@dataclass
class _Builder:
    """Collects lines and sources while an answer is put together."""

    intent: Intent
    lines: list[Line] = field(default_factory=list)
    sources: dict[str, Source] = field(default_factory=dict)
    private_keys: set[str] = field(default_factory=set)

    def line(self, *segments: Segment) -> None:
        self.lines.append(tuple(segments))

    def cite(self, source: Source, private: bool = False) -> Source:
        self.sources.setdefault(source.ref, source)
        if private:
            self.private_keys.add(source.project_key)
        return source

    def project(self, project: Project) -> Source:
        return self.cite(Source("project", project.key, project.name, project.key), project.private)

    def milestone(self, milestone: Milestone) -> Source:
        project = milestone.project
        return self.cite(
            Source("milestone", milestone_ref(milestone), milestone.title, project.key), project.private
        )

    def build(self, *, choices: Sequence[Choice] = (), unsure: bool = False) -> Answer:
        return Answer(
            intent=self.intent,
            lines=tuple(self.lines),
            sources=tuple(self.sources.values()),
            choices=tuple(choices),
            unsure=unsure,
            private=bool(self.private_keys),
        )


# -- directory ------------------------------------------------------------------------------------


def load_directory(session: Session, actor: Actor) -> Directory:
    """The names the actor's questions may refer to: visible projects and their milestones, people.

    Args:
        session: The request's session.
        actor: The asker.

    Returns:
        A snapshot for `bot.questions.interpret.interpret`.
    """
    # Plain rows, not ORM objects: a workspace of 1,000 projects and 10,000 milestones loads in ~30 ms.
    visible = visible_condition(actor)
    projects = session.execute(
        select(Project.key, Project.name, Project.channel_id, Project.private)
        .where(visible)
        .order_by(Project.key)
    ).all()
    rows = session.execute(
        select(Project.key, Milestone.number, Milestone.title)
        .join(Milestone.project)
        .where(visible)
        .order_by(Project.key, Milestone.number)
    )
    milestones = [MilestoneName(f"{key}-{number}", title, key) for key, number, title in rows]
    people = session.execute(
        select(Person.slack_id, Person.name, Person.discipline)
        .where(Person.workspace_id == actor.workspace_id)
        .order_by(Person.name)
    ).all()
    return Directory(
        projects=tuple(ProjectName(key, name, channel, private) for key, name, channel, private in projects),
        people=tuple(PersonName(slack_id, name) for slack_id, name, _ in people),
        milestones=tuple(milestones),
        disciplines=tuple(sorted({d for _, _, d in people if d})),
    )


# -- entry point ----------------------------------------------------------------------------------


def build_answer(
    session: Session,
    actor: Actor,
    interpretation: Interpretation,
    now: datetime,
    *,
    directory: Directory,
    embedder: CachingEmbedder | None = None,
) -> Answer:
    """Answer an interpreted question from the records the actor may see.

    Args:
        session: The request's session (read only).
        actor: The asker; visibility follows `bot.access`.
        interpretation: What the question means.
        now: The current instant (UTC).
        directory: The same snapshot the question was interpreted against (for labels).
        embedder: For semantic search and expert suggestions; None means keyword matching.

    Returns:
        The answer.
    """
    private_keys = {p.key for p in directory.projects if p.private}
    if not interpretation.confident and interpretation.alternatives:
        return _unsure(interpretation, private_keys)
    if interpretation.needs_project:
        return _which_project(session, actor, interpretation, private_keys)
    intent = interpretation.intent
    entities = interpretation.entities
    try:
        if intent == Intent.WHEN_MILESTONE and not entities.milestones:
            return _unknown_milestone(interpretation)
        answer = _ANSWERERS[intent](_Call(session, actor, entities, now, directory, embedder, interpretation))
    except NotFound as error:
        return _not_found(error, interpretation, private_keys)
    except UserFacingError as error:
        return Answer(intent, ((error.message,),))
    if not interpretation.confident and intent != Intent.SEARCH:
        # Rules alone were not sure and there was no second opinion: say so, but still answer.
        note: Line = (
            "(I read this as: ",
            describe(intent, entities),
            ". Rephrase if you meant something else.)",
        )
        answer = replace(answer, lines=(*answer.lines, note))
    return answer


@dataclass(frozen=True)
class _Call:
    session: Session
    actor: Actor
    entities: Entities
    now: datetime
    directory: Directory
    embedder: CachingEmbedder | None
    interpretation: Interpretation


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
    session: Session, actor: Actor, interpretation: Interpretation, private_keys: set[str]
) -> Answer:
    intent = interpretation.intent
    entities = interpretation.entities
    projects = visible_projects(session, actor)
    if interpretation.unknown_name:
        match = match_name(interpretation.unknown_name, [Candidate(p.key, p.name) for p in projects])
        options = list(match.alternatives)
        head = f"I don't know a project called “{interpretation.unknown_name}”."
        if not options:
            return Answer(intent, ((head, " Ask me “list all projects” to see them."),), unsure=True)
        lines: Line = (head, " Did you mean one of these?")
    else:
        mine = [p for p in projects if role_of(p, actor) is not None] or projects
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


# -- shared pieces ---------------------------------------------------------------------------------


def _milestone_segments(b: _Builder, milestone: Milestone, now: datetime, *, with_project: bool) -> Line:
    source = b.milestone(milestone)
    parts: list[Segment] = [source, " ", milestone.title]
    if with_project:
        parts += [" (", milestone.project.name, ")"]
    if milestone.status == MilestoneStatus.DONE:
        parts += [" — done", *((" ", When(milestone.done_at, relative=False)) if milestone.done_at else ())]
    else:
        parts += [" — due ", When(milestone.due_at)]
    if milestone.owner is not None:
        parts += [" · owner ", _ref(milestone.owner)]
    return tuple(parts)


def _ref(person: Person) -> PersonRef:
    ref = person_ref(person)
    assert ref is not None
    return ref


def _more(b: _Builder, total: int, shown: int) -> None:
    if total > shown:
        b.line(f"…and {total - shown} more.")


def _open_milestones(
    session: Session,
    projects: Sequence[Project] | Select[Any],
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    owner_id: int | None = None,
) -> list[Milestone]:
    """Open milestones of `projects` (a list, or a query of project ids), by due time."""
    ids = projects if isinstance(projects, Select) else [p.id for p in projects]
    if isinstance(ids, list) and not ids:
        return []
    query = (
        select(Milestone)
        .where(Milestone.project_id.in_(ids), Milestone.status == MilestoneStatus.OPEN)
        .options(selectinload(Milestone.project), selectinload(Milestone.owner))
        .order_by(Milestone.due_at, Milestone.project_id, Milestone.number)
    )
    if start is not None:
        query = query.where(Milestone.due_at >= start)
    if end is not None:
        query = query.where(Milestone.due_at < end)
    if owner_id is not None:
        query = query.where(Milestone.owner_id == owner_id)
    return list(session.scalars(query))


def _projects_where(session: Session, actor: Actor, *conditions: ColumnElement[bool]) -> list[Project]:
    """Visible projects meeting `conditions`, by key (filtered in SQL, not in Python)."""
    query = select(Project).where(visible_condition(actor), *conditions).order_by(Project.key)
    return list(session.scalars(query))


def _projects_of(session: Session, actor: Actor, person_id: int | None) -> list[Project]:
    """Visible projects the person has any role on."""
    if person_id is None:
        return []
    member_of = select(Membership.project_id).where(Membership.person_id == person_id)
    return _projects_where(session, actor, Project.id.in_(member_of))


def _visible_ids(actor: Actor) -> Select[Any]:
    return select(Project.id).where(visible_condition(actor))


def _person(session: Session, actor: Actor, slack_id: str) -> Person | None:
    return session.scalars(
        select(Person).where(Person.workspace_id == actor.workspace_id, Person.slack_id == slack_id)
    ).first()


def _subject_person(call: _Call) -> tuple[Person | None, bool]:
    """The person a question is about (first mention or name), else the asker; and whether it is the asker."""
    if call.entities.people:
        person = _person(call.session, call.actor, call.entities.people[0])
        return person, person is not None and person.id == call.actor.person_id
    if call.actor.person_id is None:
        return None, True
    return call.session.get(Person, call.actor.person_id), True


def _named_projects(call: _Call) -> tuple[list[Project], str]:
    """The projects a question names (or its channel implies), and "on NAME" for the answer."""
    projects = [find_project(call.session, call.actor, key) for key in call.entities.projects]
    return projects, "on " + ", ".join(p.name for p in projects)


# -- intents ---------------------------------------------------------------------------------------


def _help(call: _Call) -> Answer:
    b = _Builder(Intent.HELP)
    b.line("I answer questions about the alliance's projects from Liaison's records. For example:")
    for example in (
        "what's the status of bid shading?",
        "what is overdue? · what's due next week? · anything due before Christmas?",
        "who leads pcm? · who is on creative fatigue?",
        "what is waiting on me? · what does @Priya owe?",
        "when is the legal memo due? · when is bidshade-2 due?",
        "which projects is Kwame on? · which projects involve economists?",
        "who knows about differential privacy?",
    ):
        b.line("• ", example)
    b.line(
        "Ask by @mentioning me in a channel or thread, in a DM, with /ask, or with the "
        "“Ask Liaison about this” message shortcut. In a project's channel, “this project” means that one."
    )
    return b.build()


def _status(call: _Call) -> Answer:
    b = _Builder(Intent.PROJECT_STATUS)
    for key in call.entities.projects[:3]:
        _status_of(b, find_project(call.session, call.actor, key), call.now)
    return b.build()


def _status_of(b: _Builder, project: Project, now: datetime) -> None:
    source = b.project(project)
    head: list[Segment] = [project.name, " (", source, f") is {STATUS_LABELS[project.status]}"]
    if project.lead is not None:
        head += [" · lead ", _ref(project.lead)]
    b.line(*head)
    open_ms = sorted(
        (m for m in project.milestones if m.status == MilestoneStatus.OPEN), key=lambda m: m.due_at
    )
    upcoming = [m for m in open_ms if m.due_at >= now]
    late = [m for m in open_ms if m.due_at < now]
    if upcoming:
        b.line("Next: ", *_milestone_segments(b, upcoming[0], now, with_project=False))
    else:
        b.line("No upcoming milestones.")
    if late:
        b.line(f"Overdue ({len(late)}):")
        for milestone in late[:MAX_ITEMS]:
            b.line("• ", *_milestone_segments(b, milestone, now, with_project=False))
    else:
        b.line("Nothing overdue.")
    blockers = [x for x in project.blockers if x.resolved_at is None]
    if blockers:
        b.line(f"Open blockers ({len(blockers)}):")
        for blocker in blockers[:MAX_ITEMS]:
            b.line("• ", *_blocker_segments(b, blocker))
    else:
        b.line("No open blockers.")


def _blocker_segments(b: _Builder, blocker: Blocker) -> Line:
    project = blocker.project
    source = b.cite(
        Source("blocker", f"{project.key}-b{blocker.number}", blocker.text, project.key), project.private
    )
    parts: list[Segment] = [source, " ", blocker.text]
    if blocker.raised_by is not None:
        parts += [" · raised by ", _ref(blocker.raised_by)]
    return tuple(parts)


@dataclass(frozen=True)
class _Scope:
    """Whose milestones a question is about: named projects, or one person's on visible projects."""

    projects: list[Project] | Select[Any]
    phrase: str
    owner: Person | None = None


def _resolve_scope(
    call: _Call, b: _Builder, intent: Intent, *, mine: str, theirs: str
) -> _Scope | Answer | None:
    """The subject the question names, shared by "what's next" and "what's overdue".

    Args:
        call: The question.
        b: The answer being built (named projects are recorded as its sources).
        intent: For the "not in the directory" answer.
        mine: The scope phrase when the asker asks about themselves ("for you").
        theirs: The phrase for someone else, with ``{name}`` ("for {name}").

    Returns:
        The scope; an answer when the person asked about is unknown; None when the question names
        no project and no person (each intent has its own default).
    """
    e = call.entities
    if e.projects:
        projects, phrase = _named_projects(call)
        for project in projects:
            b.project(project)
        return _Scope(projects, phrase)
    if e.people or e.me:
        owner, is_me = _subject_person(call)
        if owner is None:
            return _not_in_directory(intent, is_me)
        return _Scope(_visible_ids(call.actor), mine if is_me else theirs.format(name=owner.name), owner)
    return None


def _next(call: _Call) -> Answer:
    b = _Builder(Intent.NEXT_MILESTONE)
    e = call.entities
    window = e.date_range
    resolved = _resolve_scope(call, b, Intent.NEXT_MILESTONE, mine="for you", theirs="for {name}")
    if isinstance(resolved, Answer):
        return resolved
    if resolved is None:
        mine = _projects_of(call.session, call.actor, call.actor.person_id)
        if window is None and mine:
            resolved = _Scope(mine, "on your projects")
        else:
            resolved = _Scope(_visible_ids(call.actor), "")
    projects, scope, owner = resolved.projects, resolved.phrase, resolved.owner
    start = window.start if window else call.now
    end = window.end if window else None
    if window is None and not e.projects and owner is None and not scope:
        end = call.now + UPCOMING_WINDOW
    owner_id = owner.id if owner else None
    milestones = _open_milestones(call.session, projects, start=start, end=end, owner_id=owner_id)
    if window is None and e.projects:
        # "What's next for bidshade": the next few of that project, whatever their date.
        milestones = milestones[:3]
    when_text = f" {window.label}" if window else ""
    if owner is not None and owner.id == call.actor.person_id:
        subject = "You have"
    elif owner is not None:
        subject = f"{owner.name} has"
    else:
        subject = ""
    if not milestones:
        if subject:
            b.line(f"{subject} nothing due{when_text}.")
        else:
            b.line(f"Nothing is due{when_text}" + (f" {scope}." if scope else "."))
        if window is not None:
            later = _open_milestones(call.session, projects, start=window.end, owner_id=owner_id)
            if later:
                b.line(
                    "The next one after that: ",
                    *_milestone_segments(b, later[0], call.now, with_project=True),
                )
        return b.build()
    count = _count(len(milestones), "milestone")
    if subject:
        b.line(f"{subject} {count} due{when_text}:")
    elif window is not None:
        b.line(f"{count} due{when_text}" + (f" {scope}" if scope else "") + ":")
    else:
        b.line("Next milestones" + (f" {scope}" if scope else "") + ":")
    many_projects = len({m.project_id for m in milestones}) > 1 or not e.projects
    for milestone in milestones[:MAX_ITEMS]:
        b.line("• ", *_milestone_segments(b, milestone, call.now, with_project=many_projects))
    _more(b, len(milestones), MAX_ITEMS)
    return b.build()


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _not_in_directory(intent: Intent, is_me: bool) -> Answer:
    text = (
        "You are not in Liaison's directory yet, so nothing is assigned to you."
        if is_me
        else "I don't know that person."
    )
    return Answer(intent, ((text,),))


def _overdue(call: _Call) -> Answer:
    b = _Builder(Intent.OVERDUE)
    e = call.entities
    resolved = _resolve_scope(call, b, Intent.OVERDUE, mine="of yours", theirs="of {name}'s")
    if isinstance(resolved, Answer):
        return resolved
    if resolved is None:
        resolved = _Scope(_visible_ids(call.actor), "")
    projects, scope, owner = resolved.projects, resolved.phrase, resolved.owner
    late = _open_milestones(call.session, projects, end=call.now, owner_id=owner.id if owner else None)
    if not late:
        if owner is not None:
            b.line(f"Nothing {scope} is overdue.")
        else:
            b.line("Nothing is overdue" + (f" {scope}." if scope else "."))
        return b.build()
    head = f"{_count(len(late), 'milestone')} overdue"
    if owner is not None:
        head += f" ({scope[3:]})"
    elif scope:
        head += f" {scope}"
    b.line(head + ":")
    for milestone in late[:MAX_ITEMS]:
        b.line("• ", *_milestone_segments(b, milestone, call.now, with_project=not e.projects))
    _more(b, len(late), MAX_ITEMS)
    return b.build()


def _person_details(person: Person) -> str:
    details = [x for x in (person.title, person.organisation) if x]
    text = ", ".join(details)
    if person.discipline:
        text += f" ({person.discipline})" if text else person.discipline
    return text


def _lead(call: _Call) -> Answer:
    b = _Builder(Intent.LEAD)
    project = find_project(call.session, call.actor, call.entities.projects[0])
    source = b.project(project)
    if project.lead is None:
        b.line(project.name, " (", source, ") has no lead recorded.")
    else:
        details = _person_details(project.lead)
        b.line(
            project.name,
            " (",
            source,
            ") is led by ",
            _ref(project.lead),
            f" — {details}." if details else ".",
        )
    return b.build()


def _members(call: _Call) -> Answer:
    b = _Builder(Intent.MEMBERS)
    project = find_project(call.session, call.actor, call.entities.projects[0])
    source = b.project(project)
    members = sorted(project.memberships, key=lambda m: (m.role != Role.LEAD, m.position, m.person.name))
    active = [m for m in members if m.role != Role.VIEWER]
    b.line(project.name, " (", source, f") has {_count(len(active), 'member')}:")
    for membership in members:
        person = membership.person
        role = {Role.LEAD: "lead", Role.VIEWER: "viewer"}.get(membership.role)
        details = ", ".join(x for x in (role, person.discipline, person.organisation) if x)
        b.line("• ", _ref(person), f" — {details}" if details else "")
    return b.build()


def _blocked(call: _Call) -> Answer:
    b = _Builder(Intent.BLOCKED)
    if call.entities.projects:
        hits, _ = _named_projects(call)
    else:
        has_open_blocker = select(Blocker.project_id).where(Blocker.resolved_at.is_(None))
        hits = _projects_where(
            call.session,
            call.actor,
            or_(
                Project.status.in_((ProjectStatus.BLOCKED, ProjectStatus.AT_RISK)),
                Project.id.in_(has_open_blocker),
            ),
        )
    if not hits:
        b.line("Nothing is blocked: no project is blocked or at risk, and there are no open blockers.")
        return b.build()
    for project in hits[:MAX_ITEMS]:
        source = b.project(project)
        blockers = [x for x in project.blockers if x.resolved_at is None]
        status = f" is {STATUS_LABELS[project.status]}"
        tail: list[Segment] = []
        if project.lead is not None:
            tail = [" · lead ", _ref(project.lead)]
        counted = f"; {_count(len(blockers), 'open blocker')}" if blockers else "; no open blockers recorded"
        b.line(project.name, " (", source, ")", status, counted, *tail)
        for blocker in blockers[:MAX_ITEMS]:
            b.line("• ", *_blocker_segments(b, blocker))
        late = [m for m in project.milestones if m.status == MilestoneStatus.OPEN and m.due_at < call.now]
        for milestone in late[:3]:
            b.line("• overdue: ", *_milestone_segments(b, milestone, call.now, with_project=False))
    return b.build()


def _waiting(call: _Call) -> Answer:
    b = _Builder(Intent.WAITING_ON)
    person, is_me = _subject_person(call)
    if person is None:
        return _not_in_directory(Intent.WAITING_ON, is_me)
    window = call.entities.date_range
    owned = _open_milestones(call.session, _visible_ids(call.actor), owner_id=person.id)
    late = [m for m in owned if m.due_at < call.now]
    upcoming = [m for m in owned if m.due_at >= call.now and (window is None or m.due_at < window.end)]
    who = "you" if is_me else person.name
    if not late and not upcoming:
        where = "" if is_me else " in the projects you can see"
        due = f" due {window.label}" if window else ""
        b.line(f"Nothing is waiting on {who}: no open milestones{due}{where}.")
        return b.build()
    summary = []
    if late:
        summary.append(f"{len(late)} overdue")
    if upcoming:
        summary.append(f"{len(upcoming)} upcoming" + (f" ({window.label})" if window else ""))
    subject: Segment = "you" if is_me else _ref(person)
    b.line("Waiting on ", subject, ": " + " and ".join(summary) + ".")
    for milestone in late[:MAX_ITEMS]:
        b.line("• overdue: ", *_milestone_segments(b, milestone, call.now, with_project=True))
    for milestone in upcoming[: max(0, MAX_ITEMS - len(late))]:
        b.line("• ", *_milestone_segments(b, milestone, call.now, with_project=True))
    _more(b, len(late) + len(upcoming), MAX_ITEMS)
    return b.build()


def _when(call: _Call) -> Answer:
    b = _Builder(Intent.WHEN_MILESTONE)
    for ref in call.entities.milestones[:3]:
        milestone = find_milestone(call.session, call.actor, ref)
        source = b.milestone(milestone)
        b.project(milestone.project)
        parts: list[Segment] = [source, " ", milestone.title, " (", milestone.project.name, ")"]
        if milestone.status == MilestoneStatus.DONE:
            done_at = milestone.done_at
            parts += [" is done", *((" — completed ", When(done_at, relative=False)) if done_at else ())]
            parts += [" (it was due ", When(milestone.due_at, relative=False), ")"]
        elif milestone.due_at < call.now:
            parts += [" was due ", When(milestone.due_at), " and is still open"]
        else:
            parts += [" is due ", When(milestone.due_at)]
        if milestone.owner is not None:
            parts += [" · owner ", _ref(milestone.owner)]
        b.line(*parts)
    return b.build()


def _person_projects(call: _Call) -> Answer:
    b = _Builder(Intent.PERSON_PROJECTS)
    person, is_me = _subject_person(call)
    if person is None:
        return _not_in_directory(Intent.PERSON_PROJECTS, is_me)
    projects = _projects_of(call.session, call.actor, person.id)
    details = _person_details(person)
    if not is_me:
        b.line(_ref(person), f" — {details}." if details else ".")
    if not projects:
        b.line(
            "You are not on any project."
            if is_me
            else f"{person.name} is not on any of the projects you can see."
        )
        return b.build()
    subject = "You are" if is_me else f"{person.name} is"
    b.line(f"{subject} on {_count(len(projects), 'project')}:")
    for project in projects[:MAX_ITEMS]:
        source = b.project(project)
        role = next((m.role for m in project.memberships if m.person_id == person.id), None)
        label = "lead" if role == Role.LEAD or project.lead_id == person.id else (role.value if role else "")
        b.line("• ", project.name, " (", source, f") — {label}, {STATUS_LABELS[project.status]}")
    _more(b, len(projects), MAX_ITEMS)
    return b.build()


def _discipline_projects(call: _Call) -> Answer:
    b = _Builder(Intent.DISCIPLINE_PROJECTS)
    disciplines = call.entities.disciplines
    if not disciplines:
        return Answer(Intent.DISCIPLINE_PROJECTS, (("Which discipline do you mean?",),), unsure=True)
    wanted = {d.lower() for d in disciplines}
    label = " or ".join(disciplines)
    involved = (
        select(Membership.project_id)
        .join(Membership.person)
        .where(Membership.role != Role.VIEWER, func.lower(Person.discipline).in_(wanted))
    )
    hits = _projects_where(call.session, call.actor, Project.id.in_(involved))
    if not hits:
        b.line(f"No project you can see involves {label}.")
        return b.build()
    b.line(f"{_count(len(hits), 'project')} involve{'s' if len(hits) == 1 else ''} {label}:")
    for project in hits[:MAX_ITEMS]:
        people = [
            m.person
            for m in project.memberships
            if m.role != Role.VIEWER and (m.person.discipline or "").lower() in wanted
        ]
        source = b.project(project)
        names: list[Segment] = []
        for person in people:
            names += [", " if names else "", _ref(person)]
        b.line("• ", project.name, " (", source, ") — ", *names)
    _more(b, len(hits), MAX_ITEMS)
    return b.build()


def _profile_texts(person: Person) -> list[tuple[str, str]]:
    items = []
    if person.expertise:
        items.append(("expertise", person.expertise))
    items += [("publication", p.title) for p in person.publications]
    if not items and person.discipline:
        items.append(("expertise", person.discipline))
    return items


def _experts(call: _Call) -> Answer:
    b = _Builder(Intent.EXPERTS)
    topic = call.entities.topic.strip()
    if not topic:
        return Answer(
            Intent.EXPERTS, (("Who knows about what? Ask e.g. “who knows about auction theory?”",),)
        )
    people = list(
        call.session.scalars(
            select(Person)
            # Hidden profiles are never offered as experts, nor are their texts quoted.
            .where(
                Person.workspace_id == call.actor.workspace_id,
                Person.expert_visibility == ExpertVisibility.LISTED,
            )
            .options(selectinload(Person.publications))
            .order_by(Person.name)
        )
    )
    ranked = _rank_experts(call.embedder, people, topic)
    if not ranked:
        b.line(f"I couldn't find anyone whose profile mentions “{topic}”.")
        return b.build()
    b.line(f"People who know about “{topic}”:")
    for person, _, reason in ranked[:3]:
        details = ", ".join(x for x in (person.discipline, person.organisation) if x)
        line: list[Segment] = ["• ", _ref(person)]
        if details:
            line.append(f" — {details}")
        if reason:
            line.append(f": “{_shorten(reason, 140)}”")
        b.line(*line)
    return b.build()


def _rank_experts(
    embedder: CachingEmbedder | None, people: Sequence[Person], topic: str
) -> list[tuple[Person, float, str]]:
    """The three people whose profiles best fit `topic`, with the profile text that fits best.

    The score is the embedding similarity of the best profile item (see `bot.domain.experts`) plus
    half the keyword overlap: the model finds paraphrases ("ad auctions" for "bid shading") and the
    keywords keep exact technical terms ("Kafka", "GDPR") on top. Without a model, keywords alone.
    """
    keyword = {p.slack_id: _keyword_best(p, topic) for p in people}
    semantic: dict[str, tuple[float, str]] = {}
    if embedder is not None:
        items = []
        texts = [(p, kind, text) for p in people for kind, text in _profile_texts(p)]
        if texts:
            matrix = embedder.matrix([text for _, _, text in texts])
            items = [
                ProfileItem(p.slack_id, kind, text, vector)
                for (p, kind, text), vector in zip(texts, matrix, strict=True)
            ]
            for person_id, score in score_people(embedder.embed([topic])[0], items, BEST_ITEM).items():
                reason = score.best_items[0].item.text if score.best_items else ""
                semantic[person_id] = (score.score, reason)
    ranked = []
    for person in people:
        key_score, key_reason = keyword[person.slack_id]
        sem_score, sem_reason = semantic.get(person.slack_id, (0.0, ""))
        if key_score < KEYWORD_FLOOR and sem_score < EXPERT_FLOOR:
            continue
        total = sem_score + 0.5 * key_score / 100
        reason = key_reason if key_score >= KEYWORD_FLOOR else sem_reason
        ranked.append((person, total, reason))
    ranked.sort(key=lambda x: (-x[1], x[0].name))
    return ranked[:3]


def _shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _keyword_best(person: Person, topic: str) -> tuple[float, str]:
    """The best keyword overlap of `topic` with a person's profile texts or discipline, and that text."""
    best, reason = 0.0, ""
    for _, text in [*_profile_texts(person), ("discipline", person.discipline or "")]:
        score = _keyword_score(topic, text)
        if score > best:
            best, reason = score, text
    return best, reason


def _keyword_score(query: str, text: str) -> float:
    """Share of the query's words found (allowing typos and word forms) in `text`, 0..100."""
    words = [w for w in fold(query).split() if len(w) > 2]
    if not words or not text:
        return 0.0
    text_words = fold(text).split()
    hits = 0.0
    for word in words:
        best = max((fuzz.ratio(word, t) for t in text_words), default=0.0)
        if any(t.startswith(word[:5]) for t in text_words if len(word) >= 5):
            best = max(best, 90.0)
        hits += best / 100 if best >= 80 else 0.0
    return 100.0 * hits / len(words)


def _list_projects(call: _Call) -> Answer:
    b = _Builder(Intent.LIST_PROJECTS)
    projects = visible_projects(call.session, call.actor)
    if not projects:
        b.line("There are no projects you can see yet.")
        return b.build()
    b.line(f"{_count(len(projects), 'project')} you can see:")
    for project in projects[:MAX_ITEMS]:
        source = b.project(project)
        tail: list[Segment] = [f" — {STATUS_LABELS[project.status]}"]
        if project.lead is not None:
            tail += [", lead ", _ref(project.lead)]
        b.line("• ", project.name, " (", source, ")", *tail)
    _more(b, len(projects), MAX_ITEMS)
    return b.build()


def _search_records(session: Session, actor: Actor) -> list[tuple[str, type, int]]:
    """(text, model, id) of everything a search looks through: visible projects (name and
    description), their milestones and open blockers. Plain rows; the few shown are loaded later."""
    visible = visible_condition(actor)
    records: list[tuple[str, type, int]] = []
    for pid, name, description in session.execute(
        select(Project.id, Project.name, Project.description).where(visible).order_by(Project.key)
    ):
        records.append((f"{name}. {description}", Project, pid))
    for mid, title in session.execute(
        select(Milestone.id, Milestone.title).join(Milestone.project).where(visible).order_by(Milestone.id)
    ):
        records.append((title, Milestone, mid))
    for bid, text in session.execute(
        select(Blocker.id, Blocker.text)
        .join(Blocker.project)
        .where(visible, Blocker.resolved_at.is_(None))
        .order_by(Blocker.id)
    ):
        records.append((text, Blocker, bid))
    return records


def warm_up_vectors(session: Session, embedder: CachingEmbedder) -> int:
    """Embed every record and profile text of every workspace once, so that no asker waits for it.

    Run in the background after the model has loaded (`liaison serve`); the texts are the same the
    answers embed (and `CachingEmbedder` keeps them), so a later question embeds only itself.

    Returns:
        How many texts were embedded or found cached.
    """
    texts: list[str] = []
    for workspace_id in session.scalars(select(Workspace.id)):
        # Everything, as an admin would see it: the vectors are a cache, never shown to anyone.
        everything = Actor("", workspace_id, None, True, ZoneInfo("UTC"))
        texts += [text for text, _, _ in _search_records(session, everything)]
        people = session.scalars(
            select(Person)
            .where(Person.workspace_id == workspace_id)
            .options(selectinload(Person.publications))
        )
        texts += [text for person in people for _, text in _profile_texts(person)]
    embedder.exemplar_vectors()
    if texts:
        embedder.embed(texts)
    return len(texts)


def start_warm_up(session_factory: sessionmaker[Session], embedder: CachingEmbedder) -> threading.Thread:
    """Run `warm_up_vectors` in a daemon thread once the model has loaded; failures are only logged.

    Args:
        session_factory: The process's sessions.
        embedder: The (loading) embedder.

    Returns:
        The started thread.
    """

    def run() -> None:
        try:
            if embedder.wait_ready(None):
                with session_factory() as session:
                    count = warm_up_vectors(session, embedder)
                logger.info("embedded %d record and profile texts for questions", count)
        except Exception:
            # A cold cache only makes the first searches slower; the bot keeps answering.
            logger.exception("warming up the question vectors failed")

    thread = threading.Thread(target=run, name="question-vectors", daemon=True)
    thread.start()
    return thread


def _search(call: _Call) -> Answer:
    b = _Builder(Intent.SEARCH)
    query = call.entities.topic or call.interpretation.text
    records = _search_records(call.session, call.actor)
    texts = [text for text, _, _ in records]
    if call.embedder is not None:
        hits = [(i, s) for i, s in rank_texts(call.embedder, query, texts, top_k=3) if s >= SEARCH_FLOOR]
    else:
        scored = [(i, _keyword_score(query, t)) for i, t in enumerate(texts)]
        hits = sorted(((i, s) for i, s in scored if s >= KEYWORD_FLOOR), key=lambda x: (-x[1], x[0]))[:3]
    if not hits:
        b.line("I don't know how to answer that from the project records. Ask me “help” for examples.")
        return b.build(unsure=True)
    b.line("I'm not sure exactly what you're asking; these records look closest:")
    for index, _ in hits:
        _, kind, record_id = records[index]
        record = call.session.get(kind, record_id)
        if isinstance(record, Project):
            b.line("• ", record.name, " (", b.project(record), f") — {STATUS_LABELS[record.status]}")
        elif isinstance(record, Milestone):
            b.line("• ", *_milestone_segments(b, record, call.now, with_project=True))
        elif isinstance(record, Blocker):
            b.line("• ", *_blocker_segments(b, record))
    return b.build(unsure=True)


_ANSWERERS = {
    Intent.HELP: _help,
    Intent.PROJECT_STATUS: _status,
    Intent.NEXT_MILESTONE: _next,
    Intent.OVERDUE: _overdue,
    Intent.LEAD: _lead,
    Intent.MEMBERS: _members,
    Intent.BLOCKED: _blocked,
    Intent.WAITING_ON: _waiting,
    Intent.WHEN_MILESTONE: _when,
    Intent.PERSON_PROJECTS: _person_projects,
    Intent.DISCIPLINE_PROJECTS: _discipline_projects,
    Intent.EXPERTS: _experts,
    Intent.LIST_PROJECTS: _list_projects,
    Intent.SEARCH: _search,
}


def visible_to(session: Session, actor: Actor, project_key: str) -> bool:
    """Whether a project key names a project the actor may see (used to vet thread context)."""
    project = session.scalars(
        select(Project).where(Project.workspace_id == actor.workspace_id, Project.key == project_key)
    ).first()
    return project is not None and can_see(project, actor)
