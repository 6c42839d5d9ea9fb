"""Calendar test helpers: Slack over signed HTTP, feeds over plain HTTP, against one served app."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from icalendar import Calendar
from sqlalchemy import or_, select
from sqlalchemy.orm import Session, sessionmaker

from bot.cli.console.payloads import SlackPayloads
from bot.models import Membership, Milestone, Person, Project
from tests.fakes.driver import message_text
from tests.fakes.slack_api import RESPONSE_URL_METHOD, FakeSlackApi
from tests.security.served import Reply, Served, http_request

FEED_URL = re.compile(r"https?://[^\s`|>]+/calendar/([A-Za-z0-9_-]{43})\.ics")


class Feeds:
    """Slack requests over signed HTTP, and feed fetches over plain HTTP, against one served app."""

    def __init__(self, served: Served, payloads: SlackPayloads, slack_api: FakeSlackApi) -> None:
        self.served = served
        self.payloads = payloads
        self.slack_api = slack_api

    def command(self, user: str, line: str) -> dict[str, Any]:
        """Type a slash command; return the one ephemeral reply."""
        command, _, text = line.partition(" ")
        before = len(self.slack_api.calls(RESPONSE_URL_METHOD))
        reply = self.served.post(self.payloads.slash_command(command, text, user_id=user))
        assert reply.status == 200
        replies = self.slack_api.calls(RESPONSE_URL_METHOD)[before:]
        assert len(replies) == 1, replies
        return replies[0].params

    def click(self, user: str, button: dict[str, object]) -> dict[str, Any]:
        """Press a button from a reply; return the one reply."""
        before = len(self.slack_api.calls(RESPONSE_URL_METHOD))
        signed = self.payloads.block_action(
            user_id=user, action_id=str(button["action_id"]), value=str(button.get("value", ""))
        )
        assert self.served.post(signed).status == 200
        replies = self.slack_api.calls(RESPONSE_URL_METHOD)[before:]
        assert len(replies) == 1, replies
        return replies[0].params

    def url_of(self, user: str, args: str = "") -> str:
        """The feed path `/liaison calendar [args]` shows the user."""
        reply = self.command(user, f"/liaison calendar {args}".rstrip())
        return path_in(reply)

    def get(self, path: str, method: str = "GET", **headers: str) -> Reply:
        return http_request(f"{self.served.url}{path}", headers=headers, method=method)

    def calendar(self, path: str) -> Calendar:
        reply = self.get(path)
        assert reply.status == 200, reply
        assert reply.content_type == "text/calendar; charset=utf-8"
        return Calendar.from_ical(reply.body)


def path_in(reply: dict[str, Any]) -> str:
    found = FEED_URL.search(message_text(reply))
    assert found is not None, reply
    return f"/calendar/{found.group(1)}.ics"


def events(calendar: Calendar) -> dict[str, Any]:
    found = {str(event["UID"]): event for event in calendar.walk("VEVENT")}
    assert len(found) == len(calendar.walk("VEVENT")), "duplicate UIDs"
    return found


def milestones(found: dict[str, Any]) -> set[str]:
    """The milestone events of a feed (the demo may also give people agreements and papers)."""
    return {uid for uid in found if uid.startswith("milestone-")}


def owned_milestones(session_factory: sessionmaker[Session], slack_id: str) -> set[str]:
    """The oracle of a personal feed's milestones: owned, project not archived, public or a member of it."""
    with session_factory() as session:
        person = session.scalars(select(Person).where(Person.slack_id == slack_id)).one()
        member_of = select(Membership.project_id).where(Membership.person_id == person.id)
        rows = session.execute(
            select(Project.key, Milestone.number)
            .join(Milestone.project)
            .where(
                Milestone.owner_id == person.id,
                Project.archived_at.is_(None),
                or_(Project.private.is_(False), Project.id.in_(member_of)),
            )
        ).all()
    return {f"milestone-{key}-{number}.w1@liaison" for key, number in rows}


def start_of(event: Any) -> datetime:
    value = event.decoded("DTSTART")
    assert isinstance(value, datetime) and value.tzinfo is not None
    return value
