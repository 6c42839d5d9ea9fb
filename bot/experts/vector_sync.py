"""Stored profile vectors: sync them with the profiles, and count how far they are behind.

Each profile item's vector is stored in `profile_vector` with the model name and the SHA-256 of the
embedded text. Syncing compares those hashes with the current profiles and embeds only what changed; a
text that is already stored under another key (a publication that moved up a place, or one that a
co-author lists too) is copied instead of embedded. `liaison index rebuild` embeds everything a new
`EMBEDDING_MODEL` needs, with a progress bar, and removes the old model's vectors. Any number of
processes may sync at once: rows are upserted on their unique key.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

import numpy as np
from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from bot.experts.embeddings.protocol import Embedder
from bot.experts.embeddings.storage import vector_to_bytes
from bot.experts.profile_items import ItemText, read_profiles
from bot.models import ExpertVisibility, ProfileVector

logger = logging.getLogger(__name__)

# Items embedded and written per transaction: small enough that a rebuild interrupted at any point
# keeps nearly all its work, large enough that per-batch overhead is negligible next to the model.
SYNC_BATCH = 256

# Ids or hashes per `IN (...)` list: far below SQLite's 32,766 bound parameters.
_IN_CHUNK = 500

_T = TypeVar("_T")
ItemKey = tuple[int, str]


@dataclass(frozen=True)
class SyncReport:
    """What a sync did.

    Attributes:
        embedded: Items run through the model and written (new, changed, or of another model).
        unchanged: Items whose stored vector was current.
        removed: Stored vectors deleted (items gone, or vectors of another model).
        reused: Changed items whose text was already stored under another key (a publication that
            moved, one a co-author lists too): its vector was copied, not embedded.
    """

    embedded: int
    unchanged: int
    removed: int
    reused: int = 0


ProgressCallback = Callable[[int, int], None]


def sync_profile_vectors(
    session_factory: sessionmaker[Session],
    embedder: Embedder,
    workspace_id: int,
    *,
    now: datetime,
    person_ids: Iterable[int] | None = None,
    force: bool = False,
    progress: ProgressCallback | None = None,
    batch_size: int = SYNC_BATCH,
    remove_other_models: bool = True,
) -> SyncReport:
    """Bring the stored vectors of a workspace (or some of its people) up to date.

    Opens its own sessions: one to compare, then short transactions to delete and to write each batch,
    so a long rebuild keeps its work if interrupted and never holds one huge transaction. Hidden people
    are synced too, so un-hiding a profile needs no embedding.

    Several processes may sync the same workspace at once: each may embed the same items (wasted work,
    not wrong results), rows are upserted on (person, item, model), and every transaction writes its
    rows in key order so two of them never wait on each other's rows in a cycle (no deadlock).

    Args:
        session_factory: Where the profiles and vectors live.
        embedder: The model; its `model_name` is stored with every vector.
        workspace_id: The workspace.
        now: Written as the vectors' `updated_at`.
        person_ids: Only these people (e.g. the one who just edited their profile); None: everyone.
        force: Re-embed every item even if its vector is current (and copy nothing).
        progress: Called as ``progress(done, total)`` once before embedding and after each batch;
            `total` is the number of items to embed and `done` grows to it.
        batch_size: Items per embedding call and transaction.
        remove_other_models: Delete the vectors of other models. Processes that sync in the
            background pass False: during a deploy that changes the model, the old and the new
            process would otherwise delete each other's vectors and re-embed everything in turn.
            Vectors of items that no longer exist are deleted whatever the model.

    Returns:
        What was done.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be positive, got {batch_size}")
    model = embedder.model_name
    wanted_ids = None if person_ids is None else set(person_ids)
    with session_factory() as session:
        wanted: dict[ItemKey, ItemText] = {
            (person.id, item.key): item
            for person in read_profiles(session, workspace_id, person_ids=wanted_ids)
            for item in person.items
        }
        stored_query = select(
            ProfileVector.id,
            ProfileVector.person_id,
            ProfileVector.item_key,
            ProfileVector.model_name,
            ProfileVector.content_hash,
        ).where(ProfileVector.workspace_id == workspace_id)
        if wanted_ids is not None:
            stored_query = stored_query.where(ProfileVector.person_id.in_(wanted_ids))
        stored = session.execute(stored_query).all()

    current: dict[ItemKey, str] = {}
    # A vector of this model for each stored text, by hash: where a changed item may copy from.
    stored_by_hash: dict[str, int] = {}
    stale_ids: list[int] = []
    for row_id, person_id, item_key, model_name, stored_hash in stored:
        key = (person_id, item_key)
        if model_name == model:
            stored_by_hash.setdefault(stored_hash, row_id)
            if key in wanted:
                current[key] = stored_hash
            else:
                stale_ids.append(row_id)
        elif remove_other_models or key not in wanted:
            stale_ids.append(row_id)
    # Sorted by key: the order in which every transaction below takes its row locks.
    to_update = sorted(
        ((key, item) for key, item in wanted.items() if force or current.get(key) != item.content_hash),
        key=lambda pair: pair[0],
    )

    copies: list[dict[str, Any]] = []
    to_embed = to_update
    if to_update and not force:
        with session_factory() as session:
            sources = _find_stored_vectors(
                session,
                workspace_id,
                model,
                {item.content_hash for _, item in to_update},
                known=stored_by_hash,
                look_elsewhere=wanted_ids is not None,
            )
        for (person_id, item_key), item in to_update:
            found = sources.get(item.content_hash)
            if found is not None:
                copies.append(_row(workspace_id, person_id, item_key, item, model, found[0], found[1], now))
        to_embed = [(key, item) for key, item in to_update if item.content_hash not in sources]

    removed = 0
    if stale_ids:
        # Deleted by id, not in key order: a rebuild deleting a model's rows while a process on that
        # model upserts them could, on PostgreSQL, deadlock; the database then aborts one of the two
        # and its next sync (a minute later, or the rebuild re-run) finishes the work.
        with session_factory.begin() as session:
            for chunk in _chunks(sorted(stale_ids), _IN_CHUNK):
                result = session.execute(delete(ProfileVector).where(ProfileVector.id.in_(chunk)))
                removed += int(getattr(result, "rowcount", 0) or 0)
    for rows in _chunks(copies, batch_size):
        with session_factory.begin() as session:
            _upsert_vectors(session, list(rows))

    # Through a caching wrapper (bot.experts.embeddings.cache.CachingEmbedder), skip its in-memory
    # cache: these vectors are stored in the database, and tens of thousands of profile texts would
    # evict the question records it exists for.
    embed: Callable[[Sequence[str]], np.ndarray] = getattr(embedder, "embed_uncached", None) or embedder.embed
    done = 0
    if progress is not None:
        progress(0, len(to_embed))
    for batch in _chunks(to_embed, batch_size):
        vectors = embed([item.text for _, item in batch])
        rows = [
            _row(workspace_id, person_id, item_key, item, model, vector_to_bytes(vector), len(vector), now)
            for ((person_id, item_key), item), vector in zip(batch, vectors, strict=True)
        ]
        with session_factory.begin() as session:
            _upsert_vectors(session, rows)
        done += len(batch)
        if progress is not None:
            progress(done, len(to_embed))
    report = SyncReport(
        embedded=len(to_embed),
        unchanged=len(wanted) - len(to_update),
        removed=removed,
        reused=len(copies),
    )
    if report.embedded or report.removed or report.reused:
        logger.info(
            "profile vectors of workspace %s: %d embedded, %d copied, %d unchanged, %d removed (model %s)",
            workspace_id,
            report.embedded,
            report.reused,
            report.unchanged,
            report.removed,
            model,
        )
    return report


def _find_stored_vectors(
    session: Session,
    workspace_id: int,
    model: str,
    hashes: set[str],
    *,
    known: dict[str, int],
    look_elsewhere: bool,
) -> dict[str, tuple[bytes, int]]:
    """Stored vectors of `model` for any of `hashes`: (bytes, dimension) by content hash.

    `known` maps hashes to rows the caller already saw; with `look_elsewhere` (the caller saw only
    some people's rows) the rest of the workspace is searched too.
    """
    row_ids = {known[h] for h in hashes if h in known}
    if look_elsewhere:
        elsewhere: set[str] = set()
        for chunk in _chunks(sorted(h for h in hashes if h not in known), _IN_CHUNK):
            for row_id, stored_hash in session.execute(
                select(ProfileVector.id, ProfileVector.content_hash).where(
                    ProfileVector.workspace_id == workspace_id,
                    ProfileVector.model_name == model,
                    ProfileVector.content_hash.in_(chunk),
                )
            ):
                if stored_hash not in elsewhere:  # one source per text is enough
                    elsewhere.add(stored_hash)
                    row_ids.add(row_id)
    found: dict[str, tuple[bytes, int]] = {}
    for id_chunk in _chunks(sorted(row_ids), _IN_CHUNK):
        for stored_hash, data, dimension in session.execute(
            select(ProfileVector.content_hash, ProfileVector.vector, ProfileVector.dimension).where(
                ProfileVector.id.in_(id_chunk)
            )
        ):
            found[stored_hash] = (bytes(data), dimension)
    return found


def _row(
    workspace_id: int,
    person_id: int,
    item_key: str,
    item: ItemText,
    model: str,
    vector: bytes,
    dimension: int,
    now: datetime,
) -> dict[str, Any]:
    return {
        "workspace_id": workspace_id,
        "person_id": person_id,
        "item_key": item_key,
        "content_hash": item.content_hash,
        "model_name": model,
        "dimension": int(dimension),
        "vector": vector,
        "updated_at": now,
    }


def _chunks(values: Sequence[_T], size: int) -> Iterable[Sequence[_T]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _upsert_vectors(session: Session, rows: list[dict[str, Any]]) -> None:
    # Another process may be syncing the same workspace: the last writer of a row wins, and both
    # wrote the embedding of the same text by the same model.
    dialect = session.get_bind().dialect.name
    columns = ["person_id", "item_key", "model_name"]
    updated = ("content_hash", "dimension", "vector", "updated_at")
    if dialect == "postgresql":
        pg_insert = postgresql.insert(ProfileVector)
        session.execute(
            pg_insert.on_conflict_do_update(
                index_elements=columns, set_={c: pg_insert.excluded[c] for c in updated}
            ),
            rows,
        )
    elif dialect == "sqlite":
        lite_insert = sqlite.insert(ProfileVector)
        session.execute(
            lite_insert.on_conflict_do_update(
                index_elements=columns, set_={c: lite_insert.excluded[c] for c in updated}
            ),
            rows,
        )
    else:  # pragma: no cover - only SQLite and PostgreSQL are supported (bot/settings.py)
        raise RuntimeError(f"unsupported database dialect {dialect!r}")


@dataclass(frozen=True)
class IndexStatus:
    """How far a workspace's stored vectors are from its profiles, for one model.

    Attributes:
        people: People in the workspace.
        hidden: Of them, hidden from suggestions (their vectors are kept all the same).
        items: Profile items (expertise paragraphs and publications).
        current: Items with a vector of the model for their present text.
        stale: Items with a vector of the model for an older text.
        missing: Items without a vector of the model.
        other_models: Stored vectors of other models, by model name.
    """

    people: int
    hidden: int
    items: int
    current: int
    stale: int
    missing: int
    other_models: dict[str, int] = field(default_factory=dict)


def index_status(session: Session, workspace_id: int, model_name: str) -> IndexStatus:
    """Count current, stale and missing vectors of a workspace (nothing is embedded or written).

    Args:
        session: An open session.
        workspace_id: The workspace.
        model_name: The model whose vectors count as current.

    Returns:
        The counts.
    """
    people = read_profiles(session, workspace_id)
    hashes: dict[ItemKey, str] = {}
    other_models: Counter[str] = Counter()
    for person_id, item_key, stored_model, stored_hash in session.execute(
        select(
            ProfileVector.person_id,
            ProfileVector.item_key,
            ProfileVector.model_name,
            ProfileVector.content_hash,
        ).where(ProfileVector.workspace_id == workspace_id)
    ):
        if stored_model == model_name:
            hashes[(person_id, item_key)] = stored_hash
        else:
            other_models[stored_model] += 1
    items = current = stale = 0
    for person in people:
        for item in person.items:
            items += 1
            found = hashes.get((person.id, item.key))
            if found == item.content_hash:
                current += 1
            elif found is not None:
                stale += 1
    return IndexStatus(
        people=len(people),
        hidden=sum(1 for p in people if p.visibility == ExpertVisibility.HIDDEN),
        items=items,
        current=current,
        stale=stale,
        missing=items - current - stale,
        other_models=dict(sorted(other_models.items())),
    )
