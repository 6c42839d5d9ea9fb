"""Planning: each tick makes sure this week's round of every project with check-ins has its ledger rows.

A round is one row per (project, ISO week) and an ask one row per (round, person); both are inserted
with "on conflict do nothing", so any number of processes may plan at once and the unique keys decide.
Each tick plans with a fixed number of statements, whatever the number of projects.

Who is asked: every member of the project (the lead too), unless their last day (`until`) is before
the asking day. When: the asking time on their own wall clock (their Slack zone, else the workspace's),
moved out of the project's quiet hours as reminders are (weekends are not skipped: the lead chose the
day); a question that would land at or after the cut-off is not planned. Someone who joins during the
week is asked at their time if it is still before the cut-off, or at once if it has passed. Archived
projects and disconnected workspaces are not planned; what was planned for them is cancelled when its
time comes (`bot.checkins.dispatch`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import Table, select, tuple_
from sqlalchemy.orm import Session, selectinload

from bot.checkins.admin import schedule_times
from bot.checkins.schedule import ask_instant, candidate_days, cutoff_instant, week_of
from bot.checkins.tables import CheckinAsk, CheckinRound, CheckinSchedule
from bot.db import insert_ignoring_conflicts
from bot.domain.reminders import ReminderPolicy, next_allowed
from bot.models import DeliveryStatus, Membership, Project, Workspace
from bot.reminders.planning import person_zone
from bot.reminders.policy import PolicyBook, load_policy_book


def plan_checkins(session: Session, now: datetime, *, defaults: ReminderPolicy) -> int:
    """Insert the rounds and questions due to exist at `now` (the caller commits).

    Args:
        session: Open session.
        now: The current instant.
        defaults: The settings' reminder policy (for quiet hours).

    Returns:
        How many questions were added.
    """
    schedules = session.execute(
        select(CheckinSchedule, Project, Workspace)
        .join(Project, Project.id == CheckinSchedule.project_id)
        .join(Workspace, Workspace.id == Project.workspace_id)
        .where(
            CheckinSchedule.enabled.is_(True),
            Project.archived_at.is_(None),
            Workspace.disconnected_at.is_(None),
        )
    ).all()
    if not schedules:
        return 0
    wanted: list[dict[str, Any]] = []
    for schedule, project, workspace in schedules:
        ask, cutoff = schedule_times(schedule)
        zone = ZoneInfo(workspace.timezone)
        for day in candidate_days(now, ask, zone):
            closes = cutoff_instant(day, ask, cutoff, zone)
            if closes > now:
                wanted.append(
                    dict(
                        workspace_id=project.workspace_id,
                        project_id=project.id,
                        week=week_of(day),
                        ask_date=day,
                        cutoff_at=closes,
                        cutoff_zone=workspace.timezone,
                        status=DeliveryStatus.PLANNED,
                        not_before=closes,
                        attempts=0,
                        uncertain=False,
                        created_at=now,
                        updated_at=now,
                    )
                )
    keys = [(r["project_id"], r["week"]) for r in wanted]
    existing = (
        {
            (project_id, week)
            for project_id, week in session.execute(
                select(CheckinRound.project_id, CheckinRound.week).where(
                    tuple_(CheckinRound.project_id, CheckinRound.week).in_(keys)
                )
            )
        }
        if keys
        else set()
    )
    missing = [r for r in wanted if (r["project_id"], r["week"]) not in existing]
    if missing:
        insert_ignoring_conflicts(
            session, cast(Table, CheckinRound.__table__), missing, index_elements=["project_id", "week"]
        )
    return _plan_asks(session, now, [p.id for _, p, _ in schedules], defaults)


def _plan_asks(session: Session, now: datetime, project_ids: Sequence[int], defaults: ReminderPolicy) -> int:
    rounds = session.scalars(
        select(CheckinRound).where(
            CheckinRound.project_id.in_(project_ids),
            CheckinRound.status == DeliveryStatus.PLANNED,
            CheckinRound.cutoff_at > now,
        )
    ).all()
    if not rounds:
        return 0
    projects = {
        p.id: p
        for p in session.scalars(
            select(Project)
            .where(Project.id.in_({r.project_id for r in rounds}))
            .options(selectinload(Project.memberships).selectinload(Membership.person))
        )
    }
    workspaces = {
        w.id: w
        for w in session.scalars(select(Workspace).where(Workspace.id.in_({r.workspace_id for r in rounds})))
    }
    asked = {
        (round_id, person_id)
        for round_id, person_id in session.execute(
            select(CheckinAsk.round_id, CheckinAsk.person_id).where(
                CheckinAsk.round_id.in_([r.id for r in rounds])
            )
        )
    }
    schedules = {
        s.project_id: s
        for s in session.scalars(select(CheckinSchedule).where(CheckinSchedule.project_id.in_(projects)))
    }
    books: dict[int, PolicyBook] = {}
    rows: list[dict[str, Any]] = []
    for round_ in rounds:
        project = projects[round_.project_id]
        workspace = workspaces[round_.workspace_id]
        ask, _ = schedule_times(schedules.get(project.id))
        book = books.get(workspace.id)
        if book is None:
            book = books[workspace.id] = load_policy_book(session, workspace.id, defaults)
        # Quiet hours as reminders keep them; the day itself is the lead's choice, weekend or not.
        policy = dataclasses.replace(book.for_project(project.id), skip_weekends=False)
        for membership in project.memberships:
            person = membership.person
            if (round_.id, person.id) in asked:
                continue
            if person.until is not None and person.until < round_.ask_date:
                continue  # gone before the asking day
            zone_name = person_zone(person, workspace.timezone)
            zone = ZoneInfo(zone_name)
            at = next_allowed(ask_instant(round_.ask_date, ask, zone), zone, policy)
            if at >= round_.cutoff_at:
                continue
            rows.append(
                dict(
                    workspace_id=workspace.id,
                    round_id=round_.id,
                    person_id=person.id,
                    ask_at=at,
                    ask_zone=zone_name,
                    status=DeliveryStatus.PLANNED,
                    not_before=at,
                    attempts=0,
                    uncertain=False,
                    created_at=now,
                    updated_at=now,
                )
            )
    if rows:
        insert_ignoring_conflicts(
            session, cast(Table, CheckinAsk.__table__), rows, index_elements=["round_id", "person_id"]
        )
    return len(rows)
