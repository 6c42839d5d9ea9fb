"""Reminder policies: settings defaults, overridden per workspace, then per project.

A workspace row has scope "workspace" and a project row "project:<id>"; in both, a NULL column means
"inherit". Changing a policy replans the affected reminders in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.domain.reminders import (
    PolicyError,
    PolicyOverrides,
    ReminderPolicy,
    format_clock,
    format_lead_times,
    format_quiet_hours,
    format_weekday,
    parse_clock,
    parse_lead_times,
    parse_quiet_hours,
    parse_weekday,
)
from bot.models import ReminderPolicySetting

WORKSPACE_SCOPE = "workspace"


def project_scope(project_id: int) -> str:
    """The scope string of a project's policy row."""
    return f"project:{project_id}"


def overrides_of(row: ReminderPolicySetting | None) -> PolicyOverrides | None:
    """The overrides a stored row sets (values were validated when written)."""
    if row is None:
        return None
    digest_weekday: int | None = None
    digest_time = None
    digest_off = False
    if row.digest:
        day, _, at = row.digest.partition(" ")
        digest_weekday = parse_weekday(day)
        digest_off = digest_weekday is None
        digest_time = parse_clock(at) if at else None
    return PolicyOverrides(
        lead_times=parse_lead_times(row.lead_times) if row.lead_times else None,
        local_time=parse_clock(row.local_time) if row.local_time else None,
        quiet_hours=parse_quiet_hours(row.quiet_hours) if row.quiet_hours else None,
        skip_weekends=row.skip_weekends,
        escalate_lead_days=row.escalate_lead_days,
        escalate_channel_days=row.escalate_channel_days,
        digest_weekday=digest_weekday,
        digest_off=digest_off,
        digest_time=digest_time,
        waiting_digest=row.waiting_digest,
    )


def write_overrides(row: ReminderPolicySetting, overrides: PolicyOverrides) -> None:
    """Store the fields `overrides` sets on `row`, leaving the others as they are."""
    if overrides.lead_times is not None:
        row.lead_times = format_lead_times(overrides.lead_times)
    if overrides.local_time is not None:
        row.local_time = format_clock(overrides.local_time)
    if overrides.quiet_hours is not None:
        row.quiet_hours = format_quiet_hours(overrides.quiet_hours)
    if overrides.skip_weekends is not None:
        row.skip_weekends = overrides.skip_weekends
    if overrides.escalate_lead_days is not None:
        row.escalate_lead_days = overrides.escalate_lead_days
    if overrides.escalate_channel_days is not None:
        row.escalate_channel_days = overrides.escalate_channel_days
    if overrides.digest_off:
        row.digest = "off"
    elif overrides.digest_weekday is not None or overrides.digest_time is not None:
        current = overrides_of(row)
        weekday = overrides.digest_weekday
        if weekday is None and current is not None:
            weekday = current.digest_weekday
        at = overrides.digest_time or (current.digest_time if current else None)
        if weekday is None:
            raise PolicyError("Name the digest's weekday too, e.g. `digest mon 09:00`.")
        row.digest = format_weekday(weekday) + (f" {format_clock(at)}" if at else "")
    if overrides.waiting_digest is not None:
        row.waiting_digest = overrides.waiting_digest


@dataclass
class PolicyBook:
    """The policy rows of one workspace, loaded once, so replanning many milestones reads them once."""

    defaults: ReminderPolicy
    workspace: PolicyOverrides | None
    projects: dict[int, PolicyOverrides]

    def for_project(self, project_id: int | None) -> ReminderPolicy:
        """The effective policy of a project (or of the workspace, for None)."""
        policy = self.defaults.merged(self.workspace)
        if project_id is None:
            return policy
        return policy.merged(self.projects.get(project_id))


def load_policy_book(session: Session, workspace_id: int, defaults: ReminderPolicy) -> PolicyBook:
    """Read a workspace's policy rows.

    Args:
        session: Open session.
        workspace_id: The workspace.
        defaults: The settings' defaults (`Settings.reminder_policy`).

    Returns:
        A book answering the effective policy of any project.
    """
    rows = session.scalars(
        select(ReminderPolicySetting).where(ReminderPolicySetting.workspace_id == workspace_id)
    ).all()
    workspace = next((overrides_of(r) for r in rows if r.scope == WORKSPACE_SCOPE), None)
    projects = {
        r.project_id: o for r in rows if r.project_id is not None and (o := overrides_of(r)) is not None
    }
    return PolicyBook(defaults, workspace, projects)


def policy_row(
    session: Session, workspace_id: int, project_id: int | None, *, actor: str, now: datetime
) -> ReminderPolicySetting:
    """The workspace's or project's policy row, created (all inherit) when missing."""
    scope = WORKSPACE_SCOPE if project_id is None else project_scope(project_id)
    row = session.scalars(
        select(ReminderPolicySetting).where(
            ReminderPolicySetting.workspace_id == workspace_id, ReminderPolicySetting.scope == scope
        )
    ).first()
    if row is None:
        row = ReminderPolicySetting(
            workspace_id=workspace_id, scope=scope, project_id=project_id, updated_at=now, updated_by=actor
        )
        session.add(row)
    return row


def clear_overrides(row: ReminderPolicySetting) -> None:
    """Make every rule of a row inherit again."""
    empty = PolicyOverrides()
    for item in fields(empty):
        if hasattr(row, item.name):
            setattr(row, item.name, None)
    row.digest = None
