"""Which channels get a project's changes, and who gets personal notifications.

- A project's own channel (`Project.channel_id`) gets every kind of change by default, without a row;
  `/project subscribe KEY kinds` there stores the kinds it wants, `/project unsubscribe KEY` there
  mutes it (a row with no kinds).
- Any other channel gets a public project's changes once subscribed (a row). **A private project's
  changes go only to its own channel**: subscribing another channel is refused, and a subscription made
  while the project was public is ignored once it is private (checked again when each post is sent).
- Only the project's lead or an admin subscribes or unsubscribes channels; each change is audited.
- Personal notifications (DMs) are on unless the person turned them off (`/liaison notifications off`).

Every function takes the request's `session` (the caller commits).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bot.access import Actor, require_editor
from bot.errors import Forbidden, InvalidInput
from bot.feed.kinds import ALL_KINDS, FeedKind, format_kinds, read_kinds
from bot.models import FeedOptOut, FeedSubscription, Project
from bot.projects.project import CHANNEL_ID_RE, find_project, person_for, record_audit


@dataclass(frozen=True)
class SubscriptionChange:
    """What `/project subscribe|unsubscribe` did.

    Attributes:
        project_key: The project.
        project_name: Its name.
        channel_id: The channel.
        own_channel: The channel is the project's own.
        kinds: What the channel gets now (empty: nothing).
        changed: Anything changed (else it already was so).
        private: The project is private.
    """

    project_key: str
    project_name: str
    channel_id: str
    own_channel: bool
    kinds: frozenset[FeedKind]
    changed: bool
    private: bool


def channel_targets(session: Session, project: Project) -> dict[str, frozenset[FeedKind]]:
    """The channels that get this project's changes now, with the kinds each gets (never empty).

    The privacy rule lives here: a private project's changes go to its own channel only.
    """
    own = project.channel_id
    targets: dict[str, frozenset[FeedKind]] = {own: ALL_KINDS} if own else {}
    rows = session.scalars(select(FeedSubscription).where(FeedSubscription.project_id == project.id))
    for row in rows:
        if row.channel_id == own or not project.private:
            targets[row.channel_id] = read_kinds(row.kinds)
    return {channel: kinds for channel, kinds in targets.items() if kinds}


def _row(session: Session, project: Project, channel_id: str) -> FeedSubscription | None:
    return session.scalars(
        select(FeedSubscription).where(
            FeedSubscription.project_id == project.id, FeedSubscription.channel_id == channel_id
        )
    ).first()


def _editable(session: Session, actor: Actor, query: str, channel_id: str | None, verb: str) -> Project:
    if channel_id is None:
        raise InvalidInput(
            f"Which channel? Run the command in the channel, or name it: `{verb} PROJECT <#C…>` "
            "(a channel id such as `C0123ABCD` works too)."
        )
    if not CHANNEL_ID_RE.match(channel_id):
        raise InvalidInput(f"“{channel_id[:40]}” is not a channel id (they look like `C0123ABCD`).")
    project = find_project(session, actor, query)
    require_editor(project, actor, "choose which channels get its changes")
    return project


def subscribe(
    session: Session,
    actor: Actor,
    query: str,
    channel_id: str | None,
    kinds: frozenset[FeedKind] | None,
    now: datetime,
) -> SubscriptionChange:
    """Have a channel get a project's changes (all kinds unless `kinds` names some).

    Args:
        session: The request's session.
        actor: Who asks (the project's lead or an admin).
        query: The project's key or name.
        channel_id: The channel (None: the command was not typed in a channel).
        kinds: The kinds of change, or None for all.
        now: The current instant.

    Raises:
        InvalidInput: No channel, or not a channel id.
        NotFound: No such project the actor may see.
        Forbidden: Not the lead or an admin; or another channel for a private project.
    """
    project = _editable(session, actor, query, channel_id, "subscribe")
    assert channel_id is not None
    wanted = kinds or ALL_KINDS
    own = channel_id == project.channel_id
    if project.private and not own:
        where = "its own channel" if project.channel_id else "no channel (set one with `/project edit`)"
        raise Forbidden(
            f"*{project.key}* is private, so its changes go only to {where}, never to another channel."
        )
    row = _row(session, project, channel_id)
    current = read_kinds(row.kinds) if row is not None else (ALL_KINDS if own else frozenset())
    changed = current != wanted
    if changed:
        if own and wanted == ALL_KINDS:
            session.delete(row)  # the default again
        elif row is None:
            session.add(
                FeedSubscription(
                    workspace_id=project.workspace_id,
                    project_id=project.id,
                    channel_id=channel_id,
                    kinds=format_kinds(wanted),
                    updated_by=actor.slack_id,
                    updated_at=now,
                )
            )
        else:
            row.kinds, row.updated_by, row.updated_at = format_kinds(wanted), actor.slack_id, now
        record_audit(
            session,
            actor,
            "subscribe",
            "project",
            project.id,
            now,
            channel=channel_id,
            kinds=format_kinds(wanted),
        )
    return SubscriptionChange(project.key, project.name, channel_id, own, wanted, changed, project.private)


def unsubscribe(
    session: Session, actor: Actor, query: str, channel_id: str | None, now: datetime
) -> SubscriptionChange:
    """Stop a channel getting a project's changes; the project's own channel is muted.

    Raises:
        InvalidInput: No channel, or not a channel id.
        NotFound: No such project the actor may see.
        Forbidden: Not the lead or an admin.
    """
    project = _editable(session, actor, query, channel_id, "unsubscribe")
    assert channel_id is not None
    own = channel_id == project.channel_id
    row = _row(session, project, channel_id)
    changed = False
    if own:
        if row is None:
            session.add(
                FeedSubscription(
                    workspace_id=project.workspace_id,
                    project_id=project.id,
                    channel_id=channel_id,
                    kinds="",
                    updated_by=actor.slack_id,
                    updated_at=now,
                )
            )
            changed = True
        elif read_kinds(row.kinds):
            row.kinds, row.updated_by, row.updated_at = "", actor.slack_id, now
            changed = True
    elif row is not None:
        session.execute(delete(FeedSubscription).where(FeedSubscription.id == row.id))
        changed = True
    if changed:
        record_audit(session, actor, "unsubscribe", "project", project.id, now, channel=channel_id)
    return SubscriptionChange(
        project.key, project.name, channel_id, own, frozenset(), changed, project.private
    )


def set_notifications(session: Session, actor: Actor, enabled: bool, now: datetime) -> bool:
    """Turn the actor's personal change notifications on or off; returns whether that changed anything."""
    person = person_for(session, actor)
    row = session.get(FeedOptOut, person.id)
    if enabled == (row is None):
        return False
    if enabled:
        session.delete(row)
    else:
        session.add(FeedOptOut(person_id=person.id, since=now))
    record_audit(session, actor, "notifications", "person", person.id, now, enabled=enabled)
    return True


def opted_out(session: Session, person_ids: Collection[int]) -> set[int]:
    """Those of `person_ids` who turned personal notifications off."""
    if not person_ids:
        return set()
    return set(
        session.scalars(select(FeedOptOut.person_id).where(FeedOptOut.person_id.in_(list(person_ids))))
    )


def may_see(project: Project, person_id: int) -> bool:
    """Whether a person may be told about the project (a private one: its members only)."""
    return not project.private or any(m.person_id == person_id for m in project.memberships)
