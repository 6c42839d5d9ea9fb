"""The workspace file's optional `agreements:` section: read, import, export (docs/workspace-format.md).

```yaml
agreements:
  - key: dua-1
    kind: data_use                  # nda, data_use, data_sharing, research, consortium, ip_licence, mou…
    title: Data-use agreement for retail transaction data
    parties: [Northwind Retail, University of Edinburgh]
    projects: [uplift]              # keys of projects in this file
    owner: U03MSRAO
    status: legal_review            # draft, negotiation, legal_review, signed, expired, terminated
    status_since: 2026-10-28        # the day it entered that status (default: the import day)
    effective: 2026-12-01
    expires: 2027-11-30
    document: https://…             # a link only; the document is never stored
    publication_review_days: 45
    data_restricted_to: [Northwind Retail]
    notes: …
    required_by: [uplift-1]         # milestones (PROJECT-ID, ids written in this file) that wait on it
```

A file without the section leaves the agreements as they are; with `--prune`, agreements a present
section does not list are deleted. Dates are rebased with the file. Import replaces each listed
agreement's projects and waiting milestones with the file's, and records a status change when the
status (or its day) differs. Export writes the section only when there are agreements.
"""

from __future__ import annotations

import json
import re
import textwrap
from collections.abc import Sequence
from datetime import date, datetime, timedelta

import yaml
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bot.agreements.entries import AgreementEntry
from bot.agreements.records import AGREEMENT_KEY_RE, MAX_REVIEW_DAYS, check_url, dumps_list, loads_list
from bot.agreements.tables import (
    Agreement,
    AgreementKind,
    AgreementProject,
    AgreementStatus,
    AgreementStatusChange,
    MilestoneAgreement,
)
from bot.errors import InvalidInput
from bot.models import Milestone, Person, Project
from bot.workspace_file.document import SLACK_USER_ID_RE
from bot.workspace_file.field_reader import FieldReader, Fields, column_limit

AGREEMENT_KEYS = (
    "key",
    "kind",
    "title",
    "parties",
    "projects",
    "owner",
    "status",
    "status_since",
    "effective",
    "expires",
    "document",
    "publication_review_days",
    "data_restricted_to",
    "notes",
    "required_by",
)
_REF_RE = re.compile(r"^([a-z][a-z0-9_]{0,39})-([0-9]{1,7})$")


def read_agreements(
    reader: FieldReader,
    root: Fields,
    people: set[str],
    project_keys: set[str],
    milestone_ids: dict[str, set[int]],
) -> tuple[AgreementEntry, ...] | None:
    """The `agreements:` section (None when the file has none); problems go to `reader`."""
    if root.get("agreements") is None:
        return None
    items = reader.items(root, "agreements", "agreement", AGREEMENT_KEYS)
    reader.duplicates(items, "key", "agreement key")
    entries = [_entry(reader, item, people, project_keys, milestone_ids) for item in items]
    return tuple(e for e in entries if e is not None)


def _names(reader: FieldReader, fields: Fields, key: str) -> tuple[str, ...]:
    names: list[str] = []
    for node in reader.sequence(fields, key):
        name = reader.scalar_text(node, f"{fields.what} {key}", max_length=200)
        if name is not None and name.strip() and name not in names:
            names.append(name)
    return tuple(names)


def _entry(
    reader: FieldReader,
    fields: Fields,
    people: set[str],
    project_keys: set[str],
    milestone_ids: dict[str, set[int]],
) -> AgreementEntry | None:
    before = len(reader.problems)
    key = reader.text(
        fields, "key", required=True, max_length=column_limit(Agreement, "key"), pattern=AGREEMENT_KEY_RE
    )
    if key is not None:
        fields.what = f"agreement '{key}'"
    kind = reader.choice(fields, "kind", AgreementKind, required=True)
    title = reader.text(fields, "title", required=True, max_length=column_limit(Agreement, "title"))
    status = reader.choice(fields, "status", AgreementStatus) or AgreementStatus.DRAFT
    projects = _names(reader, fields, "projects")
    for name in projects:
        if name not in project_keys:
            reader.problem(
                fields.get("projects"), f"{fields.what} projects: '{name}' is not a project in this file"
            )
    owner = None
    owner_node = fields.get("owner")
    if owner_node is not None:
        owner = reader.scalar_text(owner_node, f"{fields.what} owner", pattern=SLACK_USER_ID_RE)
        if owner is not None and owner not in people:
            reader.problem(owner_node, f"{fields.what} owner '{owner}' is not one of the people in this file")
    document = reader.text(fields, "document", max_length=column_limit(Agreement, "document_url"))
    if document is not None:
        try:
            check_url(document)
        except InvalidInput as error:
            reader.problem(fields.get("document"), f"{fields.what} document: {error.message}")
    effective = reader.calendar_date(fields, "effective")
    expires = reader.calendar_date(fields, "expires")
    if effective and expires and expires < effective:
        reader.problem(fields.get("expires"), f"{fields.what}: expires before it is effective")
    required_by: list[tuple[str, int]] = []
    for node in reader.sequence(fields, "required_by"):
        match = _REF_RE.match(node.value) if isinstance(node, yaml.ScalarNode) else None
        if match is None:
            reader.problem(node, f"{fields.what} required_by: write milestones as PROJECT-ID (uplift-1)")
            continue
        ref = (match.group(1), int(match.group(2)))
        if ref[0] not in projects:
            reader.problem(
                node, f"{fields.what} required_by: '{node.value}' is not a milestone of a project it covers"
            )
        elif ref[1] not in milestone_ids.get(ref[0], set()):
            reader.problem(
                node, f"{fields.what} required_by: '{node.value}' is not a milestone id in this file"
            )
        elif ref not in required_by:
            required_by.append(ref)
    parties = _names(reader, fields, "parties")
    status_since = reader.calendar_date(fields, "status_since")
    review_days = reader.integer(fields, "publication_review_days", low=0, high=MAX_REVIEW_DAYS)
    restricted = _names(reader, fields, "data_restricted_to")
    notes = reader.text(fields, "notes", max_length=3000)
    if len(reader.problems) > before or key is None or kind is None or title is None:
        return None
    return AgreementEntry(
        key=key,
        kind=kind,
        title=title,
        projects=projects,
        owner=owner,
        status=status,
        effective_on=effective,
        expires_on=expires,
        document_url=document,
        required_by=tuple(required_by),
        line=fields.line,
        parties=parties,
        status_since=status_since,
        publication_review_days=review_days,
        data_restricted_to=restricted,
        notes=notes,
    )


def import_agreements(
    session: Session,
    workspace_id: int,
    entries: Sequence[AgreementEntry] | None,
    *,
    shift: int,
    today: date,
    milestones: dict[tuple[str, int], Milestone],
    prune: bool,
    now: datetime,
    plan: list[str],
) -> tuple[int, int, int]:
    """Upsert the listed agreements (by key); returns (created, updated, removed).

    Args:
        session: The import's transaction.
        workspace_id: The workspace imported into.
        entries: The section (None: the file has none, nothing changes).
        shift: Days every date moves (a rebased demo).
        today: The import day (the status day of entries that give none).
        milestones: The file's milestones by (project key, id), as the importer resolved them.
        prune: Delete agreements the section does not list.
        now: The import's instant.
        plan: The importer's plan lines (appended to).
    """
    if entries is None:
        return 0, 0, 0
    session.flush()
    people = {
        p.slack_id: p.id for p in session.scalars(select(Person).where(Person.workspace_id == workspace_id))
    }
    projects = {
        p.key: p.id for p in session.scalars(select(Project).where(Project.workspace_id == workspace_id))
    }
    existing = {
        a.key: a for a in session.scalars(select(Agreement).where(Agreement.workspace_id == workspace_id))
    }
    created = updated = removed = 0

    def moved(day: date | None) -> date | None:
        return day + timedelta(days=shift) if day is not None else None

    for entry in entries:
        agreement = existing.get(entry.key)
        is_new = agreement is None
        since = moved(entry.status_since) or today
        values = dict(
            kind=entry.kind.value,
            title=entry.title,
            parties=dumps_list(entry.parties),
            data_restricted_to=dumps_list(entry.data_restricted_to),
            owner_id=people.get(entry.owner) if entry.owner else None,
            effective_on=moved(entry.effective_on),
            expires_on=moved(entry.expires_on),
            document_url=entry.document_url,
            publication_review_days=entry.publication_review_days,
            notes=entry.notes,
        )
        if agreement is None:
            agreement = Agreement(
                workspace_id=workspace_id,
                key=entry.key,
                status=entry.status.value,
                status_since=since,
                created_at=now,
                updated_at=now,
                **values,
            )
            session.add(agreement)
            session.flush()
        changed = any(getattr(agreement, name) != value for name, value in values.items())
        for name, value in values.items():
            setattr(agreement, name, value)
        status_changed = is_new or (agreement.status, agreement.status_since) != (entry.status.value, since)
        if status_changed:
            agreement.status, agreement.status_since = entry.status.value, since
            session.add(
                AgreementStatusChange(
                    agreement_id=agreement.id,
                    status=entry.status.value,
                    changed_on=since,
                    actor="import",
                    recorded_at=now,
                )
            )
        covered = {projects[key] for key in entry.projects if key in projects}
        current = set(
            session.scalars(
                select(AgreementProject.project_id).where(AgreementProject.agreement_id == agreement.id)
            )
        )
        if covered != current:
            changed = True
            session.execute(delete(AgreementProject).where(AgreementProject.agreement_id == agreement.id))
            session.add_all(
                AgreementProject(agreement_id=agreement.id, project_id=pid) for pid in sorted(covered)
            )
        waiting = {milestones[ref].id for ref in entry.required_by if ref in milestones}
        current = set(
            session.scalars(
                select(MilestoneAgreement.milestone_id).where(MilestoneAgreement.agreement_id == agreement.id)
            )
        )
        if waiting != current:
            changed = True
            session.execute(delete(MilestoneAgreement).where(MilestoneAgreement.agreement_id == agreement.id))
            session.add_all(
                MilestoneAgreement(milestone_id=mid, agreement_id=agreement.id) for mid in sorted(waiting)
            )
        if is_new:
            created += 1
            plan.append(f"create agreement {entry.key} '{entry.title}'")
        elif changed or status_changed:
            agreement.updated_at = now
            updated += 1
            plan.append(f"update agreement {entry.key} '{entry.title}'")
    if prune:
        listed = {entry.key for entry in entries}
        for key, agreement in existing.items():
            if key not in listed:
                session.delete(agreement)
                removed += 1
                plan.append(f"remove agreement {key} '{agreement.title}'")
    session.flush()
    return created, updated, removed


def _scalar(value: str) -> str:
    dumped = yaml.safe_dump({"k": value}, allow_unicode=True, width=1_000_000, sort_keys=False)
    text = dumped.removeprefix("k: ").removesuffix("\n")
    if "\n" in text:
        text = json.dumps(value, ensure_ascii=False)
    return text


def _field(indent: int, key: str, value: str) -> list[str]:
    """`key: value`, folded (`>-`) like the hand-written file when the line would pass 100 characters."""
    line = f"{' ' * indent}{key}: {_scalar(value)}"
    if len(line) <= 100 or value != value.strip() or "  " in value or not value.isprintable():
        return [line]
    wrapped = textwrap.wrap(value, width=88 - indent - 2, break_long_words=False, break_on_hyphens=False)
    if " ".join(wrapped) != value:
        return [line]
    return [f"{' ' * indent}{key}: >-", *(f"{' ' * (indent + 2)}{part}" for part in wrapped)]


def _flow(values: Sequence[str]) -> str:
    dumped = yaml.safe_dump(list(values), allow_unicode=True, width=1_000_000, default_flow_style=True)
    return dumped.strip()


def export_agreements(session: Session, workspace_id: int) -> list[str]:
    """The `agreements:` section's lines (with a blank line before it); none without agreements."""
    agreements = list(
        session.scalars(
            select(Agreement).where(Agreement.workspace_id == workspace_id).order_by(Agreement.id)
        )
    )
    if not agreements:
        return []
    slack_ids = {
        p.id: p.slack_id for p in session.scalars(select(Person).where(Person.workspace_id == workspace_id))
    }
    lines = ["", "agreements:"]
    for index, agreement in enumerate(agreements):
        if index:
            lines.append("")
        projects = session.scalars(
            select(Project.key)
            .join(AgreementProject, AgreementProject.project_id == Project.id)
            .where(AgreementProject.agreement_id == agreement.id)
            .order_by(Project.id)
        ).all()
        waiting = session.execute(
            select(Project.key, Milestone.number)
            .join(Milestone, Milestone.project_id == Project.id)
            .join(MilestoneAgreement, MilestoneAgreement.milestone_id == Milestone.id)
            .where(MilestoneAgreement.agreement_id == agreement.id)
            .order_by(Project.id, Milestone.number)
        ).all()
        lines.append(f"  - key: {_scalar(agreement.key)}")
        lines.append(f"    kind: {agreement.kind}")
        lines += _field(4, "title", agreement.title)
        if parties := loads_list(agreement.parties):
            lines.append(f"    parties: {_flow(parties)}")
        if projects:
            lines.append(f"    projects: {_flow(projects)}")
        if agreement.owner_id in slack_ids:
            lines.append(f"    owner: {slack_ids[agreement.owner_id]}")
        lines.append(f"    status: {agreement.status}")
        lines.append(f"    status_since: {agreement.status_since.isoformat()}")
        if agreement.effective_on:
            lines.append(f"    effective: {agreement.effective_on.isoformat()}")
        if agreement.expires_on:
            lines.append(f"    expires: {agreement.expires_on.isoformat()}")
        if agreement.document_url:
            lines.append(f"    document: {_scalar(agreement.document_url)}")
        if agreement.publication_review_days is not None:
            lines.append(f"    publication_review_days: {agreement.publication_review_days}")
        if restricted := loads_list(agreement.data_restricted_to):
            lines.append(f"    data_restricted_to: {_flow(restricted)}")
        if agreement.notes:
            lines += _field(4, "notes", agreement.notes)
        if waiting:
            lines.append(f"    required_by: [{', '.join(f'{key}-{number}' for key, number in waiting)}]")
    return lines
