"""/profile through signed requests → Bolt → fake Slack Web API: show, view others, edit by modal."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from bot.experts.profile_version import profiles_version
from bot.models import AuditEntry, ExpertVisibility, Person, Sector, Workspace
from bot.slack import ids
from tests.fakes.driver import Exchange, SlackDriver, buttons_of, message_text, opened_view
from tests.fakes.slack_api import RESPONSE_URL_METHOD

pytestmark = pytest.mark.usefixtures("demo")

OSEI = "U01MLOSEI"  # Kwame Osei, listed, two publications
BANERJEE = "U02ECBANE"
DUBOIS = "U05PLDUBO"  # Prof. Camille Dubois: made hidden where a test needs it
ADMIN = "U0ADMIN"  # in LIAISON_ADMINS, not in the directory
OUTSIDER = "U9NOBODY"  # a Slack user Liaison has never seen
OSEI_EXPERTISE = "Reinforcement learning for budget pacing"
OSEI_PAPER_1 = "Off-policy evaluation of bidding agents from auction logs"
OSEI_PAPER_2 = "Thompson sampling for creative rotation under budget constraints"
DUBOIS_SECRETS = ("consent management platforms", "cookie walls", "Digital Services Act")


# -- helpers ----------------------------------------------------------------------------------------


def _everything_sent(exchange: Exchange) -> str:
    """Every byte the bot sent to Slack for one request, for "never appears" assertions."""
    return json.dumps([c.params for c in exchange.calls], ensure_ascii=False) + exchange.body


def _person(session: Session, slack_id: str) -> Person:
    return session.scalars(select(Person).where(Person.slack_id == slack_id)).one()


def _version(session_factory: sessionmaker[Session]) -> int:
    with session_factory() as session:
        workspace_id = session.scalars(select(Workspace.id)).one()
        return profiles_version(session, workspace_id)


def _audit_count(session_factory: sessionmaker[Session]) -> int:
    with session_factory() as session:
        return (
            session.scalar(
                select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "edit_profile")
            )
            or 0
        )


def _hide(session_factory: sessionmaker[Session], slack_id: str) -> None:
    with session_factory.begin() as session:
        session.execute(
            update(Person)
            .where(Person.slack_id == slack_id)
            .values(expert_visibility=ExpertVisibility.HIDDEN)
        )


def _form(view: dict[str, Any], **changes: str | None) -> dict[str, dict[str, dict[str, Any]]]:
    """The modal's `state.values` as Slack would send them: what it was opened with, plus `changes`.

    Text and number inputs take the new text (None: left empty); selects and radio buttons take the
    chosen option's value.
    """
    values: dict[str, dict[str, dict[str, Any]]] = {}
    for block in view["blocks"]:
        if block.get("type") != "input":
            continue
        block_id, element = block["block_id"], block["element"]
        kind = element["type"]
        state: dict[str, Any] = {"type": kind}
        if kind in ("plain_text_input", "number_input"):
            state["value"] = changes[block_id] if block_id in changes else element.get("initial_value")
        else:
            chosen = element.get("initial_option")
            if block_id in changes:
                chosen = next(o for o in element["options"] if o["value"] == changes[block_id])
            state["selected_option"] = chosen
        values[block_id] = {block_id: state}
    return values


def _errors(exchange: Exchange) -> dict[str, str]:
    body = json.loads(exchange.body)
    assert body["response_action"] == "errors", body
    errors: dict[str, str] = body["errors"]
    return errors


# -- showing ----------------------------------------------------------------------------------------


def test_own_profile_shows_every_field_settings_and_an_edit_button(slack: SlackDriver) -> None:
    reply = slack.command(OSEI, "/profile")

    assert reply.reply["response_type"] == "ephemeral"
    text = reply.reply_text
    for expected in (
        "Kwame Osei",
        "Research Scientist · Machine learning · Brightbid Ads · industry",
        OSEI_EXPERTISE,
        OSEI_PAPER_1,
        OSEI_PAPER_2,
        "*Listed*",
        "at most 3 intro requests a week (the workspace default)",
    ):
        assert expected in text, expected
    assert [b["action_id"] for b in reply.buttons()] == [ids.PROFILE_EDIT_ACTION]
    assert len(reply.reply["blocks"]) <= 50


@pytest.mark.parametrize(
    "line",
    [
        "/profile @Kwame Osei",
        "/profile @kwame",
        "/profile @kwame.osei",
        f"/profile <@{OSEI}|kwame>",
        f"/profile {OSEI}",
        "/profile show kwame osei",
    ],
)
def test_listed_colleague_profile_shows_texts_but_not_settings(slack: SlackDriver, line: str) -> None:
    reply = slack.command(BANERJEE, line)

    text = reply.reply_text
    assert reply.reply["response_type"] == "ephemeral"
    assert "Kwame Osei" in text and OSEI_EXPERTISE in text and OSEI_PAPER_2 in text
    assert "intro request" not in text and "Listed" not in text
    assert not reply.buttons()


@pytest.mark.parametrize("viewer", [OSEI, ADMIN, OUTSIDER])
def test_hidden_colleague_texts_never_reach_slack(
    slack: SlackDriver, session_factory: sessionmaker[Session], viewer: str
) -> None:
    _hide(session_factory, DUBOIS)

    exchange = slack.command(viewer, "/profile @Camille Dubois")

    text = exchange.reply_text
    assert "Prof. Camille Dubois keeps their profile private" in text
    assert "Professor of Information Law" in text and "Université de Lille" in text
    sent = _everything_sent(exchange)
    for secret in DUBOIS_SECRETS:
        assert secret not in sent, secret
    # Nobody may edit it; an admin may only set its last day (tests/handlers/test_profile_until.py).
    expected = [ids.PROFILE_UNTIL_ACTION] if viewer == ADMIN else []
    assert [b["action_id"] for b in exchange.buttons()] == expected


def test_hidden_profile_is_shown_in_full_to_its_owner(
    slack: SlackDriver, session_factory: sessionmaker[Session]
) -> None:
    _hide(session_factory, DUBOIS)

    text = slack.command(DUBOIS, "/profile").reply_text

    assert "consent management platforms" in text and "cookie walls" in text
    assert "*Hidden*" in text and "keeps their profile private" not in text


def test_user_text_in_a_profile_is_escaped(
    slack: SlackDriver, session_factory: sessionmaker[Session]
) -> None:
    with session_factory.begin() as session:
        person = _person(session, OSEI)
        person.title = "<!channel> & <@U0HACKER>"
        person.expertise = "Pings <!here> nobody"

    exchange = slack.command(BANERJEE, "/profile @kwame")

    sent = _everything_sent(exchange)
    assert "<!channel>" not in sent and "<!here>" not in sent and "<@U0HACKER>" not in sent
    assert "&lt;!channel&gt; &amp; &lt;@U0HACKER&gt;" in exchange.reply_text


def test_long_expertise_stays_within_slack_limits_and_is_not_offered_for_editing(
    slack: SlackDriver, session_factory: sessionmaker[Session]
) -> None:
    long_text = "Auctions & bidding. " * 250  # 5,000 characters, longer once escaped
    with session_factory.begin() as session:
        _person(session, OSEI).expertise = long_text.strip()

    reply = slack.command(OSEI, "/profile").reply
    assert all(len(b["text"]["text"]) <= 3000 for b in reply["blocks"] if b["type"] == "section")

    view = opened_view(slack.command(OSEI, "/profile edit"))
    assert ids.EXPERTISE_INPUT not in {b.get("block_id") for b in view["blocks"]}
    assert "kept as it is" in message_text({"view": view})
    saved = slack.submit(OSEI, view, _form(view, title="Senior Research Scientist"))
    assert saved.body == ""
    with session_factory() as session:
        person = _person(session, OSEI)
        assert person.expertise == long_text.strip() and person.title == "Senior Research Scientist"


def test_unknown_person_gets_a_clear_not_found(slack: SlackDriver) -> None:
    reply = slack.command(OSEI, "/profile @Zebulon Quartermaine")

    assert reply.reply["response_type"] == "ephemeral"
    assert "Nobody called “Zebulon Quartermaine” is in Liaison's directory" in reply.reply_text
    assert not reply.of("views.open")


def test_slack_user_unknown_to_liaison_is_told_how_to_be_added(slack: SlackDriver) -> None:
    for line in ("/profile", "/profile edit"):
        exchange = slack.command(OUTSIDER, line)
        text = exchange.reply_text
        assert "not in Liaison's directory yet" in text and "liaison import" in text
        assert "/project join" in text
        assert not exchange.of("views.open")


def test_unknown_subcommand_answers_with_usage(slack: SlackDriver) -> None:
    for line in ("/profile frobnicate", "/profile edit @kwame"):
        exchange = slack.command(OSEI, line)
        assert [c.method for c in exchange.calls] == [RESPONSE_URL_METHOD]
        assert exchange.reply["response_type"] == "ephemeral"
        assert "/profile edit" in exchange.reply_text and "/profile @someone" in exchange.reply_text
    assert "is not a /profile command" in slack.command(OSEI, "/profile frobnicate").reply_text


def test_help_lists_usage(slack: SlackDriver) -> None:
    text = slack.command(OSEI, "/profile help").reply_text

    for usage in ("`/profile`", "`/profile edit`", "`/profile @someone`", "*hidden*"):
        assert usage in text


# -- editing ----------------------------------------------------------------------------------------


def test_edit_opens_a_modal_prefilled_with_my_profile(slack: SlackDriver) -> None:
    exchange = slack.command(OSEI, "/profile edit")

    view = opened_view(exchange)
    assert exchange.of("views.open")[0].params["trigger_id"]
    assert view["callback_id"] == ids.PROFILE_MODAL and len(view["title"]["text"]) <= 24
    elements = {b["block_id"]: b["element"] for b in view["blocks"] if b["type"] == "input"}
    assert elements[ids.PROFILE_TITLE_INPUT]["initial_value"] == "Research Scientist"
    assert elements[ids.EXPERTISE_INPUT]["multiline"] is True
    assert elements[ids.PUBLICATIONS_INPUT]["initial_value"] == f"{OSEI_PAPER_1}\n{OSEI_PAPER_2}"
    assert elements[ids.SECTOR_INPUT]["type"] == "static_select"
    assert elements[ids.SECTOR_INPUT]["initial_option"]["value"] == "industry"
    assert elements[ids.VISIBILITY_INPUT]["type"] == "radio_buttons"
    assert elements[ids.VISIBILITY_INPUT]["initial_option"]["value"] == "listed"
    assert elements[ids.CAP_INPUT]["type"] == "number_input"
    assert elements[ids.CAP_INPUT]["placeholder"]["text"] == "Workspace default: 3"
    assert "initial_value" not in elements[ids.CAP_INPUT]
    assert len(view["blocks"]) <= 100


def test_edit_button_opens_the_modal_for_whoever_clicks(slack: SlackDriver) -> None:
    button = slack.command(OSEI, "/profile").buttons()[0]

    view = opened_view(slack.click(OSEI, button))

    assert view["callback_id"] == ids.PROFILE_MODAL
    assert json.loads(view["private_metadata"]) == {"opened_by": OSEI}


def test_edit_round_trip_saves_keeps_abstracts_and_bumps_version_only_on_change(
    slack: SlackDriver, session_factory: sessionmaker[Session]
) -> None:
    with session_factory.begin() as session:
        _person(session, OSEI).publications[0].abstract = "We evaluate bidding policies offline."
    version = _version(session_factory)
    view = opened_view(slack.command(OSEI, "/profile edit"))

    saved = slack.submit(
        OSEI,
        view,
        _form(
            view,
            title="Senior Research Scientist",
            organisation="Brightbid Ads Research",
            sector="academia",
            expertise="Bandits, budget pacing and off-policy evaluation.",
            # Reordered, one dropped, one new; a bullet and blank lines are tolerated.
            publications=f"Pacing with dual gradients\n\n• {OSEI_PAPER_1}\n",
            weekly_request_cap="5",
        ),
    )

    assert saved.status == 200 and saved.body == ""  # the modal closes
    dm = saved.of("chat.postMessage")
    assert len(dm) == 1 and dm[0].params["channel"] == OSEI
    confirmation = message_text(dm[0].params)
    assert "Saved your profile (changed: title, organisation, sector, expertise, publications" in confirmation
    assert "weekly request cap" in confirmation
    with session_factory() as session:
        person = _person(session, OSEI)
        assert person.title == "Senior Research Scientist"
        assert person.organisation == "Brightbid Ads Research"
        assert person.sector == Sector.ACADEMIA
        assert person.expertise == "Bandits, budget pacing and off-policy evaluation."
        assert person.weekly_request_cap == 5
        assert person.discipline == "Machine learning"  # untouched
        assert [(p.position, p.title, p.abstract) for p in person.publications] == [
            (0, "Pacing with dual gradients", None),
            (1, OSEI_PAPER_1, "We evaluate bidding policies offline."),
        ]
        audit = session.scalars(select(AuditEntry).where(AuditEntry.action == "edit_profile")).one()
        assert audit.actor == OSEI and audit.entity == "person" and audit.entity_id == person.id
        detail = json.loads(audit.detail)
        assert detail["title"] == {"before": "Research Scientist", "after": "Senior Research Scientist"}
        assert "publications" in detail["changed"]
    assert _version(session_factory) == version + 1

    # The same form saved again changes nothing: no version bump, no audit entry, and it says so.
    reopened = opened_view(slack.command(OSEI, "/profile edit"))
    again = slack.submit(OSEI, reopened, _form(reopened))
    assert again.body == ""
    assert "Nothing changed" in message_text(again.of("chat.postMessage")[0].params)
    assert _version(session_factory) == version + 1
    assert _audit_count(session_factory) == 1
    with session_factory() as session:
        abstracts = [p.abstract for p in _person(session, OSEI).publications]
        assert abstracts == [None, "We evaluate bidding policies offline."]


def test_resaving_text_that_slack_trims_is_not_a_change(
    slack: SlackDriver, session_factory: sessionmaker[Session]
) -> None:
    # Imported texts may carry spacing a Slack input trims or that the form normalises.
    with session_factory.begin() as session:
        person = _person(session, OSEI)
        person.title = " Research  Scientist"
        person.expertise = person.expertise + "\n"
        person.publications[1].title = OSEI_PAPER_2.replace(" ", "  ")
    version = _version(session_factory)
    view = opened_view(slack.command(OSEI, "/profile edit"))
    values = _form(view)
    for block_id in (ids.PROFILE_TITLE_INPUT, ids.EXPERTISE_INPUT):
        state = values[block_id][block_id]
        state["value"] = state["value"].strip()

    saved = slack.submit(OSEI, view, values)

    assert "Nothing changed" in message_text(saved.of("chat.postMessage")[0].params)
    assert _version(session_factory) == version
    with session_factory() as session:
        assert _person(session, OSEI).title == " Research  Scientist"


def test_clearing_the_cap_returns_to_the_workspace_default(
    slack: SlackDriver, session_factory: sessionmaker[Session]
) -> None:
    with session_factory.begin() as session:
        _person(session, OSEI).weekly_request_cap = 7
    view = opened_view(slack.command(OSEI, "/profile edit"))
    cap = next(b for b in view["blocks"] if b.get("block_id") == ids.CAP_INPUT)
    assert cap["element"]["initial_value"] == "7"

    slack.submit(OSEI, view, _form(view, weekly_request_cap=None))

    with session_factory() as session:
        assert _person(session, OSEI).weekly_request_cap is None
    assert "the workspace default" in slack.command(OSEI, "/profile").reply_text


def test_hiding_my_profile_through_the_form_hides_my_texts_from_colleagues(
    slack: SlackDriver, session_factory: sessionmaker[Session]
) -> None:
    version = _version(session_factory)
    view = opened_view(slack.command(OSEI, "/profile edit"))

    saved = slack.submit(OSEI, view, _form(view, visibility="hidden"))

    assert "You are now *hidden*" in message_text(saved.of("chat.postMessage")[0].params)
    with session_factory() as session:
        assert _person(session, OSEI).expert_visibility == ExpertVisibility.HIDDEN
    assert _version(session_factory) == version + 1
    colleague = slack.command(BANERJEE, "/profile @kwame")
    assert "Kwame Osei keeps their profile private" in colleague.reply_text
    assert OSEI_EXPERTISE not in _everything_sent(colleague)


def test_invalid_fields_keep_the_modal_open_with_errors_and_change_nothing(
    slack: SlackDriver, session_factory: sessionmaker[Session]
) -> None:
    version = _version(session_factory)
    view = opened_view(slack.command(OSEI, "/profile edit"))

    rejected = slack.submit(
        OSEI,
        view,
        _form(
            view,
            title="x" * 201,
            discipline="Economics",  # valid, but nothing is saved when any field is wrong
            publications=f"{OSEI_PAPER_1}\n{OSEI_PAPER_1.upper()}",
            weekly_request_cap="101",
        ),
    )

    errors = _errors(rejected)
    assert set(errors) == {ids.PROFILE_TITLE_INPUT, ids.PUBLICATIONS_INPUT, ids.CAP_INPUT}
    assert "at most 200 characters" in errors[ids.PROFILE_TITLE_INPUT]
    assert "listed twice" in errors[ids.PUBLICATIONS_INPUT]
    assert "0 to 100" in errors[ids.CAP_INPUT]
    assert not rejected.of("chat.postMessage")
    with session_factory() as session:
        person = _person(session, OSEI)
        assert person.title == "Research Scientist" and person.discipline == "Machine learning"
    assert _version(session_factory) == version
    assert _audit_count(session_factory) == 0


def test_forged_submission_cannot_change_someone_elses_profile(
    slack: SlackDriver, session_factory: sessionmaker[Session]
) -> None:
    # Osei's form, submitted by Banerjee: refused outright, nobody's profile changes.
    view = opened_view(slack.command(OSEI, "/profile edit"))
    forged = slack.submit(BANERJEE, view, _form(view, title="Hijacked"))
    assert "opened for someone else" in _errors(forged)[ids.PROFILE_TITLE_INPUT]

    # With the metadata rewritten to pass as Banerjee's own form (or dropped), the edit can only ever
    # land on the submitter's own profile; Osei's stays as it was.
    for metadata in (json.dumps({"opened_by": BANERJEE}), "", "not json", json.dumps({"person_id": 1})):
        tampered = {**view, "private_metadata": metadata}
        assert slack.submit(BANERJEE, tampered, _form(view, title="Hijacked")).body == ""
    with session_factory() as session:
        assert _person(session, OSEI).title == "Research Scientist"
        assert _person(session, BANERJEE).title == "Hijacked"
        audits = session.scalars(select(AuditEntry).where(AuditEntry.action == "edit_profile")).all()
        assert {a.actor for a in audits} == {BANERJEE}
        assert {a.entity_id for a in audits} == {_person(session, BANERJEE).id}


def test_submission_by_a_user_unknown_to_liaison_is_refused(
    slack: SlackDriver, session_factory: sessionmaker[Session]
) -> None:
    view = opened_view(slack.command(OSEI, "/profile edit"))
    tampered = {**view, "private_metadata": json.dumps({"opened_by": OUTSIDER})}

    refused = slack.submit(OUTSIDER, tampered, _form(view, title="Ghost"))

    assert "not in Liaison's directory" in _errors(refused)[ids.PROFILE_TITLE_INPUT]
    with session_factory() as session:
        assert session.scalars(select(Person).where(Person.slack_id == OUTSIDER)).first() is None
        assert session.scalars(select(Person).where(Person.title == "Ghost")).first() is None


def test_edit_button_value_is_not_trusted(slack: SlackDriver) -> None:
    button = {**slack.command(OSEI, "/profile").buttons()[0], "value": BANERJEE}

    view = opened_view(slack.click(OSEI, button))

    title = next(b for b in view["blocks"] if b.get("block_id") == ids.PROFILE_TITLE_INPUT)
    assert title["element"]["initial_value"] == "Research Scientist"  # Osei's, not Banerjee's
    assert buttons_of(slack.command(BANERJEE, "/profile @kwame").reply["blocks"]) == []
