"""The workspace file's optional `venues:` and `papers:` sections: read, import, export.

```yaml
venues:
  - key: adcon27
    name: Conference on Advertising Systems 2027
    kind: conference                # conference, journal, workshop, funding_call
    deadline: 2027-04-01 23:59      # a wall-clock time (or a day: 23:59) in `zone`
    zone: AoE                       # AoE (Anywhere on Earth, UTC−12; the default), UTC or an IANA name
    notification: 2027-06-01
    starts: 2027-07-12
    ends: 2027-07-14
    url: https://adcon.example

papers:
  - project: fatigue                # a project in this file
    id: 1                           # fatigue-p1
    title: When creatives wear out
    authors: [U01MLOSEI, Jane Doe]  # in order: Slack ids of people in this file, or external names
    venue: adcon27
    status: drafting                # idea, drafting, internal_review, partner_review, submitted, …
    links: [https://…]
```

A file without a section leaves its records as they are; `--prune` deletes venues and papers a present
section does not list. Deadlines and dates are rebased with the file (whole days on the deadline's
own clock). Imported papers are back-planned like papers added in Slack (`bot.publications.replan`):
their milestones are the plan's, so export leaves them out of the projects' `milestones:` and a
re-import plans them again (moving, never duplicating, them).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime
from zoneinfo import ZoneInfo

import yaml
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from bot.access import Actor
from bot.errors import InvalidInput
from bot.models import INCLUDE_DELETED, AuditEntry, Milestone, Person, Project, Workspace
from bot.projects.milestone_details import link_problem
from bot.publications.deadlines import AOE, Deadline, parse_deadline, zone_label
from bot.publications.entries import PaperEntry, VenueEntry
from bot.publications.papers import MAX_AUTHOR_NAME, PaperStatus
from bot.publications.planning import days_before
from bot.publications.replan import PlanningDefaults, replan_paper
from bot.publications.tables import Paper, PaperAuthor, PaperMilestone, Venue
from bot.publications.venues import VENUE_KEY_RE, VenueKind
from bot.workspace_file.document import SLACK_USER_ID_RE
from bot.workspace_file.field_reader import FieldReader, Fields, column_limit

VENUE_KEYS = ("key", "name", "kind", "deadline", "zone", "notification", "starts", "ends", "url")
PAPER_KEYS = ("project", "id", "title", "authors", "venue", "status", "links")
IMPORT_ACTOR = "import"
_DEADLINE_RE = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:[ T](\d{1,2}:\d{2}))?$")


# -- reading ------------------------------------------------------------------------------------------


def read_venues(reader: FieldReader, root: Fields) -> tuple[VenueEntry, ...] | None:
    """The `venues:` section (None when the file has none); problems go to `reader`."""
    if root.get("venues") is None:
        return None
    items = reader.items(root, "venues", "venue", VENUE_KEYS)
    reader.duplicates(items, "key", "venue key")
    entries = [_venue(reader, item) for item in items]
    return tuple(e for e in entries if e is not None)


def _venue(reader: FieldReader, fields: Fields) -> VenueEntry | None:
    before = len(reader.problems)
    key = reader.text(fields, "key", required=True, max_length=40, pattern=VENUE_KEY_RE)
    if key is not None:
        fields.what = f"venue '{key}'"
    name = reader.text(fields, "name", required=True, max_length=column_limit(Venue, "name"))
    kind = reader.choice(fields, "kind", VenueKind, required=True)
    zone = reader.text(fields, "zone", max_length=64) or AOE
    deadline = None
    node = fields.get("deadline")
    if node is not None:
        match = _DEADLINE_RE.match(node.value) if isinstance(node, yaml.ScalarNode) else None
        if match is None:
            reader.problem(node, f"{fields.what} deadline must read YYYY-MM-DD HH:MM (or YYYY-MM-DD)")
        else:
            try:
                deadline = parse_deadline(match.group(1), match.group(2), zone)
            except InvalidInput as error:
                reader.problem(node, f"{fields.what} deadline: {error.message}")
    starts, ends = reader.calendar_date(fields, "starts"), reader.calendar_date(fields, "ends")
    if starts and ends and ends < starts:
        reader.problem(fields.get("ends"), f"{fields.what}: ends before it starts")
    url = reader.text(fields, "url", max_length=column_limit(Venue, "url"))
    if url is not None and link_problem(url) is not None:
        reader.problem(fields.get("url"), f"{fields.what} url must start with http:// or https://")
    notification = reader.calendar_date(fields, "notification")
    if len(reader.problems) > before or key is None or name is None or kind is None:
        return None
    return VenueEntry(key, name, kind.value, deadline, notification, starts, ends or starts, url, fields.line)


def read_papers(
    reader: FieldReader, root: Fields, people: set[str], project_keys: set[str], venues: set[str]
) -> tuple[PaperEntry, ...] | None:
    """The `papers:` section (None when the file has none); problems go to `reader`.

    Args:
        reader: Collects problems.
        root: The file's top-level mapping.
        people: Slack ids of the file's people.
        project_keys: Keys of the file's projects.
        venues: Keys of the file's venues (a paper's venue must be one of them).
    """
    if root.get("papers") is None:
        return None
    items = reader.items(root, "papers", "paper", PAPER_KEYS)
    entries = [_paper(reader, item, people, project_keys, venues) for item in items]
    seen: set[tuple[str, int]] = set()
    for entry in entries:
        if entry is not None:
            if (entry.project, entry.number) in seen:
                reader.problem(entry.line, f"paper {entry.project}-p{entry.number} is listed twice")
            seen.add((entry.project, entry.number))
    return tuple(e for e in entries if e is not None)


def _paper(
    reader: FieldReader, fields: Fields, people: set[str], project_keys: set[str], venues: set[str]
) -> PaperEntry | None:
    before = len(reader.problems)
    project = reader.text(fields, "project", required=True, max_length=40)
    if project is not None and project not in project_keys:
        reader.problem(fields.get("project"), f"paper project '{project}' is not a project in this file")
    number = reader.integer(fields, "id", low=1, high=999_999)
    if number is None and fields.get("id") is None:
        reader.problem(fields.node, f"{fields.what}: required key 'id' is missing")
    if project is not None and number is not None:
        fields.what = f"paper '{project}-p{number}'"
    title = reader.text(fields, "title", required=True, max_length=200)
    authors: list[str] = []
    for node in reader.sequence(fields, "authors"):
        author = reader.scalar_text(node, f"{fields.what} authors", max_length=MAX_AUTHOR_NAME)
        if author is None or not author.strip():
            continue
        if SLACK_USER_ID_RE.match(author) and author not in people:
            reader.problem(node, f"{fields.what} authors: '{author}' is not one of the people in this file")
        elif author in authors:
            reader.problem(node, f"{fields.what} authors: '{author}' is listed twice")
        authors.append(author)
    if not authors:
        reader.problem(fields.node, f"{fields.what}: list at least one author")
    venue = reader.text(fields, "venue", max_length=40)
    if venue is not None and venue not in venues:
        reader.problem(fields.get("venue"), f"{fields.what} venue '{venue}' is not a venue in this file")
    status = reader.choice(fields, "status", PaperStatus) or PaperStatus.IDEA
    links: list[str] = []
    for node in reader.sequence(fields, "links"):
        link = reader.scalar_text(node, f"{fields.what} links", max_length=500)
        if link is not None and link_problem(link) is not None:
            reader.problem(node, f"{fields.what} links: '{link[:60]}' does not start with http(s)://")
        elif link is not None:
            links.append(link)
    if len(reader.problems) > before or project is None or number is None or title is None:
        return None
    return PaperEntry(project, number, title, tuple(authors), venue, status.value, tuple(links), fields.line)


# -- importing ------------------------------------------------------------------------------------------


def import_publications(
    session: Session,
    workspace_id: int,
    venues: Sequence[VenueEntry] | None,
    papers: Sequence[PaperEntry] | None,
    *,
    shift: int,
    prune: bool,
    now: datetime,
    defaults: PlanningDefaults,
    plan: list[str],
) -> tuple[int, int, int]:
    """Upsert venues (by key) and papers (by project and id), then back-plan the papers.

    Returns:
        (created, updated, removed).
    """
    created = updated = removed = 0
    session.flush()
    existing = {v.key: v for v in session.scalars(select(Venue).where(Venue.workspace_id == workspace_id))}
    for entry in venues or ():
        values = _venue_values(entry, shift)
        venue = existing.get(entry.key)
        if venue is None:
            venue = Venue(workspace_id=workspace_id, key=entry.key, **values)
            session.add(venue)
            existing[entry.key] = venue
            created += 1
            plan.append(f"create venue {entry.key} '{entry.name}'")
        elif any(getattr(venue, name) != value for name, value in values.items()):
            for name, value in values.items():
                setattr(venue, name, value)
            updated += 1
            plan.append(f"update venue {entry.key} '{entry.name}'")
    if venues is not None and prune:
        listed = {entry.key for entry in venues}
        for key, venue in list(existing.items()):
            if key not in listed:
                session.delete(venue)
                del existing[key]
                removed += 1
                plan.append(f"remove venue {key}")
    session.flush()
    if papers is None:
        return created, updated, removed
    workspace = session.get_one(Workspace, workspace_id)
    actor = Actor(IMPORT_ACTOR, workspace_id, None, True, ZoneInfo(workspace.timezone))
    audited_before = session.scalar(select(func.max(AuditEntry.id))) or 0
    projects = {
        p.key: p for p in session.scalars(select(Project).where(Project.workspace_id == workspace_id))
    }
    people = {
        p.slack_id: p for p in session.scalars(select(Person).where(Person.workspace_id == workspace_id))
    }
    current = {
        (p.project.key, p.number): p
        for p in session.scalars(select(Paper).join(Project).where(Project.workspace_id == workspace_id))
    }
    for item in papers:
        project = projects[item.project]
        paper = current.get((item.project, item.number))
        venue = existing.get(item.venue) if item.venue else None
        links = "\n".join(item.links) or None
        authors = [
            PaperAuthor(position=i, person=people[a]) if a in people else PaperAuthor(position=i, name=a)
            for i, a in enumerate(item.authors, start=1)
        ]
        if paper is None:
            paper = Paper(
                project=project,
                number=item.number,
                title=item.title,
                status=item.status,
                status_changed_at=now,
                venue=venue,
                links=links,
                created_at=now,
            )
            paper.authors = authors
            session.add(paper)
            created += 1
            plan.append(f"create paper {item.project}-p{item.number} '{item.title}'")
        else:
            before = (paper.title, paper.status, paper.venue_id, paper.links, _author_keys(paper.authors))
            paper.title, paper.venue, paper.links = item.title, venue, links
            if paper.status != item.status:
                paper.status, paper.status_changed_at = item.status, now
            if _author_keys(paper.authors) != _author_keys(authors):
                paper.authors.clear()
                session.flush()
                paper.authors.extend(authors)
            session.flush()
            if before != (
                paper.title,
                paper.status,
                paper.venue_id,
                paper.links,
                _author_keys(paper.authors),
            ):
                updated += 1
                plan.append(f"update paper {item.project}-p{item.number} '{item.title}'")
        session.flush()
        _restore_pruned_plan(session, paper, now)
        if project.archived_at is None:
            replan_paper(session, actor, paper, now, defaults)
    # An import is audited once, as a whole (the importer's entry), like the milestones it writes itself:
    # the plan's milestone entries would otherwise reach the change feed as if someone added them now.
    session.flush()
    session.execute(
        delete(AuditEntry).where(
            AuditEntry.id > audited_before,
            AuditEntry.actor == IMPORT_ACTOR,
            AuditEntry.entity == "milestone",
        )
    )
    if prune:
        wanted = {(item.project, item.number) for item in papers}
        for ref, paper in current.items():
            if ref not in wanted:
                session.delete(paper)
                removed += 1
                plan.append(f"remove paper {ref[0]}-p{ref[1]}")
    session.flush()
    return created, updated, removed


def _author_keys(authors: Sequence[PaperAuthor]) -> list[str]:
    return [a.person.slack_id if a.person is not None else f"~{a.name}" for a in authors]


def _restore_pruned_plan(session: Session, paper: Paper, now: datetime) -> None:
    """Bring back plan milestones that this import's `--prune` just deleted (the file never lists them)."""
    for link in session.scalars(select(PaperMilestone).where(PaperMilestone.paper_id == paper.id)).all():
        milestone = session.scalars(
            select(Milestone)
            .where(Milestone.id == link.milestone_id)
            .execution_options(**{INCLUDE_DELETED: True})
        ).one()
        if milestone.deleted_at == now:
            milestone.deleted_at = None
    session.expire(paper, ["plan"])


def _venue_values(entry: VenueEntry, shift: int) -> dict[str, object]:
    deadline = entry.deadline
    if deadline is not None and shift:
        deadline = Deadline(days_before(deadline, -shift), deadline.zone)

    def moved(day: date | None) -> date | None:
        return date.fromordinal(day.toordinal() + shift) if day is not None else None

    return dict(
        name=entry.name,
        kind=entry.kind,
        deadline_at=deadline.instant if deadline else None,
        deadline_zone=deadline.zone if deadline else None,
        notification_on=moved(entry.notification_on),
        starts_on=moved(entry.starts_on),
        ends_on=moved(entry.ends_on),
        url=entry.url,
    )


# -- exporting ------------------------------------------------------------------------------------------


def planned_milestone_ids(session: Session, workspace_id: int) -> set[int]:
    """Ids of the milestones back-planned for papers: export leaves them to the `papers:` section."""
    return set(
        session.scalars(
            select(PaperMilestone.milestone_id)
            .join(Paper, Paper.id == PaperMilestone.paper_id)
            .join(Project, Project.id == Paper.project_id)
            .where(Project.workspace_id == workspace_id)
        )
    )


def _scalar(value: str) -> str:
    dumped = yaml.safe_dump({"k": value}, allow_unicode=True, width=1_000_000, sort_keys=False)
    return dumped.removeprefix("k: ").removesuffix("\n").removesuffix("\n...")


def _flow(values: Sequence[str]) -> str:
    return yaml.safe_dump(list(values), allow_unicode=True, width=1_000_000, default_flow_style=True).strip()


def export_publications(session: Session, workspace_id: int) -> list[str]:
    """The `venues:` and `papers:` sections' lines (each with a blank line before it); none when empty."""
    lines: list[str] = []
    venues = session.scalars(select(Venue).where(Venue.workspace_id == workspace_id).order_by(Venue.id)).all()
    if venues:
        lines += ["", "venues:"]
    for index, venue in enumerate(venues):
        if index:
            lines.append("")
        lines.append(f"  - key: {_scalar(venue.key)}")
        lines.append(f"    name: {_scalar(venue.name)}")
        lines.append(f"    kind: {venue.kind}")
        if venue.deadline_at is not None and venue.deadline_zone is not None:
            local = Deadline(venue.deadline_at, venue.deadline_zone).local()
            lines.append(f"    deadline: {local:%Y-%m-%d %H:%M}")
            lines.append(f"    zone: {_scalar(zone_label(venue.deadline_zone))}")
        for key, day in (("notification", venue.notification_on), ("starts", venue.starts_on)):
            if day is not None:
                lines.append(f"    {key}: {day.isoformat()}")
        if venue.ends_on is not None and venue.ends_on != venue.starts_on:
            lines.append(f"    ends: {venue.ends_on.isoformat()}")
        if venue.url:
            lines.append(f"    url: {_scalar(venue.url)}")
    papers = session.scalars(
        select(Paper)
        .join(Project)
        .where(Project.workspace_id == workspace_id)
        .order_by(Project.id, Paper.number)
    ).all()
    if papers:
        lines += ["", "papers:"]
    for index, paper in enumerate(papers):
        if index:
            lines.append("")
        authors = [a.person.slack_id if a.person is not None else (a.name or "") for a in paper.authors]
        lines.append(f"  - project: {_scalar(paper.project.key)}")
        lines.append(f"    id: {paper.number}")
        lines.append(f"    title: {_scalar(paper.title)}")
        lines.append(f"    authors: {_flow(authors)}")
        if paper.venue is not None:
            lines.append(f"    venue: {_scalar(paper.venue.key)}")
        lines.append(f"    status: {paper.status}")
        if paper.links:
            lines.append(f"    links: {_flow(paper.links.splitlines())}")
    return lines
