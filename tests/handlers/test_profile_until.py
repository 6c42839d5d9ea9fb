"""A person's last day (`until`) in /profile: their own form, an admin's "Set last day…", who sees it.

Demo data as of Fri 20 Nov 2026 (Europe/Amsterdam); Ji-woo Kim's last day is Fri 18 Dec 2026.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.models import AuditEntry, Person
from bot.slack import ids
from tests.fakes.driver import Exchange, SlackDriver, message_text, opened_view
from tests.handlers.test_profile import _errors, _form, _version

pytestmark = pytest.mark.usefixtures("demo")

OSEI = "U01MLOSEI"
KIM = "U08NLKIMJ"
ADMIN = "U0ADMIN"  # in LIAISON_ADMINS


def _until(factory: sessionmaker[Session], slack_id: str) -> date | None:
    with factory() as session:
        return session.scalars(select(Person.until).where(Person.slack_id == slack_id)).one()


def _until_form(view: dict[str, Any], text: str | None) -> dict[str, dict[str, dict[str, Any]]]:
    return {ids.UNTIL_INPUT: {ids.UNTIL_INPUT: {"type": "plain_text_input", "value": text}}}


def test_own_form_has_the_last_day_prefilled(slack: SlackDriver) -> None:
    view = opened_view(slack.command(KIM, "/profile edit"))

    inputs = {b["block_id"]: b for b in view["blocks"] if b["type"] == "input"}
    assert inputs[ids.UNTIL_INPUT]["element"]["initial_value"] == "2026-12-18"
    assert inputs[ids.UNTIL_INPUT]["optional"] is True


def test_setting_my_last_day_saves_audits_and_shows_it(
    slack: SlackDriver, session_factory: sessionmaker[Session]
) -> None:
    version = _version(session_factory)
    view = opened_view(slack.command(OSEI, "/profile edit"))

    saved = slack.submit(OSEI, view, _form(view, until="jan 29"))

    assert saved.body == ""
    assert "changed: last day" in message_text(saved.of("chat.postMessage")[0].params)
    assert _until(session_factory, OSEI) == date(2027, 1, 29)
    with session_factory() as session:
        audit = session.scalars(select(AuditEntry).where(AuditEntry.action == "edit_profile")).one()
        assert json.loads(audit.detail)["until"] == {"before": None, "after": "2027-01-29"}
    assert _version(session_factory) == version  # not matched against: the expert index stays
    assert "Your last day on the alliance: *Fri 29 Jan 2027*" in slack.command(OSEI, "/profile").reply_text
    assert "Kwame Osei's last day on the alliance" in slack.command(KIM, f"/profile {OSEI}").reply_text


def test_a_past_or_unreadable_last_day_keeps_the_form_open(
    slack: SlackDriver, session_factory: sessionmaker[Session]
) -> None:
    view = opened_view(slack.command(OSEI, "/profile edit"))

    assert "in the past" in _errors(slack.submit(OSEI, view, _form(view, until="2026-11-19")))["until"]
    assert "2026-12-04" in _errors(slack.submit(OSEI, view, _form(view, until="12/04")))["until"]
    assert _until(session_factory, OSEI) is None


def test_clearing_my_last_day(slack: SlackDriver, session_factory: sessionmaker[Session]) -> None:
    view = opened_view(slack.command(KIM, "/profile edit"))

    slack.submit(KIM, view, _form(view, until=None))

    assert _until(session_factory, KIM) is None


def test_only_admins_get_the_set_last_day_button(slack: SlackDriver) -> None:
    as_colleague = slack.command(OSEI, f"/profile {KIM}")
    as_admin = slack.command(ADMIN, f"/profile {KIM}")

    assert ids.PROFILE_UNTIL_ACTION not in {b["action_id"] for b in as_colleague.buttons()}
    (button,) = [b for b in as_admin.buttons() if b["action_id"] == ids.PROFILE_UNTIL_ACTION]
    assert button["value"] == KIM and button["text"]["text"] == "Set last day…"
    assert "Ji-woo Kim's last day on the alliance: *Fri 18 Dec 2026*" in as_colleague.reply_text


def _admin_form(slack: SlackDriver) -> dict[str, Any]:
    button = next(
        b
        for b in slack.command(ADMIN, f"/profile {KIM}").buttons()
        if b["action_id"] == ids.PROFILE_UNTIL_ACTION
    )
    return opened_view(slack.click(ADMIN, button))


def test_admin_sets_someones_last_day_and_they_are_told(
    slack: SlackDriver, session_factory: sessionmaker[Session]
) -> None:
    form = _admin_form(slack)
    assert form["callback_id"] == ids.PROFILE_UNTIL_MODAL and len(form["title"]["text"]) <= 24
    assert json.loads(form["private_metadata"]) == {"person": KIM}

    saved: Exchange = slack.submit(ADMIN, form, _until_form(form, "2027-01-15"))

    assert saved.body == ""
    assert _until(session_factory, KIM) == date(2027, 1, 15)
    told = {c.params["channel"]: message_text(c.params) for c in saved.of("chat.postMessage")}
    assert "Ji-woo Kim's last day is now *Fri 15 Jan 2027*" in told[ADMIN]
    assert "<@U0ADMIN> set your last day on the alliance: *Fri 15 Jan 2027*" in told[KIM]
    with session_factory() as session:
        audit = session.scalars(select(AuditEntry).where(AuditEntry.action == "set_until")).one()
        assert audit.actor == ADMIN


def test_a_forged_last_day_form_from_a_colleague_is_refused(
    slack: SlackDriver, session_factory: sessionmaker[Session]
) -> None:
    form = _admin_form(slack)

    refused = slack.submit(OSEI, form, _until_form(form, "2027-01-15"))

    assert "Only the person themself or an admin" in _errors(refused)[ids.UNTIL_INPUT]
    assert _until(session_factory, KIM) == date(2026, 12, 18)


def test_a_colleague_pressing_a_set_last_day_button_is_refused(slack: SlackDriver) -> None:
    button = next(
        b
        for b in slack.command(ADMIN, f"/profile {KIM}").buttons()
        if b["action_id"] == ids.PROFILE_UNTIL_ACTION
    )

    refused = slack.click(OSEI, button)

    assert not refused.of("views.open")
    assert "Only the person themself or an admin" in message_text(refused.reply)
