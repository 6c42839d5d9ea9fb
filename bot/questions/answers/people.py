"""Answers about people: who leads or is on a project, a person's projects, a discipline's projects."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta

from sqlalchemy import func, select

from bot.domain.dates.vocabulary import day_label
from bot.domain.matching import OWN_PROJECTS
from bot.models import Membership, Person, Project, ProjectStatus, Role
from bot.projects.project import STATUS_LABELS
from bot.questions.answers.core import (
    MAX_ITEMS,
    Answer,
    AnswerBuilder,
    AnswerRequest,
    Segment,
    counted,
    person_segment,
)
from bot.questions.answers.lookups import (
    find_named_project,
    not_in_directory,
    projects_of,
    projects_where,
    subject_person,
)
from bot.questions.interpret import Intent
from bot.questions.interpret.entity_hints import ASKS_WHETHER_ON
from bot.questions.interpret.intents import ASKS_LAST_DAY


def _person_details(person: Person) -> str:
    details = [x for x in (person.title, person.organisation) if x]
    text = ", ".join(details)
    if person.discipline:
        text += f" ({person.discipline})" if text else person.discipline
    return text


def answer_lead(request: AnswerRequest) -> Answer:
    """Answer "who leads …?" for the named project.

    Args:
        request: The question.

    Returns:
        The answer.
    """
    b = AnswerBuilder(Intent.LEAD)
    # "who leads pcm and uplift?": each project named, in the order named.
    for key in request.entities.projects:
        project = find_named_project(request.session, request.actor, key)
        source = b.project(project)
        if project.lead is None:
            b.line(project.name, " (", source, ") has no lead recorded.")
            continue
        details = _person_details(project.lead)
        b.line(
            project.name,
            " (",
            source,
            ") is led by ",
            person_segment(project.lead),
            f" — {details}." if details else ".",
        )
    return b.build()


def answer_members(request: AnswerRequest) -> Answer:
    """Answer "who is on …?": the named project's members, lead first.

    Args:
        request: The question.

    Returns:
        The answer.
    """
    b = AnswerBuilder(Intent.MEMBERS)
    # "who is on pcm and uplift?": each project named, in the order named.
    for key in request.entities.projects:
        _members_of(b, request, find_named_project(request.session, request.actor, key))
    return b.build()


# "who else is on my team?", "anyone else on pcm?": the asker's fellow members.
_WHO_ELSE = re.compile(r"\b(who|anyone|anybody|someone) else\b")


def _members_of(b: AnswerBuilder, request: AnswerRequest, project: Project) -> None:
    """One project's people (those the question picks out), lead first."""
    source = b.project(project)
    members = sorted(project.memberships, key=lambda m: (m.role != Role.LEAD, m.position, m.person.name))
    active = [m for m in members if m.role != Role.VIEWER]
    _whether_they_are_on(b, request, project, members)
    among = _among(request, project)
    if among is not None:
        label, fits = among
        members = [m for m in active if fits(m.person)]
        if not members:
            b.line(f"No one on {project.name} (", source, f") is {label}.")
            return
        b.line(f"On {project.name} (", source, f"), {label}:")
    elif _WHO_ELSE.search(request.interpretation.text) and any(
        m.person_id == request.actor.person_id for m in active
    ):
        # "who else is on my team?": the others, not the asker.
        members = [m for m in members if m.person_id != request.actor.person_id]
        others = counted(len(active) - 1, "other member")
        b.line("Besides you, ", project.name, " (", source, f") has {others}:")
    else:
        b.line(project.name, " (", source, f") has {counted(len(active), 'member')}:")
    for membership in members:
        person = membership.person
        role = {Role.LEAD: "lead", Role.VIEWER: "viewer"}.get(membership.role)
        details = ", ".join(x for x in (role, person.discipline, person.organisation) if x)
        b.line("• ", person_segment(person), f" — {details}" if details else "")


# "which of my projects is at risk?", "… are done": a person's projects of one status, by its label
# or a word for it.
_STATUS_WORDS = {label: status for status, label in STATUS_LABELS.items()} | {
    "in trouble": ProjectStatus.AT_RISK,
    "struggling": ProjectStatus.AT_RISK,
    "troubled": ProjectStatus.AT_RISK,
    "stuck": ProjectStatus.BLOCKED,
    "finished": ProjectStatus.DONE,
    "complete": ProjectStatus.DONE,
    "completed": ProjectStatus.DONE,
    "on schedule": ProjectStatus.ON_TRACK,
}
_STATUS_ASKED = re.compile(
    r"\b(?:which|what|any|are|is|how many)\b.*\b(?:is|are|s|re)\s+(?:still\s+)?("
    + "|".join(_STATUS_WORDS)
    + r")\b"
)


# "are any projects done?", "projects on track?": a status word after "projects"; "done projects?"
# before it.
_STATUS_AFTER_PROJECTS = re.compile(r"\bprojects?\b(?: \w+){0,3} (" + "|".join(_STATUS_WORDS) + r")\b")
_STATUS_BEFORE_PROJECTS = re.compile(r"\b(" + "|".join(_STATUS_WORDS) + r") projects?\b")
# "active projects", "which projects are still running": every one not done.
ACTIVE_ASKED = re.compile(r"\b(active|live|running|ongoing|open|current|not done|unfinished)\b")


def status_asked(text: str) -> ProjectStatus | None:
    """The project status a question filters by ("which of my projects is at risk?"), if any."""
    wanted = (
        _STATUS_ASKED.search(text)
        or _STATUS_AFTER_PROJECTS.search(text)
        or _STATUS_BEFORE_PROJECTS.search(text)
    )
    return _STATUS_WORDS[wanted.group(1)] if wanted is not None else None


# "who from academia …", "the industry folks …", "anyone from leiden …": which side or organisation.
_FROM = re.compile(r"\b(?:from|at) (?:the )?(?P<words>[a-z][a-z-]*(?: [a-z][a-z-]*)?)")
_SECTOR_WORDS = {
    "academia": "academia",
    "academic": "academia",
    "academics": "academia",
    "university": "academia",
    "universities": "academia",
    "uni": "academia",
    "industry": "industry",
    "companies": "industry",
    "company": "industry",
}


def _whether_they_are_on(
    b: AnswerBuilder, request: AnswerRequest, project: Project, members: list[Membership]
) -> None:
    """Say yes or no for each person a yes-or-no question names, before the project's people."""
    named = request.entities.people or ((request.actor.slack_id,) if request.entities.me else ())
    if not named or not ASKS_WHETHER_ON.search(request.interpretation.text):
        return
    roles = {m.person.slack_id: m for m in members}
    people = request.session.scalars(
        select(Person).where(Person.workspace_id == request.actor.workspace_id, Person.slack_id.in_(named))
    ).all()
    for person in sorted(people, key=lambda p: named.index(p.slack_id)):
        membership = roles.get(person.slack_id)
        you = person.slack_id == request.actor.slack_id
        who: Segment = "you" if you else person_segment(person)
        if project.lead_id == person.id:
            b.line("Yes: ", who, " lead it." if you else " leads it.")
        elif membership is None:
            b.line("No: ", who, f" {'are' if you else 'is'} not on {project.name}.")
        else:
            role = {Role.LEAD: "its lead", Role.VIEWER: "a viewer"}.get(membership.role, "a member")
            b.line("Yes: ", who, f" {'are' if you else 'is'} {role}.")


def _among(request: AnswerRequest, project: Project) -> tuple[str, Callable[[Person], bool]] | None:
    """Which of a project's people the question picks out, and how it says so: by field ("which
    economist …": the disciplines named), by side ("who from academia …") or by organisation ("anyone
    from Leiden …"); None when it asks for everyone."""
    disciplines = {d.casefold() for d in request.entities.disciplines}
    if disciplines:
        label = "in " + " or ".join(request.entities.disciplines).lower()
        return label, lambda person: (person.discipline or "").casefold() in disciplines
    text = request.interpretation.text
    sector = next((s for w, s in _SECTOR_WORDS.items() if re.search(rf"\b{w}\b", text)), None)
    if sector is not None:
        return f"from {sector}", lambda person: (person.sector or "").casefold() == sector
    found = _FROM.search(text)
    if found is None:
        return None
    own = set(f"{project.key} {project.name}".casefold().split())
    words = [w for w in found.group("words").split() if w not in _NOT_AN_ORGANISATION and w not in own]
    if not words:
        return None
    return (
        f"from {' '.join(words).title()}",
        lambda person: all(w in (person.organisation or "").casefold() for w in words),
    )


# Words after "from" that name no organisation ("who from the team is on pcm").
_NOT_AN_ORGANISATION = frozenset(
    {"the", "team", "project", "here", "there", "this", "that", "our", "us", "is", "are", "on", "in"}
)


def answer_person_projects(request: AnswerRequest) -> Answer:
    """Answer "which projects is … on?" (or "what am I on?"), with the role on each.

    Args:
        request: The question.

    Returns:
        The answer.
    """
    b = AnswerBuilder(Intent.PERSON_PROJECTS)
    person, is_me = subject_person(request)
    if person is None:
        return not_in_directory(Intent.PERSON_PROJECTS, is_me)
    projects = projects_of(request.session, request.actor, person.id)
    details = _person_details(person)
    if not is_me:
        b.line(person_segment(person), f" — {details}." if details else ".")
    if person.until is not None:
        b.line(_leaving_text(person.until, request.now.astimezone(request.actor.zone).date(), is_me))
    elif ASKS_LAST_DAY.search(request.interpretation.text):
        b.line(f"No last day is recorded for {'you' if is_me else person.name}.")
    status = status_asked(request.interpretation.text) if projects else None
    if status is not None:
        # "which of my projects is at risk?": those of that status, or that none is.
        label = STATUS_LABELS[status]
        projects = [p for p in projects if p.status == status]
        if not projects:
            whose = "your projects is" if is_me else f"{person.name}'s projects you can see is"
            b.line(f"None of {whose} {label}.")
            return b.build()
    if not projects:
        b.line(
            "You are not on any project."
            if is_me
            else f"{person.name} is not on any of the projects you can see."
        )
        return b.build()
    subject = "You are" if is_me else f"{person.name} is"
    verb = "is" if len(projects) == 1 else "are"
    which = f" that {verb} {STATUS_LABELS[projects[0].status]}" if status is not None else ""
    b.line(f"{subject} on {counted(len(projects), 'project')}{which}:")
    for project in b.page(projects, request.entities.skip):
        source = b.project(project)
        role = next((m.role for m in project.memberships if m.person_id == person.id), None)
        label = "lead" if role == Role.LEAD or project.lead_id == person.id else (role.value if role else "")
        b.line("• ", project.name, " (", source, f") — {label}, {STATUS_LABELS[project.status]}")
    b.more(len(projects))
    return b.build()


def _leaving_text(until: date, today: date, is_me: bool) -> str:
    """ "Last day: Fri 18 Dec 2026 (in 11 days)." (or "Left on …" once it is past)."""
    days = (until - today).days
    if days < 0:
        return f"Left on {day_label(until)}."
    when = "today" if days == 0 else "tomorrow" if days == 1 else f"in {days} days"
    return f"{'Your last day' if is_me else 'Last day'}: {day_label(until)} ({when})."


def answer_discipline_projects(request: AnswerRequest) -> Answer:
    """Answer "which projects involve …?": visible projects with a member of that discipline.

    Args:
        request: The question.

    Returns:
        The answer.
    """
    b = AnswerBuilder(Intent.DISCIPLINE_PROJECTS)
    disciplines = request.entities.disciplines
    if not disciplines:
        return Answer(Intent.DISCIPLINE_PROJECTS, (("Which discipline do you mean?",),), unsure=True)
    wanted = {d.lower() for d in disciplines}
    label = " or ".join(disciplines)
    involved = (
        select(Membership.project_id)
        .join(Membership.person)
        .where(Membership.role != Role.VIEWER, func.lower(Person.discipline).in_(wanted))
    )
    hits = projects_where(request.session, request.actor, Project.id.in_(involved))
    if not hits:
        b.line(f"No project you can see involves {label}.")
        return b.build()
    b.line(f"{counted(len(hits), 'project')} involve{'s' if len(hits) == 1 else ''} {label}:")
    for project in b.page(hits, request.entities.skip):
        people = [
            m.person
            for m in project.memberships
            if m.role != Role.VIEWER and (m.person.discipline or "").lower() in wanted
        ]
        source = b.project(project)
        names: list[Segment] = []
        for person in people:
            names += [", " if names else "", person_segment(person)]
        b.line("• ", project.name, " (", source, ") — ", *names)
    b.more(len(hits))
    return b.build()


# How far ahead "who is leaving?" (or "… soon?") looks when the question names no dates.
LEAVING_WINDOW = timedelta(days=60)


def answer_leaving(request: AnswerRequest) -> Answer:
    """Answer "who is leaving soon?": people whose last day (`until`) falls in the question's dates,
    else in the next LEAVING_WINDOW, soonest first, with the projects of theirs the asker can see.

    Args:
        request: The question.

    Returns:
        The answer.
    """
    b = AnswerBuilder(Intent.LEAVING)
    zone = request.actor.zone
    today = request.now.astimezone(zone).date()
    window = request.entities.date_range
    if window is None or window.soon:
        # "Soon" for a last day is further ahead than for a deadline.
        first, last, label = today, today + LEAVING_WINDOW, f"in the next {LEAVING_WINDOW.days} days"
    else:
        # The range is half-open: its last day is the one before its end.
        first = window.start.astimezone(zone).date()
        last = (window.end - timedelta(microseconds=1)).astimezone(zone).date()
        label = window.label
    people = list(
        request.session.scalars(
            select(Person)
            .where(Person.workspace_id == request.actor.workspace_id, Person.until.between(first, last))
            .order_by(Person.until, Person.name)
        )
    )
    # "is anyone from uplift leaving?", "is anyone on my team leaving?": of those projects only.
    scope = list(request.entities.projects)
    if not scope and OWN_PROJECTS.search(request.interpretation.text) and request.actor.person_id is not None:
        scope = [p.key for p in projects_of(request.session, request.actor, request.actor.person_id)]
    if scope:
        on = {
            person.id
            for person in people
            if {p.key for p in projects_of(request.session, request.actor, person.id)} & set(scope)
        }
        people = [person for person in people if person.id in on]
    where = f" on {', '.join(scope)}" if scope else ""
    if not people:
        b.line(f"Nobody{where} has a last day {label}." if scope else f"Nobody's last day is {label}.")
        return b.build()
    label = f"{label}{where}"
    b.line(f"Last days {label}:")
    for person in b.page(people, request.entities.skip):
        assert person.until is not None  # the query's condition
        line: list[Segment] = ["• ", person_segment(person), " — ", _leaving_text(person.until, today, False)]
        projects = projects_of(request.session, request.actor, person.id)
        for n, project in enumerate(projects[:MAX_ITEMS]):
            line += [" On " if n == 0 else ", ", b.project(project)]
        b.line(*line)
    b.more(len(people))
    return b.build()
