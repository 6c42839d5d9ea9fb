"""A small alliance for the check-in tests: members in Amsterdam, New York and Seoul, one who has left.

The workspace zone is Europe/Amsterdam. `pcm` has check-ins on with the defaults (each member asked on
Monday at 10:00 in their own zone, the summary on Tuesday 10:00 in Amsterdam); `old` is archived with
check-ins on, `quiet` has none.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.checkins.dispatch import CheckinReport
from bot.checkins.tables import CheckinSchedule
from bot.clock import FixedClock
from bot.models import Membership, Person, Project, ProjectStatus, Role, Workspace
from bot.services import Services
from bot.slack.checkin_blocks import CHECKIN_EVENT_TYPE
from bot.slack.notifier import build_notifier
from jobs.checkins import run_checkin_tick
from tests.fakes.slack_api import FakeSlackApi

LEAD = "U0LEADAMS"  # Europe/Amsterdam, leads pcm
NEW_YORK = "U0MEMBNYC"  # America/New_York
SEOUL = "U0MEMBSEL"  # Asia/Seoul
GONE = "U0GONEAMS"  # last day 2026-10-20
OUTSIDER = "U0OUTSIDE"  # on no project
ADMIN = "U0ADMIN"  # LIAISON_ADMINS in the shared settings
CHANNEL = "C1PCMCHAN"

Tick = Callable[..., CheckinReport]


def utc(*parts: int) -> datetime:
    """An aware UTC instant."""
    return datetime(*parts, tzinfo=UTC)  # type: ignore[arg-type,misc]


def seed_alliance(session_factory: sessionmaker[Session], *, checkins_on: bool = True) -> None:
    """The workspace of these tests (see the module docstring)."""
    at = utc(2026, 10, 1)
    with session_factory.begin() as session:
        workspace = Workspace(name="Alliance", timezone="Europe/Amsterdam")
        session.add(workspace)
        session.flush()
        people = {}
        for slack_id, name, zone, until in (
            (LEAD, "Lena Lead", "Europe/Amsterdam", None),
            (NEW_YORK, "Nora York", "America/New_York", None),
            (SEOUL, "Seo-yeon Park", "Asia/Seoul", None),
            (GONE, "Gus Gone", "Europe/Amsterdam", date(2026, 10, 20)),
            (OUTSIDER, "Olga Outside", "Europe/Amsterdam", None),
            (ADMIN, "Ada Admin", "Europe/Amsterdam", None),
        ):
            person = Person(
                workspace_id=workspace.id, slack_id=slack_id, name=name, timezone=zone, until=until
            )
            session.add(person)
            people[slack_id] = person
        session.flush()
        projects = {}
        for key, name, archived in (("pcm", "Privacy <!channel> & consent", False), ("old", "Old", True)):
            project = Project(
                workspace_id=workspace.id,
                key=key,
                name=name,
                description="",
                status=ProjectStatus.ON_TRACK,
                channel_id=CHANNEL if key == "pcm" else "C1OLDCHAN",
                private=False,
                lead_id=people[LEAD].id,
                archived_at=at if archived else None,
            )
            session.add(project)
            session.flush()
            projects[key] = project
            for position, slack_id in enumerate((LEAD, NEW_YORK, SEOUL, GONE)):
                role = Role.LEAD if slack_id == LEAD else Role.MEMBER
                session.add(
                    Membership(
                        project_id=project.id, person_id=people[slack_id].id, role=role, position=position
                    )
                )
            if checkins_on:
                session.add(
                    CheckinSchedule(
                        project_id=project.id,
                        workspace_id=workspace.id,
                        enabled=True,
                        ask_day=0,
                        ask_time="10:00",
                        cutoff_day=1,
                        cutoff_time="10:00",
                        updated_at=at,
                        updated_by=LEAD,
                    )
                )


@pytest.fixture
def alliance(session_factory: sessionmaker[Session]) -> None:
    seed_alliance(session_factory)


@pytest.fixture(autouse=True)
def _fast_pacing(request: pytest.FixtureRequest) -> None:
    """Posts are paced at 1/s per channel in production; these tests post several in a row."""
    if "services" in request.fixturenames:
        services: Services = request.getfixturevalue("services")
        fast = dataclasses.replace(services.settings, channel_posts_per_second=50.0)
        services.notifier = build_notifier(fast, timeout=5)


@pytest.fixture
def tick(services: Services, clock: FixedClock) -> Tick:
    """Run one check-in tick at `now`, and leave the app's clock there (for the clicks that follow)."""

    def run(now: datetime) -> CheckinReport:
        clock.set(now)
        return run_checkin_tick(services, now=now)

    return run


def checkin_messages(slack_api: FakeSlackApi, channel: str | None = None) -> list[dict[str, Any]]:
    """Check-in posts Slack accepted (a user id as `channel` means the app's DM), oldest first."""
    return [
        m
        for m in slack_api.messages(channel)
        if isinstance(m.get("metadata"), dict) and m["metadata"].get("event_type") == CHECKIN_EVENT_TYPE
    ]


def asked(slack_api: FakeSlackApi) -> list[str]:
    """Who got a question DM, in order (their DM ids are `D` + the user id without its `U`)."""
    return [
        "U" + m["channel"][1:]
        for m in checkin_messages(slack_api)
        if str(m["metadata"]["event_payload"]["key"]).startswith("checkin:")
    ]
