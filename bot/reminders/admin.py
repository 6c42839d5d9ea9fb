"""Changing reminder policies and the daily digest opt-out (`/milestone remind`).

A project's lead (or an admin) sets its policy; only admins set the workspace's. Every change is
audited and replans the affected reminders in the same transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields, replace
from datetime import datetime

from sqlalchemy.orm import Session

from bot.access import Actor, require_editor
from bot.domain.reminders import (
    PolicyError,
    PolicyOverrides,
    ReminderPolicy,
    describe_policy,
    parse_clock,
    parse_days,
    parse_lead_times,
    parse_quiet_hours,
    parse_weekday,
)
from bot.errors import Forbidden, InvalidInput
from bot.models import Project
from bot.projects.project import person_for, record_audit
from bot.reminders.planning import plan_recurring, replan_project, replan_workspace
from bot.reminders.policy import clear_overrides, load_policy_book, overrides_of, policy_row, write_overrides

SETTING_WORDS = (
    "lead-times",
    "at",
    "quiet",
    "weekends",
    "escalate-lead",
    "escalate-channel",
    "digest",
    "waiting",
)


@dataclass(frozen=True)
class PolicyView:
    """A policy as shown: the effective values, and which of them this scope sets itself.

    `scope` is plain text (a project key, or "the workspace"): the reply puts it inside its bold
    title, and Slack cannot nest bold.
    """

    scope: str
    effective: Sequence[tuple[str, str]]
    set_here: frozenset[str]


def parse_policy_words(words: Sequence[str]) -> PolicyOverrides:
    """Parse `lead-times 7d,1d,0 at 09:00 quiet 20:00-08:00 weekends skip digest mon 09:00 …`.

    Raises:
        InvalidInput: An unknown setting or a malformed value, saying which.
    """
    result = PolicyOverrides()
    i = 0
    try:
        while i < len(words):
            word = words[i].lower()
            value = words[i + 1] if i + 1 < len(words) else ""
            if not value:
                raise PolicyError(f"`{word}` needs a value.")
            if word in ("lead-times", "lead-time", "leads"):
                result = replace(result, lead_times=parse_lead_times(value))
            elif word == "at":
                result = replace(result, local_time=parse_clock(value))
            elif word == "quiet":
                result = replace(result, quiet_hours=parse_quiet_hours(value))
            elif word == "weekends":
                result = replace(result, skip_weekends=_choice(value, "skip", "allow", "weekends"))
            elif word == "escalate-lead":
                result = replace(result, escalate_lead_days=parse_days(value, "escalate-lead"))
            elif word == "escalate-channel":
                result = replace(result, escalate_channel_days=parse_days(value, "escalate-channel"))
            elif word == "digest":
                weekday = parse_weekday(value)
                result = replace(result, digest_weekday=weekday, digest_off=weekday is None)
                if weekday is not None and i + 2 < len(words) and ":" in words[i + 2]:
                    result = replace(result, digest_time=parse_clock(words[i + 2]))
                    i += 1
            elif word == "waiting":
                result = replace(result, waiting_digest=_choice(value, "on", "off", "waiting"))
            else:
                raise PolicyError(
                    f"“{word}” is not a reminder setting. Settings: " + ", ".join(SETTING_WORDS) + "."
                )
            i += 2
    except PolicyError as error:
        raise InvalidInput(str(error)) from None
    return result


def _choice(value: str, yes: str, no: str, word: str) -> bool:
    if value.lower() not in (yes, no):
        raise PolicyError(f"Use `{word} {yes}` or `{word} {no}`.")
    return value.lower() == yes


def show_policy(
    session: Session, actor: Actor, project: Project | None, defaults: ReminderPolicy
) -> PolicyView:
    """The effective policy of a project (or of the workspace, for None)."""
    book = load_policy_book(session, actor.workspace_id, defaults)
    row_overrides = book.projects.get(project.id) if project is not None else book.workspace
    return PolicyView(
        scope=project.key if project is not None else "the workspace",
        effective=describe_policy(book.for_project(project.id if project else None)),
        set_here=_set_fields(row_overrides),
    )


def change_policy(
    session: Session,
    actor: Actor,
    project: Project | None,
    changes: PolicyOverrides | None,
    now: datetime,
    defaults: ReminderPolicy,
) -> PolicyView:
    """Set (or, with `changes` None, reset to inherit) a project's or the workspace's policy, audit
    it, and replan the reminders it affects.

    Raises:
        Forbidden: Not the project's lead or an admin (workspace: admins only).
    """
    if project is None:
        if not actor.is_admin:
            raise Forbidden("Only a Liaison admin can change the workspace's reminder policy.")
    else:
        require_editor(project, actor, "change its reminders")
    row = policy_row(
        session, actor.workspace_id, project.id if project else None, actor=actor.slack_id, now=now
    )
    if changes is None:
        clear_overrides(row)
    else:
        write_overrides(row, changes)
    row.updated_at, row.updated_by = now, actor.slack_id
    session.flush()
    record_audit(
        session,
        actor,
        "reset_reminders" if changes is None else "set_reminders",
        "project" if project else "workspace",
        project.id if project else actor.workspace_id,
        now,
        scope=row.scope,
        settings=sorted(_set_fields(overrides_of(row))),
    )
    if project is not None:
        replan_project(session, project, now, defaults=defaults)
    else:
        replan_workspace(session, actor.workspace_id, now, defaults=defaults)
    return show_policy(session, actor, project, defaults)


def set_waiting_digest(
    session: Session, actor: Actor, enabled: bool, now: datetime, defaults: ReminderPolicy
) -> bool:
    """Opt in to or out of the daily "waiting on you" DM. Returns whether anything changed."""
    person = person_for(session, actor)
    if person.waiting_digest_opt_out == (not enabled):
        return False
    person.waiting_digest_opt_out = not enabled
    record_audit(
        session, actor, "waiting_digest_on" if enabled else "waiting_digest_off", "person", person.id, now
    )
    session.flush()
    plan_recurring(session, now, defaults=defaults, workspace_ids=[actor.workspace_id])
    return True


def _set_fields(overrides: PolicyOverrides | None) -> frozenset[str]:
    if overrides is None:
        return frozenset()
    names = {
        "lead_times": "lead-times",
        "local_time": "at",
        "quiet_hours": "quiet",
        "skip_weekends": "weekends",
        "escalate_lead_days": "escalate",
        "escalate_channel_days": "escalate",
        "digest_weekday": "digest",
        "digest_time": "digest",
        "waiting_digest": "waiting",
    }
    found = {
        names[f.name] for f in fields(overrides) if f.name in names and getattr(overrides, f.name) is not None
    }
    if overrides.digest_off:
        found.add("digest")
    return frozenset(found)
