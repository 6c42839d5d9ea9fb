"""The workspace file's document model: the validated entries, the format's constants and its errors.

The file has three sections: `workspace` (name, timezone, `as_of`, optional `slack_team_id`), `people`
(each optionally with `until`, their last day) and `projects` (each with members, milestones and,
optionally, viewers and blockers). `parse` turns YAML text into a `WorkspaceDocument`, `importer`
writes one to the database and `export` writes the database back as YAML.

Times are written `YYYY-MM-DD HH:MM` on a wall clock:

- a milestone's `due` and `done_at` in the milestone's `timezone` (default: the workspace time zone);
  `due` may also be a date alone, which means 17:00 that day;
- a blocker's `raised_at` and `resolved_at` in the workspace time zone.

Daylight saving time makes some wall-clock times special:

- A time that does not exist (it falls in the gap when clocks spring forward, such as
  2027-03-28 02:30 in Europe/Amsterdam) is an error: the author meant something else and we cannot
  guess what.
- A time that exists twice (it falls in the overlap when clocks fall back, such as
  2026-10-25 02:30 in Europe/Amsterdam) means the first occurrence (`fold=0`, the earlier instant).
  The later one can be written with its UTC offset, `2026-10-25 02:30 +01:00`; export writes the
  offset only then, so every instant survives a round trip.
- Rebasing (see `importer`) moves wall-clock times, so a rebased time can land in a gap. That time was
  derived, not written, so it is not an error: it moves forward by the length of the gap (02:30
  becomes 03:30), which is what `zoneinfo` does for `fold=0` (PEP 495).

Times have minute resolution: export drops the seconds of instants recorded in Slack.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from bot.agreements.entries import AgreementEntry
from bot.models import ExpertVisibility, MilestoneStatus, ProjectStatus, Sector
from bot.publications.entries import PaperEntry, VenueEntry

__all__ = [
    "BLOCKER_KEYS",
    "DATE_RE",
    "DEFAULT_DUE_HOUR",
    "MILESTONE_KEYS",
    "PERSON_KEYS",
    "POLICY_BOOL_KEYS",
    "POLICY_INT_KEYS",
    "POLICY_KEYS",
    "POLICY_TEXT_KEYS",
    "PROJECT_KEYS",
    "PROJECT_KEY_RE",
    "PUBLICATION_KEYS",
    "SLACK_CHANNEL_ID_RE",
    "SLACK_TEAM_ID_RE",
    "SLACK_USER_ID_RE",
    "WALL_TIME_RE",
    "WORKSPACE_KEYS",
    "BlockerEntry",
    "MilestoneEntry",
    "PersonEntry",
    "PolicyEntry",
    "Problem",
    "ProjectEntry",
    "PublicationEntry",
    "WorkspaceDocument",
    "WorkspaceEntry",
    "WorkspaceFileError",
    "format_utc_offset",
]

SLACK_USER_ID_RE = re.compile(r"^[UW][A-Z0-9]{2,}$")
SLACK_CHANNEL_ID_RE = re.compile(r"^[CG][A-Z0-9]{2,}$")
# Team ids start with T; Enterprise Grid organisations with E.
SLACK_TEAM_ID_RE = re.compile(r"^[TE][A-Z0-9]{2,}$")
PROJECT_KEY_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
WALL_TIME_RE = re.compile(
    r"^(?P<date>\d{4}-\d{2}-\d{2})(?: (?P<hour>\d{2}):(?P<minute>\d{2})(?: (?P<offset>[+-]\d{2}:\d{2}))?)?$"
)
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
DEFAULT_DUE_HOUR = 17

# Keys each mapping may have, in the order export writes them.
WORKSPACE_KEYS = ("name", "timezone", "as_of", "slack_team_id", "reminders")
PERSON_KEYS = (
    *("slack_id", "name", "title", "discipline", "sector"),
    *("organisation", "timezone", "until", "expertise", "publications"),
    *("expert_visibility", "weekly_request_cap", "notifications", "waiting_digest"),
    "orcid",
)
PUBLICATION_KEYS = ("title", "abstract")
PROJECT_KEYS = (
    *("key", "name", "description", "status", "channel", "lead"),
    *("members", "viewers", "private", "archived", "reminders", "milestones", "blockers", "checkins"),
)
MILESTONE_KEYS = (
    *("title", "id", "due", "timezone", "owner", "status", "done_at"),
    *("description", "links", "depends_on"),
)
BLOCKER_KEYS = ("text", "id", "milestone", "raised_by", "raised_at", "resolved_at", "resolved_by")
# The reminder policy columns a `reminders` mapping may set (as `/milestone remind` stores them).
POLICY_TEXT_KEYS = ("lead_times", "local_time", "quiet_hours", "digest")
POLICY_BOOL_KEYS = ("skip_weekends", "waiting_digest")
POLICY_INT_KEYS = ("escalate_lead_days", "escalate_channel_days")
POLICY_KEYS = (
    *("lead_times", "local_time", "quiet_hours", "skip_weekends"),
    *("escalate_lead_days", "escalate_channel_days", "digest", "waiting_digest"),
)


def format_utc_offset(offset: timedelta | None) -> str:
    """The `+HH:MM` form in which the file writes a UTC offset (`+00:00` for None).

    Args:
        offset: A `utcoffset()`; whole minutes.

    Returns:
        The offset as the file writes it, e.g. `+01:00` or `-05:00`.
    """
    minutes = int((offset or timedelta(0)).total_seconds()) // 60
    sign = "-" if minutes < 0 else "+"
    hours, minutes = divmod(abs(minutes), 60)
    return f"{sign}{hours:02d}:{minutes:02d}"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a workspace file.

    Attributes:
        line: 1-based line in the YAML file, or None when the problem has no place (an empty file).
        message: What is wrong, in words an author can act on.
    """

    line: int | None
    message: str


class WorkspaceFileError(Exception):
    """A workspace file cannot be imported; `problems` lists everything found, in line order."""

    def __init__(self, problems: Sequence[Problem], source: str = "<string>") -> None:
        self.source = source
        self.problems: list[Problem] = sorted(problems, key=lambda p: (p.line is not None, p.line or 0))
        super().__init__(
            "\n".join(
                f"{source}:{p.line}: {p.message}" if p.line is not None else f"{source}: {p.message}"
                for p in self.problems
            )
        )


@dataclass(frozen=True)
class PolicyEntry:
    """A `reminders` mapping: the reminder policy a workspace or project sets; None inherits."""

    values: tuple[tuple[str, str | bool | int | None], ...]
    line: int


@dataclass(frozen=True)
class WorkspaceEntry:
    """The `workspace` section. `timezone` is a valid IANA zone name."""

    name: str
    timezone: str
    as_of: date | None
    slack_team_id: str | None
    line: int
    reminders: PolicyEntry | None = None


@dataclass(frozen=True)
class PublicationEntry:
    """One publication of a person."""

    title: str
    abstract: str | None
    line: int


@dataclass(frozen=True)
class PersonEntry:
    """One person of the `people` section."""

    slack_id: str
    name: str
    title: str | None
    discipline: str | None
    sector: Sector | None
    organisation: str | None
    timezone: str | None
    expertise: str | None
    publications: tuple[PublicationEntry, ...]
    line: int
    expert_visibility: ExpertVisibility = ExpertVisibility.LISTED
    weekly_request_cap: int | None = None
    # The person's last day (students and interns leave); rebased like every other date.
    until: date | None = None
    # Personal opt-outs: change notifications (`/liaison notifications off`) and the waiting digest;
    # None (not written) keeps what the person chose in Slack.
    notifications: bool | None = None
    waiting_digest: bool | None = None
    # Their ORCID iD (docs/profiles.md): linked on import, its works fetched by the refresh (or
    # `liaison profiles fetch`); None (not written) keeps whatever link they made in Slack.
    orcid: str | None = None


@dataclass(frozen=True)
class MilestoneEntry:
    """One milestone; `due` and `done_at` are aware, with tzinfo `ZoneInfo(timezone)`."""

    title: str
    due: datetime
    timezone: str
    owner: str | None
    status: MilestoneStatus
    done_at: datetime | None
    line: int
    # The milestone's number in its project (`id: 2` is `pcm-2`): the same id with a new title is a rename.
    id: int | None = None
    description: str | None = None
    links: tuple[str, ...] = ()
    # The milestones it comes after, as (project key, id): `depends_on: [2, other-3]`.
    depends_on: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True)
class BlockerEntry:
    """One blocker; its times are aware, in the workspace time zone."""

    text: str
    raised_by: str
    raised_at: datetime
    resolved_at: datetime | None
    resolved_by: str | None
    line: int
    # The blocker's number in its project (`id: 2` is `pcm-b2`): the same id with new text is an edit.
    id: int | None = None
    # The id of the milestone of the same project that it holds up (`milestone: 2`).
    milestone: int | None = None


@dataclass(frozen=True)
class ProjectEntry:
    """One project. `members` keeps file order and contains `lead`; viewers are not members."""

    key: str
    name: str
    description: str
    status: ProjectStatus
    channel: str | None
    lead: str
    members: tuple[str, ...]
    viewers: tuple[str, ...]
    private: bool
    milestones: tuple[MilestoneEntry, ...]
    blockers: tuple[BlockerEntry, ...]
    line: int
    reminders: PolicyEntry | None = None
    # Archived projects (read-only, hidden from lists) are exported with `archived: true`.
    archived: bool = False
    # Weekly check-ins (docs/checkins.md): `mon 10:00 cutoff tue 10:00` or `off`; None: left as they are.
    checkins: str | None = None


@dataclass(frozen=True)
class WorkspaceDocument:
    """A parsed and fully validated workspace file; `source` names it in later error messages.

    `warnings` are what imports but looks wrong (a milestone owner who is not on the project), by line.
    """

    source: str
    workspace: WorkspaceEntry
    people: tuple[PersonEntry, ...]
    projects: tuple[ProjectEntry, ...]
    warnings: tuple[Problem, ...] = ()
    # The optional `agreements:` section (bot/workspace_file/agreements.py); None: the file has none.
    agreements: tuple[AgreementEntry, ...] | None = None
    # The optional `venues:` and `papers:` sections (bot/workspace_file/publications.py); None: absent.
    venues: tuple[VenueEntry, ...] | None = None
    papers: tuple[PaperEntry, ...] | None = None
