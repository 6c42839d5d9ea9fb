"""Feed posts in a project's channel: one per change, naming who made it, with user text escaped;
through signed requests → Bolt → the feed tick → the fake Slack Web API."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.cli.console.session import form_values
from bot.clock import FixedClock
from bot.models import FeedItem, Membership, Person, Project, ProjectStatus, Role
from tests.fakes.driver import SlackDriver, opened_view
from tests.fakes.slack_api import FakeSlackApi
from tests.feed.conftest import (
    BANERJEE,
    BIDSHADE_CHANNEL,
    JANSEN,
    LINDQVIST,
    MORALES,
    OSEI,
    FeedRunner,
    feed_keys,
    feed_messages,
    texts,
)

pytestmark = pytest.mark.usefixtures("demo")

TITLE_3 = "*Offline replay comparison of shading policies*"


@pytest.mark.parametrize(
    "actor, line, expected",
    [
        pytest.param(
            BANERJEE,
            "/project set-status bidshade at_risk",
            ":traffic_light: <@U02ECBANE> set the status to *at risk* (was on track)",
            id="status",
        ),
        pytest.param(
            OSEI,
            "/blocker add bidshade waiting for the auction logs",
            ":no_entry: <@U01MLOSEI> raised blocker `bidshade-b1`: waiting for the auction logs",
            id="blocker-raised",
        ),
        pytest.param(
            BANERJEE,
            "/milestone move bidshade-3 2026-12-18 17:00",
            f"<@U02ECBANE> moved `bidshade-3` {TITLE_3} to Fri 18 Dec 2026, 17:00 CET "
            "(was Fri 11 Dec 2026, 17:00 CET)",
            id="milestone-moved",
        ),
        pytest.param(
            BANERJEE,
            "/milestone done bidshade-2",
            ":white_check_mark: <@U02ECBANE> marked `bidshade-2` *Equilibrium shading model write-up* done",
            id="milestone-done",
        ),
        pytest.param(
            BANERJEE,
            f"/milestone assign bidshade-3 {MORALES}",
            f":bust_in_silhouette: <@U02ECBANE> handed `bidshade-3` {TITLE_3} to <@U02ECMORA> "
            "(was <@U01MLOSEI>)",
            id="milestone-reassigned",
        ),
        pytest.param(
            LINDQVIST, "/project join bidshade", ":wave: <@U03MSLIND> joined the project", id="joined"
        ),
        pytest.param(JANSEN, "/project leave bidshade", ":door: <@U11DEJANS> left the project", id="left"),
    ],
)
def test_a_change_is_posted_once_in_the_project_channel_with_who_made_it(
    slack: SlackDriver, slack_api: FakeSlackApi, feed: FeedRunner, actor: str, line: str, expected: str
) -> None:
    slack.command(actor, line)
    report = feed()
    posts = feed_messages(slack_api, BIDSHADE_CHANNEL)
    assert len(posts) == 1, texts(posts)
    (text,) = texts(posts)
    assert expected in text
    assert ":newspaper: *Bid shading for first-price auctions* (`bidshade`)" in text
    # The notification text names people rather than mentioning them.
    assert posts[0]["text"].startswith("Bid shading for first-price auctions: @")
    assert len(feed_keys(posts[0])) == 1 and report.sent >= 1
    # Another tick posts nothing again.
    feed()
    assert len(feed_messages(slack_api, BIDSHADE_CHANNEL)) == 1


def test_a_blocker_raised_then_resolved_gives_two_posts(
    slack: SlackDriver, slack_api: FakeSlackApi, feed: FeedRunner, clock: FixedClock
) -> None:
    slack.command(OSEI, "/blocker add bidshade no auction logs yet")
    feed()
    clock.advance(timedelta(minutes=5))
    slack.command(BANERJEE, "/blocker resolve bidshade-b1")
    feed()
    raised, resolved = texts(feed_messages(slack_api, BIDSHADE_CHANNEL))
    assert "<@U01MLOSEI> raised blocker `bidshade-b1`: no auction logs yet" in raised
    assert ":white_check_mark: <@U02ECBANE> resolved blocker `bidshade-b1`: no auction logs yet" in resolved


def test_a_milestone_added_with_an_owner_is_posted_with_its_due_date_and_owner(
    slack: SlackDriver, slack_api: FakeSlackApi, feed: FeedRunner
) -> None:
    view = slack.command(BANERJEE, "/milestone add bidshade").of("views.open")[0].params["view"]
    view = view if isinstance(view, dict) else json.loads(view)
    slack.submit(
        BANERJEE,
        view,
        {
            "title": {"title": {"value": "Shading policy review"}},
            "due": {"due": {"value": "2026-12-09 09:30"}},
            "owner": {"owner": {"selected_user": MORALES}},
        },
    )
    feed()
    (text,) = texts(feed_messages(slack_api, BIDSHADE_CHANNEL))
    added = "<@U02ECBANE> added `bidshade-5` *Shading policy review*, due Wed 9 Dec 2026, 09:30 CET"
    assert f"{added}, owner <@U02ECMORA>" in text


def test_a_request_that_changes_nothing_posts_nothing(
    slack: SlackDriver, slack_api: FakeSlackApi, feed: FeedRunner
) -> None:
    slack.command(BANERJEE, "/project set-status bidshade on_track")  # it is on track already
    slack.command(OSEI, "/project join bidshade")  # already on it
    feed()
    assert feed_messages(slack_api) == []


@pytest.fixture
def loud_project(session_factory: sessionmaker[Session]) -> str:
    """A public project whose name tries to ping everyone and someone, led by Banerjee."""
    with session_factory.begin() as session:
        banerjee = session.scalars(select(Person).where(Person.slack_id == BANERJEE)).one()
        project = Project(
            workspace_id=banerjee.workspace_id,
            key="loud",
            name="<!channel> <@U01MLOSEI> & <https://evil.example|click>",
            description="",
            status=ProjectStatus.ON_TRACK,
            channel_id="C1LOUD",
            private=False,
            lead_id=banerjee.id,
        )
        project.memberships.append(Membership(person=banerjee, role=Role.LEAD, position=0))
        session.add(project)
    return "C1LOUD"


def test_user_text_in_a_feed_post_is_escaped_and_pings_nobody(
    slack: SlackDriver, slack_api: FakeSlackApi, feed: FeedRunner, loud_project: str
) -> None:
    slack.command(BANERJEE, "/blocker add loud ask <!here> and <@U03MSRAO> about <#C1PCM>")
    feed()
    (post,) = feed_messages(slack_api, loud_project)
    rendered = json.dumps(post["blocks"]) + post["text"]
    for markup in ("<!channel>", "<!here>", "<@U01MLOSEI>", "<@U03MSRAO>", "<#C1PCM>", "<https://"):
        assert markup not in rendered, markup
    (text,) = texts([post])
    assert "&lt;!channel&gt; &lt;@U01MLOSEI&gt; &amp; &lt;https://evil.example|click&gt;" in text
    assert "ask &lt;!here&gt; and &lt;@U03MSRAO&gt; about &lt;#C1PCM&gt;" in text
    # The only mention is the actor's, built from a validated Slack id.
    assert "<@U02ECBANE> raised blocker `loud-b1`" in text


def test_the_ledger_records_where_each_change_went(
    slack: SlackDriver, slack_api: FakeSlackApi, feed: FeedRunner, session_factory: sessionmaker[Session]
) -> None:
    slack.command(BANERJEE, "/project set-status bidshade at_risk")
    feed()
    with session_factory() as session:
        (item,) = session.scalars(select(FeedItem)).all()
        assert (item.status, item.channel_id, item.slack_channel) == (
            "sent",
            BIDSHADE_CHANNEL,
            BIDSHADE_CHANNEL,
        )
        assert item.slack_ts == feed_messages(slack_api)[0]["ts"]
        assert feed_keys(feed_messages(slack_api)[0]) == [item.key]


def test_an_edit_that_changes_status_and_members_is_posted_as_both(
    slack: SlackDriver, slack_api: FakeSlackApi, feed: FeedRunner
) -> None:
    view = opened_view(slack.command(BANERJEE, "/project edit bidshade"))
    # Lindqvist joins, Jansen (who owns only a done milestone) is taken off, the status changes.
    values = form_values(
        view, {"status": "blocked", "members": ",".join([BANERJEE, OSEI, MORALES, LINDQVIST])}
    )
    assert slack.submit(BANERJEE, view, values).body == ""
    feed()
    (text,) = texts(feed_messages(slack_api, BIDSHADE_CHANNEL))
    assert "· 3 changes" in text
    assert ":traffic_light: <@U02ECBANE> set the status to *blocked* (was on track)" in text
    assert ":wave: <@U02ECBANE> added <@U03MSLIND> to the project" in text
    assert ":door: <@U02ECBANE> took <@U11DEJANS> off the project" in text


def test_a_new_lead_is_posted_with_whom_they_replace_and_the_old_lead_is_told(
    slack: SlackDriver, slack_api: FakeSlackApi, feed: FeedRunner
) -> None:
    view = opened_view(slack.command("U0ADMIN", "/project edit bidshade"))
    values = form_values(view, {"lead": OSEI})

    edited = slack.submit("U0ADMIN", view, values)
    feed()

    assert edited.body == ""
    told = {c.params["channel"]: json.dumps(c.params) for c in edited.of("chat.postMessage")}
    assert "made you the lead" in told[OSEI]
    assert "in your place; you stay on it as a member" in told[BANERJEE]
    (text,) = texts(feed_messages(slack_api, BIDSHADE_CHANNEL))
    assert ":crown: <@U0ADMIN> made <@U01MLOSEI> the lead (was <@U02ECBANE>)" in text
