"""An `/expert` search prepared from the database alone: who asks, the query, and who is left out.

Preparing needs no model, so a mistyped project is answered at once, before the model is waited for.

- **Query.** Free text as typed; or a project's name, description, open blockers and open milestones
  (by due date), in that order, as one text: the model reads at most 256 word pieces, and this order
  keeps what the project is about and what blocks it now ahead of later milestones.
- **Exclusions.** Never the asker. For a project, never anyone with a role on it (lead, member or
  viewer). Cross-disciplinary mode, the default for projects, also leaves out every discipline of its
  lead and members (viewers follow a project without working on it, so their discipline does not count
  as represented); ``/expert project KEY all-disciplines`` turns that off.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from bot.access import Actor
from bot.experts.expert_command import ExpertCommand, ExpertMode
from bot.experts.intros.views import MAX_SUBJECT
from bot.models import Membership, MilestoneStatus, Project
from bot.projects.people import working_disciplines
from bot.projects.project import find_project

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


@dataclass(frozen=True)
class ProjectQuery:
    """The project a search is about, as the reply shows it.

    Attributes:
        key: Its key.
        name: Its name.
        private: Whether it is private (the reply is only ever shown to the asker, who may see it).
        segments: Its description sentences, open blockers and open milestone titles: the texts a
            suggestion's "project text" is chosen from.
    """

    key: str
    name: str
    private: bool
    segments: tuple[str, ...]


@dataclass(frozen=True)
class PreparedSearch:
    """Everything a search needs from the database, gathered before the model is needed.

    Attributes:
        workspace_id: The asker's workspace.
        requester: The asker's Slack id.
        zone: The asker's time zone (for "can be asked again after …").
        subject: The free text, or the project's name.
        query_text: What is embedded.
        project: The project, for project searches.
        exclude_people: Slack ids never suggested (the asker; a project's people).
        exclude_disciplines: Disciplines left out (cross-disciplinary mode), as written on profiles.
        all_disciplines: The asker opted into the project's own disciplines.
    """

    workspace_id: int
    requester: str
    zone: ZoneInfo
    subject: str
    query_text: str
    project: ProjectQuery | None
    exclude_people: frozenset[str]
    exclude_disciplines: tuple[str, ...]
    all_disciplines: bool

    @property
    def cross_disciplinary(self) -> bool:
        """Whether disciplines already on the project are left out."""
        return self.project is not None and not self.all_disciplines


def project_segments(project: Project) -> list[str]:
    """A project's description sentences, then its open blockers, then its open milestones by due date."""
    sentences = [s.strip() for s in _SENTENCE_END.split(" ".join((project.description or "").split()))]
    blockers = [" ".join(b.text.split()) for b in project.blockers if b.resolved_at is None]
    milestones = sorted(
        (m for m in project.milestones if m.status == MilestoneStatus.OPEN),
        key=lambda m: (m.due_at, m.number),
    )
    segments = [*sentences, *blockers, *(" ".join(m.title.split()) for m in milestones)]
    return list(dict.fromkeys(s for s in segments if s))


def prepare_search(session: Session, actor: Actor, command: ExpertCommand) -> PreparedSearch:
    """Resolve a command into a search: query text, exclusions and (for a project) its texts.

    Args:
        session: An open session.
        actor: Who asks.
        command: A text or project command.

    Returns:
        The search.

    Raises:
        UserFacingError: An empty query, or a project that does not exist or is not visible to the
            asker (reported exactly like `/project status` reports it: private projects are never
            hinted at).
    """
    if command.mode is ExpertMode.HELP:
        raise ValueError("help is not a search")
    if command.mode is ExpertMode.TEXT:
        subject = command.query[:MAX_SUBJECT]
        return PreparedSearch(
            workspace_id=actor.workspace_id,
            requester=actor.slack_id,
            zone=actor.zone,
            subject=subject,
            query_text=subject,
            project=None,
            exclude_people=frozenset({actor.slack_id}),
            exclude_disciplines=(),
            all_disciplines=False,
        )
    found = find_project(session, actor, command.query)
    # find_project loads projects without their texts; read them in one round trip each.
    project = session.scalars(
        select(Project)
        .where(Project.id == found.id)
        .options(
            selectinload(Project.memberships).selectinload(Membership.person),
            selectinload(Project.milestones),
            selectinload(Project.blockers),
            selectinload(Project.lead),
        )
    ).one()
    people = {m.person.slack_id for m in project.memberships}
    if project.lead is not None:
        people.add(project.lead.slack_id)
    segments = project_segments(project)
    query_text = ". ".join(part.rstrip(".") for part in [project.name, *segments] if part) + "."
    return PreparedSearch(
        workspace_id=actor.workspace_id,
        requester=actor.slack_id,
        zone=actor.zone,
        subject=project.name,
        query_text=query_text,
        project=ProjectQuery(project.key, project.name, project.private, tuple(segments)),
        exclude_people=frozenset({actor.slack_id, *people}),
        exclude_disciplines=()
        if command.all_disciplines
        else tuple(sorted(working_disciplines(project), key=str.casefold)),
        all_disciplines=command.all_disciplines,
    )
