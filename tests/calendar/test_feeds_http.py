"""Calendar feeds end to end: `/liaison calendar` over signed HTTP, the feed fetched over real HTTP from the
served WSGI app (`bot.serving.web`), parsed back with `icalendar` and checked event by event.

The demo alliance, as of Fri 20 Nov 2026 08:00 UTC. Kwame Osei (U01MLOSEI) owns bidshade-3 (Fri 11 Dec
17:00 Amsterdam) and fatigue-2 (Wed 16 Dec 17:00 Amsterdam); fairdelivery is private (U12ETSTEI, U01MLKOV).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar
from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from bot.clock import FixedClock
from bot.models import DeliveryStatus, Membership, Milestone, Person, Project, ReminderDelivery
from bot.services import Services
from bot.slack import ids
from tests.calendar.support import FEED_URL, Feeds, events, milestones, owned_milestones, path_in, start_of
from tests.fakes.driver import buttons_of, message_text
from tests.security.served import ServerPool, http_request

OSEI, BANERJEE, STEIN, KOVACS, ADMIN = "U01MLOSEI", "U02ECBANE", "U12ETSTEI", "U01MLKOV", "U0ADMIN"
AMSTERDAM = ZoneInfo("Europe/Amsterdam")


BIDSHADE_3 = "milestone-bidshade-3.w1@liaison"
FATIGUE_2 = "milestone-fatigue-2.w1@liaison"
FAIR_2 = "milestone-fairdelivery-2.w1@liaison"


def test_my_feed_holds_the_milestones_i_own_with_their_reminders(
    feeds: Feeds, session_factory: sessionmaker[Session]
) -> None:
    reply = feeds.command(OSEI, "/liaison calendar")
    path = path_in(reply)
    calendar = feeds.calendar(path)

    assert reply["response_type"] == "ephemeral"
    assert [b["action_id"] for b in buttons_of(reply["blocks"])] == [ids.CALENDAR_RESET_ACTION]
    assert buttons_of(reply["blocks"])[0]["value"] == "@me"  # Slack refuses an empty button value
    assert str(calendar["VERSION"]) == "2.0"
    assert str(calendar["X-WR-CALNAME"]) == "Liaison: Kwame Osei"
    found = events(calendar)
    assert milestones(found) == owned_milestones(session_factory, OSEI)
    assert {BIDSHADE_3, FATIGUE_2} <= milestones(found)
    bidshade = found[BIDSHADE_3]
    assert str(bidshade["SUMMARY"]) == "bidshade-3: Offline replay comparison of shading policies"
    # Written in the zone it was set in, with that zone's VTIMEZONE: 17:00 in Amsterdam is 16:00 UTC.
    assert bidshade["DTSTART"].params["TZID"] == "Europe/Amsterdam"
    assert start_of(bidshade) == datetime(2026, 12, 11, 17, 0, tzinfo=AMSTERDAM)
    # Every zone an event is written in has its VTIMEZONE, and no other is sent.
    used = {event["DTSTART"].params["TZID"] for event in found.values() if "TZID" in event["DTSTART"].params}
    assert "Europe/Amsterdam" in used
    assert {str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")} == used
    assert int(bidshade["SEQUENCE"]) == 0
    assert str(bidshade["STATUS"]) == "CONFIRMED"
    assert str(bidshade["TRANSP"]) == "TRANSPARENT"
    assert "DTEND" not in bidshade  # a deadline is a moment
    with session_factory() as session:
        planned = sorted(
            session.scalars(
                select(ReminderDelivery.send_at)
                .join(Person, Person.id == ReminderDelivery.recipient_id)
                .where(
                    Person.slack_id == OSEI,
                    ReminderDelivery.milestone_id.is_not(None),
                    ReminderDelivery.status == DeliveryStatus.PLANNED,
                    ReminderDelivery.kind == "lead_time",
                )
            )
        )
    alarms = sorted(alarm["TRIGGER"].dt for uid in milestones(found) for alarm in found[uid].walk("VALARM"))
    assert planned and alarms == planned
    assert all(alarm["TRIGGER"].params["VALUE"] == "DATE-TIME" for alarm in bidshade.walk("VALARM"))


def test_a_move_is_an_update_same_uid_higher_sequence(feeds: Feeds, clock: FixedClock) -> None:
    path = feeds.url_of(OSEI)
    first = events(feeds.calendar(path))

    clock.advance(timedelta(hours=1))
    moved = feeds.command(OSEI, "/milestone move bidshade-3 2026-12-15")
    assert "Dec" in message_text(moved) or "15" in message_text(moved)
    clock.advance(timedelta(hours=1))
    second = feeds.get(path)
    again = feeds.get(path)

    after = events(Calendar.from_ical(second.body))
    assert set(after) == set(first)
    assert {BIDSHADE_3, FATIGUE_2} <= milestones(after)
    assert start_of(after[BIDSHADE_3]) == datetime(2026, 12, 15, 17, 0, tzinfo=AMSTERDAM)
    assert int(after[BIDSHADE_3]["SEQUENCE"]) == 1
    assert after[BIDSHADE_3]["LAST-MODIFIED"].dt == clock.now()
    # The other event did not change at all.
    assert int(after[FATIGUE_2]["SEQUENCE"]) == 0
    assert after[FATIGUE_2].to_ical() == first[FATIGUE_2].to_ical()
    # A fetch that finds nothing new serves the very same bytes (and ETag), SEQUENCE unchanged.
    assert again.body == second.body
    assert again.headers["etag"] == second.headers["etag"]
    # The moved milestone's old reminders were cancelled and new ones planned: the alarms follow.
    triggers = [alarm["TRIGGER"].dt for alarm in after[BIDSHADE_3].walk("VALARM")]
    assert triggers and max(triggers) <= datetime(2026, 12, 15, 16, 0, tzinfo=UTC)
    assert min(triggers) > datetime(2026, 12, 4, 9, 0, tzinfo=UTC)


def test_done_is_marked_and_deleted_is_removed(feeds: Feeds) -> None:
    path = feeds.url_of(OSEI)
    assert int(events(feeds.calendar(path))[FATIGUE_2]["SEQUENCE"]) == 0
    feeds.command(OSEI, "/milestone done fatigue-2")
    done = events(feeds.calendar(path))[FATIGUE_2]

    assert str(done["SUMMARY"]).startswith("✓ fatigue-2: ")
    assert "Done" in done["CATEGORIES"].cats
    assert done.walk("VALARM") == []
    assert int(done["SEQUENCE"]) == 1
    assert str(done["STATUS"]) == "CONFIRMED"  # VEVENT has no COMPLETED (RFC 5545 3.8.1.11)

    deleted = feeds.command(ADMIN, "/milestone delete bidshade-3")
    assert "bidshade-3" in message_text(deleted)
    left = milestones(events(feeds.calendar(path)))
    assert FATIGUE_2 in left and BIDSHADE_3 not in left


def test_reset_retires_the_old_address_at_once(feeds: Feeds) -> None:
    reply = feeds.command(OSEI, "/liaison calendar")
    old = path_in(reply)
    assert feeds.get(old).status == 200

    button = buttons_of(reply["blocks"])[0]
    after = feeds.click(OSEI, button)
    new = path_in(after)

    assert after["replace_original"] is True
    assert "old one stopped working" in message_text(after)
    assert new != old
    assert feeds.get(old).status == 404
    assert {BIDSHADE_3, FATIGUE_2} <= set(events(feeds.calendar(new)))
    # Asking again shows the same (new) address; the old one stays dead.
    assert feeds.url_of(OSEI) == new
    assert feeds.get(old).status == 404


def test_reset_by_command_and_someone_elses_click_only_resets_their_own(feeds: Feeds) -> None:
    mine = feeds.url_of(OSEI)
    reply = feeds.command(OSEI, "/liaison calendar")
    button = buttons_of(reply["blocks"])[0]

    # Banerjee presses a copy of Osei's button: he gets a new address of his own feed.
    theirs = path_in(feeds.click(BANERJEE, button))

    assert feeds.get(mine).status == 200
    assert BIDSHADE_3 not in events(feeds.calendar(theirs))
    new_mine = path_in(feeds.command(OSEI, "/liaison calendar reset"))
    assert new_mine != mine and feeds.get(mine).status == 404


def test_private_projects_stay_private(feeds: Feeds, session_factory: sessionmaker[Session]) -> None:
    osei = feeds.url_of(OSEI)
    kovacs = feeds.url_of(KOVACS)
    assert FAIR_2 not in events(feeds.calendar(osei))
    assert FAIR_2 in events(feeds.calendar(kovacs))

    refused = feeds.command(OSEI, "/liaison calendar fairdelivery")
    assert FEED_URL.search(message_text(refused)) is None
    assert "Fairness" not in message_text(refused)

    project = feeds.url_of(STEIN, "fairdelivery")
    assert {"milestone-fairdelivery-1.w1@liaison", FAIR_2} <= set(events(feeds.calendar(project)))
    # Someone taken off the private project stops seeing it in both feeds at once.
    with session_factory.begin() as session:
        stein = session.scalars(select(Person).where(Person.slack_id == STEIN)).one()
        kov = session.scalars(select(Person).where(Person.slack_id == KOVACS)).one()
        fair = session.scalars(select(Project).where(Project.key == "fairdelivery")).one()
        session.execute(
            delete(Membership).where(
                Membership.project_id == fair.id, Membership.person_id.in_([stein.id, kov.id])
            )
        )
    assert feeds.get(project).status == 404
    assert FAIR_2 not in events(feeds.calendar(kovacs))


def test_project_feed_is_for_members_only(feeds: Feeds, session_factory: sessionmaker[Session]) -> None:
    refused = feeds.command(STEIN, "/liaison calendar bidshade")
    assert "members of *bidshade*" in message_text(refused)
    assert FEED_URL.search(message_text(refused)) is None

    path = feeds.url_of(OSEI, "bidshade")
    found = events(feeds.calendar(path))
    with session_factory() as session:
        numbers = session.scalars(
            select(Milestone.number).join(Milestone.project).where(Project.key == "bidshade")
        ).all()
    assert set(found) == {f"milestone-bidshade-{n}.w1@liaison" for n in numbers}
    assert {f"milestone-bidshade-{n}.w1@liaison" for n in (1, 2, 3, 4)} <= set(found)
    # Project feeds carry no one's personal reminders; a done milestone is marked.
    assert all(event.walk("VALARM") == [] for event in found.values())
    assert str(found["milestone-bidshade-1.w1@liaison"]["SUMMARY"]).startswith("✓ ")


def test_archived_projects_drop_out(feeds: Feeds) -> None:
    mine = feeds.url_of(OSEI)
    project = feeds.url_of(OSEI, "bidshade")

    feeds.command(BANERJEE, "/project archive bidshade")

    left = milestones(events(feeds.calendar(mine)))
    assert FATIGUE_2 in left and not any(uid.startswith("milestone-bidshade-") for uid in left)
    assert events(feeds.calendar(project)) == {}
    archived = feeds.command(OSEI, "/liaison calendar bidshade")
    assert FEED_URL.search(message_text(archived)) is None


def test_etag_head_and_conditional_get(feeds: Feeds) -> None:
    path = feeds.url_of(OSEI)
    full = feeds.get(path)
    etag = full.headers["etag"]

    head = feeds.get(path, method="HEAD")
    unchanged = feeds.get(path, **{"If-None-Match": etag})
    feeds.command(OSEI, "/milestone done fatigue-2")
    changed = feeds.get(path, **{"If-None-Match": etag})

    assert etag.startswith('"') and full.headers["cache-control"] == "private, no-cache"
    assert (head.status, head.body, head.headers["etag"]) == (200, b"", etag)
    assert (unchanged.status, unchanged.body) == (304, b"")
    assert changed.status == 200 and changed.headers["etag"] != etag


@pytest.mark.parametrize(
    "path",
    [
        "/calendar/" + "A" * 43 + ".ics",  # well formed, never issued
        "/calendar/short.ics",
        "/calendar/" + "A" * 43,
        "/calendar/",
        "/calendar/../healthz",
        "/calendar/" + "A" * 42 + "%2F.ics",
    ],
)
def test_unknown_or_malformed_tokens_are_404(feeds: Feeds, path: str) -> None:
    reply = feeds.get(path)
    assert reply.status == 404
    assert reply.body == b"Not Found"


def test_only_get_and_head(feeds: Feeds) -> None:
    path = feeds.url_of(OSEI)
    reply = http_request(f"{feeds.served.url}{path}", data=b"x", method="POST")
    assert reply.status == 405
    assert reply.headers["allow"] == "GET, HEAD"


def test_bad_input_gets_a_clear_answer(feeds: Feeds) -> None:
    unknown = feeds.command(OSEI, "/liaison calendar nosuchthing")
    stranger = feeds.command("U0STRANGER", "/liaison calendar")
    usage = feeds.command(OSEI, "/liaison calendar help")

    assert FEED_URL.search(message_text(unknown)) is None
    assert ":warning:" in json.dumps(unknown["blocks"])
    assert "does not know you yet" in message_text(stranger)
    assert "/liaison calendar PROJECT" in message_text(usage)


def test_a_project_feed_resets_on_its_own(feeds: Feeds) -> None:
    mine = feeds.url_of(OSEI)
    reply = feeds.command(OSEI, "/liaison calendar bidshade")
    project = path_in(reply)
    button = buttons_of(reply["blocks"])[0]
    assert button["value"] == "bidshade"

    renewed = path_in(feeds.click(OSEI, button))

    assert feeds.get(project).status == 404
    assert feeds.get(renewed).status == 200
    assert feeds.get(mine).status == 200
    assert feeds.url_of(OSEI, "bidshade") == renewed
    # A button naming a project the presser is not on resets nothing and says why.
    refused = feeds.click(STEIN, button)
    assert "members of *bidshade*" in message_text(refused)
    assert feeds.get(renewed).status == 200


def test_a_process_without_slack_serves_feeds_too(feeds: Feeds, pool: ServerPool, services: Services) -> None:
    # The worker role (no Bolt app) still answers HTTP: a Socket Mode deployment can serve feeds from it.
    path = feeds.url_of(OSEI)
    worker = pool.start(services, with_bolt=False)

    reply = http_request(f"{worker.url}{path}")

    assert reply.status == 200
    assert BIDSHADE_3 in events(Calendar.from_ical(reply.body))
    assert http_request(f"{worker.url}/calendar/" + "B" * 43 + ".ics").status == 404
