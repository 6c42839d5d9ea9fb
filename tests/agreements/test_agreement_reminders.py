"""Agreement reminders through the scheduler's tick (jobs/agreements.py) and the fake Slack API: expiry
(the latest passed one only, then on the day at 09:00 local), the stale-status nudge and its escalation
to the leads, exactly once, cancelled when the agreement moves on."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from bot.agreements.tables import AgreementReminder
from bot.db import make_session_factory
from bot.services import Services
from bot.settings import Settings, SettingsError
from jobs.agreements import AGREEMENT_JOB_ID, send_agreement_notices
from jobs.scheduler import build_scheduler
from tests.agreements.conftest import NAKAMURA, RAO, STEIN, WONG
from tests.conftest import DEMO_NOW
from tests.fakes.driver import SlackDriver, message_text
from tests.fakes.slack_api import FakeSlackApi

pytestmark = pytest.mark.usefixtures("demo")


def _to(slack_api: FakeSlackApi, user: str) -> list[str]:
    # DMs are posted to the user id; the fake answers with the DM channel, keyed by user in `calls_to`.
    return [message_text(c.params) for c in slack_api.calls_to("chat.postMessage", user)]


def test_the_first_tick_sends_what_is_due_once(services: Services, slack_api: FakeSlackApi) -> None:
    assert send_agreement_notices(services, now=DEMO_NOW) == 3

    (nudge,) = _to(slack_api, RAO)
    assert "`dua-1`" in nudge and "legal review for 23 days" in nudge
    (expiry,) = _to(slack_api, WONG)
    assert "`nda-2`" in expiry and "expires in 25 days (2026-12-15)" in expiry
    (private,) = _to(slack_api, STEIN)  # the private project's lead owns ra-5: told once, not escalated
    assert "`ra-5`" in private and "negotiation for 50 days" in private
    assert send_agreement_notices(services, now=DEMO_NOW) == 0  # exactly once


def test_a_reminder_tells_its_recipient_how_progress_is_recorded_by_who_may(
    services: Services, slack_api: FakeSlackApi
) -> None:
    send_agreement_notices(services, now=DEMO_NOW)

    # Rao owns dua-1 but leads no project it covers: only uplift's lead (or an admin) records status.
    (nudge,) = _to(slack_api, RAO)
    assert "Record progress with" not in nudge
    assert f"Tell <@{NAKAMURA}> (lead of a project it covers) or an admin" in nudge
    assert "`/agreement set-status dua-1 STATUS`" in nudge
    # Stein owns ra-5 and leads the project it covers: she records it herself.
    (own,) = _to(slack_api, STEIN)
    assert "Record progress with `/agreement set-status ra-5 STATUS`" in own
    (expiry,) = _to(slack_api, WONG)  # Wong owns nda-2 and leads pcm
    assert "record what happens next with `/agreement set-status`" in expiry


def test_only_the_latest_passed_expiry_reminder_is_sent(
    services: Services, session_factory: sessionmaker[Session]
) -> None:
    send_agreement_notices(services, now=DEMO_NOW)

    with session_factory() as session:
        kinds = set(
            session.scalars(select(AgreementReminder.kind).where(AgreementReminder.kind.like("expiry-%")))
        )
    assert {"expiry-30-2026-12-15", "expiry-7-2026-12-15"} <= kinds
    assert "expiry-60-2026-12-15" not in kinds


def test_the_next_expiry_reminder_waits_for_nine_local(services: Services, slack_api: FakeSlackApi) -> None:
    send_agreement_notices(services, now=DEMO_NOW)
    before = len(_to(slack_api, WONG))

    send_agreement_notices(services, now=datetime(2026, 12, 8, 7, 59, tzinfo=UTC))  # 08:59 in Zurich
    assert len(_to(slack_api, WONG)) == before
    send_agreement_notices(services, now=datetime(2026, 12, 8, 8, 0, tzinfo=UTC))  # 09:00 in Zurich
    assert "expires in 7 days" in _to(slack_api, WONG)[-1]


def test_a_stale_agreement_escalates_to_the_lead(services: Services, slack_api: FakeSlackApi) -> None:
    send_agreement_notices(services, now=DEMO_NOW)
    assert _to(slack_api, NAKAMURA) == []

    # dua-1 had stalled for 23 days when reminders were first planned: its owner is nudged at once and
    # gets the policy's two days to act before the lead hears (not an hour later, the same morning).
    send_agreement_notices(services, now=datetime(2026, 11, 20, 9, 0, tzinfo=UTC))  # 09:00 in Edinburgh
    assert _to(slack_api, NAKAMURA) == []

    send_agreement_notices(services, now=datetime(2026, 11, 23, 9, 0, tzinfo=UTC))  # Sunday 22nd skipped

    (escalation,) = _to(slack_api, NAKAMURA)
    assert "`dua-1`" in escalation and "its owner <@U03MSRAO> was reminded" in escalation


def test_signing_cancels_the_pending_escalation(
    services: Services, slack: SlackDriver, slack_api: FakeSlackApi, session_factory: sessionmaker[Session]
) -> None:
    send_agreement_notices(services, now=DEMO_NOW)
    slack.command(NAKAMURA, "/agreement set-status dua-1 signed")

    send_agreement_notices(services, now=datetime(2026, 11, 23, 9, 0, tzinfo=UTC))

    assert _to(slack_api, NAKAMURA) == []
    with session_factory() as session:
        statuses = dict(session.execute(select(AgreementReminder.kind, AgreementReminder.status)).all())
    assert statuses["stale-legal_review-2026-10-28"] == "sent"
    assert [s for k, s in statuses.items() if k.startswith("stale-lead-legal_review")] == ["cancelled"]


def test_the_tick_is_scheduled(services: Services) -> None:
    job = build_scheduler(services).get_job(AGREEMENT_JOB_ID)

    assert job is not None and job.max_instances == 1 and job.coalesce


def test_the_reminder_days_are_settings() -> None:
    base = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s", "DATABASE_URL": "sqlite://"}

    settings = Settings.from_env(
        base | {"LIAISON_AGREEMENT_EXPIRY_DAYS": "7, 30", "LIAISON_AGREEMENT_STALE_DAYS": "0"}
    )

    assert (settings.agreement_expiry_days, settings.agreement_stale_days) == ((30, 7), 0)
    assert Settings.from_env(base).agreement_expiry_days == (60, 30, 7)
    with pytest.raises(SettingsError, match="LIAISON_AGREEMENT_EXPIRY_DAYS"):
        Settings.from_env(base | {"LIAISON_AGREEMENT_EXPIRY_DAYS": "soon"})


def test_no_stale_nudges_when_turned_off(services: Services, slack_api: FakeSlackApi) -> None:
    services.settings = dataclasses.replace(services.settings, agreement_stale_days=0)

    assert send_agreement_notices(services, now=DEMO_NOW) == 1  # nda-2's expiry only
    assert _to(slack_api, RAO) == [] and len(_to(slack_api, WONG)) == 1


def test_quiet_hours_and_weekends_hold_a_nudge_back(services: Services, slack_api: FakeSlackApi) -> None:
    # Friday 21:00 UTC is 02:30 on Saturday in Kolkata: quiet, then the weekend; Monday 08:00 there.
    send_agreement_notices(services, now=datetime(2026, 11, 20, 21, 0, tzinfo=UTC))
    assert _to(slack_api, RAO) == []

    send_agreement_notices(services, now=datetime(2026, 11, 23, 2, 29, tzinfo=UTC))
    assert _to(slack_api, RAO) == []
    send_agreement_notices(services, now=datetime(2026, 11, 23, 2, 30, tzinfo=UTC))
    assert len(_to(slack_api, RAO)) == 1


def test_the_tick_claims_and_sends_once_on_each_database(
    demo_engine: Engine, services: Services, slack_api: FakeSlackApi
) -> None:
    # PostgreSQL enforces the ledger's column sizes, which SQLite does not: a claim token longer than
    # `claim_token`'s 36 characters once failed every tick there, and only there.
    on_database = dataclasses.replace(services, session_factory=make_session_factory(demo_engine))

    assert send_agreement_notices(on_database, now=DEMO_NOW) == 3
    assert send_agreement_notices(on_database, now=DEMO_NOW) == 0

    assert [len(_to(slack_api, user)) for user in (RAO, WONG, STEIN)] == [1, 1, 1]
    with on_database.session_factory() as session:
        sent = session.scalars(select(AgreementReminder).where(AgreementReminder.status == "sent")).all()
    assert len(sent) == 3 and all(row.claim_token is None for row in sent)
