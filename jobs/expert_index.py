"""Keeps every workspace's expert index synced and this process's cache of it warm.

After an import or a /profile edit, the first /expert would otherwise embed the changed items and
reload the index while the user waits. This job does it in the background instead, once the model has
loaded: it never waits for the load, so it never holds the scheduler's thread for the ~10 s it takes.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select

from bot.experts.embeddings.protocol import is_ready
from bot.models import Workspace
from bot.services import Services

logger = logging.getLogger(__name__)


def refresh_expert_indexes(services: Services, *, now: datetime | None = None) -> int:
    """Sync the stored profile vectors of every workspace and load its index into the process cache.

    Does nothing until `services.embedder` is set and its model is loaded. An index whose database
    stamp has not moved costs one small query; a changed profile costs embedding its changed items.

    Several bot processes run this job at once, each for its own cache: when a profile changes, each
    of them may embed the same new items in the same minute. That duplicated work is the price of
    keeping every process's cache warm without coordination; the rows are upserted on (person, item,
    model), so the result is the same as one process doing it.

    Args:
        services: Session factory, embedder, clock and the process's `expert_indexes` cache.
        now: A fixed instant for the vectors' `updated_at` (tests); the services' clock otherwise.

    Returns:
        How many workspaces' indexes were checked (0 while the model is not ready).
    """
    embedder = services.embedder
    if embedder is None or not is_ready(embedder):
        logger.debug("expert index refresh skipped: the embedding model is not loaded yet")
        return 0
    at = now or services.clock.now()
    with services.session_factory() as session:
        workspace_ids = list(session.scalars(select(Workspace.id).order_by(Workspace.id)))
    for workspace_id in workspace_ids:
        services.expert_indexes.get(services.session_factory, embedder, workspace_id, now=at)
    return len(workspace_ids)
