"""The expert index: people's profile items, their stored vectors, and a ranking index per workspace.

Each profile item (the expertise paragraph, each publication) is embedded on its own and its vector
is stored in `profile_vector` with the model name and the SHA-256 of the embedded text. Syncing
compares those hashes with the current profiles and embeds only what changed; vectors of another model
are replaced, so changing `EMBEDDING_MODEL` re-embeds everything (`liaison index rebuild` shows the
progress). Any number of processes may sync at once: rows are upserted on their unique key.

`ExpertIndexCache` keeps one `ExpertIndex` per workspace in memory and reloads it only when the
workspace's profiles version or its stored vectors moved, so a query costs a cheap stamp query plus the
ranking itself. Hidden profiles are never loaded into an index: nothing of theirs can be suggested or
quoted.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from sqlalchemy import delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, selectinload, sessionmaker

from bot.domain.experts import (
    EXPERTISE,
    PUBLICATION,
    ExpertIndex,
    ExpertProfile,
    ProfileItem,
    build_expert_index,
)
from bot.embeddings import Embedder, bytes_to_vector, vector_to_bytes
from bot.models import ExpertVisibility, Person, ProfileVector, Workspace

logger = logging.getLogger(__name__)

# Items embedded and written per transaction: small enough that a rebuild interrupted at any point
# keeps nearly all its work, large enough that per-batch overhead is negligible next to the model.
SYNC_BATCH = 256
EXPERTISE_KEY = "expertise"

_T = TypeVar("_T")


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
    says what the work is about) but shown by its title.
    """
    items = []
    if person.expertise and person.expertise.strip():
        text = " ".join(person.expertise.split())
        items.append(ItemText(EXPERTISE_KEY, EXPERTISE, text, text))
    for publication in person.publications:
        title = " ".join(publication.title.split())
        if not title:
            continue
        abstract = " ".join((publication.abstract or "").split())
        text = f"{title}. {abstract}" if abstract else title
        items.append(ItemText(f"publication:{publication.position}", PUBLICATION, title, text))
    return items


@dataclass(frozen=True)
class SyncReport:
    """What a sync did.

    Attributes:
        embedded: Items embedded and written (new, changed, or of another model).
        unchanged: Items whose stored vector was current.
        removed: Stored vectors deleted (items gone, or vectors of another model).
    """

    embedded: int
    unchanged: int
    removed: int


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
) -> SyncReport:
    """Bring the stored vectors of a workspace (or some of its people) up to date.

    Opens its own sessions: one to compare, then one transaction per batch of embedded items, so a
    long rebuild keeps its work if interrupted and never holds one huge transaction.

    Args:
        session_factory: Where the profiles and vectors live.
        embedder: The model; its `model_name` is stored with every vector.
        workspace_id: The workspace.
        now: Written as the vectors' `updated_at`.
        person_ids: Only these people (e.g. the one who just edited their profile); None: everyone.
        force: Re-embed every item even if its vector is current.
        progress: Called as ``progress(done, total)`` after each batch (total = items to embed).
        batch_size: Items per embedding call and transaction.

    Returns:
        What was done.
    """
    model = embedder.model_name
    wanted_ids = None if person_ids is None else set(person_ids)
    with session_factory() as session:
        query = (
            select(Person)
            .where(Person.workspace_id == workspace_id)
            .options(selectinload(Person.publications))
        )
        if wanted_ids is not None:
            query = query.where(Person.id.in_(wanted_ids))
        wanted: dict[tuple[int, str], ItemText] = {
            (person.id, item.key): item for person in session.scalars(query) for item in profile_items(person)
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

    current: dict[tuple[int, str], str] = {}
    stale_ids: list[int] = []
    for row_id, person_id, item_key, model_name, stored_hash in stored:
        key = (person_id, item_key)
        if model_name != model or key not in wanted:
            stale_ids.append(row_id)
        else:
            current[key] = stored_hash
    to_embed = [(key, item) for key, item in wanted.items() if force or current.get(key) != item.content_hash]
    if stale_ids:
        with session_factory.begin() as session:
            for chunk in _chunks(stale_ids, 500):
                session.execute(delete(ProfileVector).where(ProfileVector.id.in_(chunk)))
    done = 0
    if progress is not None:
        progress(0, len(to_embed))
    for batch in _chunks(to_embed, batch_size):
        vectors = embedder.embed([item.text for _, item in batch])
        rows = [
            {
                "workspace_id": workspace_id,
                "person_id": person_id,
                "item_key": item_key,
                "content_hash": item.content_hash,
                "model_name": model,
                "dimension": int(vector.shape[0]),
                "vector": vector_to_bytes(vector),
                "updated_at": now,
            }
            for ((person_id, item_key), item), vector in zip(batch, vectors, strict=True)
        ]
        with session_factory.begin() as session:
            _upsert_vectors(session, rows)
        done += len(batch)
        if progress is not None:
            progress(done, len(to_embed))
    report = SyncReport(embedded=len(to_embed), unchanged=len(wanted) - len(to_embed), removed=len(stale_ids))
    if report.embedded or report.removed:
        logger.info(
            "profile vectors of workspace %s: %d embedded, %d unchanged, %d removed (model %s)",
            workspace_id,
            report.embedded,
            report.unchanged,
            report.removed,
            model,
        )
    return report


def _chunks(values: Sequence[_T], size: int) -> Iterable[Sequence[_T]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _upsert_vectors(session: Session, rows: list[dict[str, object]]) -> None:
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
    """

    index: ExpertIndex
    people: dict[str, IndexedPerson]
    model_name: str
    stamp: tuple[object, ...]


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
    stamp = index_stamp(session, workspace_id, model_name)
    people = list(
        session.scalars(
            select(Person)
            .where(Person.workspace_id == workspace_id, Person.expert_visibility == ExpertVisibility.LISTED)
            .options(selectinload(Person.publications))
            .order_by(Person.id)
        )
    )
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
    for person in people:
        found = []
        for item in profile_items(person):
            stored = vectors.get((person.id, item.key))
            if stored is None or stored[0] != item.content_hash:
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
        # Two models under one name (a local model directory replaced in place): use the newest
        # shape only and let the next sync replace the rest.
        logger.warning("profile vectors of %s have mixed dimensions %s", model_name, sorted(dimensions))
        keep = max(dimensions, key=lambda d: sum(1 for item in items if item.vector.shape[0] == d))
        items = [item for item in items if item.vector.shape[0] == keep]
        kept_people = {item.person_id for item in items}
        profiles = [p for p in profiles if p.person_id in kept_people]
        indexed = {k: v for k, v in indexed.items() if k in kept_people}
    return WorkspaceExpertIndex(
        index=build_expert_index(profiles, items), people=indexed, model_name=model_name, stamp=stamp
    )


def index_stamp(session: Session, workspace_id: int, model_name: str) -> tuple[object, ...]:
    """A cheap summary of everything an index is built from; equal stamps mean an equal index.

    The profiles version moves with every profile change; the vector count and newest `updated_at`
    move with every sync that wrote or removed vectors.
    """
    version = session.scalar(select(Workspace.profiles_version).where(Workspace.id == workspace_id))
    count, newest = session.execute(
        select(func.count(ProfileVector.id), func.max(ProfileVector.updated_at)).where(
            ProfileVector.workspace_id == workspace_id, ProfileVector.model_name == model_name
        )
    ).one()
    return (version, count, newest)


class ExpertIndexCache:
    """One ranking index per (workspace, model) per process, rebuilt only when the database moved.

    Thread-safe: concurrent queries for a workspace whose index is stale build it once.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
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

        Blocks while the embedder loads or embeds new items: call it after the Slack ack.

        Args:
            session_factory: The database.
            embedder: The model (its name selects the vectors).
            workspace_id: The workspace.
            now: For vectors written by the sync.

        Returns:
            An index that reflects every profile change committed before the call.
        """
        model = embedder.model_name
        with session_factory() as session:
            stamp = index_stamp(session, workspace_id, model)
        cached = self._indexes.get((workspace_id, model))
        if cached is not None and cached.stamp == stamp:
            return cached
        with self._lock:
            cached = self._indexes.get((workspace_id, model))
            with session_factory() as session:
                stamp = index_stamp(session, workspace_id, model)
            if cached is not None and cached.stamp == stamp:
                return cached
            sync_profile_vectors(session_factory, embedder, workspace_id, now=now)
            with session_factory() as session:
                loaded = load_expert_index(session, workspace_id, model)
            self._indexes[(workspace_id, model)] = loaded
            return loaded

    def clear(self) -> None:
        """Forget every index (tests, and after `liaison index rebuild --force` in-process)."""
        with self._lock:
            self._indexes.clear()
