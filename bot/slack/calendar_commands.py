"""`/liaison calendar [PROJECT]` and its Reset button: parse, call `bot.calendar`, reply (ephemeral).

- `/liaison calendar`: the private URL of my feed (milestones I own, agreements I own, papers I author).
- `/liaison calendar PROJECT`: the URL of a project's feed, for its members only; a private project
  stays invisible to anyone else (the usual "not found"), a public one says membership is needed.
- `/liaison calendar reset [PROJECT]`, or the "Reset address" button: a new URL; the old one answers 404
  from the commit on. The button's value names which of the clicker's feeds, never whose: a forged
  value can only ever reset the clicker's own feed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from sqlalchemy.orm import Session, sessionmaker

from bot.access import Actor, Requester, act_as
from bot.calendar.feeds import is_member
from bot.calendar.tokens import FeedToken, ensure_feed, reset_feed
from bot.errors import Forbidden, InvalidInput, UserFacingError
from bot.models import Person, Project
from bot.projects.project import find_project
from bot.settings import Settings
from bot.slack import blocks as kit
from bot.slack.calendar_blocks import build_calendar_reply

FEED_PATH = "/calendar/{token}.ics"
MINE = "your milestones, agreements and papers"
# The Reset button's value for the personal feed: not a project key, and not empty (Slack refuses that).
OWN_FEED = "@me"
UNKNOWN_PERSON = (
    "Liaison does not know you yet, so there is no calendar for you: ask a project lead to add you "
    "to a project."
)


class _Command(Protocol):
    """The part of the command request a subcommand reads: its configured name."""

    @property
    def command(self) -> str: ...


class CalendarCall(Protocol):
    """What the command interpreter (`bot.slack.commands`) hands a subcommand."""

    @property
    def session(self) -> Session: ...
    @property
    def actor(self) -> Actor: ...
    @property
    def settings(self) -> Settings: ...
    @property
    def now(self) -> datetime: ...
    @property
    def request(self) -> _Command: ...
    @property
    def args(self) -> str: ...


def calendar_subcommand(call: CalendarCall) -> kit.Reply:
    """`/liaison calendar …` as the interpreter's subcommand table calls it."""
    c = call
    return run_calendar_command(c.session, c.actor, c.settings, c.now, command=c.request.command, args=c.args)


def run_calendar_command(
    session: Session, actor: Actor, settings: Settings, now: datetime, *, command: str, args: str
) -> kit.Reply:
    """Carry out `/liaison calendar …` and build its ephemeral reply.

    Args:
        session: The request's session (the caller commits).
        actor: Who typed it.
        settings: For the public URL and the token secret.
        now: The current instant.
        command: The command's configured name, for usage lines.
        args: The text after `calendar`.

    Raises:
        UserFacingError: Unknown person or project, not a member, no secret configured.
    """
    words = args.split()
    if words and words[0].lower() in ("help", "-h", "--help", "?"):
        raise InvalidInput(
            f"Usage: `{command} calendar` (your feed), `{command} calendar PROJECT` (a project's feed, "
            f"members only), `{command} calendar reset [PROJECT]` (a new address)."
        )
    reset = bool(words) and words[0].lower() == "reset"
    query = " ".join(words[1:] if reset else words)
    return _feed_reply(session, actor, settings, now, query=query, reset=reset)


def execute_calendar_reset(
    session_factory: sessionmaker[Session],
    settings: Settings,
    now: datetime,
    requester: Requester,
    value: str,
) -> kit.Reply:
    """The Reset button: a new address for the clicker's feed named by `value` (`OWN_FEED`: their own).

    Runs in its own transaction; any refusal becomes an ephemeral error and nothing changes.
    """
    query = value.strip() if isinstance(value, str) else ""
    query = "" if query == OWN_FEED else query
    try:
        with session_factory.begin() as session:
            actor = act_as(session, settings, requester)
            return _feed_reply(session, actor, settings, now, query=query, reset=True)
    except UserFacingError as error:
        return kit.build_error_reply(error.message)


def _feed_reply(
    session: Session, actor: Actor, settings: Settings, now: datetime, *, query: str, reset: bool
) -> kit.Reply:
    if actor.person_id is None:
        raise InvalidInput(UNKNOWN_PERSON)
    person = session.get(Person, actor.person_id)
    assert person is not None
    project: Project | None = None
    if query:
        project = find_project(session, actor, query)
        if not is_member(session, project, person):
            raise Forbidden(
                f"Project feeds are for members of *{project.key}*; join it first (`/project join "
                f"{project.key}`), or add its milestones you own through your own feed."
            )
        if project.archived_at is not None:
            raise InvalidInput(f"*{project.key}* is archived, so it has no calendar feed.")
    issue = reset_feed if reset else ensure_feed
    token: FeedToken = issue(
        session,
        settings,
        workspace_id=actor.workspace_id,
        person_id=person.id,
        project_id=project.id if project is not None else None,
        now=now,
    )
    base = settings.public_url or f"http://localhost:{settings.http_port}"
    note = (
        None
        if settings.public_url
        else "LIAISON_PUBLIC_URL is not set, so this address only works on Liaison's own machine; "
        "an admin can set it to Liaison's public https address."
    )
    what = MINE if project is None else f"milestones of {project.name} ({project.key})"
    return build_calendar_reply(
        url=base + FEED_PATH.format(token=token.token),
        what=what,
        reset_value=project.key if project is not None else OWN_FEED,
        reset=token.reset,
        local_note=note,
    )
