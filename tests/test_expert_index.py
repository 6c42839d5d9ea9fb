"""The expert index: profile items, incremental vector sync, the loaded index and the per-process cache.

Fast tests use the deterministic hashing embedder, wrapped to record exactly which texts reached the
model. Concurrency is tested with two threads on a SQLite file and two processes on PostgreSQL.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import threading
import time
from collections.abc import Iterator, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.db import Base, make_engine, make_session_factory
from bot.domain.experts.ranking import rank_indexed_experts
from bot.experts.embeddings.cache import CachingEmbedder
from bot.experts.embeddings.hashing import HashingEmbedder
from bot.experts.index import ExpertIndexCache, load_expert_index
from bot.experts.profile_items import ItemText, content_hash, profile_items
from bot.experts.profile_version import bump_profiles_version
from bot.experts.vector_sync import SyncReport, index_status, sync_profile_vectors
from bot.models import ExpertVisibility, Person, ProfileVector, Publication, Workspace
from bot.workspace_file import import_workspace_file
from tests.conftest import DEMO_FILE, DEMO_NOW
from tests.migrated import migrate_from_template

# A fork server, not a plain spawn: each process still starts fresh and shares nothing with the test,
# but is forked from a server that imported Liaison once instead of importing it again (about a
# second of CPU per process).
SPAWN = multiprocessing.get_context("forkserver")
SPAWN.set_forkserver_preload(["tests.conftest", __name__])
LATER = DEMO_NOW + timedelta(hours=1)
BANERJEE = "U02ECBANE"  # expertise + 2 publications
NOVAK = "U05PLNOVA"  # expertise only


class CountingEmbedder:
    """Records every text it is asked to embed; optionally pretends to be another model or is slow."""

    def __init__(self, model_name: str = HashingEmbedder.model_name, *, delay: float = 0.0) -> None:
        self.inner = HashingEmbedder(dimension=32)
        self.model_name = model_name
        self.dimension = self.inner.dimension
        self.delay = delay
        self.texts: list[str] = []
        self.calls = 0

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.calls += 1
        self.texts.extend(texts)
        if self.delay:
            time.sleep(self.delay)
        return self.inner.embed(texts)


@pytest.fixture
def workspace_id(session_factory: sessionmaker[Session], demo: None) -> int:
    with session_factory() as session:
        return session.scalars(select(Workspace.id)).one()


def _person(session: Session, slack_id: str) -> Person:
    return session.scalars(select(Person).where(Person.slack_id == slack_id)).one()


def _all_items(session_factory: sessionmaker[Session]) -> dict[tuple[int, str], ItemText]:
    with session_factory() as session:
        return {(p.id, i.key): i for p in session.scalars(select(Person)) for i in profile_items(p)}


def _rows(session_factory: sessionmaker[Session]) -> list[ProfileVector]:
    with session_factory() as session:
        return list(
            session.scalars(select(ProfileVector).order_by(ProfileVector.person_id, ProfileVector.item_key))
        )


def _edit(session_factory: sessionmaker[Session], slack_id: str, **changes: Any) -> int:
    """Change a person's profile as /profile and the import do: with a profiles-version bump."""
    with session_factory.begin() as session:
        person = _person(session, slack_id)
        for name, value in changes.items():
            setattr(person, name, value)
        bump_profiles_version(session, person.workspace_id)
        return person.id


def _sync(
    session_factory: sessionmaker[Session], embedder: Any, workspace_id: int, **options: Any
) -> SyncReport:
    return sync_profile_vectors(
        session_factory, embedder, workspace_id, now=options.pop("now", DEMO_NOW), **options
    )


# --- profile items ------------------------------------------------------------------------------


def test_profile_items_embed_each_item_abstract_included_title_shown() -> None:
    person = Person(
        expertise="  Auction theory\n  and   bid shading ",
        publications=[
            Publication(
                position=0, title="Bid shading in\nfirst-price auctions", abstract=" We   estimate it. "
            ),
            Publication(position=1, title="Reserve prices", abstract=None),
        ],
    )

    assert profile_items(person) == [
        ItemText(
            "expertise", "expertise", "Auction theory and bid shading", "Auction theory and bid shading"
        ),
        ItemText(
            "publication:0",
            "publication",
            "Bid shading in first-price auctions",
            "Bid shading in first-price auctions. We estimate it.",
        ),
        ItemText("publication:1", "publication", "Reserve prices", "Reserve prices"),
    ]
    assert profile_items(person)[1].content_hash == content_hash(
        "Bid shading in first-price auctions. We estimate it."
    )


def test_profile_items_skip_blank_expertise_and_untitled_publications() -> None:
    person = Person(
        expertise=" \n ",
        publications=[
            Publication(position=0, title="  ", abstract="An abstract without a title is not shown."),
            Publication(position=1, title="Consent fatigue", abstract=""),
        ],
    )

    assert [(i.key, i.text) for i in profile_items(person)] == [("publication:1", "Consent fatigue")]
    assert profile_items(Person(expertise=None, publications=[])) == []


def test_content_hash_is_the_sha256_of_the_utf8_text() -> None:
    assert content_hash("Müller") == hashlib.sha256("Müller".encode()).hexdigest()
    assert len(content_hash("")) == 64
    assert content_hash("a") != content_hash("a ")


# --- sync ---------------------------------------------------------------------------------------


def test_first_sync_embeds_every_item_of_the_demo_workspace_once(
    session_factory: sessionmaker[Session], workspace_id: int
) -> None:
    embedder = CountingEmbedder()
    items = _all_items(session_factory)

    report = _sync(session_factory, embedder, workspace_id)

    assert report == SyncReport(embedded=len(items), unchanged=0, removed=0)
    assert len(items) == 52  # 24 people: 24 expertise paragraphs, 28 publications
    assert sorted(embedder.texts) == sorted(item.text for item in items.values())
    rows = _rows(session_factory)
    assert {(r.person_id, r.item_key): r.content_hash for r in rows} == {
        key: item.content_hash for key, item in items.items()
    }
    assert {(r.model_name, r.workspace_id, r.updated_at) for r in rows} == {
        ("hashing-v1", workspace_id, DEMO_NOW)
    }


def test_second_sync_embeds_nothing(session_factory: sessionmaker[Session], workspace_id: int) -> None:
    _sync(session_factory, CountingEmbedder(), workspace_id)
    embedder = CountingEmbedder()

    report = _sync(session_factory, embedder, workspace_id, now=LATER)

    assert report == SyncReport(embedded=0, unchanged=52, removed=0)
    assert embedder.calls == 0
    assert {r.updated_at for r in _rows(session_factory)} == {DEMO_NOW}


def test_editing_one_persons_expertise_reembeds_exactly_that_item(
    session_factory: sessionmaker[Session], workspace_id: int
) -> None:
    _sync(session_factory, CountingEmbedder(), workspace_id)
    text = "Auction theory, bid shading and reserve prices in first-price ad auctions."
    person_id = _edit(session_factory, BANERJEE, expertise=text)
    embedder = CountingEmbedder()

    report = _sync(session_factory, embedder, workspace_id, now=LATER)

    assert embedder.texts == [text]
    assert report == SyncReport(embedded=1, unchanged=51, removed=0)
    rewritten = [
        (r.person_id, r.item_key, r.content_hash) for r in _rows(session_factory) if r.updated_at == LATER
    ]
    assert rewritten == [(person_id, "expertise", content_hash(text))]


def test_adding_a_publication_embeds_only_it(
    session_factory: sessionmaker[Session], workspace_id: int
) -> None:
    _sync(session_factory, CountingEmbedder(), workspace_id)
    with session_factory.begin() as session:
        person = _person(session, NOVAK)
        person.publications.append(
            Publication(position=0, title="Consent strings", abstract="TCF v2 in practice.")
        )
        bump_profiles_version(session, workspace_id)
    embedder = CountingEmbedder()

    report = _sync(session_factory, embedder, workspace_id, now=LATER)

    assert embedder.texts == ["Consent strings. TCF v2 in practice."]
    assert report == SyncReport(embedded=1, unchanged=52, removed=0)
    assert len(_rows(session_factory)) == 53


def test_removing_the_last_publication_removes_only_its_vector(
    session_factory: sessionmaker[Session], workspace_id: int
) -> None:
    _sync(session_factory, CountingEmbedder(), workspace_id)
    with session_factory.begin() as session:
        person = _person(session, BANERJEE)
        person.publications.pop()
        person_id = person.id
        bump_profiles_version(session, workspace_id)
    embedder = CountingEmbedder()

    report = _sync(session_factory, embedder, workspace_id, now=LATER)

    assert (embedder.calls, report) == (0, SyncReport(embedded=0, unchanged=51, removed=1))
    keys = {r.item_key for r in _rows(session_factory) if r.person_id == person_id}
    assert keys == {"expertise", "publication:0"}


def test_removing_the_first_publication_copies_the_moved_vector_instead_of_embedding(
    session_factory: sessionmaker[Session], workspace_id: int
) -> None:
    """Publications are renumbered in place (bot/experts/profiles.py).

    So the second one becomes `publication:0`.
    """
    _sync(session_factory, CountingEmbedder(), workspace_id)
    with session_factory.begin() as session:
        person = _person(session, BANERJEE)
        first, second = person.publications
        first.title, first.abstract = second.title, second.abstract
        person.publications.remove(second)
        person_id = person.id
        bump_profiles_version(session, workspace_id)
    before = {r.content_hash: r.vector for r in _rows(session_factory) if r.person_id == person_id}
    embedder = CountingEmbedder()

    report = _sync(session_factory, embedder, workspace_id, now=LATER)

    assert (embedder.calls, report) == (0, SyncReport(embedded=0, unchanged=50, removed=1, reused=1))
    rows = {r.item_key: r for r in _rows(session_factory) if r.person_id == person_id}
    assert set(rows) == {"expertise", "publication:0"}
    assert rows["publication:0"].vector == before[rows["publication:0"].content_hash]


def test_a_text_already_stored_for_someone_else_is_copied_even_in_a_one_person_sync(
    session_factory: sessionmaker[Session], workspace_id: int
) -> None:
    """A co-author listing the same publication costs no embedding."""
    _sync(session_factory, CountingEmbedder(), workspace_id)
    with session_factory() as session:
        shared = _person(session, BANERJEE).publications[0]
        title, abstract = shared.title, shared.abstract
    with session_factory.begin() as session:
        novak = _person(session, NOVAK)
        novak.publications.append(Publication(position=0, title=title, abstract=abstract))
        bump_profiles_version(session, workspace_id)
    embedder = CountingEmbedder()

    report = _sync(session_factory, embedder, workspace_id, person_ids=[novak.id], now=LATER)

    assert (embedder.calls, report) == (0, SyncReport(embedded=0, unchanged=1, removed=0, reused=1))
    assert len(_rows(session_factory)) == 53


def test_person_ids_limits_the_sync_to_those_people(
    session_factory: sessionmaker[Session], workspace_id: int
) -> None:
    _sync(session_factory, CountingEmbedder(), workspace_id)
    banerjee = _edit(session_factory, BANERJEE, expertise="Repeated auctions.")
    _edit(session_factory, NOVAK, expertise="Consent management platforms.")
    embedder = CountingEmbedder()

    report = _sync(session_factory, embedder, workspace_id, person_ids=[banerjee], now=LATER)

    assert embedder.texts == ["Repeated auctions."]
    assert report == SyncReport(embedded=1, unchanged=2, removed=0)


def test_changing_the_model_reembeds_everything_and_removes_the_old_models_vectors(
    session_factory: sessionmaker[Session], workspace_id: int
) -> None:
    _sync(session_factory, CountingEmbedder(), workspace_id)
    embedder = CountingEmbedder("another-model")

    report = _sync(session_factory, embedder, workspace_id, now=LATER)

    assert report == SyncReport(embedded=52, unchanged=0, removed=52)
    assert len(embedder.texts) == 52
    assert {r.model_name for r in _rows(session_factory)} == {"another-model"}
    assert len(_rows(session_factory)) == 52


def test_a_background_sync_keeps_other_models_vectors(
    session_factory: sessionmaker[Session], workspace_id: int
) -> None:
    """Two processes on two models (a deploy in progress) must not delete each other's vectors."""
    _sync(session_factory, CountingEmbedder(), workspace_id)
    with session_factory.begin() as session:
        _person(session, NOVAK).expertise = None  # an item gone for every model
        bump_profiles_version(session, workspace_id)

    report = _sync(
        session_factory, CountingEmbedder("another-model"), workspace_id, remove_other_models=False
    )

    assert report == SyncReport(embedded=51, unchanged=0, removed=1)
    with session_factory() as session:
        status = index_status(session, workspace_id, "another-model")
    assert (status.items, status.current, status.other_models) == (51, 51, {"hashing-v1": 51})


def test_force_reembeds_every_item(session_factory: sessionmaker[Session], workspace_id: int) -> None:
    _sync(session_factory, CountingEmbedder(), workspace_id)
    embedder = CountingEmbedder()

    report = _sync(session_factory, embedder, workspace_id, force=True, now=LATER)

    assert report == SyncReport(embedded=52, unchanged=0, removed=0)
    assert len(embedder.texts) == 52
    rows = _rows(session_factory)
    assert len(rows) == 52 and {r.updated_at for r in rows} == {LATER}


def test_vectors_are_stored_as_little_endian_float32_of_the_models_dimension(
    session_factory: sessionmaker[Session], workspace_id: int
) -> None:
    embedder = CountingEmbedder()
    _sync(session_factory, embedder, workspace_id)
    items = _all_items(session_factory)

    for row in _rows(session_factory):
        assert row.dimension == 32 and len(row.vector) == 32 * 4
        expected = embedder.inner.embed([items[(row.person_id, row.item_key)].text])[0]
        assert np.array_equal(np.frombuffer(row.vector, dtype="<f4"), expected)
        assert row.vector == expected.astype("<f4").tobytes()


def test_progress_reports_monotonically_up_to_the_total(
    session_factory: sessionmaker[Session], workspace_id: int
) -> None:
    calls: list[tuple[int, int]] = []

    report = _sync(
        session_factory, CountingEmbedder(), workspace_id, batch_size=10, progress=lambda *c: calls.append(c)
    )

    assert calls == [(0, 52), (10, 52), (20, 52), (30, 52), (40, 52), (50, 52), (52, 52)]
    assert report.embedded == 52
    calls.clear()
    _sync(session_factory, CountingEmbedder(), workspace_id, progress=lambda *c: calls.append(c))
    assert calls == [(0, 0)]


def test_batch_size_must_be_positive(session_factory: sessionmaker[Session], workspace_id: int) -> None:
    with pytest.raises(ValueError, match="batch_size"):
        _sync(session_factory, CountingEmbedder(), workspace_id, batch_size=0)


def test_a_deleted_person_takes_their_vectors_along(
    session_factory: sessionmaker[Session], workspace_id: int
) -> None:
    _sync(session_factory, CountingEmbedder(), workspace_id)
    with session_factory.begin() as session:
        session.delete(_person(session, NOVAK))

    assert len(_rows(session_factory)) == 51  # ON DELETE CASCADE


def test_index_status_counts_current_stale_and_missing_items(
    session_factory: sessionmaker[Session], workspace_id: int
) -> None:
    with session_factory() as session:
        assert index_status(session, workspace_id, "hashing-v1").missing == 52
    _sync(session_factory, CountingEmbedder(), workspace_id)
    _edit(
        session_factory, BANERJEE, expertise="Repeated auctions.", expert_visibility=ExpertVisibility.HIDDEN
    )
    with session_factory.begin() as session:
        novak = _person(session, NOVAK)
        novak.publications.append(Publication(position=0, title="Consent strings"))

    with session_factory() as session:
        status = index_status(session, workspace_id, "hashing-v1")

    assert (status.people, status.hidden, status.items) == (24, 1, 53)
    assert (status.current, status.stale, status.missing, status.other_models) == (51, 1, 1, {})


# --- the loaded index ---------------------------------------------------------------------------


def test_hidden_people_are_left_out_of_the_index_but_keep_their_vectors(
    session_factory: sessionmaker[Session], workspace_id: int
) -> None:
    _sync(session_factory, CountingEmbedder(), workspace_id)
    _edit(session_factory, BANERJEE, expert_visibility=ExpertVisibility.HIDDEN)

    embedder = CountingEmbedder()
    assert _sync(session_factory, embedder, workspace_id, now=LATER) == SyncReport(0, 52, 0)
    with session_factory() as session:
        hidden = load_expert_index(session, workspace_id, "hashing-v1")
    assert BANERJEE not in hidden.people
    assert BANERJEE not in hidden.index.positions
    assert all(item.person_id != BANERJEE for item in hidden.index.items)
    assert len(hidden.people) == 23 and hidden.missing == 0

    _edit(session_factory, BANERJEE, expert_visibility=ExpertVisibility.LISTED)
    assert _sync(session_factory, embedder, workspace_id, now=LATER).embedded == 0
    with session_factory() as session:
        listed = load_expert_index(session, workspace_id, "hashing-v1")
    assert BANERJEE in listed.people and embedder.calls == 0


def test_stale_vectors_are_never_used_for_explanations(
    session_factory: sessionmaker[Session], workspace_id: int
) -> None:
    _sync(session_factory, CountingEmbedder(), workspace_id)
    with session_factory() as session:
        old_text = _person(session, BANERJEE).expertise
    _edit(session_factory, BANERJEE, expertise="Repeated auctions with learning bidders.")

    with session_factory() as session:
        loaded = load_expert_index(session, workspace_id, "hashing-v1")

    shown = [item.text for item in loaded.index.items if item.person_id == BANERJEE]
    assert len(shown) == 2 and all(text.startswith(("Equilibrium", "Optimal")) for text in shown)
    assert old_text not in {item.text for item in loaded.index.items}
    assert loaded.missing == 1


def test_the_index_holds_what_suggestions_show(
    session_factory: sessionmaker[Session], workspace_id: int
) -> None:
    _sync(session_factory, CountingEmbedder(), workspace_id)

    with session_factory() as session:
        loaded = load_expert_index(session, workspace_id, "hashing-v1")
        person = _person(session, BANERJEE)

    assert len(loaded.people) == 24 and len(loaded.index.items) == 52
    assert loaded.model_name == "hashing-v1"
    shown = loaded.people[BANERJEE]
    assert (shown.id, shown.name, shown.discipline) == (person.id, person.name, person.discipline)
    assert loaded.index.dimension == 32
    assert np.allclose(np.linalg.norm(loaded.index.matrix, axis=1), 1.0, atol=1e-5)


def test_vectors_of_another_model_are_not_loaded(
    session_factory: sessionmaker[Session], workspace_id: int
) -> None:
    _sync(session_factory, CountingEmbedder(), workspace_id)

    with session_factory() as session:
        loaded = load_expert_index(session, workspace_id, "another-model")

    assert (len(loaded.people), len(loaded.index.items), loaded.missing) == (0, 0, 52)
    assert rank_indexed_experts(np.ones(32, dtype=np.float32), loaded.index) == []


# --- the per-process cache ----------------------------------------------------------------------


def test_cache_returns_the_same_index_while_nothing_changed(
    session_factory: sessionmaker[Session], workspace_id: int
) -> None:
    cache, embedder = ExpertIndexCache(), CountingEmbedder()

    first = cache.get(session_factory, embedder, workspace_id, now=DEMO_NOW)

    assert len(embedder.texts) == 52 and len(first.people) == 24
    assert cache.get(session_factory, embedder, workspace_id, now=LATER) is first
    assert cache.cached(workspace_id, "hashing-v1") is first
    assert len(embedder.texts) == 52


@pytest.fixture
def file_database(tmp_path: Path) -> Iterator[tuple[Engine, Engine]]:
    """A SQLite file opened by two engines: this process and, in effect, another one."""
    url = f"sqlite:///{tmp_path / 'liaison.db'}"
    engines = make_engine(url), make_engine(url)
    Base.metadata.create_all(engines[0])
    with make_session_factory(engines[1]).begin() as session:
        import_workspace_file(session, DEMO_FILE, today=DEMO_NOW.date(), now=DEMO_NOW)
    yield engines
    for engine in engines:
        engine.dispose()


def test_cache_reloads_after_a_profile_change_committed_by_another_process(
    file_database: tuple[Engine, Engine],
) -> None:
    ours, theirs = (make_session_factory(engine) for engine in file_database)
    cache, embedder = ExpertIndexCache(), CountingEmbedder()
    first = cache.get(ours, embedder, 1, now=DEMO_NOW)
    embedder.texts.clear()
    text = "Repeated auctions with learning bidders."

    _edit(theirs, BANERJEE, expertise=text)
    second = cache.get(ours, embedder, 1, now=LATER)

    assert second is not first
    assert embedder.texts == [text]
    assert text in {item.text for item in second.index.items}
    assert cache.get(ours, embedder, 1, now=LATER) is second


def test_cache_reloads_after_a_profiles_version_bump(
    session_factory: sessionmaker[Session], workspace_id: int
) -> None:
    cache, embedder = ExpertIndexCache(), CountingEmbedder()
    first = cache.get(session_factory, embedder, workspace_id, now=DEMO_NOW)

    with session_factory.begin() as session:
        bump_profiles_version(session, workspace_id)
    second = cache.get(session_factory, embedder, workspace_id, now=DEMO_NOW)

    assert second is not first and second.stamp[0] == first.stamp[0] + 1  # type: ignore[operator]
    assert len(embedder.texts) == 52  # nothing re-embedded
    assert cache.get(session_factory, embedder, workspace_id, now=DEMO_NOW) is second


def test_cache_syncs_again_when_a_profile_changed_during_its_sync(
    session_factory: sessionmaker[Session], workspace_id: int
) -> None:
    """The change's version bump lands inside the index's stamp, so only `missing` tells it apart."""
    text = "Repeated auctions with learning bidders."

    class EditingEmbedder(CountingEmbedder):
        def embed(self, texts: Sequence[str]) -> np.ndarray:
            if self.calls == 0:  # after the sync compared hashes, before it loads the index
                _edit(session_factory, BANERJEE, expertise=text)
            return super().embed(texts)

    cache, embedder = ExpertIndexCache(), EditingEmbedder()
    first = cache.get(session_factory, embedder, workspace_id, now=DEMO_NOW)
    assert first.missing == 1 and text not in {item.text for item in first.index.items}

    second = cache.get(session_factory, embedder, workspace_id, now=DEMO_NOW)

    assert second is not first and second.missing == 0
    assert text in {item.text for item in second.index.items}
    assert cache.get(session_factory, embedder, workspace_id, now=DEMO_NOW) is second


def test_cache_keeps_one_index_per_model(session_factory: sessionmaker[Session], workspace_id: int) -> None:
    cache = ExpertIndexCache()
    ours = cache.get(session_factory, CountingEmbedder(), workspace_id, now=DEMO_NOW)

    theirs = cache.get(session_factory, CountingEmbedder("another-model"), workspace_id, now=DEMO_NOW)

    assert theirs.model_name == "another-model" and len(theirs.people) == 24
    assert cache.get(session_factory, CountingEmbedder(), workspace_id, now=DEMO_NOW) is ours
    # The background path left the first model's vectors in place.
    assert len(_rows(session_factory)) == 104


def test_cache_works_through_the_question_embedders_cache_without_filling_it(
    session_factory: sessionmaker[Session], workspace_id: int
) -> None:
    inner = CountingEmbedder()
    embedder = CachingEmbedder(inner)
    cache = ExpertIndexCache()

    loaded = cache.get(session_factory, embedder, workspace_id, now=DEMO_NOW)

    assert loaded.model_name == inner.model_name and len(loaded.index.items) == 52
    assert cache.get(session_factory, inner, workspace_id, now=DEMO_NOW) is loaded  # same model, same index
    profile_text = inner.texts[0]
    embedder.embed([profile_text])  # the profile texts did not go into the question cache
    assert inner.texts.count(profile_text) == 2


def test_concurrent_gets_build_the_index_once(
    session_factory: sessionmaker[Session], workspace_id: int
) -> None:
    cache, embedder = ExpertIndexCache(), CountingEmbedder(delay=0.05)
    results: list[object] = []
    start = threading.Barrier(4)

    def get() -> None:
        start.wait()
        results.append(cache.get(session_factory, embedder, workspace_id, now=DEMO_NOW))

    threads = [threading.Thread(target=get) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(results) == 4 and all(result is results[0] for result in results)
    assert len(embedder.texts) == 52


# --- concurrency --------------------------------------------------------------------------------


def _assert_one_current_row_per_item(session_factory: sessionmaker[Session]) -> None:
    items = _all_items(session_factory)
    rows = _rows(session_factory)
    assert len(rows) == len(items)
    assert {(r.person_id, r.item_key): r.content_hash for r in rows} == {
        key: item.content_hash for key, item in items.items()
    }


def test_two_threads_syncing_one_sqlite_file_leave_one_row_per_item(
    file_database: tuple[Engine, Engine],
) -> None:
    factories = [make_session_factory(engine) for engine in file_database]
    _sync(factories[0], CountingEmbedder("old-model"), 1)  # something to delete as well
    start = threading.Barrier(2)
    reports: list[SyncReport] = []
    errors: list[BaseException] = []

    def sync(factory: sessionmaker[Session]) -> None:
        try:
            start.wait()
            reports.append(_sync(factory, CountingEmbedder(delay=0.01), 1, batch_size=4))
        except BaseException as error:  # re-raised below, in the test's thread
            errors.append(error)

    threads = [threading.Thread(target=sync, args=(factory,)) for factory in factories]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == [] and len(reports) == 2
    assert sum(report.embedded for report in reports) > 52  # they did overlap
    assert sum(report.removed for report in reports) == 52  # each old row deleted by exactly one
    _assert_one_current_row_per_item(factories[0])


def _sync_in_process(url: str, start: Any, results: Any) -> None:
    """A separate process syncing workspace 1 once every process is ready (spawned by the test below)."""
    engine = make_engine(url)
    try:
        start.wait(60)
        # 13 batches of 4 at 0.1 s each: a sync lasts over a second, so processes released together
        # overlap even when a loaded machine starts one of them a few hundred milliseconds late.
        report = _sync(make_session_factory(engine), CountingEmbedder(delay=0.1), 1, batch_size=4)
        results.put((report.embedded, report.removed))
    finally:
        engine.dispose()


@pytest.fixture
def pg_factory(postgres_url: str) -> Iterator[sessionmaker[Session]]:
    migrate_from_template(postgres_url)
    engine = make_engine(postgres_url)
    factory = make_session_factory(engine)
    with factory.begin() as session:
        import_workspace_file(session, DEMO_FILE, today=DEMO_NOW.date(), now=DEMO_NOW)
    yield factory
    engine.dispose()


@pytest.mark.postgres
@pytest.mark.parametrize("processes", [2, 3])
def test_processes_syncing_one_postgres_workspace_at_once_leave_one_row_per_item(
    processes: int, postgres_url: str, pg_factory: sessionmaker[Session]
) -> None:
    _sync(pg_factory, CountingEmbedder("old-model"), 1)
    start, results = SPAWN.Barrier(processes), SPAWN.Queue()
    workers = [
        SPAWN.Process(target=_sync_in_process, args=(postgres_url, start, results), daemon=True)
        for _ in range(processes)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)

    assert [worker.exitcode for worker in workers] == [0] * processes
    reports = [results.get(timeout=5) for _ in workers]
    # They did run at once: more than one process embedded items (the duplicated work upserts absorb).
    assert sum(embedded for embedded, _ in reports) > 52
    assert sum(removed for _, removed in reports) == 52  # each old-model row deleted exactly once
    _assert_one_current_row_per_item(pg_factory)
    with pg_factory() as session:
        models = session.scalars(select(ProfileVector.model_name).distinct()).all()
    assert models == ["hashing-v1"]


@pytest.mark.postgres
def test_incremental_sync_and_the_cache_on_postgres(pg_factory: sessionmaker[Session]) -> None:
    cache, embedder = ExpertIndexCache(), CountingEmbedder()
    first = cache.get(pg_factory, embedder, 1, now=DEMO_NOW)
    embedder.texts.clear()
    text = "Repeated auctions with learning bidders."

    _edit(pg_factory, BANERJEE, expertise=text)
    second = cache.get(pg_factory, embedder, 1, now=LATER)

    assert embedder.texts == [text] and second is not first
    assert cache.get(pg_factory, embedder, 1, now=LATER) is second
    _assert_one_current_row_per_item(pg_factory)
    report = _sync(pg_factory, CountingEmbedder("another-model"), 1, now=LATER)
    assert report == SyncReport(embedded=52, unchanged=0, removed=52)
    with pg_factory() as session:
        assert session.scalar(select(func.count()).select_from(ProfileVector)) == 52


def test_the_index_holds_tf_idf_vectors_of_the_embedded_texts_row_for_row(
    session_factory: sessionmaker[Session], workspace_id: int
) -> None:
    _sync(session_factory, CountingEmbedder(), workspace_id)

    with session_factory() as session:
        loaded = load_expert_index(session, workspace_id, "hashing-v1")
        texts = {
            (person.slack_id, item.label): item.text
            for person in session.scalars(select(Person))
            for item in profile_items(person)
        }

    assert loaded.lexical is not None and loaded.lexical.size == len(loaded.index.items)
    # Each row's lexical vector is that of the text the model read (abstract included).
    for row in (0, 7, len(loaded.index.items) - 1):
        item = loaded.index.items[row]
        assert loaded.lexical.similarities(texts[(item.person_id, item.text)])[row] == pytest.approx(
            1.0, abs=1e-5
        )
    shading = loaded.lexical.similarities("equilibrium bid shading")
    best = loaded.index.items[int(np.argmax(shading))]
    assert (best.person_id, best.text) == (
        BANERJEE,
        "Equilibrium bid shading in repeated first-price auctions",
    )
