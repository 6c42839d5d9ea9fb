"""/milestone and /blocker through signed requests → Bolt → fake Slack Web API."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.models import AuditEntry, Blocker, Milestone, MilestoneStatus, Project
from bot.slack import ids
from tests.fakes.driver import SlackDriver, message_text, opened_view

pytestmark = pytest.mark.usefixtures("demo")

BANERJEE = "U02ECBANE"  # leads bidshade, owns bidshade-2
OSEI = "U01MLOSEI"  # owns bidshade-3 and fatigue-2
MORALES = "U02ECMORA"  # member of bidshade
RAO = "U03MSRAO"  # owns the overdue pcm-2 (Asia/Kolkata)
WONG = "U06CRWONG"  # leads pcm


def _milestone(session_factory: sessionmaker[Session], key: str, number: int) -> Milestone:
    with session_factory() as session:
        return session.scalars(
            select(Milestone).join(Project).where(Project.key == key, Milestone.number == number)
        ).one()


def test_list_of_a_project_shows_open_milestones_with_ids(slack: SlackDriver) -> None:
    text = slack.command(OSEI, "/milestone list bidshade").reply_text
    assert "Open milestones on bidshade (3)" in text
    assert "bidshade-2" in text and "bidshade-4" in text and "bidshade-1" not in text


def test_list_without_project_covers_my_projects_only(slack: SlackDriver) -> None:
    text = slack.command(OSEI, "/milestone list").reply_text
    assert "bidshade-3" in text and "fatigue-2" in text and "pcm-" not in text


def test_next_lists_what_i_own_in_14_days_in_my_zone(slack: SlackDriver) -> None:
    # Rao (Kolkata) owns pcm-2 (overdue) and uplift-3 (Dec 20, 26 days out) — neither is "next".
    assert "Nothing of yours is due" in slack.command(RAO, "/milestone next").reply_text
    text = slack.command(BANERJEE, "/milestone next").reply_text
    assert "bidshade-2" in text and "Fri 27 Nov 2026, 12:00 CET" in text
    # Her own milestone gets a Done button.
    assert any(
        b["action_id"] == ids.MILESTONE_DONE_ACTION
        for b in slack.command(BANERJEE, "/milestone next").buttons()
    )


def test_overdue_shows_my_projects_and_all(slack: SlackDriver) -> None:
    mine = slack.command(WONG, "/milestone overdue").reply_text
    assert "pcm-2" in mine and "Legal basis memo" in mine and "uplift-1" not in mine
    everywhere = slack.command(WONG, "/milestone overdue all").reply_text
    assert "uplift-1" in everywhere  # "Access to retail transaction data approved", due Nov 10
    assert "Usage" in slack.command(WONG, "/milestone overdue yesterday").reply_text


def test_done_by_owner_then_again_is_idempotent(
    slack: SlackDriver, session_factory: sessionmaker[Session], clock: object
) -> None:
    first = slack.command(OSEI, "/milestone done bidshade-3")
    assert "Marked done" in first.reply_text
    assert {c.params["user_id"] for c in first.of("views.publish")} >= {OSEI, BANERJEE}
    second = slack.command(OSEI, "/milestone done bidshade-3")
    assert "Already done" in second.reply_text
    milestone = _milestone(session_factory, "bidshade", 3)
    assert milestone.status == MilestoneStatus.DONE
    assert milestone.done_at == datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
    with session_factory() as session:
        assert len(session.scalars(select(AuditEntry).where(AuditEntry.action == "done")).all()) == 1


def test_done_by_someone_else_is_denied(slack: SlackDriver, session_factory: sessionmaker[Session]) -> None:
    text = slack.command(MORALES, "/milestone done bidshade-3").reply_text
    assert "Only the lead of *bidshade*" in text and "owner" in text
    assert _milestone(session_factory, "bidshade", 3).status == MilestoneStatus.OPEN


def test_done_by_lead_is_allowed(slack: SlackDriver) -> None:
    assert "Marked done" in slack.command(BANERJEE, "/milestone done bidshade-3").reply_text


def test_done_with_two_ids_marks_neither_and_says_one_at_a_time(
    slack: SlackDriver, session_factory: sessionmaker[Session]
) -> None:
    text = slack.command(BANERJEE, "/milestone done bidshade-3 bidshade-4").reply_text

    assert "One milestone at a time: `/milestone done bidshade-3`, then `/milestone done bidshade-4`" in text
    assert _milestone(session_factory, "bidshade", 3).status == MilestoneStatus.OPEN


@pytest.mark.parametrize(
    "ref, expected",
    [
        ("bidshade", "is not a milestone id"),
        ("bidshade-99", "No milestone `bidshade-99`"),
        ("fairdelivery-1", "No milestone"),  # private: same answer as a missing one
        ("", "Usage"),
    ],
)
def test_done_with_bad_ids(slack: SlackDriver, ref: str, expected: str) -> None:
    assert expected in slack.command(OSEI, f"/milestone done {ref}").reply_text


def test_move_with_absolute_date_applies_and_echoes_in_my_zone(
    slack: SlackDriver, session_factory: sessionmaker[Session]
) -> None:
    text = slack.command(OSEI, "/milestone move bidshade-3 2026-12-18 15:00").reply_text
    # Osei is in London; the echo is in his zone and says what it was.
    assert "to *Fri 18 Dec 2026, 15:00 GMT*" in text and "(was Fri 11 Dec 2026, 16:00 GMT)" in text
    moved = _milestone(session_factory, "bidshade", 3)
    assert moved.due_at == datetime(2026, 12, 18, 15, 0, tzinfo=UTC)
    assert moved.due_timezone == "Europe/London"


@pytest.mark.parametrize(
    "date_text, shown, due",
    [
        ("next friday 10:00", "Fri 27 Nov 2026, 10:00 GMT", datetime(2026, 11, 27, 10, 0, tzinfo=UTC)),
        # Issue 13, defect 4: a date in the past (a typo of the year, mostly) made it "704 days overdue".
        # A date alone keeps the milestone's time of day and zone (17:00 Amsterdam), not Osei's London.
        ("2025-01-01", "in the past", datetime(2025, 1, 1, 16, 0, tzinfo=UTC)),
    ],
    ids=["relative", "in the past"],
)
def test_move_to_a_relative_or_past_date_asks_first_then_applies_on_confirm(
    slack: SlackDriver, session_factory: sessionmaker[Session], date_text: str, shown: str, due: datetime
) -> None:
    before = _milestone(session_factory, "bidshade", 3).due_at
    ask = slack.command(OSEI, f"/milestone move bidshade-3 {date_text}")
    assert "Move `bidshade-3`" in ask.reply_text and shown in ask.reply_text
    assert _milestone(session_factory, "bidshade", 3).due_at == before  # nothing yet
    confirm = next(b for b in ask.buttons() if b["action_id"] == ids.CONFIRM_MOVE_ACTION)
    done = slack.click(OSEI, confirm)
    assert done.reply["replace_original"] is True and "Moved `bidshade-3`" in done.reply_text
    assert _milestone(session_factory, "bidshade", 3).due_at == due


def test_move_cancel_changes_nothing(slack: SlackDriver, session_factory: sessionmaker[Session]) -> None:
    before = _milestone(session_factory, "bidshade", 3).due_at
    ask = slack.command(OSEI, "/milestone move bidshade-3 tomorrow")
    cancel = next(b for b in ask.buttons() if b["action_id"] == ids.CANCEL_ACTION)
    assert "Cancelled" in slack.click(OSEI, cancel).reply_text
    assert _milestone(session_factory, "bidshade", 3).due_at == before


def test_confirm_button_pressed_by_someone_else_is_denied(
    slack: SlackDriver, session_factory: sessionmaker[Session]
) -> None:
    before = _milestone(session_factory, "bidshade", 3).due_at
    ask = slack.command(OSEI, "/milestone move bidshade-3 tomorrow")
    confirm = next(b for b in ask.buttons() if b["action_id"] == ids.CONFIRM_MOVE_ACTION)
    assert "Only the lead" in slack.click(MORALES, confirm).reply_text
    assert _milestone(session_factory, "bidshade", 3).due_at == before


@pytest.mark.parametrize(
    "date_text, expected",
    [
        ("someday soon", "couldn't read"),
        ("2026-02-30", "28 days"),
        ("2026-12-04 25:00", "0 to 23"),
        ("2027-03-28 01:30", "does not exist in Europe/London"),  # London skips 01:00-02:00
    ],
)
def test_move_with_bad_date_is_an_ephemeral_error(
    slack: SlackDriver, session_factory: sessionmaker[Session], date_text: str, expected: str
) -> None:
    before = _milestone(session_factory, "bidshade", 3).due_at
    reply = slack.command(OSEI, f"/milestone move bidshade-3 {date_text}")
    assert reply.reply["response_type"] == "ephemeral"
    assert ":warning:" in reply.reply_text and expected in reply.reply_text
    assert _milestone(session_factory, "bidshade", 3).due_at == before


def test_move_into_dst_gap_is_rejected_with_next_valid_time(slack: SlackDriver) -> None:
    # Banerjee is in Europe/Amsterdam, where 2027-03-28 02:30 does not exist.
    text = slack.command(BANERJEE, "/milestone move bidshade-2 2027-03-28 02:30").reply_text
    assert "does not exist in Europe/Amsterdam" in text and "03:00" in text


def test_add_opens_modal_and_submission_adds_milestone(
    slack: SlackDriver, session_factory: sessionmaker[Session]
) -> None:
    view = opened_view(slack.command(BANERJEE, "/milestone add bidshade"))
    assert view["callback_id"] == ids.MILESTONE_MODAL
    result = slack.submit(
        BANERJEE,
        view,
        {
            ids.TITLE_INPUT: {ids.TITLE_INPUT: {"value": "Shading policy review"}},
            ids.DUE_INPUT: {ids.DUE_INPUT: {"value": "2026-12-09 09:30"}},
            ids.OWNER_INPUT: {ids.OWNER_INPUT: {"selected_user": MORALES}},
        },
    )
    assert result.body == ""
    notice = message_text(result.of("chat.postMessage")[0].params)
    assert "Added `bidshade-5`" in notice and "Wed 9 Dec 2026, 09:30 CET" in notice
    added = _milestone(session_factory, "bidshade", 5)
    assert (
        added.due_at == datetime(2026, 12, 9, 8, 30, tzinfo=UTC) and added.due_timezone == "Europe/Amsterdam"
    )


def test_add_modal_rejects_bad_date_owner_and_duplicate_title(slack: SlackDriver) -> None:
    view = opened_view(slack.command(BANERJEE, "/milestone add bidshade"))

    def submit(title: str, due: str, owner: str | None) -> dict[str, str]:
        response = slack.submit(
            BANERJEE,
            view,
            {
                ids.TITLE_INPUT: {ids.TITLE_INPUT: {"value": title}},
                ids.DUE_INPUT: {ids.DUE_INPUT: {"value": due}},
                ids.OWNER_INPUT: {ids.OWNER_INPUT: {"selected_user": owner}},
            },
        )
        body = json.loads(response.body)
        assert body["response_action"] == "errors"
        return dict(body["errors"])

    assert ids.DUE_INPUT in submit("Review", "whenever", None)
    assert "not on *bidshade*" in submit("Review", "2026-12-09", "U03MSRAO")[ids.OWNER_INPUT]
    assert (
        "already has a milestone" in submit("Live test on 5% of traffic", "2026-12-09", None)[ids.TITLE_INPUT]
    )
    # No confirm step in a form: a past date, or a day and month that rolled into next year, is asked again.
    assert "is in the past" in submit("Review", "2026-11-01", None)[ids.DUE_INPUT]
    assert "type the year if you mean it" in submit("Review", "nov 1", None)[ids.DUE_INPUT]


def test_add_denied_for_non_lead(slack: SlackDriver) -> None:
    reply = slack.command(OSEI, "/milestone add bidshade")
    assert not reply.of("views.open") and "Only the lead" in reply.reply_text


def test_add_without_project_offers_the_projects_i_lead(slack: SlackDriver) -> None:
    view = opened_view(slack.command(BANERJEE, "/milestone add"))
    select_block = next(b for b in view["blocks"] if b.get("block_id") == ids.PROJECT_INPUT)
    assert [o["value"] for o in select_block["element"]["options"]] == ["bidshade"]
    assert "You lead no project" in slack.command(OSEI, "/milestone add").reply_text


def test_blocker_add_list_resolve(slack: SlackDriver, session_factory: sessionmaker[Session]) -> None:
    added = slack.command(OSEI, "/blocker add fatigue waiting for impression logs access")
    assert "Blocker `fatigue-b1` raised" in added.reply_text
    quoted = slack.command(OSEI, '/blocker add "bid shading" no Q4 logs yet')
    assert "`bidshade-b1`" in quoted.reply_text
    listing = slack.command(BANERJEE, "/blocker list").reply_text
    assert "fatigue-b1" in listing and "bidshade-b1" in listing
    status = slack.command(BANERJEE, "/project status bidshade").reply_text
    assert "Open blockers* (1)" in status and "no Q4 logs yet" in status
    denied = slack.command(MORALES, "/blocker resolve fatigue-b1")
    assert "Only whoever raised" in denied.reply_text
    assert "Resolved" in slack.command(BANERJEE, "/blocker resolve bidshade-b1").reply_text
    assert "Already resolved" in slack.command(BANERJEE, "/blocker resolve bidshade-b1").reply_text
    with session_factory() as session:
        resolved = session.scalars(
            select(Blocker).where(Blocker.number == 1).join(Project).where(Project.key == "bidshade")
        ).one()
        assert resolved.resolved_at is not None


def test_blocker_add_with_an_unquoted_name_keeps_its_words_out_of_the_blocker(
    slack: SlackDriver, session_factory: sessionmaker[Session]
) -> None:
    added = slack.command(OSEI, "/blocker add bid shading need GPUs").reply_text
    assert "`bidshade-b1`" in added and added.endswith("need GPUs")
    creative = slack.command(OSEI, "/blocker add creative fatigue impression logs").reply_text
    assert "`fatigue-b1`" in creative and creative.endswith("impression logs")
    # A key is the project on its own: words of its name after it belong to the blocker.
    keyed = slack.command(OSEI, "/blocker add fatigue video logs missing").reply_text
    assert keyed.endswith("video logs missing")
    # The name and nothing that blocks: asked for, nothing raised.
    nothing = slack.command(OSEI, "/blocker add bid shading").reply_text
    assert "What is blocking *Bid shading for first-price auctions*?" in nothing
    with session_factory() as session:
        texts = sorted(session.scalars(select(Blocker.text)))
    assert texts == ["impression logs", "need GPUs", "video logs missing"]


def test_blocker_add_needs_membership_and_text(slack: SlackDriver) -> None:
    assert "Only members of *pcm*" in slack.command(OSEI, "/blocker add pcm lawyers are away").reply_text
    assert "Usage" in slack.command(OSEI, "/blocker add fatigue").reply_text
    assert "Close the quotes" in slack.command(OSEI, '/blocker add "bid shading no logs').reply_text
    assert "is not a blocker id" in slack.command(OSEI, "/blocker resolve fatigue-1").reply_text


def test_list_all_shows_every_visible_project_but_no_private_one_of_others(slack: SlackDriver) -> None:
    mine = slack.command(OSEI, "/milestone list").reply_text
    everywhere = slack.command(OSEI, "/milestone list all").reply_text

    assert "No project matches" not in everywhere
    assert "every project you can see" in everywhere
    assert "pcm-2" in everywhere and "pcm-2" not in mine  # a public project Osei is not on
    assert "bidshade-3" in everywhere and "fatigue-2" in everywhere  # and his own
    assert "fairdelivery-" not in everywhere  # a private project he is not on stays invisible
    assert (
        "fairdelivery-" in slack.command("U01MLKOV", "/milestone list all").reply_text
    )  # its member sees it


def test_move_to_a_future_date_applies_at_once(
    slack: SlackDriver, session_factory: sessionmaker[Session]
) -> None:
    moved = slack.command(OSEI, "/milestone move bidshade-3 2027-01-15")
    assert "Moved `bidshade-3`" in moved.reply_text and moved.buttons() == []
    assert _milestone(session_factory, "bidshade", 3).due_at.date().isoformat() == "2027-01-15"
