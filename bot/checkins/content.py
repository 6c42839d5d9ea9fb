"""What a check-in says: the question DM, the channel summary, and the summary's line in the digest.

Read models only (frozen dataclasses); `bot.slack.checkin_blocks` renders them. A question or summary
is composed when it is about to be sent, from the records as they are then, and says why not when it
should not be sent any more (`cancel_reason`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.checkins.tables import CheckinAsk, CheckinRound, CheckinSchedule
from bot.models import Blocker, DeliveryStatus, Person, Project, Workspace
from bot.projects.reports import PersonRef

# The weekly digest shows the summary of a round that closed at most this long ago.
DIGEST_LOOKBACK = timedelta(days=8)


@dataclass(frozen=True)
class CheckinQuestion:
    """The DM that asks one member the three questions."""

    ask_id: int
    key: str
    target: str  # the member's Slack id: the app's DM with them
    team_id: str | None
    project_key: str
    project_name: str
    cutoff_at: datetime
    zone: ZoneInfo  # the member's


@dataclass(frozen=True)
class AnswerLine:
    """One member's answers in a summary."""

    person: PersonRef
    done: str
    next: str
    blocking: str
    blocker_ref: str | None = None  # the blocker recorded from the answer, if any


@dataclass(frozen=True)
class CheckinSummary:
    """A round's answers for the project channel (and, shorter, for the weekly digest)."""

    round_id: int
    key: str
    target: str  # the project's channel
    team_id: str | None
    project_key: str
    project_name: str
    week: str
    answers: tuple[AnswerLine, ...]
    silent: tuple[PersonRef, ...]  # asked, did not answer by the cut-off


@dataclass(frozen=True)
class Composed:
    """A question or summary ready to send, or the reason it is not sent any more."""

    message: CheckinQuestion | CheckinSummary | None = None
    cancel_reason: str | None = None


def ask_key(ask_id: int) -> str:
    """The key a question DM carries in its metadata (looked for before any resend)."""
    return f"checkin:{ask_id}"


def summary_key(round_id: int) -> str:
    """The key a summary post carries in its metadata."""
    return f"checkin-summary:{round_id}"


def compose_question(session: Session, ask_id: int, now: datetime) -> Composed:
    """The question of a claimed ask as it should go out now, or why it should not."""
    ask = session.get(CheckinAsk, ask_id)
    if ask is None:
        return Composed(cancel_reason="deleted")
    round_ = session.get(CheckinRound, ask.round_id)
    project = session.get(Project, round_.project_id) if round_ is not None else None
    person = session.get(Person, ask.person_id)
    if round_ is None or project is None or person is None:
        return Composed(cancel_reason="deleted")
    workspace = session.get(Workspace, project.workspace_id)
    schedule = session.get(CheckinSchedule, project.id)
    if workspace is None or workspace.disconnected_at is not None:
        return Composed(cancel_reason="workspace disconnected")
    if project.archived_at is not None:
        return Composed(cancel_reason="project archived")
    if schedule is None or not schedule.enabled:
        return Composed(cancel_reason="check-ins turned off")
    if all(m.person_id != person.id for m in project.memberships):
        return Composed(cancel_reason="no longer on the project")
    zone = ZoneInfo(ask.ask_zone)
    if person.until is not None and now.astimezone(zone).date() > person.until:
        return Composed(cancel_reason="past their last day")
    if now >= round_.cutoff_at:
        return Composed(cancel_reason="after the cut-off")
    return Composed(
        CheckinQuestion(
            ask_id=ask.id,
            key=ask_key(ask.id),
            target=person.slack_id,
            team_id=workspace.slack_team_id,
            project_key=project.key,
            project_name=project.name,
            cutoff_at=round_.cutoff_at,
            zone=zone,
        )
    )


def compose_summary(session: Session, round_id: int) -> Composed:
    """The summary of a claimed round, or why it is not posted."""
    round_ = session.get(CheckinRound, round_id)
    project = session.get(Project, round_.project_id) if round_ is not None else None
    if round_ is None or project is None:
        return Composed(cancel_reason="deleted")
    workspace = session.get(Workspace, project.workspace_id)
    if workspace is None or workspace.disconnected_at is not None:
        return Composed(cancel_reason="workspace disconnected")
    if project.archived_at is not None:
        return Composed(cancel_reason="project archived")
    if not project.channel_id:
        return Composed(cancel_reason="the project has no channel")
    summary = summary_of(session, round_, project, workspace)
    if not summary.answers and not summary.silent:
        return Composed(cancel_reason="nobody was asked")
    return Composed(summary)


def summary_of(
    session: Session, round_: CheckinRound, project: Project, workspace: Workspace
) -> CheckinSummary:
    """A round's answers and who did not answer, in the order people were asked."""
    rows = session.execute(
        select(CheckinAsk, Person, Blocker.number)
        .join(Person, Person.id == CheckinAsk.person_id)
        .outerjoin(Blocker, Blocker.id == CheckinAsk.blocker_id)
        .where(CheckinAsk.round_id == round_.id, CheckinAsk.status == DeliveryStatus.SENT)
        .order_by(CheckinAsk.ask_at, CheckinAsk.id)
    ).all()
    answers = []
    silent = []
    for ask, person, blocker_number in rows:
        ref = PersonRef(person.slack_id, person.name)
        if ask.answered_at is None:
            silent.append(ref)
            continue
        answers.append(
            AnswerLine(
                person=ref,
                done=ask.done_text or "",
                next=ask.next_text or "",
                blocking=ask.blocking_text or "",
                blocker_ref=f"{project.key}-b{blocker_number}" if blocker_number is not None else None,
            )
        )
    return CheckinSummary(
        round_id=round_.id,
        key=summary_key(round_.id),
        target=project.channel_id or "",
        team_id=workspace.slack_team_id,
        project_key=project.key,
        project_name=project.name,
        week=round_.week,
        answers=tuple(answers),
        silent=tuple(silent),
    )


def latest_summary(session: Session, project_id: int, now: datetime) -> CheckinSummary | None:
    """The summary most recently posted for a project, if within `DIGEST_LOOKBACK` (for the digest)."""
    round_ = session.scalars(
        select(CheckinRound)
        .where(
            CheckinRound.project_id == project_id,
            CheckinRound.status == DeliveryStatus.SENT,
            CheckinRound.cutoff_at > now - DIGEST_LOOKBACK,
            CheckinRound.cutoff_at <= now,
        )
        .order_by(CheckinRound.cutoff_at.desc())
        .limit(1)
    ).first()
    if round_ is None:
        return None
    project = session.get(Project, project_id)
    workspace = session.get(Workspace, round_.workspace_id)
    if project is None or workspace is None:
        return None
    return summary_of(session, round_, project, workspace)
