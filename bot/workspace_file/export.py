"""Exporting a workspace from the database as a workspace file (YAML text).

The output looks like the hand-written demo file: unquoted times, flow lists of members, long text
folded, and keys that only repeat a default left out. Times are written on the wall clock of their
zone to the minute (the seconds of instants recorded in Slack are dropped), with the UTC offset only
for the second occurrence of a time the clocks repeat, so every instant survives a round trip.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.checkins.admin import schedule_texts
from bot.experts.sources.store import linked_orcids
from bot.models import (
    ExpertVisibility,
    FeedOptOut,
    MilestoneStatus,
    Person,
    Project,
    ReminderPolicySetting,
    Role,
    Workspace,
)
from bot.projects.milestone_details import dependency_refs, loads_links
from bot.workspace_file.agreements import export_agreements
from bot.workspace_file.document import POLICY_KEYS, format_utc_offset
from bot.workspace_file.publications import export_publications, planned_milestone_ids

__all__ = ["export_workspace"]

_EXPORT_HEADER = """\
# Liaison workspace file.
#
# Dates are written as of `as_of`. A loader may rebase them (shift every date by whole
# weeks, the nearest to today - as_of) so the demo has upcoming and overdue milestones.
# Times are "YYYY-MM-DD HH:MM": milestone times on the wall clock of the milestone's
# `timezone`, all others in the workspace time zone.
"""
# Text that would make a line longer than _FOLD_AFTER is folded (`>-`) into lines of at most
# _EXPORT_WIDTH, as in the hand-written demo file.
_FOLD_AFTER = 100
_EXPORT_WIDTH = 88


def _format_wall_time(instant: datetime, zone_name: str) -> str:
    local = instant.astimezone(ZoneInfo(zone_name))
    text = f"{local.year:04d}-{local.month:02d}-{local.day:02d} {local.hour:02d}:{local.minute:02d}"
    # Only the second occurrence of an ambiguous time needs its offset; the first is the default.
    if local.replace(fold=0).utcoffset() != local.utcoffset():
        text += " " + format_utc_offset(local.utcoffset())
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

    def policy(self, indent: int, row: ReminderPolicySetting | None) -> None:
        """A `reminders` mapping with the rules `row` sets (none when it sets nothing)."""
        if row is None:
            return
        values = [(key, getattr(row, key)) for key in POLICY_KEYS if getattr(row, key) is not None]
        if not values:
            return
        self.lines.append(f"{' ' * indent}reminders:")
        for key, value in values:
            if isinstance(value, bool) or not isinstance(value, int):
                self.field(indent + 2, key, value)
            else:
                self.lines.append(f"{' ' * (indent + 2)}{key}: {value}")

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
    policies = {
        row.scope: row
        for row in session.scalars(
            select(ReminderPolicySetting).where(ReminderPolicySetting.workspace_id == workspace_id)
        )
    }
    after = dependency_refs(session, [m.id for project in projects for m in project.milestones])
    checkins = schedule_texts(session, workspace_id)
    planned = planned_milestone_ids(session, workspace_id)
    opted_out = set(session.scalars(select(FeedOptOut.person_id).where(FeedOptOut.person_id.in_(slack_ids))))
    orcids = linked_orcids(session, slack_ids)

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
    out.policy(2, policies.get("workspace"))

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
        if person.until is not None:
            out.lines.append(f"    until: {person.until.isoformat()}")
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
        # Opt-outs only: a file that leaves them out keeps what people chose in Slack.
        if person.id in opted_out:
            out.lines.append("    notifications: off")
        if person.waiting_digest_opt_out:
            out.lines.append("    waiting_digest: off")
        out.field(4, "orcid", orcids.get(person.id))

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
        if project.archived_at is not None:
            out.field(4, "archived", True)
        out.field(4, "checkins", checkins.get(project.id))
        out.policy(4, policies.get(f"project:{project.id}"))
        listed = [m for m in project.milestones if m.id not in planned]  # papers' plans: `papers:`
        if listed:
            out.lines.append("    milestones:")
        for milestone in listed:
            zone = milestone.due_timezone
            out.field(8, "title", milestone.title, first=True)
            out.lines.append(f"        id: {milestone.number}")
            out.field(8, "due", _format_wall_time(milestone.due_at, zone))
            out.field(8, "timezone", zone if zone != workspace.timezone else None)
            out.field(8, "owner", ref(milestone.owner_id))
            out.field(
                8, "status", milestone.status.value if milestone.status is not MilestoneStatus.OPEN else None
            )
            if milestone.done_at is not None:
                out.field(8, "done_at", _format_wall_time(milestone.done_at, zone))
            out.field(8, "description", milestone.description)
            if links := loads_links(milestone.links):
                out.lines.append("        links:")
                out.lines.extend(f"          - {_scalar(link)}" for link in links)
            if refs := after.get(milestone.id):
                same = f"{project.key}-"
                written = [ref.removeprefix(same) if ref.startswith(same) else ref for ref in refs]
                out.lines.append(f"        depends_on: [{', '.join(written)}]")
        if project.blockers:
            out.lines.append("    blockers:")
        numbers = {m.id: m.number for m in project.milestones}
        for blocker in project.blockers:
            out.field(8, "text", blocker.text, first=True)
            out.lines.append(f"        id: {blocker.number}")
            if blocker.milestone_id in numbers:
                out.lines.append(f"        milestone: {numbers[blocker.milestone_id]}")
            out.field(8, "raised_by", ref(blocker.raised_by_id))
            out.field(8, "raised_at", _format_wall_time(blocker.raised_at, workspace.timezone))
            if blocker.resolved_at is not None:
                out.field(8, "resolved_at", _format_wall_time(blocker.resolved_at, workspace.timezone))
            out.field(8, "resolved_by", ref(blocker.resolved_by_id))
    out.lines += export_agreements(session, workspace_id)  # the optional `agreements:` section
    out.lines += export_publications(session, workspace_id)  # the optional `venues:` and `papers:`
    return out.text()
