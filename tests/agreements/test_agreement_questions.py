"""Plain-language questions about agreements (`/ask`), with the register's privacy rules."""

from __future__ import annotations

import pytest

from tests.agreements.conftest import BANERJEE, LENA, LINDQVIST, NAKAMURA, RAO, WONG
from tests.fakes.driver import SlackDriver

pytestmark = pytest.mark.usefixtures("demo")


def test_is_the_data_agreement_signed(slack: SlackDriver) -> None:
    reply = slack.command(RAO, "/ask is the data agreement for uplift signed?").reply_text

    assert "`dua-1`" in reply and "*not signed*: legal review for 23 days" in reply
    assert "nda-2" not in reply


def test_which_agreements_expire_this_quarter(slack: SlackDriver) -> None:
    reply = slack.command(RAO, "/ask which agreements expire this quarter?").reply_text

    assert "by 2026-12-31" in reply and "`nda-2`" in reply and "expires 2026-12-15" in reply
    assert "dsa-3" not in reply and "ca-4" not in reply


def test_a_key_is_answered_only_when_visible(slack: SlackDriver) -> None:
    member = slack.command(LENA, "/ask is ra-5 signed?").reply_text
    outsider = slack.command(LINDQVIST, "/ask is the research agreement ra-5 signed?").reply_text

    assert "`ra-5`" in member and "negotiation" in member
    assert "fairness" not in outsider and "negotiation" not in outsider


def test_other_questions_are_untouched(slack: SlackDriver) -> None:
    reply = slack.command(RAO, "/ask what is overdue on uplift?").reply_text

    assert "uplift-1" in reply and "Agreements" not in reply


def test_answers_about_a_milestone_say_what_it_waits_on(slack: SlackDriver) -> None:
    reply = slack.command(RAO, "/ask when is uplift-1 due?").reply_text

    assert "waiting on dua-1 (legal review, 23 days in this status)" in reply


@pytest.mark.parametrize(
    "question",
    [
        "which agreements are not signed yet?",
        "which agreements are still being negotiated?",
        "any agreements pending?",
        "what agreements are in legal review",
    ],
)
def test_a_status_in_the_question_filters_the_agreements(slack: SlackDriver, question: str) -> None:
    reply = slack.command(BANERJEE, f"/ask {question}").reply_text

    # dua-1 is in legal review; nda-2, dsa-3 and ca-4 are signed (ra-5 is private to fairdelivery).
    assert "`dua-1`" in reply
    assert not any(key in reply for key in ("nda-2", "dsa-3", "ca-4", "ra-5"))


def test_every_agreement_in_an_answer_names_its_owner(slack: SlackDriver) -> None:
    reply = slack.command(BANERJEE, "/ask who owns the NDA?").reply_text

    assert "`nda-2`" in reply and f"owner <@{WONG}>" in reply


def test_an_unknown_and_a_private_agreement_key_get_the_same_answer(slack: SlackDriver) -> None:
    unknown = slack.command(LINDQVIST, "/ask is zz-9 signed?").reply_text
    private = slack.command(LINDQVIST, "/ask is ra-5 signed?").reply_text

    assert "Agreements named zz-9: none that you can see." in unknown
    assert private == unknown.replace("zz-9", "ra-5")


@pytest.mark.parametrize("question", ["what's {key}", "whats {key}?", "tell me about {key}"])
def test_a_key_asked_about_alone_is_answered_as_an_agreement_the_same_way_when_hidden(
    slack: SlackDriver, question: str
) -> None:
    unknown = slack.command(LINDQVIST, "/ask " + question.format(key="zz-9")).reply_text
    private = slack.command(LINDQVIST, "/ask " + question.format(key="ra-5")).reply_text

    assert "Milestones or agreements named zz-9: none that you can see." in unknown
    assert private == unknown.replace("zz-9", "ra-5")
    # A milestone's ref stays a milestone question.
    assert "Legal basis memo" in slack.command(LINDQVIST, "/ask " + question.format(key="pcm-2")).reply_text


@pytest.mark.parametrize("question", ["any agreements for this project?", "agreements here?"])
def test_this_project_in_a_projects_channel_is_that_project(slack: SlackDriver, question: str) -> None:
    in_pcm = slack.command(WONG, f"/ask {question}", channel="C1PCM").reply_text
    elsewhere = slack.command(WONG, f"/ask {question}").reply_text

    assert "Agreements for Privacy-preserving conversion measurement" in in_pcm
    assert "`nda-2`" in in_pcm and "`dsa-3`" in in_pcm and "`dua-1`" not in in_pcm
    assert "`dua-1`" in elsewhere  # no channel project: every agreement Wong may see


@pytest.mark.parametrize(
    ("question", "keys"),
    [
        ("any agreements with northwind?", {"dua-1", "nda-2", "dsa-3"}),
        ("which agreements involve brightbid", {"nda-2", "dsa-3", "ca-4"}),
        ("agreements with eth zurich", {"nda-2"}),
        ("contracts signed with the university of leiden?", {"ca-4"}),
    ],
)
def test_an_organisation_named_keeps_the_agreements_it_is_a_party_to(
    slack: SlackDriver, question: str, keys: set[str]
) -> None:
    reply = slack.command(BANERJEE, f"/ask {question}").reply_text

    listed = {key for key in ("dua-1", "nda-2", "dsa-3", "ca-4", "ra-5") if f"`{key}`" in reply}
    assert listed == keys


def test_an_organisation_only_a_hidden_agreement_names_is_told_as_one_no_agreement_names(
    slack: SlackDriver,
) -> None:
    oxford = slack.command(BANERJEE, "/ask any agreements with oxford?").reply_text
    nobody = slack.command(BANERJEE, "/ask any agreements with zorbulon?").reply_text

    assert "Agreements with oxford: none that you can see." in oxford
    assert nobody == oxford.replace("oxford", "zorbulon")
    assert "`ra-5`" in slack.command(LENA, "/ask any agreements with oxford?").reply_text


@pytest.mark.parametrize(
    ("question", "kept", "left_out"),
    [
        ("which agreements expire next year?", ["dsa-3", "by 2027-12-31"], ["nda-2", "ca-4"]),
        ("which agreements expire in 2027?", ["dsa-3", "expiring in 2027"], ["nda-2", "ca-4"]),
        ("which agreements expire before 2030?", ["nda-2", "dsa-3", "ca-4", "by 2029-12-31"], []),
        ("any agreements expiring next month?", ["nda-2", "by 2026-12-31"], ["dsa-3", "ca-4"]),
        ("which agreements expire this year?", ["nda-2"], ["dsa-3", "ca-4"]),
    ],
)
def test_a_year_or_the_next_period_in_an_expiry_question(
    slack: SlackDriver, question: str, kept: list[str], left_out: list[str]
) -> None:
    reply = slack.command(BANERJEE, f"/ask {question}").reply_text

    assert all(word in reply for word in kept), reply
    assert not any(f"`{key}`" in reply for key in left_out), reply


@pytest.mark.parametrize(
    "question",
    [
        "which agreements do I own?",
        "what agreements are waiting on me?",
        "which of my agreements are stalled?",
    ],
)
def test_agreements_of_the_asker(slack: SlackDriver, question: str) -> None:
    reply = slack.command(RAO, f"/ask {question}").reply_text

    assert "owned by you" in reply and "`dua-1`" in reply
    assert "nda-2" not in reply and "ca-4" not in reply


def test_agreements_someone_named_owns(slack: SlackDriver) -> None:
    owned = slack.command(BANERJEE, "/ask which agreements is Priya responsible for?").reply_text
    none = slack.command(BANERJEE, "/ask which agreements does Rebecca own?").reply_text

    assert "owned by Priya Rao" in owned and "`dua-1`" in owned and "nda-2" not in owned
    # Rebecca owns only ra-5, of a project Ingrid cannot see: told as owning none.
    assert "owned by Prof. Rebecca Stein: none that you can see" in none and "ra-5" not in none


def test_stuck_agreements_are_the_unsigned_ones(slack: SlackDriver) -> None:
    reply = slack.command(BANERJEE, "/ask which agreements are stuck?").reply_text

    assert "`dua-1`" in reply and "`nda-2`" not in reply and "`ca-4`" not in reply


def test_the_review_window_before_publication_of_a_project(slack: SlackDriver) -> None:
    fatigue = slack.command(BANERJEE, "/ask what's the pre-publication review window for fatigue?").reply_text
    pcm = slack.command(WONG, "/ask what's the review window for pcm?").reply_text

    assert "Partners' review before publication" in fatigue and "ca-4: 30 days" in fatigue
    assert "dsa-3: 60 days" in pcm and "nda-2: 30 days" in pcm and "the longest, 60 days, applies" in pcm


def test_a_project_nobody_can_see_is_said_back_the_same_way_as_a_hidden_one(slack: SlackDriver) -> None:
    nobody = slack.command(BANERJEE, "/ask which agreements cover zorbulon?").reply_text
    hidden = slack.command(BANERJEE, "/ask which agreements cover fairdelivery?").reply_text
    member = slack.command(LENA, "/ask which agreements cover fairdelivery?").reply_text

    assert "Agreements for zorbulon: none that you can see." in nobody
    assert hidden == nobody.replace("zorbulon", "fairdelivery")
    assert "`ra-5`" in member and "`ca-4`" not in member


@pytest.mark.parametrize(
    ("question", "keys"),
    [
        ("which agreements cover brand safety?", set()),
        ("any agreements for conversion measurement?", {"nda-2", "dsa-3"}),
        ("ndas for the creative fatigue project", set()),
    ],
)
def test_a_project_named_in_part_narrows_the_agreements_to_it(
    slack: SlackDriver, question: str, keys: set[str]
) -> None:
    reply = slack.command(WONG, f"/ask {question}").reply_text

    listed = {key for key in ("dua-1", "nda-2", "dsa-3", "ca-4", "ra-5") if f"`{key}`" in reply}
    assert listed == keys, reply
    assert "Agreements for " in reply


@pytest.mark.parametrize(
    ("question", "heading"),
    [
        ("which agreements are waiting on lena?", "owned by Lena Kovalenko"),
        ("which agreements are up for renewal?", "expiring"),
        ("any agreements on hold?", "not signed yet"),
    ],
)
def test_a_person_or_a_status_at_the_end_is_not_taken_for_a_project(
    slack: SlackDriver, question: str, heading: str
) -> None:
    reply = slack.command(RAO, f"/ask {question}").reply_text

    assert heading in reply and "Agreements for " not in reply, reply


@pytest.mark.parametrize("question", ["what's the status of ra-5", "how is ra-5 going?"])
def test_a_hidden_key_asked_about_in_other_words_is_told_as_unknown(
    slack: SlackDriver, question: str
) -> None:
    outsider = slack.command(WONG, f"/ask {question}").reply_text
    nobody = slack.command(WONG, f"/ask {question.replace('ra-5', 'zz-9')}").reply_text

    assert "Milestones or agreements named ra-5: none that you can see." in outsider
    assert "Answering for" not in outsider and "pcm" not in outsider
    assert outsider == nobody.replace("zz-9", "ra-5")


@pytest.mark.parametrize(
    ("question", "said_first"),
    [
        ("is dua-1 signed?", "No, not signed yet"),
        ("is the nda signed?", "Yes, signed"),
        ("has the northwind DUA been signed?", "No, not signed yet"),
        ("are the data agreements signed?", "1 of 2 signed"),
    ],
)
def test_whether_signed_is_answered_yes_or_no_first(
    slack: SlackDriver, question: str, said_first: str
) -> None:
    reply = slack.command(RAO, f"/ask {question}").reply_text

    assert reply.lstrip("*").startswith(said_first), reply


def test_my_projects_agreements_are_those_of_the_askers_projects(slack: SlackDriver) -> None:
    reply = slack.command(NAKAMURA, "/ask what agreements apply to my project?").reply_text

    assert "`dua-1`" in reply and "`nda-2`" not in reply and "`ca-4`" not in reply


@pytest.mark.parametrize(
    ("question", "key"),
    [
        ("when does the clean-room DSA expire?", "dsa-3"),  # expires 2027-09-28, past any default window
        ("has the clean room agreement been signed?", "dsa-3"),
        ("when does the nda expire?", "nda-2"),
    ],
)
def test_an_agreement_named_by_its_title_or_kind_is_answered_alone(
    slack: SlackDriver, question: str, key: str
) -> None:
    reply = slack.command(WONG, f"/ask {question}").reply_text

    listed = {k for k in ("dua-1", "nda-2", "dsa-3", "ca-4") if f"`{k}`" in reply}
    assert listed == {key}, reply
    assert "none that you can see" not in reply
