"""Who is asked when: each member at their own 10:00 across time zones and DST changes, quiet hours,
people past their last day, archived projects; each person once a week, even with concurrent ticks."""

from __future__ import annotations

import dataclasses
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session, sessionmaker

from bot.checkins.dispatch import run_checkins
from bot.checkins.tables import CheckinAsk, CheckinRound, CheckinSchedule
from bot.clock import FixedClock
from bot.db import Base, make_engine, make_session_factory
from bot.models import DeliveryStatus, Person
from bot.schema import upgrade_database
from bot.services import Services
from bot.settings import Settings
from bot.slack.notifier import build_notifier
from jobs.checkins import CHECKIN_JOB_ID, SlackCheckinSender, send_checkins
from jobs.scheduler import build_scheduler
from tests.checkins.conftest import (
    CHANNEL,
    GONE,
    LEAD,
    NEW_YORK,
    SEOUL,
    Tick,
    asked,
    checkin_messages,
    seed_alliance,
    utc,
)
from tests.fakes.slack_api import FakeSlackApi

pytestmark = pytest.mark.usefixtures("alliance")


def _ask_times(session_factory: sessionmaker[Session]) -> dict[tuple[str, str], object]:
    with session_factory() as session:
        rows = session.execute(
            select(CheckinRound.week, Person.slack_id, CheckinAsk.ask_at)
            .join(CheckinAsk, CheckinAsk.round_id == CheckinRound.id)
            .join(Person, Person.id == CheckinAsk.person_id)
        ).all()
    return {(week, who): at for week, who, at in rows}


def test_each_member_is_asked_at_their_own_ten_across_a_dst_change(
    tick: Tick, slack_api: FakeSlackApi, session_factory: sessionmaker[Session]
) -> None:
    # Week of Monday 2026-10-26: Amsterdam is back on CET (since Oct 25), New York still on EDT.
    assert tick(utc(2026, 10, 26, 0, 59)).asked == 0
    tick(utc(2026, 10, 26, 1, 0))  # 10:00 in Seoul
    assert asked(slack_api) == [SEOUL]
    tick(utc(2026, 10, 26, 8, 59))
    assert asked(slack_api) == [SEOUL]
    tick(utc(2026, 10, 26, 9, 0))  # 10:00 CET
    assert asked(slack_api) == [SEOUL, LEAD]
    tick(utc(2026, 10, 26, 13, 59))
    assert asked(slack_api) == [SEOUL, LEAD]
    tick(utc(2026, 10, 26, 14, 0))  # 10:00 EDT
    assert asked(slack_api) == [SEOUL, LEAD, NEW_YORK]

    # Week of Monday 2026-11-02: New York is on EST now (since Nov 1): 10:00 there is an hour later.
    tick(utc(2026, 11, 2, 1, 0))
    tick(utc(2026, 11, 2, 9, 0))
    tick(utc(2026, 11, 2, 14, 0))
    assert asked(slack_api)[3:] == [SEOUL, LEAD]
    tick(utc(2026, 11, 2, 15, 0))
    assert asked(slack_api)[3:] == [SEOUL, LEAD, NEW_YORK]

    times = _ask_times(session_factory)
    assert times[("2026-W44", NEW_YORK)] == utc(2026, 10, 26, 14, 0)
    assert times[("2026-W45", NEW_YORK)] == utc(2026, 11, 2, 15, 0)
    assert times[("2026-W45", SEOUL)] == utc(2026, 11, 2, 1, 0)
    # Gus's last day (2026-10-20) was before either asking day; the archived project asks nobody.
    assert all(who != GONE for _, who in times)
    assert len(times) == 6


def test_questions_wait_for_the_end_of_quiet_hours(
    tick: Tick, slack_api: FakeSlackApi, session_factory: sessionmaker[Session]
) -> None:
    with session_factory.begin() as session:
        session.execute(update(CheckinSchedule).values(ask_time="07:00"))  # quiet until 08:00 (defaults)

    tick(utc(2026, 10, 26, 6, 59))  # 07:59 in Amsterdam
    assert LEAD not in asked(slack_api)
    tick(utc(2026, 10, 26, 7, 0))
    assert LEAD in asked(slack_api)

    times = _ask_times(session_factory)
    assert times[("2026-W44", LEAD)] == utc(2026, 10, 26, 7, 0)  # 08:00 CET
    assert times[("2026-W44", NEW_YORK)] == utc(2026, 10, 26, 12, 0)  # 08:00 EDT
    assert times[("2026-W44", SEOUL)] == utc(2026, 10, 25, 23, 0)  # 08:00 KST


def test_someone_whose_last_day_passes_midweek_is_not_asked_again(
    tick: Tick, slack_api: FakeSlackApi, session_factory: sessionmaker[Session]
) -> None:
    with session_factory.begin() as session:
        session.execute(
            update(Person).where(Person.slack_id == NEW_YORK).values(until=utc(2026, 10, 30).date())
        )
    for day in (26, 27):
        tick(utc(2026, 10, day, 15, 0))
    tick(utc(2026, 11, 2, 16, 0))

    assert asked(slack_api).count(NEW_YORK) == 1  # asked in the week of their last day, not after


def test_a_question_is_sent_once_however_often_the_tick_runs(
    tick: Tick, slack_api: FakeSlackApi, session_factory: sessionmaker[Session]
) -> None:
    start = utc(2026, 10, 26, 14, 0)
    for minutes in range(0, 60 * 18, 90):
        tick(start + timedelta(minutes=minutes))

    assert sorted(asked(slack_api)) == sorted([SEOUL, LEAD, NEW_YORK])
    with session_factory() as session:
        statuses = session.scalars(select(CheckinAsk.status)).all()
    assert statuses == [DeliveryStatus.SENT] * 3


def test_turning_check_ins_off_cancels_the_questions_not_asked_yet(
    tick: Tick, slack_api: FakeSlackApi, session_factory: sessionmaker[Session]
) -> None:
    tick(utc(2026, 10, 26, 1, 0))
    with session_factory.begin() as session:
        session.execute(update(CheckinSchedule).values(enabled=False))
    tick(utc(2026, 10, 26, 15, 0))

    assert asked(slack_api) == [SEOUL]


def _race(session_factory: sessionmaker[Session], settings: Settings, tickers: int) -> None:
    notifier = build_notifier(dataclasses.replace(settings, channel_posts_per_second=50.0), timeout=5)
    barrier = threading.Barrier(tickers)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            barrier.wait()
            run_checkins(
                session_factory=session_factory,
                settings=settings,
                sender=SlackCheckinSender(notifier),
                now=lambda: utc(2026, 10, 26, 14, 0),
            )
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(tickers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []


def test_concurrent_ticks_on_one_sqlite_file_ask_everyone_once(
    tmp_path: Path, settings: Settings, slack_api: FakeSlackApi
) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'liaison.db'}")
    Base.metadata.create_all(engine)
    session_factory = make_session_factory(engine)
    seed_alliance(session_factory)
    slack_api.delay("chat.postMessage", 0.05, times=100)  # posts in flight while the other tick claims

    _race(session_factory, settings, tickers=2)

    assert sorted(asked(slack_api)) == sorted([SEOUL, LEAD, NEW_YORK])
    engine.dispose()


@pytest.mark.postgres
def test_concurrent_ticks_on_postgresql_ask_everyone_once(
    postgres_url: str, settings: Settings, slack_api: FakeSlackApi
) -> None:
    upgrade_database(postgres_url)
    engine: Engine = make_engine(postgres_url)
    session_factory = make_session_factory(engine)
    seed_alliance(session_factory)
    slack_api.delay("chat.postMessage", 0.05, times=100)

    _race(session_factory, settings, tickers=4)

    assert sorted(asked(slack_api)) == sorted([SEOUL, LEAD, NEW_YORK])
    with session_factory() as session:
        assert session.scalars(select(CheckinAsk.status)).all() == [DeliveryStatus.SENT] * 3
        assert len(session.scalars(select(CheckinRound)).all()) == 1  # pcm's; the archived project has none
    engine.dispose()


def test_the_running_scheduler_asks_each_member_once(
    services: Services, slack_api: FakeSlackApi, clock: FixedClock
) -> None:
    services.settings = dataclasses.replace(services.settings, reminder_tick_seconds=1)
    clock.set(utc(2026, 10, 26, 14, 0))
    scheduler = build_scheduler(services)
    job = scheduler.get_job(CHECKIN_JOB_ID)
    assert job is not None and job.func is send_checkins
    assert (job.coalesce, job.max_instances) == (True, 1)
    scheduler.start()
    try:
        deadline = time.monotonic() + 15
        while len(asked(slack_api)) < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(2.5)  # a few more ticks: nobody is asked twice
    finally:
        scheduler.shutdown(wait=True)

    assert sorted(asked(slack_api)) == sorted([SEOUL, LEAD, NEW_YORK])
    assert checkin_messages(slack_api, CHANNEL) == []  # the cut-off is tomorrow
