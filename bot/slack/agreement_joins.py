"""`/project join` of a project whose data its agreements restrict to other organisations.

`bot.projects.project.join_project` records a pending join request instead of joining
(`bot.agreements.joining`); the interpreter then asks `join_request_outcome` for the answer: the
requester is told why, and the lead gets a DM with Approve and Decline buttons (once, when the request
is new). The buttons are answered by `handlers.agreements`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from sqlalchemy.orm import Session, sessionmaker

from bot.access import Actor, Requester, act_as, is_lead, require_active
from bot.agreements.joining import decide_join, pending_request, restricted_to
from bot.agreements.tables import JoinRequest
from bot.errors import Forbidden, UserFacingError
from bot.models import Person, Project
from bot.settings import Settings
from bot.slack.agreement_blocks import (
    build_join_decided_reply,
    build_join_outcome_message,
    build_join_pending_reply,
    build_join_request_message,
)
from bot.slack.blocks import DirectMessage, Reply, build_error_reply

T = TypeVar("T")


def join_request_outcome(
    session: Session, actor: Actor, project: Project, now: datetime, outcome: Callable[..., T]
) -> T | None:
    """The answer to a join that waits on the lead's approval; None when no request is pending.

    Args:
        session: The request's session.
        actor: Who asked to join.
        project: The project.
        now: The request's instant (when the lead is asked: once per request).
        outcome: The interpreter's outcome type (`CommandOutcome`), built with `reply` and `messages`;
            passed in because the interpreter imports this module.
    """
    request = pending_request(session, project.id, actor.person_id)
    if request is None:
        return None
    restricted = restricted_to(session, project.id, now)
    lead = session.get(Person, project.lead_id) if project.lead_id is not None else None
    reply: Reply = build_join_pending_reply(
        project.name, project.key, restricted, lead.slack_id if lead is not None else None
    )
    messages: tuple[DirectMessage, ...] = ()
    if lead is not None and request.lead_asked_at is None:
        request.lead_asked_at = now
        requester = session.get(Person, request.person_id)
        message = build_join_request_message(
            request_id=request.id,
            requester=actor.slack_id,
            project_key=project.key,
            project_name=project.name,
            restricted=restricted,
            organisation=requester.organisation if requester is not None else None,
        )
        messages = (DirectMessage(user_id=lead.slack_id, reply=message),)
    return outcome(reply=reply, messages=messages)


def decide_join_request(
    session_factory: sessionmaker[Session],
    settings: Settings,
    now: datetime,
    *,
    requester: Requester,
    request_id: int | None,
    approve: bool,
) -> tuple[Reply, DirectMessage | None]:
    """The lead's Approve or Decline: only the project's lead or an admin decides (checked again).

    Returns:
        The message that replaces the buttons, and the DM telling the requester (None when nothing
        changed: decided before, or refused).
    """
    try:
        with session_factory.begin() as session:
            actor = act_as(session, settings, requester)
            request = session.get(JoinRequest, request_id) if request_id is not None else None
            project = session.get(Project, request.project_id) if request is not None else None
            if request is None or project is None or project.workspace_id != actor.workspace_id:
                raise UserFacingError("That request is gone; the person can ask to join again.")
            if not (actor.is_admin or is_lead(project, actor)):
                raise Forbidden(
                    f"Only the lead of *{project.key}* or a Liaison admin can decide who joins it."
                )
            require_active(project)
            decision = decide_join(
                session, request, project, decider=actor.slack_id, approve=approve, now=now
            )
    except UserFacingError as error:
        return build_error_reply(error.message), None
    reply = build_join_decided_reply(
        decision.project_name,
        decision.project_key,
        decision.requester_slack_id,
        decision.approved,
        decision.already,
    )
    if decision.already or not decision.requester_slack_id:
        return reply, None
    told = build_join_outcome_message(decision.project_name, decision.project_key, decision.approved)
    return reply, DirectMessage(user_id=decision.requester_slack_id, reply=told)
