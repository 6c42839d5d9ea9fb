"""The durable inbox (bot/serving/inbox.py) and the effect guard (bot/db.py), on SQLite and PostgreSQL.

The crash tests with real processes are in tests/test_inbox_crash.py; here, the rules they rely on:
a body is recorded once, leases are taken, renewed, handed back and taken over, a request's database
effects are written by one attempt only, and a full in-memory queue leaves requests in the table
until there is room.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.cli.console.payloads import SlackPayloads
from bot.clock import FixedClock
from bot.db import EFFECT_CLAIM, EffectAlreadyApplied, EffectClaim, make_engine, make_session_factory
from bot.models import AuditEntry, Blocker, InboxRequest, Workspace
from bot.schema import upgrade_database
from bot.services import Services
from bot.serving.inbox import Inbox
from bot.settings import Settings
from tests.fakes.slack_api import RESPONSE_URL_METHOD, FakeSlackApi
from tests.security.served import ServerPool

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
PCM_MEMBER = "U11DEAHME"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, tmp_path: object) -> Iterator[Engine]:
    """A migrated, empty database of each supported kind."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path}/inbox.db"
    else:
        url = request.getfixturevalue("postgres_url")
    upgrade_database(url)
    engine = make_engine(url)
    yield engine
    engine.dispose()


def _inbox(engine: Engine, clock: FixedClock, owner: str) -> Inbox:
    return Inbox(engine, clock, owner=owner, lease_seconds=30)


def _record(inbox: Inbox, key: str, *, leased: bool = True) -> object:
    return inbox.record(
        key=key,
        kind="command",
        body="text=hello",
        query="",
        headers={"x-slack-signature": "v0=x"},
        leased=leased,
    )


def test_a_body_is_recorded_once_and_its_repeat_is_a_replay(database: Engine) -> None:
    inbox = _inbox(database, FixedClock(NOW), "a")

    first = _record(inbox, "k1")
    repeat = _record(inbox, "k1")

    assert first is not None and repeat is None
    assert inbox.waiting() == 1


def test_leases_are_taken_over_when_they_run_out_and_at_once_when_handed_back(database: Engine) -> None:
    clock = FixedClock(NOW)
    a, b = _inbox(database, clock, "a"), _inbox(database, clock, "b")
    held = _record(a, "held")
    _record(a, "waiting", leased=False)

    # B takes the unleased one at once, not A's leased one.
    unleased = b.take(10)
    assert [item.attempt for item in unleased] == ["b#1"]
    assert b.take(10) == []
    b.finish(unleased[0], "done")
    # A dies: after its lease B takes its request over, as attempt 2.
    clock.advance(timedelta(seconds=31))
    taken = b.take(10)
    assert held is not None and [item.id for item in taken] == [held.id]  # type: ignore[attr-defined]
    assert taken[0].attempt == "b#2"
    # B stops gracefully: what it hands back is taken at once by another instance.
    assert b.release([item.id for item in taken]) == 1
    again = _inbox(database, clock, "c").take(10)
    assert [item.attempt for item in again] == ["c#3"]


def test_renewed_leases_are_kept_and_finished_rows_are_pruned_after_an_hour(database: Engine) -> None:
    clock = FixedClock(NOW)
    a, b = _inbox(database, clock, "a"), _inbox(database, clock, "b")
    item = _record(a, "k")
    assert item is not None
    clock.advance(timedelta(seconds=20))
    a.renew([item.id])  # type: ignore[attr-defined]
    clock.advance(timedelta(seconds=20))
    assert b.take(10) == []  # 40 s after the record, 20 s after the renewal

    a.finish(item, "done")  # type: ignore[arg-type]
    assert a.waiting() == 0
    clock.advance(timedelta(minutes=59))
    assert a.prune() == 0
    clock.advance(timedelta(minutes=2))
    assert a.prune() == 1


def _workspace_id(factory: sessionmaker[Session]) -> int:
    with factory.begin() as session:
        workspace = Workspace(name="Inbox test", timezone="UTC", slack_team_id="T0INBOX")
        session.add(workspace)
        session.flush()
        return workspace.id


def _audit(factory: sessionmaker[Session], workspace_id: int, action: str) -> None:
    with factory.begin() as session:
        session.add(
            AuditEntry(
                workspace_id=workspace_id, actor="U1", action=action, entity="test", entity_id=None, at=NOW
            )
        )


def test_a_requests_effects_are_written_by_one_attempt_only(database: Engine) -> None:
    factory = make_session_factory(database)
    workspace_id = _workspace_id(factory)
    inbox = _inbox(database, FixedClock(NOW), "a")
    item = _record(inbox, "effect")
    assert item is not None
    row_id = item.id  # type: ignore[attr-defined]

    token = EFFECT_CLAIM.set(EffectClaim(row_id, "a#1"))
    try:
        _audit(factory, workspace_id, "first write")
        _audit(factory, workspace_id, "second write of the same attempt")
    finally:
        EFFECT_CLAIM.reset(token)
    # A second attempt (the first one's instance died after committing) must not write again.
    token = EFFECT_CLAIM.set(EffectClaim(row_id, "b#2"))
    try:
        with pytest.raises(EffectAlreadyApplied):
            _audit(factory, workspace_id, "written twice")
        with factory() as session:  # reads are free
            assert session.scalar(select(func.count()).select_from(AuditEntry)) == 2
    finally:
        EFFECT_CLAIM.reset(token)

    with factory() as session:
        actions = session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
        owner = session.scalar(select(InboxRequest.effect_owner).where(InboxRequest.id == row_id))
    assert actions == ["first write", "second write of the same attempt"]
    assert owner == "a#1"
    # Outside any request, writes are not guarded.
    _audit(factory, workspace_id, "a job's write")


def test_a_full_queue_leaves_requests_in_the_inbox_until_there_is_room(
    demo_db: str, slack_api: FakeSlackApi, payloads: SlackPayloads, settings: Settings, clock: FixedClock
) -> None:
    engine = make_engine(demo_db)
    limited = dataclasses.replace(settings, database_url=demo_db, inbox_queue_limit=2)
    services = Services(settings=limited, session_factory=make_session_factory(engine), clock=clock)
    # Slow answers keep the two requests in memory busy while the others arrive.
    slack_api.delay(RESPONSE_URL_METHOD, 0.1, times=100)
    pool = ServerPool()
    try:
        served = pool.start(services, poll_inbox=True)
        assert served.web.intake is not None
        worker = served.web.intake.worker
        peak = 0
        for n in range(8):
            reply = served.post(
                payloads.slash_command("/blocker", f"add pcm queued blocker {n}", user_id=PCM_MEMBER),
                settle=False,
            )
            assert reply.status == 200 and reply.body == b""
            peak = max(peak, worker.held())
        answered = slack_api.wait_for(RESPONSE_URL_METHOD, count=8, timeout=30)
        with services.session_factory() as session:
            texts = session.scalars(select(Blocker.text).where(Blocker.text.like("queued blocker %"))).all()
    finally:
        pool.stop_all()
        engine.dispose()

    assert answered
    assert sorted(texts) == [f"queued blocker {n}" for n in range(8)]
    assert peak <= 2
