"""Import and export of a whole workspace as one YAML file (the format of `bot/data/adtech-alliance.yaml`).

The file has three sections: `workspace` (name, timezone, `as_of`, optional `slack_team_id`), `people`
and `projects` (each with members, milestones and, optionally, viewers and blockers). Loading parses and
validates the whole file before anything touches the database, and reports every problem it finds
with its 1-based line, so an author fixes a file in one pass instead of one error per run.

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
- Rebasing (see below) moves wall-clock times, so a rebased time can land in a gap. That time was
  derived, not written, so it is not an error: it moves forward by the length of the gap (02:30
  becomes 03:30), which is what `zoneinfo` does for `fold=0` (PEP 495).

Times have minute resolution: export drops the seconds of instants recorded in Slack.

Rebasing: `as_of` is the date the file was written as of. With `rebase_dates`, every date and time
is shifted by `today - as_of` whole days on the wall clock of its zone (a 17:00 deadline stays 17:00
local even across a DST change), and the workspace's `as_of` becomes `today`.

Import is an upsert, so importing the same file twice changes nothing. The workspace is matched by
`slack_team_id` if the file gives one, else by name; people by Slack id; projects by key; milestones
by title and blockers by text within their project. Fields of the entities the file lists are taken
from the file (an optional field left out becomes empty), and so are the memberships of the projects
it lists. Milestones, blockers and people that the file does not mention are kept, because they may
have been created in Slack.
"""

from __future__ import annotations

import contextlib
import difflib
import enum
import re
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from sqlalchemy import Column, String, select
from sqlalchemy.orm import Session

from bot.clock import SystemClock
from bot.domain.reminders import ReminderPolicy
from bot.experts.profile_version import bump_profiles_version
from bot.models import (
    MAX_WEEKLY_REQUEST_CAP,
    AuditEntry,
    Blocker,
    ExpertVisibility,
    Membership,
    Milestone,
    MilestoneStatus,
    Person,
    Project,
    ProjectStatus,
    Publication,
    Role,
    Sector,
    Workspace,
)
from bot.reminders.ledger import replan_workspace

__all__ = [
    "BlockerEntry",
    "ImportReport",
    "MilestoneEntry",
    "PersonEntry",
    "Problem",
    "ProjectEntry",
    "PublicationEntry",
    "WorkspaceDocument",
    "WorkspaceEntry",
    "WorkspaceFileError",
    "export_workspace",
    "import_workspace",
    "import_workspace_file",
    "load_workspace_document",
    "parse_workspace_document",
]

SLACK_USER_ID_RE = re.compile(r"^[UW][A-Z0-9]{2,}$")
SLACK_CHANNEL_ID_RE = re.compile(r"^[CG][A-Z0-9]{2,}$")
# Team ids start with T; Enterprise Grid organisations with E.
SLACK_TEAM_ID_RE = re.compile(r"^[TE][A-Z0-9]{2,}$")
PROJECT_KEY_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
_WALL_TIME_RE = re.compile(
    r"^(?P<date>\d{4}-\d{2}-\d{2})(?: (?P<hour>\d{2}):(?P<minute>\d{2})(?: (?P<offset>[+-]\d{2}:\d{2}))?)?$"
)
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
DEFAULT_DUE_HOUR = 17

_EXPORT_HEADER = """\
# Liaison workspace file.
#
# Dates are written as of `as_of`. A loader may rebase them (shift every date by
# today - as_of) so that the demo always has upcoming and overdue milestones.
# Times are "YYYY-MM-DD HH:MM": milestone times on the wall clock of the milestone's
# `timezone`, all others in the workspace time zone.
"""
# Text that would make a line longer than _FOLD_AFTER is folded (`>-`) into lines of at most
# _EXPORT_WIDTH, as in the hand-written demo file.
_FOLD_AFTER = 100
_EXPORT_WIDTH = 88

_TAG = "tag:yaml.org,2002:"
_TAG_NAMES = {
    f"{_TAG}str": "a string",
    f"{_TAG}int": "an integer",
    f"{_TAG}float": "a number",
    f"{_TAG}bool": "a boolean",
    f"{_TAG}null": "empty",
    f"{_TAG}timestamp": "a date",
    f"{_TAG}map": "a mapping",
    f"{_TAG}seq": "a list",
}


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
class ImportReport:
    """What an import did.

    Attributes:
        workspace_id: The workspace imported into.
        people: People listed in the file (likewise projects, milestones and blockers).
        created: Rows created (workspace, people, projects, milestones and blockers).
        updated: Existing rows whose content changed; 0 when the same file is imported again.
        shift_days: Days every date was moved by (`today - as_of`), 0 when not rebasing.
    """

    workspace_id: int
    people: int
    projects: int
    milestones: int
    blockers: int
    created: int
    updated: int
    shift_days: int


@dataclass(frozen=True)
class WorkspaceEntry:
    """The `workspace` section. `timezone` is a valid IANA zone name."""

    name: str
    timezone: str
    as_of: date | None
    slack_team_id: str | None
    line: int


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


@dataclass(frozen=True)
class BlockerEntry:
    """One blocker; its times are aware, in the workspace time zone."""

    text: str
    raised_by: str
    raised_at: datetime
    resolved_at: datetime | None
    resolved_by: str | None
    line: int


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


@dataclass(frozen=True)
class WorkspaceDocument:
    """A parsed and fully validated workspace file; `source` names it in later error messages."""

    source: str
    workspace: WorkspaceEntry
    people: tuple[PersonEntry, ...]
    projects: tuple[ProjectEntry, ...]


# --------------------------------------------------------------------------------------------------
# Parsing and validation
# --------------------------------------------------------------------------------------------------

_S = TypeVar("_S", bound=enum.StrEnum)


def _max_length(column: object) -> int | None:
    # Limits come from the model columns so the file format cannot drift from the schema.
    if isinstance(column, Column) and isinstance(column.type, String):
        return column.type.length
    return None


def _limit(model: type, attribute: str) -> int | None:
    return _max_length(model.__table__.c[attribute])  # type: ignore[attr-defined]


def _line(node: yaml.Node) -> int:
    return node.start_mark.line + 1


def _is_null(node: yaml.Node) -> bool:
    return isinstance(node, yaml.ScalarNode) and node.tag == f"{_TAG}null"


def _describe(node: yaml.Node) -> str:
    return _TAG_NAMES.get(node.tag, f"a value tagged {node.tag}")


class _Fields:
    """The keys of one YAML mapping, checked against what that kind of entity allows."""

    def __init__(self, node: yaml.MappingNode, what: str, values: dict[str, yaml.Node]) -> None:
        self.node = node
        self.what = what
        self.values = values

    @property
    def line(self) -> int:
        return _line(self.node)

    def get(self, key: str) -> yaml.Node | None:
        """The value node of `key`, or None when the key is absent or its value is empty."""
        node = self.values.get(key)
        return None if node is None or _is_null(node) else node


# Keys each mapping may have, in the order export writes them.
_WORKSPACE_KEYS = ("name", "timezone", "as_of", "slack_team_id")
_PERSON_KEYS = (
    *("slack_id", "name", "title", "discipline", "sector"),
    *("organisation", "timezone", "expertise", "publications"),
    *("expert_visibility", "weekly_request_cap"),
)
_PUBLICATION_KEYS = ("title", "abstract")
_PROJECT_KEYS = (
    *("key", "name", "description", "status", "channel", "lead"),
    *("members", "viewers", "private", "milestones", "blockers"),
)
_MILESTONE_KEYS = ("title", "due", "timezone", "owner", "status", "done_at")
_BLOCKER_KEYS = ("text", "raised_by", "raised_at", "resolved_at", "resolved_by")


class _Parser:
    """Walks the composed YAML tree and collects problems instead of stopping at the first.

    Each reader takes the mapping and a key, reports what is wrong with that value and returns None
    then, so a section can go on checking its other keys.
    """

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def problem(self, where: yaml.Node | int | None, message: str) -> None:
        line = _line(where) if isinstance(where, yaml.Node) else where
        self.problems.append(Problem(line, message))

    # ---- shapes --------------------------------------------------------------------------------

    def mapping(self, node: yaml.Node, what: str, allowed: Sequence[str]) -> _Fields | None:
        if not isinstance(node, yaml.MappingNode):
            self.problem(node, f"{what} must be a mapping, not {_describe(node)}")
            return None
        values: dict[str, yaml.Node] = {}
        for key_node, value_node in node.value:
            if not (isinstance(key_node, yaml.ScalarNode) and key_node.tag == f"{_TAG}str"):
                self.problem(key_node, f"{what}: keys must be strings, not {_describe(key_node)}")
                continue
            key = key_node.value
            if key in values:
                self.problem(key_node, f"{what}: duplicate key '{key}'")
            elif key not in allowed:
                close = difflib.get_close_matches(key, allowed, n=1)
                hint = f"did you mean '{close[0]}'?" if close else "allowed: " + ", ".join(allowed)
                self.problem(key_node, f"{what}: unknown key '{key}' ({hint})")
            else:
                values[key] = value_node
        return _Fields(node, what, values)

    def value(self, fields: _Fields, key: str, required: bool) -> yaml.Node | None:
        node = fields.get(key)
        if node is None and required:
            state = "has no value" if key in fields.values else "is missing"
            self.problem(fields.values.get(key, fields.node), f"{fields.what}: required key '{key}' {state}")
        return node

    def sequence(self, fields: _Fields, key: str) -> list[yaml.Node]:
        node = fields.get(key)
        if node is None:
            return []
        if not isinstance(node, yaml.SequenceNode):
            self.problem(node, f"{fields.what} {key} must be a list, not {_describe(node)}")
            return []
        return list(node.value)

    def items(self, fields: _Fields, key: str, what: str, allowed: Sequence[str]) -> list[_Fields]:
        """The mappings of the list under `key` (entries that are not mappings are reported)."""
        mappings = (self.mapping(node, what, allowed) for node in self.sequence(fields, key))
        return [item for item in mappings if item is not None]

    def duplicates(self, items: Sequence[_Fields], key: str, label: str) -> set[str]:
        """Reports values of `key` that repeat an earlier entry's; returns every value written."""
        first_line: dict[str, int] = {}
        for item in items:
            node = item.get(key)
            if not isinstance(node, yaml.ScalarNode):
                continue
            if node.value in first_line:
                self.problem(
                    node, f"{label} '{node.value}' is used twice (first at line {first_line[node.value]})"
                )
            else:
                first_line[node.value] = _line(node)
        return set(first_line)

    # ---- scalars -------------------------------------------------------------------------------

    def scalar_text(
        self,
        node: yaml.Node,
        what: str,
        *,
        max_length: int | None = None,
        pattern: re.Pattern[str] | None = None,
    ) -> str | None:
        if not (isinstance(node, yaml.ScalarNode) and node.tag == f"{_TAG}str"):
            hint = " (put it in quotes)" if isinstance(node, yaml.ScalarNode) else ""
            self.problem(node, f"{what} must be a string, not {_describe(node)}{hint}")
            return None
        value: str = node.value
        if max_length is not None and len(value) > max_length:
            self.problem(node, f"{what} is {len(value)} characters long; at most {max_length} fit")
            return None
        if pattern is not None and not pattern.match(value):
            self.problem(node, f"{what} '{value}' does not match {pattern.pattern}")
            return None
        return value

    def text(
        self,
        fields: _Fields,
        key: str,
        *,
        required: bool = False,
        max_length: int | None = None,
        pattern: re.Pattern[str] | None = None,
    ) -> str | None:
        node = self.value(fields, key, required)
        if node is None:
            return None
        value = self.scalar_text(node, f"{fields.what} {key}", max_length=max_length, pattern=pattern)
        if required and value is not None and not value.strip():
            self.problem(node, f"{fields.what} {key} must not be blank")
            return None
        return value

    def choice(self, fields: _Fields, key: str, enum_type: type[_S], *, required: bool = False) -> _S | None:
        node = self.value(fields, key, required)
        value = self.scalar_text(node, f"{fields.what} {key}") if node is not None else None
        if node is None or value is None:
            return None
        names = [member.value for member in enum_type]
        if value not in names:
            self.problem(node, f"{fields.what} {key} '{value}' is not one of: {', '.join(names)}")
            return None
        return enum_type(value)

    def integer(self, fields: _Fields, key: str, *, low: int, high: int) -> int | None:
        node = fields.get(key)
        if node is None:
            return None
        # Plain decimal only: YAML 1.1 also reads 0x10, 0o7 and 1_000 as integers, nobody means those.
        if not (
            isinstance(node, yaml.ScalarNode)
            and node.tag == f"{_TAG}int"
            and re.fullmatch(r"[-+]?[0-9]+", node.value)
        ):
            self.problem(node, f"{fields.what} {key} must be a whole number, not {_describe(node)}")
            return None
        value = int(node.value)
        if not low <= value <= high:
            self.problem(node, f"{fields.what} {key} must be between {low} and {high}, not {value}")
            return None
        return value

    def boolean(self, fields: _Fields, key: str) -> bool:
        node = fields.get(key)
        if node is None:
            return False
        if not (isinstance(node, yaml.ScalarNode) and node.tag == f"{_TAG}bool"):
            self.problem(node, f"{fields.what} {key} must be true or false, not {_describe(node)}")
            return False
        return bool(yaml.SafeLoader.bool_values[node.value.lower()])

    def zone(self, fields: _Fields, key: str, *, required: bool = False) -> str | None:
        # Every zone column is as long as Milestone.due_timezone; the check also keeps absurdly long
        # names away from ZoneInfo, which would look them up as file paths.
        name = self.text(fields, key, required=required, max_length=_limit(Milestone, "due_timezone"))
        if name is None:
            return None
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            self.problem(
                fields.values[key],
                f"{fields.what} {key} '{name}' is not an IANA time zone (e.g. Europe/Amsterdam)",
            )
            return None
        return name

    def calendar_date(self, fields: _Fields, key: str) -> date | None:
        node = self.value(fields, key, False)
        if node is None:
            return None
        # PyYAML turns an unquoted 2026-11-20 into a timestamp node; a quoted one stays a string.
        if isinstance(node, yaml.ScalarNode) and node.tag in (f"{_TAG}str", f"{_TAG}timestamp"):
            if _DATE_RE.match(node.value):
                with contextlib.suppress(ValueError):
                    return date.fromisoformat(node.value)
            self.problem(node, f"{fields.what} {key} '{node.value}' is not a date YYYY-MM-DD")
        else:
            self.problem(node, f"{fields.what} {key} must be a date YYYY-MM-DD, not {_describe(node)}")
        return None

    def wall_time(
        self,
        fields: _Fields,
        key: str,
        zone_name: str | None,
        *,
        required: bool = False,
        date_only_ok: bool = False,
    ) -> datetime | None:
        """An aware datetime for a wall-clock time in `zone_name` (None: check the format only)."""
        node = self.value(fields, key, required)
        if node is None:
            return None
        what = f"{fields.what} {key}"
        expected = "YYYY-MM-DD HH:MM" + (" or YYYY-MM-DD" if date_only_ok else "")
        # Dates alone (and times with seconds) arrive as timestamp nodes unless quoted: read their text.
        if not (isinstance(node, yaml.ScalarNode) and node.tag in (f"{_TAG}str", f"{_TAG}timestamp")):
            self.problem(node, f"{what} must be a time {expected}, not {_describe(node)}")
            return None
        text: str = node.value
        match = _WALL_TIME_RE.match(text)
        if match is None or (match["hour"] is None and not date_only_ok):
            self.problem(node, f"{what} '{text}' is not a time {expected}")
            return None
        try:
            day = date.fromisoformat(match["date"])
            hour = int(match["hour"]) if match["hour"] is not None else DEFAULT_DUE_HOUR
            naive = datetime(day.year, day.month, day.day, hour, int(match["minute"] or 0))
        except ValueError as exc:
            self.problem(node, f"{what} '{text}' is not a valid time ({exc})")
            return None
        if zone_name is None:
            return None
        zone = ZoneInfo(zone_name)
        first = naive.replace(tzinfo=zone, fold=0)
        if first.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != naive:
            self.problem(
                node,
                f"{what} '{text}' does not exist in {zone_name}: the clocks jump past it when daylight "
                "saving time starts; write a time before or after the gap",
            )
            return None
        if match["offset"] is None:
            return first
        second = naive.replace(tzinfo=zone, fold=1)
        offsets = {_format_offset(first.utcoffset()): first, _format_offset(second.utcoffset()): second}
        chosen = offsets.get(match["offset"])
        if chosen is None:
            self.problem(
                node,
                f"{what} '{text}': {match['offset']} is not the UTC offset of that time in {zone_name} "
                f"(it is {' or '.join(sorted(offsets))})",
            )
        return chosen

    def person_ref(self, node: yaml.Node, what: str, people: set[str]) -> str | None:
        slack_id = self.scalar_text(
            node, what, max_length=_limit(Person, "slack_id"), pattern=SLACK_USER_ID_RE
        )
        if slack_id is not None and slack_id not in people:
            self.problem(node, f"{what} '{slack_id}' is not one of the people in this file")
            return None
        return slack_id

    def person_field(
        self, fields: _Fields, key: str, people: set[str], *, required: bool = False
    ) -> str | None:
        node = self.value(fields, key, required)
        return self.person_ref(node, f"{fields.what} {key}", people) if node is not None else None

    def person_list(self, fields: _Fields, key: str, people: set[str]) -> list[tuple[str, yaml.Node]]:
        refs: list[tuple[str, yaml.Node]] = []
        for node in self.sequence(fields, key):
            slack_id = self.person_ref(node, f"{fields.what} {key}", people)
            if slack_id is None:
                continue
            if slack_id in (seen for seen, _ in refs):
                self.problem(node, f"{fields.what}: '{slack_id}' is listed twice in {key}")
                continue
            refs.append((slack_id, node))
        return refs

    # ---- sections ------------------------------------------------------------------------------

    def workspace(self, fields: _Fields) -> WorkspaceEntry | None:
        name = self.text(fields, "name", required=True, max_length=_limit(Workspace, "name"))
        zone = self.zone(fields, "timezone", required=True)
        as_of = self.calendar_date(fields, "as_of")
        team = self.text(
            fields, "slack_team_id", max_length=_limit(Workspace, "slack_team_id"), pattern=SLACK_TEAM_ID_RE
        )
        if name is None or zone is None:
            return None
        return WorkspaceEntry(name=name, timezone=zone, as_of=as_of, slack_team_id=team, line=fields.line)

    def person(self, fields: _Fields) -> PersonEntry | None:
        slack_id = self.text(
            fields, "slack_id", required=True, max_length=_limit(Person, "slack_id"), pattern=SLACK_USER_ID_RE
        )
        if slack_id is not None:
            fields.what = f"person '{slack_id}'"
        name = self.text(fields, "name", required=True, max_length=_limit(Person, "name"))
        publications = []
        for node in self.sequence(fields, "publications"):
            if (pub := self.mapping(node, f"{fields.what} publication", _PUBLICATION_KEYS)) is not None:
                title = self.text(pub, "title", required=True, max_length=_limit(Publication, "title"))
                abstract = self.text(pub, "abstract", max_length=_limit(Publication, "abstract"))
                if title is not None:
                    publications.append(PublicationEntry(title=title, abstract=abstract, line=pub.line))
        entry = PersonEntry(
            slack_id=slack_id or "",
            name=name or "",
            title=self.text(fields, "title", max_length=_limit(Person, "title")),
            discipline=self.text(fields, "discipline", max_length=_limit(Person, "discipline")),
            sector=self.choice(fields, "sector", Sector),
            organisation=self.text(fields, "organisation", max_length=_limit(Person, "organisation")),
            timezone=self.zone(fields, "timezone"),
            expertise=self.text(fields, "expertise", max_length=_limit(Person, "expertise")),
            publications=tuple(publications),
            line=fields.line,
            expert_visibility=self.choice(fields, "expert_visibility", ExpertVisibility)
            or ExpertVisibility.LISTED,
            weekly_request_cap=self.integer(fields, "weekly_request_cap", low=0, high=MAX_WEEKLY_REQUEST_CAP),
        )
        return entry if slack_id is not None and name is not None else None

    def project(self, fields: _Fields, people: set[str], workspace_zone: str | None) -> ProjectEntry | None:
        key = self.text(
            fields, "key", required=True, max_length=_limit(Project, "key"), pattern=PROJECT_KEY_RE
        )
        if key is not None:
            fields.what = f"project '{key}'"
        name = self.text(fields, "name", required=True, max_length=_limit(Project, "name"))
        description = self.text(fields, "description") or ""
        status = self.choice(fields, "status", ProjectStatus, required=True)
        channel = self.text(
            fields, "channel", max_length=_limit(Project, "channel_id"), pattern=SLACK_CHANNEL_ID_RE
        )
        lead = self.person_field(fields, "lead", people, required=True)
        has_members = self.value(fields, "members", True) is not None
        members = [slack_id for slack_id, _ in self.person_list(fields, "members", people)]
        if lead is not None and has_members and lead not in members:
            self.problem(
                fields.values["lead"], f"{fields.what}: lead '{lead}' must also be listed in members"
            )
        viewers = self.person_list(fields, "viewers", people)
        for viewer, node in viewers:
            if viewer in members:
                self.problem(node, f"{fields.what}: '{viewer}' is a member; list them only once")
        private = self.boolean(fields, "private")

        milestone_items = self.items(fields, "milestones", f"{fields.what} milestone", _MILESTONE_KEYS)
        self.duplicates(milestone_items, "title", f"{fields.what}: milestone title")
        milestones = [self.milestone(item, people, workspace_zone) for item in milestone_items]
        blocker_items = self.items(fields, "blockers", f"{fields.what} blocker", _BLOCKER_KEYS)
        self.duplicates(blocker_items, "text", f"{fields.what}: blocker text")
        blockers = [self.blocker(item, people, workspace_zone) for item in blocker_items]

        if key is None or name is None or status is None or lead is None or not has_members:
            return None
        return ProjectEntry(
            key=key,
            name=name,
            description=description,
            status=status,
            channel=channel,
            lead=lead,
            members=tuple(members),
            viewers=tuple(viewer for viewer, _ in viewers),
            private=private,
            milestones=tuple(m for m in milestones if m is not None),
            blockers=tuple(b for b in blockers if b is not None),
            line=fields.line,
        )

    def milestone(
        self, fields: _Fields, people: set[str], workspace_zone: str | None
    ) -> MilestoneEntry | None:
        title = self.text(fields, "title", required=True, max_length=_limit(Milestone, "title"))
        if title is not None:
            fields.what = f"{fields.what} '{title}'"
        zone = self.zone(fields, "timezone") if fields.get("timezone") is not None else workspace_zone
        due = self.wall_time(fields, "due", zone, required=True, date_only_ok=True)
        owner = self.person_field(fields, "owner", people)
        status = self.choice(fields, "status", MilestoneStatus)
        done_at = self.wall_time(fields, "done_at", zone)
        if fields.get("done_at") is not None and status is not MilestoneStatus.DONE:
            self.problem(fields.values["done_at"], f"{fields.what}: done_at needs status: done")
        if title is None or due is None or zone is None:
            return None
        return MilestoneEntry(
            title=title,
            due=due,
            timezone=zone,
            owner=owner,
            status=status or MilestoneStatus.OPEN,
            done_at=done_at,
            line=fields.line,
        )

    def blocker(self, fields: _Fields, people: set[str], workspace_zone: str | None) -> BlockerEntry | None:
        text = self.text(fields, "text", required=True, max_length=_limit(Blocker, "text"))
        raised_by = self.person_field(fields, "raised_by", people, required=True)
        raised_at = self.wall_time(fields, "raised_at", workspace_zone, required=True)
        resolved_at = self.wall_time(fields, "resolved_at", workspace_zone)
        resolved_by = self.person_field(fields, "resolved_by", people)
        if fields.get("resolved_by") is not None and fields.get("resolved_at") is None:
            self.problem(fields.values["resolved_by"], f"{fields.what}: resolved_by needs resolved_at")
        if resolved_at is not None and raised_at is not None and resolved_at < raised_at:
            self.problem(fields.values["resolved_at"], f"{fields.what}: resolved_at is before raised_at")
        if text is None or raised_by is None or raised_at is None:
            return None
        return BlockerEntry(
            text=text,
            raised_by=raised_by,
            raised_at=raised_at,
            resolved_at=resolved_at,
            resolved_by=resolved_by,
            line=fields.line,
        )

    def document(self, root: yaml.Node, source: str) -> WorkspaceDocument | None:
        fields = self.mapping(root, "file", ("workspace", "people", "projects"))
        if fields is None:
            return None
        workspace_node = self.value(fields, "workspace", True)
        workspace_fields = (
            self.mapping(workspace_node, "workspace", _WORKSPACE_KEYS) if workspace_node is not None else None
        )
        workspace = self.workspace(workspace_fields) if workspace_fields is not None else None

        person_items = self.items(fields, "people", "person", _PERSON_KEYS)
        # References are checked against every id written in the people section, even on entries with
        # other problems, so that one bad person does not also flag each project that mentions them.
        known = self.duplicates(person_items, "slack_id", "person slack_id")
        people = [self.person(item) for item in person_items]

        project_items = self.items(fields, "projects", "project", _PROJECT_KEYS)
        self.duplicates(project_items, "key", "project key")
        zone = workspace.timezone if workspace is not None else None
        projects = [self.project(item, known, zone) for item in project_items]

        if self.problems or workspace is None:
            return None
        return WorkspaceDocument(
            source=source,
            workspace=workspace,
            people=tuple(p for p in people if p is not None),
            projects=tuple(p for p in projects if p is not None),
        )


def parse_workspace_document(text: str, source: str = "<string>") -> WorkspaceDocument:
    """Parse and validate a workspace file given as text.

    Args:
        text: The YAML text.
        source: Name of the file, used at the start of every problem line of the error.

    Returns:
        The validated document.

    Raises:
        WorkspaceFileError: With every problem found (YAML syntax, missing or unknown keys, wrong
            types, bad ids, references to undefined people, duplicates, bad or non-existent times).
    """
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        parts = [part for part in (exc.context, exc.problem) if part]
        raise WorkspaceFileError(
            [Problem(mark.line + 1 if mark else None, "YAML syntax error: " + ", ".join(parts))], source
        ) from exc
    except yaml.YAMLError as exc:
        raise WorkspaceFileError([Problem(None, f"YAML error: {exc}")], source) from exc
    if root is None:
        raise WorkspaceFileError([Problem(None, "the file is empty")], source)
    parser = _Parser()
    document = parser.document(root, source)
    if document is None:
        raise WorkspaceFileError(parser.problems, source)
    return document


def load_workspace_document(path: Path) -> WorkspaceDocument:
    """Read, parse and validate a workspace file.

    Args:
        path: The YAML file (UTF-8).

    Returns:
        The validated document.

    Raises:
        WorkspaceFileError: Every problem found, each message starting with the file name and line.
        OSError: If the file cannot be read.
    """
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise WorkspaceFileError([Problem(None, f"the file is not UTF-8 ({exc.reason})")], str(path)) from exc
    return parse_workspace_document(text, str(path))


# --------------------------------------------------------------------------------------------------
# Import
# --------------------------------------------------------------------------------------------------


def _assign(obj: object, **values: object) -> bool:
    """Set the attributes that differ; True if any did (an unchanged row is not counted as updated)."""
    changed = False
    for name, value in values.items():
        if getattr(obj, name) != value:
            setattr(obj, name, value)
            changed = True
    return changed


def _shift(moment: datetime, days: int) -> datetime:
    # Aware + timedelta is wall-clock arithmetic in Python: 17:00 stays 17:00 in the zone across DST.
    return moment + timedelta(days=days) if days else moment


class _Importer:
    """Upserts one validated document; counts what it creates and changes."""

    def __init__(self, session: Session, document: WorkspaceDocument, shift: int) -> None:
        self.session = session
        self.document = document
        self.shift = shift
        self.created = 0
        self.updated = 0
        self.person_ids: dict[str, int] = {}

    def count(self, created: bool, changed: bool) -> None:
        if created:
            self.created += 1
        elif changed:
            self.updated += 1

    def utc(self, moment: datetime | None) -> datetime | None:
        return None if moment is None else _shift(moment, self.shift).astimezone(UTC)

    def workspace(self) -> Workspace:
        entry = self.document.workspace
        if entry.slack_team_id is not None:
            criterion = Workspace.slack_team_id == entry.slack_team_id
        else:
            criterion = Workspace.name == entry.name
        workspace = self.session.scalars(select(Workspace).where(criterion).order_by(Workspace.id)).first()
        created = workspace is None
        if workspace is None:
            workspace = Workspace(name=entry.name, timezone=entry.timezone)
            self.session.add(workspace)
        as_of = entry.as_of + timedelta(days=self.shift) if entry.as_of is not None else None
        changed = _assign(workspace, name=entry.name, timezone=entry.timezone, as_of=as_of)
        # A file without a team id must not detach a workspace that Slack has since installed into.
        if entry.slack_team_id is not None:
            changed |= _assign(workspace, slack_team_id=entry.slack_team_id)
        self.count(created, changed)
        self.session.flush()
        return workspace

    def people(self, workspace: Workspace) -> None:
        existing = {
            p.slack_id: p
            for p in self.session.scalars(select(Person).where(Person.workspace_id == workspace.id))
        }
        profiles_changed = False
        for entry in self.document.people:
            person = existing.get(entry.slack_id)
            created = person is None
            if person is None:
                person = Person(workspace_id=workspace.id, slack_id=entry.slack_id)
                self.session.add(person)
                existing[entry.slack_id] = person
            changed = _assign(
                person,
                name=entry.name,
                title=entry.title,
                discipline=entry.discipline,
                sector=entry.sector,
                organisation=entry.organisation,
                timezone=entry.timezone,
                expertise=entry.expertise,
                expert_visibility=entry.expert_visibility,
                weekly_request_cap=entry.weekly_request_cap,
            )
            changed |= self.publications(person, entry.publications)
            self.count(created, changed)
            profiles_changed |= created or changed
        if profiles_changed:
            bump_profiles_version(self.session, workspace.id)
        self.session.flush()
        self.person_ids = {slack_id: person.id for slack_id, person in existing.items()}

    @staticmethod
    def publications(person: Person, entries: Sequence[PublicationEntry]) -> bool:
        current = list(person.publications)
        changed = False
        for position, entry in enumerate(entries):
            if position < len(current):
                changed |= _assign(
                    current[position], position=position, title=entry.title, abstract=entry.abstract
                )
            else:
                person.publications.append(
                    Publication(position=position, title=entry.title, abstract=entry.abstract)
                )
                changed = True
        for extra in current[len(entries) :]:
            person.publications.remove(extra)
            changed = True
        return changed

    def projects(self, workspace: Workspace) -> None:
        existing = {
            p.key: p
            for p in self.session.scalars(select(Project).where(Project.workspace_id == workspace.id))
        }
        for entry in self.document.projects:
            project = existing.get(entry.key)
            created = project is None
            if project is None:
                project = Project(workspace_id=workspace.id, key=entry.key)
                self.session.add(project)
            changed = _assign(
                project,
                name=entry.name,
                description=entry.description,
                status=entry.status,
                channel_id=entry.channel,
                private=entry.private,
                lead_id=self.person_ids[entry.lead],
            )
            changed |= self.memberships(project, entry)
            self.count(created, changed)
            self.milestones(project, entry.milestones)
            self.blockers(project, entry.blockers)

    def memberships(self, project: Project, entry: ProjectEntry) -> bool:
        # Position is the order in the file, so export writes members back in the same order.
        wanted: dict[int, tuple[Role, int]] = {}
        for position, slack_id in enumerate(entry.members):
            role = Role.LEAD if slack_id == entry.lead else Role.MEMBER
            wanted[self.person_ids[slack_id]] = (role, position)
        for offset, slack_id in enumerate(entry.viewers):
            wanted[self.person_ids[slack_id]] = (Role.VIEWER, len(entry.members) + offset)
        changed = False
        for membership in list(project.memberships):
            if membership.person_id in wanted:
                role, position = wanted.pop(membership.person_id)
                changed |= _assign(membership, role=role, position=position)
            else:
                project.memberships.remove(membership)
                changed = True
        for person_id, (role, position) in wanted.items():
            project.memberships.append(Membership(person_id=person_id, role=role, position=position))
            changed = True
        return changed

    def milestones(self, project: Project, entries: Sequence[MilestoneEntry]) -> None:
        by_title = {m.title: m for m in project.milestones}
        next_number = max((m.number for m in project.milestones), default=0) + 1
        for entry in entries:
            milestone = by_title.get(entry.title)
            created = milestone is None
            if milestone is None:
                milestone = Milestone(number=next_number, title=entry.title)
                next_number += 1
                project.milestones.append(milestone)
            changed = _assign(
                milestone,
                due_at=self.utc(entry.due),
                due_timezone=entry.timezone,
                owner_id=self.person_ids[entry.owner] if entry.owner is not None else None,
                status=entry.status,
                done_at=self.utc(entry.done_at),
            )
            self.count(created, changed)

    def blockers(self, project: Project, entries: Sequence[BlockerEntry]) -> None:
        by_text = {b.text: b for b in project.blockers}
        next_number = max((b.number for b in project.blockers), default=0) + 1
        for entry in entries:
            blocker = by_text.get(entry.text)
            created = blocker is None
            if blocker is None:
                blocker = Blocker(number=next_number, text=entry.text)
                next_number += 1
                project.blockers.append(blocker)
            changed = _assign(
                blocker,
                raised_by_id=self.person_ids[entry.raised_by],
                raised_at=self.utc(entry.raised_at),
                resolved_at=self.utc(entry.resolved_at),
                resolved_by_id=self.person_ids[entry.resolved_by] if entry.resolved_by is not None else None,
            )
            self.count(created, changed)


def import_workspace(
    session: Session,
    document: WorkspaceDocument,
    *,
    today: date,
    rebase_dates: bool = False,
    actor: str = "import",
    now: datetime | None = None,
    reminders: ReminderPolicy | None = None,
) -> ImportReport:
    """Create or update a workspace from a validated document, in the caller's transaction.

    Args:
        session: Session inside a transaction the caller owns (`session.begin()`); never committed here.
        document: From `load_workspace_document` or `parse_workspace_document`.
        today: The date rebased files are moved to.
        rebase_dates: Shift every date and time by `today - as_of` days (wall clock, in its zone).
        actor: Who imported, for the audit entry.
        now: When, for the audit entry and reminder planning; defaults to the system clock.
        reminders: The settings' reminder defaults (`Settings.reminder_policy`); built-in if None.

    Returns:
        Counts of what the file holds and of the rows created and changed.

    Raises:
        WorkspaceFileError: If `rebase_dates` is set but the file has no `as_of`; nothing is written.
    """
    as_of = document.workspace.as_of
    if rebase_dates and as_of is None:
        raise WorkspaceFileError(
            [Problem(document.workspace.line, "workspace: 'as_of' is required to rebase dates")],
            document.source,
        )
    shift = (today - as_of).days if rebase_dates and as_of is not None else 0
    importer = _Importer(session, document, shift)
    workspace = importer.workspace()
    importer.people(workspace)
    importer.projects(workspace)
    at = now if now is not None else SystemClock().now()
    # Same transaction: moved, reassigned or completed milestones get their reminders replanned.
    session.flush()
    replan_workspace(session, workspace.id, at, defaults=reminders or ReminderPolicy())
    report = ImportReport(
        workspace_id=workspace.id,
        people=len(document.people),
        projects=len(document.projects),
        milestones=sum(len(p.milestones) for p in document.projects),
        blockers=sum(len(p.blockers) for p in document.projects),
        created=importer.created,
        updated=importer.updated,
        shift_days=shift,
    )
    session.add(
        AuditEntry(
            workspace_id=workspace.id,
            actor=actor,
            action="import",
            entity="workspace",
            entity_id=workspace.id,
            detail=(
                f"{document.source}: {report.people} people, {report.projects} projects, "
                f"{report.milestones} milestones, {report.blockers} blockers; "
                f"{report.created} created, {report.updated} updated; dates shifted by {shift} days"
            ),
            at=at,
        )
    )
    session.flush()
    return report


def import_workspace_file(
    session: Session,
    path: Path,
    *,
    today: date,
    rebase_dates: bool = False,
    actor: str = "import",
    now: datetime | None = None,
    reminders: ReminderPolicy | None = None,
) -> ImportReport:
    """Load, validate and import a workspace file; see `import_workspace`.

    Args:
        session: Session inside a transaction the caller owns.
        path: The YAML file.
        today: The date rebased files are moved to.
        rebase_dates: Shift every date by `today - as_of` days.
        actor: Who imported, for the audit entry.
        now: When, for the audit entry and reminder planning; defaults to the system clock.
        reminders: The settings' reminder defaults.

    Returns:
        The import report.

    Raises:
        WorkspaceFileError: If the file has any problem; nothing is written then.
    """
    document = load_workspace_document(path)
    return import_workspace(
        session, document, today=today, rebase_dates=rebase_dates, actor=actor, now=now, reminders=reminders
    )


# --------------------------------------------------------------------------------------------------
# Export
# --------------------------------------------------------------------------------------------------


def _format_offset(offset: timedelta | None) -> str:
    minutes = int((offset or timedelta(0)).total_seconds()) // 60
    sign = "-" if minutes < 0 else "+"
    hours, minutes = divmod(abs(minutes), 60)
    return f"{sign}{hours:02d}:{minutes:02d}"


def _format_wall_time(instant: datetime, zone_name: str) -> str:
    local = instant.astimezone(ZoneInfo(zone_name))
    text = f"{local.year:04d}-{local.month:02d}-{local.day:02d} {local.hour:02d}:{local.minute:02d}"
    # Only the second occurrence of an ambiguous time needs its offset; the first is the default.
    if local.replace(fold=0).utcoffset() != local.utcoffset():
        text += " " + _format_offset(local.utcoffset())
    return text


def _scalar(value: str | bool) -> str:
    """One-line YAML for a value, quoted only where YAML would otherwise read something else."""
    dumped = yaml.safe_dump({"k": value}, allow_unicode=True, width=1_000_000, sort_keys=False)
    text = dumped.removeprefix("k: ").removesuffix("\n")
    if "\n" in text:
        # Multi-line strings: escape line breaks rather than depend on the block's indentation.
        text = yaml.safe_dump(value, allow_unicode=True, width=1_000_000, default_style='"')
        text = text.removesuffix("\n...\n").removesuffix("\n")
    return text


def _flow_scalar(value: str) -> str:
    return yaml.safe_dump([value], allow_unicode=True, width=1_000_000, default_flow_style=True).strip()[1:-1]


class _Writer:
    """Accumulates YAML lines with explicit indentation, so the output looks like the hand-written file."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def field(self, indent: int, key: str, value: str | bool | None, *, first: bool = False) -> None:
        if value is None:
            return
        prefix = " " * (indent - 2) + "- " if first else " " * indent
        line = f"{prefix}{key}: {_scalar(value)}"
        if isinstance(value, str) and len(line) > _FOLD_AFTER and (folded := self.fold(value, indent + 2)):
            self.lines.append(f"{prefix}{key}: >-")
            self.lines.extend(folded)
        else:
            self.lines.append(line)

    @staticmethod
    def fold(value: str, indent: int) -> list[str] | None:
        # A folded scalar joins its lines with single spaces, so it only fits text whose words are
        # separated by single spaces and that has nothing YAML would strip or escape.
        if value != value.strip() or "  " in value or not value.isprintable():
            return None
        lines = textwrap.wrap(
            value, width=_EXPORT_WIDTH - indent, break_long_words=False, break_on_hyphens=False
        )
        if " ".join(lines) != value:
            return None
        return [" " * indent + line for line in lines]

    def flow_list(self, indent: int, key: str, values: Sequence[str]) -> None:
        self.lines.append(f"{' ' * indent}{key}: [{', '.join(_flow_scalar(v) for v in values)}]")

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


def export_workspace(session: Session, workspace_id: int) -> str:
    """Write a workspace in the import format.

    People and projects come in id order, members in their position, milestones and blockers by
    number; keys that only repeat a default (`status: open`, `private: false`, a milestone zone equal
    to the workspace's) are left out. Importing the result into an empty database and exporting again
    gives the same text.

    Args:
        session: Any session; only reads.
        workspace_id: The workspace to export.

    Returns:
        The YAML text.

    Raises:
        LookupError: If there is no such workspace.
    """
    workspace = session.get(Workspace, workspace_id)
    if workspace is None:
        raise LookupError(f"no workspace with id {workspace_id}")
    people = list(
        session.scalars(select(Person).where(Person.workspace_id == workspace_id).order_by(Person.id))
    )
    projects = list(
        session.scalars(select(Project).where(Project.workspace_id == workspace_id).order_by(Project.id))
    )
    slack_ids = {person.id: person.slack_id for person in people}

    def ref(person_id: int | None) -> str | None:
        return slack_ids.get(person_id) if person_id is not None else None

    out = _Writer()
    out.lines.extend(_EXPORT_HEADER.rstrip("\n").split("\n"))
    out.lines += ["", "workspace:"]
    out.field(2, "name", workspace.name)
    out.field(2, "timezone", workspace.timezone)
    if workspace.as_of is not None:
        out.lines.append(f"  as_of: {workspace.as_of.isoformat()}")
    out.field(2, "slack_team_id", workspace.slack_team_id)

    out.lines += ["", "people:" if people else "people: []"]
    for index, person in enumerate(people):
        if index:
            out.lines.append("")
        out.field(4, "slack_id", person.slack_id, first=True)
        out.field(4, "name", person.name)
        out.field(4, "title", person.title)
        out.field(4, "discipline", person.discipline)
        out.field(4, "sector", person.sector.value if person.sector is not None else None)
        out.field(4, "organisation", person.organisation)
        out.field(4, "timezone", person.timezone)
        out.field(4, "expertise", person.expertise)
        if person.publications:
            out.lines.append("    publications:")
            for publication in person.publications:
                out.field(8, "title", publication.title, first=True)
                out.field(8, "abstract", publication.abstract)
        if person.expert_visibility != ExpertVisibility.LISTED:
            out.field(4, "expert_visibility", person.expert_visibility.value)
        if person.weekly_request_cap is not None:
            out.lines.append(f"    weekly_request_cap: {person.weekly_request_cap}")

    out.lines += ["", "projects:" if projects else "projects: []"]
    for index, project in enumerate(projects):
        if index:
            out.lines.append("")
        memberships = sorted(project.memberships, key=lambda m: (m.position, m.person_id))
        out.field(4, "key", project.key, first=True)
        out.field(4, "name", project.name)
        out.field(4, "description", project.description or None)
        out.field(4, "status", project.status.value)
        out.field(4, "channel", project.channel_id)
        out.field(4, "lead", ref(project.lead_id))
        members = [ref(m.person_id) for m in memberships if m.role is not Role.VIEWER]
        out.flow_list(4, "members", [m for m in members if m is not None])
        viewers = [ref(m.person_id) for m in memberships if m.role is Role.VIEWER]
        if viewers:
            out.flow_list(4, "viewers", [v for v in viewers if v is not None])
        if project.private:
            out.field(4, "private", True)
        if project.milestones:
            out.lines.append("    milestones:")
        for milestone in project.milestones:
            zone = milestone.due_timezone
            out.field(8, "title", milestone.title, first=True)
            out.field(8, "due", _format_wall_time(milestone.due_at, zone))
            out.field(8, "timezone", zone if zone != workspace.timezone else None)
            out.field(8, "owner", ref(milestone.owner_id))
            out.field(
                8, "status", milestone.status.value if milestone.status is not MilestoneStatus.OPEN else None
            )
            if milestone.done_at is not None:
                out.field(8, "done_at", _format_wall_time(milestone.done_at, zone))
        if project.blockers:
            out.lines.append("    blockers:")
        for blocker in project.blockers:
            out.field(8, "text", blocker.text, first=True)
            out.field(8, "raised_by", ref(blocker.raised_by_id))
            out.field(8, "raised_at", _format_wall_time(blocker.raised_at, workspace.timezone))
            if blocker.resolved_at is not None:
                out.field(8, "resolved_at", _format_wall_time(blocker.resolved_at, workspace.timezone))
            out.field(8, "resolved_by", ref(blocker.resolved_by_id))
    return out.text()
