"""Project operations: find, list, report, create, edit, join, set status (leaving: `ownership`).

Every function takes the request's `session` (the caller commits) and the `Actor`; changes write an
audit entry in the same transaction. Errors meant for the user are `UserFacingError`s.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from functools import cache

from sqlalchemy import Select, func, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.interfaces import ORMOption

from bot.access import (
    Actor,
    Visibility,
    VisibleProject,
    bound_visible_condition,
    can_see,
    read_rows,
    require_active,
    require_editor,
    role_of,
    visibility_of,
    visibility_params,
    with_roles_and_lead,
)
from bot.agreements.joining import DECLINED_FOR, needs_approval, recently_declined, request_join
from bot.domain.matching import Candidate, MatchKind, match_name
from bot.errors import Ambiguous, Forbidden, InvalidInput, NotFound
from bot.models import (
    INCLUDE_DELETED,
    AuditEntry,
    Blocker,
    Membership,
    Milestone,
    MilestoneStatus,
    Person,
    Project,
    ProjectStatus,
    Role,
)
from bot.projects.people import is_slack_user_id, unknown_ids
from bot.projects.reports import ProjectLine, ProjectStatusReport, project_lines, status_report

PROJECT_KEY_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
CHANNEL_ID_RE = re.compile(r"^[CG][A-Z0-9]{2,}$")
MAX_NAME = 200
MAX_DESCRIPTION = 4000
STATUS_LABELS = {
    ProjectStatus.ON_TRACK: "on track",
    ProjectStatus.AT_RISK: "at risk",
    ProjectStatus.BLOCKED: "blocked",
    ProjectStatus.DONE: "done",
}


def record_audit(
    session: Session,
    actor: Actor,
    action: str,
    entity: str,
    entity_id: int | None,
    now: datetime,
    **detail: object,
) -> None:
    """Append an audit entry for a change made by `actor` (same transaction as the change)."""
    session.add(
        AuditEntry(
            workspace_id=actor.workspace_id,
            actor=actor.slack_id,
            action=action,
            entity=entity,
            entity_id=entity_id,
            detail=json.dumps(detail, default=str, sort_keys=True),
            at=now,
        )
    )


def next_number(session: Session, project: Project, numbered: type[Milestone] | type[Blocker]) -> int:
    """The next free number of a project's milestones or blockers, reserved until the caller commits.

    The project row is locked first, so that two requests adding to one project at once (on any
    instance) take turns instead of both reading the same maximum, where the second insert would
    break the unique (project, number) constraint and the user's change would be lost. PostgreSQL
    locks the row (`FOR UPDATE`); SQLite has no row locks, so a no-op update of the row takes the
    database's write lock, which it holds (waiting up to its busy timeout) until the commit.

    Args:
        session: The caller's transaction, which inserts the numbered row and commits.
        project: Its project.
        numbered: `Milestone` or `Blocker`.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(Project.id).where(Project.id == project.id).with_for_update())
    else:
        session.execute(
            update(Project)
            .where(Project.id == project.id)
            .values(id=Project.id)
            .execution_options(synchronize_session=False)
        )
    # Deleted rows keep their numbers (refs stay stable, Undo restores them): never reused.
    highest = session.scalar(
        select(func.max(numbered.number))
        .where(numbered.project_id == project.id)
        .execution_options(**{INCLUDE_DELETED: True})
    )
    return (highest or 0) + 1


def match_project(session: Session, actor: Actor, query: str) -> int:
    """The id of the project a key or (fuzzy) name names, among the projects the actor may see.

    Names are matched on the keys and names alone: those read with the actor (`Actor.visible_projects`),
    else read here (one query, loading nothing else).

    Args:
        session: The request's session.
        actor: Who is asking.
        query: A key or name, as typed.

    Raises:
        InvalidInput: Empty query.
        Ambiguous: Several projects fit; `alternatives` lists them for "did you mean" buttons.
        NotFound: Nothing fits; `alternatives` may hold near misses.
    """
    query = query.strip()
    if not query:
        raise InvalidInput("Which project? Give its key or name, e.g. `bidshade` or `bid shading`.")
    candidates: Sequence[VisibleProject] | None = actor.visible_projects
    if candidates is None:
        rows = read_rows(session, _candidates_statement(visibility_of(actor)), visibility_params(actor))
        candidates = [VisibleProject(row.id, row.key, row.name, row.status) for row in rows]
    match = match_name(query, [Candidate(c.key, c.name) for c in candidates])
    if match.kind in (MatchKind.EXACT, MatchKind.CONFIDENT) and match.best is not None:
        return next(c.id for c in candidates if c.key == match.best.key)
    if match.kind == MatchKind.AMBIGUOUS:
        raise Ambiguous(f"More than one project matches “{query}”. Did you mean:", match.alternatives, query)
    raise NotFound(
        f"No project matches “{query}”." + (" Did you mean:" if match.alternatives else ""),
        match.alternatives,
        query,
    )


@cache
def _candidates_statement(visibility: Visibility) -> Select[int, str, str, ProjectStatus]:
    # Built once per process, run with the actor's ids bound (`visibility_params`).
    return (
        select(Project.id, Project.key, Project.name, Project.status)
        .where(bound_visible_condition(visibility))
        .order_by(Project.key)
    )


def find_project(session: Session, actor: Actor, query: str, *, load: Sequence[ORMOption] = ()) -> Project:
    """Resolve a key or (fuzzy) name among the projects the actor may see (`match_project`).

    Only the project found is loaded, with its memberships and lead (`with_roles_and_lead`, as
    `visible_projects` loads them) and whatever `load` adds.

    Args:
        session: The request's session.
        actor: Who is asking.
        query: A key or name, as typed.
        load: Further loader options for the project found (its milestones, say), so that the caller's
            reads do not each lazy-load.

    Raises:
        InvalidInput: Empty query.
        Ambiguous: Several projects fit; `alternatives` lists them for "did you mean" buttons.
        NotFound: Nothing fits; `alternatives` may hold near misses.
    """
    project_id = match_project(session, actor, query)
    return session.scalars(
        select(Project).where(Project.id == project_id).options(*with_roles_and_lead(), *load)
    ).one()


def project_status(session: Session, actor: Actor, query: str, now: datetime) -> ProjectStatusReport:
    """Status, lead, members, next three milestones, overdue ones and open blockers."""
    return status_report(session, actor, match_project(session, actor, query), now)


def list_projects(
    session: Session, actor: Actor, *, mine: bool, archived: bool | None = False
) -> list[ProjectLine]:
    """Projects the actor may see; with `mine`, only those they have a role on.

    `archived`: False leaves archived projects out (the default), True lists only them, None both.
    """
    return project_lines(session, actor, mine=mine, archived=archived)


@dataclass(frozen=True)
class ProjectDraft:
    """What the create/edit modal submits, validated by `validate_draft`."""

    key: str
    name: str
    description: str
    status: ProjectStatus
    channel_id: str | None
    private: bool
    lead_slack_id: str
    member_slack_ids: tuple[str, ...]


def validate_draft(draft: ProjectDraft) -> dict[str, str]:
    """Field-level problems of a draft, keyed by field name (empty when valid).

    People are checked for their shape only (a Slack user id); whether Liaison knows them needs the
    database (`draft_people_problems`).
    """
    problems: dict[str, str] = {}
    if not PROJECT_KEY_RE.match(draft.key):
        problems["key"] = "Use 1–40 lowercase letters, digits or _, starting with a letter (e.g. `bidshade`)."
    if not draft.name.strip():
        problems["name"] = "Give the project a name."
    elif len(draft.name) > MAX_NAME:
        problems["name"] = f"At most {MAX_NAME} characters."
    if len(draft.description) > MAX_DESCRIPTION:
        problems["description"] = f"At most {MAX_DESCRIPTION} characters (this has {len(draft.description)})."
    if draft.channel_id is not None and not CHANNEL_ID_RE.match(draft.channel_id):
        problems["channel"] = "Pick a channel."
    if not draft.lead_slack_id:
        problems["lead"] = "Pick a lead."
    elif not is_slack_user_id(draft.lead_slack_id):
        problems["lead"] = "Pick the lead from the list of people."
    if any(not is_slack_user_id(member) for member in draft.member_slack_ids):
        problems["members"] = "Pick the members from the list of people."
    return problems


def draft_people_problems(
    session: Session, actor: Actor, draft: ProjectDraft, project: Project | None
) -> dict[str, str]:
    """Problems with the people of a (shape-checked) draft, keyed by field ("lead", "members").

    Everyone named must be in the workspace's directory (the actor may name themselves: Slack vouches
    for them); and a member the draft drops from `project` must not own open milestones there, which
    would otherwise keep reminding someone about a project they may no longer see.

    Args:
        session: The request's session.
        actor: Who submits the draft.
        draft: The draft, valid by `validate_draft`.
        project: The project being edited; None for a new one.
    """
    if project is not None:
        draft = _keeping_the_previous_lead(project, draft)
    problems: dict[str, str] = {}
    unknown = [
        s
        for s in unknown_ids(session, actor.workspace_id, [draft.lead_slack_id, *draft.member_slack_ids])
        if s != actor.slack_id
    ]
    note = "People are added when they first use Liaison (any command) or by an import."
    if draft.lead_slack_id in unknown:
        problems["lead"] = f"{draft.lead_slack_id} is not in Liaison's directory yet. {note}"
    members = [s for s in unknown if s != draft.lead_slack_id]
    if members:
        shown = ", ".join(members[:3]) + (f" and {len(members) - 3} more" if len(members) > 3 else "")
        verb = "are" if len(members) > 1 else "is"
        problems["members"] = f"{shown} {verb} not in Liaison's directory yet. {note}"
    if project is not None:
        kept = {draft.lead_slack_id, *draft.member_slack_ids}
        owners = []
        for membership in project.memberships:
            person = membership.person
            if person.slack_id in kept or membership.role == Role.VIEWER:
                continue
            owned = sorted(
                (
                    m
                    for m in project.milestones
                    if m.owner_id == person.id and m.status == MilestoneStatus.OPEN
                ),
                key=lambda m: m.number,
            )
            if owned:
                refs = ", ".join(f"{project.key}-{m.number}" for m in owned[:5])
                owners.append(f"{person.name} owns {refs}")
        if owners:
            handover = (
                "; ".join(owners) + ". Keep them on the project, or hand their milestones over first "
                "(`/milestone assign ID @someone`, or "
                f"`/project remove @person {project.key} --to @someone`)."
            )
            problems["members"] = " ".join(p for p in (problems.get("members"), handover) if p)
    return problems


def _person(session: Session, actor: Actor, slack_id: str, *, create: bool = False) -> Person:
    person = session.scalars(
        select(Person).where(Person.workspace_id == actor.workspace_id, Person.slack_id == slack_id)
    ).first()
    if person is None:
        if not create or not is_slack_user_id(slack_id):
            raise NotFound(f"{slack_id[:40]} is not in Liaison's directory yet.")
        # Only the requester is ever added this way (Slack vouches for them); their profile can be
        # filled in later.
        person = Person(workspace_id=actor.workspace_id, slack_id=slack_id, name=slack_id)
        session.add(person)
        session.flush()
    return person


def person_for(session: Session, actor: Actor) -> Person:
    """The actor's person record, created on first need (Slack users may be new to Liaison)."""
    if actor.person_id is not None:
        # `act_as` found it already: by primary key, from the session's identity map if loaded.
        person = session.get(Person, actor.person_id)
        if person is not None:
            return person
    return _person(session, actor, actor.slack_id, create=True)


def _apply_draft(session: Session, actor: Actor, project: Project, draft: ProjectDraft) -> None:
    project.name = draft.name.strip()
    project.description = draft.description.strip()
    project.status = draft.status
    project.channel_id = draft.channel_id
    project.private = draft.private
    # Only people in the directory (`draft_people_problems`), and the actor, who is added if new.
    lead = _person(session, actor, draft.lead_slack_id, create=draft.lead_slack_id == actor.slack_id)
    project.lead_id = lead.id
    project.lead = lead
    # A member picked twice (a forged form) is one membership.
    wanted = list(dict.fromkeys([draft.lead_slack_id, *draft.member_slack_ids]))
    existing = {m.person.slack_id: m for m in project.memberships}
    for position, slack_id in enumerate(wanted):
        role = Role.LEAD if slack_id == draft.lead_slack_id else Role.MEMBER
        membership = existing.pop(slack_id, None)
        if membership is None:
            person = (
                lead
                if slack_id == draft.lead_slack_id
                else _person(session, actor, slack_id, create=slack_id == actor.slack_id)
            )
            project.memberships.append(Membership(person=person, role=role, position=position))
        else:
            membership.role = role if membership.role != Role.VIEWER or role == Role.LEAD else Role.VIEWER
            membership.position = position
    for membership in existing.values():
        if membership.role != Role.VIEWER:
            project.memberships.remove(membership)


def _raise_problems(problems: dict[str, str]) -> None:
    if problems:
        raise InvalidInput(" ".join(problems.values()))


def free_key(session: Session, workspace_id: int, key: str) -> str:
    """A key like `key` that no project of the workspace has (`key_2`, `key_3`, …)."""
    taken = set(session.scalars(select(Project.key).where(Project.workspace_id == workspace_id)))
    number = 2
    while True:
        suffix = f"_{number}"
        candidate = key[: 40 - len(suffix)] + suffix
        if candidate not in taken:
            return candidate
        number += 1


def create_project(session: Session, actor: Actor, draft: ProjectDraft, now: datetime) -> Project:
    """Create a project from a validated draft; its creator is always on it (as a member at least).

    Raises:
        InvalidInput: A problem with the draft; or the key is taken, which is said the same way
            whether or not the actor may see the project that has it (a free key is suggested).
    """
    _raise_problems(validate_draft(draft))
    taken = session.scalars(
        select(Project.id).where(Project.workspace_id == actor.workspace_id, Project.key == draft.key)
    ).first()
    if taken is not None:
        # Never "taken by …", and never different for a private project: keys of private projects
        # are not revealed to people who may not see them.
        suggestion = free_key(session, actor.workspace_id, draft.key)
        raise InvalidInput(
            f"The key `{draft.key}` is not available; `{suggestion}` is free, or choose another."
        )
    _raise_problems(draft_people_problems(session, actor, draft, None))
    person_for(session, actor)
    if actor.slack_id != draft.lead_slack_id and actor.slack_id not in draft.member_slack_ids:
        # A project its creator cannot see would vanish for them (a private one, at once).
        draft = replace(draft, member_slack_ids=(*draft.member_slack_ids, actor.slack_id))
    project = Project(
        workspace_id=actor.workspace_id,
        key=draft.key,
        name="",
        description="",
        status=draft.status,
        private=draft.private,
    )
    session.add(project)
    _apply_draft(session, actor, project, draft)
    session.flush()
    record_audit(session, actor, "create", "project", project.id, now, key=project.key, name=project.name)
    return project


def _snapshot(project: Project) -> tuple[object, ...]:
    members = sorted((m.person_id, m.role.value, m.position) for m in project.memberships)
    return (
        project.name,
        project.description,
        project.status,
        project.channel_id,
        project.private,
        project.lead_id,
        tuple(members),
    )


def edit_project(
    session: Session, actor: Actor, key: str, draft: ProjectDraft, now: datetime
) -> tuple[Project, bool]:
    """Apply an edit modal's draft to the project `key` (lead or admin only).

    Returns:
        The project, and whether anything changed (a form saved as it was writes no audit entry).

    Raises:
        NotFound: No such project the actor may see.
        Forbidden: The actor is neither its lead nor an admin.
        InvalidInput: A problem with the draft (`validate_draft`, `draft_people_problems`).
    """
    _raise_problems(validate_draft(draft))
    project = session.scalars(
        select(Project).where(Project.workspace_id == actor.workspace_id, Project.key == key)
    ).first()
    if project is None or not can_see(project, actor):
        raise NotFound(f"No project `{key}`.")
    require_editor(project, actor, "edit it")
    draft = _keeping_the_previous_lead(project, draft)
    _raise_problems(draft_people_problems(session, actor, draft, project))
    before = {"name": project.name, "status": project.status.value, "private": project.private}
    members_before = {m.person.slack_id for m in project.memberships}
    lead_before = project.lead.slack_id if project.lead is not None else None
    snapshot = _snapshot(project)
    _apply_draft(session, actor, project, draft)
    session.flush()
    if _snapshot(project) == snapshot:
        return project, False
    members_after = {m.person.slack_id for m in project.memberships}
    after = {"name": project.name, "status": project.status.value, "private": project.private}
    record_audit(
        session,
        actor,
        "edit",
        "project",
        project.id,
        now,
        key=key,
        before=before,
        after=after,
        added=sorted(members_after - members_before),
        removed=sorted(members_before - members_after),
        # A new lead is told to the channel with whom they replace (the feed's "made … the lead").
        **(
            {"lead_before": lead_before, "lead_after": project.lead.slack_id}
            if project.lead is not None and project.lead.slack_id != lead_before
            else {}
        ),
    )
    return project, True


def _keeping_the_previous_lead(project: Project, draft: ProjectDraft) -> ProjectDraft:
    """The draft with a lead it hands over kept on as a member.

    The edit form lists the members besides the lead, so a form that names a new lead says nothing
    about the old one: handing over the lead is not taking them off the project (`/project remove`
    does that, and tells them).
    """
    previous = project.lead.slack_id if project.lead is not None else None
    if previous is None or previous == draft.lead_slack_id or previous in draft.member_slack_ids:
        return draft
    return replace(draft, member_slack_ids=(*draft.member_slack_ids, previous))


def project_for_edit(session: Session, actor: Actor, query: str) -> Project:
    """The project to prefill an edit modal with, after the permission check."""
    project = find_project(session, actor, query)
    require_editor(project, actor, "edit it")
    return project


def join_project(session: Session, actor: Actor, query: str, now: datetime) -> tuple[Project, bool]:
    """Join a public project as a member; returns (project, whether anything changed)."""
    project = find_project(session, actor, query)
    require_active(project)
    if role_of(project, actor) is not None:
        return project, False
    if project.private and not actor.is_admin:
        raise Forbidden(f"*{project.key}* is private: ask its lead to add you.")
    person = person_for(session, actor)
    # Data its agreements restrict to other organisations: the lead approves (bot.agreements.joining);
    # the caller finds the pending request (`pending_request`) and tells the requester why.
    if not actor.is_admin and needs_approval(session, project, person, now):
        declined = recently_declined(session, project.id, person.id, now)
        if declined is not None:
            # Asking again at once would put the same question to the lead again.
            raise Forbidden(
                f"Your request to join *{project.key}* was declined less than {DECLINED_FOR.days} days ago; "
                "talk to its lead before asking again."
            )
        request_join(session, project, person, now)
        return project, False
    position = max((m.position for m in project.memberships), default=-1) + 1
    project.memberships.append(Membership(person=person, role=Role.MEMBER, position=position))
    record_audit(session, actor, "join", "project", project.id, now, key=project.key)
    return project, True


def parse_status(text: str) -> ProjectStatus:
    """Parse a status word ("on track", "at-risk", "blocked", "done").

    Raises:
        InvalidInput: Unknown status, listing the valid ones.
    """
    normalised = re.sub(r"[\s\-]+", "_", text.strip().lower())
    try:
        return ProjectStatus(normalised)
    except ValueError:
        raise InvalidInput(
            f"“{text}” is not a status. Use one of: " + ", ".join(f"`{s.value}`" for s in ProjectStatus) + "."
        ) from None


def set_project_status(
    session: Session, actor: Actor, query: str, status: ProjectStatus, now: datetime
) -> tuple[Project, ProjectStatus]:
    """Change a project's status (lead or admin); returns the project and its previous status.

    Setting the status it already has changes nothing (no audit entry): the caller compares the two.
    """
    project = find_project(session, actor, query)
    require_editor(project, actor, "change its status")
    previous = project.status
    if previous == status:
        return project, previous
    project.status = status
    record_audit(
        session,
        actor,
        "set_status",
        "project",
        project.id,
        now,
        key=project.key,
        before=previous.value,
        after=status.value,
    )
    return project, previous


def affected_users(project: Project) -> set[str]:
    """Slack ids whose App Home shows this project (members of any role)."""
    return {m.person.slack_id for m in project.memberships}
