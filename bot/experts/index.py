"""A ranking index per workspace: its listed people, their item vectors and their texts.

`ExpertIndexCache` keeps one `WorkspaceExpertIndex` per workspace and model in memory and reloads it
only when the workspace's profiles version moved, so a `/expert` query costs one primary-key lookup
plus the ranking itself. Its vectors are the stored ones (`bot.experts.vector_sync`). A question asked
in plain words ranks against `embed_expert_index` instead: the same people and texts, embedded through
the question's memoising embedder. Hidden profiles are never loaded into an index: nothing of theirs
can be suggested or quoted.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.domain.experts.index import ExpertIndex, build_expert_index, empty_expert_index
from bot.domain.experts.keywords import KeywordIndex
from bot.domain.experts.lexical import LexicalIndex, build_lexical_index
from bot.domain.experts.profiles import ExpertProfile, ProfileItem
from bot.experts.embeddings.protocol import Embedder
from bot.experts.embeddings.storage import bytes_to_vector
from bot.experts.profile_items import ItemText, ProfileRow, read_profiles
from bot.experts.vector_sync import sync_profile_vectors
from bot.models import ProfileVector, Workspace

logger = logging.getLogger(__name__)

# Finds the vector of one of a person's items, or None when it has none (yet).
_VectorOf = Callable[[ProfileRow, ItemText], "np.ndarray | None"]


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
        people: Everyone who may be suggested, by Slack id: everyone in `index`, or (without a model)
            every listed person with a profile item.
        keywords: The texts of everyone in `people` (item labels, then discipline), for keyword
            matches (`bot.domain.experts.keywords`).
        model_name: The model the vectors came from (queries must be embedded with it); None without.
        stamp: The database state the index was built from (see `ExpertIndexCache`).
        missing: Items of listed people left out for want of a current vector (0 after a sync,
            unless a profile changed while it ran).
        lexical: TF-IDF vectors of the embedded texts of `index.items`, row for row (the lexical half
            of the hybrid ranking); None without vectors.
    """

    index: ExpertIndex
    people: dict[str, IndexedPerson]
    keywords: KeywordIndex
    model_name: str | None
    stamp: tuple[object, ...]
    missing: int = 0
    lexical: LexicalIndex | None = None

    @property
    def profiles(self) -> tuple[ExpertProfile, ...]:
        """Everyone in `people` as the ranking sees them (in `index` order when there are vectors)."""
        if len(self.index):
            return self.index.profiles
        return tuple(_expert_profile(person) for person in self.people.values())


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
    people = read_profiles(session, workspace_id, listed_only=True)
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

    def stored_vector(person: ProfileRow, item: ItemText) -> np.ndarray | None:
        stored = vectors.get((person.id, item.key))
        if stored is None or stored[0] != item.content_hash:
            return None
        return bytes_to_vector(stored[1], stored[2])

    return _assemble(people, stored_vector, model_name, stamp)


def embed_expert_index(session: Session, embedder: Embedder, workspace_id: int) -> WorkspaceExpertIndex:
    """The index of `load_expert_index`, with every item embedded by `embedder` instead of read.

    For callers without the process's `ExpertIndexCache` (plain-language questions): the same listed
    people and item texts, so the same ranking; a memoising embedder
    (`bot.experts.embeddings.cache.CachingEmbedder`) embeds each text once per process.

    Args:
        session: An open session (read only).
        embedder: A loaded model.
        workspace_id: The workspace.

    Returns:
        The index; hidden profiles are not in it.
    """
    people = read_profiles(session, workspace_id, listed_only=True)
    texts = [item.text for person in people for item in person.items]
    embedded = iter(embedder.embed(texts) if texts else ())
    # Items come back in the order they were embedded: person by person, item by item.
    vectors = {(person.id, item.key): next(embedded) for person in people for item in person.items}

    def embedded_vector(person: ProfileRow, item: ItemText) -> np.ndarray | None:
        return vectors[(person.id, item.key)]

    return _assemble(people, embedded_vector, embedder.model_name, ())


def keyword_expert_index(session: Session, workspace_id: int) -> WorkspaceExpertIndex:
    """The people and texts of a workspace's index without any vectors, for ranking by keywords alone.

    Args:
        session: An open session (read only).
        workspace_id: The workspace.

    Returns:
        An index whose `index` is empty; hidden profiles are not in it.
    """
    people = read_profiles(session, workspace_id, listed_only=True)
    indexed = {person.slack_id: _indexed_person(person) for person in people if person.items}
    return WorkspaceExpertIndex(
        index=empty_expert_index(),
        people=indexed,
        keywords=_keyword_index(people, indexed),
        model_name=None,
        stamp=(),
    )


def _assemble(
    people: Sequence[ProfileRow], vector_of: _VectorOf, model_name: str, stamp: tuple[object, ...]
) -> WorkspaceExpertIndex:
    profiles: list[ExpertProfile] = []
    items: list[ProfileItem] = []
    # What the model read for each of `items`: the lexical index is built over the same texts.
    embedded_texts: dict[int, str] = {}
    indexed: dict[str, IndexedPerson] = {}
    missing = 0
    for person in people:
        found = []
        for item in person.items:
            vector = vector_of(person, item)
            if vector is None:
                missing += 1
                continue
            found.append(ProfileItem(person.slack_id, item.kind, item.label, vector))
            embedded_texts[id(found[-1])] = item.text
        if not found:
            continue
        indexed[person.slack_id] = _indexed_person(person)
        profiles.append(_expert_profile(indexed[person.slack_id]))
        items.extend(found)
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
    # `build_expert_index` keeps the items' order (grouped by person, as they already are here).
    return WorkspaceExpertIndex(
        index=build_expert_index(profiles, items) if items else empty_expert_index(),
        people=indexed,
        keywords=_keyword_index(people, indexed),
        model_name=model_name,
        stamp=stamp,
        missing=missing,
        lexical=build_lexical_index([embedded_texts[id(item)] for item in items]) if items else None,
    )


def _indexed_person(person: ProfileRow) -> IndexedPerson:
    return IndexedPerson(
        id=person.id,
        slack_id=person.slack_id,
        name=person.name,
        title=person.title,
        discipline=person.discipline or "",
        organisation=person.organisation or "",
        sector=person.sector.value if person.sector is not None else "",
        weekly_request_cap=person.weekly_request_cap,
    )


def _expert_profile(person: IndexedPerson) -> ExpertProfile:
    return ExpertProfile(person.slack_id, person.name, person.discipline, person.organisation, person.sector)


def _keyword_index(people: Sequence[ProfileRow], indexed: dict[str, IndexedPerson]) -> KeywordIndex:
    """The keyword texts of the people in `indexed` (what their matches show), with their title and
    discipline as the headline that qualifies each text."""
    kept = [person for person in people if person.slack_id in indexed]
    return KeywordIndex(
        {person.slack_id: [item.label for item in person.items] for person in kept},
        headlines={
            person.slack_id: " · ".join(filter(None, [person.title, person.discipline])) for person in kept
        },
    )


def index_stamp(session: Session, workspace_id: int, model_name: str) -> tuple[object, ...]:
    """What an index was built from, as far as a cached copy must reload; read before every query.

    Only the workspace's profiles version (one primary-key lookup): every change to a profile bumps
    it (bot.experts.profile_version), and vectors change only after profile changes, which bumped it,
    or in a rebuild, which bumps it too. Counting the stored vectors as well cost 50 ms per query at
    10k people on SQLite, twice the embedding of the query. A sync that raced with a change is caught
    by `WorkspaceExpertIndex.missing` instead.

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
