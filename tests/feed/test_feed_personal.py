"""Personal notifications by DM: your milestone moved by someone else, a milestone added with you as
its owner, a blocker raised on your milestone; never for your own changes, never twice for
`/milestone assign`; the opt-out; quiet hours."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.clock import FixedClock
from bot.feed.intake import take_new_entries
from bot.models import FeedItem
from bot.settings import Settings
from tests.fakes.driver import SlackDriver, opened_view
from tests.fakes.slack_api import FakeSlackApi
from tests.feed.conftest import BANERJEE, BIDSHADE_CHANNEL, MORALES, OSEI, FeedRunner, feed_messages, texts

pytestmark = pytest.mark.usefixtures("demo")

MOVED = (
    "<@U02ECBANE> moved your milestone `bidshade-3` *Offline replay comparison of shading policies* on "
    "*Bid shading for first-price auctions* to Fri 18 Dec 2026, 16:00 GMT (was Fri 11 Dec 2026, 16:00 GMT)"
)


def _move(slack: SlackDriver, user: str, day: int) -> None:
    slack.command(user, f"/milestone move bidshade-3 2026-12-{day} 17:00")


def test_the_owner_is_told_when_someone_else_moves_their_milestone(
    slack: SlackDriver, slack_api: FakeSlackApi, feed: FeedRunner
) -> None:
    _move(slack, BANERJEE, 18)
    feed()
    (dm,) = texts(feed_messages(slack_api, OSEI))  # on Osei's clock (Europe/London)
    assert MOVED in dm
    assert "<@" not in feed_messages(slack_api, OSEI)[0]["text"]  # the notification text names people
    assert len(feed_messages(slack_api, BIDSHADE_CHANNEL)) == 1


def test_moving_your_own_milestone_sends_you_nothing(
    slack: SlackDriver, slack_api: FakeSlackApi, feed: FeedRunner
) -> None:
    _move(slack, OSEI, 18)
    feed()
    assert feed_messages(slack_api, OSEI) == []
    assert "<@U01MLOSEI> moved `bidshade-3`" in texts(feed_messages(slack_api, BIDSHADE_CHANNEL))[0]


def test_the_owner_is_told_of_a_blocker_someone_else_raises_on_their_milestone(
    slack: SlackDriver, slack_api: FakeSlackApi, feed: FeedRunner
) -> None:
    slack.command(BANERJEE, "/blocker add bidshade <!channel> replay logs missing --on 3")
    slack.command(OSEI, "/blocker add bidshade my own note --on 3")  # Osei's own: nothing to tell him
    feed()

    (dm,) = texts(feed_messages(slack_api, OSEI))
    assert "<@U02ECBANE> raised `bidshade-b1` on your milestone `bidshade-3`" in dm
    assert "&lt;!channel&gt; replay logs missing" in dm and "<!channel>" not in dm


def test_the_opt_out_is_respected_and_can_be_undone(
    slack: SlackDriver,
    slack_api: FakeSlackApi,
    feed: FeedRunner,
    clock: FixedClock,
    session_factory: sessionmaker[Session],
) -> None:
    off = slack.command(OSEI, "/liaison notifications off")
    assert "Your personal notifications" in off.reply_text and "are now off" in off.reply_text
    assert "were already off" in slack.command(OSEI, "/liaison notifications off").reply_text
    _move(slack, BANERJEE, 18)
    feed()
    assert feed_messages(slack_api, OSEI) == [] and len(feed_messages(slack_api, BIDSHADE_CHANNEL)) == 1
    with session_factory() as session:
        assert session.scalars(select(FeedItem).where(FeedItem.target == "dm")).all() == []
    assert "are now on" in slack.command(OSEI, "/liaison notifications on").reply_text
    clock.advance(timedelta(minutes=2))
    _move(slack, BANERJEE, 21)
    feed()
    (dm,) = texts(feed_messages(slack_api, OSEI))
    assert "to Mon 21 Dec 2026, 16:00 GMT" in dm


def test_turning_notifications_off_cancels_one_not_yet_sent(
    slack: SlackDriver,
    slack_api: FakeSlackApi,
    feed: FeedRunner,
    clock: FixedClock,
    settings: Settings,
    session_factory: sessionmaker[Session],
) -> None:
    _move(slack, BANERJEE, 18)
    with session_factory.begin() as session:
        take_new_entries(session, clock.now(), defaults=settings.reminder_policy)
    slack.command(OSEI, "/liaison notifications off")
    assert feed().cancelled == 1
    assert feed_messages(slack_api, OSEI) == []


def test_notifications_usage_is_explained(slack: SlackDriver) -> None:
    text = slack.command(OSEI, "/liaison notifications maybe").reply_text
    assert "Usage: `/liaison notifications off` (or `on`)" in text
    assert "Liaison help" in slack.command(OSEI, "/liaison whatever").reply_text


def test_quiet_hours_hold_the_dm_until_they_end_but_not_the_channel_post(
    slack: SlackDriver, slack_api: FakeSlackApi, feed: FeedRunner, clock: FixedClock
) -> None:
    clock.set(datetime(2026, 11, 20, 21, 30, tzinfo=UTC))  # 21:30 in London: quiet hours are 20:00-08:00
    _move(slack, BANERJEE, 18)
    feed()
    assert len(feed_messages(slack_api, BIDSHADE_CHANNEL)) == 1
    assert feed_messages(slack_api, OSEI) == []
    feed(now=datetime(2026, 11, 21, 7, 59, tzinfo=UTC))
    assert feed_messages(slack_api, OSEI) == []
    feed(now=datetime(2026, 11, 21, 8, 0, tzinfo=UTC))  # 08:00 in London (a Saturday: weekends are fine)
    (dm,) = texts(feed_messages(slack_api, OSEI))
    assert MOVED in dm


def _add_milestone(slack: SlackDriver, owner: str) -> None:
    view = opened_view(slack.command(BANERJEE, "/milestone add bidshade"))
    values: dict[str, Any] = {
        "title": {"title": {"value": "Shading policy review"}},
        "due": {"due": {"value": "2026-12-09 09:30"}},
        "owner": {"owner": {"selected_user": owner}},
    }
    assert slack.submit(BANERJEE, view, values).status == 200


def test_someone_given_a_new_milestone_is_told(
    slack: SlackDriver, slack_api: FakeSlackApi, feed: FeedRunner
) -> None:
    _add_milestone(slack, MORALES)
    feed()
    (dm,) = texts(feed_messages(slack_api, MORALES))  # Madrid: CET
    assert (
        "<@U02ECBANE> added `bidshade-5` *Shading policy review* on *Bid shading for first-price auctions* "
        "with you as its owner, due Wed 9 Dec 2026, 09:30 CET"
    ) in dm


def test_a_milestone_you_add_for_yourself_sends_you_nothing(
    slack: SlackDriver, slack_api: FakeSlackApi, feed: FeedRunner
) -> None:
    _add_milestone(slack, BANERJEE)
    feed()
    assert feed_messages(slack_api, BANERJEE) == []


def test_milestone_assign_tells_the_new_owner_once_through_the_feed(
    slack: SlackDriver, slack_api: FakeSlackApi, feed: FeedRunner
) -> None:
    slack.command(BANERJEE, f"/milestone assign bidshade-3 {MORALES}")
    feed()
    feed()
    (dm,) = texts(feed_messages(slack_api, MORALES))
    assert "<@U02ECBANE> handed you `bidshade-3` *Offline replay comparison of shading policies*" in dm
    assert len(slack_api.messages(MORALES)) == 1  # nothing else: `/milestone assign` sends no DM of its own
    assert feed_messages(slack_api, OSEI) == []  # the previous owner's note is `/milestone assign`'s own
    assert len(feed_messages(slack_api, BIDSHADE_CHANNEL)) == 1


def test_an_opted_out_new_owner_is_not_told_of_an_assignment(
    slack: SlackDriver, slack_api: FakeSlackApi, feed: FeedRunner
) -> None:
    slack.command(MORALES, "/liaison notifications off")
    slack.command(BANERJEE, f"/milestone assign bidshade-3 {MORALES}")
    feed()
    assert feed_messages(slack_api, MORALES) == []


def test_a_departure_tells_the_new_owner_once_not_per_milestone(
    slack: SlackDriver, slack_api: FakeSlackApi, feed: FeedRunner
) -> None:
    slack.command(OSEI, f"/project leave bidshade --to {MORALES}")
    feed()
    assert feed_messages(slack_api, MORALES) == []  # the departure's own DM lists them all
    assert len(slack_api.messages(MORALES)) == 1


def test_whoever_raised_a_blocker_is_told_when_someone_else_resolves_it(
    slack: SlackDriver, slack_api: FakeSlackApi, feed: FeedRunner
) -> None:
    slack.command(OSEI, "/blocker add bidshade auction logs missing")
    slack.command(MORALES, "/blocker add bidshade my own blocker")
    feed()
    before = len(feed_messages(slack_api, OSEI))

    slack.command(BANERJEE, "/blocker resolve bidshade-b1")  # the lead resolves Osei's
    slack.command(MORALES, "/blocker resolve bidshade-b2")  # Morales resolves his own: nothing to tell
    feed()

    told = texts(feed_messages(slack_api, OSEI))[before:]
    assert len(told) == 1 and "<@U02ECBANE> resolved your blocker `bidshade-b1`" in told[0]
    assert not [t for t in texts(feed_messages(slack_api, MORALES)) if "resolved your blocker" in t]
