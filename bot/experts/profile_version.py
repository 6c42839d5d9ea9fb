"""The workspace's profile version: bumped by every profile change so caches of the expert index reload."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.models import Workspace


def bump_profiles_version(session: Session, workspace_id: int) -> None:
    """Record, in the caller's transaction, that some profile of the workspace changed.

    An atomic ``UPDATE ... SET v = v + 1``: two processes changing profiles at once both count.

    Args:
        session: The open session of the change.
        workspace_id: The workspace whose profiles changed.
    """
    session.execute(
        update(Workspace)
        .where(Workspace.id == workspace_id)
        .values(profiles_version=Workspace.profiles_version + 1)
        .execution_options(synchronize_session=False)
    )


def profiles_version(session: Session, workspace_id: int) -> int:
    """The workspace's current profile version (0 for a workspace never changed since 0003)."""
    return session.scalar(select(Workspace.profiles_version).where(Workspace.id == workspace_id)) or 0
