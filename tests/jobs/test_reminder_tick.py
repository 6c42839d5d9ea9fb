"""The reminder tick through the real job, the ledger and the fake Slack Web API over HTTP (SQLite)."""

from __future__ import annotations

import dataclasses
import logging
import sqlite3
import time
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, String, select
from sqlalchemy.orm import Session, sessionmaker

from bot.clock import FixedClock
from bot.db import make_engine, make_session_factory
from bot.domain.reminders import DeliveryKind
from bot.models import DeliveryStatus, Milestone, MilestoneStatus, Person, ReminderDelivery
from bot.reminders.claims import claim_due
from bot.reminders.dispatch import default_claimer
from bot.reminders.planning import replan_milestone
from bot.services import Services
from bot.settings import Settings
from bot.slack import ids
from bot.slack.notifier import build_notifier
from bot.workspace_file import import_workspace, load_workspace_document
from jobs.reminders import plan_reminders, refresh_time_zones, run_reminder_tick, send_due_reminders
from jobs.scheduler import REMINDER_TICK_JOB_ID, build_scheduler
from tests.conftest import DEMO_FILE, DEMO_NOW
from tests.fakes.driver import SlackDriver, buttons_of, message_text
from tests.fakes.slack_api import FakeSlackApi
from tests.jobs.reminder_support import (
    deliveries,
    message_for,
    milestone,
    plan_and_tick_until,
    posted_keys,
    seed_due_deliveries,
    utc,
)

pytestmark = pytest.mark.usefixtures("demo")

BANERJEE = "U02ECBANE"  # leads bidshade, owns bidshade-2 (due Fri 27 Nov 12:00 Amsterdam)
OSEI = "U01MLOSEI"  # London
T7_BIDSHADE_2 = utc(2026, 11, 20, 8, 0)  # 09:00 Amsterdam, seven days before


def _key(session_factory: sessionmaker[Session], ref: tuple[str, int], step: str) -> str:
    m = milestone(session_factory, *ref)
    return f"m{m.id}:{step}@{m.due_at.strftime('%Y%m%dT%H%M%SZ')}"


def test_due_reminder_is_posted_once_with_buttons_and_its_ts_recorded(
    services: Services, slack_api: FakeSlackApi, session_factory: sessionmaker[Session]
) -> None:
    assert send_due_reminders(services, now=T7_BIDSHADE_2) == 1
    assert send_due_reminders(services, now=T7_BIDSHADE_2 + timedelta(minutes=1)) == 0

    key = _key(session_factory, ("bidshade", 2), "lead_time:T-7d")
    assert posted_keys(slack_api) == {key: 1}
    message = message_for(slack_api, key)
    assert message["channel"] == "D02ECBANE"  # a DM to the owner
    text = message_text(message)
    assert "bidshade-2" in text and "Fri 27 Nov 2026, 12:00 CET" in text and "in 7 days" in text
    labels = [b["text"]["text"] for b in buttons_of(message["blocks"])]
    assert labels == ["Done", "Snooze 1 h", "Tomorrow 09:00", "Next week", "Move date…", "Open project"]
    (row,) = deliveries(session_factory, key=key)
    assert (row.status, row.slack_ts, row.slack_channel, row.attempts) == (
        DeliveryStatus.SENT,
        message["ts"],
        "D02ECBANE",
        1,
    )


def test_week_of_ticks_sends_every_planned_delivery_exactly_once_on_local_clocks(
    services: Services, slack_api: FakeSlackApi, session_factory: sessionmaker[Session]
) -> None:
    plan_and_tick_until(services, DEMO_NOW, DEMO_NOW + timedelta(days=8))

    keys = posted_keys(slack_api)
    assert keys and set(keys.values()) == {1}
    sent = deliveries(session_factory, status=DeliveryStatus.SENT)
    assert {r.key for r in sent} == set(keys)
    assert {r.kind for r in sent} >= {
        DeliveryKind.LEAD_TIME,
        DeliveryKind.ESCALATE_LEAD,
        DeliveryKind.ESCALATE_CHANNEL,
        DeliveryKind.DIGEST,
        DeliveryKind.WAITING,
    }
    with session_factory() as session:
        for row in sent:
            if row.kind == DeliveryKind.LEAD_TIME and row.occurrence.startswith(("T-7d", "T-1d")):
                person = session.get(Person, row.recipient_id)
                assert person is not None and person.timezone is not None
                local = row.send_at.astimezone(ZoneInfo(person.timezone))
                # 09:00 on the owner's wall clock, unless a weekend moved it to Monday 08:00.
                assert (local.hour, local.minute) in ((9, 0), (8, 0)), (row.key, local)
                assert local.weekday() < 5
            # Hourly ticks: nothing is sent before its time or more than a tick late.
            assert row.send_at <= row.sent_at <= row.send_at + timedelta(hours=1)


def test_the_waiting_on_you_dm_calls_its_window_the_next_seven_days_not_this_week(
    services: Services, slack_api: FakeSlackApi
) -> None:
    # Its window is the next 7 days, which on a Wednesday reaches into next week: "this week" was wrong.
    plan_and_tick_until(services, DEMO_NOW, DEMO_NOW + timedelta(days=4), step=timedelta(hours=3))

    waiting = [
        message_text(call.params)
        for call in slack_api.calls("chat.postMessage")
        if "Waiting on you" in message_text(call.params)
    ]
    assert any("*Due in the next 7 days*" in text for text in waiting), waiting
    assert not any("this week" in text for text in waiting)


def test_done_before_sending_cancels_the_reminder(
    services: Services, slack: SlackDriver, slack_api: FakeSlackApi, session_factory: sessionmaker[Session]
) -> None:
    slack.command(BANERJEE, "/milestone done bidshade-2")

    assert send_due_reminders(services, now=T7_BIDSHADE_2) == 0

    assert posted_keys(slack_api) == {}
    m = milestone(session_factory, "bidshade", 2)
    pending = [
        r for r in deliveries(session_factory, milestone_id=m.id) if r.status == DeliveryStatus.PLANNED
    ]
    assert pending == []


def test_moved_before_sending_replans_in_the_same_transaction(
    services: Services, slack: SlackDriver, slack_api: FakeSlackApi, session_factory: sessionmaker[Session]
) -> None:
    old_key = _key(session_factory, ("bidshade", 2), "lead_time:T-7d")

    slack.command(BANERJEE, "/milestone move bidshade-2 2026-12-11 12:00")

    assert send_due_reminders(services, now=T7_BIDSHADE_2) == 0
    (old,) = deliveries(session_factory, key=old_key)
    assert old.status == DeliveryStatus.CANCELLED
    new_key = _key(session_factory, ("bidshade", 2), "lead_time:T-7d")
    (new,) = deliveries(session_factory, key=new_key)
    assert new.send_at == utc(2026, 12, 4, 8, 0)
    send_due_reminders(services, now=utc(2026, 12, 4, 8, 0))
    assert posted_keys(slack_api)[new_key] == 1 and old_key not in posted_keys(slack_api)


def test_reassigned_before_sending_goes_to_the_new_owner_on_their_clock(
    services: Services, slack_api: FakeSlackApi, session_factory: sessionmaker[Session]
) -> None:
    document = load_workspace_document(DEMO_FILE)
    projects = list(document.projects)
    bidshade = projects[0]
    milestones = [
        dataclasses.replace(m, owner=OSEI) if m.title == "Equilibrium shading model write-up" else m
        for m in bidshade.milestones
    ]
    projects[0] = dataclasses.replace(bidshade, milestones=tuple(milestones))
    with session_factory.begin() as session:
        import_workspace(
            session,
            dataclasses.replace(document, projects=tuple(projects)),
            today=DEMO_NOW.date(),
            now=DEMO_NOW,
        )

    # 09:00 in Amsterdam is 08:00 in London: nothing yet for Osei, and nothing at all for Banerjee.
    assert send_due_reminders(services, now=T7_BIDSHADE_2) == 0
    send_due_reminders(services, now=T7_BIDSHADE_2 + timedelta(hours=1))

    key = _key(session_factory, ("bidshade", 2), "lead_time:T-7d")
    assert message_for(slack_api, key)["channel"] == "D01MLOSEI"
    assert slack_api.messages("D02ECBANE") == []


def test_claimed_by_a_crashed_ticker_then_completed_is_cancelled_not_sent(
    services: Services, slack_api: FakeSlackApi, session_factory: sessionmaker[Session]
) -> None:
    with session_factory.begin() as session:
        (claim,) = claim_due(
            session,
            T7_BIDSHADE_2,
            limit=10,
            lease=timedelta(seconds=60),
            claimer="crashed",
            grace=timedelta(hours=24),
        )
    with session_factory.begin() as session:
        m = session.get(Milestone, claim.milestone_id)
        assert m is not None
        m.status = MilestoneStatus.DONE

    assert send_due_reminders(services, now=T7_BIDSHADE_2 + timedelta(seconds=30)) == 0  # lease still held
    assert send_due_reminders(services, now=T7_BIDSHADE_2 + timedelta(minutes=2)) == 0

    (row,) = deliveries(session_factory, id=claim.id)
    assert (row.status, row.last_error) == (DeliveryStatus.CANCELLED, "milestone done")
    assert posted_keys(slack_api) == {}
    # It was taken over from an expired lease, so Slack was searched before anything else.
    assert slack_api.calls("conversations.history") == []  # cancelled before any lookup was needed


def test_deleting_a_milestone_cancels_its_pending_deliveries_in_the_same_transaction(
    session_factory: sessionmaker[Session],
) -> None:
    m = milestone(session_factory, "bidshade", 2)
    with session_factory.begin() as session:
        session.delete(session.get(Milestone, m.id))

    rows = deliveries(session_factory, series=f"m{m.id}:lead_time")
    assert rows and {r.status for r in rows} == {DeliveryStatus.CANCELLED}
    assert {r.milestone_id for r in rows} == {None}


def test_after_downtime_missed_within_grace_are_sent_once_older_expire(
    services: Services, slack_api: FakeSlackApi, session_factory: sessionmaker[Session]
) -> None:
    # Down from before Friday 09:00 until Saturday 10:00: Friday's reminder is 26 h late.
    assert send_due_reminders(services, now=T7_BIDSHADE_2 + timedelta(hours=26)) == 0
    key = _key(session_factory, ("bidshade", 2), "lead_time:T-7d")
    (row,) = deliveries(session_factory, key=key)
    assert row.status == DeliveryStatus.EXPIRED

    # Another reminder missed by only 5 hours is still sent, once.
    fatigue_key = _key(session_factory, ("fatigue", 1), "lead_time:T-1d")
    (fatigue,) = deliveries(session_factory, key=fatigue_key)
    late = fatigue.send_at + timedelta(hours=5)
    assert send_due_reminders(services, now=late) >= 1
    assert send_due_reminders(services, now=late + timedelta(minutes=1)) == 0
    assert posted_keys(slack_api)[fatigue_key] == 1


def test_after_downtime_a_recurring_digest_sends_only_its_latest_occurrence(
    services: Services, slack_api: FakeSlackApi, session_factory: sessionmaker[Session]
) -> None:
    services.settings = dataclasses.replace(services.settings, reminder_grace_hours=24 * 10)
    monday = utc(2026, 11, 23, 7, 0)
    plan_reminders(services, now=monday)  # plans Monday's digests (08:00Z)
    plan_reminders(services, now=monday + timedelta(days=7))  # …and, later, the next Monday's

    send_due_reminders(services, now=monday + timedelta(days=7, hours=2))

    digests = [k for k in posted_keys(slack_api) if ":digest:" in k]
    assert digests and all(k.endswith("2026-11-30") for k in digests)
    superseded = [
        r for r in deliveries(session_factory, kind=DeliveryKind.DIGEST) if r.occurrence == "2026-11-23"
    ]
    assert superseded and {r.status for r in superseded} == {DeliveryStatus.EXPIRED}


def test_escalation_ladder_owner_then_lead_then_channel_each_once(
    services: Services, slack_api: FakeSlackApi, session_factory: sessionmaker[Session]
) -> None:
    # pcm-3, due Fri 4 Dec 17:00 Amsterdam, owner U11DEAHME (London), lead U06CRWONG (Zurich), #C1PCM.
    ref = ("pcm", 3)
    now = utc(2026, 12, 4, 0, 0)
    while now < utc(2026, 12, 11, 0, 0):
        send_due_reminders(services, now=now)
        now += timedelta(hours=1)

    keys = posted_keys(slack_api)
    due_key = _key(session_factory, ref, "lead_time:T-0")
    lead_key = _key(session_factory, ref, "escalate_lead:2d")
    channel_key = _key(session_factory, ref, "escalate_channel:5d")
    assert keys[due_key] == keys[lead_key] == keys[channel_key] == 1
    assert message_for(slack_api, due_key)["channel"] == "D11DEAHME"
    lead_message = message_for(slack_api, lead_key)
    assert lead_message["channel"] == "D06CRWONG"
    # Sunday 6 Dec is a weekend: the lead hears on Monday at 08:00 in Zurich.
    (lead_row,) = deliveries(session_factory, key=lead_key)
    assert lead_row.sent_at == utc(2026, 12, 7, 7, 0)
    assert "3 days overdue" in message_text(lead_message)
    assert "has not answered 2 reminders" in message_text(lead_message)  # T-1d and the due reminder
    channel_message = message_for(slack_api, channel_key)
    assert channel_message["channel"] == "C1PCM" and "5 days overdue" in message_text(channel_message)


def test_escalation_stops_when_done(
    services: Services, slack: SlackDriver, slack_api: FakeSlackApi, session_factory: sessionmaker[Session]
) -> None:
    send_due_reminders(services, now=utc(2026, 12, 4, 16, 0))  # the due reminder
    slack.command("U11DEAHME", "/milestone done pcm-3")

    send_due_reminders(services, now=utc(2026, 12, 12, 0, 0))

    assert [
        k
        for k in posted_keys(slack_api)
        if ":escalate_" in k and k.startswith(f"m{milestone(session_factory, 'pcm', 3).id}:")
    ] == []


def test_rate_limited_three_times_then_posted_once_with_retry_after_gaps(
    services: Services, slack_api: FakeSlackApi
) -> None:
    slack_api.rate_limit("chat.postMessage", retry_after=1, times=3)

    assert send_due_reminders(services, now=T7_BIDSHADE_2) == 1

    attempts = slack_api.calls("chat.postMessage")
    assert len(attempts) == 4
    gaps = [later.at - earlier.at for earlier, later in zip(attempts, attempts[1:], strict=False)]
    assert all(gap >= 1.0 for gap in gaps), gaps
    assert len(slack_api.messages()) == 1


def test_server_errors_and_dropped_connections_deliver_all_once(
    services: Services,
    slack_api: FakeSlackApi,
    session_factory: sessionmaker[Session],
    caplog: pytest.LogCaptureFixture,
) -> None:
    due = utc(2026, 11, 20, 12, 0)
    with session_factory.begin() as session:
        keys = seed_due_deliveries(session, count=120, channels=40, due=due)
    slack_api.chaos("chat.postMessage", server_error=0.3, drop=0.15, seed=11)
    caplog.set_level(logging.WARNING)

    now = due
    for _ in range(30):
        send_due_reminders(services, now=now)
        if all(r.status == DeliveryStatus.SENT for r in deliveries(session_factory) if r.key in keys):
            break
        now += timedelta(minutes=20)

    counts = posted_keys(slack_api)
    assert {k: counts[k] for k in keys} == dict.fromkeys(keys, 1)
    rows = [r for r in deliveries(session_factory) if r.key in keys]
    assert {r.status for r in rows} == {DeliveryStatus.SENT}
    dropped = [r for r in rows if r.ambiguous_attempts]
    assert dropped, "the chaos should have dropped some connections"
    # Every unanswered attempt was logged, and the message looked for before it was posted again.
    assert sum("ambiguous: no answer from Slack" in m for m in caplog.messages) == sum(
        r.ambiguous_attempts for r in rows
    )
    assert slack_api.calls("conversations.history")


def test_timeout_after_slack_posted_is_found_in_history_not_posted_twice(
    services: Services, slack_api: FakeSlackApi, session_factory: sessionmaker[Session]
) -> None:
    services.notifier = build_notifier(services.settings, timeout=1)
    slack_api.delay("chat.postMessage", 1.6)  # Slack posts it, but only after the client gave up

    assert send_due_reminders(services, now=T7_BIDSHADE_2) == 0
    deadline = time.monotonic() + 3
    while not slack_api.messages() and time.monotonic() < deadline:
        time.sleep(0.05)  # the fake finishes the slow post after the client gave up
    assert len(slack_api.messages()) == 1
    assert send_due_reminders(services, now=T7_BIDSHADE_2 + timedelta(minutes=5)) == 1

    key = _key(session_factory, ("bidshade", 2), "lead_time:T-7d")
    assert posted_keys(slack_api) == {key: 1}
    (row,) = deliveries(session_factory, key=key)
    assert (row.status, row.ambiguous_attempts, row.slack_ts) == (
        DeliveryStatus.SENT,
        1,
        slack_api.messages()[0]["ts"],
    )


def test_unanswered_attempt_is_resent_blind_and_logged_when_the_history_cannot_be_read(
    services: Services,
    slack_api: FakeSlackApi,
    session_factory: sessionmaker[Session],
    caplog: pytest.LogCaptureFixture,
) -> None:
    slack_api.drop("chat.postMessage")  # no answer: the next attempt must look for the message first
    assert send_due_reminders(services, now=T7_BIDSHADE_2) == 0
    slack_api.fail("conversations.history", "missing_scope")
    caplog.set_level(logging.WARNING)

    assert send_due_reminders(services, now=T7_BIDSHADE_2 + timedelta(minutes=5)) == 1

    key = _key(session_factory, ("bidshade", 2), "lead_time:T-7d")
    assert posted_keys(slack_api) == {key: 1}
    (row,) = deliveries(session_factory, key=key)
    assert (row.status, row.ambiguous_attempts) == (DeliveryStatus.SENT, 2)
    assert any("ambiguous resend" in m and "missing_scope" in m for m in caplog.messages)


def test_permanent_failure_is_reported_to_the_lead_and_does_not_block_others(
    services: Services, slack_api: FakeSlackApi, session_factory: sessionmaker[Session]
) -> None:
    # Two deliveries due together (Banerjee's T-7d and a digest); the first post fails for good.
    slack_api.fail("chat.postMessage", "channel_not_found")

    send_due_reminders(services, now=T7_BIDSHADE_2)

    failed = deliveries(session_factory, status=DeliveryStatus.FAILED)
    assert [r.last_error for r in failed] == ["channel_not_found"]
    reports = deliveries(session_factory, kind=DeliveryKind.FAILURE)
    assert [r.status for r in reports] == [DeliveryStatus.SENT]
    report = message_for(slack_api, reports[0].key)
    assert "could not deliver" in message_text(report) and "channel_not_found" in message_text(report)


def test_transient_failure_is_retried_for_a_day_then_failed_and_reported(
    services: Services, slack_api: FakeSlackApi, session_factory: sessionmaker[Session]
) -> None:
    slack_api.fail("chat.postMessage", "internal_error", times=1000)
    key = _key(session_factory, ("bidshade", 2), "lead_time:T-7d")

    send_due_reminders(services, now=T7_BIDSHADE_2)
    (row,) = deliveries(session_factory, key=key)
    assert (row.status, row.attempts, row.last_error) == (DeliveryStatus.PLANNED, 1, "internal_error")
    assert T7_BIDSHADE_2 + timedelta(seconds=15) <= row.not_before <= T7_BIDSHADE_2 + timedelta(seconds=30)
    send_due_reminders(services, now=row.not_before)
    assert deliveries(session_factory, key=key)[0].attempts == 2

    slack_api.reset()
    send_due_reminders(services, now=T7_BIDSHADE_2 + timedelta(hours=24, minutes=1))

    (row,) = deliveries(session_factory, key=key)
    assert row.status == DeliveryStatus.FAILED
    (report,) = deliveries(session_factory, kind=DeliveryKind.FAILURE)
    assert report.status == DeliveryStatus.SENT
    assert message_for(slack_api, report.key)["channel"] == "D02ECBANE"  # bidshade's lead


def test_scheduler_registers_one_coalescing_tick(session_factory: sessionmaker[Session]) -> None:
    services = Services(settings=Settings(), session_factory=session_factory, clock=FixedClock(DEMO_NOW))

    scheduler = build_scheduler(services)

    job = scheduler.get_job(REMINDER_TICK_JOB_ID)
    assert job is not None and job.func is send_due_reminders
    assert job.trigger.interval == timedelta(seconds=15)
    assert (job.coalesce, job.max_instances, job.misfire_grace_time) == (True, 1, 60)
    assert scheduler.get_job(REMINDER_TICK_JOB_ID) is job  # fixed id: re-adding replaces


def test_done_button_value_round_trips(services: Services, slack_api: FakeSlackApi) -> None:
    send_due_reminders(services, now=T7_BIDSHADE_2)
    (message,) = slack_api.messages()
    done = next(b for b in buttons_of(message["blocks"]) if b["action_id"] == ids.REMINDER_DONE_ACTION)
    with services.session_factory() as session:
        row = session.scalars(
            select(ReminderDelivery).where(ReminderDelivery.status == DeliveryStatus.SENT)
        ).one()
    assert done["value"] == f'{{"d":{row.id},"m":"bidshade-2"}}'


def test_replanning_is_idempotent(session_factory: sessionmaker[Session]) -> None:
    before = [(r.key, r.status, r.send_at) for r in deliveries(session_factory)]
    with session_factory.begin() as session:
        for m in session.scalars(select(Milestone)):
            replan_milestone(session, m, DEMO_NOW)

    assert [(r.key, r.status, r.send_at) for r in deliveries(session_factory)] == before


def test_run_report_counts(services: Services) -> None:
    report = run_reminder_tick(services, now=T7_BIDSHADE_2)

    assert (report.claimed, report.sent, report.batches) == (1, 1, 1)


def test_time_zone_change_on_slack_profile_replans_to_the_new_local_time(
    services: Services, slack_api: FakeSlackApi, session_factory: sessionmaker[Session]
) -> None:
    slack_api.add_user(BANERJEE, name="Prof. Ingrid Banerjee", tz="America/New_York")

    assert refresh_time_zones(services, now=DEMO_NOW) == 1

    key = _key(session_factory, ("bidshade", 2), "lead_time:T-1d")
    (row,) = deliveries(session_factory, key=key)
    assert row.send_at == utc(2026, 11, 26, 14, 0)  # 09:00 in New York, the day before
    assert row.send_zone == "America/New_York"
    assert refresh_time_zones(services, now=DEMO_NOW) == 0  # unchanged profiles change nothing


def test_the_running_scheduler_ticks_and_sends_once(
    services: Services, engine: Engine, slack_api: FakeSlackApi, tmp_path: Path
) -> None:
    # The scheduler runs its jobs (reminders, feed, check-ins, agreements…) on several threads at once.
    # The in-memory test database is one connection shared by every thread, which concurrent jobs
    # would interleave their transactions on; production's SQLite is a file with a connection per
    # thread, so this test runs on a file copy of the demo database.
    path = tmp_path / "liaison.db"
    with engine.connect() as connection:
        source = connection.connection.driver_connection
        assert isinstance(source, sqlite3.Connection)
        with sqlite3.connect(path) as target:
            source.backup(target)
        target.close()
    file_engine = make_engine(f"sqlite:///{path}")
    services.session_factory = make_session_factory(file_engine)
    services.settings = dataclasses.replace(services.settings, reminder_tick_seconds=1)
    assert isinstance(services.clock, FixedClock)
    services.clock.set(T7_BIDSHADE_2)
    scheduler = build_scheduler(services)
    scheduler.start()
    try:
        slack_api.wait_for("chat.postMessage", 1, timeout=10)
        time.sleep(2.5)  # a few more ticks: nothing is sent twice
    finally:
        scheduler.shutdown(wait=True)
        file_engine.dispose()

    # One milestone reminder, once; the scheduler's other jobs (agreements' notices, say) may post
    # too, but nothing twice.
    assert list(posted_keys(slack_api).values()) == [1]
    sent = [(str(m.get("channel")), str(m.get("text"))) for m in slack_api.messages()]
    assert len(sent) == len(set(sent)), sent


def test_the_claimer_name_fits_its_column_on_the_longest_host_name(monkeypatch: pytest.MonkeyPatch) -> None:
    # Linux host names run to 64 characters (Kubernetes pod names to 63); PostgreSQL refuses a value
    # longer than `claimed_by`, which would fail every tick of that host.
    monkeypatch.setattr("socket.gethostname", lambda: "h" * 64)
    monkeypatch.setattr("os.getpid", lambda: 4_194_304)  # pid_max on 64-bit Linux
    monkeypatch.setattr("threading.get_ident", lambda: 2**64 - 1)

    claimer = default_claimer()

    column_type = ReminderDelivery.__table__.c.claimed_by.type
    assert isinstance(column_type, String) and column_type.length is not None
    assert len(claimer) <= column_type.length
    assert claimer.endswith(":4194304:18446744073709551615")
