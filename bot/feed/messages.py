"""What a feed post says, as data: lines of styled segments that bot/slack renders (and escapes).

User text (project names, titles, blocker text) is only ever a segment's text, never markup: the
renderer escapes every segment, and a person is a `PERSON` segment holding a Slack id, which becomes a
mention only when it is shaped like one. So `<!channel>` in a blocker shows as text and pings nobody.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from bot.feed.kinds import FeedKind


class Style(enum.StrEnum):
    """How a segment is shown."""

    TEXT = "text"
    STRONG = "strong"  # bold: titles, statuses, project names
    CODE = "code"  # ids such as `pcm-3`
    PERSON = "person"  # a mention of `text` (a Slack id); `name` in plain-text fallbacks


@dataclass(frozen=True)
class Segment:
    """A piece of a line."""

    style: Style
    text: str
    name: str = ""


def text(value: str) -> Segment:
    """Plain text."""
    return Segment(Style.TEXT, value)


def strong(value: str) -> Segment:
    """Bold text."""
    return Segment(Style.STRONG, value)


def code(value: str) -> Segment:
    """An id, in code style."""
    return Segment(Style.CODE, value)


def person(slack_id: str, name: str) -> Segment:
    """A person: mentioned in the message, named in its notification text."""
    return Segment(Style.PERSON, slack_id, name or slack_id)


@dataclass(frozen=True)
class FeedLine:
    """One change, as one line of a post: an emoji, then the segments (which start with who did it).

    Attributes:
        icon: A Slack emoji code such as `:no_entry:`.
        segments: The sentence.
        kind: The kind of change (None for a personal notification).
    """

    icon: str
    segments: tuple[Segment, ...]
    kind: FeedKind | None = None


@dataclass(frozen=True)
class FeedPost:
    """One message: several items' lines, to a channel (about one project) or to a person's DM.

    Attributes:
        target: A channel id, or a Slack user id for the app's DM with them.
        team_id: The Slack team of the workspace.
        keys: The keys of the items it delivers (each finds the message in its metadata).
        lines: What it says, oldest change first.
        project_key: The project a channel post is about (None for a DM, which may span projects).
        project_name: Its name.
    """

    target: str
    team_id: str | None
    keys: tuple[str, ...]
    lines: tuple[FeedLine, ...]
    project_key: str | None = None
    project_name: str | None = None

    @property
    def personal(self) -> bool:
        """Whether this is a DM to a person (else a channel post)."""
        return self.project_key is None


def plain(segments: tuple[Segment, ...]) -> str:
    """A line as plain text (people by name), for notification fallbacks and logs."""
    return "".join(f"@{s.name}" if s.style is Style.PERSON else s.text for s in segments)
