"""The App Home's lead view and admins' alliance overview, through the real Bolt path.

`app_home_opened` → `views.publish` recorded by the fake Slack Web API; buttons pressed in the view.
Demo data as of Fri 20 Nov 2026: Dr. Mei Wong (U06CRWONG) leads pcm, where Priya Rao's pcm-2 (due
Thu 19 Nov) is overdue; Dr. Alexei Petrov (U08NLPETR) leads brandsafe, where the intern Ji-woo Kim
(U08NLKIMJ) owns brandsafe-1 (due Mon 30 Nov 17:00).
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from bot.clock import FixedClock
from bot.models import (
    Blocker,
    Membership,
    Milestone,
    MilestoneStatus,
    Person,
    Project,
    ProjectStatus,
    Role,
    Workspace,
)
from bot.services import Services
from bot.slack import ids
from tests.fakes.driver import Exchange, SlackDriver, buttons_of, message_text, opened_view
from tests.fakes.slack_api import RESPONSE_URL_METHOD
from tests.handlers.test_home_and_safety import _check_limits
from tests.jobs.reminder_support import milestone, utc

pytestmark = pytest.mark.usefixtures("demo")

WONG = "U06CRWONG"
RAO = "U03MSRAO"
OSEI = "U01MLOSEI"
PETROV = "U08NLPETR"
KIM = "U08NLKIMJ"
BANERJEE = "U02ECBANE"  # leads bidshade, owns bidshade-2 (due Fri 27 Nov 12:00)
ADMIN = "U0ADMIN"  # in LIAISON_ADMINS (tests/conftest.py), not in the directory


def _open_home(slack: SlackDriver, user: str) -> tuple[dict[str, Any], Exchange]:
    exchange = slack.event({"type": "app_home_opened", "user": user, "channel": "D1", "tab": "home"})
    return _published(exchange, user), exchange


def _published(exchange: Exchange, user: str) -> dict[str, Any]:
    published = [c for c in exchange.of("views.publish") if c.params["user_id"] == user]
    assert published, [c.method for c in exchange.calls]
    view = published[-1].params["view"]
    return view if isinstance(view, dict) else json.loads(view)


def _text(view: dict[str, Any]) -> str:
    return message_text({"blocks": view["blocks"]})


def _button(view: dict[str, Any], action_id: str, value: str | None = None) -> dict[str, Any]:
    return next(
        b
        for b in buttons_of(view["blocks"])
        if b["action_id"] == action_id and (value is None or b["value"] == value)
    )


def _lead_part(view: dict[str, Any]) -> str:
    return _text(view).split("*Projects you lead*")[1].split("*Due in the next 14 days*")[0]


def test_lead_sees_others_overdue_milestones_with_done_and_move(slack: SlackDriver) -> None:
    view, exchange = _open_home(slack, WONG)

    assert exchange.status == 200
    lead = _lead_part(view)
    assert "(`pcm`)" in _text(view)
    assert "*Overdue on your projects* (1)" in lead and "`pcm-2`" in lead
    assert _button(view, ids.MILESTONE_DONE_ACTION, "pcm-2")["text"]["text"] == "Mark done"
    assert _button(view, ids.HOME_MOVE_ACTION, "pcm-2")["text"]["text"] == "Move date…"
    _check_limits(exchange.of("views.publish")[0])


def test_someone_who_leads_nothing_has_no_lead_view(slack: SlackDriver) -> None:
    view, _ = _open_home(slack, RAO)

    text = _text(view)
    assert "Projects you lead" not in text and "Alliance overview" not in text
    assert "*Overdue* (2)" in text  # her own, as before


def test_done_in_the_lead_view_completes_and_republishes(
    slack: SlackDriver, session_factory: sessionmaker[Session]
) -> None:
    view, _ = _open_home(slack, WONG)

    clicked = slack.click(WONG, _button(view, ids.MILESTONE_DONE_ACTION, "pcm-2"), view={**view, "id": "VH"})

    assert milestone(session_factory, "pcm", 2).status == MilestoneStatus.DONE
    assert "pcm-2" not in _lead_part(_published(clicked, WONG))
    assert not clicked.of("views.open")


def _submit_move(slack: SlackDriver, user: str, form: dict[str, Any], text: str) -> Exchange:
    return slack.submit(
        user, form, {ids.DUE_INPUT: {ids.DUE_INPUT: {"type": "plain_text_input", "value": text}}}
    )


def test_move_in_the_lead_view_opens_a_form_and_moves_keeping_the_time(
    slack: SlackDriver, session_factory: sessionmaker[Session]
) -> None:
    view, _ = _open_home(slack, WONG)

    form = opened_view(
        slack.click(WONG, _button(view, ids.HOME_MOVE_ACTION, "pcm-2"), view={**view, "id": "VH"})
    )
    assert form["callback_id"] == ids.HOME_MOVE_MODAL and len(form["title"]["text"]) <= 24
    assert "pcm-2" in _text(form)

    ambiguous = _submit_move(slack, WONG, form, "12/04")
    assert '"response_action": "errors"' in ambiguous.body and "2026-12-04" in ambiguous.body
    past = _submit_move(slack, WONG, form, "2026-11-02")
    assert '"response_action": "errors"' in past.body and "in the past" in past.body

    moved = _submit_move(slack, WONG, form, "dec 4")

    assert moved.status == 200 and moved.body == ""
    assert milestone(session_factory, "pcm", 2).due_at == utc(2026, 12, 4, 16, 0)  # 17:00 Amsterdam, kept
    assert "pcm-2" not in _lead_part(_published(moved, WONG))  # no longer overdue


def test_move_is_refused_to_someone_who_may_not_change_the_milestone(
    slack: SlackDriver, session_factory: sessionmaker[Session]
) -> None:
    view, _ = _open_home(slack, WONG)
    button = _button(view, ids.HOME_MOVE_ACTION, "pcm-2")

    refused = slack.click(OSEI, button, view={**view, "id": "VH"})  # not on pcm

    assert "Only the lead" in _text(opened_view(refused))
    form = opened_view(slack.click(WONG, button, view={**view, "id": "VH"}))
    forged = _submit_move(slack, OSEI, form, "dec 4")
    assert '"response_action": "errors"' in forged.body
    assert milestone(session_factory, "pcm", 2).due_at == utc(2026, 11, 19, 16, 0)


def test_open_blockers_have_a_resolve_button(
    slack: SlackDriver, session_factory: sessionmaker[Session]
) -> None:
    slack.command(RAO, "/blocker add pcm waiting for the clean room contract")
    view, _ = _open_home(slack, WONG)
    assert "*Open blockers* (1)" in _lead_part(view)

    clicked = slack.click(
        WONG, _button(view, ids.BLOCKER_RESOLVE_ACTION, "pcm-b1"), view={**view, "id": "VH"}
    )

    with session_factory() as session:
        blocker = session.scalars(select(Blocker)).one()
        assert blocker.resolved_at is not None
    assert "Open blockers" not in _lead_part(_published(clicked, WONG))
    assert not clicked.of("views.open")


def test_resolve_by_someone_who_may_not_says_why_in_a_modal(slack: SlackDriver) -> None:
    slack.command(RAO, "/blocker add pcm waiting for the clean room contract")
    view, _ = _open_home(slack, WONG)

    refused = slack.click(
        OSEI, _button(view, ids.BLOCKER_RESOLVE_ACTION, "pcm-b1"), view={**view, "id": "VH"}
    )

    assert "Only whoever raised a blocker" in _text(opened_view(refused))


@pytest.fixture
def near_the_end(demo: None, services: Services, session_factory: sessionmaker[Session]) -> None:
    """Sat 28 Nov: brandsafe-1 is due within three days, and Kim's last day is Fri 4 Dec."""
    assert isinstance(services.clock, FixedClock)
    services.clock.set(utc(2026, 11, 28, 8, 0))
    with session_factory.begin() as session:
        session.execute(update(Person).where(Person.slack_id == KIM).values(until=date(2026, 12, 4)))


@pytest.mark.usefixtures("near_the_end")
def test_a_lead_whose_own_milestone_is_overdue_is_not_told_nothing_is_overdue(slack: SlackDriver) -> None:
    # Sat 28 Nov: Banerjee's own bidshade-2 (due Fri 27 Nov) is overdue; nothing of the others' on
    # bidshade is overdue, at risk or blocked. Her own is in her own list; the lead part speaks only of
    # the others', and must not say that nothing is overdue.
    view, _ = _open_home(slack, BANERJEE)

    text = _text(view)
    own = text.split("*Projects you lead*")[0]
    assert "*Overdue* (1)" in own and "`bidshade-2`" in own
    lead = _lead_part(view)
    assert "Nothing else needs you there: no one else's milestone is overdue or at risk" in lead
    assert "nothing overdue" not in lead.lower()


@pytest.mark.usefixtures("near_the_end")
def test_lead_sees_at_risk_items_and_people_leaving(slack: SlackDriver) -> None:
    view, _ = _open_home(slack, PETROV)

    lead = _lead_part(view)
    assert "*At risk: due within 3 days* (1)" in lead and "`brandsafe-1`" in lead
    assert "*Leaving within 14 days* (1)" in lead
    assert "<@U08NLKIMJ> · `brandsafe` · last day *Fri 4 Dec 2026* · owns 1 open milestone there" in lead
    take = _button(view, ids.TAKE_OVER_ACTION)
    assert json.loads(take["value"]) == {"person": KIM, "project": "brandsafe"}


@pytest.mark.usefixtures("near_the_end")
def test_hand_them_to_me_from_the_home(slack: SlackDriver, session_factory: sessionmaker[Session]) -> None:
    view, _ = _open_home(slack, PETROV)

    clicked = slack.click(PETROV, _button(view, ids.TAKE_OVER_ACTION), view={**view, "id": "VH"})

    with session_factory() as session:
        owner = session.get(Person, milestone(session_factory, "brandsafe", 1).owner_id)
        assert owner is not None and owner.slack_id == PETROV
    assert not clicked.of(RESPONSE_URL_METHOD) and not clicked.of("views.open")
    assert [c.params["channel"] for c in clicked.of("chat.postMessage")] == [KIM]
    after = _lead_part(_published(clicked, PETROV))
    assert "owns no open milestones there" in after


@pytest.mark.usefixtures("near_the_end")
def test_members_list_shows_the_last_day(slack: SlackDriver) -> None:
    text = slack.command(PETROV, "/project members brandsafe").reply_text

    assert (
        "<@U08NLKIMJ> — Natural language processing · Brightbid Ads · :wave: last day Fri 4 Dec 2026" in text
    )


# -- the alliance overview -------------------------------------------------------------------------


def test_admin_sees_every_project_in_the_overview(slack: SlackDriver) -> None:
    view, exchange = _open_home(slack, ADMIN)

    text = _text(view)
    assert "*Alliance overview* (7 projects)" in text
    for key in ("bidshade", "brandsafe", "consentux", "fairdelivery", "fatigue", "pcm", "uplift"):
        assert f"`{key}`" in text
    assert "`fairdelivery` :lock:" in text  # private projects too: admins see them
    pcm = next(line for line in text.splitlines() if "`pcm`" in line)
    assert ":large_yellow_circle: at risk" in pcm and "lead <@U06CRWONG>" in pcm
    assert "*1 overdue*" in text and "next `pcm-3` *Prototype PSI-sum over clean-room data*" in text
    _check_limits(exchange.of("views.publish")[0])


def test_non_admins_get_no_overview(slack: SlackDriver) -> None:
    view, _ = _open_home(slack, WONG)
    assert "Alliance overview" not in _text(view)


# -- Block Kit's 100 blocks ------------------------------------------------------------------------


@pytest.fixture
def busy_admin_lead(demo: None, session_factory: sessionmaker[Session]) -> None:
    """The admin is in the directory and leads 30 projects, each with others' overdue and at-risk
    milestones, blockers and a leaver; they also own 16 overdue and 16 upcoming milestones."""
    base = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
    with session_factory.begin() as session:
        workspace = session.scalars(select(Workspace)).one()
        admin = Person(workspace_id=workspace.id, slack_id=ADMIN, name="Ada Admin")
        helper = Person(
            workspace_id=workspace.id, slack_id="U0HELPER", name="Hal Helper", until=date(2026, 11, 30)
        )
        session.add_all([admin, helper])
        session.flush()
        for n in range(30):
            project = Project(
                workspace_id=workspace.id,
                key=f"busy{n:02d}",
                name=f"Busy project {n}",
                description="",
                status=ProjectStatus.AT_RISK,
                private=False,
                lead_id=admin.id,
            )
            project.memberships += [
                Membership(person_id=admin.id, role=Role.LEAD, position=0),
                Membership(person_id=helper.id, role=Role.MEMBER, position=1),
            ]
            for k in range(4):
                owner = admin.id if k < 2 and n < 16 else helper.id
                due = base - timedelta(days=k + 1) if k % 2 == 0 else base + timedelta(days=1, hours=k)
                project.milestones.append(
                    Milestone(
                        number=k + 1,
                        title=f"Step {k} of {n}",
                        due_at=due,
                        due_timezone="Europe/Amsterdam",
                        owner_id=owner,
                        status=MilestoneStatus.OPEN,
                    )
                )
            project.blockers.append(
                Blocker(number=1, text=f"Stuck {n}", raised_by_id=helper.id, raised_at=base)
            )
            session.add(project)


@pytest.mark.usefixtures("busy_admin_lead")
def test_a_busy_home_stays_within_100_blocks_and_says_what_is_left_out(slack: SlackDriver) -> None:
    view, exchange = _open_home(slack, ADMIN)

    assert len(view["blocks"]) <= 100
    _check_limits(exchange.of("views.publish")[0])
    text = _text(view)
    assert "…and 6 more. `/milestone overdue` lists them all." in text  # 16 own overdue, 10 shown
    assert "*Overdue on your projects* (44)" in text and "…and 40 more. `/milestone overdue all`" in text
    assert "*At risk: due within 3 days* (44)" in text
    assert "*Open blockers* (30)" in text and "…and 26 more. `/blocker list` lists them all." in text
    assert "*Leaving within 14 days* (30)" in text
    assert "*My projects* (30)" in text and "…and 22 more." in text
    assert "*Alliance overview* (37 projects)" in text and "…and 25 more. `liaison report --csv`" in text
    assert "More items not shown" not in text  # the section limits kept it within 100 on their own


def test_an_open_blockers_age_is_how_long_ago_it_was_raised(slack: SlackDriver, clock: FixedClock) -> None:
    slack.command(RAO, "/blocker add pcm waiting for the clean room contract")
    clock.advance(timedelta(days=2, hours=1))

    view, _ = _open_home(slack, WONG)
    part = _lead_part(view)

    assert "raised by <@U03MSRAO> 2 days ago" in part and "days overdue" not in part.split("Open blockers")[1]
