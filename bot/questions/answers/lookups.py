"""Looking up what a question is about, always through `bot.access`.

Private projects are filtered in SQL (`visible_condition`), never after the fact, so a project the
asker may not see never reaches an answer: not by name, not by count.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.orm import Session, selectinload

from bot.access import Actor, visible_condition, with_roles_and_lead
from bot.models import Membership, Milestone, MilestoneStatus, Person, Project
from bot.projects.project import find_project
from bot.questions.answers.core import Answer, AnswerRequest
from bot.questions.interpret import Intent


def open_milestones(
    session: Session,
    projects: Sequence[Project] | Select[Any],
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    owner_id: int | None = None,
    done_too: bool = False,
) -> list[Milestone]:
    """Open milestones of `projects` (a list, or a query of project ids), by due time.

    Args:
        session: The request's session.
        projects: Projects already vetted for the asker, or a query of visible project ids.
        start: Only those due at or after this instant.
        end: Only those due before this instant.
        owner_id: Only those this person owns.
        done_too: The done ones as well ("what was due last week").

    Returns:
        The milestones, with project and owner loaded.
    """
    ids = projects if isinstance(projects, Select) else [p.id for p in projects]
    if isinstance(ids, list) and not ids:
        return []
    query = (
        select(Milestone)
        .where(Milestone.project_id.in_(ids))
        .options(selectinload(Milestone.project), selectinload(Milestone.owner))
        .order_by(Milestone.due_at, Milestone.project_id, Milestone.number)
    )
    if not done_too:
        query = query.where(Milestone.status == MilestoneStatus.OPEN)
    if start is not None:
        query = query.where(Milestone.due_at >= start)
    if end is not None:
        query = query.where(Milestone.due_at < end)
    if owner_id is not None:
        query = query.where(Milestone.owner_id == owner_id)
    return list(session.scalars(query))


def projects_where(session: Session, actor: Actor, *conditions: ColumnElement[bool]) -> list[Project]:
    """Visible projects meeting `conditions`, by key (filtered in SQL, not in Python).

    Args:
        session: The request's session.
        actor: The asker.
        *conditions: Further SQL conditions on `Project`.

    Returns:
        The projects.
    """
    query = select(Project).where(visible_condition(actor), *conditions).order_by(Project.key)
    return list(session.scalars(query))


def projects_of(session: Session, actor: Actor, person_id: int | None) -> list[Project]:
    """Visible projects the person has any role on.

    Args:
        session: The request's session.
        actor: The asker.
        person_id: The person (None: not in the directory, so no projects).

    Returns:
        The projects, by key.
    """
    if person_id is None:
        return []
    member_of = select(Membership.project_id).where(Membership.person_id == person_id)
    return projects_where(session, actor, Project.id.in_(member_of))


def visible_project_ids(actor: Actor) -> Select[Any]:
    """A query of the ids of every project the actor may see (to use as a subquery)."""
    return select(Project.id).where(visible_condition(actor))


def find_person(session: Session, actor: Actor, slack_id: str) -> Person | None:
    """The person with this Slack id in the asker's workspace, if any."""
    return session.scalars(
        select(Person).where(Person.workspace_id == actor.workspace_id, Person.slack_id == slack_id)
    ).first()


def subject_person(request: AnswerRequest) -> tuple[Person | None, bool]:
    """The person a question is about (first mention or name), else the asker.

    Args:
        request: The question.

    Returns:
        The person (None when not in the directory) and whether it is the asker.
    """
    if request.entities.people:
        person = find_person(request.session, request.actor, request.entities.people[0])
        return person, person is not None and person.id == request.actor.person_id
    if request.actor.person_id is None:
        return None, True
    return request.session.get(Person, request.actor.person_id), True


def find_named_project(session: Session, actor: Actor, key: str) -> Project:
    """A project the interpreter named by its key, with its memberships and lead loaded.

    The key comes from the asker's directory, so one indexed lookup finds it; `find_project`'s fuzzy
    matching over every visible project (15 ms on a workspace of 1,000) is the fallback, for a key
    that is no longer visible, with its near misses.

    Raises:
        NotFound: The project is not visible to the asker (see `find_project`).
    """
    project = session.scalars(
        select(Project).where(visible_condition(actor), Project.key == key).options(*with_roles_and_lead())
    ).first()
    return project if project is not None else find_project(session, actor, key)


def named_projects(request: AnswerRequest) -> tuple[list[Project], str]:
    """The projects a question names (or its channel implies), and "on NAME" for the answer.

    Args:
        request: The question.

    Returns:
        The projects and the phrase.

    Raises:
        NotFound: A named project is not visible to the asker (see `find_project`).
    """
    projects = [find_named_project(request.session, request.actor, key) for key in request.entities.projects]
    return projects, "on " + ", ".join(p.name for p in projects)


def not_in_directory(intent: Intent, is_me: bool) -> Answer:
    """The answer about someone Liaison does not know (the asker, or someone named).

    Args:
        intent: What was asked.
        is_me: Whether the unknown person is the asker.

    Returns:
        The answer.
    """
    text = (
        "You are not in Liaison's directory yet, so nothing is assigned to you."
        if is_me
        else "I don't know that person."
    )
    return Answer(intent, ((text,),))
