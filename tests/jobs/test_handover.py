"""People's last days through the real job, the fake Slack Web API over HTTP and the Bolt app (SQLite).

Demo data: Ji-woo Kim (U08NLKIMJ, an intern in Seoul) has her last day on Fri 18 Dec 2026 and owns
brandsafe-1 (due Mon 30 Nov 17:00 Amsterdam) on brandsafe, whose lead is Dr. Alexei Petrov (U08NLPETR).
The workspace's zone is Europe/Amsterdam (UTC+1 in December).
"""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from bot.clock import FixedClock
from bot.domain.reminders import DeliveryKind
from bot.models import AuditEntry, DeliveryStatus, Membership, Person, Project
from bot.services import Services
from bot.settings import Settings
from bot.slack import ids
from jobs.handover import HANDOVER_JOB_ID, hand_over_leavers
from jobs.reminders import send_due_reminders
from jobs.scheduler import build_scheduler
from tests.conftest import DEMO_NOW
from tests.fakes.driver import SlackDriver, buttons_of, message_text
from tests.fakes.slack_api import RESPONSE_URL_METHOD, FakeSlackApi
from tests.jobs.reminder_support import deliveries, milestone, utc

pytestmark = pytest.mark.usefixtures("demo")

KIM = "U08NLKIMJ"
PETROV = "U08NLPETR"  # leads brandsafe
OSEI = "U01MLOSEI"  # member of bidshade (lead Banerjee) and fatigue (lead Müller)
BANERJEE = "U02ECBANE"
MUELLER = "U04CPMUEL"
NOTICE_DAY = utc(2026, 12, 4, 8, 0)  # Fri 4 Dec 09:00 Amsterdam: 14 days before her last day
DAY_AFTER = utc(2026, 12, 19, 8, 0)  # Sat 19 Dec 09:00 Amsterdam


def _dms(slack_api: FakeSlackApi, user: str) -> list[dict[str, object]]:
    return slack_api.messages(user)


def _set_until(factory: sessionmaker[Session], slack_id: str, until: date | None) -> None:
    with factory.begin() as session:
        session.execute(update(Person).where(Person.slack_id == slack_id).values(until=until))


def _person(factory: sessionmaker[Session], slack_id: str) -> Person:
    with factory() as session:
        return session.scalars(select(Person).where(Person.slack_id == slack_id)).one()


def _is_member(factory: sessionmaker[Session], slack_id: str, key: str) -> bool:
    with factory() as session:
        return (
            session.scalars(
                select(Membership)
                .join(Project, Membership.project_id == Project.id)
                .join(Person, Membership.person_id == Person.id)
                .where(Project.key == key, Person.slack_id == slack_id)
            ).first()
            is not None
        )


def _owner(factory: sessionmaker[Session], key: str, number: int) -> str | None:
    with factory() as session:
        m = milestone(factory, key, number)
        owner = session.get(Person, m.owner_id) if m.owner_id else None
        return owner.slack_id if owner else None


# -- the notice ------------------------------------------------------------------------------------


def test_nothing_is_sent_before_the_notice_window(services: Services, slack_api: FakeSlackApi) -> None:
    run = hand_over_leavers(services, now=DEMO_NOW)

    assert (run.notices, run.departures) == (0, 0)
    assert slack_api.calls("chat.postMessage") == []


def test_notice_starts_on_the_workspace_calendar_fourteen_days_ahead(
    services: Services, slack_api: FakeSlackApi
) -> None:
    # 23:59 on Thu 3 Dec in Amsterdam: 15 days ahead, not yet; a minute later it is Fri 4 Dec there.
    assert hand_over_leavers(services, now=utc(2026, 12, 3, 22, 59)).notices == 0
    assert hand_over_leavers(services, now=utc(2026, 12, 3, 23, 0)).notices == 1


def test_lead_is_told_once_with_the_milestones_and_a_button(
    services: Services, slack_api: FakeSlackApi, session_factory: sessionmaker[Session]
) -> None:
    assert hand_over_leavers(services, now=NOTICE_DAY).notices == 1
    assert hand_over_leavers(services, now=NOTICE_DAY + timedelta(hours=1)).notices == 0
    assert hand_over_leavers(services, now=utc(2026, 12, 18, 12, 0)).notices == 0

    (notice,) = _dms(slack_api, PETROV)
    text = message_text(notice)
    assert "<@U08NLKIMJ>'s last day is *Fri 18 Dec 2026*" in text
    assert "`brandsafe-1` *Annotated evaluation set in 12 languages*" in text
    assert "4 days overdue" in text  # due Mon 30 Nov, told on Fri 4 Dec
    (take,) = buttons_of(notice["blocks"])  # type: ignore[arg-type]
    assert (take["action_id"], json.loads(take["value"])) == (
        ids.TAKE_OVER_ACTION,
        {"person": KIM, "project": "brandsafe"},
    )
    assert "@Ji-woo Kim's last day is Fri 18 Dec 2026" in str(notice["text"])
    assert _person(session_factory, KIM).handover_notice_until == date(2026, 12, 18)
    assert len(slack_api.calls("chat.postMessage")) == 1  # nobody else is told


def test_a_new_end_date_gets_its_own_notice(
    services: Services, slack_api: FakeSlackApi, session_factory: sessionmaker[Session]
) -> None:
    hand_over_leavers(services, now=NOTICE_DAY)
    _set_until(session_factory, KIM, date(2026, 12, 11))

    assert hand_over_leavers(services, now=NOTICE_DAY + timedelta(hours=1)).notices == 1

    assert "*Fri 11 Dec 2026*" in message_text(_dms(slack_api, PETROV)[-1])


def test_an_undelivered_notice_is_tried_again_next_run(
    services: Services, slack_api: FakeSlackApi, session_factory: sessionmaker[Session]
) -> None:
    slack_api.fail("chat.postMessage", "channel_not_found", times=1)

    run = hand_over_leavers(services, now=NOTICE_DAY)

    assert (run.notices, run.released) == (0, 1)
    assert _person(session_factory, KIM).handover_notice_until is None
    assert hand_over_leavers(services, now=NOTICE_DAY + timedelta(minutes=30)).notices == 1
    assert len(_dms(slack_api, PETROV)) == 1


def test_each_lead_gets_their_own_projects(
    services: Services, slack_api: FakeSlackApi, session_factory: sessionmaker[Session]
) -> None:
    _set_until(session_factory, OSEI, date(2026, 12, 4))  # owns bidshade-3 and fatigue-2

    assert hand_over_leavers(services, now=DEMO_NOW).notices == 2

    banerjee, mueller = message_text(_dms(slack_api, BANERJEE)[0]), message_text(_dms(slack_api, MUELLER)[0])
    assert "bidshade-3" in banerjee and "fatigue" not in banerjee
    assert "fatigue-2" in mueller and "bidshade" not in mueller


def test_a_leaver_who_leads_is_asked_to_hand_the_lead_over(
    services: Services, slack_api: FakeSlackApi, session_factory: sessionmaker[Session]
) -> None:
    _set_until(session_factory, PETROV, date(2026, 12, 1))

    hand_over_leavers(services, now=DEMO_NOW)

    (notice,) = _dms(slack_api, PETROV)
    assert "You lead *Multilingual brand safety classifier* (`brandsafe`)" in message_text(notice)


# -- "Hand them to me" -------------------------------------------------------------------------------


def test_hand_them_to_me_gives_the_lead_her_milestones_and_replans_them(
    services: Services, slack: SlackDriver, slack_api: FakeSlackApi, session_factory: sessionmaker[Session]
) -> None:
    hand_over_leavers(services, now=NOTICE_DAY)
    assert isinstance(services.clock, FixedClock)
    services.clock.set(NOTICE_DAY + timedelta(minutes=5))
    (button,) = buttons_of(_dms(slack_api, PETROV)[0]["blocks"])  # type: ignore[arg-type]

    clicked = slack.click(PETROV, button)

    assert _owner(session_factory, "brandsafe", 1) == PETROV
    reply = clicked.of(RESPONSE_URL_METHOD)[0].params
    assert "are yours now" in message_text(reply) and "brandsafe-1" in message_text(reply)
    told = [c for c in clicked.of("chat.postMessage") if c.params["channel"] == KIM]
    assert len(told) == 1 and "took over your open milestones" in message_text(told[0].params)
    assert PETROV in {c.params["user_id"] for c in clicked.of("views.publish")}
    with session_factory() as session:
        audit = session.scalars(select(AuditEntry).where(AuditEntry.action == "assign")).one()
        assert audit.actor == PETROV
    m = milestone(session_factory, "brandsafe", 1)
    pending = [
        d for d in deliveries(session_factory, milestone_id=m.id) if d.status == DeliveryStatus.PLANNED
    ]
    assert pending and all(d.kind != DeliveryKind.LEAD_TIME or d.recipient_id == m.owner_id for d in pending)

    again = slack.click(PETROV, button)
    assert "nothing changed" in message_text(again.of(RESPONSE_URL_METHOD)[0].params)


def test_hand_them_to_me_is_refused_to_someone_who_does_not_lead(
    services: Services, slack: SlackDriver, slack_api: FakeSlackApi, session_factory: sessionmaker[Session]
) -> None:
    hand_over_leavers(services, now=NOTICE_DAY)
    (button,) = buttons_of(_dms(slack_api, PETROV)[0]["blocks"])  # type: ignore[arg-type]

    clicked = slack.click("U13PMTANA", button)  # a member of brandsafe, not its lead

    assert _owner(session_factory, "brandsafe", 1) == KIM
    assert "lead" in message_text(clicked.of(RESPONSE_URL_METHOD)[0].params)


def test_a_forged_take_over_button_is_refused(
    slack: SlackDriver, session_factory: sessionmaker[Session]
) -> None:
    clicked = slack.click(PETROV, {"action_id": ids.TAKE_OVER_ACTION, "value": "{not json"})

    assert "out of date" in message_text(clicked.of(RESPONSE_URL_METHOD)[0].params)
    assert _owner(session_factory, "brandsafe", 1) == KIM


# -- the day after -----------------------------------------------------------------------------------


def test_on_her_last_day_nothing_changes_yet(
    services: Services, session_factory: sessionmaker[Session]
) -> None:
    hand_over_leavers(services, now=utc(2026, 12, 18, 22, 59))  # 23:59 on Fri 18 Dec in Amsterdam

    assert _owner(session_factory, "brandsafe", 1) == KIM
    assert _is_member(session_factory, KIM, "brandsafe")


def test_the_day_after_her_milestones_go_to_the_lead_and_she_leaves(
    services: Services, slack_api: FakeSlackApi, session_factory: sessionmaker[Session]
) -> None:
    run = hand_over_leavers(services, now=DAY_AFTER)

    assert run.departures == 1
    assert _owner(session_factory, "brandsafe", 1) == PETROV
    assert not _is_member(session_factory, KIM, "brandsafe")
    (told,) = _dms(slack_api, PETROV)
    text = message_text(told)
    assert "<@U08NLKIMJ> left *Multilingual brand safety classifier* (`brandsafe`)" in text
    assert "Fri 18 Dec 2026" in text and "Yours now" in text and "brandsafe-1" in text
    with session_factory() as session:
        actions = {(a.actor, a.action) for a in session.scalars(select(AuditEntry))}
    assert {("liaison", "assign"), ("liaison", "remove")} <= actions
    published = {c.params["user_id"] for c in slack_api.calls("views.publish")}
    assert {PETROV, KIM} <= published

    assert hand_over_leavers(services, now=DAY_AFTER + timedelta(days=1)).departures == 0
    assert len(_dms(slack_api, PETROV)) == 1


def test_a_project_she_leads_is_left_to_a_person(
    services: Services, slack_api: FakeSlackApi, session_factory: sessionmaker[Session]
) -> None:
    _set_until(session_factory, PETROV, date(2026, 11, 19))

    hand_over_leavers(services, now=DEMO_NOW)

    assert _owner(session_factory, "brandsafe", 2) == PETROV
    assert _is_member(session_factory, PETROV, "brandsafe")


# -- nobody is reminded after their last day ---------------------------------------------------------

# Tue 24 Nov 09:00 in Seoul: seven days before brandsafe-1 on her calendar (due Tue 1 Dec 01:00 there).
T7_BRANDSAFE_1 = utc(2026, 11, 24, 0, 0)


@pytest.mark.parametrize(("until", "sent"), [(None, 1), (date(2026, 11, 22), 0)])
def test_reminders_stop_after_the_last_day(
    services: Services,
    slack_api: FakeSlackApi,
    session_factory: sessionmaker[Session],
    until: date | None,
    sent: int,
) -> None:
    _set_until(session_factory, KIM, until)

    send_due_reminders(services, now=T7_BRANDSAFE_1)

    assert len(_dms(slack_api, KIM)) == sent
    m = milestone(session_factory, "brandsafe", 1)
    (row,) = [d for d in deliveries(session_factory, milestone_id=m.id) if "T-7d" in d.key]
    assert row.status == (DeliveryStatus.SENT if sent else DeliveryStatus.CANCELLED)


# -- the schedule --------------------------------------------------------------------------------------


def test_scheduler_registers_the_handover_job(session_factory: sessionmaker[Session]) -> None:
    services = Services(settings=Settings(), session_factory=session_factory, clock=FixedClock(DEMO_NOW))

    job = build_scheduler(services).get_job(HANDOVER_JOB_ID)

    assert job is not None and job.func is hand_over_leavers
    assert job.trigger.interval == timedelta(minutes=30)
    assert (job.coalesce, job.max_instances) == (True, 1)


def test_notice_days_come_from_settings(
    services: Services, slack_api: FakeSlackApi, session_factory: sessionmaker[Session]
) -> None:
    assert Settings.from_env({"LIAISON_HANDOVER_NOTICE_DAYS": "30"}).handover_notice_days == 30
    services.settings = Settings.from_env(
        {"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_API_URL": slack_api.url, "LIAISON_HANDOVER_NOTICE_DAYS": "28"}
    )

    assert hand_over_leavers(services, now=DEMO_NOW).notices == 1  # 28 days ahead
