"""Each change is posted exactly once: repeated ticks, two feed processes on PostgreSQL, a post whose
answer was lost; and several changes of a project within a minute go out as one post."""

from __future__ import annotations

import dataclasses
import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.access import Actor
from bot.clock import FixedClock, SystemClock
from bot.db import make_session_factory
from bot.feed.dispatch import FeedReport, run_feed
from bot.models import AuditEntry, FeedItem, Project, ProjectStatus, Workspace
from bot.projects.project import record_audit
from bot.services import Services
from bot.settings import Settings
from bot.slack.feed_blocks import SlackFeedSender
from bot.slack.notifier import build_notifier
from bot.workspace_file import import_workspace_file
from jobs.feed import run_feed_tick
from tests.conftest import DEMO_FILE, DEMO_NOW
from tests.fakes.driver import SlackDriver
from tests.fakes.slack_api import FakeSlackApi
from tests.feed.conftest import (
    BANERJEE,
    BIDSHADE_CHANNEL,
    OSEI,
    FeedRunner,
    feed_keys,
    feed_messages,
    texts,
)


def _posted_keys(slack_api: FakeSlackApi) -> Counter[str]:
    return Counter(key for message in feed_messages(slack_api) for key in feed_keys(message))


@pytest.mark.usefixtures("demo")
def test_several_changes_before_a_tick_go_out_as_one_post(
    slack: SlackDriver, slack_api: FakeSlackApi, feed: FeedRunner
) -> None:
    slack.command(BANERJEE, "/project set-status bidshade at_risk")
    slack.command(OSEI, "/blocker add bidshade no auction logs")
    slack.command(BANERJEE, "/milestone done bidshade-2")
    feed()
    (post,) = feed_messages(slack_api, BIDSHADE_CHANNEL)
    (text,) = texts([post])
    assert "(`bidshade`) · 3 changes" in text
    assert text.index("set the status") < text.index("raised blocker") < text.index("marked `bidshade-2`")
    assert len(feed_keys(post)) == 3


@pytest.mark.usefixtures("demo")
def test_changes_within_a_minute_of_a_post_wait_and_go_out_together(
    slack: SlackDriver, slack_api: FakeSlackApi, feed: FeedRunner, clock: FixedClock, settings: Settings
) -> None:
    assert settings.feed_batch_seconds == 60
    slack.command(BANERJEE, "/project set-status bidshade at_risk")
    feed()  # the first change is posted at once
    clock.advance(timedelta(seconds=10))
    slack.command(OSEI, "/blocker add bidshade no auction logs")
    feed()
    clock.advance(timedelta(seconds=20))
    slack.command(BANERJEE, "/milestone done bidshade-2")
    feed()
    assert len(feed_messages(slack_api, BIDSHADE_CHANNEL)) == 1  # the next two wait …
    clock.advance(timedelta(seconds=31))  # … until a minute after the first post
    feed()
    first, second = texts(feed_messages(slack_api, BIDSHADE_CHANNEL))
    assert "at risk" in first and "· 2 changes" in second
    assert "raised blocker" in second and "marked `bidshade-2`" in second
    clock.advance(timedelta(minutes=5))
    feed()
    assert len(feed_messages(slack_api, BIDSHADE_CHANNEL)) == 2


@pytest.mark.usefixtures("demo")
def test_ticks_post_each_change_once(
    slack: SlackDriver, slack_api: FakeSlackApi, feed: FeedRunner, clock: FixedClock
) -> None:
    for status in ("at_risk", "blocked", "on_track"):
        slack.command(BANERJEE, f"/project set-status bidshade {status}")
        feed()
        feed()
        clock.advance(timedelta(minutes=2))
    feed()
    counts = _posted_keys(slack_api)
    assert len(counts) == 3 and set(counts.values()) == {1}


@pytest.mark.usefixtures("demo")
def test_a_post_whose_answer_was_lost_is_found_in_the_history_and_not_posted_again(
    slack: SlackDriver, slack_api: FakeSlackApi, services: Services, settings: Settings, clock: FixedClock
) -> None:
    services.notifier = build_notifier(
        dataclasses.replace(settings, channel_posts_per_second=50.0), timeout=1
    )
    slack.command(BANERJEE, "/project set-status bidshade at_risk")
    # Slack carries the post out after 1.5 s; the client gave up after 1 s.
    slack_api.stall("chat.postMessage", 1.5, channel=BIDSHADE_CHANNEL)
    first = _tick(services, clock)
    assert first.retried == 1 and first.sent == 0
    slack_api.wait_for("chat.postMessage", 1)
    _wait_until(lambda: len(feed_messages(slack_api, BIDSHADE_CHANNEL)) == 1)
    clock.advance(timedelta(seconds=13))  # the first lookup: a sixth of the 60 s window, plus up to 20 %
    second = _tick(services, clock)
    assert (second.sent, second.found) == (1, 1)
    assert len(feed_messages(slack_api, BIDSHADE_CHANNEL)) == 1
    assert len(slack_api.calls_to("chat.postMessage", BIDSHADE_CHANNEL)) == 1


@pytest.mark.usefixtures("demo")
def test_a_post_that_never_landed_is_posted_again_once_the_landing_window_is_over(
    slack: SlackDriver, slack_api: FakeSlackApi, services: Services, clock: FixedClock
) -> None:
    slack.command(BANERJEE, "/project set-status bidshade at_risk")
    slack_api.drop("chat.postMessage")  # no answer, and nothing posted
    assert _tick(services, clock).retried == 1
    # Lookups at a sixth and half of the 60 s landing window (jittered), then nothing until it is over.
    for seconds in (12, 28, 19):  # 12 s, 40 s, 59 s after the unanswered post
        clock.advance(timedelta(seconds=seconds))
        _tick(services, clock)
        assert feed_messages(slack_api, BIDSHADE_CHANNEL) == []
    assert len(slack_api.calls("conversations.history")) == 2
    clock.advance(timedelta(seconds=2))  # the window is over: a miss now proves the post absent
    report = _tick(services, clock)
    assert report.sent == 1 and report.found == 0
    assert len(feed_messages(slack_api, BIDSHADE_CHANNEL)) == 1


def _all_settled(session_factory: sessionmaker[Session]) -> bool:
    with session_factory() as session:
        pending = session.scalar(
            select(func.count()).select_from(FeedItem).where(FeedItem.status.in_(["planned", "claimed"]))
        )
        return pending == 0 and bool(session.scalar(select(func.count()).select_from(FeedItem)))


def _tick(services: Services, clock: FixedClock) -> FeedReport:
    return run_feed_tick(services, now=clock.now())


def _wait_until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline
        time.sleep(0.02)


@pytest.mark.postgres
def test_two_feed_processes_on_postgresql_post_each_change_once(
    pg_engine: Engine, slack_api: FakeSlackApi, settings: Settings
) -> None:
    session_factory = make_session_factory(pg_engine)
    now = SystemClock().now()
    with session_factory.begin() as session:
        import_workspace_file(session, DEMO_FILE, today=DEMO_NOW.date(), now=now)
    # 120 status changes over the demo's seven projects, audited as `/project set-status` audits them.
    with session_factory.begin() as session:
        workspace = session.scalars(select(Workspace)).one()
        projects = session.scalars(select(Project).order_by(Project.id)).all()
        statuses = list(ProjectStatus)
        for n in range(120):
            project = projects[n % len(projects)]
            actor = Actor(BANERJEE, workspace.id, None, True, settings.zone)
            before, after = statuses[n % 4], statuses[(n + 1) % 4]
            record_audit(
                session,
                actor,
                "set_status",
                "project",
                project.id,
                now,
                key=project.key,
                before=before.value,
                after=after.value,
            )
    slack_api.delay("chat.postMessage", 0.01, times=10_000)  # keep posts in flight while the other claims
    fast = dataclasses.replace(settings, channel_posts_per_second=100.0)  # not paced at 1/s per channel
    sender = SlackFeedSender(build_notifier(fast, timeout=5))
    errors: list[BaseException] = []

    def feed_process(name: str) -> None:
        try:
            for _ in range(40):
                report = run_feed(
                    session_factory=session_factory,
                    settings=settings,
                    sender=sender,
                    now=SystemClock().now,
                    claimer=name,
                    batching=False,
                    batch_size=4,
                )
                if not report.claimed and not report.taken and _all_settled(session_factory):
                    return
        except BaseException as error:  # reported by the main thread
            errors.append(error)

    threads = [threading.Thread(target=feed_process, args=(f"feed-{i}",)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    with session_factory() as session:
        items = session.scalars(select(FeedItem)).all()
        assert (session.scalar(select(func.count()).select_from(AuditEntry)) or 0) > 120
    # Every project of the demo has a channel: one item per change, each posted exactly once.
    assert len(items) == 120 and {i.status for i in items} == {"sent"}
    counts = _posted_keys(slack_api)
    assert set(counts) == {i.key for i in items} and set(counts.values()) == {1}
    assert {i.claimed_by for i in items} == {"feed-0", "feed-1"}  # both took a share


@pytest.mark.usefixtures("demo")
def test_a_change_first_seen_more_than_an_hour_late_is_not_posted(
    slack: SlackDriver, slack_api: FakeSlackApi, feed: FeedRunner, clock: FixedClock
) -> None:
    slack.command(BANERJEE, "/project set-status bidshade at_risk")
    assert feed(now=clock.now() + timedelta(hours=1, minutes=1)).taken == 0  # e.g. after an outage
    assert feed_messages(slack_api) == []
