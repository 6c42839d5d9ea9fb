"""Per claimed item, when it is sent: is it still to be sent, to whom, and what does it say?

Everything is read again at send time, so a post never reaches a channel that was unsubscribed, or that
may no longer see the project (it became private), or a person who turned notifications off or left a
private project meanwhile: such items are cancelled, with the reason. Times are shown on the reader's
clock: the workspace's zone in a channel, the recipient's in a DM.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.feed.changes import Change, describe, describe_personal, read_change, zone_named
from bot.feed.claims import FeedClaim
from bot.feed.kinds import FeedKind
from bot.feed.messages import FeedLine, FeedPost
from bot.feed.subscriptions import channel_targets, may_see, opted_out
from bot.models import AuditEntry, Person, Project, Workspace
from bot.reminders.planning import person_zone

# Items per post: one section each, within Slack's 50 blocks.
MAX_ITEMS_PER_POST = 40
NOT_INSTALLED = "Liaison is not installed in this workspace"


@dataclass(frozen=True)
class ComposedItem:
    """A claimed item with what it says now, or why it is not sent.

    Attributes:
        claim: The item.
        target: Where it goes: a channel id, or the recipient's Slack id.
        team_id: The workspace's Slack team.
        lines: Its lines (empty when cancelled).
        project_key: The project (for a channel post's heading).
        project_name: Its name.
        cancel_reason: Why it is not sent (None: send it).
    """

    claim: FeedClaim
    target: str = ""
    team_id: str | None = None
    lines: tuple[FeedLine, ...] = ()
    project_key: str = ""
    project_name: str = ""
    cancel_reason: str | None = None


class _Names:
    """Slack id → name in one workspace's directory, read once per id (the id itself if unknown)."""

    def __init__(self, session: Session, workspace_id: int) -> None:
        self._session = session
        self._workspace_id = workspace_id
        self._known: dict[str, str] = {}

    def __call__(self, slack_id: str) -> str:
        if slack_id not in self._known:
            name = self._session.scalars(
                select(Person.name).where(
                    Person.workspace_id == self._workspace_id, Person.slack_id == slack_id
                )
            ).first()
            self._known[slack_id] = name or slack_id
        return self._known[slack_id]


def compose(session: Session, claims: Sequence[FeedClaim]) -> list[ComposedItem]:
    """What each claimed item says now, or why it is cancelled."""
    names: dict[int, _Names] = {}
    targets: dict[int, dict[str, frozenset[FeedKind]]] = {}
    composed = []
    for claim in claims:
        workspace = session.get(Workspace, claim.workspace_id)
        project = session.get(Project, claim.project_id)
        entry = session.get(AuditEntry, claim.audit_entry_id)
        change = read_change(session, entry) if entry is not None else None
        if workspace is None or not workspace.connected:
            composed.append(ComposedItem(claim, cancel_reason=NOT_INSTALLED))
            continue
        if project is None or change is None:
            composed.append(ComposedItem(claim, cancel_reason="the change's record is gone"))
            continue
        namer = names.setdefault(workspace.id, _Names(session, workspace.id))
        if claim.channel_id is not None:
            if project.id not in targets:
                targets[project.id] = channel_targets(session, project)
            composed.append(
                _channel_item(session, claim, workspace, project, change, targets[project.id], namer)
            )
        else:
            composed.append(_personal_item(session, claim, workspace, project, change, namer))
    return composed


def _channel_item(
    session: Session,
    claim: FeedClaim,
    workspace: Workspace,
    project: Project,
    change: Change,
    targets: dict[str, frozenset[FeedKind]],
    names: _Names,
) -> ComposedItem:
    assert claim.channel_id is not None
    kinds = targets.get(claim.channel_id)
    if not kinds:
        reason = "the project is private" if project.private else "the channel is no longer subscribed"
        return ComposedItem(claim, cancel_reason=reason)
    lines = tuple(
        line
        for line in describe(session, change, zone_named(workspace.timezone), names)
        if line.kind in kinds
    )
    if not lines:
        return ComposedItem(claim, cancel_reason="nothing the channel is subscribed to")
    return ComposedItem(claim, claim.channel_id, workspace.slack_team_id, lines, project.key, project.name)


def _personal_item(
    session: Session, claim: FeedClaim, workspace: Workspace, project: Project, change: Change, names: _Names
) -> ComposedItem:
    person = session.get(Person, claim.recipient_id) if claim.recipient_id is not None else None
    if person is None:
        return ComposedItem(claim, cancel_reason="the recipient is gone")
    if opted_out(session, [person.id]):
        return ComposedItem(claim, cancel_reason="notifications turned off")
    if not may_see(project, person.id):
        return ComposedItem(claim, cancel_reason="the recipient may not see the project")
    zone = zone_named(person_zone(person, workspace.timezone))
    line = describe_personal(session, change, person.id, zone, names)
    if line is None:
        return ComposedItem(claim, cancel_reason="no longer applies (gone, or no longer theirs)")
    return ComposedItem(claim, person.slack_id, workspace.slack_team_id, (line,))


def plan_posts(items: Sequence[ComposedItem]) -> list[tuple[ComposedItem, ...]]:
    """Group the items to send into posts: one per channel and project, one per person (in claim order)."""
    groups: dict[tuple[object, ...], list[ComposedItem]] = defaultdict(list)
    for item in items:
        if item.cancel_reason is None:
            project = item.claim.project_id if item.claim.channel_id is not None else None
            groups[(item.team_id, item.target, project)].append(item)
    return [
        tuple(group[start : start + MAX_ITEMS_PER_POST])
        for group in groups.values()
        for start in range(0, len(group), MAX_ITEMS_PER_POST)
    ]


def post_of(items: Sequence[ComposedItem]) -> FeedPost:
    """The message that delivers `items` (all to one target)."""
    first = items[0]
    channel = first.claim.channel_id is not None
    return FeedPost(
        target=first.target,
        team_id=first.team_id,
        keys=tuple(item.claim.key for item in items),
        lines=tuple(line for item in items for line in item.lines),
        project_key=first.project_key if channel else None,
        project_name=first.project_name if channel else None,
    )
