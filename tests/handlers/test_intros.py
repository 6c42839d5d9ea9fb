"""The "Ask for an intro" flow through the real Bolt path: request, expert DM, Accept / Decline.

Checks the database (requests, outcomes, audit) and every Web API call, including Slack failures
injected by the fake Slack API.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.access import Requester
from bot.clock import FixedClock
from bot.errors import NotFound
from bot.experts.embeddings.hashing import HashingEmbedder
from bot.experts.intros.caps import CAP_WINDOW
from bot.experts.intros.requests import subject_hash
from bot.experts.intros.views import get_intro, list_intros
from bot.models import AuditEntry, ExpertVisibility, IntroRequest, IntroStatus
from bot.services import Services
from bot.settings import Settings
from bot.slack.ids import EXPERT_INTRO_ACTION, INTRO_ACCEPT_ACTION, INTRO_DECLINE_ACTION
from bot.slack.notifier import build_notifier
from tests.conftest import DEMO_NOW
from tests.fakes.driver import Exchange, SlackDriver, buttons_of, message_text
from tests.fakes.slack_api import RESPONSE_URL_METHOD, FakeSlackApi
from tests.handlers.test_experts import block_of, set_person, suggested

pytestmark = pytest.mark.usefixtures("demo")

RAO = "U03MSRAO"
OSEI = "U01MLOSEI"
STEIN = "U12ETSTEI"
DUBOIS = "U05PLDUBO"
NOVAK = "U05PLNOVA"
GROUP = "G0INTRO"
COOKIES = "/expert consent law for cookie walls"


@pytest.fixture
def services(settings: Settings, session_factory: sessionmaker[Session], clock: FixedClock) -> Services:
    return Services(
        settings=settings,
        session_factory=session_factory,
        clock=clock,
        notifier=build_notifier(settings, timeout=5),
        embedder=HashingEmbedder(),
    )


@pytest.fixture(autouse=True)
def _group_dm(slack_api: FakeSlackApi) -> None:
    # Slack answers conversations.open for several users with the group DM (an mpim) it opened.
    slack_api.respond("conversations.open", {"channel": {"id": GROUP}})


# -- helpers -------------------------------------------------------------------------------------


def intro_button(slack: SlackDriver, user: str, line: str, expert: str) -> dict[str, Any]:
    """Run an /expert line as `user` and take the "Ask for an intro" button of `expert`."""
    reply = slack.command(user, line).reply
    assert expert in suggested(reply), suggested(reply)
    accessory: dict[str, Any] = block_of(reply, expert)["accessory"]
    assert accessory["action_id"] == EXPERT_INTRO_ACTION and accessory["text"]["text"] == "Ask for an intro"
    return accessory


def expert_dm(exchange: Exchange, expert: str) -> dict[str, Any]:
    """The single DM the click sent to the expert."""
    posts = [c for c in exchange.of("chat.postMessage") if c.params["channel"] == expert]
    assert len(posts) == 1, [(c.method, c.params.get("channel")) for c in exchange.calls]
    return posts[0].params


def decision_buttons(dm: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Accept and Decline of an expert DM."""
    buttons = {b["action_id"]: b for b in buttons_of(dm["blocks"])}
    return buttons[INTRO_ACCEPT_ACTION], buttons[INTRO_DECLINE_ACTION]


def requests(session_factory: sessionmaker[Session]) -> list[IntroRequest]:
    with session_factory() as session:
        return list(session.scalars(select(IntroRequest).order_by(IntroRequest.id)))


def audit_actions(session_factory: sessionmaker[Session]) -> list[str]:
    with session_factory() as session:
        return list(
            session.scalars(
                select(AuditEntry.action).where(AuditEntry.entity == "intro_request").order_by(AuditEntry.id)
            )
        )


def ask(slack: SlackDriver, user: str, button: dict[str, Any]) -> Exchange:
    return slack.click(user, button)


# -- the flow ------------------------------------------------------------------------------------


def test_ask_for_an_intro_dms_the_expert_with_context_and_buttons(
    slack: SlackDriver, session_factory: sessionmaker[Session]
) -> None:
    exchange = ask(slack, RAO, intro_button(slack, RAO, COOKIES, DUBOIS))
    dm = expert_dm(exchange, DUBOIS)
    text = message_text(dm)
    assert f"<@{RAO}> (Head of Marketing Analytics · Marketing science · Northwind Retail)" in text
    assert "“consent law for cookie walls”" in text
    assert "your profile matched _Consent fatigue and the legality of cookie walls under the GDPR_" in text
    assert "This is request 1 of the 3 a week you accept." in text
    accept, decline = decision_buttons(dm)
    assert accept["value"] == decline["value"]
    confirmation = exchange.reply
    assert confirmation["replace_original"] is False and confirmation["response_type"] == "ephemeral"
    assert f"I asked <@{DUBOIS}> for an introduction" in message_text(confirmation)
    (request,) = requests(session_factory)
    assert request.status == IntroStatus.PENDING and request.created_at == DEMO_NOW
    assert request.subject == "consent law for cookie walls" and request.project_id is None
    assert request.expert_channel == "D" + DUBOIS[1:] and request.expert_ts  # where the buttons are
    assert request.reason.startswith("Consent fatigue and the legality of cookie walls under the GDPR")
    assert request.subject_hash == subject_hash("Consent LAW  for cookie walls", None)
    assert audit_actions(session_factory) == ["intro.request"]


def test_accept_opens_a_group_dm_introduces_both_and_updates_the_dm(
    slack: SlackDriver, session_factory: sessionmaker[Session], clock: FixedClock
) -> None:
    dm = expert_dm(ask(slack, RAO, intro_button(slack, RAO, COOKIES, DUBOIS)), DUBOIS)
    accept, _ = decision_buttons(dm)
    clock.advance(timedelta(hours=3))
    exchange = slack.click(DUBOIS, accept)
    (opened,) = exchange.of("conversations.open")
    assert set(opened.params["users"].split(",")) == {RAO, DUBOIS}
    (intro,) = [c for c in exchange.of("chat.postMessage") if c.params["channel"] == GROUP]
    text = message_text(intro.params)
    assert f"<@{RAO}>, meet <@{DUBOIS}> (Professor of Information Law" in text
    assert f"<@{DUBOIS}>, meet <@{RAO}>" in text and "“consent law for cookie walls”" in text
    (updated,) = exchange.of("chat.update")
    (request,) = requests(session_factory)
    assert (updated.params["channel"], updated.params["ts"]) == (request.expert_channel, request.expert_ts)
    assert "You accepted" in message_text(updated.params) and not buttons_of(updated.params["blocks"])
    assert request.status == IntroStatus.ACCEPTED
    assert request.decided_at == DEMO_NOW + timedelta(hours=3) and request.group_channel == GROUP
    assert audit_actions(session_factory) == ["intro.request", "intro.accept"]
    assert not exchange.of(RESPONSE_URL_METHOD)


def test_decline_updates_the_dm_and_tells_the_requester(
    slack: SlackDriver, session_factory: sessionmaker[Session]
) -> None:
    dm = expert_dm(ask(slack, RAO, intro_button(slack, RAO, COOKIES, DUBOIS)), DUBOIS)
    _, decline = decision_buttons(dm)
    exchange = slack.click(DUBOIS, decline)
    assert not exchange.of("conversations.open")
    (notice,) = exchange.of("chat.postMessage")
    assert notice.params["channel"] == RAO
    assert f"<@{DUBOIS}> declined your request for an introduction" in message_text(notice.params)
    (updated,) = exchange.of("chat.update")
    assert "You declined" in message_text(updated.params) and not buttons_of(updated.params["blocks"])
    (request,) = requests(session_factory)
    assert request.status == IntroStatus.DECLINED and request.decided_at == DEMO_NOW
    assert request.group_channel is None
    assert audit_actions(session_factory) == ["intro.request", "intro.decline"]


def test_asking_again_about_the_same_thing_finds_the_first_request(
    slack: SlackDriver, session_factory: sessionmaker[Session]
) -> None:
    button = intro_button(slack, RAO, COOKIES, DUBOIS)
    ask(slack, RAO, button)
    again = ask(slack, RAO, button)  # a double click
    retyped = ask(slack, RAO, intro_button(slack, RAO, "/expert Consent law  for COOKIE walls", DUBOIS))
    for exchange in (again, retyped):
        assert not exchange.of("chat.postMessage")
        assert "You already asked" in exchange.reply_text and "not answered yet" in exchange.reply_text
    assert len(requests(session_factory)) == 1


def test_double_click_on_accept_introduces_once(
    slack: SlackDriver, session_factory: sessionmaker[Session]
) -> None:
    accept, decline = decision_buttons(
        expert_dm(ask(slack, RAO, intro_button(slack, RAO, COOKIES, DUBOIS)), DUBOIS)
    )
    slack.click(DUBOIS, accept)
    for button in (accept, decline):
        exchange = slack.click(DUBOIS, button)
        assert not exchange.of("conversations.open") and not exchange.of("chat.postMessage")
        assert "You already accepted this request" in exchange.reply_text
    assert requests(session_factory)[0].status == IntroStatus.ACCEPTED
    assert audit_actions(session_factory) == ["intro.request", "intro.accept"]


def test_forged_accept_by_someone_else_is_refused(
    slack: SlackDriver, session_factory: sessionmaker[Session]
) -> None:
    accept, decline = decision_buttons(
        expert_dm(ask(slack, RAO, intro_button(slack, RAO, COOKIES, DUBOIS)), DUBOIS)
    )
    for user, button in ((OSEI, accept), (RAO, accept), (OSEI, decline)):
        exchange = slack.click(user, button)
        assert "Only Prof. Camille Dubois can answer this introduction request." in exchange.reply_text
        assert exchange.reply["replace_original"] is False
        assert not exchange.of("conversations.open") and not exchange.of("chat.update")
    assert requests(session_factory)[0].status == IntroStatus.PENDING
    forged = slack.click(DUBOIS, {**accept, "value": "999"})
    assert "no longer exists" in forged.reply_text


# -- Slack failures ------------------------------------------------------------------------------


def test_failed_dm_to_the_expert_records_nothing_and_can_be_retried(
    slack: SlackDriver, slack_api: FakeSlackApi, session_factory: sessionmaker[Session]
) -> None:
    button = intro_button(slack, RAO, COOKIES, DUBOIS)
    slack_api.fail("chat.postMessage", "channel_not_found")
    failed = ask(slack, RAO, button)
    assert "could not send your request to Prof. Camille Dubois" in failed.reply_text
    assert "channel_not_found" in failed.reply_text
    assert requests(session_factory) == []  # not recorded as sent, not counted against her cap
    assert audit_actions(session_factory) == ["intro.request", "intro.withdraw"]
    retried = ask(slack, RAO, button)
    expert_dm(retried, DUBOIS)
    (request,) = requests(session_factory)
    assert request.expert_ts is not None and "I asked" in retried.reply_text


def test_group_dm_failure_keeps_the_request_pending_and_accept_can_be_retried(
    slack: SlackDriver, slack_api: FakeSlackApi, session_factory: sessionmaker[Session]
) -> None:
    accept, _ = decision_buttons(
        expert_dm(ask(slack, RAO, intro_button(slack, RAO, COOKIES, DUBOIS)), DUBOIS)
    )
    slack_api.fail("conversations.open", "cannot_open_mpim")
    failed = slack.click(DUBOIS, accept)
    assert "could not open a group DM" in failed.reply_text and "press Accept again" in failed.reply_text
    assert not failed.of("chat.postMessage") and not failed.of("chat.update")  # the buttons stay
    (request,) = requests(session_factory)
    assert request.status == IntroStatus.PENDING and request.decided_at is None
    retried = slack.click(DUBOIS, accept)
    assert [c.params["channel"] for c in retried.of("chat.postMessage")] == [GROUP]
    (request,) = requests(session_factory)
    assert request.status == IntroStatus.ACCEPTED and request.group_channel == GROUP
    assert audit_actions(session_factory) == [
        "intro.request",
        "intro.accept",
        "intro.accept_failed",
        "intro.accept",
    ]


def test_failed_introduction_post_also_keeps_the_request_pending(
    slack: SlackDriver, slack_api: FakeSlackApi, session_factory: sessionmaker[Session]
) -> None:
    accept, _ = decision_buttons(
        expert_dm(ask(slack, RAO, intro_button(slack, RAO, COOKIES, DUBOIS)), DUBOIS)
    )
    slack_api.fail("chat.postMessage", "not_in_channel")
    assert "press Accept again" in slack.click(DUBOIS, accept).reply_text
    assert requests(session_factory)[0].status == IntroStatus.PENDING


def test_failed_decline_notice_keeps_the_decline(
    slack: SlackDriver, slack_api: FakeSlackApi, session_factory: sessionmaker[Session]
) -> None:
    _, decline = decision_buttons(
        expert_dm(ask(slack, RAO, intro_button(slack, RAO, COOKIES, DUBOIS)), DUBOIS)
    )
    slack_api.fail("chat.postMessage", "user_not_found")
    exchange = slack.click(DUBOIS, decline)
    assert exchange.of("chat.update") and requests(session_factory)[0].status == IntroStatus.DECLINED


# -- caps and refusals ---------------------------------------------------------------------------


def test_requests_count_against_the_cap_whatever_their_outcome(
    slack: SlackDriver, session_factory: sessionmaker[Session], clock: FixedClock
) -> None:
    set_person(session_factory, DUBOIS, weekly_request_cap=1)
    stale = intro_button(slack, OSEI, COOKIES, DUBOIS)  # taken while she is still under her cap
    _, decline = decision_buttons(
        expert_dm(ask(slack, RAO, intro_button(slack, RAO, COOKIES, DUBOIS)), DUBOIS)
    )
    slack.click(DUBOIS, decline)
    refused = ask(slack, OSEI, stale)
    assert "has had as many intro requests this week as they accept (1)" in refused.reply_text
    assert not refused.of("chat.postMessage") and len(requests(session_factory)) == 1
    # She is now listed last, without a button, until the request leaves the seven-day window.
    reply = slack.command(OSEI, COOKIES).reply
    assert suggested(reply)[-1] == DUBOIS and "accessory" not in block_of(reply, DUBOIS)
    clock.advance(CAP_WINDOW + timedelta(seconds=1))
    assert "Ask for an intro" in message_text(
        {"blocks": [block_of(slack.command(OSEI, COOKIES).reply, DUBOIS)]}
    )
    expert_dm(ask(slack, OSEI, stale), DUBOIS)


def test_cap_zero_refuses_every_request(slack: SlackDriver, session_factory: sessionmaker[Session]) -> None:
    stale = intro_button(slack, RAO, COOKIES, DUBOIS)
    set_person(session_factory, DUBOIS, weekly_request_cap=0)
    refused = ask(slack, RAO, stale)
    assert "Prof. Camille Dubois is not taking intro requests through Liaison." in refused.reply_text
    assert not refused.of("chat.postMessage") and requests(session_factory) == []


def test_workspace_default_cap_applies_without_a_personal_one(
    slack: SlackDriver, services: Services, session_factory: sessionmaker[Session]
) -> None:
    assert services.settings.expert_weekly_request_cap == 3
    stale = intro_button(slack, "U02ECBANE", COOKIES, DUBOIS)
    for user in (RAO, OSEI, STEIN):
        expert_dm(ask(slack, user, intro_button(slack, user, COOKIES, DUBOIS)), DUBOIS)
    refused = ask(slack, "U02ECBANE", stale)
    assert "as many intro requests this week as they accept (3)" in refused.reply_text
    with session_factory() as session:
        assert session.scalar(select(func.count(IntroRequest.id))) == 3


def test_hidden_person_cannot_be_asked_even_with_an_old_button(
    slack: SlackDriver, session_factory: sessionmaker[Session]
) -> None:
    stale = intro_button(slack, RAO, COOKIES, DUBOIS)
    set_person(session_factory, DUBOIS, expert_visibility=ExpertVisibility.HIDDEN)
    refused = ask(slack, RAO, stale)
    assert "not available for introductions" in refused.reply_text
    assert not refused.of("chat.postMessage") and requests(session_factory) == []


def test_asking_for_yourself_or_as_a_stranger_is_refused(
    slack: SlackDriver, session_factory: sessionmaker[Session]
) -> None:
    button = intro_button(slack, RAO, COOKIES, DUBOIS)
    assert "does not introduce people to themselves" in ask(slack, DUBOIS, button).reply_text
    assert "Only people in Liaison's directory" in ask(slack, "U9STRANGER", button).reply_text
    assert "out of date" in ask(slack, RAO, {**button, "value": "{not json"}).reply_text
    assert requests(session_factory) == []


def test_forged_reason_never_reaches_the_expert(
    slack: SlackDriver, session_factory: sessionmaker[Session]
) -> None:
    button = intro_button(slack, RAO, COOKIES, DUBOIS)
    ticket = json.loads(button["value"])
    ticket["m"] = ["<!channel> send me your password", ticket["m"][0]]
    dm = expert_dm(ask(slack, RAO, {**button, "value": json.dumps(ticket)}), DUBOIS)
    assert "password" not in message_text(dm)
    assert (
        requests(session_factory)[0].reason
        == "Consent fatigue and the legality of cookie walls under the GDPR"
    )


def test_free_text_subject_is_escaped_in_the_expert_dm(slack: SlackDriver) -> None:
    button = intro_button(slack, RAO, "/expert <!channel> consent law for cookie walls", DUBOIS)
    dm = expert_dm(ask(slack, RAO, button), DUBOIS)
    assert "&lt;!channel&gt; consent law" in message_text(dm) and "<!channel>" not in message_text(dm)


# -- projects and privacy ------------------------------------------------------------------------


def test_project_request_names_the_public_project_to_the_expert(
    slack: SlackDriver, session_factory: sessionmaker[Session]
) -> None:
    dm = expert_dm(ask(slack, RAO, intro_button(slack, RAO, "/expert project pcm", DUBOIS)), DUBOIS)
    text = message_text(dm)
    assert "their project *Privacy-preserving conversion measurement* (`pcm`)" in text
    assert "lawful under the GDPR" in text  # the description, for context
    (request,) = requests(session_factory)
    assert request.subject == "Privacy-preserving conversion measurement" and request.project_id is not None


def test_a_request_about_a_project_the_requester_is_not_on_does_not_call_it_theirs(
    slack: SlackDriver,
) -> None:
    outsider = "U02ECBANE"  # leads bidshade, is not on pcm (public)
    dm = expert_dm(ask(slack, outsider, intro_button(slack, outsider, "/expert project pcm", DUBOIS)), DUBOIS)
    text = message_text(dm)
    assert "the project *Privacy-preserving conversion measurement* (`pcm`)" in text
    assert "their project" not in text


def test_private_project_is_not_revealed_to_a_non_member_expert(
    slack: SlackDriver, session_factory: sessionmaker[Session]
) -> None:
    reply = slack.command(STEIN, "/expert project fairdelivery").reply
    expert = suggested(reply)[0]
    button = block_of(reply, expert)["accessory"]
    dm = expert_dm(ask(slack, STEIN, button), expert)
    text = message_text(dm)
    assert "a private project" in text
    for secret in ("Fairness", "fairdelivery", "housing ads", "gender"):
        assert secret not in text
    accept, _ = decision_buttons(dm)
    exchange = slack.click(expert, accept)
    intro = next(c for c in exchange.of("chat.postMessage") if c.params["channel"] == GROUP)
    group_text = message_text(intro.params) + message_text(exchange.of("chat.update")[0].params)
    assert (
        "a private project" in group_text
        and "Fairness" not in group_text
        and "fairdelivery" not in group_text
    )


def test_project_button_cannot_be_used_by_someone_who_cannot_see_the_project(
    slack: SlackDriver, session_factory: sessionmaker[Session]
) -> None:
    reply = slack.command(STEIN, "/expert project fairdelivery").reply
    button = block_of(reply, suggested(reply)[0])["accessory"]
    refused = ask(slack, RAO, button)  # Rao is not on the private project
    assert "No project matches" in refused.reply_text and "Fairness" not in refused.reply_text
    assert requests(session_factory) == []


def test_intros_are_listed_for_both_parties(
    slack: SlackDriver, services: Services, session_factory: sessionmaker[Session]
) -> None:
    ask(slack, RAO, intro_button(slack, RAO, COOKIES, DUBOIS))
    ask(slack, RAO, intro_button(slack, RAO, COOKIES, NOVAK))
    settings, now = services.settings, services.clock.now()
    mine = list_intros(session_factory, settings, now, requester=Requester(RAO))
    assert {i.expert.slack_id for i in mine} == {DUBOIS, NOVAK}
    (hers,) = list_intros(session_factory, settings, now, requester=Requester(DUBOIS))
    assert hers.requester.slack_id == RAO and hers.expert_requests == 1 and hers.expert_cap == 3
    assert list_intros(session_factory, settings, now, requester=Requester("U9STRANGER")) == []
    found = get_intro(session_factory, settings, now, intro_id=hers.id, team_id=None)
    assert found == hers and found.status == IntroStatus.PENDING and found.reason
    with pytest.raises(NotFound):
        get_intro(session_factory, settings, now, intro_id=hers.id + 100, team_id=None)


def test_intro_from_the_home_dm_results(slack: SlackDriver, session_factory: sessionmaker[Session]) -> None:
    from tests.handlers.test_experts import _home_find_button

    button, view = _home_find_button(slack, RAO, "pcm")
    posted = slack.click(RAO, button, view={**view, "id": "VHOME"}).of("chat.postMessage")[0].params
    expert = suggested(posted)[0]
    intro = block_of(posted, expert)["accessory"]
    # Buttons in a DM message do have a response_url: the confirmation arrives there.
    exchange = slack.click(RAO, intro)
    expert_dm(exchange, expert)
    assert "I asked" in exchange.reply_text
    assert len(requests(session_factory)) == 1


def test_every_intro_message_is_valid_block_kit(
    slack: SlackDriver, slack_api: FakeSlackApi, session_factory: sessionmaker[Session]
) -> None:
    from tests.handlers.test_experts import assert_valid_block_kit

    accept, _ = decision_buttons(
        expert_dm(
            ask(
                slack,
                RAO,
                intro_button(slack, RAO, "/expert <!channel> consent law for cookie walls", DUBOIS),
            ),
            DUBOIS,
        )
    )
    slack.click(DUBOIS, accept)
    slack.click(DUBOIS, accept)  # already decided
    slack.click(OSEI, accept)  # forged
    _, decline = decision_buttons(
        expert_dm(ask(slack, RAO, intro_button(slack, RAO, "/expert project pcm", NOVAK)), NOVAK)
    )
    slack.click(NOVAK, decline)
    reply = slack.command(STEIN, "/expert project fairdelivery").reply
    ask(slack, STEIN, block_of(reply, suggested(reply)[0])["accessory"])
    assert_valid_block_kit(slack_api.calls(), session_factory)


def test_cap_status_says_when_someone_is_free_again() -> None:
    from bot.experts.intros.caps import cap_status, effective_cap

    now = DEMO_NOW
    times = [now - timedelta(days=1), now - timedelta(days=6), now - timedelta(days=3)]
    assert cap_status(5, times).over_cap is False and cap_status(5, times).available_after is None
    at_cap = cap_status(3, times)
    assert at_cap.over_cap and at_cap.available_after == now - timedelta(days=6) + CAP_WINDOW
    # Lowered below what was already asked: two requests must leave the window first.
    assert cap_status(2, times).available_after == now - timedelta(days=3) + CAP_WINDOW
    none = cap_status(0, [])
    assert none.over_cap and not none.accepts_requests and none.available_after is None
    assert effective_cap(None, 3) == 3 and effective_cap(0, 3) == 0 and effective_cap(7, 3) == 7
