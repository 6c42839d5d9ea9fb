"""Read-only commands answered while their record is written (issue 16, item 6; bot/serving/intake.py).

A read-only slash command that arrives alone starts on the listener pool while its inbox record is
being written, so its reads overlap the insert's round trip; its answer is posted once the insert has
recorded it, without waiting for the commit (the ack waits for it). Through a real HTTP server and
signed requests (and once over Socket Mode, with the fake Socket Mode server), on a file SQLite
database and on PostgreSQL (an in-memory database of one shared connection never answers early), with
the inbox's write slowed or broken on purpose before the insert or between the insert and its commit:
the command starts before its record is written, and is answered exactly once, or not at all when its
insert failed, was late or found a replay; a command that writes never starts before its record."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from typing import Any
from urllib.parse import parse_qsl

import pytest
from slack_bolt.request import BoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk import WebClient
from sqlalchemy import Engine, event, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from bot.cli.console.payloads import SlackPayloads
from bot.clock import FixedClock
from bot.db import make_session_factory
from bot.models import InboxRequest
from bot.services import Services
from bot.serving import intake as intake_module
from bot.serving.inbox import InboxItem, NewRequest
from bot.serving.intake import ACK_WRITE_BUDGET_SECONDS, DATABASE_UNREACHABLE, RecordedRequests, _EarlyAnswer
from bot.serving.socket_mode import LiaisonSocketModeHandler
from bot.serving.wsgi import build_runtime
from bot.settings import Settings
from bot.slack.notifier import build_notifier
from tests.conftest import DEMO_NOW
from tests.fakes.slack_api import RESPONSE_URL_METHOD, FakeSlackApi
from tests.fakes.socket_mode import FakeSocketModeServer
from tests.security.served import Served, ServerPool

PCM_MEMBER = "U11DEAHME"


@pytest.fixture
def roomy_ack_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    """Room for a slowed write within the ack's budget on a loaded machine: these tests slow the insert
    or commit to watch the order of events inside the budget, not to run past it (others do that)."""
    monkeypatch.setattr(intake_module, "ACK_WRITE_BUDGET_SECONDS", 3.0)


@pytest.fixture
def served(pool: ServerPool, settings: Settings, demo_engine: Engine) -> Served:
    """A server in front of the demo workspace in a database of each kind (a pool of connections)."""
    services = Services(
        settings=settings,
        session_factory=make_session_factory(demo_engine),
        clock=FixedClock(DEMO_NOW),
        notifier=build_notifier(settings, timeout=5),
    )
    return pool.start(services)


class Timeline:
    """When the inbox's inserts and writes ended and Bolt's dispatches began (wall clock), with the write
    slowed or broken on purpose: before the insert (`delay`, `fail`) or between the insert and its
    commit (`commit_delay`, `commit_fails`: the commit waits for, and fails with, what the insert's
    news is told to)."""

    def __init__(
        self,
        intake: RecordedRequests,
        *,
        delay: float = 0.0,
        fail: bool = False,
        commit_delay: float = 0.0,
        commit_fails: bool = False,
    ) -> None:
        self.inserts_ended: list[float] = []
        self.writes_ended: list[float] = []
        self.dispatches: list[float] = []
        self._lock = threading.Lock()
        record_many = intake.inbox.record_many
        dispatch = intake.bolt.dispatch

        def slow_record_many(
            requests: Sequence[NewRequest],
            *,
            on_inserted: Callable[[list[InboxItem | None]], None] | None = None,
            **kwargs: Any,
        ) -> list[InboxItem | None]:
            def inserted(items: list[InboxItem | None]) -> None:
                with self._lock:
                    self.inserts_ended.append(time.time())
                if on_inserted is not None:
                    on_inserted(items)
                time.sleep(commit_delay)
                if commit_fails:
                    raise OperationalError("COMMIT", {}, Exception("the database went away"))

            time.sleep(delay)
            try:
                if fail:
                    raise OperationalError("INSERT INTO slack_inbox", {}, Exception("the database went away"))
                return record_many(requests, on_inserted=inserted, **kwargs)
            finally:
                with self._lock:
                    self.writes_ended.append(time.time())

        def timed_dispatch(request: BoltRequest) -> BoltResponse:
            with self._lock:
                self.dispatches.append(time.time())
            return dispatch(request)

        intake.inbox.record_many = slow_record_many  # type: ignore[method-assign]
        intake.bolt.dispatch = timed_dispatch  # type: ignore[method-assign,assignment]


def _intake(served: Served) -> RecordedRequests:
    assert served.web.intake is not None
    return served.web.intake


def _answers(slack_api: FakeSlackApi) -> list[Any]:
    return slack_api.calls(RESPONSE_URL_METHOD)


def _wait_for(condition: Callable[[], bool], timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.02)


def _outcomes(engine: Engine) -> list[str | None]:
    with Session(engine) as session:
        return list(session.scalars(select(InboxRequest.outcome).order_by(InboxRequest.id)))


def _assert_answered_once_from_the_record(
    served: Served, payloads: SlackPayloads, slack_api: FakeSlackApi, demo_engine: Engine, timeline: Timeline
) -> None:
    """`/project status pcm` is acked at once with an empty body, started early and run again from its
    record, and answered once, after the record was committed; its finish mark says "done"."""
    reply = served.post(payloads.slash_command("/project", "status pcm", user_id=PCM_MEMBER), settle=False)
    assert reply.status == 200 and reply.body == b""
    _wait_for(lambda: len(_answers(slack_api)) >= 1 and _intake(served).worker.held() == 0)
    served.settle()

    assert len(timeline.dispatches) == 2
    assert len(_answers(slack_api)) == 1
    assert _answers(slack_api)[0].at >= timeline.writes_ended[0]
    assert _intake(served).inbox.write_finished() == 1
    assert _outcomes(demo_engine) == ["done"]


@pytest.mark.usefixtures("roomy_ack_budget")
def test_a_read_only_command_starts_while_recorded_and_is_answered_once_after_the_insert(
    served: Served, payloads: SlackPayloads, slack_api: FakeSlackApi, demo_engine: Engine
) -> None:
    timeline = Timeline(_intake(served), delay=0.3)

    reply = served.post(payloads.slash_command("/project", "status pcm", user_id=PCM_MEMBER))

    assert reply.status == 200
    answers = _answers(slack_api)
    assert len(answers) == 1
    assert "pcm" in str(answers[0].params).lower()
    [inserted] = timeline.inserts_ended
    [dispatched] = timeline.dispatches
    assert dispatched < inserted - 0.2  # it ran during the (slowed) write…
    assert answers[0].at >= inserted  # …and was posted only once the insert had recorded it
    assert _intake(served).worker.held() == 0  # its room is given back
    assert _intake(served).inbox.write_finished() == 1
    assert _outcomes(demo_engine) == ["done"]


@pytest.mark.usefixtures("roomy_ack_budget")
def test_a_read_only_commands_answer_does_not_wait_for_its_records_commit(
    served: Served, payloads: SlackPayloads, slack_api: FakeSlackApi, demo_engine: Engine
) -> None:
    # On PostgreSQL the commit's flush of the WAL is the slow tail of a record; the ack waits for it,
    # the answer does not.
    timeline = Timeline(_intake(served), commit_delay=0.5)

    reply = served.post(payloads.slash_command("/project", "status pcm", user_id=PCM_MEMBER), settle=False)
    acked = time.time()
    _wait_for(lambda: _intake(served).worker.held() == 0)
    served.settle()

    assert reply.status == 200 and reply.body == b""
    [inserted], [write_ended] = timeline.inserts_ended, timeline.writes_ended
    assert acked >= write_ended  # the ack waited for the commit…
    answers = _answers(slack_api)
    assert len(answers) == 1 and len(timeline.dispatches) == 1
    assert inserted <= answers[0].at < write_ended - 0.3  # …the answer only for the insert
    assert _intake(served).inbox.write_finished() == 1
    assert _outcomes(demo_engine) == ["done"]


@pytest.mark.usefixtures("roomy_ack_budget")
def test_a_read_only_command_answered_before_its_commit_is_marked_finished_only_after_it(
    served: Served, payloads: SlackPayloads, slack_api: FakeSlackApi, demo_engine: Engine
) -> None:
    # The poller writes the finish marks waiting every 0.2 s. A mark written while the record is not
    # committed yet would find no row (PostgreSQL) and be lost, and the request would run again, and be
    # answered twice, once its lease ran out.
    timeline = Timeline(_intake(served), commit_delay=0.6)
    intake = _intake(served)

    signed = payloads.slash_command("/project", "status pcm", user_id=PCM_MEMBER)
    acking = threading.Thread(target=served.post, args=(signed,), kwargs={"settle": False})
    acking.start()  # its ack waits for the commit
    try:
        _wait_for(lambda: len(_answers(slack_api)) == 1)
        assert not timeline.writes_ended  # answered, and the commit still to come
        intake.inbox.write_finished()  # a mark round now
    finally:
        acking.join(10)
    _wait_for(lambda: intake.worker.held() == 0)
    served.settle()
    intake.inbox.write_finished()  # the next round

    assert len(timeline.writes_ended) == 1
    assert _outcomes(demo_engine) == ["done"]
    assert len(_answers(slack_api)) == 1


def test_a_read_only_command_whose_commit_is_slower_than_the_acks_budget_is_acked_and_answered_once(
    served: Served, payloads: SlackPayloads, slack_api: FakeSlackApi, demo_engine: Engine
) -> None:
    timeline = Timeline(_intake(served), commit_delay=ACK_WRITE_BUDGET_SECONDS + 0.5)

    started = time.monotonic()
    reply = served.post(payloads.slash_command("/project", "status pcm", user_id=PCM_MEMBER), settle=False)
    acked_after = time.monotonic() - started
    _wait_for(lambda: len(timeline.writes_ended) == 1 and _intake(served).worker.held() == 0)
    _wait_for(lambda: len(_answers(slack_api)) > 1, timeout=0.5)  # a second answer would come now
    served.settle()

    # Acked within its budget, with nothing to say: the command was being answered already, and no
    # "the database is slow" notice follows it.
    assert reply.status == 200 and reply.body == b""
    assert acked_after < ACK_WRITE_BUDGET_SECONDS + 0.4
    answers = _answers(slack_api)
    assert len(answers) == 1 and "pcm" in str(answers[0].params).lower()
    assert len(timeline.dispatches) == 1
    assert _intake(served).inbox.write_finished() == 1
    assert _outcomes(demo_engine) == ["done"]


def test_a_read_only_command_whose_commit_fails_after_its_insert_is_answered_once_all_the_same(
    served: Served, payloads: SlackPayloads, slack_api: FakeSlackApi, demo_engine: Engine
) -> None:
    timeline = Timeline(_intake(served), commit_fails=True)

    reply = served.post(payloads.slash_command("/project", "status pcm", user_id=PCM_MEMBER), settle=False)
    _wait_for(lambda: _intake(served).worker.held() == 0)
    served.settle()

    # Its answer was on its way when the commit failed: the user gets it, and no "nothing was done"
    # beside it; nothing is left to run again.
    assert reply.status == 200 and reply.body == b""
    answers = _answers(slack_api)
    assert len(answers) == 1 and "pcm" in str(answers[0].params).lower()
    assert len(timeline.dispatches) == 1
    _intake(served).inbox.write_finished()  # its finish mark finds no record to mark
    assert _outcomes(demo_engine) == []


def test_a_replayed_read_only_command_is_answered_once(
    served: Served, payloads: SlackPayloads, slack_api: FakeSlackApi, demo_engine: Engine
) -> None:
    signed = payloads.slash_command("/milestone", "next", user_id=PCM_MEMBER)
    timeline = Timeline(_intake(served))

    first = served.post(signed)
    time.sleep(0.05)  # past the burst gap: the replay arrives alone, so it starts early too
    replay = served.post(signed)

    assert (first.status, replay.status) == (200, 200)
    assert len(timeline.dispatches) == 2  # the replay started too, as it arrived alone…
    assert len(_answers(slack_api)) == 1  # …and its answer was dropped: the record said "replay"
    assert _intake(served).worker.held() == 0
    assert len(_outcomes(demo_engine)) == 1


def test_a_read_only_command_whose_record_fails_is_told_so_and_not_answered(
    served: Served, payloads: SlackPayloads, slack_api: FakeSlackApi, demo_engine: Engine
) -> None:
    timeline = Timeline(_intake(served), fail=True)

    reply = served.post(payloads.slash_command("/project", "status pcm", user_id=PCM_MEMBER))

    assert reply.status == 200 and DATABASE_UNREACHABLE in reply.body.decode()
    assert len(timeline.dispatches) == 1
    assert _answers(slack_api) == []  # nothing was recorded, so nothing is answered
    assert _intake(served).worker.held() == 0
    assert _outcomes(demo_engine) == []


def test_a_read_only_command_recorded_late_is_answered_once_from_its_record(
    served: Served, payloads: SlackPayloads, slack_api: FakeSlackApi, demo_engine: Engine
) -> None:
    timeline = Timeline(_intake(served), delay=ACK_WRITE_BUDGET_SECONDS + 0.3)

    # Acked within the budget, before the write landed; the early run's answer was dropped (the ack did
    # not see the record in time), and the run from the record, once it landed, answered.
    _assert_answered_once_from_the_record(served, payloads, slack_api, demo_engine, timeline)


@pytest.mark.usefixtures("roomy_ack_budget")
def test_a_command_whose_listener_gave_up_waiting_for_the_record_is_answered_once_from_it(
    served: Served,
    payloads: SlackPayloads,
    slack_api: FakeSlackApi,
    demo_engine: Engine,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The early run waits this long for the ack's verdict; the write takes longer (but lands within
    # the ack's budget, so the ack accepts it): the early run posts nothing, the record's run answers.
    monkeypatch.setattr("bot.serving.intake.EARLY_VERDICT_SECONDS", 0.1)
    timeline = Timeline(_intake(served), delay=0.4)

    _assert_answered_once_from_the_record(served, payloads, slack_api, demo_engine, timeline)


@pytest.mark.usefixtures("roomy_ack_budget")
def test_a_command_that_writes_never_starts_before_its_record(
    served: Served, payloads: SlackPayloads, slack_api: FakeSlackApi, demo_engine: Engine
) -> None:
    timeline = Timeline(_intake(served), delay=0.2)

    served.post(payloads.slash_command("/blocker", "add pcm waiting for the data room", user_id=PCM_MEMBER))

    [write_ended] = timeline.writes_ended
    [dispatched] = timeline.dispatches
    assert dispatched >= write_ended
    assert len(_answers(slack_api)) == 1
    with Session(demo_engine) as session:
        recorded = session.scalars(select(InboxRequest)).one()
    assert recorded.effect_owner is not None  # its effect was claimed by the attempt named in the record


def test_an_in_memory_database_never_answers_early(
    pool: ServerPool, services: Services, payloads: SlackPayloads, slack_api: FakeSlackApi, demo: None
) -> None:
    served = pool.start(services)  # `sqlite://`: one connection shared by every thread
    timeline = Timeline(_intake(served), delay=0.2)

    served.post(payloads.slash_command("/project", "status pcm", user_id=PCM_MEMBER))

    [write_ended] = timeline.writes_ended
    [dispatched] = timeline.dispatches
    assert dispatched >= write_ended
    assert len(_answers(slack_api)) == 1


def test_over_socket_mode_a_read_only_command_starts_while_recorded_and_is_answered_once_after_the_insert(
    demo_db: str, slack_api: FakeSlackApi
) -> None:
    # Socket Mode records its envelopes through the same intake, with the payload as parsed: a read-only
    # command on a database with a pool of connections (a SQLite file) runs during its record's write.
    settings = Settings.from_env(
        {
            "DATABASE_URL": demo_db,
            "SLACK_BOT_TOKEN": "xoxb-socket-mode",
            "SLACK_APP_TOKEN": "xapp-1-A0LIAISON-1-socketmode",
            "SLACK_API_URL": slack_api.url,
            "LIAISON_EMBEDDINGS": "false",
        }
    )
    with FakeSocketModeServer(app_id="A0LIAISON") as socket_mode:
        slack_api.respond("apps.connections.open", {"url": socket_mode.url})
        runtime = build_runtime(settings, client=WebClient(base_url=slack_api.url, token="xoxb-socket-mode"))
        assert runtime.app is not None and runtime.listeners is not None and runtime.intake is not None
        timeline = Timeline(runtime.intake, delay=0.5)
        runtime.start()
        handler = LiaisonSocketModeHandler(
            runtime.app,
            "xapp-1-A0LIAISON-1-socketmode",
            listeners=runtime.listeners,
            ack_priority=runtime.web.ack_priority,
            intake=runtime.intake,
        )
        try:
            handler.connect()
            socket_mode.wait_for_connection(timeout=30)
            signed = SlackPayloads(
                "unused-in-socket-mode",
                team_id=FakeSlackApi.team_id,
                response_url_base=f"http://127.0.0.1:{slack_api.port}/response",
            ).slash_command("/project", "status pcm", user_id=PCM_MEMBER)
            envelope_id = socket_mode.send_slash_command(dict(parse_qsl(signed.body, keep_blank_values=True)))
            ack = socket_mode.wait_for_ack(envelope_id, timeout=15)
            _wait_for(lambda: len(_answers(slack_api)) >= 1 and runtime.intake.worker.held() == 0)
            _wait_for(lambda: len(_answers(slack_api)) > 1, timeout=0.5)  # a second answer would come now
        finally:
            handler.close()
            runtime.shutdown(5)

    assert ack.payload is None
    answers = _answers(slack_api)
    assert len(answers) == 1
    assert "pcm" in str(answers[0].params).lower()
    [inserted] = timeline.inserts_ended
    [dispatched] = timeline.dispatches
    assert dispatched < inserted - 0.2  # it ran during the (slowed, 0.5 s) write…
    assert answers[0].at >= inserted  # …and was posted only once the insert had recorded it


def test_a_request_whose_commit_failed_is_forgotten_without_finishing_the_one_that_took_its_id(
    served: Served,
) -> None:
    # On SQLite a rolled-back insert's id goes to the next record. The early run whose commit failed
    # must not mark, nor let go of, the request now held under that id.
    intake = _intake(served)
    worker = intake.worker
    failed = InboxItem(7, "command", "text=a", "", {}, DEMO_NOW, attempt="a#1")
    next_one = InboxItem(7, "command", "text=b", "", {}, DEMO_NOW, attempt="a#1")
    committed: Future[InboxItem | None] = Future()
    assert worker.reserve()
    early = _EarlyAnswer(worker)
    early.inserted(failed, committed)
    assert early.close() and early.verdict() is failed
    committed.set_exception(OperationalError("COMMIT", {}, Exception("disk full")))
    assert worker.reserve()
    worker.adopt(next_one)  # the next record, with the same id, held meanwhile

    early.finish(failed, "done")

    assert worker.held() == 1  # still holding the other request…
    assert intake.inbox.unwritten() == 0  # …and no finish mark for id 7
    worker.finished(next_one, "done")
    assert worker.held() == 0


def test_a_graceful_stop_waits_for_the_commit_of_a_command_answered_before_it(
    served: Served, payloads: SlackPayloads, slack_api: FakeSlackApi, demo_engine: Engine
) -> None:
    # The ack does not wait for a commit slower than its budget once the command is being answered;
    # handing the record back before the commit lands would release nothing and leave it leased to
    # this process, to be run (and answered) again after its lease.
    timeline = Timeline(_intake(served), commit_delay=ACK_WRITE_BUDGET_SECONDS + 0.8)
    intake = _intake(served)

    reply = served.post(payloads.slash_command("/project", "status pcm", user_id=PCM_MEMBER), settle=False)
    served.settle()
    assert reply.status == 200 and len(_answers(slack_api)) == 1
    assert not timeline.writes_ended  # the commit is still to come

    intake.stop_taking_work()
    intake.hand_back(timeout=5)

    assert len(timeline.writes_ended) == 1
    assert _outcomes(demo_engine) == ["done"]


def test_a_read_only_commands_session_is_closed_after_its_answer_is_posted(
    served: Served, payloads: SlackPayloads, slack_api: FakeSlackApi, demo_engine: Engine
) -> None:
    # Closing the session (its connection reset and given back to the pool) comes after the answer,
    # not before it (`bot.db.read_only_sessions_closed_at_end`).
    checked_in: list[float] = []

    def note_checkin(_dbapi_connection: Any, _record: Any) -> None:
        checked_in.append(time.time())

    event.listen(demo_engine, "checkin", note_checkin)
    try:
        served.post(payloads.slash_command("/project", "status pcm", user_id=PCM_MEMBER))
    finally:
        event.remove(demo_engine, "checkin", note_checkin)

    [answer] = _answers(slack_api)
    assert checked_in and max(checked_in) >= answer.at
