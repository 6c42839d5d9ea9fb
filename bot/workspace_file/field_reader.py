"""Checked reading of a composed YAML tree that collects every problem, each with its 1-based line.

`FieldReader` reads the values of YAML mappings as the workspace file's types (text, enum choices,
whole numbers, booleans, time zones, dates and wall-clock times) and reports what is wrong with a
value instead of raising, so a whole file is checked in one pass; `parse` builds the sections on it.
"""

from __future__ import annotations

import contextlib
import difflib
import enum
import re
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from sqlalchemy import Column, String

from bot.models import Milestone
from bot.workspace_file.document import DATE_RE, DEFAULT_DUE_HOUR, WALL_TIME_RE, Problem, format_utc_offset

__all__ = ["FieldReader", "Fields", "column_limit"]

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


_S = TypeVar("_S", bound=enum.StrEnum)


def _max_length(column: object) -> int | None:
    # Limits come from the model columns so the file format cannot drift from the schema.
    if isinstance(column, Column) and isinstance(column.type, String):
        return column.type.length
    return None


def column_limit(model: type, attribute: str) -> int | None:
    """The maximum length of a string column, so the file format cannot drift from the schema.

    Args:
        model: A mapped model class.
        attribute: The column's name.

    Returns:
        The column's length, or None if it is not a bounded string.
    """
    return _max_length(model.__table__.c[attribute])  # type: ignore[attr-defined]


def _line(node: yaml.Node) -> int:
    return node.start_mark.line + 1


def _is_null(node: yaml.Node) -> bool:
    return isinstance(node, yaml.ScalarNode) and node.tag == f"{_TAG}null"


def _describe(node: yaml.Node) -> str:
    return _TAG_NAMES.get(node.tag, f"a value tagged {node.tag}")


class Fields:
    """The keys of one YAML mapping, checked against what that kind of entity allows."""

    def __init__(self, node: yaml.MappingNode, what: str, values: dict[str, yaml.Node]) -> None:
        self.node = node
        self.what = what
        self.values = values

    @property
    def line(self) -> int:
        """The 1-based line where the mapping starts."""
        return _line(self.node)

    def get(self, key: str) -> yaml.Node | None:
        """The value node of `key`, or None when the key is absent or its value is empty."""
        node = self.values.get(key)
        return None if node is None or _is_null(node) else node


class FieldReader:
    """Walks the composed YAML tree and collects problems instead of stopping at the first.

    Each reader takes the mapping and a key, reports what is wrong with that value and returns None
    then, so a section can go on checking its other keys.
    """

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def problem(self, where: yaml.Node | int | None, message: str) -> None:
        """Records a problem at a node's line, at a line number, or (None) with no place."""
        line = _line(where) if isinstance(where, yaml.Node) else where
        self.problems.append(Problem(line, message))

    # ---- shapes --------------------------------------------------------------------------------

    def mapping(self, node: yaml.Node, what: str, allowed: Sequence[str]) -> Fields | None:
        """The keys of a mapping node (unknown and duplicate keys are reported); None if no mapping."""
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
        return Fields(node, what, values)

    def value(self, fields: Fields, key: str, required: bool) -> yaml.Node | None:
        """The value node of `key`, reporting it when `required` and absent or empty."""
        node = fields.get(key)
        if node is None and required:
            state = "has no value" if key in fields.values else "is missing"
            self.problem(fields.values.get(key, fields.node), f"{fields.what}: required key '{key}' {state}")
        return node

    def sequence(self, fields: Fields, key: str) -> list[yaml.Node]:
        """The entries of the list under `key`; empty when absent (or not a list, which is reported)."""
        node = fields.get(key)
        if node is None:
            return []
        if not isinstance(node, yaml.SequenceNode):
            self.problem(node, f"{fields.what} {key} must be a list, not {_describe(node)}")
            return []
        return list(node.value)

    def items(self, fields: Fields, key: str, what: str, allowed: Sequence[str]) -> list[Fields]:
        """The mappings of the list under `key` (entries that are not mappings are reported)."""
        mappings = (self.mapping(node, what, allowed) for node in self.sequence(fields, key))
        return [item for item in mappings if item is not None]

    def duplicates(self, items: Sequence[Fields], key: str, label: str) -> set[str]:
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
        """A string scalar within `max_length` matching `pattern`; None (reported) otherwise."""
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
        fields: Fields,
        key: str,
        *,
        required: bool = False,
        max_length: int | None = None,
        pattern: re.Pattern[str] | None = None,
    ) -> str | None:
        """The string under `key`; None when absent or invalid (reported; blank counts if `required`)."""
        node = self.value(fields, key, required)
        if node is None:
            return None
        value = self.scalar_text(node, f"{fields.what} {key}", max_length=max_length, pattern=pattern)
        if required and value is not None and not value.strip():
            self.problem(node, f"{fields.what} {key} must not be blank")
            return None
        return value

    def choice(self, fields: Fields, key: str, enum_type: type[_S], *, required: bool = False) -> _S | None:
        """The enum member named by the string under `key`; None when absent or not a member."""
        node = self.value(fields, key, required)
        value = self.scalar_text(node, f"{fields.what} {key}") if node is not None else None
        if node is None or value is None:
            return None
        names = [member.value for member in enum_type]
        if value not in names:
            self.problem(node, f"{fields.what} {key} '{value}' is not one of: {', '.join(names)}")
            return None
        return enum_type(value)

    def integer(self, fields: Fields, key: str, *, low: int, high: int) -> int | None:
        """The plain decimal whole number under `key` within [`low`, `high`]; None if absent or not."""
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

    def boolean(self, fields: Fields, key: str) -> bool:
        """The `true`/`false` under `key`; False when absent or not a boolean (then reported)."""
        node = fields.get(key)
        if node is None:
            return False
        if not (isinstance(node, yaml.ScalarNode) and node.tag == f"{_TAG}bool"):
            self.problem(node, f"{fields.what} {key} must be true or false, not {_describe(node)}")
            return False
        return bool(yaml.SafeLoader.bool_values[node.value.lower()])

    def zone(self, fields: Fields, key: str, *, required: bool = False) -> str | None:
        """The IANA time zone name under `key`; None when absent or not a zone (then reported)."""
        # Every zone column is as long as Milestone.due_timezone; the check also keeps absurdly long
        # names away from ZoneInfo, which would look them up as file paths.
        name = self.text(fields, key, required=required, max_length=column_limit(Milestone, "due_timezone"))
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

    def calendar_date(self, fields: Fields, key: str) -> date | None:
        """The `YYYY-MM-DD` date under `key`, quoted or not; None when absent or invalid."""
        node = self.value(fields, key, False)
        if node is None:
            return None
        # PyYAML turns an unquoted 2026-11-20 into a timestamp node; a quoted one stays a string.
        if isinstance(node, yaml.ScalarNode) and node.tag in (f"{_TAG}str", f"{_TAG}timestamp"):
            if DATE_RE.match(node.value):
                with contextlib.suppress(ValueError):
                    return date.fromisoformat(node.value)
            self.problem(node, f"{fields.what} {key} '{node.value}' is not a date YYYY-MM-DD")
        else:
            self.problem(node, f"{fields.what} {key} must be a date YYYY-MM-DD, not {_describe(node)}")
        return None

    def wall_time(
        self,
        fields: Fields,
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
        match = WALL_TIME_RE.match(text)
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
        offsets = {format_utc_offset(first.utcoffset()): first, format_utc_offset(second.utcoffset()): second}
        chosen = offsets.get(match["offset"])
        if chosen is None:
            self.problem(
                node,
                f"{what} '{text}': {match['offset']} is not the UTC offset of that time in {zone_name} "
                f"(it is {' or '.join(sorted(offsets))})",
            )
        return chosen
