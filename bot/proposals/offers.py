"""Turning a change request into a proposal: resolve it against the records, check it, store it.

Everything a slash command would refuse is refused here already, with the commands' own readers and
messages (an unknown milestone or project, a person nobody or several people in the directory match,
a date `parse_due` cannot read, someone who may not make the change), so a proposal is only ever
offered for a change its asker could make. Nothing changes until the asker confirms
(`bot.proposals.decisions`), and the permission is checked again then, by the feature functions
themselves.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete
from sqlalchemy.orm import Session

from bot.access import Actor, require_active, require_milestone_editor, role_of
from bot.domain.dates import DateParseError, ParsedDue, parse_due
from bot.domain.reminders import ReminderPolicy
from bot.errors import Forbidden, InvalidInput, NotFound, UserFacingError
from bot.models import Milestone, MilestoneStatus, Project
from bot.projects.milestones import find_milestone, read_move_due, same_due
from bot.projects.ownership import OWNER_ROLES
from bot.projects.people import people_by_slack_id, resolve_person
from bot.projects.project import find_project
from bot.projects.reports import PersonRef, milestone_ref, person_ref
from bot.proposals.requests import ChangeKind, ChangeRequest
from bot.proposals.tables import Proposal, ProposalStatus
from bot.reminders.policy import load_policy_book

# How long a proposal may be confirmed. Long enough to read it and ask a colleague, short enough that
# an old message's button does not act on a world that moved on (a changed record asks again anyway).
PROPOSAL_TTL = timedelta(hours=1)
# Expired and decided proposals are deleted this long after they expired (when a new one is made).
KEEP_DECIDED = timedelta(days=7)


@dataclass(frozen=True)
class Offer:
    """A stored proposal, as the asker is shown it (before Confirm, or again when it went stale).

    Attributes:
        token: The value of its Confirm and Cancel buttons.
        kind: What it does.
        requester: Who asked (the only one who may confirm it).
        target: The milestone id or project key.
        title: The milestone's title or the project's name.
        project_key: The project.
        private: The project is private: show the offer to the asker alone.
        zone: The asker's zone, in which every time is shown.
        expires_at: Until when Confirm works.
        due: The milestone's due time now.
        owner: The milestone's owner now.
        new_due: A move's new due time.
        in_the_past: That new due time (or the reminder's time) has passed already.
        new_owner: An assignment's new owner.
        text: A blocker's text.
        remind_at: When the reminder will be sent.
        changed: For an offer made again after the record changed: what changed ("its due date").
    """

    token: str
    kind: ChangeKind
    requester: str
    target: str
    title: str
    project_key: str
    private: bool
    zone: ZoneInfo
    expires_at: datetime
    due: datetime | None = None
    owner: PersonRef | None = None
    new_due: datetime | None = None
    in_the_past: bool = False
    new_owner: PersonRef | None = None
    text: str = ""
    remind_at: datetime | None = None
    changed: tuple[str, ...] = field(default=())


def make_offer(
    session: Session, actor: Actor, request: ChangeRequest, now: datetime, *, reminders: ReminderPolicy
) -> Offer:
    """Resolve a change request, check that the asker could make it, and store it as a proposal.

    Args:
        session: The request's session (the caller commits).
        actor: Who asked.
        request: What they asked for.
        now: The current instant.
        reminders: The settings' reminder defaults (the time of a reminder given a day but no time).

    Returns:
        The stored proposal, to show with Confirm and Cancel.

    Raises:
        UserFacingError: The request names nothing that exists (for the asker), is ambiguous, has a
            date that cannot be read, would change nothing, or the asker may not make it. The message
            says which, and no proposal is stored.
    """
    params = _resolve(session, actor, request, now, reminders)
    session.execute(delete(Proposal).where(Proposal.expires_at < now - KEEP_DECIDED))
    target = str(params.pop("project")) if request.kind == ChangeKind.BLOCKER else request.target
    return _store(session, actor, request.kind, target, params, now)


def offer_again(session: Session, actor: Actor, proposal: Proposal, now: datetime) -> Offer:
    """Make a stale proposal again from what was understood, against the record as it now is.

    The old one is superseded (its buttons no longer act); the new one carries what changed.

    Raises:
        UserFacingError: The change is no longer possible or no longer changes anything.
    """
    before = json.loads(proposal.snapshot)
    params = json.loads(proposal.params)
    proposal.status = ProposalStatus.SUPERSEDED
    proposal.decided_at = now
    _check(session, actor, ChangeKind(proposal.kind), proposal.target, params, now)
    kind = ChangeKind(proposal.kind)
    offer = _store(session, actor, kind, proposal.target, params, now)
    return _with_changes(offer, before, current_snapshot(session, actor, kind, proposal.target))


def current_snapshot(session: Session, actor: Actor, kind: ChangeKind, target: str) -> dict[str, Any]:
    """How the record a proposal changes looks now (compared with the stored snapshot at Confirm).

    Raises:
        UserFacingError: The record is gone, or no longer visible to the actor.
    """
    if kind == ChangeKind.BLOCKER:
        project = find_project(session, actor, target)
        return {"project": project.key, "archived": project.archived_at is not None}
    return _milestone_snapshot(find_milestone(session, actor, target))


# -- resolving what was asked ---------------------------------------------------------------------


def _resolve(
    session: Session, actor: Actor, request: ChangeRequest, now: datetime, reminders: ReminderPolicy
) -> dict[str, Any]:
    """What the request means, in stored form (instants, Slack ids), checked like `_check`."""
    if request.kind == ChangeKind.BLOCKER:
        project = find_project(session, actor, request.target)
        params: dict[str, Any] = {"project": project.key, "text": " ".join(request.argument.split())}
    else:
        milestone = find_milestone(session, actor, request.target)
        params = _milestone_params(session, actor, milestone, request, now, reminders)
    _check(session, actor, request.kind, str(params.get("project") or request.target), params, now)
    return params


def _milestone_params(
    session: Session,
    actor: Actor,
    milestone: Milestone,
    request: ChangeRequest,
    now: datetime,
    reminders: ReminderPolicy,
) -> dict[str, Any]:
    if request.kind == ChangeKind.MOVE:
        due = _read_date(
            request.argument, lambda text: read_move_due(milestone, text, now=now, zone=actor.zone)
        )
        return {"due": due.instant.isoformat(), "zone": due.zone}
    if request.kind == ChangeKind.ASSIGN:
        person = resolve_person(session, actor, request.argument)
        return {"person": person.slack_id}
    if request.kind == ChangeKind.REMIND:
        if not request.argument:
            raise InvalidInput(
                f"When should I remind you about `{milestone_ref(milestone)}`? "
                f"Say e.g. “remind me about {milestone_ref(milestone)} tomorrow at 9”."
            )
        policy = load_policy_book(session, actor.workspace_id, reminders).for_project(milestone.project_id)
        at = _read_date(
            request.argument,
            lambda text: parse_due(text, now=now, zone=actor.zone, default_time=policy.local_time),
        )
        return {"at": at.instant.isoformat()}
    return {}


def _read_date(text: str, read: Callable[[str], ParsedDue]) -> ParsedDue:
    """Read a date with the commands' reader, after spelling a bare hour ("at 9") as it wants it."""
    words = text.strip().rstrip(".!").split()
    if len(words) >= 2 and words[-2].lower() == "at" and re.fullmatch(r"[0-9]{1,2}", words[-1], re.ASCII):
        words[-1] += ":00"
    try:
        return read(" ".join(words))
    except DateParseError as error:
        raise InvalidInput(str(error)) from None


def _check(
    session: Session, actor: Actor, kind: ChangeKind, target: str, params: dict[str, Any], now: datetime
) -> None:
    """Refuse what the slash command would refuse, and what would change nothing.

    Raises:
        UserFacingError: Saying why.
    """
    if kind == ChangeKind.BLOCKER:
        project = find_project(session, actor, target)
        require_active(project)
        if role_of(project, actor) is None and not actor.is_admin:
            raise Forbidden(
                f"Only members of *{project.key}* can raise blockers on it "
                f"(join with `/project join {project.key}`)."
            )
        if not params.get("text"):
            raise InvalidInput(
                "What is blocking it? Say e.g. “add a blocker to uplift: waiting for the data”."
            )
        return
    milestone = find_milestone(session, actor, target)
    ref = milestone_ref(milestone)
    if kind == ChangeKind.REMIND:
        require_active(milestone.project)
        if role_of(milestone.project, actor) is None and not actor.is_admin:
            raise Forbidden(f"Only members of *{milestone.project.key}* get reminders about its milestones.")
        _require_open(milestone, "reminders are only for open milestones")
        if datetime.fromisoformat(params["at"]) <= now:
            raise InvalidInput("That time has passed already; say a time still to come.")
        return
    action = {ChangeKind.DONE: "mark it done", ChangeKind.MOVE: "move it", ChangeKind.ASSIGN: "hand it over"}
    require_milestone_editor(milestone, actor, action[kind])
    if kind == ChangeKind.DONE:
        if milestone.status == MilestoneStatus.DONE:
            raise InvalidInput(f"`{ref}` is already done; nothing to change.")
    elif kind == ChangeKind.MOVE:
        _require_open(milestone, "only open milestones are moved")
        if same_due(milestone, _due_of(params)):
            raise InvalidInput(f"`{ref}` is already due then; nothing to change.")
    elif kind == ChangeKind.ASSIGN:
        _require_open(milestone, "only open milestones are handed over")
        _check_new_owner(session, milestone, params["person"])


def _check_new_owner(session: Session, milestone: Milestone, slack_id: str) -> None:
    project = milestone.project
    membership = next((m for m in project.memberships if m.person.slack_id == slack_id), None)
    if membership is None:
        person = people_by_slack_id(session, project.workspace_id, [slack_id]).get(slack_id)
        name = person.name if person is not None else "That person"
        raise InvalidInput(
            f"{name} is not on *{project.key}*: only its members can own its milestones "
            f"(the lead adds them with `/project edit {project.key}`)."
        )
    name = membership.person.name
    if membership.role not in OWNER_ROLES:
        raise InvalidInput(f"{name} only views *{project.key}*; viewers do not own milestones.")
    if milestone.owner is not None and milestone.owner.slack_id == slack_id:
        raise InvalidInput(f"{name} already owns `{milestone_ref(milestone)}`; nothing to change.")


def _require_open(milestone: Milestone, why: str) -> None:
    if milestone.status != MilestoneStatus.OPEN:
        raise InvalidInput(f"`{milestone_ref(milestone)}` is done already; {why}.")


def _due_of(params: dict[str, Any]) -> ParsedDue:
    """The stored new due time of a move, as the move functions take it."""
    instant = datetime.fromisoformat(params["due"])
    zone = str(params["zone"])
    return ParsedDue(
        instant=instant, zone=zone, local=instant.astimezone(ZoneInfo(zone)), relative=False, time_given=True
    )


def due_of(proposal: Proposal) -> ParsedDue:
    """The new due time a move proposal stored."""
    return _due_of(json.loads(proposal.params))


# -- storing and showing ---------------------------------------------------------------------------


def _store(
    session: Session, actor: Actor, kind: ChangeKind, target: str, params: dict[str, Any], now: datetime
) -> Offer:
    milestone: Milestone | None = None
    if kind == ChangeKind.BLOCKER:
        project = find_project(session, actor, target)
        target = project.key
        snapshot = {"project": project.key, "archived": project.archived_at is not None}
    else:
        milestone = find_milestone(session, actor, target)
        project = milestone.project
        target = milestone_ref(milestone)
        snapshot = _milestone_snapshot(milestone)
    proposal = Proposal(
        token=secrets.token_urlsafe(24),
        workspace_id=actor.workspace_id,
        requester=actor.slack_id,
        kind=kind.value,
        target=target,
        params=json.dumps(params, sort_keys=True),
        snapshot=json.dumps(snapshot, sort_keys=True),
        status=ProposalStatus.PENDING,
        created_at=now,
        expires_at=now + PROPOSAL_TTL,
    )
    session.add(proposal)
    session.flush()
    return _offer(proposal, actor, project, milestone, params, now=now)


def _milestone_snapshot(milestone: Milestone) -> dict[str, Any]:
    return {
        "status": str(milestone.status),
        "due": milestone.due_at.isoformat(),
        "zone": milestone.due_timezone,
        "owner": milestone.owner.slack_id if milestone.owner is not None else None,
        "title": milestone.title,
    }


_CHANGE_NAMES = {
    "status": "its status",
    "due": "its due date",
    "zone": "its time zone",
    "owner": "its owner",
    "title": "its title",
    "archived": "the project was archived or restored",
}


def _with_changes(offer: Offer, before: dict[str, Any], after: dict[str, Any]) -> Offer:
    changed = tuple(_CHANGE_NAMES.get(k, k) for k in sorted(after) if before.get(k) != after.get(k))
    return Offer(**{**offer.__dict__, "changed": changed or ("the record",)})


def _offer(
    proposal: Proposal,
    actor: Actor,
    project: Project,
    milestone: Milestone | None,
    params: dict[str, Any],
    *,
    now: datetime,
) -> Offer:
    kind = ChangeKind(proposal.kind)
    new_owner = None
    if kind == ChangeKind.ASSIGN and milestone is not None:
        person = next((m.person for m in project.memberships if m.person.slack_id == params["person"]), None)
        new_owner = PersonRef(params["person"], person.name if person is not None else params["person"])
    new_due = datetime.fromisoformat(params["due"]) if kind == ChangeKind.MOVE else None
    remind_at = datetime.fromisoformat(params["at"]) if kind == ChangeKind.REMIND else None
    return Offer(
        token=proposal.token,
        kind=kind,
        requester=proposal.requester,
        target=proposal.target,
        title=milestone.title if milestone is not None else project.name,
        project_key=project.key,
        private=project.private,
        zone=actor.zone,
        expires_at=proposal.expires_at,
        due=milestone.due_at if milestone is not None else None,
        owner=person_ref(milestone.owner) if milestone is not None else None,
        new_due=new_due,
        in_the_past=new_due is not None and new_due < now,
        new_owner=new_owner,
        text=str(params.get("text") or ""),
        remind_at=remind_at,
    )


def describe_refusal(error: UserFacingError) -> str:
    """The message of a refused request, with the near misses a slash command would offer as buttons."""
    message = error.message
    if isinstance(error, NotFound) and error.alternatives:
        names = ", ".join(f"{c.name} (`{c.key}`)" for c in error.alternatives[:5])
        message = message.rstrip(":").rstrip() + (
            f" {names}?" if message.endswith(":") else f" Did you mean {names}?"
        )
    return message
