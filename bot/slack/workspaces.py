"""Workspaces and their Slack installs: made on install, found for the teams of an org, quiet when gone.

- **Install** (`record_installed_workspace`): the workspace bound to the installing team is created
  (named after the team, in `LIAISON_TIMEZONE`) or, on a reinstall, kept with all its data and its
  reminders planned again. An Enterprise Grid org-wide install binds one workspace to the org:
  `Workspace.slack_team_id` holds the enterprise id (`E…`).
- **Teams of an org** (`remember_org_team`): requests from an org-wide install carry the id of the
  org's team they come from; each team is recorded (`WorkspaceTeam`) the first time it talks to
  Liaison, so `bot.access.resolve_workspace` finds the org's workspace by it. A team bound to a
  workspace of its own (installed on its own) keeps that one.
- **Uninstall and revocation** (`forget_installation`): the tokens are deleted, the workspace is
  marked disconnected (`Workspace.disconnected_at`: nothing is planned for it any more) and its
  planned reminders cancelled, but its projects, people and history stay, so an admin who reinstalls
  finds everything as it was (reconnected, and the reminders planned again; with one workspace and
  `SLACK_BOT_TOKEN`, when a process starts with a token that works, `reconnect_single_workspace`).
  Deleting a workspace's data is a separate, deliberate act (`LIAISON_UNINSTALL_DATA=purge`).

Imported data never binds itself to a team that installs: a workspace without a team id is not
handed to the first team that installs (anyone with the install link could), so data imported for a
team names it (`slack_team_id` in the workspace file; docs/workspace-format.md).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from datetime import datetime
from typing import cast

from slack_sdk.oauth.installation_store import Installation
from sqlalchemy import Table, delete, select, update
from sqlalchemy.orm import Session, sessionmaker

from bot.access import resolve_workspace
from bot.db import insert_ignoring_conflicts
from bot.domain.reminders import ReminderPolicy
from bot.errors import NotSetUp
from bot.models import DeliveryStatus, ReminderDelivery, Workspace, WorkspaceTeam
from bot.reminders.planning import replan_workspace
from bot.slack.installations import InstallationKey, InstallationTokens

logger = logging.getLogger(__name__)

UNINSTALLED_REASON = "Liaison was uninstalled from this workspace"
REVOKED_REASON = "Liaison's bot token for this workspace was revoked"


def record_installed_workspace(
    session: Session,
    installation: Installation,
    *,
    timezone: str,
    now: datetime,
    defaults: ReminderPolicy,
) -> Workspace:
    """Create the installing team's workspace, or keep (and wake) the one it already has.

    Args:
        session: The caller's transaction.
        installation: What Slack's OAuth exchange returned.
        timezone: The zone of a new workspace (`LIAISON_TIMEZONE`).
        now: For replanning reminders on a reinstall.
        defaults: Reminder defaults (settings).

    Returns:
        The workspace bound to the team (or to the org, for an org-wide install).

    Raises:
        IntegrityError: Another instance created it at the same moment (the caller retries).
    """
    key = InstallationKey.of(installation)
    team_key = key.workspace_key
    if team_key is None:
        raise ValueError("an installation without a team or enterprise id")
    workspace = session.scalars(select(Workspace).where(Workspace.slack_team_id == team_key)).first()
    if workspace is None:
        name = (
            installation.enterprise_name if key.is_enterprise_install else installation.team_name
        ) or team_key
        workspace = Workspace(name=name[:200], timezone=timezone, slack_team_id=team_key)
        session.add(workspace)
        session.flush()
        logger.info("created workspace %s for Slack %s", workspace.id, team_key)
    else:
        # A reinstall: reminders cancelled when the app was uninstalled apply again.
        reconnect(workspace)
        replan_workspace(session, workspace.id, now, defaults=defaults)
        logger.info("Slack %s installed Liaison again; workspace %s kept", team_key, workspace.id)
    return workspace


def forget_installation(
    session_factory: sessionmaker[Session],
    tokens: InstallationTokens | None,
    key: InstallationKey,
    *,
    now: datetime,
    bot_token_revoked: bool = True,
    user_ids: Sequence[str] = (),
    uninstalled: bool = False,
    purge_data: bool = False,
) -> int:
    """Delete what Slack took back (all tokens, the bot token, or users' tokens) and stop reminders.

    Args:
        session_factory: Sessions.
        tokens: The installation store's owner; None in single-workspace mode (token from settings),
            where only the reminders are stopped.
        key: The team (or org) the event came from.
        now: The current instant.
        bot_token_revoked: The bot token is gone: nothing can be sent to the workspace any more.
        user_ids: Users whose user tokens were revoked (Liaison asks for none, but Slack may say so).
        uninstalled: The app was uninstalled: every installation and bot of the team is deleted.
        purge_data: With `uninstalled`: delete the workspace and, by cascade, everything of it
            (people, projects, ledger, audit, intros, vectors) — `LIAISON_UNINSTALL_DATA=purge`.

    Returns:
        How many planned reminder deliveries were cancelled.
    """
    if tokens is not None:
        store = tokens.store
        if uninstalled:
            store.delete_all(enterprise_id=key.enterprise_id, team_id=key.team_id)
        else:
            if bot_token_revoked:
                store.delete_bot_tokens(key)
            store.delete_user_tokens(key, user_ids)
        tokens.forget(key.workspace_key)
    if not (uninstalled or bot_token_revoked):
        return 0
    reason = UNINSTALLED_REASON if uninstalled else REVOKED_REASON
    with session_factory.begin() as session:
        workspace = _installed_workspace(session, key, single_workspace=tokens is None)
        if workspace is None:
            return 0
        workspace.disconnected_at = now
        workspace.disconnected_reason = reason
        cancelled = cancel_planned_deliveries(session, workspace.id, now, reason)
        if uninstalled and purge_data:
            workspace_id = workspace.id
            # One statement; every table's foreign key to workspace cascades (SQLite: foreign_keys=ON).
            session.execute(delete(Workspace).where(Workspace.id == workspace_id))
            logger.info(
                "Slack %s uninstalled: workspace %s and all its data purged", key.workspace_key, workspace_id
            )
            return cancelled
    logger.info(
        "Slack %s: %s; %d planned reminders cancelled, data kept",
        key.workspace_key,
        "uninstalled" if uninstalled else "bot token revoked",
        cancelled,
    )
    return cancelled


def reconnect(workspace: Workspace) -> bool:
    """Mark the workspace reachable on Slack again (the caller replans its reminders).

    Returns:
        Whether it had been disconnected.
    """
    was_disconnected = not workspace.connected
    workspace.disconnected_at = None
    workspace.disconnected_reason = None
    return was_disconnected


def reconnect_single_workspace(
    session_factory: sessionmaker[Session], team_id: str | None, *, now: datetime, defaults: ReminderPolicy
) -> bool:
    """One workspace with `SLACK_BOT_TOKEN`: its token works again, so reconnect its workspace.

    In this mode no OAuth callback marks a reinstall: an admin reinstalls the app in Slack's settings
    and gives Liaison the new token. A process that has just checked that token (`auth.test` for
    `team_id`) calls this at start.

    Args:
        session_factory: Sessions.
        team_id: The team `auth.test` named.
        now: The current instant.
        defaults: Reminder defaults (settings), for replanning.

    Returns:
        Whether a disconnected workspace was reconnected (and its reminders replanned).
    """
    with session_factory.begin() as session:
        try:
            workspace = resolve_workspace(session, team_id)
        except NotSetUp:
            return False
        if workspace.connected:
            return False
        # Under a row lock, so that two instances starting together replan once.
        session.refresh(workspace, with_for_update=True)
        if not reconnect(workspace):
            return False
        replan_workspace(session, workspace.id, now, defaults=defaults)
        logger.info("Slack %s: the bot token works again; workspace %s reconnected", team_id, workspace.id)
        return True


def cancel_planned_deliveries(session: Session, workspace_id: int, now: datetime, reason: str) -> int:
    """Cancel every reminder delivery of a workspace that is still waiting to be sent.

    Rows a tick has claimed already are left to it: without a token it cancels them itself.

    Returns:
        How many were cancelled.
    """
    result = session.execute(
        update(ReminderDelivery)
        .where(
            ReminderDelivery.workspace_id == workspace_id, ReminderDelivery.status == DeliveryStatus.PLANNED
        )
        .values(status=DeliveryStatus.CANCELLED, last_error=reason, updated_at=now)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def _installed_workspace(
    session: Session, key: InstallationKey, *, single_workspace: bool
) -> Workspace | None:
    team_key = key.workspace_key
    if single_workspace:
        # One workspace, token from the settings: it may be unbound (it then serves any team).
        try:
            return resolve_workspace(session, team_key)
        except NotSetUp:
            return None
    if team_key is None:
        return None
    return session.scalars(select(Workspace).where(Workspace.slack_team_id == team_key)).first()


class OrgTeams:
    """Records, once per process and team, which org-wide workspace a team of the org belongs to.

    Args:
        session_factory: Sessions.
    """

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._session_factory = session_factory
        self._known: set[str] = set()
        self._guard = threading.Lock()

    def remember(self, enterprise_id: str, team_id: str, now: datetime) -> None:
        """Map `team_id` to the workspace of the org `enterprise_id`, if the org installed Liaison.

        Idempotent and safe from several instances at once (one row per team).
        """
        with self._guard:
            if team_id in self._known:
                return
        with self._session_factory.begin() as session:
            workspace_id = session.scalar(
                select(Workspace.id).where(Workspace.slack_team_id == enterprise_id)
            )
            if workspace_id is None:
                return  # the org has no workspace yet (nothing to serve the team from)
            bound = session.scalar(select(Workspace.id).where(Workspace.slack_team_id == team_id))
            if bound is None:
                _insert_team(session, workspace_id, enterprise_id, team_id, now)
        with self._guard:
            self._known.add(team_id)


def _insert_team(
    session: Session, workspace_id: int, enterprise_id: str, team_id: str, now: datetime
) -> None:
    row = {
        "workspace_id": workspace_id,
        "slack_team_id": team_id,
        "slack_enterprise_id": enterprise_id,
        "created_at": now,
    }
    table = cast(Table, WorkspaceTeam.__table__)
    # ON CONFLICT DO NOTHING: two instances may see the team's first requests at the same moment.
    insert_ignoring_conflicts(session, table, row, index_elements=["slack_team_id"])
