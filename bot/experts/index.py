"""The expert index: people's profile items, their stored vectors, and a ranking index per workspace.

Each profile item (the expertise paragraph, each publication) is embedded on its own and its vector
is stored in `profile_vector` with the model name and the SHA-256 of the embedded text. Syncing
compares those hashes with the current profiles and embeds only what changed; a text that is already
stored under another key (a publication that moved up a place, or one that a co-author lists too) is
copied instead of embedded. `liaison index rebuild` embeds everything a new `EMBEDDING_MODEL` needs,
with a progress bar, and removes the old model's vectors. Any number of processes may sync at once:
rows are upserted on their unique key.

`ExpertIndexCache` keeps one `ExpertIndex` per workspace and model in memory and reloads it only when
the workspace's profiles version moved, so a query costs one primary-key lookup plus the ranking
itself. Hidden profiles are never loaded into an index: nothing of theirs can be suggested or
quoted.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple, TypeVar

import numpy as np
from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from bot.domain.experts import (
    EXPERTISE,
    PUBLICATION,
    ExpertIndex,
    ExpertProfile,
    ProfileItem,
    build_expert_index,
)
from bot.experts.embeddings import Embedder, bytes_to_vector, vector_to_bytes
from bot.models import ExpertVisibility, Person, ProfileVector, Publication, Sector, Workspace

logger = logging.getLogger(__name__)

# Items embedded and written per transaction: small enough that a rebuild interrupted at any point
# keeps nearly all its work, large enough that per-batch overhead is negligible next to the model.
SYNC_BATCH = 256
EXPERTISE_KEY = "expertise"
# Ids or hashes per `IN (...)` list: far below SQLite's 32,766 bound parameters.
_IN_CHUNK = 500

_T = TypeVar("_T")
ItemKey = tuple[int, str]


@dataclass(frozen=True)
class ItemText:
    """One profile item as it is embedded and shown.

    Attributes:
        key: Stable per person: ``"expertise"`` or ``"publication:<position>"``.
        kind: ``"expertise"`` or ``"publication"`` (bot.domain.experts).
        label: What a user sees as the reason for a match (a publication's title).
        text: What is embedded (a publication's title and abstract).
    """

    key: str
    kind: str
    label: str
    text: str

    @property
    def content_hash(self) -> str:
        """SHA-256 of the embedded text; a changed hash means the stored vector is stale."""
        return content_hash(self.text)


def content_hash(text: str) -> str:
    """The hex SHA-256 of `text` (UTF-8), as stored with its vector."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def profile_items(person: Person) -> list[ItemText]:
    """The embeddable items of a person's profile, in display order.

    A publication is embedded with its abstract when it has one (titles alone are terse; the abstract
    says what the work is about) but shown by its title. Whitespace is collapsed, so re-wrapping a
    paragraph changes no hash; blank items are skipped.

    Args:
        person: The person, with `publications` loaded (or loadable).

    Returns:
        The expertise paragraph (if any), then each publication with a title.
    """
    return _items(person.expertise, [(p.position, p.title, p.abstract) for p in person.publications])


def _items(expertise: str | None, publications: Iterable[tuple[int, str, str | None]]) -> list[ItemText]:
    items = []
    if expertise and expertise.strip():
        text = " ".join(expertise.split())
        items.append(ItemText(EXPERTISE_KEY, EXPERTISE, text, text))
    for position, raw_title, raw_abstract in publications:
        title = " ".join(raw_title.split())
        if not title:
            continue
        abstract = " ".join((raw_abstract or "").split())
        text = f"{title}. {abstract}" if abstract else title
        items.append(ItemText(f"publication:{position}", PUBLICATION, title, text))
    return items


class _ProfileRow(NamedTuple):
    """A person as the index needs them, read with plain SQL rows: building ORM objects for a 10k
    directory took most of a sync's or a reload's time (1.5 s of 2)."""

    id: int
    slack_id: str
    name: str
    title: str | None
    discipline: str | None
    organisation: str | None
    sector: Sector | None
    weekly_request_cap: int | None
    visibility: ExpertVisibility
    items: list[ItemText]


def _read_profiles(
    session: Session,
    workspace_id: int,
    *,
    person_ids: Collection[int] | None = None,
    listed_only: bool = False,
) -> list[_ProfileRow]:
    """The people of a workspace (or some of them) with their profile items, in id order."""
    people_query = (
        select(
            Person.id,
            Person.slack_id,
            Person.name,
            Person.title,
            Person.discipline,
            Person.organisation,
            Person.sector,
            Person.weekly_request_cap,
            Person.expert_visibility,
            Person.expertise,
        )
        .where(Person.workspace_id == workspace_id)
        .order_by(Person.id)
    )
    publications_query = (
        select(Publication.person_id, Publication.position, Publication.title, Publication.abstract)
        .join(Person, Publication.person_id == Person.id)
        .where(Person.workspace_id == workspace_id)
        .order_by(Publication.person_id, Publication.position)
    )
    if listed_only:
        people_query = people_query.where(Person.expert_visibility == ExpertVisibility.LISTED)
        publications_query = publications_query.where(Person.expert_visibility == ExpertVisibility.LISTED)
    if person_ids is not None:
        people_query = people_query.where(Person.id.in_(person_ids))
        publications_query = publications_query.where(Person.id.in_(person_ids))
    publications: dict[int, list[tuple[int, str, str | None]]] = {}
    for person_id, position, title, abstract in session.execute(publications_query):
        publications.setdefault(person_id, []).append((position, title, abstract))
    return [
        _ProfileRow(*row[:9], items=_items(row[9], publications.get(row[0], ())))
        for row in session.execute(people_query)
    ]


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
            for person in _read_profiles(session, workspace_id, person_ids=wanted_ids)
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

    # Through a caching wrapper (bot.questions.search.CachingEmbedder), skip its in-memory cache: these
    # vectors are stored in the database, and tens of thousands of profile texts would evict the
    # question records it exists for.
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
    people = _read_profiles(session, workspace_id)
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


@dataclass(frozen=True)
class IndexedPerson:
    """What a suggestion shows of a person besides their matched items."""

    id: int
    slack_id: str
    name: str
    title: str | None
    discipline: str
    organisation: str
    sector: str
    weekly_request_cap: int | None


@dataclass(frozen=True, eq=False)
class WorkspaceExpertIndex:
    """A workspace's ranking index and who is in it.

    Attributes:
        index: Listed people with at least one embedded item (ids are Slack user ids).
        people: Everyone in `index`, by Slack id.
        model_name: The model the vectors came from (queries must be embedded with it).
        stamp: The database state the index was built from (see `ExpertIndexCache`).
        missing: Items of listed people left out for want of a current vector (0 after a sync,
            unless a profile changed while it ran).
    """

    index: ExpertIndex
    people: dict[str, IndexedPerson]
    model_name: str
    stamp: tuple[object, ...]
    missing: int = 0


def load_expert_index(session: Session, workspace_id: int, model_name: str) -> WorkspaceExpertIndex:
    """Build the ranking index of a workspace from stored vectors (no embedding happens here).

    Items whose stored vector is missing or stale (text changed since it was embedded) are left out:
    an out-of-date vector would explain a match with text the person no longer has. Call
    `sync_profile_vectors` first to embed them.

    Args:
        session: An open session.
        workspace_id: The workspace.
        model_name: Only vectors of this model are used.

    Returns:
        The index; hidden profiles are not in it.
    """
    # The stamp is read first: anything committed while the rest is read moves the stamp again, so
    # the index can look older than it is (one needless reload), never newer.
    stamp = index_stamp(session, workspace_id, model_name)
    people = _read_profiles(session, workspace_id, listed_only=True)
    vectors = {
        (person_id, item_key): (stored_hash, data, dimension)
        for person_id, item_key, stored_hash, data, dimension in session.execute(
            select(
                ProfileVector.person_id,
                ProfileVector.item_key,
                ProfileVector.content_hash,
                ProfileVector.vector,
                ProfileVector.dimension,
            ).where(ProfileVector.workspace_id == workspace_id, ProfileVector.model_name == model_name)
        )
    }
    profiles: list[ExpertProfile] = []
    items: list[ProfileItem] = []
    indexed: dict[str, IndexedPerson] = {}
    missing = 0
    for person in people:
        found = []
        for item in person.items:
            stored = vectors.get((person.id, item.key))
            if stored is None or stored[0] != item.content_hash:
                missing += 1
                continue
            found.append(
                ProfileItem(person.slack_id, item.kind, item.label, bytes_to_vector(stored[1], stored[2]))
            )
        if not found:
            continue
        discipline = person.discipline or ""
        organisation = person.organisation or ""
        sector = person.sector.value if person.sector is not None else ""
        profiles.append(ExpertProfile(person.slack_id, person.name, discipline, organisation, sector))
        items.extend(found)
        indexed[person.slack_id] = IndexedPerson(
            id=person.id,
            slack_id=person.slack_id,
            name=person.name,
            title=person.title,
            discipline=discipline,
            organisation=organisation,
            sector=sector,
            weekly_request_cap=person.weekly_request_cap,
        )
    dimensions = {item.vector.shape[0] for item in items}
    if len(dimensions) > 1:
        # Two models under one name (a local model directory replaced in place): use the commonest
        # shape only; `liaison index rebuild --force` replaces the rest.
        logger.warning("profile vectors of %s have mixed dimensions %s", model_name, sorted(dimensions))
        keep = max(dimensions, key=lambda d: sum(1 for item in items if item.vector.shape[0] == d))
        items = [item for item in items if item.vector.shape[0] == keep]
        kept_people = {item.person_id for item in items}
        profiles = [p for p in profiles if p.person_id in kept_people]
        indexed = {k: v for k, v in indexed.items() if k in kept_people}
    return WorkspaceExpertIndex(
        index=build_expert_index(profiles, items) if items else _empty_index(),
        people=indexed,
        model_name=model_name,
        stamp=stamp,
        missing=missing,
    )


def _empty_index() -> ExpertIndex:
    # build_expert_index cannot stack zero vectors; ranking an empty index returns [] before it
    # looks at the matrix, so its width does not matter.
    def frozen(array: np.ndarray) -> np.ndarray:
        array.flags.writeable = False
        return array

    return ExpertIndex(
        profiles=(),
        items=(),
        matrix=frozen(np.zeros((0, 0), dtype=np.float32)),
        layout=frozen(np.zeros((0, 0), dtype=np.int64)),
        counts=frozen(np.zeros(0, dtype=np.int64)),
        opted_out=frozen(np.zeros(0, dtype=bool)),
        over_cap=frozen(np.zeros(0, dtype=bool)),
        discipline_codes=frozen(np.zeros(0, dtype=np.int64)),
        disciplines=(),
        positions={},
    )


def index_stamp(session: Session, workspace_id: int, model_name: str) -> tuple[object, ...]:
    """What an index was built from, as far as a cached copy must reload; read before every query.

    Only the workspace's profiles version (one primary-key lookup): every change to a profile bumps
    it (bot.experts.profile_version), and vectors change only after profile changes, which bumped it, or in a
    rebuild, which bumps it too. Counting the stored vectors as well cost 50 ms per query at 10k people
    on SQLite, twice the embedding of the query. A sync that raced with a change is caught by
    `WorkspaceExpertIndex.missing` instead.

    Args:
        session: An open session.
        workspace_id: The workspace.
        model_name: The model (part of the cache key; a stamp of one model says nothing of another).

    Returns:
        ``(profiles version, model name)``.
    """
    version = session.scalar(select(Workspace.profiles_version).where(Workspace.id == workspace_id))
    return (version, model_name)


class ExpertIndexCache:
    """One ranking index per (workspace, model) per process, rebuilt only when the database moved.

    Thread-safe: concurrent queries for a workspace whose index is stale build it once, while
    queries for other workspaces go on.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._key_locks: dict[tuple[int, str], threading.Lock] = {}
        self._indexes: dict[tuple[int, str], WorkspaceExpertIndex] = {}

    def get(
        self,
        session_factory: sessionmaker[Session],
        embedder: Embedder,
        workspace_id: int,
        *,
        now: datetime,
    ) -> WorkspaceExpertIndex:
        """The workspace's index, syncing vectors and rebuilding first if profiles changed.

        Blocks while the embedder loads or embeds new items: call it after the Slack ack, or from the
        refresh job (jobs/expert_index.py) once the model is ready.

        Args:
            session_factory: The database.
            embedder: The model (its name selects the vectors).
            workspace_id: The workspace.
            now: For vectors written by the sync.

        Returns:
            An index that reflects every profile change committed before the call.
        """
        key = (workspace_id, embedder.model_name)
        cached = self._indexes.get(key)
        if cached is not None and self._is_fresh(cached, session_factory, key):
            return cached
        with self._lock:
            key_lock = self._key_locks.setdefault(key, threading.Lock())
        with key_lock:
            # Another thread may have rebuilt it while this one waited.
            cached = self._indexes.get(key)
            if cached is not None and self._is_fresh(cached, session_factory, key):
                return cached
            # Other models' vectors are left alone: a process still running the previous model
            # would otherwise delete this one's vectors and the two would re-embed in turn.
            sync_profile_vectors(session_factory, embedder, workspace_id, now=now, remove_other_models=False)
            with session_factory() as session:
                loaded = load_expert_index(session, workspace_id, key[1])
            self._indexes[key] = loaded
            return loaded

    def cached(self, workspace_id: int, model_name: str) -> WorkspaceExpertIndex | None:
        """The index held for a workspace and model, fresh or not, without touching the database."""
        return self._indexes.get((workspace_id, model_name))

    def clear(self) -> None:
        """Forget every index (tests, and after `liaison index rebuild --force` in-process)."""
        with self._lock:
            self._indexes.clear()

    @staticmethod
    def _is_fresh(
        cached: WorkspaceExpertIndex, session_factory: sessionmaker[Session], key: tuple[int, str]
    ) -> bool:
        # An index that lacks vectors (a profile changed during its sync) is synced again even if
        # nothing has moved since: otherwise that change would wait for the next one.
        if cached.missing:
            return False
        with session_factory() as session:
            return index_stamp(session, *key) == cached.stamp
