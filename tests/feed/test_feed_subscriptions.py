"""`/project subscribe|unsubscribe`: which channels get a project's changes, who may choose, and the
privacy rule (a private project's changes go only to its own channel)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.clock import FixedClock
from bot.feed.intake import take_new_entries
from bot.models import FeedItem, FeedSubscription, Project
from bot.settings import Settings
from tests.conftest import DEMO_NOW
from tests.fakes.driver import SlackDriver
from tests.fakes.slack_api import FakeSlackApi
from tests.feed.conftest import (
    ADMIN,
    BANERJEE,
    BIDSHADE_CHANNEL,
    LENA,
    OSEI,
    STEIN,
    FeedRunner,
    feed_messages,
    texts,
)

pytestmark = pytest.mark.usefixtures("demo")

OTHER = "C0OTHER"


def test_a_subscribed_channel_gets_the_kinds_it_chose(
    slack: SlackDriver, slack_api: FakeSlackApi, feed: FeedRunner, clock: FixedClock
) -> None:
    reply = slack.command(BANERJEE, f"/project subscribe bidshade {OTHER} status").reply_text
    assert (
        f"<#{OTHER}> now gets the changes of *Bid shading for first-price auctions* (`bidshade`): status"
        in reply
    )
    assert "/invite @Liaison" in reply
    slack.command(OSEI, "/blocker add bidshade no logs")
    feed()
    clock.advance(timedelta(minutes=2))
    slack.command(BANERJEE, "/project set-status bidshade at_risk")
    feed()
    assert ["set the status to *at risk*" in t for t in texts(feed_messages(slack_api, OTHER))] == [True]
    assert len(feed_messages(slack_api, BIDSHADE_CHANNEL)) == 2  # its own channel gets both


def test_subscribe_without_a_channel_means_the_channel_it_is_typed_in(
    slack: SlackDriver, slack_api: FakeSlackApi, feed: FeedRunner
) -> None:
    slack.command(ADMIN, "/project subscribe bidshade", channel="C0TYPEDIN")  # admins may too
    slack.command(BANERJEE, "/project set-status bidshade blocked")
    feed()
    assert len(feed_messages(slack_api, "C0TYPEDIN")) == 1


def test_the_own_channel_can_be_unsubscribed_and_subscribed_again(
    slack: SlackDriver, slack_api: FakeSlackApi, feed: FeedRunner, clock: FixedClock
) -> None:
    muted = slack.command(BANERJEE, "/project unsubscribe bidshade", channel=BIDSHADE_CHANNEL).reply_text
    assert "the project's own channel, no longer gets the changes" in muted
    again = slack.command(BANERJEE, "/project unsubscribe bidshade", channel=BIDSHADE_CHANNEL).reply_text
    assert "was not getting the changes" in again and "nothing changed" in again
    slack.command(BANERJEE, "/project set-status bidshade at_risk")
    feed()
    assert feed_messages(slack_api) == []
    back = slack.command(BANERJEE, f"/project subscribe bidshade {BIDSHADE_CHANNEL}").reply_text
    assert "now gets the changes" in back and "status, blockers, milestones, members" in back
    clock.advance(timedelta(minutes=1))
    slack.command(BANERJEE, "/project set-status bidshade on_track")
    feed()
    assert len(feed_messages(slack_api, BIDSHADE_CHANNEL)) == 1
    already = slack.command(BANERJEE, f"/project subscribe bidshade {BIDSHADE_CHANNEL}").reply_text
    assert "already gets the changes" in already


def test_unsubscribing_another_channel_stops_its_posts(
    slack: SlackDriver, slack_api: FakeSlackApi, feed: FeedRunner
) -> None:
    slack.command(BANERJEE, f"/project subscribe bidshade <#{OTHER}|research>")
    gone = slack.command(BANERJEE, f"/project unsubscribe bidshade {OTHER}").reply_text
    assert f"<#{OTHER}> no longer gets the changes" in gone
    slack.command(BANERJEE, "/project set-status bidshade at_risk")
    feed()
    assert feed_messages(slack_api, OTHER) == [] and len(feed_messages(slack_api, BIDSHADE_CHANNEL)) == 1


@pytest.mark.parametrize(
    "user, line, channel, expected",
    [
        pytest.param(
            BANERJEE, "/project subscribe nosuchproject C0X", "C0X", "No project matches", id="unknown"
        ),
        pytest.param(
            OSEI, "/project subscribe bidshade C0X", "C0X", "Only the lead of *bidshade*", id="not-the-lead"
        ),
        pytest.param(
            STEIN,
            "/project subscribe fairdelivery C0X",
            "C0X",
            "*fairdelivery* is private, so its changes go only to its own channel",
            id="private-elsewhere",
        ),
        pytest.param(
            STEIN,
            "/project subscribe fairdelivery",
            "C0GENERAL",
            "is private, so its changes go only to its own channel",
            id="private-typed-elsewhere",
        ),
        pytest.param(
            OSEI,
            "/project subscribe fairdelivery C0X",
            "C0X",
            "No project matches",
            id="private-not-a-member",
        ),
        pytest.param(
            BANERJEE,
            "/project subscribe bidshade #general",
            "C0X",
            "without the channel's id",
            id="channel-name",
        ),
        pytest.param(
            BANERJEE,
            "/project subscribe bidshade C0X status,gossip",
            "C0X",
            "“gossip” is not a kind of change",
            id="bad-kind",
        ),
        pytest.param(
            BANERJEE, "/project subscribe bidshade C0X gossip", "C0X", "“gossip” is not a kind", id="bad-word"
        ),
        pytest.param(
            BANERJEE,
            "/project unsubscribe bidshade C0X status",
            "C0X",
            "Usage: `/project unsubscribe",
            id="extra",
        ),
        pytest.param(BANERJEE, "/project subscribe bidshade", "D0DM", "Which channel?", id="in-a-dm"),
        pytest.param(BANERJEE, "/project subscribe", "C0X", "Usage: `/project subscribe PROJECT", id="usage"),
        pytest.param(
            OSEI,
            "/project unsubscribe bidshade",
            BIDSHADE_CHANNEL,
            "Only the lead",
            id="unsubscribe-not-lead",
        ),
    ],
)
def test_bad_subscriptions_get_a_clear_ephemeral_error_and_change_nothing(
    slack: SlackDriver,
    session_factory: sessionmaker[Session],
    user: str,
    line: str,
    channel: str,
    expected: str,
) -> None:
    exchange = slack.command(user, line, channel=channel)
    assert exchange.reply["response_type"] == "ephemeral"
    assert expected in exchange.reply_text
    # A private project's name is never shown to someone who may not see it.
    if user == OSEI and "fairdelivery" in line:
        assert "Fairness" not in exchange.reply_text
    with session_factory() as session:
        assert session.scalars(select(FeedSubscription)).all() == []


def test_a_private_project_posts_only_in_its_own_channel(
    slack: SlackDriver,
    slack_api: FakeSlackApi,
    feed: FeedRunner,
    session_factory: sessionmaker[Session],
) -> None:
    # A subscription made while the project was public (written directly: it can no longer be made).
    with session_factory.begin() as session:
        project = session.scalars(select(Project).where(Project.key == "fairdelivery")).one()
        session.add(
            FeedSubscription(
                workspace_id=project.workspace_id,
                project_id=project.id,
                channel_id=OTHER,
                kinds="status,blockers,milestones,members",
                updated_by=STEIN,
                updated_at=DEMO_NOW,
            )
        )
    slack.command(STEIN, "/project set-status fairdelivery at_risk")
    slack.command(LENA, "/blocker add fairdelivery ethics board asks for more")
    feed()
    assert feed_messages(slack_api, OTHER) == []
    (post,) = feed_messages(slack_api, "C1FAIR")
    assert "set the status to *at risk*" in texts([post])[0] and "ethics board" in texts([post])[0]
    with session_factory() as session:
        assert {i.channel_id for i in session.scalars(select(FeedItem))} == {"C1FAIR"}


def test_a_project_made_private_before_its_post_goes_out_is_not_posted_elsewhere(
    slack: SlackDriver,
    slack_api: FakeSlackApi,
    feed: FeedRunner,
    session_factory: sessionmaker[Session],
    settings: Settings,
    clock: FixedClock,
) -> None:
    slack.command(BANERJEE, f"/project subscribe bidshade {OTHER}")
    slack.command(BANERJEE, "/project set-status bidshade at_risk")
    with session_factory.begin() as session:  # the intake of a tick …
        assert take_new_entries(session, clock.now(), defaults=settings.reminder_policy) >= 1
    with session_factory.begin() as session:  # … then the project turns private before the send
        session.scalars(select(Project).where(Project.key == "bidshade")).one().private = True
    report = feed()
    assert feed_messages(slack_api, OTHER) == [] and len(feed_messages(slack_api, BIDSHADE_CHANNEL)) == 1
    assert report.cancelled == 1
    with session_factory() as session:
        cancelled = session.scalars(select(FeedItem).where(FeedItem.channel_id == OTHER)).one()
        assert (cancelled.status, cancelled.last_error) == ("cancelled", "the project is private")
