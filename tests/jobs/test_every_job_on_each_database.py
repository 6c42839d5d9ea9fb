"""Every periodic job, run over two simulated weeks of the demo alliance, on SQLite and on PostgreSQL.

The scheduler's own job list is run, so a job added later is covered without a change here. PostgreSQL
enforces what SQLite lets through (column sizes, types, constraint timing): an agreement reminder's
claim token once overflowed its column there and failed every tick, on PostgreSQL only. Each tick is
called as APScheduler calls it (the job's function with its kwargs) on a clock moved forward in steps,
so reminders, digests, escalations, check-ins, agreement notices and the change feed all fall due.
"""

from __future__ import annotations

import dataclasses
import logging
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import Engine

from bot.clock import FixedClock
from bot.db import make_session_factory
from bot.services import Services
from bot.slack.notifier import build_notifier
from jobs.scheduler import build_scheduler
from tests.conftest import DEMO_NOW
from tests.fakes.slack_api import FakeSlackApi

STEP = timedelta(hours=6)
DAYS = 14


def test_every_job_runs_for_two_weeks_without_an_error_and_posts_each_message_once(
    demo_engine: Engine,
    services: Services,
    slack_api: FakeSlackApi,
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = FixedClock(DEMO_NOW)
    # Slack's pacing of one post per second per channel only stretches the run: not what this checks.
    settings = dataclasses.replace(services.settings, channel_posts_per_second=1000.0)
    on_database = dataclasses.replace(
        services,
        settings=settings,
        session_factory=make_session_factory(demo_engine),
        clock=clock,
        notifier=build_notifier(settings, timeout=5),
    )
    scheduler = build_scheduler(on_database)
    jobs = scheduler.get_jobs()
    assert {job.id for job in jobs} >= {"milestone-reminders", "reminder-planning", "agreement-reminders"}

    caplog.set_level(logging.WARNING)
    ran: Counter[str] = Counter()
    due = {job.id: clock.now() for job in jobs}
    while clock.now() < DEMO_NOW + timedelta(days=DAYS):
        for job in jobs:
            if clock.now() < due[job.id]:
                continue
            job.func(*job.args, **job.kwargs)  # as APScheduler calls it; an exception fails the test
            ran[job.id] += 1
            # Each at its own pace (the ticks of seconds at every step).
            due[job.id] = clock.now() + max(job.trigger.interval, STEP)
        clock.advance(STEP)

    assert set(ran) == {job.id for job in jobs}
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == []

    posts = slack_api.calls("chat.postMessage")
    # Two weeks of the demo bring milestone reminders and digests, and agreement notices.
    kinds = Counter(call.params.get("metadata", {}).get("event_type") for call in posts)
    assert kinds["liaison_reminder"] >= 20 and kinds["liaison_agreement_reminder"] >= 1, kinds
    # Each delivery carries its key in the message metadata: none is posted twice.
    keys = Counter(
        str(call.params["metadata"]["event_payload"].get("key"))
        for call in posts
        if isinstance(call.params.get("metadata"), dict)
        and isinstance(call.params["metadata"].get("event_payload"), dict)
        and call.params["metadata"]["event_payload"].get("key")
    )
    assert keys, "no post carried a delivery key"
    assert [key for key, count in keys.items() if count > 1] == []
