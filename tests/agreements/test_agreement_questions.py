"""Plain-language questions about agreements (`/ask`), with the register's privacy rules."""

from __future__ import annotations

import pytest

from tests.agreements.conftest import LENA, LINDQVIST, RAO
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
