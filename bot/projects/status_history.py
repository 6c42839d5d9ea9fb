"""Since when a project has had its status, from the audit trail ("how long has uplift been blocked?")."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.models import AuditEntry

# Audit actions on a project that may set its status: its creation, `/project set-status`, the edit form.
_STATUS_ACTIONS = ("create", "set_status", "edit")


def status_since(session: Session, project_ids: Sequence[int]) -> dict[int, datetime]:
    """When each project got the status it has now: its latest status change, else its creation.

    A project imported from a workspace file has neither in the audit trail and is left out: when its
    status began is not known.

    Args:
        session: The request's session.
        project_ids: The projects asked about.

    Returns:
        The instant (UTC) by project id, for the projects whose start is known.
    """
    if not project_ids:
        return {}
    entries = session.execute(
        select(AuditEntry.entity_id, AuditEntry.action, AuditEntry.detail, AuditEntry.at)
        .where(
            AuditEntry.entity == "project",
            AuditEntry.entity_id.in_(project_ids),
            AuditEntry.action.in_(_STATUS_ACTIONS),
        )
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    ).all()
    since: dict[int, datetime] = {}
    for project_id, action, detail, at in entries:
        if project_id is None or project_id in since:
            continue
        if action != "edit" or _edit_changed_status(detail):
            since[project_id] = at  # the newest entry that set a status (entries come newest first)
    return since


def _edit_changed_status(detail: str) -> bool:
    """Whether an edit's audit detail records a change of status."""
    try:
        parsed = json.loads(detail or "{}")
    except ValueError:
        return False
    before, after = parsed.get("before"), parsed.get("after")
    if not isinstance(before, dict) or not isinstance(after, dict):
        return False
    return before.get("status") != after.get("status")
