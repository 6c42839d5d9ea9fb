"""Archiving and restoring projects; deleting milestones and blockers, and undoing that.

An archived project is read-only (`bot.access.require_active` refuses every change), hidden from lists,
App Home and answers (`visible_projects`, `visible_condition`, `project_lines`), and gets no reminders:
archiving cancels its planned deliveries and restoring plans them again, in the same transaction.

Deleting a milestone or blocker is soft (`deleted_at`): the row keeps its number, so refs stay stable
and the Undo button restores it exactly. Deleted rows are hidden from every ORM query (`bot.models`);
undo reads them with `INCLUDE_DELETED`. A stale or repeated Undo changes nothing and says so.
Every change writes an audit entry the change feed turns into a post (docs/feed.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.access import Actor, can_see, is_lead, require_milestone_editor
from bot.domain.reminders import ReminderPolicy
from bot.errors import Forbidden, NotFound
from bot.models import INCLUDE_DELETED, Blocker, Milestone, Project
from bot.projects.blockers import find_blocker, require_blocker_editor
from bot.projects.milestones import find_milestone
from bot.projects.project import find_project, record_audit
from bot.reminders.planning import cancel_for_milestone, replan_milestone, replan_project

GONE = "That item no longer exists."


@dataclass(frozen=True)
class Restored:
    """What an Undo restored (`changed` False: it was restored already, a stale or double click)."""

    ref: str
    title: str
    project_key: str
    changed: bool
    affected: frozenset[str]


def _require_lead_or_admin(project: Project, actor: Actor, action: str) -> None:
    if actor.is_admin or is_lead(project, actor):
        return
    lead = project.lead.name if project.lead else "its lead"
    raise Forbidden(f"Only the lead of *{project.key}* ({lead}) or a Liaison admin can {action}.")


def _affected(project: Project) -> frozenset[str]:
    return frozenset(m.person.slack_id for m in project.memberships)


def set_archived(
    session: Session,
    actor: Actor,
    query: str,
    now: datetime,
    *,
    archived: bool,
    reminders: ReminderPolicy,
) -> tuple[Project, bool]:
    """Archive (or restore) a project: the lead or an admin. Returns (project, whether it changed).

    Archiving cancels every planned reminder and digest of the project; restoring plans them again.
    Archiving an archived project (or restoring an active one) changes nothing and writes nothing.

    Raises:
        NotFound: No such project the actor may see.
        Forbidden: The actor is neither its lead nor an admin.
    """
    project = find_project(session, actor, query)
    _require_lead_or_admin(project, actor, "archive it" if archived else "restore it")
    if (project.archived_at is not None) == archived:
        return project, False
    project.archived_at = now if archived else None
    action = "archive" if archived else "restore"
    record_audit(session, actor, action, "project", project.id, now, key=project.key, name=project.name)
    # Same transaction: an archived project has nothing planned once this commits; a restored one
    # has its reminders and digest back. `replan_milestone` cancels for archived projects.
    replan_project(session, project, now, defaults=reminders)
    return project, True


def delete_milestone(session: Session, actor: Actor, ref: str, now: datetime) -> Milestone:
    """Soft-delete a milestone (owner, lead or admin) and cancel its reminders.

    Raises:
        InvalidInput: Not a milestone id.
        NotFound: No such milestone (deleted already, or private to the actor).
        Forbidden: The actor may not, or the project is archived.
    """
    milestone = find_milestone(session, actor, ref)
    require_milestone_editor(milestone, actor, "delete it")
    milestone.deleted_at = now
    ref = f"{milestone.project.key}-{milestone.number}"
    record_audit(session, actor, "delete", "milestone", milestone.id, now, ref=ref, title=milestone.title)
    cancel_for_milestone(session, milestone.id, now, "milestone deleted")
    session.expire(milestone.project, ["milestones"])
    return milestone


def undo_milestone_delete(
    session: Session, actor: Actor, milestone_id: int, now: datetime, *, reminders: ReminderPolicy
) -> Restored:
    """Bring back a deleted milestone (its Undo button) and plan its reminders again.

    Raises:
        NotFound: No such milestone in the actor's workspace that they may see.
        Forbidden: The actor may not change it, or its project is archived.
    """
    milestone = session.scalars(
        select(Milestone).where(Milestone.id == milestone_id).execution_options(**{INCLUDE_DELETED: True})
    ).first()
    if milestone is None or milestone.project.workspace_id != actor.workspace_id:
        raise NotFound(GONE)
    if not can_see(milestone.project, actor):
        raise NotFound(GONE)
    require_milestone_editor(milestone, actor, "restore it")
    project = milestone.project
    ref = f"{project.key}-{milestone.number}"
    if milestone.deleted_at is None:
        return Restored(ref, milestone.title, project.key, False, frozenset())
    milestone.deleted_at = None
    record_audit(session, actor, "restore", "milestone", milestone.id, now, ref=ref, title=milestone.title)
    session.expire(project, ["milestones"])
    replan_milestone(session, milestone, now, defaults=reminders)
    return Restored(ref, milestone.title, project.key, True, _affected(project))


def delete_blocker(session: Session, actor: Actor, ref: str, now: datetime) -> Blocker:
    """Soft-delete a blocker (whoever raised it, the lead or an admin).

    Raises:
        InvalidInput: Not a blocker id.
        NotFound: No such blocker (deleted already, or private to the actor).
        Forbidden: The actor may not, or the project is archived.
    """
    blocker = find_blocker(session, actor, ref)
    require_blocker_editor(blocker, actor, "delete it")
    blocker.deleted_at = now
    ref = f"{blocker.project.key}-b{blocker.number}"
    record_audit(session, actor, "delete", "blocker", blocker.id, now, ref=ref)
    session.expire(blocker.project, ["blockers"])
    return blocker


def undo_blocker_delete(session: Session, actor: Actor, blocker_id: int, now: datetime) -> Restored:
    """Bring back a deleted blocker (its Undo button).

    Raises:
        NotFound: No such blocker in the actor's workspace that they may see.
        Forbidden: The actor may not change it, or its project is archived.
    """
    blocker = session.scalars(
        select(Blocker).where(Blocker.id == blocker_id).execution_options(**{INCLUDE_DELETED: True})
    ).first()
    if blocker is None or blocker.project.workspace_id != actor.workspace_id:
        raise NotFound(GONE)
    if not can_see(blocker.project, actor):
        raise NotFound(GONE)
    require_blocker_editor(blocker, actor, "restore it")
    project = blocker.project
    ref = f"{project.key}-b{blocker.number}"
    if blocker.deleted_at is None:
        return Restored(ref, blocker.text, project.key, False, frozenset())
    blocker.deleted_at = None
    record_audit(session, actor, "restore", "blocker", blocker.id, now, ref=ref)
    session.expire(project, ["blockers"])
    return Restored(ref, blocker.text, project.key, True, _affected(project))
