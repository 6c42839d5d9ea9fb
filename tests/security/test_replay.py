"""Replays: a captured, validly signed request sent again within the 300 s window must not act twice.

The WSGI layer records the SHA-256 of each body once in the database (the inbox, `slack_inbox`, for
requests acked before their listener runs; `processed_request` for the others), so the check holds
across threads and across instances sharing PostgreSQL. Slack's own event retries carry the same
body and are dropped there too; behind it, the app drops every repeated event by its `event_id`
before any listener runs (`bot.slack.replay.once_per_event`), whatever its body.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.cli.console.payloads import SlackPayloads
from bot.db import make_engine, make_session_factory
from bot.models import Blocker, InboxRequest
from bot.services import Services
from bot.serving.checks import REPLAY_KEY_PREFIX
from bot.serving.intake import DATABASE_UNREACHABLE
from bot.workspace_file import import_workspace_file
from tests.conftest import DEMO_FILE, DEMO_NOW
from tests.fakes.slack_api import RESPONSE_URL_METHOD, FakeSlackApi
from tests.migrated import migrate_from_template
from tests.security.served import Served, ServerPool

PCM_MEMBER = "U11DEAHME"


def _blockers(session_factory: sessionmaker[Session]) -> int:
    with session_factory() as session:
        return int(session.scalar(select(func.count()).select_from(Blocker)) or 0)


def _outcomes(served: Served) -> dict[tuple[str, str], float]:
    text = served.get("/metrics").body.decode()
    found = re.findall(
        r'^liaison_slack_requests_total\{kind="(\w+)",outcome="(\w+)"\} (\S+)$', text, re.MULTILINE
    )
    return {(kind, outcome): float(value) for kind, outcome, value in found}


def test_replayed_command_is_acked_and_not_acted_on(
    pool: ServerPool, services: Services, payloads: SlackPayloads, slack_api: FakeSlackApi, demo: None
) -> None:
    served = pool.start(services)
    signed = payloads.slash_command("/blocker", "add pcm waiting for the DPA", user_id=PCM_MEMBER)

    first = served.post(signed)
    replay = served.post(signed)

    assert (first.status, replay.status) == (200, 200)
    assert replay.body == b""
    assert _blockers(services.session_factory) == 1
    assert len(slack_api.calls(RESPONSE_URL_METHOD)) == 1
    key = REPLAY_KEY_PREFIX + hashlib.sha256(signed.body.encode()).hexdigest()
    # The finish mark is written by the inbox poller's next mark round (this server runs no poller).
    assert served.web.intake is not None and served.web.intake.inbox.write_finished() == 1
    with services.session_factory() as session:
        recorded = session.scalars(select(InboxRequest).where(InboxRequest.replay_key == key)).one()
    assert (recorded.kind, recorded.outcome) == ("command", "done")
    assert recorded.effect_owner is not None  # the blocker's transaction marked it
    assert _outcomes(served)[("command", "replay")] == 1


def test_replayed_button_click_is_dropped(
    pool: ServerPool, services: Services, payloads: SlackPayloads, slack_api: FakeSlackApi, demo: None
) -> None:
    served = pool.start(services)
    click = payloads.block_action(user_id="U02ECBANE", action_id="open_project", value="bidshade")

    served.post(click)
    served.post(click)

    assert len(slack_api.calls(RESPONSE_URL_METHOD)) == 1
    assert _outcomes(served)[("block_actions", "replay")] == 1


def test_slack_event_retry_and_replay_are_dropped_by_the_inbox(
    pool: ServerPool, services: Services, payloads: SlackPayloads, slack_api: FakeSlackApi, demo: None
) -> None:
    served = pool.start(services)
    mention = payloads.event(
        {
            "type": "app_mention",
            "user": "U02ECBANE",
            "text": "<@U0LIAISONBOT> what is overdue?",
            "channel": "C1BIDSHADE",
            "ts": "1800000000.000100",
        }
    )

    first = served.post(mention)
    retry = served.post(mention, **{"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"})
    replay = served.post(mention)

    assert (first.status, retry.status, replay.status) == (200, 200, 200)
    answers = slack_api.calls("chat.postMessage") + slack_api.calls("chat.postEphemeral")
    assert len(answers) == 1
    outcomes = _outcomes(served)
    # Slack's retry carries the same body: it is a repeat for the inbox as much as the replay is.
    assert outcomes[("event", "accepted")] == 1
    assert outcomes[("event", "replay")] == 2


def test_app_home_opened_retried_twenty_times_publishes_once(
    pool: ServerPool, services: Services, payloads: SlackPayloads, slack_api: FakeSlackApi, demo: None
) -> None:
    served = pool.start(services)
    opened = {"type": "app_home_opened", "user": "U02ECBANE", "channel": "D0HOME", "tab": "home"}

    first = served.post(payloads.event(opened, event_id="Ev0HOMEOPEN1"))
    retries = [
        served.post(payloads.event(opened, event_id="Ev0HOMEOPEN1", retry_num=1 + n % 3)) for n in range(20)
    ]
    other = served.post(payloads.event(opened, event_id="Ev0HOMEOPEN2"))  # a new opening: acted on

    assert {reply.status for reply in [first, *retries, other]} == {200}
    assert len(slack_api.calls("views.publish")) == 2


@pytest.mark.parametrize(
    "event", [{"type": "app_uninstalled"}, {"type": "tokens_revoked", "tokens": {"bot": ["U0LIAISONBOT"]}}]
)
def test_install_ending_events_act_once_per_event_id_despite_retry_headers(
    pool: ServerPool,
    services: Services,
    payloads: SlackPayloads,
    demo: None,
    monkeypatch: pytest.MonkeyPatch,
    event: dict[str, object],
) -> None:
    import handlers.events

    forgotten: list[object] = []
    real = handlers.events.forget_installation

    def counting(*args: object, **kwargs: object) -> object:
        forgotten.append(kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(handlers.events, "forget_installation", counting)
    served = pool.start(services)

    replies = [served.post(payloads.event(event, event_id="Ev0ENDING"))]
    replies += [served.post(payloads.event(event, event_id="Ev0ENDING", retry_num=n)) for n in (1, 2, 3)]

    assert {reply.status for reply in replies} == {200}
    assert len(forgotten) == 1


@pytest.fixture
def database_down(services: Services) -> Iterator[Services]:
    """The same settings and clock, with a database that cannot be opened."""
    from sqlalchemy import create_engine

    broken = create_engine("sqlite:////nonexistent-dir/for/sure/liaison.db")
    yield Services(
        settings=services.settings, session_factory=make_session_factory(broken), clock=services.clock
    )
    broken.dispose()


def test_command_is_answered_in_its_ack_when_the_inbox_is_unreachable(
    pool: ServerPool, database_down: Services, payloads: SlackPayloads, slack_api: FakeSlackApi
) -> None:
    served = pool.start(database_down)

    reply = served.post(payloads.slash_command("/blocker", "add pcm waiting for the DPA", user_id=PCM_MEMBER))

    # Slack never retries a command: the ack itself tells the user that nothing was done (fail closed:
    # the request could not be recorded, so the listener did not run and nothing reached Slack).
    assert reply.status == 200
    assert reply.json() == {"response_type": "ephemeral", "text": DATABASE_UNREACHABLE}
    assert [call.method for call in slack_api.calls() if call.method != "auth.test"] == []  # auth.test: start
    assert _outcomes(served)[("command", "error")] == 1


def test_event_is_refused_with_503_when_the_inbox_is_unreachable(
    pool: ServerPool, database_down: Services, payloads: SlackPayloads, slack_api: FakeSlackApi
) -> None:
    served = pool.start(database_down)
    mention = payloads.event(
        {
            "type": "app_mention",
            "user": "U02ECBANE",
            "text": "<@U0LIAISONBOT> what is overdue?",
            "channel": "C1",
        }
    )

    reply = served.post(mention)

    # Slack retries an event answered with a 5xx, so events keep their check before the ack.
    assert reply.status == 503
    assert reply.json() == {"error": "database unavailable"}
    assert [call.method for call in slack_api.calls() if call.method != "auth.test"] == []


# -- several instances on one PostgreSQL database -------------------------------------------------


@pytest.fixture
def shared_postgres(postgres_url: str) -> Iterator[sessionmaker[Session]]:
    migrate_from_template(postgres_url)
    engine = make_engine(postgres_url)
    factory = make_session_factory(engine)
    with factory.begin() as session:
        import_workspace_file(session, DEMO_FILE, today=DEMO_NOW.date(), now=DEMO_NOW)
    yield factory
    engine.dispose()


def test_replay_to_another_instance_is_dropped_and_concurrent_replays_act_once(
    pool: ServerPool,
    services: Services,
    shared_postgres: sessionmaker[Session],
    payloads: SlackPayloads,
    slack_api: FakeSlackApi,
) -> None:
    on_postgres = Services(settings=services.settings, session_factory=shared_postgres, clock=services.clock)
    first, second = pool.start(on_postgres), pool.start(on_postgres)
    signed = payloads.slash_command("/blocker", "add pcm waiting for the DPA", user_id=PCM_MEMBER)
    burst = payloads.slash_command("/blocker", "add pcm legal review of the PSI design", user_id=PCM_MEMBER)

    assert first.post(signed).status == 200
    assert second.post(signed).status == 200
    statuses: list[int] = []

    def send(instance: Served) -> None:
        statuses.append(instance.post(burst, settle=False).status)

    threads = [threading.Thread(target=send, args=(first if n % 2 else second,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    first.settle()
    second.settle()

    assert statuses == [200] * 8
    assert _blockers(shared_postgres) == 2
    assert len(slack_api.calls(RESPONSE_URL_METHOD)) == 2
    replays = _outcomes(first).get(("command", "replay"), 0) + _outcomes(second).get(("command", "replay"), 0)
    assert replays == 1 + 7
