"""`/paper` through signed requests → Bolt → the fake Slack Web API: venues, the add form, back-planning
(AoE and across daylight-saving changes), replanning on moves, the late-review notice, privacy, bad input."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.access import Requester, act_as
from bot.agreements.tables import Agreement
from bot.models import AuditEntry, DeliveryStatus, MilestoneStatus, ReminderDelivery
from bot.publications.papers import replan_papers_for_agreement
from bot.publications.tables import Paper, Venue
from bot.services import Services
from bot.slack import ids
from bot.slack.paper_commands import late_messages, planning_defaults
from tests.fakes.driver import Exchange, SlackDriver, message_text, opened_view
from tests.publications.conftest import (
    ADMIN,
    BANERJEE,
    BELL,
    KOVALENKO,
    MUELLER,
    OSEI,
    OUTSIDER,
    STEIN,
    AddPaper,
    plan_of,
    set_window,
)

pytestmark = pytest.mark.usefixtures("demo", "no_demo_papers")

# 12:00 CEST on 1 April 2027 (10:00 UTC); 30 days back is 2 March, 12:00 CET (11:00 UTC).
ADCON = (
    "/paper venue-add adcon27 conference 2027-04-01 12:00 Europe/Amsterdam AdCon 2027 https://adcon.example"
)


def _dms(exchange: Exchange) -> dict[str, str]:
    """The DMs a request sent (chat.postMessage to a user id), by recipient."""
    return {
        c.params["channel"]: message_text(c.params)
        for c in exchange.of("chat.postMessage")
        if str(c.params.get("channel", "")).startswith("U")
    }


def _errors(exchange: Exchange) -> dict[str, str]:
    body = json.loads(exchange.body) if exchange.body else {}
    assert body.get("response_action") == "errors", exchange.body
    return body["errors"]


def _count(session_factory: sessionmaker[Session], model: type, *where: object) -> int:
    with session_factory() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where)) or 0  # type: ignore[arg-type]


@pytest.fixture
def window(no_demo_papers: None, session_factory: sessionmaker[Session]) -> None:
    set_window(session_factory, "fatigue", 30)


# -- venues ------------------------------------------------------------------------------------------


def test_a_lead_adds_venues_and_everyone_sees_them_with_aoe(slack: SlackDriver) -> None:
    added = slack.command(
        MUELLER,
        "/paper venue-add wsfat workshop 2027-02-15 AoE Workshop on Ad Fatigue event=2027-06-01..2027-06-02",
    )
    assert "Venue `wsfat` recorded" in added.reply_text
    shown = slack.command(OSEI, "/paper venues").reply_text
    assert "Workshop on Ad Fatigue" in shown and "23:59 AoE" in shown and "for you" in shown
    assert "workshop" in shown and "Tue 1 Jun 2027" in shown


@pytest.mark.parametrize(
    ("user", "line", "says"),
    [
        (OSEI, ADCON, "Only project leads and admins"),
        (OUTSIDER, ADCON, "Only project leads and admins"),
        (MUELLER, "/paper venue-add adcon27 conference", "key, kind, deadline and name"),
        (MUELLER, "/paper venue-add adcon27 symposium 2027-04-01 AdCon", "not a venue kind"),
        (MUELLER, "/paper venue-add adcon27 conference 01/04/2027 AdCon", "year first"),
        (MUELLER, "/paper venue-add adcon27 conference 2027-04-31 AdCon", "30 days"),
        (
            MUELLER,
            "/paper venue-add adcon27 conference 2027-03-28 02:30 Europe/Amsterdam AdCon",
            "does not exist",
        ),
        (MUELLER, "/paper venue-add Ad! conference 2027-04-01 AdCon", "not a venue key"),
        (MUELLER, "/paper venue-add adcon27 conference 2027-04-01 AoE", "Give the venue a name"),
        (MUELLER, "/paper venue-add adcon27 conference 2027-04-01 AdCon event=2027-13-01", "month"),
    ],
)
def test_bad_venue_additions_are_refused_clearly(slack: SlackDriver, user: str, line: str, says: str) -> None:
    reply = slack.command(user, line).reply_text
    assert says in reply
    assert "Traceback" not in reply


def test_a_venue_key_is_taken_once(slack: SlackDriver) -> None:
    slack.command(MUELLER, ADCON)
    assert "exists already" in slack.command(BANERJEE, ADCON).reply_text


# -- adding papers and back-planning --------------------------------------------------------------


@pytest.mark.usefixtures("window")
def test_adding_a_paper_plans_its_milestones_back_across_dst(
    slack: SlackDriver, add_paper: AddPaper, session_factory: sessionmaker[Session]
) -> None:
    slack.command(MUELLER, ADCON)
    done = add_paper(
        MUELLER,
        "fatigue",
        title="When creatives wear out",
        people=[OSEI, MUELLER],
        external="2. Jane Doe\nJohn Roe",
        venue="adcon27",
        status="drafting",
        links="https://overleaf.example/abc",
    )
    assert done.status == 200 and not done.body, done.body
    confirmation = _dms(done)[MUELLER]
    assert "fatigue-p1" in confirmation and "3 milestone(s) planned" in confirmation

    plan = plan_of(session_factory, "fatigue-p1")
    assert plan["submission"].due_at == datetime(2027, 4, 1, 10, 0, tzinfo=UTC)
    assert plan["review"].due_at == datetime(2027, 3, 2, 11, 0, tzinfo=UTC)  # CET: one hour later in UTC
    assert plan["draft"].due_at == datetime(2027, 2, 23, 11, 0, tzinfo=UTC)
    assert {m.due_timezone for m in plan.values()} == {"Europe/Amsterdam"}
    assert {m.owner.slack_id for m in plan.values() if m.owner} == {OSEI}  # the first author
    assert plan["review"].title == "Partner review starts: When creatives wear out (fatigue-p1)"
    # The same feature functions as /milestone add: reminders planned and the additions audited.
    for milestone in plan.values():
        assert _count(
            session_factory,
            ReminderDelivery,
            ReminderDelivery.milestone_id == milestone.id,
            ReminderDelivery.status == DeliveryStatus.PLANNED,
        )
    assert (
        _count(session_factory, AuditEntry, AuditEntry.action == "add", AuditEntry.entity == "milestone") >= 3
    )

    status = slack.command(BELL, "/paper status fatigue-p1").reply_text
    assert "Kwame Osei, Jane Doe" in status and "John Roe" in status
    assert "30 days" in status and "Partner review starts" in status and "overleaf.example" in status
    assert "fatigue-p1" in slack.command(OSEI, "/paper list").reply_text
    assert "fatigue-p1" in slack.command(BANERJEE, "/paper list fatigue").reply_text


def test_an_aoe_deadline_plans_milestones_at_2359_aoe(
    slack: SlackDriver, add_paper: AddPaper, session_factory: sessionmaker[Session]
) -> None:
    set_window(session_factory, "fatigue", 21)
    slack.command(MUELLER, "/paper venue-add wsfat workshop 2027-02-15 AoE Workshop on Ad Fatigue")
    add_paper(BELL, "fatigue", title="Attention decay", people=[BELL], venue="wsfat")
    plan = plan_of(session_factory, "fatigue-p1")
    assert plan["submission"].due_at == datetime(2027, 2, 16, 11, 59, tzinfo=UTC)
    assert plan["review"].due_at == datetime(2027, 1, 26, 11, 59, tzinfo=UTC)
    assert plan["draft"].due_at == datetime(2027, 1, 19, 11, 59, tzinfo=UTC)
    assert {m.due_timezone for m in plan.values()} == {"Etc/GMT+12"}
    assert "23:59 AoE" in slack.command(BELL, "/paper status fatigue-p1").reply_text


@pytest.mark.usefixtures("window")
def test_moving_the_venue_replans_the_same_milestones_with_their_reminders(
    slack: SlackDriver, add_paper: AddPaper, session_factory: sessionmaker[Session]
) -> None:
    slack.command(MUELLER, ADCON)
    add_paper(MUELLER, "fatigue", title="When creatives wear out", people=[OSEI], venue="adcon27")
    before = plan_of(session_factory, "fatigue-p1")

    moved = slack.command(MUELLER, "/paper venue-move adcon27 2027-04-15")
    assert "1 paper(s) you can see replanned" in moved.reply_text
    after = plan_of(session_factory, "fatigue-p1")
    assert {s: m.id for s, m in after.items()} == {s: m.id for s, m in before.items()}
    assert after["submission"].due_at == datetime(2027, 4, 15, 10, 0, tzinfo=UTC)  # 12:00 kept
    assert after["review"].due_at == datetime(2027, 3, 16, 11, 0, tzinfo=UTC)
    assert after["draft"].due_at == datetime(2027, 3, 9, 11, 0, tzinfo=UTC)
    with session_factory() as session:
        moves = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "move", AuditEntry.entity == "milestone")
        ).all()
        assert len(moves) == 3 and {m.actor for m in moves} == {MUELLER}
        for milestone in after.values():
            planned = session.scalars(
                select(ReminderDelivery).where(
                    ReminderDelivery.milestone_id == milestone.id,
                    ReminderDelivery.status == DeliveryStatus.PLANNED,
                )
            ).all()
            assert planned
            cancelled = session.scalars(
                select(ReminderDelivery).where(
                    ReminderDelivery.milestone_id == milestone.id,
                    ReminderDelivery.status == DeliveryStatus.CANCELLED,
                )
            ).all()
            assert cancelled  # the old date's reminders
    again = slack.command(MUELLER, "/paper venue-move adcon27 2027-04-15")
    assert "already has that deadline" in again.reply_text


@pytest.mark.usefixtures("window")
def test_changing_a_papers_venue_replans_and_none_removes_the_plan(
    slack: SlackDriver, add_paper: AddPaper, session_factory: sessionmaker[Session]
) -> None:
    slack.command(MUELLER, ADCON)
    slack.command(MUELLER, "/paper venue-add jads journal 2027-06-30 17:00 UTC Journal of Ad Science")
    add_paper(OSEI, "fatigue", title="When creatives wear out", people=[OSEI], venue="adcon27")
    reply = slack.command(OSEI, "/paper venue fatigue-p1 jads").reply_text
    assert "now targets `jads`" in reply and "3 moved" in reply
    assert plan_of(session_factory, "fatigue-p1")["submission"].due_at == datetime(
        2027, 6, 30, 17, 0, tzinfo=UTC
    )
    assert "already" in slack.command(OSEI, "/paper venue fatigue-p1 jads").reply_text
    cleared = slack.command(OSEI, "/paper venue fatigue-p1 none").reply_text
    assert "no venue" in cleared and "3 planned milestone(s) removed" in cleared
    assert plan_of(session_factory, "fatigue-p1") == {}


# -- the review window no longer fits -------------------------------------------------------------


@pytest.mark.usefixtures("window")
def test_a_window_that_no_longer_fits_is_told_to_the_lead_and_authors_at_once(
    slack: SlackDriver, add_paper: AddPaper, session_factory: sessionmaker[Session]
) -> None:
    # Now is 20 Nov 2026; a 30-day review before 10 Dec 23:59 AoE should have started on 10 Nov.
    slack.command(MUELLER, "/paper venue-add late26 conference 2026-12-10 AoE Late Conference 2026")
    done = add_paper(
        BELL, "fatigue", title="Too late", people=[BELL, OSEI], venue="late26", status="drafting"
    )
    dms = _dms(done)
    assert "no longer fits" in dms[BELL]  # the submitter, in the confirmation
    for told in (MUELLER, OSEI):
        assert "no longer fits" in dms[told] and "Tue 10 Nov 2026" in dms[told] and "fatigue-p1" in dms[told]
    assert set(dms) == {BELL, MUELLER, OSEI}
    # Steps whose day has passed are not created overdue: only the submission is planned.
    assert set(plan_of(session_factory, "fatigue-p1")) == {"submission"}
    assert "no longer fits" in slack.command(OSEI, "/paper status fatigue-p1").reply_text

    # A change that leaves the missed start as it was does not tell again.
    quiet = slack.command(MUELLER, "/paper set-status fatigue-p1 internal_review")
    assert _dms(quiet) == {}

    # Moving the venue so that the review misses another start tells again, with the new date.
    moved = slack.command(MUELLER, "/paper venue-move late26 2026-12-12")
    dms = _dms(moved)
    assert set(dms) == {BELL, OSEI} and "Thu 12 Nov 2026" in dms[OSEI]
    assert "no longer fits" in moved.reply_text  # the mover (the lead) sees it in the reply


@pytest.mark.usefixtures("window")
def test_a_window_that_fits_tells_nobody(slack: SlackDriver, add_paper: AddPaper) -> None:
    slack.command(MUELLER, ADCON)
    done = add_paper(BELL, "fatigue", title="In good time", people=[BELL, OSEI], venue="adcon27")
    assert set(_dms(done)) == {BELL} and "no longer fits" not in _dms(done)[BELL]


# -- funding proposals --------------------------------------------------------------------------------


@pytest.mark.usefixtures("window")
def test_funding_proposals_plan_each_organisations_signoff(
    slack: SlackDriver, add_paper: AddPaper, services: Services, session_factory: sessionmaker[Session]
) -> None:
    services.settings = dataclasses.replace(
        services.settings, signoff_days=(("Brightbid Ads", 10), ("Northwind Retail", 45))
    )
    slack.command(
        MUELLER, "/paper venue-add hzn27 funding_call 2027-05-20 17:00 Europe/Brussels Horizon ad call"
    )
    add_paper(MUELLER, "fatigue", title="Fatigue consortium", people=[OSEI, MUELLER], venue="hzn27")
    plan = plan_of(session_factory, "fatigue-p1")
    # Osei is at Brightbid Ads; Müller's organisation has no sign-off window here.
    assert set(plan) == {"draft", "review", "signoff:Brightbid Ads", "submission"}
    assert plan["signoff:Brightbid Ads"].due_at == datetime(2027, 5, 10, 15, 0, tzinfo=UTC)
    assert plan["draft"].due_at == datetime(2027, 4, 13, 15, 0, tzinfo=UTC)  # 30 + 7 days before
    assert "Funding proposal" in slack.command(OSEI, "/paper status fatigue-p1").reply_text


# -- status ---------------------------------------------------------------------------------------------


@pytest.mark.usefixtures("window")
def test_submitting_marks_the_plan_done(
    slack: SlackDriver, add_paper: AddPaper, session_factory: sessionmaker[Session]
) -> None:
    slack.command(MUELLER, ADCON)
    add_paper(MUELLER, "fatigue", title="When creatives wear out", people=[OSEI], venue="adcon27")
    assert "now *submitted*" in slack.command(OSEI, "/paper set-status fatigue-p1 submitted").reply_text
    assert {m.status for m in plan_of(session_factory, "fatigue-p1").values()} == {MilestoneStatus.DONE}
    assert "already submitted" in slack.command(OSEI, "/paper set-status fatigue-p1 submitted").reply_text


# -- privacy ----------------------------------------------------------------------------------------------


def test_private_projects_papers_are_invisible_to_non_members(
    slack: SlackDriver, add_paper: AddPaper, session_factory: sessionmaker[Session]
) -> None:
    set_window(session_factory, "fairdelivery", 30)
    slack.command(STEIN, "/paper venue-add late26 conference 2026-12-10 AoE Late Conference 2026")
    add_paper(STEIN, "fairdelivery", title="Secret skew audit", people=[KOVALENKO], venue="late26")
    assert "Secret skew audit" in slack.command(KOVALENKO, "/paper status fairdelivery-p1").reply_text
    assert "Secret skew audit" in slack.command(ADMIN, "/paper status fairdelivery-p1").reply_text

    hidden = slack.command(OSEI, "/paper status fairdelivery-p1").reply_text
    missing = slack.command(OSEI, "/paper status fairdelivery-p9").reply_text
    assert hidden == missing.replace("p9", "p1")
    for line in ("/paper list", "/paper list fairdelivery", "/paper set-status fairdelivery-p1 drafting"):
        exchange = slack.command(OSEI, line)
        assert "Secret skew" not in json.dumps([c.params for c in exchange.calls])
    assert "No project matches" in slack.command(OSEI, "/paper list fairdelivery").reply_text

    # A venue move by a lead elsewhere replans the private paper but names it only to its own people.
    moved = slack.command(MUELLER, "/paper venue-move late26 2026-12-12")
    assert "0 paper(s) you can see replanned" in moved.reply_text
    assert "Secret skew" not in json.dumps(moved.reply)
    dms = _dms(moved)
    assert set(dms) == {STEIN, KOVALENKO} and "Secret skew audit" in dms[STEIN]


def test_non_members_cannot_add_papers_and_others_cannot_edit_them(
    slack: SlackDriver, add_paper: AddPaper
) -> None:
    assert "Only members of *fatigue*" in slack.command(BANERJEE, "/paper add fatigue").reply_text
    add_paper(MUELLER, "fatigue", title="A paper", people=[OSEI])
    refused = slack.command(BELL, "/paper set-status fatigue-p1 drafting").reply_text
    assert "Only the paper's authors" in refused
    assert "now *drafting*" in slack.command(OSEI, "/paper set-status fatigue-p1 drafting").reply_text


# -- bad input ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "says"),
    [
        ("/paper", "joint papers"),
        ("/paper frobnicate", "I don't know `/paper frobnicate`"),
        ("/paper status", "Which paper?"),
        ("/paper status nonsense", "not a paper id"),
        ("/paper status fatigue-p42", "No paper `fatigue-p42`"),
        ("/paper list nosuchproject", "No project matches"),
        ("/paper set-status fatigue-p1", "Give the paper and its status"),
        ("/paper set-status fatigue-p1 banana", "not a paper status"),
        ("/paper venue fatigue-p1", "Give the paper and the venue"),
        ("/paper venue fatigue-p1 nosuch", "No venue `nosuch`"),
        ("/paper venue fatigue-p1 Bad!Key", "not a venue key"),
        ("/paper venue-move adcon27", "Give the venue and its new deadline"),
        ("/paper venue-move nosuch 2027-01-01", "No venue `nosuch`"),
        ("/paper venue-move adcon27 2027-01-01 noon", "did not understand"),
        ("/paper add nosuchproject", "No project matches"),
        ('/paper status "fatigue-p1', "quote"),
    ],
)
def test_every_command_explains_bad_input(
    slack: SlackDriver, add_paper: AddPaper, line: str, says: str
) -> None:
    slack.command(MUELLER, ADCON)
    add_paper(MUELLER, "fatigue", title="A paper", people=[OSEI])
    reply = slack.command(MUELLER, line).reply_text
    assert says in reply, reply


def test_outsiders_get_a_clear_answer(slack: SlackDriver) -> None:
    assert "joint papers" in slack.command(OUTSIDER, "/paper help").reply_text
    assert "You are on no project" in slack.command(OUTSIDER, "/paper add").reply_text
    listed = slack.command(OUTSIDER, "/paper list").reply_text
    assert "You are on no project, and papers belong to projects" in listed and "Add one" not in listed


@pytest.mark.parametrize(
    ("fields", "block", "says"),
    [
        ({"title": "  "}, ids.PAPER_TITLE_INPUT, "Give the paper a title"),
        ({"title": "x" * 201}, ids.PAPER_TITLE_INPUT, "at most 200"),
        ({"title": "T", "people": []}, ids.PAPER_PEOPLE_INPUT, "at least one author"),
        ({"title": "T", "people": ["U0FORGED1"]}, ids.PAPER_PEOPLE_INPUT, "not in Liaison's directory"),
        ({"title": "T", "people": [OSEI, OSEI]}, ids.PAPER_PEOPLE_INPUT, "listed twice"),
        ({"title": "T", "external": "9. Jane Doe"}, ids.PAPER_PEOPLE_INPUT, "only 1 authors"),
        ({"title": "T", "links": "ftp://x"}, ids.PAPER_LINKS_INPUT, "not a link"),
        ({"title": "T", "venue": "ghost"}, ids.PAPER_VENUE_INPUT, "No venue `ghost`"),
        ({"title": "T", "status": "banana"}, ids.PAPER_STATUS_INPUT, "not a paper status"),
    ],
)
def test_the_add_form_keeps_bad_fields_open(
    slack: SlackDriver, add_paper: AddPaper, fields: dict[str, object], block: str, says: str
) -> None:
    slack.command(MUELLER, ADCON)
    fields = {"people": [OSEI], **fields}
    errors = _errors(add_paper(MUELLER, "fatigue", **fields))
    assert says in errors[block], errors


def test_a_forged_form_for_a_project_the_submitter_is_not_on_is_refused(
    slack: SlackDriver, session_factory: sessionmaker[Session]
) -> None:
    view = opened_view(slack.command(OSEI, "/paper add fatigue"))
    from tests.publications.conftest import form_values

    errors = _errors(
        slack.submit(BANERJEE, view, form_values(project="fatigue", title="Forged", people=[OSEI]))
    )
    assert "Only members of *fatigue*" in errors[ids.PAPER_PROJECT_INPUT]
    errors = _errors(
        slack.submit(OSEI, view, form_values(project="fairdelivery", title="Forged", people=[OSEI]))
    )
    assert "No project matches" in errors[ids.PAPER_PROJECT_INPUT]
    assert _count(session_factory, Paper) == 0


def test_the_add_form_lists_only_the_submitters_projects_and_the_venues(slack: SlackDriver) -> None:
    slack.command(MUELLER, ADCON)
    view = opened_view(slack.command(OSEI, "/paper add"))
    blocks = {b["block_id"]: b for b in view["blocks"]}
    projects = [o["value"] for o in blocks[ids.PAPER_PROJECT_INPUT]["element"]["options"]]
    assert "fatigue" in projects and "fairdelivery" not in projects
    assert [o["value"] for o in blocks[ids.PAPER_VENUE_INPUT]["element"]["options"]] == ["adcon27"]
    assert view["callback_id"] == ids.PAPER_MODAL and len(view["title"]["text"]) <= 24


def test_user_text_is_escaped(
    slack: SlackDriver, add_paper: AddPaper, session_factory: sessionmaker[Session]
) -> None:
    add_paper(MUELLER, "fatigue", title="<!channel> & <@U0X>", people=[OSEI], external="<!here>")
    reply = slack.command(OSEI, "/paper list").reply
    assert "<!channel>" not in json.dumps(reply) and "&lt;!channel&gt;" in json.dumps(reply)
    assert "<!here>" not in json.dumps(reply)
    with session_factory() as session:
        assert session.scalar(select(func.count()).select_from(Venue)) == 0


@pytest.mark.usefixtures("window")
def test_a_changed_review_window_replans_the_projects_papers(
    slack: SlackDriver, add_paper: AddPaper, session_factory: sessionmaker[Session], services: Services
) -> None:
    slack.command(MUELLER, ADCON)
    add_paper(MUELLER, "fatigue", title="When creatives wear out", people=[OSEI], venue="adcon27")
    set_window(session_factory, "fatigue", 150)  # would have started on 2 Nov 2026
    with session_factory.begin() as session:
        agreement_id = session.scalars(select(Agreement.id).where(Agreement.key == "t-fatigue-150")).one()
        actor = act_as(session, services.settings, Requester(MUELLER))
        replans = replan_papers_for_agreement(
            session, actor, agreement_id, services.clock.now(), planning_defaults(services.settings)
        )
        (replanned,) = replans
        assert replanned.late is not None and replanned.late.window_days == 150
        assert replanned.late.recipients == (MUELLER, OSEI)
        assert [m.reply.text for m in late_messages(session, actor, replanned.late)][0].count(
            "no longer fits"
        )
    plan = plan_of(session_factory, "fatigue-p1")
    assert plan["review"].due_at == datetime(2026, 11, 2, 11, 0, tzinfo=UTC)  # moved into the past


def test_paper_list_asks_someone_on_no_project_to_add_nothing(slack: SlackDriver) -> None:
    # Sofia Lindqvist is in the directory but on no project: a paper would have nowhere to go.
    alone = slack.command("U03MSLIND", "/paper list").reply_text
    assert "You are on no project" in alone and "Add one with" not in alone

    # On a project with no papers yet, adding one is the next step.
    assert "Add one with `/paper add`" in slack.command(OSEI, "/paper list").reply_text
