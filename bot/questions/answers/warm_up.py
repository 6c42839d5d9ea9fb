"""Indexing the names and embedding every record and profile text once, in the background, so that no
asker waits for either."""

from __future__ import annotations

import gc
import logging
import threading
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload, sessionmaker

from bot.access import Actor
from bot.experts.embeddings.cache import CachingEmbedder
from bot.models import Person, Workspace
from bot.questions.answers.directory import warm_up_directories
from bot.questions.answers.experts import profile_texts
from bot.questions.answers.fallback_search import public_searchable, search_records
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
    for workspace_id in session.scalars(select(Workspace.id)):
        # The public records' matrix, as every search of the workspace asks for it.
        embedder.matrix(public_searchable(session, workspace_id).texts)
    return len(texts)


def settle_after_warm_up() -> None:
    """Move what the process holds after its warm-up out of the garbage collector's sight.

    The model and the warmed caches are about half a million long-lived objects that every full
    collection would scan again: 0.5–1.7 s pauses landed on answers in the question benchmark
    (docs/benchmarks.md). What is garbage now is collected first; objects made later are collected
    as usual.
    """
    gc.collect()
    gc.freeze()


def start_warm_up(session_factory: sessionmaker[Session], embedder: CachingEmbedder) -> threading.Thread:
    """Index the directories, then run `warm_up_vectors` once the model has loaded, in a daemon thread.

    Failures are only logged.

    Args:
        session_factory: The process's sessions.
        embedder: The (loading) embedder.

    Returns:
        The started thread.
    """

    def run() -> None:
        try:
            # The name index needs no model: build it first, for the questions rules answer.
            with session_factory() as session:
                warm_up_directories(session)
        except Exception:
            logger.exception("indexing the question directories failed")
        try:
            if embedder.wait_ready(None):
                with session_factory() as session:
                    count = warm_up_vectors(session, embedder)
                logger.info("embedded %d record and profile texts for questions", count)
                settle_after_warm_up()
        except Exception:
            # A cold cache only makes the first searches slower; the bot keeps answering.
            logger.exception("warming up the question vectors failed")

    thread = threading.Thread(target=run, name="question-vectors", daemon=True)
    thread.start()
    return thread
