"""Archive and restore projects, delete milestones and blockers with Undo (issue 13), through signed
requests → Bolt → the fake Slack Web API, and the change feed's posts about them."""

from __future__ import annotations

import dataclasses
import json

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.clock import FixedClock
from bot.models import INCLUDE_DELETED, AuditEntry, DeliveryStatus, Milestone, Project, ReminderDelivery
from bot.services import Services
from bot.slack import ids
from bot.slack.notifier import build_notifier
from jobs.feed import run_feed_tick
from tests.fakes.driver import SlackDriver, milestone_form_submission, opened_view
from tests.fakes.slack_api import FakeSlackApi
from tests.feed.conftest import feed_messages, texts

pytestmark = pytest.mark.usefixtures("demo")

BANERJEE = "U02ECBANE"  # leads bidshade (channel C1BIDSHADE), owns bidshade-2
OSEI = "U01MLOSEI"  # member of bidshade, owns bidshade-3
MORALES = "U02ECMORA"  # member of bidshade, owns bidshade-4
RAO = "U03MSRAO"  # not on bidshade, nor on the private fairdelivery
ADMIN = "U0ADMIN"
BIDSHADE_CHANNEL = "C1BIDSHADE"
ARCHIVED = "is archived, so it is read-only"
TITLE_3 = "Offline replay comparison of shading policies"


def _planned(session_factory: sessionmaker[Session], key: str, number: int | None = None) -> int:
    """How many deliveries are still planned for a project's milestones (or one of them)."""
    with session_factory() as session:
        query = (
            select(Milestone.id)
            .join(Project)
            .where(Project.key == key)
            .execution_options(**{INCLUDE_DELETED: True})
        )
        if number is not None:
            query = query.where(Milestone.number == number)
        milestone_ids = list(session.scalars(query))
        rows = session.scalars(
            select(ReminderDelivery).where(
                ReminderDelivery.milestone_id.in_(milestone_ids),
                ReminderDelivery.status == DeliveryStatus.PLANNED,
            )
        ).all()
        return len(rows)


def _audits(session_factory: sessionmaker[Session], entity: str, action: str) -> list[AuditEntry]:
    with session_factory() as session:
        return list(
            session.scalars(
                select(AuditEntry).where(AuditEntry.entity == entity, AuditEntry.action == action)
            )
        )


@pytest.fixture
def feed(services: Services, slack_api: FakeSlackApi, clock: FixedClock) -> FakeSlackApi:
    """Posts paced at 1/s in production; here several in a row (as tests/feed/conftest.py does)."""
    fast = dataclasses.replace(services.settings, channel_posts_per_second=50.0)
    services.notifier = build_notifier(fast, timeout=5)
    return slack_api


def _feed_posts(services: Services, clock: FixedClock, slack_api: FakeSlackApi) -> list[str]:
    run_feed_tick(services, now=clock.now())
    return texts(feed_messages(slack_api, BIDSHADE_CHANNEL))


# -- archive and restore -----------------------------------------------------------------------------


def test_archive_hides_the_project_stops_reminders_and_restore_brings_them_back(
    slack: SlackDriver, session_factory: sessionmaker[Session]
) -> None:
    planned = _planned(session_factory, "bidshade")
    assert planned > 0
    archived = slack.command(BANERJEE, "/project archive bidshade")
    assert "Archived *" in archived.reply_text and "/project restore bidshade" in archived.reply_text
    assert _planned(session_factory, "bidshade") == 0
    (entry,) = _audits(session_factory, "project", "archive")
    assert entry.actor == BANERJEE
    # The App Homes republished no longer show it.
    homes = {c.params["user_id"]: json.dumps(c.params["view"]) for c in archived.of("views.publish")}
    assert OSEI in homes and "bidshade" not in homes[OSEI]
    assert "`bidshade`" not in slack.command(OSEI, "/project list").reply_text
    listed = slack.command(OSEI, "/project list all").reply_text
    assert "`bidshade` · archived" in listed
    only = slack.command(OSEI, "/project list archived").reply_text
    assert "`bidshade`" in only and "`pcm`" not in only
    assert "bidshade-3" not in slack.command(OSEI, "/milestone list all").reply_text
    assert "archived (read-only)" in slack.command(OSEI, "/project status bidshade").reply_text
    # Again: nothing changes.
    again = slack.command(BANERJEE, "/project archive bidshade")
    assert "already archived; nothing changed" in again.reply_text
    assert len(_audits(session_factory, "project", "archive")) == 1

    restored = slack.command(BANERJEE, "/project restore bidshade")
    assert "Restored *" in restored.reply_text
    assert _planned(session_factory, "bidshade") == planned
    assert "`bidshade`" in slack.command(OSEI, "/project list").reply_text
    assert "already not archived" in slack.command(BANERJEE, "/project restore bidshade").reply_text


@pytest.mark.parametrize(
    "user, line",
    [
        (OSEI, "/milestone move bidshade-3 2026-12-18 17:00"),
        (OSEI, "/milestone done bidshade-3"),
        (BANERJEE, "/milestone delete bidshade-2"),
        (OSEI, "/blocker add bidshade waiting for logs"),
        (BANERJEE, "/project set-status bidshade at_risk"),
        (BANERJEE, "/project edit bidshade"),
        (RAO, "/project join bidshade"),
        (OSEI, "/project leave bidshade"),
        (BANERJEE, "/milestone add bidshade"),
    ],
)
def test_changes_to_an_archived_project_are_refused_saying_how_to_restore(
    slack: SlackDriver, user: str, line: str
) -> None:
    slack.command(BANERJEE, "/project archive bidshade")
    refused = slack.command(user, line)
    assert ARCHIVED in refused.reply_text and "/project restore bidshade" in refused.reply_text


def test_questions_do_not_answer_about_an_archived_project(slack: SlackDriver) -> None:
    assert "is led by" in slack.command(OSEI, "/ask who leads bid shading?").reply_text
    slack.command(BANERJEE, "/project archive bidshade")
    answer = slack.command(OSEI, "/ask who leads bid shading?").reply_text
    assert "is led by" not in answer and "don't know a project" in answer


def test_archive_needs_the_lead_or_an_admin_and_a_visible_project(slack: SlackDriver) -> None:
    assert "Only the lead of *bidshade*" in slack.command(OSEI, "/project archive bidshade").reply_text
    assert "No project matches" in slack.command(RAO, "/project archive fairdelivery").reply_text
    assert "Archived" in slack.command(ADMIN, "/project archive bidshade").reply_text
    assert "Only the lead of *bidshade*" in slack.command(OSEI, "/project restore bidshade").reply_text


# -- delete and undo ---------------------------------------------------------------------------------


def test_milestone_delete_hides_it_cancels_reminders_and_undo_restores_it(
    slack: SlackDriver, session_factory: sessionmaker[Session]
) -> None:
    assert _planned(session_factory, "bidshade", 3) > 0
    deleted = slack.command(OSEI, "/milestone delete bidshade-3")
    assert "Deleted `bidshade-3`" in deleted.reply_text
    (undo,) = deleted.buttons()
    assert undo["action_id"] == ids.UNDO_MILESTONE_DELETE_ACTION
    assert _planned(session_factory, "bidshade", 3) == 0
    assert "bidshade-3" not in slack.command(OSEI, "/milestone list bidshade").reply_text
    assert "No milestone" in slack.command(OSEI, "/milestone done bidshade-3").reply_text
    assert "No milestone" in slack.command(OSEI, "/milestone delete bidshade-3").reply_text
    assert len(_audits(session_factory, "milestone", "delete")) == 1

    restored = slack.click(OSEI, undo)
    assert "Restored `bidshade-3`" in restored.reply_text
    assert restored.reply["replace_original"] is True
    assert _planned(session_factory, "bidshade", 3) > 0
    assert "bidshade-3" in slack.command(OSEI, "/milestone list bidshade").reply_text
    # A double click (or a stale message) changes nothing.
    twice = slack.click(OSEI, undo)
    assert "already restored; nothing changed" in twice.reply_text
    assert len(_audits(session_factory, "milestone", "restore")) == 1


def test_undo_rechecks_the_clicker_and_refuses_forged_values(slack: SlackDriver) -> None:
    (undo,) = slack.command(OSEI, "/milestone delete bidshade-3").buttons()
    assert "Only the lead of *bidshade*" in slack.click(RAO, undo).reply_text
    assert "out of date" in slack.click(OSEI, {**undo, "value": "x"}).reply_text
    assert "no longer exists" in slack.click(OSEI, {**undo, "value": "999999"}).reply_text


@pytest.mark.parametrize(
    "user, line, expected",
    [
        (RAO, "/milestone delete bidshade-3", "Only the lead of *bidshade*"),
        (OSEI, "/milestone delete bidshade-99", "No milestone `bidshade-99`"),
        (RAO, "/milestone delete fairdelivery-1", "No milestone `fairdelivery-1`"),
        (OSEI, "/milestone delete", "Usage: `/milestone delete ID`"),
        (OSEI, "/blocker delete pcm-b99", "No blocker"),
    ],
)
def test_delete_refusals(slack: SlackDriver, user: str, line: str, expected: str) -> None:
    assert expected in slack.command(user, line).reply_text


def test_blocker_delete_and_undo(slack: SlackDriver, session_factory: sessionmaker[Session]) -> None:
    slack.command(OSEI, "/blocker add bidshade waiting for the auction logs")
    refused = slack.command(MORALES, "/blocker delete bidshade-b1")
    assert "Only whoever raised a blocker, the project lead or an admin can delete it" in refused.reply_text
    deleted = slack.command(OSEI, "/blocker delete bidshade-b1")
    assert "Deleted blocker `bidshade-b1`" in deleted.reply_text
    assert "auction logs" not in slack.command(OSEI, "/blocker list bidshade").reply_text
    (undo,) = deleted.buttons()
    assert undo["action_id"] == ids.UNDO_BLOCKER_DELETE_ACTION
    assert "Restored `bidshade-b1`" in slack.click(BANERJEE, undo).reply_text
    assert "auction logs" in slack.command(OSEI, "/blocker list bidshade").reply_text
    assert "already restored" in slack.click(OSEI, undo).reply_text
    # The next blocker keeps counting: numbers of deleted ones are never reused.
    slack.command(OSEI, "/blocker delete bidshade-b1")
    added = slack.command(OSEI, "/blocker add bidshade another one")
    assert "`bidshade-b2`" in added.reply_text


def test_deleted_milestone_is_hidden_from_orm_queries(
    slack: SlackDriver, session_factory: sessionmaker[Session]
) -> None:
    slack.command(OSEI, "/milestone delete bidshade-3")
    with session_factory() as session:
        hidden = session.scalars(
            select(Milestone).join(Project).where(Project.key == "bidshade", Milestone.number == 3)
        ).first()
        assert hidden is None  # hidden from ORM queries


def test_a_deleted_milestones_title_stays_taken(slack: SlackDriver) -> None:
    slack.command(OSEI, "/milestone delete bidshade-3")
    form = opened_view(slack.command(BANERJEE, "/milestone add bidshade"))
    submitted = slack.send(
        milestone_form_submission(slack.payloads, form, user=BANERJEE, title=TITLE_3, due="2026-12-18 17:00")
    )
    assert "A deleted milestone of *bidshade* (`bidshade-3`)" in submitted.body


# -- the change feed ---------------------------------------------------------------------------------


def test_feed_posts_archive_restore_and_deletions(
    slack: SlackDriver, services: Services, clock: FixedClock, feed: FakeSlackApi
) -> None:
    slack.command(BANERJEE, "/project archive bidshade")
    slack.command(BANERJEE, "/project restore bidshade")
    (undo,) = slack.command(OSEI, "/milestone delete bidshade-3").buttons()
    slack.click(OSEI, undo)
    slack.command(OSEI, "/blocker add bidshade waiting for the auction logs")
    slack.command(OSEI, "/blocker delete bidshade-b1")
    posts = "\n".join(_feed_posts(services, clock, feed))
    assert ":file_cabinet: <@U02ECBANE> archived the project" in posts
    assert ":outbox_tray: <@U02ECBANE> restored the project from the archive" in posts
    assert ":wastebasket: <@U01MLOSEI> deleted `bidshade-3`" in posts
    assert "<@U01MLOSEI> restored `bidshade-3`" in posts
    assert ":wastebasket: <@U01MLOSEI> deleted blocker `bidshade-b1`" in posts
