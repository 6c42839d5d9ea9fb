"""Answers about people: who leads or is on a project, a person's projects, a discipline's projects."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.models import Membership, Person, Project, Role
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
    project = find_named_project(request.session, request.actor, request.entities.projects[0])
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
    project = find_named_project(request.session, request.actor, request.entities.projects[0])
    source = b.project(project)
    members = sorted(project.memberships, key=lambda m: (m.role != Role.LEAD, m.position, m.person.name))
    active = [m for m in members if m.role != Role.VIEWER]
    b.line(project.name, " (", source, f") has {counted(len(active), 'member')}:")
    for membership in members:
        person = membership.person
        role = {Role.LEAD: "lead", Role.VIEWER: "viewer"}.get(membership.role)
        details = ", ".join(x for x in (role, person.discipline, person.organisation) if x)
        b.line("• ", person_segment(person), f" — {details}" if details else "")
    return b.build()


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
    if not projects:
        b.line(
            "You are not on any project."
            if is_me
            else f"{person.name} is not on any of the projects you can see."
        )
        return b.build()
    subject = "You are" if is_me else f"{person.name} is"
    b.line(f"{subject} on {counted(len(projects), 'project')}:")
    for project in projects[:MAX_ITEMS]:
        source = b.project(project)
        role = next((m.role for m in project.memberships if m.person_id == person.id), None)
        label = "lead" if role == Role.LEAD or project.lead_id == person.id else (role.value if role else "")
        b.line("• ", project.name, " (", source, f") — {label}, {STATUS_LABELS[project.status]}")
    b.more(len(projects), MAX_ITEMS)
    return b.build()


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
    for project in hits[:MAX_ITEMS]:
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
    b.more(len(hits), MAX_ITEMS)
    return b.build()
