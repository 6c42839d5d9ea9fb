"""Acting by conversation through the real Bolt path: a change asked for in a DM or @mention is proposed
with Confirm / Cancel; nothing changes until its asker confirms; confirmations cannot be forged."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.clock import FixedClock
from bot.domain.dates import format_local
from bot.domain.reminders import DeliveryKind
from bot.models import (
    AuditEntry,
    Blocker,
    Membership,
    Milestone,
    MilestoneStatus,
    Person,
    Project,
    ReminderDelivery,
    Role,
)
from bot.proposals.tables import Proposal, ProposalStatus
from bot.services import Services
from bot.slack import ids
from jobs.reminders import run_reminder_tick
from tests.fakes.driver import Exchange, SlackDriver, buttons_of, message_text
from tests.fakes.slack_api import RESPONSE_URL_METHOD, FakeSlackApi, RecordedCall

pytestmark = pytest.mark.usefixtures("demo")

OSEI = "U01MLOSEI"  # owns bidshade-3 and fatigue-2; Europe/London
BANERJEE = "U02ECBANE"  # leads bidshade; not on pcm; Europe/Amsterdam
RAO = "U03MSRAO"  # owns pcm-2, on pcm and uplift; Asia/Kolkata
WONG = "U06CRWONG"  # leads pcm; Europe/Zurich
NOVAK = "U05PLNOVA"  # Marek Novak, on no project
KOVALENKO = "U01MLKOV"  # on the private project fairdelivery
BOT = FakeSlackApi.bot_user_id


def _dm(user: str, text: str, *, ts: str = "1790000001.000100") -> dict[str, Any]:
    return {
        "type": "message",
        "channel_type": "im",
        "user": user,
        "channel": "D" + user[1:],
        "text": text,
        "ts": ts,
    }


def _mention(user: str, text: str, *, channel: str = "C0GENERAL") -> dict[str, Any]:
    return {
        "type": "app_mention",
        "user": user,
        "channel": channel,
        "text": f"<@{BOT}> {text}",
        "ts": "1790000000.1",
    }


def _posts(exchange: Exchange) -> list[RecordedCall]:
    return [c for c in exchange.calls if c.method in ("chat.postMessage", "chat.postEphemeral")]


def _ask(slack: SlackDriver, user: str, text: str) -> RecordedCall:
    """Say something in the DM; the single post it got back."""
    exchange = slack.event(_dm(user, text))
    assert exchange.status == 200
    posts = _posts(exchange)
    assert len(posts) == 1, [c.method for c in exchange.calls]
    return posts[0]


def _buttons(post: RecordedCall) -> dict[str, dict[str, Any]]:
    blocks = post.params.get("blocks") or []
    if isinstance(blocks, str):
        blocks = json.loads(blocks)
    return {b["action_id"]: b for b in buttons_of(blocks)}


def _responses(exchange: Exchange) -> list[dict[str, Any]]:
    return [c.params for c in exchange.calls if c.method == RESPONSE_URL_METHOD]


def _milestone(session_factory: sessionmaker[Session], ref: str) -> Milestone:
    key, number = ref.rsplit("-", 1)
    with session_factory() as session:
        milestone = session.scalars(
            select(Milestone).join(Project).where(Project.key == key, Milestone.number == int(number))
        ).one()
        session.expunge(milestone)
        return milestone


def _audit(
    session_factory: sessionmaker[Session], action: str, entity: str = "milestone"
) -> list[AuditEntry]:
    with session_factory() as session:
        return list(
            session.scalars(
                select(AuditEntry).where(AuditEntry.action == action, AuditEntry.entity == entity)
            )
        )


def _owner(session_factory: sessionmaker[Session], ref: str) -> str | None:
    with session_factory() as session:
        milestone = session.get(Milestone, _milestone(session_factory, ref).id)
        assert milestone is not None
        return milestone.owner.slack_id if milestone.owner else None


# -- each action, confirmed and cancelled -----------------------------------------------------------


def test_mark_done_is_proposed_then_done_on_confirm(
    slack: SlackDriver, session_factory: sessionmaker[Session]
) -> None:
    post = _ask(slack, RAO, "mark pcm-2 done")

    assert post.method == "chat.postMessage" and post.params["channel"] == "D03MSRAO"
    assert "Mark pcm-2 done?" in message_text(post.params)
    assert _milestone(session_factory, "pcm-2").status == MilestoneStatus.OPEN  # nothing changed yet
    buttons = _buttons(post)
    assert set(buttons) == {ids.PROPOSAL_CONFIRM_ACTION, ids.PROPOSAL_CANCEL_ACTION}

    done = slack.click(RAO, buttons[ids.PROPOSAL_CONFIRM_ACTION])

    assert _milestone(session_factory, "pcm-2").status == MilestoneStatus.DONE
    [reply] = _responses(done)
    assert reply["replace_original"] is True and "Marked done: `pcm-2`" in message_text(reply)
    [entry] = _audit(session_factory, "done")
    assert entry.actor == RAO and json.loads(entry.detail)["ref"] == "pcm-2"
    assert done.of("views.publish")  # the App Homes showing pcm are republished, as for /milestone done


def test_mark_done_cancelled_changes_nothing(
    slack: SlackDriver, session_factory: sessionmaker[Session]
) -> None:
    post = _ask(slack, RAO, "pcm-2 is done")

    cancelled = slack.click(RAO, _buttons(post)[ids.PROPOSAL_CANCEL_ACTION])
    again = slack.click(RAO, _buttons(post)[ids.PROPOSAL_CONFIRM_ACTION])

    assert "Cancelled; nothing was changed." in message_text(_responses(cancelled)[0])
    assert "was cancelled" in message_text(_responses(again)[0])
    assert _milestone(session_factory, "pcm-2").status == MilestoneStatus.OPEN
    assert _audit(session_factory, "done") == []


def test_move_to_a_relative_date_shows_it_resolved_in_the_askers_zone(
    slack: SlackDriver, session_factory: sessionmaker[Session]
) -> None:
    before = _milestone(session_factory, "bidshade-3")
    post = _ask(slack, OSEI, "move bidshade-3 to next friday")

    # Next Friday from Friday 20 Nov is 27 Nov; a date without a time keeps the milestone's 17:00 (Amsterdam),
    # shown on Osei's London clock.
    new_due = datetime(2026, 11, 27, 16, 0, tzinfo=UTC)
    text = message_text(post.params)
    assert format_local(new_due, ZoneInfo("Europe/London")) in text and "Europe/London" in text
    assert _milestone(session_factory, "bidshade-3").due_at == before.due_at

    moved = slack.click(OSEI, _buttons(post)[ids.PROPOSAL_CONFIRM_ACTION])

    assert _milestone(session_factory, "bidshade-3").due_at == new_due
    assert "Moved `bidshade-3`" in message_text(_responses(moved)[0])
    [entry] = _audit(session_factory, "move")
    assert entry.actor == OSEI and json.loads(entry.detail)["after"] == new_due.isoformat()


def test_move_cancelled_keeps_the_date(slack: SlackDriver, session_factory: sessionmaker[Session]) -> None:
    before = _milestone(session_factory, "bidshade-3").due_at
    post = _ask(slack, OSEI, "push bidshade-3 to 2026-12-20")

    slack.click(OSEI, _buttons(post)[ids.PROPOSAL_CANCEL_ACTION])

    assert _milestone(session_factory, "bidshade-3").due_at == before
    assert _audit(session_factory, "move") == []


def test_blocker_is_raised_on_confirm_and_not_on_cancel(
    slack: SlackDriver, session_factory: sessionmaker[Session]
) -> None:
    cancelled = _ask(slack, RAO, "add a blocker to uplift: waiting for the legal review")
    slack.click(RAO, _buttons(cancelled)[ids.PROPOSAL_CANCEL_ACTION])
    post = _ask(slack, RAO, "add a blocker to uplift: waiting for the data agreement")
    assert "Raise a blocker on" in message_text(
        post.params
    ) and "waiting for the data agreement" in message_text(post.params)

    raised = slack.click(RAO, _buttons(post)[ids.PROPOSAL_CONFIRM_ACTION])

    with session_factory() as session:
        texts = [
            b.text for b in session.scalars(select(Blocker).join(Project).where(Project.key == "uplift"))
        ]
    assert "waiting for the data agreement" in texts and "waiting for the legal review" not in texts
    assert "Blocker `uplift-b" in message_text(_responses(raised)[0])
    [entry] = _audit(session_factory, "add", "blocker")
    assert entry.actor == RAO


def test_reminder_is_planned_for_the_asker_at_the_time_asked_and_sent_then(
    slack: SlackDriver, session_factory: sessionmaker[Session], services: Services, slack_api: FakeSlackApi
) -> None:
    post = _ask(slack, OSEI, "remind me about fatigue-2 tomorrow at 9")
    at = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)  # 09:00 in London is 09:00 UTC in November
    assert format_local(at, ZoneInfo("Europe/London")) in message_text(post.params)

    slack.click(OSEI, _buttons(post)[ids.PROPOSAL_CONFIRM_ACTION])

    with session_factory() as session:
        osei = session.scalars(select(Person).where(Person.slack_id == OSEI)).one()
        reminders = list(
            session.scalars(
                select(ReminderDelivery).where(
                    ReminderDelivery.kind == DeliveryKind.SNOOZE, ReminderDelivery.recipient_id == osei.id
                )
            )
        )
    assert [r.send_at for r in reminders] == [at]
    assert len(_audit(session_factory, "remind")) == 1

    # At that time the tick sends it, worded as asked for (not as a snooze).
    before = len(slack_api.calls_to("chat.postMessage", OSEI))
    run_reminder_tick(services, now=at + timedelta(minutes=1))
    [dm] = slack_api.calls_to("chat.postMessage", OSEI)[before:]
    assert "Reminder you asked for" in message_text(dm.params) and "fatigue-2" in message_text(dm.params)


def test_reminder_cancelled_plans_nothing(slack: SlackDriver, session_factory: sessionmaker[Session]) -> None:
    post = _ask(slack, OSEI, "remind me tomorrow at 9 about fatigue-2")
    slack.click(OSEI, _buttons(post)[ids.PROPOSAL_CANCEL_ACTION])

    with session_factory() as session:
        count = session.scalar(
            select(func.count())
            .select_from(ReminderDelivery)
            .where(ReminderDelivery.kind == DeliveryKind.SNOOZE)
        )
    assert count == 0


@pytest.fixture
def marek_on_pcm(demo: None, session_factory: sessionmaker[Session]) -> None:
    with session_factory.begin() as session:
        pcm = session.scalars(select(Project).where(Project.key == "pcm")).one()
        novak = session.scalars(select(Person).where(Person.slack_id == NOVAK)).one()
        session.add(Membership(project_id=pcm.id, person_id=novak.id, role=Role.MEMBER, position=9))


@pytest.mark.usefixtures("marek_on_pcm")
def test_assign_by_name_is_confirmed_by_the_lead(
    slack: SlackDriver, session_factory: sessionmaker[Session]
) -> None:
    post = _ask(slack, WONG, "assign pcm-2 to Marek")
    assert "Hand `pcm-2`" in message_text(post.params) and "Marek Novak" in message_text(post.params)
    assert "<@U05PLNOVA>" not in message_text(post.params)  # proposing pings nobody
    assert _owner(session_factory, "pcm-2") == RAO

    assigned = slack.click(WONG, _buttons(post)[ids.PROPOSAL_CONFIRM_ACTION])

    assert _owner(session_factory, "pcm-2") == NOVAK
    assert "is now <@U05PLNOVA>'s" in message_text(_responses(assigned)[0])
    [entry] = _audit(session_factory, "assign")
    assert entry.actor == WONG


@pytest.mark.usefixtures("marek_on_pcm")
def test_assign_paraphrase_cancelled_keeps_the_owner(
    slack: SlackDriver, session_factory: sessionmaker[Session]
) -> None:
    post = _ask(slack, WONG, "set pcm-2's owner to @Marek")
    slack.click(WONG, _buttons(post)[ids.PROPOSAL_CANCEL_ACTION])

    assert _owner(session_factory, "pcm-2") == RAO
    assert _audit(session_factory, "assign") == []


# -- confirmations that cannot be forged ------------------------------------------------------------


def test_another_users_confirm_is_refused_privately(
    slack: SlackDriver, session_factory: sessionmaker[Session]
) -> None:
    post = _ask(slack, RAO, "mark pcm-2 done")
    confirm = _buttons(post)[ids.PROPOSAL_CONFIRM_ACTION]

    # The lead could mark it done herself, but not by pressing Rao's button.
    refused = slack.click(WONG, confirm)
    cancel_refused = slack.click(WONG, _buttons(post)[ids.PROPOSAL_CANCEL_ACTION])

    [reply] = _responses(refused)
    assert reply["replace_original"] is False and reply["response_type"] == "ephemeral"
    assert "Only <@U03MSRAO> can confirm" in message_text(reply)
    assert _responses(cancel_refused)[0]["replace_original"] is False
    assert _milestone(session_factory, "pcm-2").status == MilestoneStatus.OPEN
    # Its asker still can.
    slack.click(RAO, confirm)
    assert _milestone(session_factory, "pcm-2").status == MilestoneStatus.DONE


def test_forged_token_changes_nothing(slack: SlackDriver, session_factory: sessionmaker[Session]) -> None:
    exchange = slack.click(RAO, {"action_id": ids.PROPOSAL_CONFIRM_ACTION, "value": "not-a-token"})

    assert "out of date" in message_text(_responses(exchange)[0])
    assert _milestone(session_factory, "pcm-2").status == MilestoneStatus.OPEN


def test_stale_confirm_shows_the_new_state_and_asks_again(
    slack: SlackDriver, session_factory: sessionmaker[Session]
) -> None:
    post = _ask(slack, OSEI, "push bidshade-3 to 2026-12-20")
    # Meanwhile the lead moves it elsewhere.
    slack.command(BANERJEE, "/milestone move bidshade-3 2026-12-18 17:00")
    moved_by_lead = _milestone(session_factory, "bidshade-3").due_at

    stale = slack.click(OSEI, _buttons(post)[ids.PROPOSAL_CONFIRM_ACTION])

    [reply] = _responses(stale)
    text = message_text(reply)
    assert reply["replace_original"] is True
    assert "changed since you asked" in text and "its due date" in text
    assert format_local(moved_by_lead, ZoneInfo("Europe/London")) in text  # the new state, on Osei's clock
    assert _milestone(session_factory, "bidshade-3").due_at == moved_by_lead  # not applied
    fresh = {b["action_id"]: b for b in buttons_of(reply["blocks"])}
    assert fresh[ids.PROPOSAL_CONFIRM_ACTION]["value"] != _buttons(post)[ids.PROPOSAL_CONFIRM_ACTION]["value"]
    # The old button no longer acts; the new one does.
    assert "out of date" in message_text(
        _responses(slack.click(OSEI, _buttons(post)[ids.PROPOSAL_CONFIRM_ACTION]))[0]
    )
    slack.click(OSEI, fresh[ids.PROPOSAL_CONFIRM_ACTION])
    assert format_local(
        _milestone(session_factory, "bidshade-3").due_at, ZoneInfo("Europe/London")
    ).startswith("Sun 20 Dec")


def test_stale_done_that_someone_else_did_says_so_without_buttons(
    slack: SlackDriver, session_factory: sessionmaker[Session]
) -> None:
    post = _ask(slack, RAO, "mark pcm-2 done")
    slack.command(WONG, "/milestone done pcm-2")

    stale = slack.click(RAO, _buttons(post)[ids.PROPOSAL_CONFIRM_ACTION])

    [reply] = _responses(stale)
    assert "already done" in message_text(reply) and not buttons_of(reply.get("blocks") or [])
    assert [e.actor for e in _audit(session_factory, "done")] == [WONG]


def test_confirm_after_losing_the_permission_is_refused(
    slack: SlackDriver, session_factory: sessionmaker[Session]
) -> None:
    post = _ask(slack, RAO, "mark pcm-2 done")  # Rao owns pcm-2…
    slack.command(WONG, "/milestone assign pcm-2 U11DEAHME")  # …until the lead hands it to Sara Ahmed

    refused = slack.click(RAO, _buttons(post)[ids.PROPOSAL_CONFIRM_ACTION])

    [reply] = _responses(refused)
    assert "Only the lead of *pcm*" in message_text(reply) and not buttons_of(reply.get("blocks") or [])
    assert _milestone(session_factory, "pcm-2").status == MilestoneStatus.OPEN
    assert _audit(session_factory, "done") == []


def test_double_confirm_does_it_once(slack: SlackDriver, session_factory: sessionmaker[Session]) -> None:
    post = _ask(slack, OSEI, "move bidshade-3 to 2026-12-20")
    confirm = _buttons(post)[ids.PROPOSAL_CONFIRM_ACTION]

    slack.click(OSEI, confirm)
    second = slack.click(OSEI, confirm)

    assert "Already done" in message_text(_responses(second)[0])
    assert len(_audit(session_factory, "move")) == 1


def test_expired_proposal_changes_nothing(
    slack: SlackDriver, session_factory: sessionmaker[Session], clock: FixedClock
) -> None:
    post = _ask(slack, RAO, "mark pcm-2 done")
    clock.advance(timedelta(hours=2))

    expired = slack.click(RAO, _buttons(post)[ids.PROPOSAL_CONFIRM_ACTION])

    assert "expired" in message_text(_responses(expired)[0])
    assert _milestone(session_factory, "pcm-2").status == MilestoneStatus.OPEN


# -- refused before anything is proposed --------------------------------------------------------------


def test_non_member_is_refused_without_buttons(
    slack: SlackDriver, session_factory: sessionmaker[Session]
) -> None:
    post = _ask(slack, BANERJEE, "mark pcm-2 done")

    assert not _buttons(post)
    assert "lead" in message_text(post.params).lower()  # who may do it
    blocker = _ask(slack, BANERJEE, "add a blocker to uplift: no data")
    assert not _buttons(blocker) and "Only members of *uplift*" in message_text(blocker.params)
    with session_factory() as session:
        assert session.scalar(select(func.count()).select_from(Proposal)) == 0


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mark pcm-99 done", "No milestone `pcm-99`"),
        ("assign pcm-2 to Zebedee", "Nobody called “Zebedee”"),
        ("move pcm-2 to 12/20", "2026-12-20"),  # never guessed: both readings spelled out
        ("move pcm-2 to someday", "couldn't"),
        ("add a blocker to nosuchproject: x", "nosuchproject"),
        ("remind me about pcm-2", "When should I remind you"),
        ("assign pcm-2 to Marek", "Marek Novak is not on *pcm*"),
        ("mark fairdelivery-1 done", "No milestone `fairdelivery-1`"),  # private: as if it did not exist
    ],
)
def test_what_cannot_be_proposed_gets_a_clear_reply_and_no_buttons(
    slack: SlackDriver, session_factory: sessionmaker[Session], text: str, expected: str
) -> None:
    post = _ask(slack, WONG, text)

    assert not _buttons(post)
    assert expected.lower() in message_text(post.params).lower()
    with session_factory() as session:
        assert session.scalar(select(func.count()).select_from(Proposal)) == 0


def test_two_mareks_are_not_guessed(slack: SlackDriver, session_factory: sessionmaker[Session]) -> None:
    with session_factory.begin() as session:
        novak = session.scalars(select(Person).where(Person.slack_id == NOVAK)).one()
        session.add(Person(workspace_id=novak.workspace_id, slack_id="U09MAREKK", name="Marek Kowalski"))

    post = _ask(slack, WONG, "assign pcm-2 to Marek")

    assert not _buttons(post)
    text = message_text(post.params)
    assert "More than one person" in text and "Marek Kowalski" in text and "Marek Novak" in text


def test_in_a_channel_a_refusal_is_shown_to_the_asker_only(slack: SlackDriver) -> None:
    exchange = slack.event(_mention(BANERJEE, "mark pcm-2 done"))

    [post] = _posts(exchange)
    assert post.method == "chat.postEphemeral" and post.params["user"] == BANERJEE


def test_in_a_channel_a_proposal_is_in_the_thread(
    slack: SlackDriver, session_factory: sessionmaker[Session]
) -> None:
    exchange = slack.event(_mention(RAO, "please mark pcm-2 as done"))

    [post] = _posts(exchange)
    assert post.method == "chat.postMessage" and post.params["thread_ts"] == "1790000000.1"
    slack.click(RAO, _buttons(post)[ids.PROPOSAL_CONFIRM_ACTION])
    assert _milestone(session_factory, "pcm-2").status == MilestoneStatus.DONE


def test_in_an_assistant_thread_the_proposal_is_in_the_thread(
    slack: SlackDriver, session_factory: sessionmaker[Session]
) -> None:
    event = {
        **_dm(OSEI, "move bidshade-3 to 2026-12-20", ts="1790000005.000200"),
        "thread_ts": "1790000005.000100",
    }
    exchange = slack.event(event)

    [post] = [p for p in _posts(exchange) if _buttons(p)]
    assert post.params["channel"] == "D01MLOSEI" and post.params["thread_ts"] == "1790000005.000100"
    slack.click(OSEI, _buttons(post)[ids.PROPOSAL_CONFIRM_ACTION])
    assert _audit(session_factory, "move")[0].actor == OSEI


def test_private_project_proposal_in_a_channel_is_ephemeral(slack: SlackDriver) -> None:
    exchange = slack.event(_mention(KOVALENKO, "move fairdelivery-2 to 2027-01-15"))

    [post] = _posts(exchange)
    assert post.method == "chat.postEphemeral" and post.params["user"] == KOVALENKO
    assert _buttons(post)


# -- questions are untouched --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "question",
    [
        "is pcm-2 done?",
        "who owns pcm-2?",
        "when is bidshade-3 due?",
        "what is blocking uplift?",
        "pcm-2 is done?",
    ],
)
def test_questions_are_answered_not_proposed(
    slack: SlackDriver, session_factory: sessionmaker[Session], question: str
) -> None:
    post = _ask(slack, RAO, question)

    assert ids.PROPOSAL_CONFIRM_ACTION not in _buttons(post)
    with session_factory() as session:
        assert session.scalar(select(func.count()).select_from(Proposal)) == 0


def test_proposals_are_stored_with_who_asked_and_a_snapshot(
    slack: SlackDriver, session_factory: sessionmaker[Session]
) -> None:
    _ask(slack, OSEI, "move bidshade-3 to 2026-12-20")

    with session_factory() as session:
        proposal = session.scalars(select(Proposal)).one()
    assert (proposal.requester, proposal.kind, proposal.target, proposal.status) == (
        OSEI,
        "move",
        "bidshade-3",
        ProposalStatus.PENDING,
    )
    snapshot = json.loads(proposal.snapshot)
    assert snapshot["owner"] == OSEI and snapshot["status"] == "open"


# -- pointing at the previous answer's records ("mark it done") ---------------------------------------


def test_it_in_a_change_request_means_the_record_of_the_previous_answer(
    slack: SlackDriver, session_factory: sessionmaker[Session]
) -> None:
    _ask(slack, RAO, "when is pcm-2 due?")
    post = _ask(slack, RAO, "mark it done")

    assert "Mark pcm-2 done?" in message_text(post.params)
    slack.click(RAO, _buttons(post)[ids.PROPOSAL_CONFIRM_ACTION])
    assert _milestone(session_factory, "pcm-2").status == MilestoneStatus.DONE


def test_the_second_one_in_a_change_request_is_the_second_listed_record(
    slack: SlackDriver, session_factory: sessionmaker[Session]
) -> None:
    listed = _ask(slack, WONG, "what's next for pcm?")
    refs = [r for r in ("pcm-2", "pcm-3", "pcm-4") if r in message_text(listed.params)]
    assert len(refs) >= 2

    post = _ask(slack, WONG, "mark the second one done")

    assert f"Mark {refs[1]} done?" in message_text(post.params)
    assert set(_buttons(post)) == {ids.PROPOSAL_CONFIRM_ACTION, ids.PROPOSAL_CANCEL_ACTION}


def test_it_with_nothing_said_before_is_not_a_change_request(slack: SlackDriver) -> None:
    post = _ask(slack, RAO, "mark it done")

    assert ids.PROPOSAL_CONFIRM_ACTION not in _buttons(post)


def test_a_question_with_a_pointing_word_costs_no_conversation_lookup_here(
    slack: SlackDriver, monkeypatch: pytest.MonkeyPatch
) -> None:
    # "that" and "it" point only in a change request: a question goes straight to the answerer, which
    # reads the conversation itself.
    def no_lookup(*args: object, **kwargs: object) -> None:
        raise AssertionError("a question made the change-request check read the conversation")

    monkeypatch.setattr("bot.slack.proposals.load_turn", no_lookup)
    _ask(slack, WONG, "what's next for pcm?")
    post = _ask(slack, WONG, "who owns that one?")

    assert "owner" in message_text(post.params)
    assert ids.PROPOSAL_CONFIRM_ACTION not in _buttons(post)
