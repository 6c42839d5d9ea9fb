"""People's end dates (`Person.until`): the handover notice before, and the handover the day after.

`until` is a person's last day (students and interns leave), on the workspace's calendar. Set in the
workspace file or the profile form (the person or an admin), it drives three things:

- **The notice** (`claim_handover_notices`): from `notice_days` before `until` (settings,
  `LIAISON_HANDOVER_NOTICE_DAYS`) to `until` itself, the lead of every project where the person owns
  open milestones is told once which ones, with a button that hands them over
  (`take_over_milestones`). A leaver who leads a project is told to make someone else lead. The notice
  goes once per person and end date: `Person.handover_notice_until` records the end date it went out
  for, claimed by a conditional update so that concurrent processes send it once; a changed end date
  gets a notice of its own.
- **The handover** (`depart_leavers`), the day after `until`: on every project the person is on (but
  does not lead), their open milestones go to the project's lead and their membership ends, through
  `bot.projects.ownership` (audited, reminders replanned in the same transaction, as
  `/project remove … --to @lead` would); open milestones they own on projects they are not on go to
  those leads too (`assign_milestone`). Projects they lead are left alone: only a person can pick a new
  lead (`/project edit`). Repeating it changes nothing.
- **Silence**: nobody is reminded after their last day (`is_past`, checked when a reminder is sent).

Everything here takes the caller's session and `now`; nothing talks to Slack. The job
(`jobs/handover.py`) sends the DMs.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from bot.access import Actor, require_editor
from bot.domain.reminders import ReminderPolicy
from bot.errors import UserFacingError
from bot.models import Membership, Milestone, MilestoneStatus, Person, Project, ProjectStatus, Role, Workspace
from bot.projects.ownership import Assignment, assign_milestone, remove_member
from bot.projects.people import resolve_person
from bot.projects.project import find_project
from bot.projects.reports import MilestoneLine, PersonRef, milestone_line, milestone_ref, person_ref

logger = logging.getLogger(__name__)

# Who acts for Liaison in the audit log when a handover happens on its own.
SYSTEM_ACTOR = "liaison"


def zone_of(name: str | None, fallback: str = "UTC") -> ZoneInfo:
    """A zone by name; `fallback` for none or one this system does not know."""
    try:
        return ZoneInfo(name or fallback)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(fallback)


def local_today(now: datetime, zone_name: str | None) -> date:
    """The date on the calendar of `zone_name` (a workspace's) at `now`."""
    return now.astimezone(zone_of(zone_name)).date()


def is_past(until: date | None, now: datetime, zone_name: str | None) -> bool:
    """Whether someone whose last day is `until` has left by `now` (on the workspace's calendar)."""
    return until is not None and local_today(now, zone_name) > until


@dataclass(frozen=True)
class LeaverProject:
    """A project of the notice's recipient where the leaver owns open milestones."""

    key: str
    name: str
    milestones: tuple[MilestoneLine, ...]


@dataclass(frozen=True)
class HandoverNotice:
    """One DM before someone's last day.

    To a lead (`projects`): the leaver's open milestones on the lead's projects, to hand over. To the
    leaver (`to_lead`): the projects they lead, which need another lead.

    Attributes:
        recipient: Who is told.
        recipient_zone: Their zone (the workspace's if their profile has none), for due times.
        team_id: The workspace's Slack team.
        leaver: Who leaves.
        until: Their last day.
        projects: The recipient leads these; the leaver owns open milestones there.
        to_lead: (key, name) of the projects the leaver (the recipient) leads.
    """

    recipient: PersonRef
    recipient_zone: str
    team_id: str | None
    leaver: PersonRef
    until: date
    projects: tuple[LeaverProject, ...] = ()
    to_lead: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class ClaimedNotice:
    """The notices of one leaver, claimed (marked sent) in the caller's transaction."""

    person_id: int
    until: date
    notices: tuple[HandoverNotice, ...]


def _connected_workspaces(session: Session) -> list[Workspace]:
    return list(session.scalars(select(Workspace).where(Workspace.disconnected_at.is_(None))))


def _open_owned(session: Session, person_id: int) -> list[Milestone]:
    return list(
        session.scalars(
            select(Milestone)
            .where(Milestone.owner_id == person_id, Milestone.status == MilestoneStatus.OPEN)
            .order_by(Milestone.due_at, Milestone.number)
        )
    )


def claim_handover_notices(session: Session, now: datetime, *, notice_days: int) -> list[ClaimedNotice]:
    """Claim the notices that are due: people whose last day is within `notice_days` from today.

    Each leaver is claimed with a conditional update (`handover_notice_until` set to their `until`),
    so two processes never both send; the caller commits, then sends, and gives a claim back with
    `release_handover_notice` if nothing could be delivered. Workspaces Slack disconnected are skipped
    (nothing could be sent there).

    Args:
        session: The caller's transaction.
        now: The current instant.
        notice_days: How many days before the last day the notice goes out.

    Returns:
        One entry per leaver claimed now (its notices may be empty: nothing to hand over).
    """
    claimed: list[ClaimedNotice] = []
    for workspace in _connected_workspaces(session):
        today = local_today(now, workspace.timezone)
        leavers = session.scalars(
            select(Person)
            .where(
                Person.workspace_id == workspace.id,
                Person.until.is_not(None),
                Person.until >= today,
                Person.until <= today + timedelta(days=notice_days),
                or_(Person.handover_notice_until.is_(None), Person.handover_notice_until != Person.until),
            )
            .order_by(Person.id)
        ).all()
        for person in leavers:
            until = person.until
            assert until is not None
            won = session.execute(
                update(Person)
                .where(
                    Person.id == person.id,
                    Person.until == until,
                    or_(Person.handover_notice_until.is_(None), Person.handover_notice_until != until),
                )
                .values(handover_notice_until=until)
                .execution_options(synchronize_session=False)
            )
            if getattr(won, "rowcount", 0) != 1:
                continue  # another process claimed it first
            notices = _notices(session, workspace, person, until, now)
            claimed.append(ClaimedNotice(person.id, until, notices))
    return claimed


def _notices(
    session: Session, workspace: Workspace, person: Person, until: date, now: datetime
) -> tuple[HandoverNotice, ...]:
    leaver = PersonRef(person.slack_id, person.name)
    by_lead: dict[int, list[LeaverProject]] = defaultdict(list)
    leads: dict[int, Person] = {}
    to_lead: list[tuple[str, str]] = []
    by_project: dict[int, list[Milestone]] = defaultdict(list)
    for milestone in _open_owned(session, person.id):
        by_project[milestone.project_id].append(milestone)
    for project in session.scalars(
        select(Project).where(
            Project.workspace_id == workspace.id,
            Project.lead_id == person.id,
            Project.status != ProjectStatus.DONE,
        )
    ):
        to_lead.append((project.key, project.name))
    for milestones in by_project.values():
        project = milestones[0].project
        lead = project.lead
        if lead is None or lead.id == person.id or project.status == ProjectStatus.DONE:
            continue  # nobody to hand to, listed under to_lead, or nothing left to chase
        leads[lead.id] = lead
        lines = tuple(milestone_line(m, now) for m in milestones)
        by_lead[lead.id].append(LeaverProject(project.key, project.name, lines))
    notices = [
        HandoverNotice(
            recipient=PersonRef(leads[lead_id].slack_id, leads[lead_id].name),
            recipient_zone=leads[lead_id].timezone or workspace.timezone,
            team_id=workspace.slack_team_id,
            leaver=leaver,
            until=until,
            projects=tuple(sorted(projects, key=lambda p: p.key)),
        )
        for lead_id, projects in sorted(by_lead.items())
    ]
    if to_lead:
        notices.append(
            HandoverNotice(
                recipient=leaver,
                recipient_zone=person.timezone or workspace.timezone,
                team_id=workspace.slack_team_id,
                leaver=leaver,
                until=until,
                to_lead=tuple(sorted(to_lead)),
            )
        )
    return tuple(notices)


def release_handover_notice(session: Session, person_id: int, until: date) -> None:
    """Give back a claimed notice that could not be delivered, so the next run sends it again."""
    session.execute(
        update(Person)
        .where(Person.id == person_id, Person.handover_notice_until == until)
        .values(handover_notice_until=None)
        .execution_options(synchronize_session=False)
    )


# -- the day after ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class EndDateDeparture:
    """What the day after someone's last day did on one project.

    Attributes:
        team_id: The workspace's Slack team.
        leaver: Who left.
        until: Their last day.
        project_key: The project (likewise `project_name`).
        lead: The project's lead, who was told and now owns `handed`.
        lead_zone: The lead's zone (for due times in their DM).
        handed: The leaver's open milestones there, now the lead's.
        removed: Their membership ended.
        affected: Slack ids whose App Home shows the change.
    """

    team_id: str | None
    leaver: PersonRef
    until: date
    project_key: str
    project_name: str
    lead: PersonRef | None
    lead_zone: str
    handed: tuple[MilestoneLine, ...]
    removed: bool
    affected: frozenset[str]


def _system_actor(workspace: Workspace) -> Actor:
    return Actor(
        slack_id=SYSTEM_ACTOR,
        workspace_id=workspace.id,
        person_id=None,
        is_admin=True,
        zone=zone_of(workspace.timezone),
    )


def depart_leavers(
    session: Session, now: datetime, *, reminders: ReminderPolicy | None = None
) -> list[EndDateDeparture]:
    """Hand over the open milestones and end the memberships of everyone whose last day has passed.

    On each project a leaver is on (not as its lead) they are removed as `/project remove` would, with
    their open milestones handed to the lead; open milestones they own elsewhere go to those projects'
    leads. A project without a lead (or whose lead cannot own milestones) keeps them, and is logged.
    Repeating it changes nothing.

    Args:
        session: The caller's transaction.
        now: The current instant.
        reminders: The settings' reminder defaults (for replanning).

    Returns:
        One entry per project where something changed.
    """
    departures: list[EndDateDeparture] = []
    for workspace in session.scalars(select(Workspace).order_by(Workspace.id)).all():
        today = local_today(now, workspace.timezone)
        leavers = session.scalars(
            select(Person)
            .where(Person.workspace_id == workspace.id, Person.until.is_not(None), Person.until < today)
            .order_by(Person.id)
        ).all()
        for person in leavers:
            departures += _depart(session, workspace, person, now, reminders)
    return departures


def _depart(
    session: Session, workspace: Workspace, person: Person, now: datetime, reminders: ReminderPolicy | None
) -> list[EndDateDeparture]:
    actor = _system_actor(workspace)
    member_of = session.scalars(
        select(Project)
        .join(Membership, Membership.project_id == Project.id)
        .where(Membership.person_id == person.id)
        .order_by(Project.key)
    ).all()
    elsewhere: dict[int, list[Milestone]] = defaultdict(list)
    for milestone in _open_owned(session, person.id):
        if all(milestone.project_id != p.id for p in member_of):
            elsewhere[milestone.project_id].append(milestone)
    done: list[EndDateDeparture] = []
    assert person.until is not None
    for project in member_of:
        if project.lead_id == person.id:
            logger.info(
                "%s's last day has passed but they lead %s: left as it is", person.slack_id, project.key
            )
            continue
        lead = project.lead
        owns = any(m.owner_id == person.id and m.status == MilestoneStatus.OPEN for m in project.milestones)
        if owns and lead is None:
            logger.warning(
                "%s left, but %s has no lead to take their milestones", person.slack_id, project.key
            )
            continue
        try:
            departure = remove_member(
                session,
                actor,
                person.slack_id,
                project.key,
                now,
                to=lead.slack_id if owns and lead is not None else None,
                reminders=reminders,
            )
        except UserFacingError as error:
            logger.warning("%s left, but %s: %s", person.slack_id, project.key, error.message)
            continue
        if departure.changed:
            done.append(_departure(workspace, person, project, departure.handed, True, departure.affected))
    for milestones in elsewhere.values():
        project = milestones[0].project
        lead = project.lead
        if lead is None or lead.id == person.id:
            continue
        handed: list[Assignment] = []
        for milestone in milestones:
            try:
                handed.append(
                    assign_milestone(
                        session, actor, milestone_ref(milestone), lead.slack_id, now, reminders=reminders
                    )
                )
            except UserFacingError as error:
                logger.warning(
                    "%s left, but %s: %s", person.slack_id, milestone_ref(milestone), error.message
                )
        if handed:
            affected = frozenset().union(*(a.affected for a in handed))
            lines = tuple(a.milestone for a in handed)
            done.append(_departure(workspace, person, project, lines, False, affected))
    return done


def _departure(
    workspace: Workspace,
    person: Person,
    project: Project,
    handed: tuple[MilestoneLine, ...],
    removed: bool,
    affected: frozenset[str],
) -> EndDateDeparture:
    assert person.until is not None
    lead = project.lead
    return EndDateDeparture(
        team_id=workspace.slack_team_id,
        leaver=PersonRef(person.slack_id, person.name),
        until=person.until,
        project_key=project.key,
        project_name=project.name,
        lead=person_ref(lead),
        lead_zone=(lead.timezone if lead is not None else None) or workspace.timezone,
        handed=handed,
        removed=removed,
        affected=affected | {person.slack_id} | ({lead.slack_id} if lead is not None else set()),
    )


# -- "Hand them to me" -----------------------------------------------------------------------------


@dataclass(frozen=True)
class TakeOver:
    """What the lead's "Hand them to me" did: the leaver's open milestones there, now the lead's."""

    project_key: str
    project_name: str
    leaver: PersonRef
    assignments: tuple[Assignment, ...]

    @property
    def affected(self) -> frozenset[str]:
        """Slack ids whose App Home shows the change."""
        return frozenset().union(*(a.affected for a in self.assignments))


def take_over_milestones(
    session: Session,
    actor: Actor,
    person_text: str,
    project_query: str,
    now: datetime,
    *,
    reminders: ReminderPolicy | None = None,
) -> TakeOver:
    """Give the actor (the project's lead, or an admin on it) every open milestone a person owns there.

    Each is handed over as `/milestone assign` would: audited, its reminders replanned for the actor in
    this transaction, the previous owner told (by the caller, from the assignments).

    Args:
        session: The request's session (the caller commits).
        actor: Who takes them over.
        person_text: Whose milestones: a Slack id, mention or name.
        project_query: The project's key.
        now: The current instant.
        reminders: The settings' reminder defaults.

    Raises:
        NotFound: No such project or person.
        Forbidden: The actor is neither the lead nor an admin.
        InvalidInput: The actor is not on the project (only members own its milestones).
    """
    project = find_project(session, actor, project_query)
    require_editor(project, actor, "take over milestones on it")
    person = resolve_person(session, actor, person_text)
    owned = sorted(
        (m for m in project.milestones if m.owner_id == person.id and m.status == MilestoneStatus.OPEN),
        key=lambda m: (m.due_at, m.number),
    )
    refs = [milestone_ref(m) for m in owned]
    assignments = tuple(
        assign_milestone(session, actor, ref, actor.slack_id, now, reminders=reminders) for ref in refs
    )
    return TakeOver(project.key, project.name, PersonRef(person.slack_id, person.name), assignments)


# -- for the App Home ----------------------------------------------------------------------------


@dataclass(frozen=True)
class LeaverLine:
    """Someone on a project the viewer leads whose last day is near."""

    person: PersonRef
    until: date
    project_key: str
    project_name: str
    open_milestones: int


def leaving_soon(
    session: Session, project_ids: list[int], today: date, *, notice_days: int
) -> list[LeaverLine]:
    """Members (not the lead) of these projects whose last day is from `today` to `notice_days` later.

    Two queries. Ordered by last day, then project key.
    """
    if not project_ids:
        return []
    rows = session.execute(
        select(Person.id, Person.slack_id, Person.name, Person.until, Project.id, Project.key, Project.name)
        .join(Membership, Membership.person_id == Person.id)
        .join(Project, Membership.project_id == Project.id)
        .where(
            Project.id.in_(project_ids),
            Membership.role != Role.VIEWER,
            or_(Project.lead_id.is_(None), Project.lead_id != Person.id),
            Person.until >= today,
            Person.until <= today + timedelta(days=notice_days),
        )
        .order_by(Person.until, Project.key, Person.name)
    ).all()
    if not rows:
        return []
    counts = {
        (owner, project): int(n)
        for owner, project, n in session.execute(
            select(Milestone.owner_id, Milestone.project_id, func.count())
            .where(
                Milestone.project_id.in_(project_ids),
                Milestone.owner_id.in_({row[0] for row in rows}),
                Milestone.status == MilestoneStatus.OPEN,
            )
            .group_by(Milestone.owner_id, Milestone.project_id)
        )
    }
    return [
        LeaverLine(
            PersonRef(slack_id, name), until, key, project_name, counts.get((person_id, project_id), 0)
        )
        for person_id, slack_id, name, until, project_id, key, project_name in rows
        if until is not None
    ]
