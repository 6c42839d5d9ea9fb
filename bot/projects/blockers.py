"""Blocker operations: raise, list, resolve. Blockers are referred to as `KEY-bNUMBER`."""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.access import Actor, can_see, is_lead, require_active, role_of
from bot.errors import Forbidden, InvalidInput, NotFound
from bot.models import Blocker, Project
from bot.projects.project import find_project, match_project, next_number, person_for, record_audit
from bot.projects.reports import BlockerLine, open_blockers

BLOCKER_REF_RE = re.compile(r"^([a-z][a-z0-9_]{0,39})-b(\d{1,6})$")
MAX_BLOCKER_TEXT = 2000


def add_blocker(session: Session, actor: Actor, project_query: str, text: str, now: datetime) -> Blocker:
    """Raise a blocker on a project the actor is on (or any, for admins)."""
    project = find_project(session, actor, project_query)
    require_active(project)
    if role_of(project, actor) is None and not actor.is_admin:
        raise Forbidden(
            f"Only members of *{project.key}* can raise blockers on it "
            f"(join with `/project join {project.key}`)."
        )
    text = " ".join(text.split())
    if not text:
        raise InvalidInput("Describe the blocker: `/blocker add PROJECT what is blocking`.")
    if len(text) > MAX_BLOCKER_TEXT:
        raise InvalidInput(f"Blockers have at most {MAX_BLOCKER_TEXT} characters (this has {len(text)}).")
    number = next_number(session, project, Blocker)
    # Always attribute the blocker to a person (an admin may not be in the directory yet), so that an
    # export of the workspace names who raised it and re-imports.
    raiser = person_for(session, actor)
    blocker = Blocker(project=project, number=number, text=text, raised_by_id=raiser.id, raised_at=now)
    session.add(blocker)
    session.flush()
    record_audit(session, actor, "add", "blocker", blocker.id, now, project=project.key, number=number)
    return blocker


def list_blockers(session: Session, actor: Actor, project_query: str | None) -> list[BlockerLine]:
    """Open blockers of one project, or of every project the actor may see (by project key, number)."""
    project_id = match_project(session, actor, project_query) if project_query else None
    return open_blockers(session, actor, project_id)


def find_blocker(session: Session, actor: Actor, ref: str) -> Blocker:
    """Resolve `KEY-bNUMBER` among the (not deleted) blockers of projects the actor may see.

    Raises:
        InvalidInput: Not of the form KEY-bNUMBER.
        NotFound: No such blocker (or its project is private to the actor).
    """
    match = BLOCKER_REF_RE.match(ref.strip().lower())
    if match is None:
        raise InvalidInput(
            f"“{ref}” is not a blocker id. Ids look like `pcm-b1`; see them with `/blocker list`."
        )
    blocker = session.scalars(
        select(Blocker)
        .join(Project)
        .where(
            Project.workspace_id == actor.workspace_id,
            Project.key == match.group(1),
            Blocker.number == int(match.group(2)),
        )
    ).first()
    if blocker is None or not can_see(blocker.project, actor):
        raise NotFound(f"No blocker `{ref.strip()}`.")
    return blocker


def require_blocker_editor(blocker: Blocker, actor: Actor, action: str) -> None:
    """Allow whoever raised the blocker, the project lead or an admin, on a project not archived.

    Raises:
        Forbidden: The project is archived, or the actor may not.
    """
    require_active(blocker.project)
    raised_by_actor = actor.person_id is not None and blocker.raised_by_id == actor.person_id
    if not (raised_by_actor or actor.is_admin or is_lead(blocker.project, actor)):
        raise Forbidden(f"Only whoever raised a blocker, the project lead or an admin can {action}.")


def resolve_blocker(session: Session, actor: Actor, ref: str, now: datetime) -> tuple[Blocker, bool]:
    """Resolve a blocker (who raised it, the lead, or an admin). Returns (blocker, whether it changed)."""
    blocker = find_blocker(session, actor, ref)
    require_blocker_editor(blocker, actor, "resolve it")
    if blocker.resolved_at is not None:
        return blocker, False
    blocker.resolved_at = now
    blocker.resolved_by_id = actor.person_id
    record_audit(session, actor, "resolve", "blocker", blocker.id, now, ref=ref)
    return blocker, True
