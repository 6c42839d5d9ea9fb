"""Parsing a workspace file: YAML text to a validated `WorkspaceDocument`.

Loading parses and validates the whole file before anything touches the database, and reports every
problem it finds with its 1-based line, so an author fixes a file in one pass instead of one error per
run: YAML syntax, missing or unknown keys (with a "did you mean" for typos), wrong types, bad ids,
references to people the file does not list, duplicates and times that are malformed or do not exist.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from bot.checkins.schedule import ScheduleError, format_schedule, parse_schedule
from bot.errors import InvalidInput
from bot.experts.sources.records import parse_orcid
from bot.models import (
    MAX_WEEKLY_REQUEST_CAP,
    Blocker,
    ExpertVisibility,
    Milestone,
    MilestoneStatus,
    Person,
    Project,
    ProjectStatus,
    Publication,
    ReminderPolicySetting,
    Sector,
    Workspace,
)
from bot.projects.milestone_details import MAX_LINKS, find_cycle, link_problem
from bot.workspace_file.agreements import read_agreements
from bot.workspace_file.document import (
    BLOCKER_KEYS,
    MILESTONE_KEYS,
    PERSON_KEYS,
    POLICY_BOOL_KEYS,
    POLICY_INT_KEYS,
    POLICY_KEYS,
    PROJECT_KEY_RE,
    PROJECT_KEYS,
    PUBLICATION_KEYS,
    SLACK_CHANNEL_ID_RE,
    SLACK_TEAM_ID_RE,
    SLACK_USER_ID_RE,
    WORKSPACE_KEYS,
    BlockerEntry,
    MilestoneEntry,
    PersonEntry,
    PolicyEntry,
    Problem,
    ProjectEntry,
    PublicationEntry,
    WorkspaceDocument,
    WorkspaceEntry,
    WorkspaceFileError,
)
from bot.workspace_file.field_reader import FieldReader, Fields, column_limit
from bot.workspace_file.publications import read_papers, read_venues

_MILESTONE_REF_RE = re.compile(r"^([a-z][a-z0-9_]{0,39})-([0-9]{1,7})$")

__all__ = ["load_workspace_document", "parse_workspace_document"]


class _DocumentParser(FieldReader):
    """Reads the sections of a workspace file; `problems` holds everything wrong with it, `warnings`
    what imports but looks wrong."""

    def __init__(self) -> None:
        super().__init__()
        self.warnings: list[Problem] = []
        # Milestone ids written per project key, and every dependency with the line it is written on.
        self.milestone_ids: dict[str, set[int]] = {}
        self.dependencies: list[tuple[str, int | None, str, int, int]] = []

    # ---- people references ---------------------------------------------------------------------

    def person_ref(self, node: yaml.Node, what: str, people: set[str]) -> str | None:
        slack_id = self.scalar_text(
            node, what, max_length=column_limit(Person, "slack_id"), pattern=SLACK_USER_ID_RE
        )
        if slack_id is not None and slack_id not in people:
            self.problem(node, f"{what} '{slack_id}' is not one of the people in this file")
            return None
        return slack_id

    def person_field(
        self, fields: Fields, key: str, people: set[str], *, required: bool = False
    ) -> str | None:
        node = self.value(fields, key, required)
        return self.person_ref(node, f"{fields.what} {key}", people) if node is not None else None

    def person_list(self, fields: Fields, key: str, people: set[str]) -> list[tuple[str, yaml.Node]]:
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

    # ---- optional parts ------------------------------------------------------------------------

    def policy(self, fields: Fields) -> PolicyEntry | None:
        """The optional `reminders` mapping: reminder policy columns as `/milestone remind` stores them."""
        node = fields.get("reminders")
        if node is None:
            return None
        policy = self.mapping(node, f"{fields.what} reminders", POLICY_KEYS)
        if policy is None:
            return None
        values: list[tuple[str, str | bool | int | None]] = []
        for key in POLICY_KEYS:
            if policy.get(key) is None:
                continue
            if key in POLICY_BOOL_KEYS:
                values.append((key, self.boolean(policy, key)))
            elif key in POLICY_INT_KEYS:
                values.append((key, self.integer(policy, key, low=0, high=365)))
            else:
                values.append(
                    (key, self.text(policy, key, max_length=column_limit(ReminderPolicySetting, key)))
                )
        return PolicyEntry(values=tuple(values), line=policy.line)

    def entry_id(self, fields: Fields, label: str, seen: dict[int, int]) -> int | None:
        """The optional `id` (the number within the project); a repeated id is reported."""
        number = self.integer(fields, "id", low=1, high=1_000_000)
        if number is not None:
            node = fields.values["id"]
            if number in seen:
                self.problem(node, f"{label} id {number} is used twice (first at line {seen[number]})")
            else:
                seen[number] = node.start_mark.line + 1
        return number

    def opt_in(self, fields: Fields, key: str) -> bool | None:
        """A personal setting written `on` or `off`; None when not written (keep what they chose)."""
        return None if fields.get(key) is None else self.boolean(fields, key)

    def orcid(self, fields: Fields) -> str | None:
        """An ORCID iD, normalised, with its check character verified; None when absent or invalid."""
        node = self.value(fields, "orcid", False)
        value = self.scalar_text(node, f"{fields.what} orcid", max_length=60) if node is not None else None
        if node is None or value is None:
            return None
        try:
            return parse_orcid(value)
        except InvalidInput as error:
            self.problem(node, f"{fields.what} orcid: {error.message}")
            return None

    # ---- sections ------------------------------------------------------------------------------

    def workspace(self, fields: Fields) -> WorkspaceEntry | None:
        name = self.text(fields, "name", required=True, max_length=column_limit(Workspace, "name"))
        zone = self.zone(fields, "timezone", required=True)
        as_of = self.calendar_date(fields, "as_of")
        team = self.text(
            fields,
            "slack_team_id",
            max_length=column_limit(Workspace, "slack_team_id"),
            pattern=SLACK_TEAM_ID_RE,
        )
        reminders = self.policy(fields)
        if name is None or zone is None:
            return None
        return WorkspaceEntry(
            name=name, timezone=zone, as_of=as_of, slack_team_id=team, line=fields.line, reminders=reminders
        )

    def person(self, fields: Fields) -> PersonEntry | None:
        slack_id = self.text(
            fields,
            "slack_id",
            required=True,
            max_length=column_limit(Person, "slack_id"),
            pattern=SLACK_USER_ID_RE,
        )
        if slack_id is not None:
            fields.what = f"person '{slack_id}'"
        name = self.text(fields, "name", required=True, max_length=column_limit(Person, "name"))
        publications = []
        for node in self.sequence(fields, "publications"):
            if (pub := self.mapping(node, f"{fields.what} publication", PUBLICATION_KEYS)) is not None:
                title = self.text(pub, "title", required=True, max_length=column_limit(Publication, "title"))
                abstract = self.text(pub, "abstract", max_length=column_limit(Publication, "abstract"))
                if title is not None:
                    publications.append(PublicationEntry(title=title, abstract=abstract, line=pub.line))
        entry = PersonEntry(
            slack_id=slack_id or "",
            name=name or "",
            title=self.text(fields, "title", max_length=column_limit(Person, "title")),
            discipline=self.text(fields, "discipline", max_length=column_limit(Person, "discipline")),
            sector=self.choice(fields, "sector", Sector),
            organisation=self.text(fields, "organisation", max_length=column_limit(Person, "organisation")),
            timezone=self.zone(fields, "timezone"),
            expertise=self.text(fields, "expertise", max_length=column_limit(Person, "expertise")),
            publications=tuple(publications),
            line=fields.line,
            expert_visibility=self.choice(fields, "expert_visibility", ExpertVisibility)
            or ExpertVisibility.LISTED,
            weekly_request_cap=self.integer(fields, "weekly_request_cap", low=0, high=MAX_WEEKLY_REQUEST_CAP),
            until=self.calendar_date(fields, "until"),
            notifications=self.opt_in(fields, "notifications"),
            waiting_digest=self.opt_in(fields, "waiting_digest"),
            orcid=self.orcid(fields),
        )
        return entry if slack_id is not None and name is not None else None

    def project(self, fields: Fields, people: set[str], workspace_zone: str | None) -> ProjectEntry | None:
        key = self.text(
            fields, "key", required=True, max_length=column_limit(Project, "key"), pattern=PROJECT_KEY_RE
        )
        if key is not None:
            fields.what = f"project '{key}'"
        name = self.text(fields, "name", required=True, max_length=column_limit(Project, "name"))
        description = self.text(fields, "description") or ""
        status = self.choice(fields, "status", ProjectStatus, required=True)
        channel = self.text(
            fields, "channel", max_length=column_limit(Project, "channel_id"), pattern=SLACK_CHANNEL_ID_RE
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
        reminders = self.policy(fields)
        archived = self.boolean(fields, "archived")
        given = fields.get("checkins")
        if isinstance(given, yaml.ScalarNode) and given.tag.endswith(":bool"):  # YAML 1.1 reads on/off so
            checkins: str | None = "on" if self.boolean(fields, "checkins") else "off"
        else:
            checkins = self.text(fields, "checkins")
        if checkins is not None and checkins.strip().lower() != "off":
            try:
                checkins = format_schedule(*parse_schedule(checkins))
            except ScheduleError as error:
                self.problem(fields.values["checkins"], f"{fields.what}: checkins: {error}")

        milestone_items = self.items(fields, "milestones", f"{fields.what} milestone", MILESTONE_KEYS)
        self.duplicates(milestone_items, "title", f"{fields.what}: milestone title")
        milestone_ids: dict[int, int] = {}
        milestones = [
            self.milestone(item, people, workspace_zone, milestone_ids, key) for item in milestone_items
        ]
        if key is not None:
            self.milestone_ids[key] = set(milestone_ids)
        blocker_items = self.items(fields, "blockers", f"{fields.what} blocker", BLOCKER_KEYS)
        self.duplicates(blocker_items, "text", f"{fields.what}: blocker text")
        blocker_ids: dict[int, int] = {}
        blockers = [self.blocker(item, people, workspace_zone, blocker_ids) for item in blocker_items]
        for blocker, item in zip(blockers, blocker_items, strict=True):
            if (
                blocker is not None
                and blocker.milestone is not None
                and blocker.milestone not in milestone_ids
            ):
                self.problem(
                    item.values["milestone"],
                    f"{item.what}: milestone {blocker.milestone} is not the id of a milestone "
                    "of this project",
                )

        on_project = {*members, *(viewer for viewer, _ in viewers)} | ({lead} if lead else set())
        for milestone in milestones:
            if milestone is not None and milestone.owner is not None and milestone.owner not in on_project:
                # `/milestone add` refuses such an owner, but a member who left keeps their
                # milestones and export writes them so: a warning, not a problem, keeps that file
                # importable.
                self.warnings.append(
                    Problem(
                        milestone.line,
                        f"{fields.what} milestone '{milestone.title}': owner '{milestone.owner}' is not "
                        "a member or viewer of the project; imported anyway (add them to members, or "
                        "change the owner)",
                    )
                )

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
            reminders=reminders,
            checkins=checkins,
            archived=archived,
        )

    def milestone(
        self,
        fields: Fields,
        people: set[str],
        workspace_zone: str | None,
        ids: dict[int, int],
        project_key: str | None = None,
    ) -> MilestoneEntry | None:
        title = self.text(fields, "title", required=True, max_length=column_limit(Milestone, "title"))
        if title is not None:
            fields.what = f"{fields.what} '{title}'"
        number = self.entry_id(fields, f"{fields.what}:", ids)
        zone = self.zone(fields, "timezone") if fields.get("timezone") is not None else workspace_zone
        due = self.wall_time(fields, "due", zone, required=True, date_only_ok=True)
        owner = self.person_field(fields, "owner", people)
        status = self.choice(fields, "status", MilestoneStatus)
        done_at = self.wall_time(fields, "done_at", zone)
        if fields.get("done_at") is not None and status is not MilestoneStatus.DONE:
            self.problem(fields.values["done_at"], f"{fields.what}: done_at needs status: done")
        description = self.text(fields, "description")
        links = self.links(fields)
        depends_on = self.depends_on(fields, project_key, number)
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
            id=number,
            description=description,
            links=links,
            depends_on=depends_on,
        )

    def links(self, fields: Fields) -> tuple[str, ...]:
        nodes = self.sequence(fields, "links")
        if len(nodes) > MAX_LINKS:
            self.problem(
                fields.values["links"], f"{fields.what}: at most {MAX_LINKS} links, not {len(nodes)}"
            )
        links: list[str] = []
        for node in nodes[:MAX_LINKS]:
            url = self.scalar_text(node, f"{fields.what} link")
            if url is None:
                continue
            if (problem := link_problem(url)) is not None:
                self.problem(node, f"{fields.what}: {problem}")
            elif url not in links:
                links.append(url)
        return tuple(links)

    def depends_on(
        self, fields: Fields, project_key: str | None, number: int | None
    ) -> tuple[tuple[str, int], ...]:
        refs: list[tuple[str, int]] = []
        for node in self.sequence(fields, "depends_on"):
            ref: tuple[str, int] | None = None
            if isinstance(node, yaml.ScalarNode) and node.tag.endswith(":int") and node.value.isdigit():
                ref = (project_key, int(node.value)) if project_key is not None else None
            elif isinstance(node, yaml.ScalarNode) and (match := _MILESTONE_REF_RE.match(node.value)):
                ref = (match.group(1), int(match.group(2)))
            else:
                self.problem(
                    node,
                    f"{fields.what} depends_on: write the id of a milestone of this project (2) or "
                    f"PROJECT-ID (pcm-2), not '{getattr(node, 'value', node.tag)}'",
                )
            if ref is not None and ref not in refs:
                refs.append(ref)
                line = node.start_mark.line + 1
                self.dependencies.append((project_key or "", number, ref[0], ref[1], line))
        return tuple(refs)

    def check_dependencies(self) -> None:
        """Every `depends_on` names a milestone id the file writes, and they form no cycle."""
        edges: dict[str, set[str]] = {}
        first_line: dict[str, int] = {}
        for key, number, on_key, on_number, line in self.dependencies:
            if on_number not in self.milestone_ids.get(on_key, set()):
                self.problem(
                    line,
                    f"project '{key}': depends_on '{on_key}-{on_number}' is not a milestone id in this file "
                    "(give that milestone `id: …`)",
                )
                continue
            if number is None:
                self.problem(line, f"project '{key}': a milestone with depends_on needs an id of its own")
                continue
            node = f"{key}-{number}"
            edges.setdefault(node, set()).add(f"{on_key}-{on_number}")
            first_line.setdefault(node, line)
        cycle = find_cycle(edges)
        if cycle is not None:
            self.problem(
                first_line[cycle[0]], "milestones depend on each other in a cycle: " + " → ".join(cycle)
            )

    def blocker(
        self, fields: Fields, people: set[str], workspace_zone: str | None, ids: dict[int, int]
    ) -> BlockerEntry | None:
        text = self.text(fields, "text", required=True, max_length=column_limit(Blocker, "text"))
        number = self.entry_id(fields, f"{fields.what}:", ids)
        milestone = self.integer(fields, "milestone", low=1, high=1_000_000)
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
            id=number,
            milestone=milestone,
        )

    def document(self, root: yaml.Node, source: str) -> WorkspaceDocument | None:
        fields = self.mapping(
            root, "file", ("workspace", "people", "projects", "agreements", "venues", "papers")
        )
        if fields is None:
            return None
        workspace_node = self.value(fields, "workspace", True)
        workspace_fields = (
            self.mapping(workspace_node, "workspace", WORKSPACE_KEYS) if workspace_node is not None else None
        )
        workspace = self.workspace(workspace_fields) if workspace_fields is not None else None

        person_items = self.items(fields, "people", "person", PERSON_KEYS)
        # References are checked against every id written in the people section, even on entries with
        # other problems, so that one bad person does not also flag each project that mentions them.
        known = self.duplicates(person_items, "slack_id", "person slack_id")
        people = [self.person(item) for item in person_items]

        project_items = self.items(fields, "projects", "project", PROJECT_KEYS)
        project_keys = self.duplicates(project_items, "key", "project key")
        zone = workspace.timezone if workspace is not None else None
        projects = [self.project(item, known, zone) for item in project_items]
        self.check_dependencies()
        agreements = read_agreements(self, fields, known, project_keys, self.milestone_ids)
        venues = read_venues(self, fields)
        papers = read_papers(self, fields, known, project_keys, {v.key for v in venues or ()})

        if self.problems or workspace is None:
            return None
        return WorkspaceDocument(
            source=source,
            workspace=workspace,
            people=tuple(p for p in people if p is not None),
            projects=tuple(p for p in projects if p is not None),
            warnings=tuple(sorted(self.warnings, key=lambda w: w.line or 0)),
            agreements=agreements,
            venues=venues,
            papers=papers,
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
    parser = _DocumentParser()
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
