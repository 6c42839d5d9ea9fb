"""Signing tells the waiting milestone's owner and channel (change feed); the add form; joining a project
whose data its agreements restrict to other organisations (the lead's Approve / Decline buttons).
All through the real Bolt path and the fake Slack Web API."""

from __future__ import annotations

import dataclasses
import json
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.agreements.tables import Agreement, AgreementProject, JoinRequest
from bot.clock import FixedClock
from bot.models import Membership, Person, Project
from bot.services import Services
from bot.slack import ids
from bot.slack.feed_blocks import FEED_EVENT_TYPE
from bot.slack.notifier import build_notifier
from jobs.feed import run_feed_tick
from tests.agreements.conftest import (
    ADMIN,
    BANERJEE,
    LENA,
    LINDQVIST,
    NAKAMURA,
    RAO,
    UPLIFT_CHANNEL,
    WONG,
    agreement,
)
from tests.fakes.driver import SlackDriver, buttons_of, message_text, opened_view, view_of
from tests.fakes.slack_api import FakeSlackApi

pytestmark = pytest.mark.usefixtures("demo")


def _feed_posts(slack_api: FakeSlackApi, channel: str) -> list[str]:
    return [
        message_text(m)
        for m in slack_api.messages(channel)
        if isinstance(m.get("metadata"), dict) and m["metadata"].get("event_type") == FEED_EVENT_TYPE
    ]


def test_signing_tells_the_owner_and_the_channel(
    slack: SlackDriver, slack_api: FakeSlackApi, services: Services, clock: FixedClock
) -> None:
    services.notifier = build_notifier(
        dataclasses.replace(services.settings, channel_posts_per_second=50.0), timeout=5
    )
    slack.command(NAKAMURA, "/agreement set-status dua-1 signed")

    run_feed_tick(services, now=clock.now())

    (post,) = _feed_posts(slack_api, UPLIFT_CHANNEL)
    assert "<@U07STNAKA> recorded `dua-1` as signed: `uplift-1`" in post and "no longer waits on it" in post
    (dm,) = _feed_posts(slack_api, RAO)
    assert "your milestone `uplift-1`" in dm and "`dua-1`" in dm
    run_feed_tick(services, now=clock.now())
    assert len(_feed_posts(slack_api, UPLIFT_CHANNEL)) == 1  # exactly once


def _form_values(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        ids.AGREEMENT_KIND_INPUT: {ids.AGREEMENT_KIND_INPUT: {"selected_option": {"value": "nda"}}},
        ids.AGREEMENT_TITLE_INPUT: {ids.AGREEMENT_TITLE_INPUT: {"value": "NDA <!channel> for geo holdouts"}},
        ids.AGREEMENT_PROJECTS_INPUT: {
            ids.AGREEMENT_PROJECTS_INPUT: {"selected_options": [{"value": "uplift"}]}
        },
        ids.AGREEMENT_PARTIES_INPUT: {
            ids.AGREEMENT_PARTIES_INPUT: {"value": "Northwind Retail, University of Edinburgh"}
        },
        ids.AGREEMENT_OWNER_INPUT: {ids.AGREEMENT_OWNER_INPUT: {"selected_user": RAO}},
        ids.AGREEMENT_STATUS_INPUT: {
            ids.AGREEMENT_STATUS_INPUT: {"selected_option": {"value": "negotiation"}}
        },
        ids.AGREEMENT_EXPIRES_INPUT: {ids.AGREEMENT_EXPIRES_INPUT: {"selected_date": "2027-06-30"}},
        ids.AGREEMENT_URL_INPUT: {
            ids.AGREEMENT_URL_INPUT: {"value": "https://contracts.example.org/nda-geo"}
        },
        ids.AGREEMENT_REVIEW_INPUT: {ids.AGREEMENT_REVIEW_INPUT: {"value": "21"}},
    }
    values.update(overrides)
    return values


def test_the_lead_records_an_agreement_with_the_form(
    slack: SlackDriver, session_factory: sessionmaker[Session]
) -> None:
    view = opened_view(slack.command(NAKAMURA, "/agreement add"))
    options = [
        o["value"]
        for b in view["blocks"]
        if b["block_id"] == ids.AGREEMENT_PROJECTS_INPUT
        for o in b["element"]["options"]
    ]
    assert options == ["uplift"]

    exchange = slack.submit(NAKAMURA, view, _form_values())

    assert exchange.status == 200 and json.loads(exchange.body or "{}").get("response_action") is None
    stored = agreement(session_factory, "nda-6")
    assert (stored.kind, stored.status, stored.publication_review_days) == ("nda", "negotiation", 21)
    assert stored.title == "NDA <!channel> for geo holdouts"
    (dm,) = exchange.of("chat.postMessage")
    assert "Recorded `nda-6`" in message_text(dm.params) and "&lt;!channel&gt;" in message_text(dm.params)
    assert "`nda-6`" in slack.command(RAO, "/agreement list uplift").reply_text


@pytest.mark.parametrize(
    ("override", "block"),
    [
        (
            {ids.AGREEMENT_URL_INPUT: {ids.AGREEMENT_URL_INPUT: {"value": "javascript:alert(1)"}}},
            ids.AGREEMENT_URL_INPUT,
        ),
        (
            {ids.AGREEMENT_REVIEW_INPUT: {ids.AGREEMENT_REVIEW_INPUT: {"value": "ten"}}},
            ids.AGREEMENT_REVIEW_INPUT,
        ),
        (
            {ids.AGREEMENT_REVIEW_INPUT: {ids.AGREEMENT_REVIEW_INPUT: {"value": "999"}}},
            ids.AGREEMENT_REVIEW_INPUT,
        ),
        (
            {ids.AGREEMENT_TITLE_INPUT: {ids.AGREEMENT_TITLE_INPUT: {"value": "  "}}},
            ids.AGREEMENT_TITLE_INPUT,
        ),
        (
            {ids.AGREEMENT_KIND_INPUT: {ids.AGREEMENT_KIND_INPUT: {"selected_option": {"value": "x"}}}},
            ids.AGREEMENT_KIND_INPUT,
        ),
        (
            {ids.AGREEMENT_PROJECTS_INPUT: {ids.AGREEMENT_PROJECTS_INPUT: {"selected_options": []}}},
            ids.AGREEMENT_PROJECTS_INPUT,
        ),
    ],
)
def test_bad_form_input_keeps_the_form_open(
    slack: SlackDriver, session_factory: sessionmaker[Session], override: dict[str, Any], block: str
) -> None:
    view = opened_view(slack.command(NAKAMURA, "/agreement add"))

    exchange = slack.submit(NAKAMURA, view, _form_values(**override))

    body = json.loads(exchange.body)
    assert body["response_action"] == "errors" and block in body["errors"]
    with session_factory() as session:
        assert session.scalars(select(Agreement).where(Agreement.key == "nda-6")).first() is None


def test_a_forged_submission_by_someone_else_is_refused(
    slack: SlackDriver, session_factory: sessionmaker[Session]
) -> None:
    view = opened_view(slack.command(NAKAMURA, "/agreement add"))

    exchange = slack.submit(LINDQVIST, view, _form_values())

    body = json.loads(exchange.body)
    assert (
        body["response_action"] == "errors"
        and "Only the lead" in body["errors"][ids.AGREEMENT_PROJECTS_INPUT]
    )
    with session_factory() as session:
        assert session.scalars(select(Agreement).where(Agreement.key == "nda-6")).first() is None


def _members(session_factory: sessionmaker[Session], key: str) -> set[str]:
    with session_factory() as session:
        return set(
            session.scalars(select(Person.slack_id).join(Membership).join(Project).where(Project.key == key))
        )


def test_joining_restricted_data_needs_the_leads_approval(
    slack: SlackDriver, session_factory: sessionmaker[Session], services: Services, clock: FixedClock
) -> None:
    exchange = slack.command(BANERJEE, "/project join pcm")

    assert "restricted by its agreements to members of Brightbid Ads, Northwind Retail" in exchange.reply_text
    assert BANERJEE not in _members(session_factory, "pcm")
    (ask,) = [c for c in exchange.of("chat.postMessage") if c.params["channel"] == WONG]
    approve, decline = buttons_of(
        ask.params["blocks"] if isinstance(ask.params["blocks"], list) else json.loads(ask.params["blocks"])
    )
    assert (approve["action_id"], decline["action_id"]) == (ids.JOIN_APPROVE_ACTION, ids.JOIN_DECLINE_ACTION)
    # Asking again tells the requester again, but does not ask the lead twice.
    again = slack.command(BANERJEE, "/project join pcm")
    assert "restricted" in again.reply_text and again.of("chat.postMessage") == []

    refused = slack.click(LINDQVIST, approve)
    assert "Only the lead of *pcm*" in refused.reply_text
    assert BANERJEE not in _members(session_factory, "pcm")

    approved = slack.click(WONG, approve)

    assert "was approved" in approved.reply_text and approved.reply.get("replace_original") is True
    assert BANERJEE in _members(session_factory, "pcm")
    (told,) = [c for c in approved.of("chat.postMessage") if c.params["channel"] == BANERJEE]
    assert "you are now a member" in message_text(told.params)
    assert "Already decided" in slack.click(WONG, decline).reply_text
    assert BANERJEE in _members(session_factory, "pcm")


def test_a_declined_requester_is_told_why(slack: SlackDriver, session_factory: sessionmaker[Session]) -> None:
    exchange = slack.command(BANERJEE, "/project join pcm")
    (ask,) = [c for c in exchange.of("chat.postMessage") if c.params["channel"] == WONG]
    blocks = (
        ask.params["blocks"] if isinstance(ask.params["blocks"], list) else json.loads(ask.params["blocks"])
    )
    decline = buttons_of(blocks)[1]

    declined = slack.click(ADMIN, decline)

    (told,) = [c for c in declined.of("chat.postMessage") if c.params["channel"] == BANERJEE]
    assert "declined" in message_text(told.params) and "restricted" in message_text(told.params)
    assert BANERJEE not in _members(session_factory, "pcm")
    with session_factory() as session:
        assert session.scalars(select(JoinRequest.status)).all() == ["declined"]


def test_asking_again_soon_after_a_decline_is_refused_without_asking_the_lead(
    slack: SlackDriver, session_factory: sessionmaker[Session], clock: FixedClock
) -> None:
    exchange = slack.command(BANERJEE, "/project join pcm")
    (ask,) = [c for c in exchange.of("chat.postMessage") if c.params["channel"] == WONG]
    blocks = (
        ask.params["blocks"] if isinstance(ask.params["blocks"], list) else json.loads(ask.params["blocks"])
    )
    slack.click(WONG, buttons_of(blocks)[1])  # Decline

    again = slack.command(BANERJEE, "/project join pcm")

    assert "was declined less than 7 days ago" in again.reply_text
    assert again.of("chat.postMessage") == []  # the lead is not asked again
    with session_factory() as session:
        assert session.scalars(select(JoinRequest.status)).all() == ["declined"]

    clock.advance(timedelta(days=8))  # a week later the question may be put again
    later = slack.command(BANERJEE, "/project join pcm")
    assert [c.params["channel"] for c in later.of("chat.postMessage")] == [WONG]


def test_members_of_an_allowed_organisation_join_at_once(
    slack: SlackDriver, session_factory: sessionmaker[Session]
) -> None:
    reply = slack.command(LENA, "/project join pcm").reply_text  # Brightbid Ads

    assert "You joined" in reply and LENA in _members(session_factory, "pcm")


def test_an_unsigned_agreement_restricts_nothing(
    slack: SlackDriver, session_factory: sessionmaker[Session]
) -> None:
    # dua-1 restricts uplift's data, but it is still in legal review.
    reply = slack.command(BANERJEE, "/project join uplift").reply_text

    assert "You joined" in reply and BANERJEE in _members(session_factory, "uplift")


def test_a_forged_join_button_is_refused(slack: SlackDriver) -> None:
    button = {"action_id": ids.JOIN_APPROVE_ACTION, "value": "12345"}

    assert "That request is gone" in slack.click(WONG, button).reply_text
    assert "That request is gone" in slack.click(WONG, {**button, "value": "x"}).reply_text


def test_projects_without_agreements_are_unaffected(session_factory: sessionmaker[Session]) -> None:
    with session_factory() as session:
        covered = set(session.scalars(select(AgreementProject.project_id)))
        assert session.scalars(select(Project.id).where(Project.key == "brandsafe")).one() not in covered


def _home(slack: SlackDriver, user: str) -> str:
    exchange = slack.event({"type": "app_home_opened", "user": user, "channel": "D1", "tab": "home"})
    (published,) = exchange.of("views.publish")
    return message_text({"view": view_of(published)})


def test_app_home_shows_the_agreements_i_own(slack: SlackDriver) -> None:
    home = _home(slack, RAO)

    assert "Your agreements" in home and "`dua-1`" in home and "legal review for 23 days" in home
    assert "Your agreements" not in _home(slack, LINDQVIST)
