"""`/agreement list|status|add|set-status|require` through the real Bolt path, with the demo alliance.

Every command with bad input gets a clear ephemeral message; private projects' agreements stay
invisible to non-members (said the same way as an unknown key); leads and admins edit.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.agreements.tables import AgreementStatusChange, MilestoneAgreement
from bot.models import AuditEntry
from tests.agreements.conftest import (
    ADMIN,
    BANERJEE,
    LENA,
    LINDQVIST,
    NAKAMURA,
    RAO,
    STEIN,
    WONG,
    agreement,
)
from tests.fakes.driver import SlackDriver

pytestmark = pytest.mark.usefixtures("demo")


def test_list_shows_what_the_asker_may_see(slack: SlackDriver) -> None:
    outsider = slack.command(LINDQVIST, "/agreement list").reply_text
    member = slack.command(LENA, "/agreement list").reply_text
    admin = slack.command(ADMIN, "/agreement list").reply_text

    for key in ("dua-1", "nda-2", "dsa-3", "ca-4"):
        assert f"`{key}`" in outsider
    assert "ra-5" not in outsider and "fairness audit" not in outsider
    assert "`ra-5`" in member and "`ra-5`" in admin


def test_list_of_one_project(slack: SlackDriver) -> None:
    reply = slack.command(RAO, "/agreement list pcm").reply_text

    assert "`nda-2`" in reply and "`dsa-3`" in reply
    assert "dua-1" not in reply and "ca-4" not in reply


def test_list_of_a_private_project_is_refused_to_non_members(slack: SlackDriver) -> None:
    reply = slack.command(LINDQVIST, "/agreement list fairdelivery").reply_text

    assert ":warning:" in reply and "ra-5" not in reply


def test_status_shows_the_whole_record(slack: SlackDriver) -> None:
    reply = slack.command(RAO, "/agreement status dua-1").reply_text

    assert "legal review for 23 days" in reply
    assert "Northwind Retail, University of Edinburgh" in reply
    assert "`uplift-1` waits on it" in reply
    assert "45 days" in reply and "contracts.example.org" in reply


def test_a_private_projects_agreement_reads_as_unknown(slack: SlackDriver) -> None:
    hidden = slack.command(LINDQVIST, "/agreement status ra-5").reply_text
    unknown = slack.command(LINDQVIST, "/agreement status ra-99").reply_text

    assert hidden.replace("ra-5", "KEY") == unknown.replace("ra-99", "KEY")
    assert "No agreement" in hidden and "fairness" not in hidden
    assert "negotiation" in slack.command(STEIN, "/agreement status ra-5").reply_text


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("/agreement frobnicate", "is not something I know"),
        ("/agreement list zzqx", "zzqx"),
        ("/agreement status dua-99", "No agreement `dua-99`"),
        ("/agreement require uplift-1 dua-99", "No agreement `dua-99`"),
        ("/agreement require uplift-99 dua-1", "No milestone `uplift-99`"),
        ("/agreement status", "Usage: `/agreement status KEY`"),
        ("/agreement status <!channel>", "is not an agreement key"),
        ("/agreement set-status dua-1", "Usage: `/agreement set-status KEY STATUS [DATE]`"),
        ("/agreement set-status dua-1 approved", "is not an agreement status"),
        ("/agreement set-status dua-1 signed 12/20", "2026-12-20"),
        ("/agreement set-status dua-1 signed 2026-12-25", "is in the future"),
        ("/agreement set-status dua-1 signed 2026-10-01", "cannot begin before that"),
        ("/agreement require uplift-1", "Usage: `/agreement require MILESTONE KEY`"),
        ("/agreement require nonsense dua-1", "is not a milestone id"),
        ("/agreement require pcm-3 dua-1", "Only the lead of *pcm*"),
        ("/agreement add now", "takes nothing after it"),
    ],
)
def test_bad_input_gets_a_clear_ephemeral_message(slack: SlackDriver, line: str, expected: str) -> None:
    exchange = slack.command(NAKAMURA, line)

    assert exchange.reply["response_type"] == "ephemeral"
    assert expected in exchange.reply_text
    assert "&lt;!channel&gt;" in exchange.reply_text or "<!channel>" not in exchange.reply_text


def test_require_refuses_an_agreement_not_covering_the_project(slack: SlackDriver) -> None:
    reply = slack.command(WONG, "/agreement require pcm-3 ca-4").reply_text

    assert "does not cover *pcm*" in reply


def test_help_lists_the_subcommands(slack: SlackDriver) -> None:
    reply = slack.command(RAO, "/agreement").reply_text

    for word in ("list", "status", "add", "set-status", "require"):
        assert f"/agreement {word}" in reply


def test_only_leads_and_admins_change_status(
    slack: SlackDriver, session_factory: sessionmaker[Session]
) -> None:
    refused = slack.command(RAO, "/agreement set-status dua-1 signed").reply_text

    assert "Only the lead of *uplift*" in refused
    assert agreement(session_factory, "dua-1").status == "legal_review"
    assert (
        "is now *negotiation*" in slack.command(ADMIN, "/agreement set-status dua-1 negotiation").reply_text
    )


def test_signing_releases_the_waiting_milestone(
    slack: SlackDriver, session_factory: sessionmaker[Session]
) -> None:
    before = slack.command(RAO, "/milestone show uplift-1").reply_text
    assert "waiting on `dua-1` (legal review, 23 days in this status)" in before

    reply = slack.command(NAKAMURA, "/agreement set-status dua-1 signed 2026-11-19").reply_text

    assert "is now *signed* (since 2026-11-19)" in reply and "`uplift-1`" in reply
    stored = agreement(session_factory, "dua-1")
    assert (stored.status, stored.status_since.isoformat()) == ("signed", "2026-11-19")
    with session_factory() as session:
        steps = session.scalars(
            select(AgreementStatusChange.status).where(AgreementStatusChange.agreement_id == stored.id)
        ).all()
        entries = session.scalars(select(AuditEntry).where(AuditEntry.action == "agreement_signed")).all()
    assert steps == ["legal_review", "signed"]
    assert [e.entity for e in entries] == ["milestone"]
    assert "waiting on" not in slack.command(RAO, "/milestone show uplift-1").reply_text
    again = slack.command(NAKAMURA, "/agreement set-status dua-1 signed").reply_text
    assert "already signed" in again
    listed = slack.command(RAO, "/agreement list uplift").reply_text
    assert (
        "signed on 2026-11-19" in listed
        and "required by `uplift-1`" in listed
        and "waits on it" not in listed
    )


def test_project_status_shows_what_milestones_wait_on(slack: SlackDriver) -> None:
    reply = slack.command(NAKAMURA, "/project status uplift").reply_text

    assert "waiting on `dua-1` (legal review, 23 days in this status)" in reply


def test_require_makes_a_milestone_wait(slack: SlackDriver, session_factory: sessionmaker[Session]) -> None:
    reply = slack.command(NAKAMURA, "/agreement require uplift-3 dua-1").reply_text

    assert "`uplift-3`" in reply and "waiting on `dua-1` (legal review, 23 days in this status)" in reply
    assert "Already" in slack.command(NAKAMURA, "/agreement require uplift-3 DUA-1").reply_text
    with session_factory() as session:
        assert len(session.scalars(select(MilestoneAgreement)).all()) == 2
    assert "waiting on `dua-1`" in slack.command(RAO, "/milestone list uplift").reply_text


def test_a_non_lead_cannot_open_the_form(slack: SlackDriver) -> None:
    exchange = slack.command(LINDQVIST, "/agreement add")

    assert "You lead no active project" in exchange.reply_text
    assert exchange.of("views.open") == []


def test_banerjee_is_not_shown_private_keys_in_errors(slack: SlackDriver) -> None:
    reply = slack.command(BANERJEE, "/agreement require bidshade-2 ra-5").reply_text

    assert "No agreement `ra-5`" in reply
