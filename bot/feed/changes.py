"""What an audit entry means for the feed: its project and kinds, the lines a post shows, who is told.

The feed reads the audit log (`bot.models.AuditEntry`) that every change writes in its own transaction.
An entry's `detail` is the JSON its write site recorded (`bot.projects.project.record_audit`); what the
detail does not say (a milestone's title, a blocker's text) is read from the row as it is when the
post is composed. An entry whose row is gone (or whose action the feed does not show) yields nothing.

| entity | actions | kind |
| --- | --- | --- |
| project | set_status; edit (status changed) | status |
| project | join, leave, remove; edit (members added or taken off) | members |
| milestone | add, move, done, assign, delete, restore | milestones |
| milestone | describe, link, unlink, after, not_after (its record: `/milestone describe` …) | milestones |
| milestone | agreement_signed (an agreement it waited on is signed: its owner is told too) | milestones |
| blocker | add, resolve | blockers |

Personal notifications (DMs): a milestone moved by someone other than its owner, and a milestone added
with someone else as its owner, tell the owner. `/milestone assign` and handovers already DM the new
owner when they happen (`bot.slack.handover`), so `assign` entries are not sent again.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.orm import Session

from bot.domain.dates import format_local
from bot.feed.kinds import FeedKind
from bot.feed.messages import FeedLine, Segment, code, person, strong, text
from bot.models import INCLUDE_DELETED, AuditEntry, Blocker, Milestone, Project, ProjectStatus
from bot.projects.project import STATUS_LABELS

# The audit entities the feed reads; entries of others (profiles, intros, imports) are never taken.
FEED_ENTITIES = ("project", "milestone", "blocker")
MAX_TEXT = 300
Names = Callable[[str], str]

_PROJECT_KINDS = {
    "set_status": FeedKind.STATUS,
    "join": FeedKind.MEMBERS,
    "leave": FeedKind.MEMBERS,
    "remove": FeedKind.MEMBERS,
    "archive": FeedKind.STATUS,
    "restore": FeedKind.STATUS,
}
_MILESTONE_ACTIONS = (
    "add",
    "move",
    "done",
    "assign",
    "delete",
    "restore",
    "describe",
    "link",
    "unlink",
    "after",
    "not_after",
    "agreement_signed",  # an agreement it waited on was signed (bot.agreements.records.set_status)
)
_BLOCKER_ACTIONS = ("add", "resolve", "delete", "restore")
# Deleted milestones and blockers are hidden from ORM queries (bot.models); the feed still tells of them.
_WITH_DELETED = {INCLUDE_DELETED: True}
_BLOCKER_VERBS = {
    "add": (":no_entry:", " raised blocker "),
    "resolve": (":white_check_mark:", " resolved blocker "),
    "delete": (":wastebasket:", " deleted blocker "),
    "restore": (":leftwards_arrow_with_hook:", " restored blocker "),
}


@dataclass(frozen=True)
class Change:
    """An audit entry the feed shows.

    Attributes:
        entry_id: The audit entry.
        workspace_id: Its workspace.
        project_id: The project changed.
        entity: "project", "milestone" or "blocker".
        entity_id: The row changed.
        action: What was done ("move", "add", …).
        actor: Who did it (Slack id).
        at: When.
        kinds: The kinds of change it is (an edit may be both status and members).
        detail: The entry's detail.
    """

    entry_id: int
    workspace_id: int
    project_id: int
    entity: str
    entity_id: int | None
    action: str
    actor: str
    at: datetime
    kinds: frozenset[FeedKind]
    detail: dict[str, Any]


def read_change(session: Session, entry: AuditEntry) -> Change | None:
    """The feed's reading of an audit entry; None if the feed does not show it (or its row is gone)."""
    detail = _detail(entry.detail)
    kinds = _kinds(entry.entity, entry.action, detail)
    if not kinds or entry.entity_id is None:
        return None
    project_id = _project_id(session, entry.entity, entry.entity_id)
    if project_id is None:
        return None
    return Change(
        entry_id=entry.id,
        workspace_id=entry.workspace_id,
        project_id=project_id,
        entity=entry.entity,
        entity_id=entry.entity_id,
        action=entry.action,
        actor=entry.actor,
        at=entry.at,
        kinds=kinds,
        detail=detail,
    )


def _detail(raw: str) -> dict[str, Any]:
    try:
        value = json.loads(raw) if raw else {}
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _kinds(entity: str, action: str, detail: dict[str, Any]) -> frozenset[FeedKind]:
    if entity == "project":
        if action == "edit":
            found = set()
            if _status_change(detail) is not None:
                found.add(FeedKind.STATUS)
            if detail.get("added") or detail.get("removed") or detail.get("lead_after"):
                found.add(FeedKind.MEMBERS)
            return frozenset(found)
        kind = _PROJECT_KINDS.get(action)
        return frozenset({kind}) if kind else frozenset()
    if entity == "milestone" and action in _MILESTONE_ACTIONS:
        return frozenset({FeedKind.MILESTONES})
    if entity == "blocker" and action in _BLOCKER_ACTIONS:
        return frozenset({FeedKind.BLOCKERS})
    return frozenset()


def _status_change(detail: dict[str, Any]) -> tuple[str, str] | None:
    """(before, after) statuses of an edit entry, if the edit changed the status."""
    before, after = detail.get("before"), detail.get("after")
    if not isinstance(before, dict) or not isinstance(after, dict):
        return None
    old, new = before.get("status"), after.get("status")
    return (str(old), str(new)) if old and new and old != new else None


def _project_id(session: Session, entity: str, entity_id: int) -> int | None:
    if entity == "project":
        return entity_id if session.get(Project, entity_id) is not None else None
    row: Milestone | Blocker | None = (
        session.get(Milestone, entity_id, execution_options=_WITH_DELETED)
        if entity == "milestone"
        else session.get(Blocker, entity_id, execution_options=_WITH_DELETED)
    )
    return row.project_id if row is not None else None


def personal_recipients(session: Session, change: Change) -> list[int]:
    """The people (person ids) a change is told to personally: the owner of a milestone moved by
    someone else, added with them as owner or handed to them (`/milestone assign`) by someone else, or
    held up by a blocker someone else raised on it (`/blocker add … --on ID`)."""
    if change.entity == "blocker" and change.action == "add" and change.entity_id is not None:
        blocker = session.get(Blocker, change.entity_id, execution_options=_WITH_DELETED)
        held_up = blocker.held_up if blocker is not None else None
        owner = held_up.owner if held_up is not None else None
        return [owner.id] if owner is not None and owner.slack_id != change.actor else []
    if change.entity == "blocker" and change.action == "resolve" and change.entity_id is not None:
        # Whoever raised a blocker hears that someone else resolved it, not only the channel.
        blocker = session.get(Blocker, change.entity_id, execution_options=_WITH_DELETED)
        raiser = blocker.raised_by if blocker is not None else None
        return [raiser.id] if raiser is not None and raiser.slack_id != change.actor else []
    if change.entity != "milestone" or change.entity_id is None:
        return []
    milestone = session.get(Milestone, change.entity_id, execution_options=_WITH_DELETED)
    owner = milestone.owner if milestone is not None else None
    if owner is None or owner.slack_id == change.actor:
        return []
    if change.action in ("move", "agreement_signed") or (
        change.action == "add" and change.detail.get("owner") == owner.slack_id
    ):
        return [owner.id]
    if change.action == "assign" and change.detail.get("after") == owner.slack_id:
        # A handover within a departure is told by the departure's one DM (bot.slack.handover).
        return [] if change.detail.get("part_of") else [owner.id]
    return []


def describe(session: Session, change: Change, zone: ZoneInfo, names: Names) -> list[FeedLine]:
    """The lines a channel post shows for a change (times in `zone`, the workspace's)."""
    actor = person(change.actor, names(change.actor))
    if change.entity == "project":
        return _project_lines(change, actor, names)
    if change.entity == "blocker":
        blocker = session.get(Blocker, change.entity_id, execution_options=_WITH_DELETED)
        if blocker is None:
            return []
        ref = code(f"{blocker.project.key}-b{blocker.number}")
        icon, verb = _BLOCKER_VERBS.get(change.action, _BLOCKER_VERBS["resolve"])
        return [
            FeedLine(icon, (actor, text(verb), ref, text(": "), text(_cut(blocker.text))), FeedKind.BLOCKERS)
        ]
    milestone = session.get(Milestone, change.entity_id, execution_options=_WITH_DELETED)
    if milestone is None:
        return []
    what = (code(f"{milestone.project.key}-{milestone.number}"), text(" "), strong(_cut(milestone.title)))
    detail = change.detail
    segments: tuple[Segment, ...]
    icon = ":spiral_calendar_pad:"
    if change.action == "add":
        segments = (actor, text(" added "), *what, text(f", due {_when(detail.get('due'), zone)}"))
        owner = detail.get("owner")
        if owner:
            segments += (text(", owner "), person(str(owner), names(str(owner))))
    elif change.action == "move":
        moved = f" to {_when(detail.get('after'), zone)} (was {_when(detail.get('before'), zone)})"
        segments = (actor, text(" moved "), *what, text(moved))
    elif change.action == "done":
        icon = ":white_check_mark:"
        segments = (actor, text(" marked "), *what, text(" done"))
    elif change.action == "delete":
        icon = ":wastebasket:"
        segments = (actor, text(" deleted "), *what)
    elif change.action == "restore":
        icon = ":leftwards_arrow_with_hook:"
        segments = (actor, text(" restored "), *what, text(" (its deletion undone)"))
    elif change.action in _DETAIL_ACTIONS:
        icon, segments = _detail_segments(session, change, actor, what)
    elif change.action == "assign":
        icon = ":bust_in_silhouette:"
        new = str(detail.get("after") or "")
        segments = (actor, text(" handed "), *what, text(" to "), person(new, names(new)))
        old = detail.get("before")
        if old:
            segments += (text(" (was "), person(str(old), names(str(old))), text(")"))
    elif change.action == "agreement_signed":
        icon = ":handshake:"
        signed = code(str(detail.get("agreement") or ""))
        segments = (
            actor,
            text(" recorded "),
            signed,
            text(" as signed: "),
            *what,
            text(" no longer waits on it"),
        )
    else:  # an action this version does not know how to tell: say nothing rather than something wrong
        return []
    return [FeedLine(icon, segments, FeedKind.MILESTONES)]


_DETAIL_ACTIONS = ("describe", "link", "unlink", "after", "not_after")


def _detail_segments(
    session: Session, change: Change, actor: Segment, what: tuple[Segment, ...]
) -> tuple[str, tuple[Segment, ...]]:
    """A milestone's description, links or dependencies changed (`/milestone describe|link|after…`)."""
    detail = change.detail
    if change.action == "describe":
        verb = " cleared the description of " if detail.get("cleared") else " updated the description of "
        return ":memo:", (actor, text(verb), *what)
    if change.action in ("link", "unlink"):
        verb = " linked " if change.action == "link" else " removed a link from "
        return ":link:", (actor, text(verb), *what, text(": "), text(_cut(str(detail.get("url") or ""))))
    other_id = detail.get("other_id")
    other = (
        session.get(Milestone, other_id, execution_options=_WITH_DELETED)
        if isinstance(other_id, int)
        else None
    )
    milestone = session.get(Milestone, change.entity_id, execution_options=_WITH_DELETED)
    # A private project's milestone is not named in another project's feed.
    hidden = other is None or (
        other.project.private and milestone is not None and other.project_id != milestone.project_id
    )
    named = text("a milestone of another project") if hidden else code(str(detail.get("other") or ""))
    relation = " to come after " if change.action == "after" else " to no longer come after "
    return ":link:", (actor, text(" set "), *what, text(relation), named)


def _project_lines(change: Change, actor: Segment, names: Names) -> list[FeedLine]:
    detail = change.detail
    lines: list[FeedLine] = []
    segments: tuple[Segment, ...]
    statuses = None
    if change.action == "set_status":
        statuses = (str(detail.get("before", "")), str(detail.get("after", "")))
    elif change.action == "edit":
        statuses = _status_change(detail)
    if statuses is not None:
        before, after = (_status_label(s) for s in statuses)
        segments = (actor, text(" set the status to "), strong(after), text(f" (was {before})"))
        lines.append(FeedLine(":traffic_light:", segments, FeedKind.STATUS))
    new_lead = detail.get("lead_after")
    if isinstance(new_lead, str) and new_lead:
        old_lead = detail.get("lead_before")
        was = (
            (text(" (was "), person(old_lead, names(old_lead)), text(")"))
            if isinstance(old_lead, str)
            else ()
        )
        segments = (actor, text(" made "), person(new_lead, names(new_lead)), text(" the lead"), *was)
        lines.append(FeedLine(":crown:", segments, FeedKind.MEMBERS))
    people = _people(detail.get("added"), names)
    if people:
        lines.append(
            FeedLine(":wave:", (actor, text(" added "), *people, text(" to the project")), FeedKind.MEMBERS)
        )
    people = _people(detail.get("removed"), names)
    if people:
        lines.append(
            FeedLine(":door:", (actor, text(" took "), *people, text(" off the project")), FeedKind.MEMBERS)
        )
    if change.action == "archive":
        segments = (actor, text(" archived the project: read-only, no reminders"))
        lines.append(FeedLine(":file_cabinet:", segments, FeedKind.STATUS))
    elif change.action == "restore":
        segments = (actor, text(" restored the project from the archive"))
        lines.append(FeedLine(":outbox_tray:", segments, FeedKind.STATUS))
    if change.action == "join":
        lines.append(FeedLine(":wave:", (actor, text(" joined the project")), FeedKind.MEMBERS))
    elif change.action in ("leave", "remove"):
        gone = str(detail.get("person") or change.actor)
        segments = (
            (actor, text(" left the project"))
            if change.action == "leave"
            else (actor, text(" took "), person(gone, names(gone)), text(" off the project"))
        )
        handed = [str(ref) for ref in detail.get("handed") or []]
        to = detail.get("to")
        if handed and to:
            refs = tuple(s for ref in handed[:10] for s in (code(ref), text(", ")))[:-1]
            more = text(f" and {len(handed) - 10} more") if len(handed) > 10 else text("")
            segments += (text(", handing "), *refs, more, text(" to "), person(str(to), names(str(to))))
        lines.append(FeedLine(":door:", segments, FeedKind.MEMBERS))
    return lines


def describe_personal(
    session: Session, change: Change, recipient_id: int, zone: ZoneInfo, names: Names
) -> FeedLine | None:
    """The line of a personal notification (times in the recipient's `zone`); None if it no longer
    applies (the milestone is gone, or no longer the recipient's: handed over while the DM waited)."""
    if change.entity == "blocker" and change.action == "resolve":
        return _your_blocker_resolved(session, change, recipient_id, names)
    if change.entity == "blocker":
        return _blocker_on_your_milestone(session, change, recipient_id, names)
    milestone = session.get(Milestone, change.entity_id) if change.entity == "milestone" else None
    if milestone is None or milestone.owner_id != recipient_id:
        return None
    project = milestone.project
    actor = person(change.actor, names(change.actor))
    what = (code(f"{project.key}-{milestone.number}"), text(" "), strong(_cut(milestone.title)))
    on = (text(" on "), strong(project.name))
    if change.action == "move":
        detail = change.detail
        moved = f" to {_when(detail.get('after'), zone)} (was {_when(detail.get('before'), zone)})"
        return FeedLine(
            ":spiral_calendar_pad:", (actor, text(" moved your milestone "), *what, *on, text(moved))
        )
    if change.action == "add":
        due = _when(change.detail.get("due"), zone)
        return FeedLine(
            ":spiral_calendar_pad:",
            (actor, text(" added "), *what, *on, text(f" with you as its owner, due {due}")),
        )
    if change.action == "agreement_signed":
        signed = code(str(change.detail.get("agreement") or ""))
        segments = (actor, text(" recorded "), signed, text(" as signed: your milestone "), *what, *on)
        return FeedLine(":handshake:", (*segments, text(" no longer waits on it")))
    if change.action == "assign":
        due = format_local(milestone.due_at, zone)
        return FeedLine(":inbox_tray:", (actor, text(" handed you "), *what, *on, text(f", due {due}")))
    return None


def _blocker_on_your_milestone(
    session: Session, change: Change, recipient_id: int, names: Names
) -> FeedLine | None:
    blocker = session.get(Blocker, change.entity_id)
    milestone = blocker.held_up if blocker is not None and blocker.resolved_at is None else None
    if blocker is None or milestone is None or milestone.owner_id != recipient_id:
        return None
    project = milestone.project
    segments = (
        person(change.actor, names(change.actor)),
        text(" raised "),
        code(f"{project.key}-b{blocker.number}"),
        text(" on your milestone "),
        code(f"{project.key}-{milestone.number}"),
        text(" "),
        strong(_cut(milestone.title)),
        text(": "),
        text(_cut(blocker.text)),
    )
    return FeedLine(":no_entry:", segments)


def _your_blocker_resolved(
    session: Session, change: Change, recipient_id: int, names: Names
) -> FeedLine | None:
    blocker = session.get(Blocker, change.entity_id)
    if blocker is None or blocker.raised_by_id != recipient_id or blocker.resolved_at is None:
        return None  # reopened or deleted while the DM waited: nothing to tell
    project = blocker.project
    segments = (
        person(change.actor, names(change.actor)),
        text(" resolved your blocker "),
        code(f"{project.key}-b{blocker.number}"),
        text(" on "),
        strong(project.name),
        text(": "),
        text(_cut(blocker.text)),
    )
    return FeedLine(":white_check_mark:", segments)


def _people(slack_ids: object, names: Names) -> tuple[Segment, ...]:
    if not isinstance(slack_ids, list) or not slack_ids:
        return ()
    shown = [str(s) for s in slack_ids]
    return tuple(s for sid in shown for s in (person(sid, names(sid)), text(", ")))[:-1]


def _status_label(value: str) -> str:
    try:
        return STATUS_LABELS[ProjectStatus(value)]
    except ValueError:
        return value


def _when(value: object, zone: ZoneInfo) -> str:
    """An ISO instant from an audit detail, on `zone`'s wall clock."""
    try:
        instant = datetime.fromisoformat(str(value))
    except ValueError:
        return "an unknown date"
    if instant.tzinfo is None:
        return "an unknown date"
    return format_local(instant, zone)


def _cut(value: str) -> str:
    return value if len(value) <= MAX_TEXT else value[: MAX_TEXT - 1].rstrip() + "…"


def zone_named(name: str) -> ZoneInfo:
    """The zone called `name`, or UTC for a name this system does not know."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")
