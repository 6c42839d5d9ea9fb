"""The background refresh of expert indexes: registration, readiness, incremental sync, warm cache."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.clock import FixedClock
from bot.db import Base, make_engine, make_session_factory
from bot.experts.embeddings.cache import CachingEmbedder
from bot.experts.embeddings.hashing import HashingEmbedder
from bot.experts.profile_version import bump_profiles_version
from bot.models import Person, ProfileVector, Workspace
from bot.services import Services
from bot.settings import Settings
from bot.workspace_file import import_workspace_file
from jobs.expert_index import refresh_expert_indexes
from jobs.scheduler import EXPERT_INDEX_JOB_ID, build_scheduler
from tests.conftest import DEMO_FILE, DEMO_NOW


class RecordingEmbedder(HashingEmbedder):
    """The hashing embedder, with a load state and a record of what it embedded."""

    def __init__(self, *, ready: bool = True) -> None:
        super().__init__(dimension=32)
        self.ready = ready
        self.texts: list[str] = []
        self.waited = False

    def wait_ready(self, timeout: float | None = None) -> bool:
        self.waited = True
        return self.ready

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        assert self.ready, "embedding before the model was loaded"
        self.texts.extend(texts)
        return super().embed(texts)


def _services(session_factory: sessionmaker[Session], embedder: object | None) -> Services:
    return Services(
        settings=Settings(),
        session_factory=session_factory,
        clock=FixedClock(DEMO_NOW),
        embedder=embedder,  # type: ignore[arg-type]
    )


def _vector_count(session_factory: sessionmaker[Session]) -> int:
    with session_factory() as session:
        return int(session.scalar(select(func.count()).select_from(ProfileVector)) or 0)


def test_scheduler_registers_the_refresh_every_minute(session_factory: sessionmaker[Session]) -> None:
    scheduler = build_scheduler(_services(session_factory, None))

    job = scheduler.get_job(EXPERT_INDEX_JOB_ID)

    assert job is not None and job.func is refresh_expert_indexes
    assert job.trigger.interval == timedelta(seconds=60)
    assert (job.coalesce, job.max_instances) == (True, 1)


def test_refresh_does_nothing_without_an_embedder(session_factory: sessionmaker[Session], demo: None) -> None:
    assert refresh_expert_indexes(_services(session_factory, None)) == 0
    assert _vector_count(session_factory) == 0


def test_refresh_never_waits_for_a_model_that_is_still_loading(
    session_factory: sessionmaker[Session], demo: None
) -> None:
    embedder = RecordingEmbedder(ready=False)

    for wrapped in (embedder, CachingEmbedder(embedder)):
        assert refresh_expert_indexes(_services(session_factory, wrapped)) == 0

    assert not embedder.waited and embedder.texts == []
    assert _vector_count(session_factory) == 0


def test_refresh_syncs_every_workspace_and_warms_the_cache(
    session_factory: sessionmaker[Session], demo: None
) -> None:
    with session_factory.begin() as session:
        session.add(Workspace(name="Empty alliance", timezone="UTC"))
    embedder = RecordingEmbedder()
    services = _services(session_factory, embedder)

    assert refresh_expert_indexes(services, now=DEMO_NOW) == 2

    assert len(embedder.texts) == 52 and _vector_count(session_factory) == 52
    warm = services.expert_indexes.cached(1, embedder.model_name)
    assert warm is not None and len(warm.people) == 24
    # The first /expert finds the index ready: no embedding, no reload.
    assert services.expert_indexes.get(session_factory, embedder, 1, now=DEMO_NOW) is warm
    assert len(embedder.texts) == 52


def test_refresh_embeds_only_a_changed_profile_and_reloads_the_index(
    session_factory: sessionmaker[Session], demo: None
) -> None:
    embedder = RecordingEmbedder()
    services = _services(session_factory, embedder)
    refresh_expert_indexes(services, now=DEMO_NOW)
    before = services.expert_indexes.cached(1, embedder.model_name)
    embedder.texts.clear()
    text = "Repeated auctions with learning bidders."
    with session_factory.begin() as session:
        person = session.scalars(select(Person).where(Person.slack_id == "U02ECBANE")).one()
        person.expertise = text
        bump_profiles_version(session, person.workspace_id)

    refresh_expert_indexes(services, now=DEMO_NOW + timedelta(minutes=1))

    assert embedder.texts == [text]
    after = services.expert_indexes.cached(1, embedder.model_name)
    assert after is not None and after is not before
    assert text in {item.text for item in after.index.items}
    refresh_expert_indexes(services, now=DEMO_NOW + timedelta(minutes=2))
    assert services.expert_indexes.cached(1, embedder.model_name) is after  # nothing moved: kept


def test_refresh_through_the_question_embedders_cache(
    session_factory: sessionmaker[Session], demo: None
) -> None:
    """`liaison serve` passes a CachingEmbedder; the job and /expert then share one index per model."""
    inner = RecordingEmbedder()
    services = _services(session_factory, CachingEmbedder(inner))

    assert refresh_expert_indexes(services, now=DEMO_NOW) == 1

    assert services.expert_indexes.cached(1, inner.model_name) is not None
    assert len(inner.texts) == 52


def test_processes_refreshing_at_once_leave_one_row_per_item(tmp_path: Path) -> None:
    """Two bot processes (here: two engines, two caches) run the job at the same moment."""
    url = f"sqlite:///{tmp_path / 'liaison.db'}"
    engines = [make_engine(url), make_engine(url)]
    Base.metadata.create_all(engines[0])
    factories = [make_session_factory(engine) for engine in engines]
    with factories[0].begin() as session:
        import_workspace_file(session, DEMO_FILE, today=DEMO_NOW.date(), now=DEMO_NOW)
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def run(factory: sessionmaker[Session]) -> None:
        try:
            start.wait()
            refresh_expert_indexes(_services(factory, RecordingEmbedder()), now=DEMO_NOW)
        except BaseException as error:  # re-raised below, in the test's thread
            errors.append(error)

    threads = [threading.Thread(target=run, args=(factory,)) for factory in factories]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert errors == []
        with factories[0]() as session:
            keys = session.execute(select(ProfileVector.person_id, ProfileVector.item_key)).all()
        assert len(keys) == len(set(keys)) == 52
    finally:
        for engine in engines:
            engine.dispose()


@pytest.mark.parametrize("embedder", [None, "not ready"])
def test_the_registered_job_runs_without_a_model(
    session_factory: sessionmaker[Session], demo: None, embedder: str | None
) -> None:
    services = _services(session_factory, None if embedder is None else RecordingEmbedder(ready=False))
    job = build_scheduler(services).get_job(EXPERT_INDEX_JOB_ID)

    assert job is not None and job.func(**job.kwargs) == 0
