"""Who owns what: handing milestones over, and leaving or being removed from a project.

A person leaves a project (`leave_project`) or is taken off it by its lead or an admin
(`remove_member`) only once their open milestones there have a new owner: otherwise reminders would
keep reaching someone who may no longer see the project, with buttons that fail for them. Without a
new owner nothing changes and the caller is told which milestones need one (`Departure.pending`), and
whom to suggest (the lead); with one (`to`), the milestones are handed over, the membership ends and
the reminders are replanned for the new owner, all in the caller's transaction. `assign_milestone`
hands over one milestone (`/milestone assign`). Every change is audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from bot.access import Actor, require_active, require_editor, require_milestone_editor
from bot.domain.reminders import ReminderPolicy
from bot.errors import Forbidden, InvalidInput
from bot.models import Milestone, MilestoneStatus, Person, Project, Role
from bot.projects.milestones import find_milestone
from bot.projects.people import resolve_person
from bot.projects.project import find_project, record_audit
from bot.projects.reports import MilestoneLine, PersonRef, milestone_line, milestone_ref, person_ref
from bot.reminders.planning import plan_recurring, replan_milestone

# Who may own a project's milestones: its lead and members (viewers only look).
OWNER_ROLES = (Role.LEAD, Role.MEMBER)


@dataclass(frozen=True)
class Departure:
    """What leaving (or being removed from) a project did, or what it needs first.

    Attributes:
        project_key: The project.
        project_name: Its name.
        person: Who leaves or is removed.
        lead: The project's lead (told about it; the suggested new owner).
        changed: They were on the project and no longer are.
        handed: Their open milestones there, now owned by `to`.
        to: The new owner of `handed`.
        to_timezone: The new owner's time zone, if known (to show due times on their clock).
        pending: Their open milestones, when no new owner was named: nothing changed.
        affected: Slack ids whose App Home shows the change.
        by: Who did it.
    """

    project_key: str
    project_name: str
    person: PersonRef
    lead: PersonRef | None
    changed: bool
    handed: tuple[MilestoneLine, ...] = ()
    to: PersonRef | None = None
    to_timezone: str | None = None
    pending: tuple[MilestoneLine, ...] = ()
    affected: frozenset[str] = frozenset()
    by: PersonRef | None = None


@dataclass(frozen=True)
class Assignment:
    """A milestone handed to a new owner (`changed` is False when they owned it already)."""

    milestone: MilestoneLine
    previous: PersonRef | None
    owner: PersonRef
    owner_timezone: str | None
    changed: bool
    affected: frozenset[str]
    by: PersonRef


def _by(session: Session, actor: Actor) -> PersonRef:
    person = session.get(Person, actor.person_id) if actor.person_id is not None else None
    return PersonRef(actor.slack_id, person.name if person is not None else actor.slack_id)


def assign_milestone(
    session: Session,
    actor: Actor,
    ref: str,
    person_text: str,
    now: datetime,
    *,
    reminders: ReminderPolicy | None = None,
) -> Assignment:
    """Give a milestone to another member of its project (its owner, the lead or an admin may).

    Its pending reminders follow the new owner (replanned in the same transaction).

    Args:
        session: The request's session (the caller commits).
        actor: Who hands it over.
        ref: The milestone, `KEY-NUMBER`.
        person_text: The new owner: a mention, a Slack id or a name.
        now: The current instant.
        reminders: The settings' reminder defaults.

    Raises:
        NotFound: No such milestone or person.
        Forbidden: The actor may not change the milestone.
        InvalidInput: The milestone is done, or the new owner is not a member of the project.
    """
    milestone = find_milestone(session, actor, ref)
    require_milestone_editor(milestone, actor, "hand it over")
    project = milestone.project
    if milestone.status != MilestoneStatus.OPEN:
        raise InvalidInput(
            f"`{milestone_ref(milestone)}` is done already; only open milestones are handed over."
        )
    owner = _new_owner(session, actor, project, person_text, leaving=None)
    previous = person_ref(milestone.owner)
    changed = milestone.owner_id != owner.id
    if changed:
        _reassign(session, actor, milestone, owner, now, reminders=reminders)
        plan_recurring(
            session, now, defaults=reminders or ReminderPolicy(), workspace_ids=[project.workspace_id]
        )
    affected = {m.person.slack_id for m in project.memberships}
    return Assignment(
        milestone=milestone_line(milestone, now),
        previous=previous,
        owner=PersonRef(owner.slack_id, owner.name),
        owner_timezone=owner.timezone,
        changed=changed,
        affected=frozenset(affected | ({previous.slack_id} if previous else set()))
        if changed
        else frozenset(),
        by=_by(session, actor),
    )


def leave_project(
    session: Session,
    actor: Actor,
    query: str,
    now: datetime,
    *,
    to: str | None = None,
    reminders: ReminderPolicy | None = None,
) -> Departure:
    """Leave a project. The lead must hand the project over first; open milestones need a new owner.

    Args:
        session: The request's session (the caller commits).
        actor: Who leaves.
        query: The project's key or name.
        now: The current instant.
        to: The new owner of the actor's open milestones on the project (a mention, id or name); when
            None and there are some, nothing changes and `Departure.pending` lists them.
        reminders: The settings' reminder defaults.

    Raises:
        NotFound: No such project (or person named in `to`).
        Forbidden: The actor leads the project.
        InvalidInput: `to` names someone who is not a member, or the actor.
    """
    project = find_project(session, actor, query)
    require_active(project)
    person = session.get(Person, actor.person_id) if actor.person_id is not None else None
    if person is None:
        return Departure(project.key, project.name, PersonRef(actor.slack_id, actor.slack_id), None, False)
    return _depart(session, actor, project, person, now, to=to, reminders=reminders, action="leave")


def remove_member(
    session: Session,
    actor: Actor,
    person_text: str,
    query: str,
    now: datetime,
    *,
    to: str | None = None,
    reminders: ReminderPolicy | None = None,
) -> Departure:
    """Take someone off a project (its lead or an admin); the rule for open milestones is `leave_project`'s.

    Raises:
        NotFound: No such project or person.
        Forbidden: The actor is neither the lead nor an admin, or the person leads the project.
        InvalidInput: `to` names someone who is not a member, or the person removed.
    """
    project = find_project(session, actor, query)
    require_editor(project, actor, "remove people from it")
    person = resolve_person(session, actor, person_text)
    return _depart(session, actor, project, person, now, to=to, reminders=reminders, action="remove")


def _depart(
    session: Session,
    actor: Actor,
    project: Project,
    person: Person,
    now: datetime,
    *,
    to: str | None,
    reminders: ReminderPolicy | None,
    action: str,
) -> Departure:
    lead = person_ref(project.lead)
    who = PersonRef(person.slack_id, person.name)
    membership = next((m for m in project.memberships if m.person_id == person.id), None)
    if membership is None:
        return Departure(project.key, project.name, who, lead, False)
    if membership.role == Role.LEAD or project.lead_id == person.id:
        edit = f"`/project edit {project.key}`"
        if person.id == actor.person_id:
            raise Forbidden(f"You lead *{project.key}*: make someone else lead ({edit}) before leaving.")
        raise Forbidden(f"{person.name} leads *{project.key}*: make someone else lead ({edit}) first.")
    owned = sorted(
        (m for m in project.milestones if m.owner_id == person.id and m.status == MilestoneStatus.OPEN),
        key=lambda m: (m.due_at, m.number),
    )
    if owned and to is None:
        pending = tuple(milestone_line(m, now) for m in owned)
        return Departure(project.key, project.name, who, lead, False, pending=pending)
    affected = frozenset(m.person.slack_id for m in project.memberships)
    new_owner = _new_owner(session, actor, project, to, leaving=person) if owned and to is not None else None
    for milestone in owned:
        assert new_owner is not None
        _reassign(session, actor, milestone, new_owner, now, reminders=reminders, part_of=action)
    project.memberships.remove(membership)
    record_audit(
        session,
        actor,
        action,
        "project",
        project.id,
        now,
        key=project.key,
        person=person.slack_id,
        handed=[milestone_ref(m) for m in owned],
        to=new_owner.slack_id if new_owner is not None else None,
    )
    session.flush()
    # The leaver's daily "waiting on you" DM stops if they own nothing else; the new owner's starts.
    plan_recurring(session, now, defaults=reminders or ReminderPolicy(), workspace_ids=[project.workspace_id])
    return Departure(
        project.key,
        project.name,
        who,
        lead,
        True,
        handed=tuple(milestone_line(m, now) for m in owned),
        to=person_ref(new_owner),
        to_timezone=new_owner.timezone if new_owner is not None else None,
        affected=affected,
        by=_by(session, actor),
    )


def _new_owner(
    session: Session, actor: Actor, project: Project, text: str, *, leaving: Person | None
) -> Person:
    """The member `text` names, who may own the project's milestones."""
    person = resolve_person(session, actor, text)
    role = next((m.role for m in project.memberships if m.person_id == person.id), None)
    if leaving is not None and person.id == leaving.id:
        raise InvalidInput(f"Hand the milestones to someone who stays on *{project.key}*.")
    if role is None:
        raise InvalidInput(
            f"{person.name} is not on *{project.key}*: only its members can own its milestones "
            f"(the lead adds them with `/project edit {project.key}`)."
        )
    if role not in OWNER_ROLES:
        raise InvalidInput(f"{person.name} only views *{project.key}*; viewers do not own milestones.")
    return person


def _reassign(
    session: Session,
    actor: Actor,
    milestone: Milestone,
    owner: Person,
    now: datetime,
    *,
    reminders: ReminderPolicy | None,
    part_of: str | None = None,
) -> None:
    """Give `milestone` to `owner`, audited, and move its pending reminders to them.

    `part_of` names the departure ("leave", "remove") it belongs to: its new owner is then told once
    about them all, by the departure's own DM, rather than once per milestone by the change feed.
    """
    previous = milestone.owner
    milestone.owner_id = owner.id
    milestone.owner = owner
    extra = {"part_of": part_of} if part_of is not None else {}
    record_audit(
        session,
        actor,
        "assign",
        "milestone",
        milestone.id,
        now,
        ref=milestone_ref(milestone),
        before=previous.slack_id if previous is not None else None,
        after=owner.slack_id,
        **extra,
    )
    # Same transaction: the reminders planned for the old owner go to the new one, on their clock.
    replan_milestone(session, milestone, now, defaults=reminders)
