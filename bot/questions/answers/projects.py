"""Answers about projects as a whole: the status of named projects, and the list of visible ones."""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import and_, func, select

from bot.access import visible_projects
from bot.models import Blocker, Milestone, MilestoneStatus, Project, ProjectStatus, Role
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
from bot.questions.answers.lookups import find_named_project
from bot.questions.answers.people import ACTIVE_ASKED, status_asked
from bot.questions.interpret import Intent


def answer_status(request: AnswerRequest) -> Answer:
    """Answer "what is the status of …?" for up to three named projects.

    Args:
        request: The question.

    Returns:
        The answer.
    """
    b = AnswerBuilder(Intent.PROJECT_STATUS)
    for key in request.entities.projects[:3]:
        _status_of(b, find_named_project(request.session, request.actor, key), request.now)
    return b.build()


def _status_of(b: AnswerBuilder, project: Project, now: datetime) -> None:
    source = b.project(project)
    head: list[Segment] = [project.name, " (", source, f") is {STATUS_LABELS[project.status]}"]
    if project.lead is not None:
        head += [" · lead ", person_segment(project.lead)]
    b.line(*head)
    open_ms = sorted(
        (m for m in project.milestones if m.status == MilestoneStatus.OPEN), key=lambda m: m.due_at
    )
    upcoming = [m for m in open_ms if m.due_at >= now]
    late = [m for m in open_ms if m.due_at < now]
    if upcoming:
        b.line("Next: ", *b.milestone_segments(upcoming[0], now, with_project=False))
    else:
        b.line("No upcoming milestones.")
    if late:
        b.line(f"Overdue ({len(late)}):")
        for milestone in late[:MAX_ITEMS]:
            b.line("• ", *b.milestone_segments(milestone, now, with_project=False))
    else:
        b.line("Nothing overdue.")
    blockers = [x for x in project.blockers if x.resolved_at is None]
    if blockers:
        b.line(f"Open blockers ({len(blockers)}):")
        for blocker in blockers[:MAX_ITEMS]:
            b.line("• ", *b.blocker_segments(blocker))
    else:
        b.line("No open blockers.")


def answer_list_projects(request: AnswerRequest) -> Answer:
    """Answer "list all projects": the visible projects, with status and lead.

    Args:
        request: The question.

    Returns:
        The answer.
    """
    b = AnswerBuilder(Intent.LIST_PROJECTS)
    projects = visible_projects(request.session, request.actor)
    if not projects:
        b.line("There are no projects you can see yet.")
        return b.build()
    ranked = _RANKED_BY.search(request.interpretation.text)
    if ranked is not None:
        return _ranked(b, request, projects, ranked.group(1), ranked.group(2))
    status = status_asked(request.interpretation.text)
    if status is not None:
        # "which projects are on track?": those of that status, or that none is.
        label = STATUS_LABELS[status]
        projects = [p for p in projects if p.status == status]
        if not projects:
            b.line(f"No project you can see is {label}.")
            return b.build()
        verb = "is" if len(projects) == 1 else "are"
        b.line(f"{counted(len(projects), 'project')} you can see {verb} {label}:")
    elif ACTIVE_ASKED.search(request.interpretation.text):
        # "how many active projects?": those not done (archived ones are never listed here).
        projects = [p for p in projects if p.status != ProjectStatus.DONE]
        b.line(f"{counted(len(projects), 'active project')} you can see (not done):")
    else:
        b.line(f"{counted(len(projects), 'project')} you can see:")
    for project in b.page(projects, request.entities.skip):
        source = b.project(project)
        tail: list[Segment] = [f" — {STATUS_LABELS[project.status]}"]
        if project.lead is not None:
            tail += [", lead ", person_segment(project.lead)]
        b.line("• ", project.name, " (", source, ")", *tail)
    b.more(len(projects))
    return b.build()


# "which project has the most open milestones?", "… the fewest members?", "… the most blockers?".
_RANKED_BY = re.compile(
    r"\b(most|fewest|least|biggest|smallest|largest) (?:number of )?(?:open |remaining )?"
    r"(milestones|deadlines|deliverables|people|members|blockers|overdue(?: milestones)?)\b"
)
_WHAT_IS_COUNTED = {
    "milestones": "open milestone",
    "deadlines": "open milestone",
    "deliverables": "open milestone",
    "people": "member",
    "members": "member",
    "blockers": "open blocker",
    "overdue": "overdue milestone",
    "overdue milestones": "overdue milestone",
}


def _ranked(
    b: AnswerBuilder, request: AnswerRequest, projects: list[Project], order: str, what: str
) -> Answer:
    """The visible projects by a count, the first named ("Most open milestones: …"), then the rest."""
    noun = _WHAT_IS_COUNTED[what]
    ids = [p.id for p in projects]
    if noun == "member":
        counts = {p.id: sum(1 for m in p.memberships if m.role != Role.VIEWER) for p in projects}
    elif noun == "open blocker":
        counts = dict(
            request.session.execute(
                select(Blocker.project_id, func.count())
                .where(Blocker.project_id.in_(ids), Blocker.resolved_at.is_(None))
                .group_by(Blocker.project_id)
            ).all()
        )
    else:
        condition = Milestone.status == MilestoneStatus.OPEN
        if noun == "overdue milestone":
            condition = and_(condition, Milestone.due_at < request.now)
        counts = dict(
            request.session.execute(
                select(Milestone.project_id, func.count())
                .where(Milestone.project_id.in_(ids), condition)
                .group_by(Milestone.project_id)
            ).all()
        )
    fewest = order in ("fewest", "least", "smallest")
    ordered = sorted(projects, key=lambda p: (counts.get(p.id, 0) * (1 if fewest else -1), p.key))
    top = counts.get(ordered[0].id, 0)
    if not fewest and top == 0:
        b.line(f"No project you can see has any {noun}s.")
        return b.build()
    # Every project with the top count is named first ("pcm and uplift, 1 each").
    leaders = [p for p in ordered if counts.get(p.id, 0) == top]
    line: list[Segment] = [f"{'Fewest' if fewest else 'Most'} {noun}s: "]
    for n, project in enumerate(leaders[:MAX_ITEMS]):
        line += [", " if n else "", project.name, " (", b.project(project), ")"]
    line.append(f" with {top}{' each' if len(leaders) > 1 else ''}.")
    b.line(*line)
    for project in ordered[len(leaders) : MAX_ITEMS]:
        b.line(
            "• ", project.name, " (", b.project(project), f") — {counted(counts.get(project.id, 0), noun)}"
        )
    b.more(len(ordered), MAX_ITEMS)
    return b.build()
