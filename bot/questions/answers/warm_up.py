"""Embedding every record and profile text once, in the background, so that no asker waits for it."""

from __future__ import annotations

import logging
import threading
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload, sessionmaker

from bot.access import Actor
from bot.experts.embeddings.cache import CachingEmbedder
from bot.models import Person, Workspace
from bot.questions.answers.experts import profile_texts
from bot.questions.answers.fallback_search import search_records
from bot.questions.search import exemplar_vectors

logger = logging.getLogger(__name__)


def warm_up_vectors(session: Session, embedder: CachingEmbedder) -> int:
    """Embed every record and profile text of every workspace once, so that no asker waits for it.

    Run in the background after the model has loaded (`liaison serve`); the texts are the same the
    answers embed (and `CachingEmbedder` keeps them), so a later question embeds only itself.

    Returns:
        How many texts were embedded or found cached.
    """
    texts: list[str] = []
    for workspace_id in session.scalars(select(Workspace.id)):
        # Everything, as an admin would see it: the vectors are a cache, never shown to anyone.
        everything = Actor("", workspace_id, None, True, ZoneInfo("UTC"))
        texts += [text for text, _, _ in search_records(session, everything)]
        people = session.scalars(
            select(Person)
            .where(Person.workspace_id == workspace_id)
            .options(selectinload(Person.publications))
        )
        texts += [text for person in people for _, text in profile_texts(person)]
    exemplar_vectors(embedder)
    if texts:
        embedder.embed(texts)
    return len(texts)


def start_warm_up(session_factory: sessionmaker[Session], embedder: CachingEmbedder) -> threading.Thread:
    """Run `warm_up_vectors` in a daemon thread once the model has loaded; failures are only logged.

    Args:
        session_factory: The process's sessions.
        embedder: The (loading) embedder.

    Returns:
        The started thread.
    """

    def run() -> None:
        try:
            if embedder.wait_ready(None):
                with session_factory() as session:
                    count = warm_up_vectors(session, embedder)
                logger.info("embedded %d record and profile texts for questions", count)
        except Exception:
            # A cold cache only makes the first searches slower; the bot keeps answering.
            logger.exception("warming up the question vectors failed")

    thread = threading.Thread(target=run, name="question-vectors", daemon=True)
    thread.start()
    return thread
