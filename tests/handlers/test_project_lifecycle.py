"""Project lifecycle (issue 13): leaving, removing, handing milestones over, creating, and no-ops,
through signed requests → Bolt → the fake Slack Web API."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlencode

import pytest
from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from bot.clock import FixedClock
from bot.domain.reminders import DeliveryKind
from bot.models import AuditEntry, DeliveryStatus, Membership, Milestone, Person, Project, ReminderDelivery
from bot.slack import ids
from tests.conversations.transcripts import DirectMessages, said
from tests.fakes.driver import Exchange, SlackDriver, message_text, opened_view
from tests.fakes.slack_api import RESPONSE_URL_METHOD

pytestmark = pytest.mark.usefixtures("demo")

STEIN = "U12ETSTEI"  # leads the private project fairdelivery, owns fairdelivery-1
LENA = "U01MLKOV"  # Lena Kovalenko: member of fairdelivery, owns fairdelivery-2
BANERJEE = "U02ECBANE"  # leads bidshade, owns bidshade-2
OSEI = "U01MLOSEI"  # member of bidshade, owns bidshade-3
MORALES = "U02ECMORA"  # member of bidshade, owns bidshade-4
RAO = "U03MSRAO"  # not on bidshade
DEJANS = "U11DEJANS"  # Pieter Jansen: member of bidshade, owns nothing open there
ADMIN = "U0ADMIN"


def _owner(session_factory: sessionmaker[Session], key: str, number: int) -> str | None:
    with session_factory() as session:
        milestone = session.scalars(
            select(Milestone).join(Project).where(Project.key == key, Milestone.number == number)
        ).one()
        return milestone.owner.slack_id if milestone.owner else None


def _members(session_factory: sessionmaker[Session], key: str) -> set[str]:
    with session_factory() as session:
        project = session.scalars(select(Project).where(Project.key == key)).one()
        return {m.person.slack_id for m in project.memberships}


def _audits(session_factory: sessionmaker[Session], action: str) -> list[AuditEntry]:
    with session_factory() as session:
        return list(session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def _planned_recipients(session_factory: sessionmaker[Session], key: str, number: int) -> set[str | None]:
    """Who the still-planned lead-time reminders of a milestone go to."""
    with session_factory() as session:
        milestone = session.scalars(
            select(Milestone).join(Project).where(Project.key == key, Milestone.number == number)
        ).one()
        rows = session.scalars(
            select(ReminderDelivery).where(
                ReminderDelivery.milestone_id == milestone.id,
                ReminderDelivery.kind == DeliveryKind.LEAD_TIME,
                ReminderDelivery.status == DeliveryStatus.PLANNED,
            )
        ).all()
        people = {p.id: p.slack_id for p in session.scalars(select(Person))}
        return {people.get(r.recipient_id) if r.recipient_id else None for r in rows}


def _dms(exchange: Exchange) -> dict[str, str]:
    """The DMs a request sent, by recipient (their text and blocks)."""
    return {c.params["channel"]: message_text(c.params) for c in exchange.of("chat.postMessage")}


def _published(exchange: Exchange) -> set[str]:
    return {c.params["user_id"] for c in exchange.of("views.publish")}


# -- leaving and being removed (defect 1) ------------------------------------------------------------


def test_leave_while_owning_open_milestones_asks_for_a_new_owner_and_changes_nothing(
    slack: SlackDriver, session_factory: sessionmaker[Session]
) -> None:
    ask = slack.command(LENA, "/project leave fairdelivery")
    assert "You own open milestones on *Fairness audit of ad delivery*" in ask.reply_text
    assert "fairdelivery-2" in ask.reply_text and "Paired-campaign audit run" in ask.reply_text
    labels = [b["text"]["text"] for b in ask.buttons()]
    assert labels == ["Hand them to Prof. Rebecca Stein and leave", "Cancel"]
    assert "/project leave fairdelivery --to @someone" in ask.reply_text
    assert LENA in _members(session_factory, "fairdelivery")
    assert _owner(session_factory, "fairdelivery", 2) == LENA
    assert not _audits(session_factory, "leave") and not ask.of("views.publish")


def test_handing_over_to_the_lead_moves_reminders_and_tells_the_lead(
    slack: SlackDriver, session_factory: sessionmaker[Session]
) -> None:
    assert _planned_recipients(session_factory, "fairdelivery", 2) == {LENA}
    ask = slack.command(LENA, "/project leave fairdelivery")
    hand = next(b for b in ask.buttons() if b["action_id"] == ids.HANDOVER_ACTION)
    done = slack.click(LENA, hand)
    assert done.reply["replace_original"] is True
    assert "You left *Fairness audit of ad delivery* (`fairdelivery`)" in done.reply_text
    assert "`fairdelivery-2` is now <@U12ETSTEI>'s" in done.reply_text
    assert LENA not in _members(session_factory, "fairdelivery")
    assert _owner(session_factory, "fairdelivery", 2) == STEIN
    # Replanned in the same transaction: nobody is reminded about a project they cannot see.
    assert _planned_recipients(session_factory, "fairdelivery", 2) == {STEIN}
    dms = _dms(done)
    assert set(dms) == {STEIN}
    assert "<@U01MLKOV> left *Fairness audit of ad delivery*" in dms[STEIN]
    assert "`fairdelivery-2` is now yours" in dms[STEIN]
    assert {LENA, STEIN} <= _published(done)  # Lena's Home no longer shows it
    assert [json.loads(a.detail)["after"] for a in _audits(session_factory, "assign")] == [STEIN]
    (left,) = _audits(session_factory, "leave")
    assert json.loads(left.detail)["handed"] == ["fairdelivery-2"] and left.actor == LENA
    # The project is gone for her; its milestone refs too.
    assert "No milestone" in slack.command(LENA, "/milestone done fairdelivery-2").reply_text


def test_leave_with_to_hands_over_to_that_member(
    slack: SlackDriver, session_factory: sessionmaker[Session]
) -> None:
    left = slack.command(OSEI, "/project leave bidshade --to @Diego Morales")
    assert "You left" in left.reply_text and "`bidshade-3` is now <@U02ECMORA>'s" in left.reply_text
    assert _owner(session_factory, "bidshade", 3) == MORALES
    assert _planned_recipients(session_factory, "bidshade", 3) <= {MORALES}
    dms = _dms(left)
    assert set(dms) == {BANERJEE, MORALES}  # the lead, and the new owner with the due date
    assert "now <@U02ECMORA>'s" in dms[BANERJEE]
    assert "you now own" in dms[MORALES] and "bidshade-3" in dms[MORALES] and "Dec 2026" in dms[MORALES]


@pytest.mark.parametrize(
    "line, expected",
    [
        ("/project leave bidshade --to <@U03MSRAO>", "is not on *bidshade*"),
        ("/project leave bidshade --to @Kwame Osei", "someone who stays"),
        ("/project leave bidshade --to", "Name the new owner after `--to`"),
        ("/project leave bidshade --to <!here>", "is in Liaison's directory"),
    ],
)
def test_leave_to_someone_who_cannot_take_over_is_refused(
    slack: SlackDriver, session_factory: sessionmaker[Session], line: str, expected: str
) -> None:
    reply = slack.command(OSEI, line)
    assert reply.reply["response_type"] == "ephemeral" and expected in reply.reply_text
    assert OSEI in _members(session_factory, "bidshade") and _owner(session_factory, "bidshade", 3) == OSEI


def test_leave_without_open_milestones_just_leaves_and_tells_the_lead(slack: SlackDriver) -> None:
    slack.command(OSEI, "/project join uplift")
    left = slack.command(OSEI, "/project leave uplift")
    assert "You left *Uplift modelling" in left.reply_text
    assert "<@U01MLOSEI> left" in _dms(left)["U07STNAKA"]


def test_lead_removes_a_member_after_taking_over_their_milestones(
    slack: SlackDriver, session_factory: sessionmaker[Session]
) -> None:
    ask = slack.command(STEIN, "/project remove @Lena Kovalenko fairdelivery")
    assert "<@U01MLKOV> owns open milestones" in ask.reply_text and "fairdelivery-2" in ask.reply_text
    assert LENA in _members(session_factory, "fairdelivery")
    take = next(b for b in ask.buttons() if b["action_id"] == ids.HANDOVER_ACTION)
    assert take["text"]["text"] == "Take them over and remove Lena Kovalenko"
    done = slack.click(STEIN, take)
    assert "Removed <@U01MLKOV> from *Fairness audit of ad delivery*" in done.reply_text
    assert LENA not in _members(session_factory, "fairdelivery")
    assert _owner(session_factory, "fairdelivery", 2) == STEIN
    assert _planned_recipients(session_factory, "fairdelivery", 2) == {STEIN}
    dms = _dms(done)
    assert set(dms) == {LENA}  # the lead did it: only the person removed is told
    assert "removed you from *Fairness audit of ad delivery*" in dms[LENA]
    assert _audits(session_factory, "remove")


def test_admin_removes_with_to_and_the_lead_is_told(
    slack: SlackDriver, session_factory: sessionmaker[Session]
) -> None:
    done = slack.command(ADMIN, f"/project remove {OSEI} bidshade --to <@{MORALES}>")
    assert "Removed <@U01MLOSEI>" in done.reply_text
    assert _owner(session_factory, "bidshade", 3) == MORALES
    assert set(_dms(done)) == {BANERJEE, MORALES, OSEI}


@pytest.mark.parametrize(
    "user, line, expected",
    [
        (OSEI, "/project remove @Diego Morales bidshade", "Only the lead of *bidshade*"),
        (BANERJEE, "/project remove @Ingrid Banerjee bidshade", "You lead *bidshade*"),
        (ADMIN, "/project remove @Ingrid Banerjee bidshade", "Prof. Ingrid Banerjee leads *bidshade*"),
        (BANERJEE, "/project remove <@U03MSRAO> bidshade", "is not on *Bid shading"),
        (BANERJEE, "/project remove U9NOBODY bidshade", "Nobody called “U9NOBODY” is in Liaison's directory"),
        (BANERJEE, "/project remove bidshade", "Usage: `/project remove @person PROJECT"),
    ],
)
def test_remove_refusals(
    slack: SlackDriver, session_factory: sessionmaker[Session], user: str, line: str, expected: str
) -> None:
    before = _members(session_factory, "bidshade")
    assert expected in slack.command(user, line).reply_text
    assert _members(session_factory, "bidshade") == before


def test_edit_form_dropping_a_member_who_owns_open_milestones_is_a_field_error(
    slack: SlackDriver, session_factory: sessionmaker[Session]
) -> None:
    view = opened_view(slack.command(BANERJEE, "/project edit bidshade"))
    values: dict[str, Any] = {
        ids.NAME_INPUT: {ids.NAME_INPUT: {"value": "Bid shading"}},
        ids.STATUS_INPUT: {ids.STATUS_INPUT: {"selected_option": {"value": "on_track"}}},
        ids.LEAD_INPUT: {ids.LEAD_INPUT: {"selected_user": BANERJEE}},
        ids.MEMBERS_INPUT: {ids.MEMBERS_INPUT: {"selected_users": [MORALES]}},
    }
    refused = json.loads(slack.submit(BANERJEE, view, values).body)
    assert refused["response_action"] == "errors"
    assert "Kwame Osei owns bidshade-3" in refused["errors"][ids.MEMBERS_INPUT]
    assert OSEI in _members(session_factory, "bidshade")


def test_no_reminder_is_planned_for_an_owner_off_a_private_project(
    slack: SlackDriver, session_factory: sessionmaker[Session]
) -> None:
    # As an import can leave it: Lena owns fairdelivery-2 without being on the private project.
    with session_factory.begin() as session:
        lena = session.scalars(select(Person).where(Person.slack_id == LENA)).one()
        session.execute(delete(Membership).where(Membership.person_id == lena.id))
    moved = slack.command(STEIN, "/milestone move fairdelivery-2 2027-01-15 17:00")
    assert "Moved `fairdelivery-2`" in moved.reply_text
    assert LENA not in _planned_recipients(session_factory, "fairdelivery", 2)


# -- /milestone assign -------------------------------------------------------------------------------


def test_owner_assigns_a_milestone_the_new_owner_is_told_and_reminded(
    slack: SlackDriver, session_factory: sessionmaker[Session]
) -> None:
    reply = slack.command(OSEI, "/milestone assign bidshade-3 @Diego Morales")
    assert "`bidshade-3` *Offline replay comparison of shading policies* is now <@U02ECMORA>'s" in (
        reply.reply_text
    )
    assert "(was <@U01MLOSEI>'s)" in reply.reply_text
    assert _owner(session_factory, "bidshade", 3) == MORALES
    assert _planned_recipients(session_factory, "bidshade", 3) <= {MORALES}
    # The new owner is told by the change feed (quiet hours, opt-out): tests/feed/test_feed_personal.py.
    assert _dms(reply) == {}
    assert {OSEI, MORALES, BANERJEE} <= _published(reply)
    (audit,) = _audits(session_factory, "assign")
    assert audit.actor == OSEI and json.loads(audit.detail) == {
        "after": MORALES,
        "before": OSEI,
        "ref": "bidshade-3",
    }


def test_lead_assigns_and_the_previous_owner_is_told(slack: SlackDriver) -> None:
    dms = _dms(slack.command(BANERJEE, "/milestone assign bidshade-3 <@U02ECMORA>"))
    assert set(dms) == {OSEI}  # the new owner hears through the change feed
    assert "handed `bidshade-3`" in dms[OSEI] and "to <@U02ECMORA>" in dms[OSEI]


@pytest.mark.parametrize(
    "user, line, expected",
    [
        (MORALES, "/milestone assign bidshade-3 @Diego Morales", "Only the lead of *bidshade*"),
        (OSEI, "/milestone assign bidshade-3 <@U03MSRAO>", "is not on *bidshade*"),
        (OSEI, "/milestone assign bidshade-3 <!channel>", "is in Liaison's directory"),
        (OSEI, "/milestone assign bidshade-3", "Usage: `/milestone assign ID @person`"),
        (BANERJEE, "/milestone assign bidshade-1 @Kwame Osei", "is done already"),
        (RAO, "/milestone assign fairdelivery-2 @Kwame Osei", "No milestone `fairdelivery-2`"),
    ],
)
def test_assign_refusals(
    slack: SlackDriver, session_factory: sessionmaker[Session], user: str, line: str, expected: str
) -> None:
    reply = slack.command(user, line)
    assert expected in reply.reply_text and not reply.of("chat.postMessage")
    assert _owner(session_factory, "bidshade", 3) == OSEI and not _audits(session_factory, "assign")


def test_assign_to_the_owner_changes_nothing(
    slack: SlackDriver, session_factory: sessionmaker[Session]
) -> None:
    reply = slack.command(OSEI, "/milestone assign bidshade-3 @Kwame Osei")
    assert "is already <@U01MLOSEI>'s; nothing changed" in reply.reply_text
    assert not reply.of("chat.postMessage") and not reply.of("views.publish")
    assert not _audits(session_factory, "assign")


# -- creating projects (defects 5 and 6) -------------------------------------------------------------


def _create_values(key: str, lead: Any, members: Any = (), *, private: bool = False) -> dict[str, Any]:
    return {
        ids.KEY_INPUT: {ids.KEY_INPUT: {"type": "plain_text_input", "value": key}},
        ids.NAME_INPUT: {ids.NAME_INPUT: {"type": "plain_text_input", "value": f"Project {key}"}},
        ids.STATUS_INPUT: {ids.STATUS_INPUT: {"selected_option": {"value": "on_track"}}},
        ids.PRIVATE_INPUT: {
            ids.PRIVATE_INPUT: {"selected_options": [{"value": "private"}] if private else []}
        },
        ids.LEAD_INPUT: {ids.LEAD_INPUT: {"type": "users_select", "selected_user": lead}},
        ids.MEMBERS_INPUT: {
            ids.MEMBERS_INPUT: {"type": "multi_users_select", "selected_users": list(members)}
        },
    }


def test_creator_is_always_a_member_and_a_lead_named_by_them_is_told(
    slack: SlackDriver, session_factory: sessionmaker[Session]
) -> None:
    view = opened_view(slack.command(OSEI, "/project create"))
    members = next(b for b in view["blocks"] if b.get("block_id") == ids.MEMBERS_INPUT)
    assert members["hint"]["text"] == "You are a member of the project you create, whoever leads it."
    created = slack.submit(OSEI, view, _create_values("secretbid", BANERJEE, private=True))
    assert created.status == 200 and created.body == ""
    assert _members(session_factory, "secretbid") == {OSEI, BANERJEE}
    # The private project does not vanish for its creator.
    assert "Project secretbid" in slack.command(OSEI, "/project status secretbid").reply_text
    dms = _dms(created)
    assert set(dms) == {OSEI, BANERJEE}  # the creator's confirmation, and the lead's notice
    assert "<@U01MLOSEI> made you the lead of *Project secretbid* (`secretbid`)" in dms[BANERJEE]
    assert {OSEI, BANERJEE} <= _published(created)


def test_lead_who_creates_their_own_project_gets_no_notice(slack: SlackDriver) -> None:
    view = opened_view(slack.command(OSEI, "/project create"))
    created = slack.submit(OSEI, view, _create_values("mybid", OSEI, [BANERJEE, BANERJEE]))
    dms = _dms(created)
    # No "you are the lead" notice to the creator; the member they named (twice) is told once.
    assert created.body == "" and set(dms) == {OSEI, BANERJEE}
    assert "made you the lead" not in dms[OSEI]
    assert "<@U01MLOSEI> added you to *" in dms[BANERJEE]
    assert len([c for c in created.of("chat.postMessage") if c.params["channel"] == BANERJEE]) == 1


def test_members_the_edit_form_adds_or_takes_off_are_told(slack: SlackDriver) -> None:
    view = opened_view(slack.command(BANERJEE, "/project edit bidshade"))
    members = next(b for b in view["blocks"] if b.get("block_id") == ids.MEMBERS_INPUT)
    kept = [m for m in members["element"]["initial_users"] if m != DEJANS]  # Pieter Jansen owns nothing open

    edited = slack.submit(
        BANERJEE,
        view,
        {
            ids.NAME_INPUT: {ids.NAME_INPUT: {"value": "Bid shading for first-price auctions"}},
            ids.STATUS_INPUT: {ids.STATUS_INPUT: {"selected_option": {"value": "on_track"}}},
            ids.LEAD_INPUT: {ids.LEAD_INPUT: {"selected_user": BANERJEE}},
            ids.MEMBERS_INPUT: {ids.MEMBERS_INPUT: {"selected_users": [*kept, RAO]}},
        },
    )

    dms = _dms(edited)
    assert edited.body == "" and set(dms) == {BANERJEE, RAO, DEJANS}
    assert "Saved *" in dms[BANERJEE]  # the lead's own notice of the save
    assert "<@U02ECBANE> added you to *" in dms[RAO] and "`/project leave bidshade`" in dms[RAO]
    assert "<@U02ECBANE> removed you from *" in dms[DEJANS]


@pytest.mark.parametrize(
    "lead, members, block, expected",
    [
        ("<!here>", [], ids.LEAD_INPUT, "Pick the lead from the list of people."),
        ("U" + "9" * 40, [], ids.LEAD_INPUT, "Pick the lead from the list of people."),
        ("U0FUZZ01", [], ids.LEAD_INPUT, "U0FUZZ01 is not in Liaison's directory yet."),
        (OSEI, ["<!channel>"], ids.MEMBERS_INPUT, "Pick the members from the list of people."),
        (OSEI, ["W0FUZZ02", RAO], ids.MEMBERS_INPUT, "W0FUZZ02 is not in Liaison's directory yet."),
    ],
)
def test_create_names_only_people_in_the_directory(
    slack: SlackDriver,
    session_factory: sessionmaker[Session],
    lead: str,
    members: list[str],
    block: str,
    expected: str,
) -> None:
    view = opened_view(slack.command(OSEI, "/project create"))
    refused = slack.submit(OSEI, view, _create_values("forged", lead, members))
    assert refused.status == 200
    errors = json.loads(refused.body)["errors"]
    assert list(errors) == [block] and errors[block].startswith(expected)
    with session_factory() as session:
        assert session.scalars(select(Project).where(Project.key == "forged")).first() is None
        slack_ids = set(session.scalars(select(Person.slack_id)))
    assert not {lead, *members} - {OSEI, RAO} & slack_ids  # no person made from a forged id


def test_a_repeated_member_is_one_membership(
    slack: SlackDriver, session_factory: sessionmaker[Session]
) -> None:
    view = opened_view(slack.command(OSEI, "/project create"))
    created = slack.submit(OSEI, view, _create_values("twice", OSEI, [RAO, RAO, OSEI]))
    assert created.status == 200 and created.body == ""
    assert _members(session_factory, "twice") == {OSEI, RAO}


def test_a_taken_key_is_not_revealed_whether_or_not_the_project_is_visible(slack: SlackDriver) -> None:
    view = opened_view(slack.command(OSEI, "/project create"))
    for key in ("fairdelivery", "bidshade"):
        refused = json.loads(slack.submit(OSEI, view, _create_values(key, OSEI)).body)
        assert refused["errors"] == {
            ids.KEY_INPUT: f"The key `{key}` is not available; `{key}_2` is free, or choose another."
        }


# -- no-ops are not changes (defect 12) --------------------------------------------------------------


def test_setting_the_status_it_has_changes_nothing(
    slack: SlackDriver, session_factory: sessionmaker[Session]
) -> None:
    reply = slack.command(BANERJEE, "/project set-status bidshade on track")
    assert "*Bid shading for first-price auctions* (`bidshade`) is already on track; nothing changed." in (
        reply.reply_text
    )
    assert "was" not in reply.reply_text
    assert not reply.of("views.publish") and not _audits(session_factory, "set_status")


def test_a_repeated_join_republishes_nothing(slack: SlackDriver) -> None:
    assert slack.command(OSEI, "/project join uplift").of("views.publish")
    again = slack.command(OSEI, "/project join uplift")
    assert "already on" in again.reply_text and not again.of("views.publish")


def test_a_stale_move_confirmation_changes_nothing(
    slack: SlackDriver, session_factory: sessionmaker[Session]
) -> None:
    ask = slack.command(OSEI, "/milestone move bidshade-3 next friday 10:00")
    confirm = next(b for b in ask.buttons() if b["action_id"] == ids.CONFIRM_MOVE_ACTION)
    assert "Moved `bidshade-3`" in slack.click(OSEI, confirm).reply_text
    again = slack.click(OSEI, confirm)
    assert "`bidshade-3` *Offline replay comparison of shading policies* is already due" in again.reply_text
    assert "nothing changed" in again.reply_text and "Moved" not in again.reply_text
    assert not again.of("views.publish") and len(_audits(session_factory, "move")) == 1
    typed = slack.command(OSEI, "/milestone move bidshade-3 2026-11-27 10:00")
    assert "already due" in typed.reply_text and len(_audits(session_factory, "move")) == 1


def test_done_and_resolve_twice_republish_once(slack: SlackDriver) -> None:
    assert slack.command(OSEI, "/milestone done bidshade-3").of("views.publish")
    assert not slack.command(OSEI, "/milestone done bidshade-3").of("views.publish")
    slack.command(OSEI, "/blocker add bidshade waiting for logs")
    assert slack.command(OSEI, "/blocker resolve bidshade-b1").of("views.publish")
    assert not slack.command(OSEI, "/blocker resolve bidshade-b1").of("views.publish")


def test_an_edit_saved_unchanged_says_so(slack: SlackDriver, session_factory: sessionmaker[Session]) -> None:
    view = opened_view(slack.command(STEIN, "/project edit fairdelivery"))
    values = {
        block["block_id"]: {block["block_id"]: _initial(block["element"])}
        for block in view["blocks"]
        if block.get("type") == "input"
    }
    saved = slack.submit(STEIN, view, values)
    assert saved.body == ""
    assert "Nothing changed in *Fairness audit of ad delivery*" in _dms(saved)[STEIN]
    assert not _audits(session_factory, "edit") and not [u for u in _published(saved) if u != STEIN]


def _initial(element: dict[str, Any]) -> dict[str, Any]:
    """What Slack submits for an input left as the form prefilled it."""
    kind = element["type"]
    if kind == "plain_text_input":
        return {"value": element.get("initial_value")}
    if kind == "static_select":
        return {"selected_option": element.get("initial_option")}
    if kind == "checkboxes":
        return {"selected_options": element.get("initial_options", [])}
    if kind == "users_select":
        return {"selected_user": element.get("initial_user")}
    if kind == "multi_users_select":
        return {"selected_users": element.get("initial_users", [])}
    return {"selected_conversation": element.get("initial_conversation")}


# -- a blocked project without blockers (defect 14) --------------------------------------------------


def test_blocked_project_without_blockers_says_so(slack: SlackDriver) -> None:
    for line in ("/project blockers uplift", "/blocker list uplift"):
        text = slack.command(RAO, line).reply_text
        assert ":tada:" not in text
        assert "No blockers are recorded on uplift, but its status is *blocked*" in text
        assert "/blocker add uplift" in text and "/project set-status uplift on_track" in text
    status = slack.command(RAO, "/project status uplift").reply_text
    assert "*Open blockers*: none recorded, though the status is blocked." in status
    assert ":tada: No open blockers on fatigue" in slack.command(OSEI, "/project blockers fatigue").reply_text


def test_how_long_a_project_has_been_blocked_comes_from_its_status_change(
    slack: SlackDriver, clock: FixedClock
) -> None:
    assert "is now blocked" in slack.command(BANERJEE, "/project set-status bidshade blocked").reply_text
    clock.advance(timedelta(days=1))
    slack.command(BANERJEE, "/blocker add bidshade Waiting for the exchange's auction logs")
    clock.advance(timedelta(days=2))

    answer = DirectMessages(slack, OSEI).say("how long has bidshade been blocked?")
    text = said(answer)
    # Set on Fri 20 Nov, asked on Mon 23 Nov; the blocker raised a day later.
    assert "has been blocked since Fri 20 Nov (3 days)" in text
    assert "open since Sat 21 Nov (2 days)" in text
    # A status that came with the imported workspace is not given a start it does not have.
    imported = said(DirectMessages(slack, RAO).say("since when is uplift blocked?"))
    assert "is blocked (since when is not recorded: it came so with the imported workspace)" in imported
    # Without "how long" the answer is as before.
    assert "since" not in said(DirectMessages(slack, OSEI).say("is bidshade blocked?")).split("\n")[0]


# -- the "Move it" button and the error handler (fuzz report) -----------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        json.dumps({"ref": "bidshade-3", "instant": "2026-12-04T17:00", "zone": "Europe/London"}),
        json.dumps({"ref": "bidshade-3", "instant": "0001-01-01T00:00:00+00:00", "zone": "America/Denver"}),
        json.dumps({"ref": "bidshade-3", "instant": "9999-12-31T23:59:59+00:00", "zone": "Asia/Tokyo"}),
        json.dumps({"ref": "bidshade-3", "instant": "0001-01-01T00:00:00+00:00", "zone": "UTC"}),
        json.dumps({"ref": "bidshade-3", "instant": "2026-12-04T17:00:00+00:00", "zone": "UTC" * 200}),
        json.dumps({"ref": ["bidshade-3"], "instant": "2026-12-04T17:00:00+00:00", "zone": "UTC"}),
        "[" * 5000 + "]" * 5000,
    ],
    ids=["naive", "year 1", "year 9999", "year 1 in UTC", "long zone", "ref not a string", "deep"],
)
def test_a_move_button_liaison_did_not_write_is_refused_as_out_of_date(
    slack: SlackDriver, session_factory: sessionmaker[Session], value: str
) -> None:
    clicked = slack.click(OSEI, {"action_id": ids.CONFIRM_MOVE_ACTION, "value": value})
    assert "That button is out of date" in clicked.reply_text
    assert "Sorry, something went wrong" not in clicked.reply_text
    assert not _audits(session_factory, "move")


def test_the_error_handler_never_raises_on_a_malformed_response_url(
    slack: SlackDriver, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr("handlers.actions.execute_command", broken)
    signed = slack.payloads.block_action(user_id=OSEI, action_id=ids.OPEN_PROJECT_ACTION, value="bidshade")
    payload = json.loads(parse_qs(signed.body)["payload"][0])
    payload["response_url"] = 12345
    body = urlencode({"payload": json.dumps(payload)})
    exchange = slack.send(slack.payloads.sign(body, "application/x-www-form-urlencoded"))
    # (Bolt answers 500 for a failed listener when it processes before responding, as tests do.)
    assert not exchange.of(RESPONSE_URL_METHOD)
    # The apology went the other way (an ephemeral in the channel), and the failure was logged.
    assert any("listener failed" in r.message for r in caplog.records)
    apologies = exchange.of("chat.postEphemeral")
    assert apologies and "nothing was changed" in apologies[0].params["text"]
