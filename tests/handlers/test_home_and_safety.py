"""App Home, escaping of user text, Block Kit limits, request signing, errors and Slack faults."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.clock import FixedClock
from bot.models import Milestone, MilestoneStatus, Project
from bot.slack import ids
from tests.fakes.driver import SlackDriver, buttons_of, message_text
from tests.fakes.slack_api import RESPONSE_URL_METHOD, FakeSlackApi, RecordedCall

pytestmark = pytest.mark.usefixtures("demo")

BANERJEE = "U02ECBANE"
OSEI = "U01MLOSEI"
RAO = "U03MSRAO"


def _home_view(exchange_calls: list[RecordedCall], user: str) -> dict[str, Any]:
    published = [c for c in exchange_calls if c.method == "views.publish" and c.params["user_id"] == user]
    assert published, [c.method for c in exchange_calls]
    view = published[-1].params["view"]
    return view if isinstance(view, dict) else json.loads(view)


def test_home_opened_publishes_my_projects_next_and_overdue(slack: SlackDriver) -> None:
    exchange = slack.event({"type": "app_home_opened", "user": RAO, "channel": "D1", "tab": "home"})
    assert exchange.status == 200
    view = _home_view(exchange.calls, RAO)
    text = message_text({"blocks": view["blocks"]})
    assert view["type"] == "home"
    assert "*Overdue* (2)" in text  # pcm-2 (Nov 19) and uplift-1 (Nov 10) are Rao's and open
    assert "pcm-2" in text and "uplift-1" in text
    assert "`pcm`" in text and "`uplift`" in text  # her projects
    # Shown in her zone, Asia/Kolkata.
    assert "IST" in text and "Times in your time zone (Asia/Kolkata)" in text


def test_home_says_when_it_was_updated_as_other_dates_are_written(
    slack: SlackDriver, clock: FixedClock
) -> None:
    clock.set(datetime(2026, 12, 7, 8, 0, tzinfo=UTC))  # 13:30 in Kolkata

    exchange = slack.event({"type": "app_home_opened", "user": RAO, "channel": "D1", "tab": "home"})

    text = message_text({"blocks": _home_view(exchange.calls, RAO)["blocks"]})
    assert "Updated Mon 7 Dec 2026, 13:30." in text  # no leading zero, as in "Fri 4 Dec 2026"


def test_home_messages_tab_is_ignored(slack: SlackDriver) -> None:
    exchange = slack.event({"type": "app_home_opened", "user": RAO, "channel": "D1", "tab": "messages"})
    assert exchange.status == 200 and not exchange.of("views.publish")


def test_home_for_unknown_user_explains(slack: SlackDriver) -> None:
    view = _home_view(slack.event({"type": "app_home_opened", "user": "U9NEW", "tab": "home"}).calls, "U9NEW")
    assert "not on any Liaison project" in message_text({"blocks": view["blocks"]})


def test_done_button_in_home_completes_and_republishes(
    slack: SlackDriver, session_factory: sessionmaker[Session]
) -> None:
    view = _home_view(slack.event({"type": "app_home_opened", "user": RAO, "tab": "home"}).calls, RAO)
    done = next(b for b in buttons_of(view["blocks"]) if b["action_id"] == ids.MILESTONE_DONE_ACTION)
    clicked = slack.click(RAO, done, view={**view, "id": "VHOME"})
    assert not clicked.of(RESPONSE_URL_METHOD) and not clicked.of("views.open")
    republished = message_text({"blocks": _home_view(clicked.calls, RAO)["blocks"]})
    assert done["value"] not in republished.split("Due in the next")[0]  # no longer overdue
    with session_factory() as session:
        key, number = done["value"].rsplit("-", 1)
        milestone = session.scalars(
            select(Milestone).join(Project).where(Project.key == key, Milestone.number == int(number))
        ).one()
        assert milestone.status == MilestoneStatus.DONE


def test_status_button_in_home_opens_a_modal(slack: SlackDriver) -> None:
    view = _home_view(slack.event({"type": "app_home_opened", "user": RAO, "tab": "home"}).calls, RAO)
    status = next(b for b in buttons_of(view["blocks"]) if b["action_id"] == ids.OPEN_PROJECT_ACTION)
    clicked = slack.click(RAO, status, view={**view, "id": "VHOME"})
    modal = clicked.of("views.open")[0].params["view"]
    assert "Members" in message_text({"blocks": modal["blocks"]}) and len(modal["title"]["text"]) <= 24


# -- escaping and limits -------------------------------------------------------------------------

HOSTILE_NAME = "<!channel> & <@U0HACKER> <!here|here>"


def mrkdwn_texts(node: object) -> list[str]:
    """Every string Slack parses as mrkdwn: `text` fallbacks and mrkdwn objects (plain_text is literal)."""
    found: list[str] = []
    if isinstance(node, dict):
        if node.get("type") == "mrkdwn" and isinstance(node.get("text"), str):
            found.append(node["text"])
        for key, value in node.items():
            if key == "text" and isinstance(value, str) and node.get("type") != "plain_text":
                found.append(value)
            else:
                found += mrkdwn_texts(value)
    elif isinstance(node, list):
        for item in node:
            found += mrkdwn_texts(item)
    return found


def _check_limits(call: RecordedCall) -> None:
    params = call.params
    view = params.get("view")
    if isinstance(view, dict):
        assert len(view.get("blocks", [])) <= 100
        if "title" in view:
            assert len(view["title"]["text"]) <= 24
        blocks = view.get("blocks", [])
    else:
        blocks = params.get("blocks") or []
        assert len(blocks) <= 50
    for block in blocks:
        if block["type"] == "section":
            assert len(block["text"]["text"]) <= 3000
        if block["type"] == "header":
            assert len(block["text"]["text"]) <= 150
        for button in buttons_of([block]):
            assert len(button["text"]["text"]) <= 75


@pytest.fixture
def hostile_project(demo: None, session_factory: sessionmaker[Session]) -> None:
    with session_factory.begin() as session:
        project = session.scalars(select(Project).where(Project.key == "bidshade")).one()
        project.name = HOSTILE_NAME
        project.description = ("<!everyone> " + "x" * 3990)[:4000]
        base = datetime(2026, 12, 1, 9, tzinfo=UTC)
        for n in range(60):
            session.add(
                Milestone(
                    project=project,
                    number=100 + n,
                    title=f"<@U0HACKER> step {n} " + "y" * 280,
                    due_at=base + timedelta(days=n),
                    due_timezone="Europe/Amsterdam",
                    status=MilestoneStatus.OPEN,
                )
            )


@pytest.mark.usefixtures("hostile_project")
@pytest.mark.parametrize(
    "line",
    [
        "/project status bidshade",
        "/project list all",
        "/project members bidshade",
        "/milestone list bidshade",
        "/milestone overdue all",
        "/project set-status bidshade at_risk",
        "/blocker add bidshade <!channel> help",
    ],
)
def test_user_text_is_escaped_and_limits_hold(slack: SlackDriver, line: str) -> None:
    exchange = slack.command(BANERJEE, line)
    checked = 0
    for call in exchange.calls:
        if call.method in ("views.publish", "views.open", "chat.postMessage", RESPONSE_URL_METHOD):
            for text in mrkdwn_texts(call.params):
                for injected in ("<!channel>", "<!here", "<!everyone>", "<@U0HACKER>"):
                    assert injected not in text, (call.method, text[:200])
            _check_limits(call)
            checked += 1
    assert checked >= 1
    if line.startswith("/project status"):
        assert "&lt;!channel&gt; &amp; &lt;@U0HACKER&gt;" in exchange.reply_text


def test_many_milestones_are_capped_with_a_note(slack: SlackDriver, hostile_project: None) -> None:
    reply = slack.command(BANERJEE, "/milestone list bidshade").reply
    assert len(reply["blocks"]) == 50
    assert "more not shown" in reply["blocks"][-1]["elements"][0]["text"]


def test_long_description_edit_modal_keeps_text_and_fits_slack(
    slack: SlackDriver, hostile_project: None
) -> None:
    exchange = slack.command(BANERJEE, "/project edit bidshade")
    view = exchange.of("views.open")[0].params["view"]
    assert not any(b.get("block_id") == ids.DESCRIPTION_INPUT for b in view["blocks"])
    assert "4000 characters" in message_text({"blocks": view["blocks"]})
    _check_limits(exchange.of("views.open")[0])


# -- request signing -----------------------------------------------------------------------------


def test_bad_signature_is_rejected_without_effect(slack: SlackDriver) -> None:
    signed = slack.payloads.slash_command("/project", "join uplift", user_id=OSEI)
    signed.headers["X-Slack-Signature"] = "v0=" + "0" * 64
    exchange = slack.send(signed)
    assert exchange.status == 401 and exchange.calls == []


def test_tampered_body_is_rejected(slack: SlackDriver) -> None:
    signed = slack.payloads.slash_command("/project", "status bidshade", user_id=OSEI)
    signed = type(signed)(signed.body.replace("U01MLOSEI", "U02ECBANE"), signed.headers)
    assert slack.send(signed).status == 401


def test_stale_timestamp_is_rejected(slack: SlackDriver) -> None:
    old = int(time.time()) - 301
    form = slack.payloads.slash_command("/project", "status bidshade", user_id=OSEI).body
    assert (
        slack.send(slack.payloads.sign(form, "application/x-www-form-urlencoded", timestamp=old)).status
        == 401
    )
    fresh = int(time.time()) - 200
    assert (
        slack.send(slack.payloads.sign(form, "application/x-www-form-urlencoded", timestamp=fresh)).status
        == 200
    )


# -- unexpected errors and Slack faults ----------------------------------------------------------


def test_unexpected_error_gets_logged_and_an_ephemeral_apology(
    slack: SlackDriver, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("database on fire")

    monkeypatch.setattr("bot.slack.commands.run_command", broken)
    exchange = slack.send(slack.payloads.slash_command("/project", "status bidshade", user_id=OSEI))
    apology = exchange.reply
    assert apology["response_type"] == "ephemeral" and "nothing was changed" in apology["text"]
    assert "database on fire" not in apology["text"]
    assert any("listener failed" in r.message for r in caplog.records)


def test_home_publish_survives_rate_limit(slack: SlackDriver, slack_api: FakeSlackApi) -> None:
    slack_api.rate_limit("views.publish", retry_after=1, times=1)
    exchange = slack.event({"type": "app_home_opened", "user": RAO, "tab": "home"})
    attempts = exchange.of("views.publish")
    assert len(attempts) == 2 and attempts[1].at - attempts[0].at >= 1.0


def test_home_publish_failure_for_one_user_does_not_stop_others(
    slack: SlackDriver, slack_api: FakeSlackApi
) -> None:
    slack_api.fail("views.publish", "user_not_found", times=1)
    exchange = slack.command(OSEI, "/milestone done bidshade-3")
    assert "Marked done" in exchange.reply_text
    assert len(exchange.of("views.publish")) == 4  # every bidshade member was attempted


def test_mention_answers_in_thread_once_despite_retries(slack: SlackDriver) -> None:
    event = {
        "type": "app_mention",
        "user": OSEI,
        "channel": "C1BIDSHADE",
        "text": "<@U0LIAISONBOT> hi",
        "ts": "1700000000.000100",
        "thread_ts": "1700000000.000001",
    }
    first = slack.event(event, event_id="Ev0MENTION1")
    retries = [slack.event(event, event_id="Ev0MENTION1", retry_num=n) for n in (1, 2, 3)]
    posts = first.of("chat.postMessage") + [c for r in retries for c in r.of("chat.postMessage")]
    assert len(posts) == 1
    assert posts[0].params["thread_ts"] == "1700000000.000001"
    assert "for example" in posts[0].params["text"].lower()
    assert all(r.status == 200 for r in [first, *retries])


def test_unhandled_event_is_acknowledged_so_slack_does_not_retry(slack: SlackDriver) -> None:
    exchange = slack.event({"type": "reaction_added", "user": OSEI, "reaction": "tada"})
    assert exchange.status == 200 and exchange.calls == []


def test_forged_status_in_project_form_is_a_field_error(slack: SlackDriver) -> None:
    view = json.loads(json.dumps(slack.command(OSEI, "/project create").of("views.open")[0].params["view"]))
    response = slack.submit(
        OSEI,
        view,
        {
            ids.KEY_INPUT: {ids.KEY_INPUT: {"value": "forged"}},
            ids.NAME_INPUT: {ids.NAME_INPUT: {"value": "Forged"}},
            ids.STATUS_INPUT: {ids.STATUS_INPUT: {"selected_option": {"value": "exploded"}}},
            ids.LEAD_INPUT: {ids.LEAD_INPUT: {"selected_user": OSEI}},
        },
    )
    assert json.loads(response.body)["errors"] == {ids.STATUS_INPUT: "Pick one of the listed statuses."}


def test_unexpected_error_in_a_form_apologises_by_dm(
    slack: SlackDriver, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr("handlers.views.submit_project", broken)
    view = slack.command(OSEI, "/project create").of("views.open")[0].params["view"]
    response = slack.submit(OSEI, view, {})
    assert response.status == 500  # Slack keeps the form open and shows its own error
    dms = [c for c in response.calls if c.method == "chat.postMessage"]
    assert dms and dms[0].params["channel"] == OSEI and "nothing was changed" in dms[0].params["text"]
