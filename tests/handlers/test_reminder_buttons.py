"""Reminder buttons (Done, Snooze, Move date) and `/milestone remind`, through signed requests → Bolt →
the fake Slack Web API, on reminders the real tick posted."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.domain.reminders import DeliveryKind
from bot.models import AuditEntry, DeliveryStatus, MilestoneStatus, Person
from bot.services import Services
from bot.slack import ids
from jobs.reminders import send_due_reminders
from tests.fakes.driver import Exchange, SlackDriver, buttons_of, message_text, opened_view
from tests.fakes.slack_api import FakeSlackApi
from tests.jobs.reminder_support import deliveries, keys_of, milestone, posted_keys, utc

pytestmark = pytest.mark.usefixtures("demo")

BANERJEE = "U02ECBANE"  # owns bidshade-2 and leads bidshade (Europe/Amsterdam)
OSEI = "U01MLOSEI"  # on bidshade, neither owner nor lead of bidshade-2
ADMIN = "U0ADMIN"
T7 = utc(2026, 11, 20, 8, 0)  # bidshade-2's seven-day reminder


@pytest.fixture
def reminder(services: Services, slack_api: FakeSlackApi) -> dict[str, Any]:
    """The reminder message the tick posted to Banerjee."""
    assert send_due_reminders(services, now=T7) == 1
    (message,) = slack_api.messages()
    return message


def _press(slack: SlackDriver, user: str, message: dict[str, Any], action_id: str) -> Exchange:
    button = next(b for b in buttons_of(message["blocks"]) if b["action_id"] == action_id)
    exchange = slack.send(
        slack.payloads.block_action(
            user_id=user,
            action_id=action_id,
            value=button["value"],
            block_id=ids.REMINDER_ACTIONS_BLOCK,
            channel_id=message["channel"],
            message_ts=message["ts"],
        )
    )
    assert exchange.status == 200, exchange.body
    return exchange


def _audits(session_factory: sessionmaker[Session], action: str) -> int:
    with session_factory() as session:
        return len(session.scalars(select(AuditEntry).where(AuditEntry.action == action)).all())


def test_done_completes_the_milestone_and_marks_the_message(
    slack: SlackDriver,
    reminder: dict[str, Any],
    slack_api: FakeSlackApi,
    session_factory: sessionmaker[Session],
) -> None:
    exchange = _press(slack, BANERJEE, reminder, ids.REMINDER_DONE_ACTION)

    (update,) = exchange.of("chat.update")
    assert (update.params["channel"], update.params["ts"]) == (reminder["channel"], reminder["ts"])
    text = message_text(update.params)
    title = "*Equilibrium shading model write-up*"
    assert f":white_check_mark: `bidshade-2` {title} done by <@{BANERJEE}>" in text
    assert "in 7 days" not in text  # the old due phrase is gone
    assert buttons_of(update.params["blocks"]) == []  # nothing left to do
    assert milestone(session_factory, "bidshade", 2).status == MilestoneStatus.DONE
    m = milestone(session_factory, "bidshade", 2)
    assert {r.status for r in deliveries(session_factory, milestone_id=m.id)} <= {
        DeliveryStatus.SENT,
        DeliveryStatus.CANCELLED,
    }
    # The message in the conversation now says who did what.
    assert f"done by <@{BANERJEE}>" in message_text(slack_api.messages(reminder["channel"])[0])


def test_second_done_click_changes_nothing(
    slack: SlackDriver, reminder: dict[str, Any], session_factory: sessionmaker[Session]
) -> None:
    _press(slack, BANERJEE, reminder, ids.REMINDER_DONE_ACTION)

    again = _press(slack, BANERJEE, reminder, ids.REMINDER_DONE_ACTION)

    assert "Already done" in message_text(again.of("chat.update")[0].params)
    assert _audits(session_factory, "done") == 1


def test_forged_user_is_denied_and_nothing_changes(
    slack: SlackDriver, reminder: dict[str, Any], session_factory: sessionmaker[Session]
) -> None:
    for action in (
        ids.REMINDER_DONE_ACTION,
        ids.REMINDER_SNOOZE_ACTION_PREFIX + "1h",
        ids.REMINDER_MOVE_ACTION,
    ):
        exchange = _press(slack, OSEI, reminder, action)

        assert exchange.of("chat.update") == [] and exchange.of("views.open") == []
        assert exchange.reply["response_type"] == "ephemeral"
        assert "Only the lead of *bidshade*" in exchange.reply["text"]
    assert milestone(session_factory, "bidshade", 2).status == MilestoneStatus.OPEN
    assert deliveries(session_factory, kind=DeliveryKind.SNOOZE) == []


def test_a_forged_ref_in_a_reminder_button_is_quoted_escaped(
    slack: SlackDriver, reminder: dict[str, Any]
) -> None:
    # Found by the interaction fuzz: the denial quotes the ref the button carried.
    button = next(b for b in buttons_of(reminder["blocks"]) if b["action_id"] == ids.REMINDER_MOVE_ACTION)
    forged = {**json.loads(button["value"]), "m": "pcm <!channel> <!date^1800000000^{date}|x>"}
    for action in (ids.REMINDER_MOVE_ACTION, ids.REMINDER_DONE_ACTION):
        exchange = slack.send(
            slack.payloads.block_action(
                user_id=BANERJEE,
                action_id=action,
                value=json.dumps(forged),
                block_id=ids.REMINDER_ACTIONS_BLOCK,
                channel_id=reminder["channel"],
                message_ts=reminder["ts"],
            )
        )
        text = exchange.reply["text"]
        assert "<!" not in text and "&lt;!channel&gt;" in text, text


def test_admin_may_press_done(
    slack: SlackDriver, reminder: dict[str, Any], session_factory: sessionmaker[Session]
) -> None:
    _press(slack, ADMIN, reminder, ids.REMINDER_DONE_ACTION)

    assert milestone(session_factory, "bidshade", 2).status == MilestoneStatus.DONE


def test_snooze_plans_one_reminder_per_message_and_is_not_an_ignore(
    services: Services,
    slack: SlackDriver,
    reminder: dict[str, Any],
    slack_api: FakeSlackApi,
    session_factory: sessionmaker[Session],
) -> None:
    first = _press(slack, BANERJEE, reminder, ids.REMINDER_SNOOZE_ACTION_PREFIX + "tomorrow")
    second = _press(slack, BANERJEE, reminder, ids.REMINDER_SNOOZE_ACTION_PREFIX + "tomorrow")

    (snooze,) = deliveries(session_factory, kind=DeliveryKind.SNOOZE)
    # Tomorrow is Saturday: with weekends skipped the snooze ends Monday 08:00 in Amsterdam.
    assert snooze.send_at == utc(2026, 11, 23, 7, 0)
    for exchange in (first, second):
        assert "snoozed this until Mon 23 Nov 2026, 08:00 CET" in message_text(
            exchange.of("chat.update")[0].params
        )
    (original,) = deliveries(session_factory, key=posted_keys(slack_api).most_common(1)[0][0])
    assert original.action == "snooze"

    send_due_reminders(services, now=utc(2026, 11, 23, 7, 0))
    snoozed = [m for m in slack_api.messages() if snooze.key in keys_of(m)]
    assert len(snoozed) == 1 and "Snoozed reminder" in message_text(snoozed[0])


def test_snooze_of_a_done_milestone_says_so(
    slack: SlackDriver, reminder: dict[str, Any], session_factory: sessionmaker[Session]
) -> None:
    _press(slack, BANERJEE, reminder, ids.REMINDER_DONE_ACTION)

    exchange = _press(slack, BANERJEE, reminder, ids.REMINDER_SNOOZE_ACTION_PREFIX + "1h")

    assert "Already done" in message_text(exchange.of("chat.update")[0].params)
    assert deliveries(session_factory, kind=DeliveryKind.SNOOZE) == []


def _submit_move(slack: SlackDriver, user: str, view: dict[str, Any], text: str) -> Exchange:
    return slack.submit(
        user, view, {ids.DUE_INPUT: {ids.DUE_INPUT: {"type": "plain_text_input", "value": text}}}
    )


def test_move_opens_a_modal_refuses_a_time_in_the_dst_gap_then_moves(
    services: Services,
    slack: SlackDriver,
    reminder: dict[str, Any],
    slack_api: FakeSlackApi,
    session_factory: sessionmaker[Session],
) -> None:
    view = opened_view(_press(slack, BANERJEE, reminder, ids.REMINDER_MOVE_ACTION))
    assert view["callback_id"] == ids.REMINDER_MOVE_MODAL and len(view["title"]["text"]) <= 24

    refused = _submit_move(slack, BANERJEE, view, "2027-03-28 02:30")
    assert '"response_action": "errors"' in refused.body
    assert "does not exist in Europe/Amsterdam" in refused.body and "Try 03:00 or 03:30" in refused.body

    moved = _submit_move(slack, BANERJEE, view, "2026-12-11 12:00")
    assert moved.status == 200 and moved.body == ""
    (update,) = moved.of("chat.update")
    assert update.params["ts"] == reminder["ts"]
    assert "moved this to Fri 11 Dec 2026, 12:00 CET (was Fri 27 Nov 2026, 12:00 CET)" in message_text(
        update.params
    )
    m = milestone(session_factory, "bidshade", 2)
    assert m.due_at == utc(2026, 12, 11, 11, 0)
    rows = deliveries(session_factory, milestone_id=m.id)
    assert all(r.status != DeliveryStatus.PLANNED for r in rows if "20261127" in r.key)
    assert any(r.status == DeliveryStatus.PLANNED and "20261211" in r.key for r in rows)

    # Submitting the same date again (a retried submission) changes nothing.
    again = _submit_move(slack, BANERJEE, view, "2026-12-11 12:00")
    assert "Already due" in message_text(again.of("chat.update")[0].params)
    assert _audits(session_factory, "move") == 1


def test_move_submitted_by_a_forged_user_is_refused(
    slack: SlackDriver, reminder: dict[str, Any], session_factory: sessionmaker[Session]
) -> None:
    view = opened_view(_press(slack, BANERJEE, reminder, ids.REMINDER_MOVE_ACTION))

    refused = _submit_move(slack, OSEI, view, "2026-12-11 12:00")

    assert '"response_action": "errors"' in refused.body and "Only the lead" in refused.body
    assert milestone(session_factory, "bidshade", 2).due_at == utc(2026, 11, 27, 11, 0)


# -- /milestone remind ------------------------------------------------------------------------------


def test_remind_shows_the_effective_policy(slack: SlackDriver) -> None:
    text = slack.command(OSEI, "/milestone remind bidshade").reply_text

    assert "*Reminders for bidshade*" in text and "`lead-times` 7d,1d,0" in text and "`at` 09:00" in text


def test_lead_changes_policy_and_reminders_are_replanned(
    slack: SlackDriver, session_factory: sessionmaker[Session]
) -> None:
    m = milestone(session_factory, "bidshade", 3)  # due Fri 11 Dec 17:00, owner Osei (London)

    text = slack.command(
        BANERJEE, "/milestone remind bidshade lead-times 3d,0 at 08:30 digest off"
    ).reply_text

    assert "saved" in text and "`lead-times` 3d,0 _(set here)_" in text and "`digest` off" in text
    planned = {
        r.occurrence.split("@")[0]: r.send_at
        for r in deliveries(session_factory, milestone_id=m.id, kind=DeliveryKind.LEAD_TIME)
        if r.status == DeliveryStatus.PLANNED
    }
    assert planned == {"T-3d": utc(2026, 12, 8, 8, 30), "T-0": utc(2026, 12, 11, 16, 0)}
    digests = deliveries(session_factory, kind=DeliveryKind.DIGEST)
    assert all(r.status != DeliveryStatus.PLANNED for r in digests if r.key.startswith(f"p{m.project_id}:"))


def test_member_may_not_change_policy_and_bad_values_are_explained(slack: SlackDriver) -> None:
    assert (
        "Only the lead of *bidshade*" in slack.command(OSEI, "/milestone remind bidshade at 07:00").reply_text
    )
    assert (
        "is not a lead time"
        in slack.command(BANERJEE, "/milestone remind bidshade lead-times soon").reply_text
    )
    assert (
        "Only a Liaison admin" in slack.command(BANERJEE, "/milestone remind workspace at 07:00").reply_text
    )


def test_remind_me_off_stops_the_daily_digest(
    services: Services, slack: SlackDriver, session_factory: sessionmaker[Session]
) -> None:
    from jobs.reminders import plan_reminders

    plan_reminders(services, now=T7)
    with session_factory() as session:
        person = session.scalars(select(Person).where(Person.slack_id == OSEI)).one()
    series = f"u{person.id}:{DeliveryKind.WAITING}"
    assert [r.status for r in deliveries(session_factory, series=series)] == [DeliveryStatus.PLANNED]

    assert "is now off" in slack.command(OSEI, "/milestone remind me off").reply_text
    assert "was already off" in slack.command(OSEI, "/milestone remind me off").reply_text

    assert [r.status for r in deliveries(session_factory, series=series)] == [DeliveryStatus.CANCELLED]
    plan_reminders(services, now=T7 + timedelta(days=1))
    assert [r.status for r in deliveries(session_factory, series=series)] == [DeliveryStatus.CANCELLED]
    assert "is now on" in slack.command(OSEI, "/milestone remind me on").reply_text
    assert DeliveryStatus.PLANNED in {r.status for r in deliveries(session_factory, series=series)}


def test_admin_resets_workspace_policy(slack: SlackDriver) -> None:
    slack.command(ADMIN, "/milestone remind workspace quiet off weekends allow")

    text = slack.command(ADMIN, "/milestone remind workspace reset").reply_text

    assert "`quiet` 20:00-08:00" in text and "`weekends` skip" in text and "set here" not in text
