"""The expert's Accept or Decline, claimed once, and what an acceptance leaves behind.

Decisions are claimed with a conditional UPDATE (`pending` -> `accepted` or `declined`), so two clicks,
or two processes, cannot both act on one request; an acceptance whose group DM could not be opened goes
back to `pending` (`reopen_acceptance`) for the expert to retry.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from bot.access import Requester, act_as, resolve_workspace
from bot.errors import Forbidden
from bot.experts.intros.views import IntroDecision, IntroView, intro_view, load_intro
from bot.models import IntroRequest, IntroStatus
from bot.projects.project import record_audit
from bot.settings import Settings


def decide_intro(
    session_factory: sessionmaker[Session],
    settings: Settings,
    now: datetime,
    *,
    requester: Requester,
    intro_id: int,
    accept: bool,
) -> IntroDecision:
    """Record the expert's Accept or Decline; a repeat click changes nothing.

    Args:
        session_factory: The database.
        settings: Admins, the fallback zone, the default cap.
        now: Recorded as `decided_at`.
        requester: Who clicked; only the expert may decide.
        intro_id: The request.
        accept: Accept (True) or Decline (False).

    Returns:
        The request after the click, and whether this click decided it.

    Raises:
        NotFound: No such request.
        Forbidden: The clicker is not the expert.
    """
    with session_factory.begin() as session:
        actor = act_as(session, settings, requester)
        intro = load_intro(session, actor.workspace_id, intro_id)
        if intro.expert.slack_id != actor.slack_id:
            raise Forbidden(f"Only {intro.expert.name} can answer this introduction request.")
        target = IntroStatus.ACCEPTED if accept else IntroStatus.DECLINED
        result = session.execute(
            update(IntroRequest)
            .where(IntroRequest.id == intro.id, IntroRequest.status == IntroStatus.PENDING)
            .values(status=target, decided_at=now)
        )
        changed = int(getattr(result, "rowcount", 0) or 0) == 1
        if changed:
            record_audit(
                session,
                actor,
                "intro.accept" if accept else "intro.decline",
                "intro_request",
                intro.id,
                now,
                requester=intro.requester.slack_id,
            )
        return IntroDecision(
            intro_view(session, load_intro(session, actor.workspace_id, intro.id), settings, now), changed
        )


def reopen_acceptance(
    session_factory: sessionmaker[Session],
    settings: Settings,
    now: datetime,
    *,
    intro_id: int,
    requester: Requester,
    error: str,
) -> None:
    """Put an acceptance back to pending because the group DM could not be opened or posted to.

    The expert's buttons stay, so they can simply accept again.
    """
    with session_factory.begin() as session:
        actor = act_as(session, settings, requester)
        result = session.execute(
            update(IntroRequest)
            .where(
                IntroRequest.id == intro_id,
                IntroRequest.workspace_id == actor.workspace_id,
                IntroRequest.status == IntroStatus.ACCEPTED,
                IntroRequest.group_channel.is_(None),
            )
            .values(status=IntroStatus.PENDING, decided_at=None)
        )
        if int(getattr(result, "rowcount", 0) or 0):
            record_audit(session, actor, "intro.accept_failed", "intro_request", intro_id, now, error=error)


def record_group(
    session_factory: sessionmaker[Session],
    settings: Settings,
    now: datetime,
    *,
    intro_id: int,
    team_id: str | None,
    channel: str,
) -> IntroView:
    """Remember the group DM an accepted request opened; returns the request as it is now."""
    with session_factory.begin() as session:
        workspace = resolve_workspace(session, team_id)
        session.execute(
            update(IntroRequest)
            .where(IntroRequest.id == intro_id, IntroRequest.workspace_id == workspace.id)
            .values(group_channel=channel[:32])
        )
        return intro_view(session, load_intro(session, workspace.id, intro_id), settings, now)
