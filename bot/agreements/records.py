"""The agreements register: find, list, add, change status, require for a milestone.

Every function takes the request's `session` (the caller commits) and the `Actor`; changes write an
audit entry in the same transaction. Rules:

- An agreement is visible to whoever may see one of the projects it covers (an agreement covering no
  project, to everyone in the workspace); a private project it covers is only named to those who may
  see that project. An agreement covering only private projects is invisible to their non-members,
  everywhere (lists, status, milestones, reminders, Home).
- The lead of a project it covers, or an admin, edits it (an agreement covering no project: admins).
- Signing an agreement writes one `agreement_signed` audit entry per milestone waiting on it, so the
  change feed tells each milestone's owner and the project's channel (`bot.feed.changes`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from urllib.parse import urlsplit

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.access import Actor, can_see, is_lead, require_active, require_editor, with_roles_and_lead
from bot.agreements.tables import (
    Agreement,
    AgreementKind,
    AgreementProject,
    AgreementStatus,
    AgreementStatusChange,
    MilestoneAgreement,
)
from bot.agreements.waiting import status_label, status_phrase
from bot.errors import Forbidden, InvalidInput, NotFound
from bot.models import Milestone, Person, Project
from bot.projects.milestones import find_milestone
from bot.projects.people import people_by_slack_id
from bot.projects.project import find_project, record_audit

KEY_PREFIXES: dict[str, str] = {
    AgreementKind.NDA: "nda",
    AgreementKind.DATA_USE: "dua",
    AgreementKind.DATA_SHARING: "dsa",
    AgreementKind.RESEARCH: "ra",
    AgreementKind.CONSORTIUM: "ca",
    AgreementKind.IP_LICENCE: "ipl",
    AgreementKind.MOU: "mou",
    AgreementKind.OTHER: "agr",
}
KIND_LABELS: dict[str, str] = {
    AgreementKind.NDA: "NDA",
    AgreementKind.DATA_USE: "data-use agreement",
    AgreementKind.DATA_SHARING: "data-sharing agreement",
    AgreementKind.RESEARCH: "research agreement",
    AgreementKind.CONSORTIUM: "consortium agreement",
    AgreementKind.IP_LICENCE: "IP licence",
    AgreementKind.MOU: "memorandum of understanding",
    AgreementKind.OTHER: "agreement",
}
AGREEMENT_KEY_RE = re.compile(r"^[a-z][a-z0-9_]{0,19}-[0-9]{1,7}$")
FINAL_STATUSES = frozenset({AgreementStatus.SIGNED, AgreementStatus.EXPIRED, AgreementStatus.TERMINATED})
MAX_TITLE = 300
MAX_URL = 2000
MAX_NOTES = 3000
MAX_PARTIES = 20
MAX_ORGANISATION = 200
MAX_REVIEW_DAYS = 365
_WORD_RE = re.compile(r"[\s\-]+")


def _word(text: str) -> str:
    return _WORD_RE.sub("_", text.strip().lower())


def parse_kind(text: str) -> AgreementKind:
    """Read a kind: `nda`, `data_use`, `data-use`, `data use`, or a key prefix such as `dua`.

    Raises:
        InvalidInput: Naming the kinds.
    """
    word = _word(text)
    for kind in AgreementKind:
        if word in (kind.value, KEY_PREFIXES[kind]) or (
            kind is AgreementKind.IP_LICENCE and word == "ip_license"
        ):
            return kind
    raise InvalidInput(
        f"“{text.strip()[:40]}” is not a kind of agreement. Use one of: {', '.join(AgreementKind)}."
    )


def parse_status(text: str) -> AgreementStatus:
    """Read a status: `draft`, `negotiation`, `legal_review` (`legal review`, `legal-review`), `signed`…

    Raises:
        InvalidInput: Naming the statuses.
    """
    word = _word(text)
    for status in AgreementStatus:
        if word == status.value:
            return status
    raise InvalidInput(
        f"“{text.strip()[:40]}” is not an agreement status. Use one of: {', '.join(AgreementStatus)}."
    )


def check_url(url: str) -> str:
    """A document link: http(s) only, a host, at most 2,000 characters (the document itself is never kept).

    Raises:
        InvalidInput: Otherwise.
    """
    url = url.strip()
    parts = urlsplit(url)
    if len(url) > MAX_URL or parts.scheme not in ("http", "https") or not parts.netloc or " " in url:
        raise InvalidInput(
            "The document link must be an http(s) URL (Liaison keeps the link, never the document)."
        )
    return url


def loads_list(raw: str | None) -> tuple[str, ...]:
    """A stored JSON list of organisations (anything else reads as none)."""
    try:
        value = json.loads(raw) if raw else []
    except ValueError:
        return ()
    return tuple(str(v) for v in value) if isinstance(value, list) else ()


def dumps_list(values: Sequence[str]) -> str:
    """Store organisations as a JSON list, in their order."""
    return json.dumps(list(values), ensure_ascii=False)


def organisations(text: str) -> tuple[str, ...]:
    """Read a comma-separated list of organisations (blank items dropped, duplicates once).

    Raises:
        InvalidInput: Too many, or a name too long.
    """
    names = list(dict.fromkeys(" ".join(part.split()) for part in text.split(",") if part.strip()))
    if len(names) > MAX_PARTIES:
        raise InvalidInput(f"At most {MAX_PARTIES} organisations, please.")
    if any(len(name) > MAX_ORGANISATION for name in names):
        raise InvalidInput(f"Organisation names are at most {MAX_ORGANISATION} characters.")
    return tuple(names)


# ---- reading --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProjectRef:
    """A covered project as shown."""

    key: str
    name: str


@dataclass(frozen=True)
class StatusStep:
    """One status an agreement entered, and on which day."""

    status: str
    on: date


@dataclass(frozen=True)
class AgreementView:
    """An agreement as the actor may see it (private projects they cannot see left out)."""

    key: str
    kind: str
    title: str
    parties: tuple[str, ...]
    projects: tuple[ProjectRef, ...]
    owner_slack_id: str | None
    owner_name: str | None
    status: str
    status_since: date
    effective_on: date | None
    expires_on: date | None
    document_url: str | None
    publication_review_days: int | None
    data_restricted_to: tuple[str, ...]
    notes: str | None
    waiting_milestones: tuple[str, ...]
    history: tuple[StatusStep, ...]
    can_edit: bool

    @property
    def kind_label(self) -> str:
        """The kind in words."""
        return KIND_LABELS.get(self.kind, self.kind)

    @property
    def status_label(self) -> str:
        """The status in words."""
        return status_label(self.status)


def covered_projects(session: Session, agreement: Agreement) -> list[Project]:
    """The projects an agreement covers, by key, with their roles and leads loaded."""
    return list(
        session.scalars(
            select(Project)
            .join(AgreementProject, AgreementProject.project_id == Project.id)
            .where(AgreementProject.agreement_id == agreement.id)
            .options(*with_roles_and_lead())
            .order_by(Project.key)
        )
    )


def may_see(projects: Sequence[Project], actor: Actor) -> bool:
    """Whether an agreement covering `projects` may be shown to the actor."""
    return not projects or any(can_see(p, actor) for p in projects)


def may_edit(projects: Sequence[Project], actor: Actor) -> bool:
    """Leads of a covered project and admins edit an agreement."""
    return actor.is_admin or any(is_lead(p, actor) and p.archived_at is None for p in projects)


def find_agreement(session: Session, actor: Actor, key: str) -> tuple[Agreement, list[Project]]:
    """The agreement with this key, if the actor may see it, and the projects it covers.

    Raises:
        InvalidInput: Not shaped like a key.
        NotFound: No such agreement, or the actor may not see it (said the same way).
    """
    text = key.strip().lower().strip("`")
    if not AGREEMENT_KEY_RE.match(text):
        raise InvalidInput(
            f"“{key.strip()[:40]}” is not an agreement key. Keys look like `dua-7`; see them with "
            "`/agreement list`."
        )
    agreement = session.scalars(
        select(Agreement).where(Agreement.workspace_id == actor.workspace_id, Agreement.key == text)
    ).first()
    projects = covered_projects(session, agreement) if agreement is not None else []
    if agreement is None or not may_see(projects, actor):
        raise NotFound(f"No agreement `{text}`. See the keys with `/agreement list`.")
    return agreement, projects


def view_of(
    session: Session, actor: Actor, agreement: Agreement, projects: Sequence[Project]
) -> AgreementView:
    """Snapshot an agreement for rendering, as the actor may see it."""
    owner = session.get(Person, agreement.owner_id) if agreement.owner_id is not None else None
    waiting = session.execute(
        select(Project.key, Milestone.number)
        .join(Milestone, Milestone.project_id == Project.id)
        .join(MilestoneAgreement, MilestoneAgreement.milestone_id == Milestone.id)
        .where(MilestoneAgreement.agreement_id == agreement.id)
        .order_by(Project.key, Milestone.number)
    ).all()
    visible_keys = {p.key for p in projects if can_see(p, actor)}
    history = session.scalars(
        select(AgreementStatusChange)
        .where(AgreementStatusChange.agreement_id == agreement.id)
        .order_by(AgreementStatusChange.changed_on, AgreementStatusChange.id)
    )
    return AgreementView(
        key=agreement.key,
        kind=agreement.kind,
        title=agreement.title,
        parties=loads_list(agreement.parties),
        projects=tuple(ProjectRef(p.key, p.name) for p in projects if p.key in visible_keys),
        owner_slack_id=owner.slack_id if owner is not None else None,
        owner_name=owner.name if owner is not None else None,
        status=agreement.status,
        status_since=agreement.status_since,
        effective_on=agreement.effective_on,
        expires_on=agreement.expires_on,
        document_url=agreement.document_url,
        publication_review_days=agreement.publication_review_days,
        data_restricted_to=loads_list(agreement.data_restricted_to),
        notes=agreement.notes,
        waiting_milestones=tuple(f"{key}-{number}" for key, number in waiting if key in visible_keys),
        history=tuple(StatusStep(step.status, step.changed_on) for step in history),
        can_edit=may_edit(projects, actor),
    )


def agreement_status(session: Session, actor: Actor, key: str) -> AgreementView:
    """`/agreement status KEY`."""
    agreement, projects = find_agreement(session, actor, key)
    return view_of(session, actor, agreement, projects)


def list_agreements(
    session: Session, actor: Actor, project_query: str | None
) -> tuple[Project | None, list[AgreementView]]:
    """`/agreement list [project]`: the agreements the actor may see (of one project, if named), by key."""
    project = find_project(session, actor, project_query) if project_query else None
    stmt = select(Agreement).where(Agreement.workspace_id == actor.workspace_id).order_by(Agreement.key)
    if project is not None:
        stmt = stmt.join(AgreementProject, AgreementProject.agreement_id == Agreement.id).where(
            AgreementProject.project_id == project.id
        )
    views = []
    for agreement in session.scalars(stmt):
        projects = covered_projects(session, agreement)
        if may_see(projects, actor):
            views.append(view_of(session, actor, agreement, projects))
    return project, views


# ---- changing -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AgreementDraft:
    """What the add form (or the workspace file) gives for a new agreement."""

    kind: AgreementKind
    title: str
    parties: tuple[str, ...]
    projects: tuple[str, ...]  # project keys or names, as typed
    owner: str | None  # Slack id
    status: AgreementStatus = AgreementStatus.DRAFT
    effective_on: date | None = None
    expires_on: date | None = None
    document_url: str | None = None
    publication_review_days: int | None = None
    data_restricted_to: tuple[str, ...] = ()
    notes: str | None = None


def next_key(session: Session, workspace_id: int, kind: AgreementKind) -> str:
    """A new key: the kind's prefix and the workspace's next agreement number (`dua-7`)."""
    numbers = [
        int(key.rsplit("-", 1)[1])
        for key in session.scalars(select(Agreement.key).where(Agreement.workspace_id == workspace_id))
        if key.rsplit("-", 1)[-1].isdigit()
    ]
    return f"{KEY_PREFIXES[kind]}-{max(numbers, default=0) + 1}"


def validate_draft(draft: AgreementDraft) -> dict[str, str]:
    """Problems with a draft, by field name (empty when it is fine)."""
    problems: dict[str, str] = {}
    if not draft.title.strip():
        problems["title"] = "Give the agreement a title."
    elif len(draft.title) > MAX_TITLE:
        problems["title"] = f"At most {MAX_TITLE} characters."
    if draft.document_url:
        try:
            check_url(draft.document_url)
        except InvalidInput as error:
            problems["document_url"] = error.message
    days = draft.publication_review_days
    if days is not None and not 0 <= days <= MAX_REVIEW_DAYS:
        problems["publication_review_days"] = f"A number of days from 0 to {MAX_REVIEW_DAYS}."
    if draft.effective_on and draft.expires_on and draft.expires_on < draft.effective_on:
        problems["expires_on"] = "The agreement cannot expire before it takes effect."
    if draft.notes and len(draft.notes) > MAX_NOTES:
        problems["notes"] = f"At most {MAX_NOTES} characters."
    return problems


def add_agreement(session: Session, actor: Actor, draft: AgreementDraft, now: datetime) -> Agreement:
    """Record a new agreement (the lead of a project it covers, or an admin).

    Raises:
        InvalidInput: A problem with the draft.
        NotFound: A project or the owner is unknown.
        Forbidden: The actor leads none of the projects (and is not an admin).
    """
    problems = validate_draft(draft)
    if problems:
        raise InvalidInput(" ".join(problems.values()))
    projects = list({p.id: p for p in (find_project(session, actor, q) for q in draft.projects)}.values())
    if not may_edit(projects, actor) or any(p.archived_at is not None for p in projects):
        for project in projects:
            require_active(project)
        raise Forbidden(
            "Only the lead of a project the agreement covers, or a Liaison admin, can record it."
            if projects
            else "Name the project(s) the agreement covers; only admins record agreements covering none."
        )
    owner_id = None
    if draft.owner:
        found = people_by_slack_id(session, actor.workspace_id, [draft.owner])
        if draft.owner not in found:
            raise NotFound("The owner is not in Liaison's directory yet.")
        owner_id = found[draft.owner].id
    today = now.astimezone(actor.zone).date()
    agreement = Agreement(
        workspace_id=actor.workspace_id,
        key=next_key(session, actor.workspace_id, draft.kind),
        kind=draft.kind.value,
        title=" ".join(draft.title.split()),
        parties=dumps_list(draft.parties),
        data_restricted_to=dumps_list(draft.data_restricted_to),
        owner_id=owner_id,
        status=draft.status.value,
        status_since=today,
        effective_on=draft.effective_on,
        expires_on=draft.expires_on,
        document_url=check_url(draft.document_url) if draft.document_url else None,
        publication_review_days=draft.publication_review_days,
        notes=draft.notes.strip() if draft.notes and draft.notes.strip() else None,
        created_at=now,
        updated_at=now,
    )
    session.add(agreement)
    session.flush()
    session.add_all(AgreementProject(agreement_id=agreement.id, project_id=p.id) for p in projects)
    session.add(
        AgreementStatusChange(
            agreement_id=agreement.id,
            status=agreement.status,
            changed_on=today,
            actor=actor.slack_id,
            recorded_at=now,
        )
    )
    record_audit(session, actor, "add", "agreement", agreement.id, now, key=agreement.key)
    return agreement


@dataclass(frozen=True)
class StatusChange:
    """The outcome of `/agreement set-status`."""

    view: AgreementView
    changed: bool
    # Milestones (refs) told that the agreement they waited on is signed.
    released: tuple[str, ...] = ()


def set_status(
    session: Session, actor: Actor, key: str, status: AgreementStatus, on: date | None, now: datetime
) -> StatusChange:
    """Move an agreement to a status, on a day (default today; never in the future, never before its
    current status began).

    Raises:
        NotFound, InvalidInput, Forbidden: As the message says.
    """
    agreement, projects = find_agreement(session, actor, key)
    _require_editor(projects, actor, agreement.key)
    today = now.astimezone(actor.zone).date()
    day = on or today
    if agreement.status == status.value:
        return StatusChange(view_of(session, actor, agreement, projects), changed=False)
    if day > today:
        raise InvalidInput(f"{day.isoformat()} is in the future: record a status once it has happened.")
    if day < agreement.status_since:
        raise InvalidInput(
            f"`{agreement.key}` has been {status_phrase(status_label(agreement.status))} since "
            f"{agreement.status_since.isoformat()}: the new status cannot begin before that."
        )
    before = agreement.status
    agreement.status = status.value
    agreement.status_since = day
    agreement.updated_at = now
    session.add(
        AgreementStatusChange(
            agreement_id=agreement.id,
            status=status.value,
            changed_on=day,
            actor=actor.slack_id,
            recorded_at=now,
        )
    )
    record_audit(
        session,
        actor,
        "set_status",
        "agreement",
        agreement.id,
        now,
        key=agreement.key,
        before=before,
        after=status.value,
    )
    released: list[str] = []
    if status is AgreementStatus.SIGNED:
        waiting = session.scalars(
            select(Milestone)
            .join(MilestoneAgreement, MilestoneAgreement.milestone_id == Milestone.id)
            .where(MilestoneAgreement.agreement_id == agreement.id)
            .order_by(Milestone.id)
        ).all()
        for milestone in waiting:
            # One entry per milestone: the feed tells its owner and its project's channel.
            record_audit(
                session,
                actor,
                "agreement_signed",
                "milestone",
                milestone.id,
                now,
                agreement=agreement.key,
                agreement_id=agreement.id,
                signed_on=day.isoformat(),
            )
            released.append(f"{milestone.project.key}-{milestone.number}")
    session.flush()
    return StatusChange(view_of(session, actor, agreement, projects), changed=True, released=tuple(released))


def _require_editor(projects: Sequence[Project], actor: Actor, key: str) -> None:
    if may_edit(projects, actor):
        return
    if len(projects) == 1:
        require_editor(projects[0], actor, f"change `{key}`")
    raise Forbidden(f"Only the lead of a project `{key}` covers, or a Liaison admin, can change it.")


@dataclass(frozen=True)
class Requirement:
    """The outcome of `/agreement require`."""

    milestone_ref: str
    milestone_title: str
    agreement_key: str
    status: str
    since: date
    changed: bool


def require_agreement(
    session: Session, actor: Actor, milestone_ref: str, key: str, now: datetime
) -> Requirement:
    """Make a milestone wait on an agreement covering its project (the project's lead, or an admin).

    Raises:
        NotFound, InvalidInput, Forbidden: As the message says.
    """
    milestone = find_milestone(session, actor, milestone_ref)
    require_editor(milestone.project, actor, "make its milestones wait on an agreement")
    agreement, projects = find_agreement(session, actor, key)
    if milestone.project_id not in {p.id for p in projects}:
        raise InvalidInput(
            f"`{agreement.key}` does not cover *{milestone.project.key}*, so its milestones "
            "cannot wait on it."
        )
    ref = f"{milestone.project.key}-{milestone.number}"
    exists = session.get(MilestoneAgreement, (milestone.id, agreement.id)) is not None
    if not exists:
        session.add(MilestoneAgreement(milestone_id=milestone.id, agreement_id=agreement.id))
        record_audit(
            session, actor, "require", "agreement", agreement.id, now, key=agreement.key, milestone=ref
        )
        session.flush()
    return Requirement(
        milestone_ref=ref,
        milestone_title=milestone.title,
        agreement_key=agreement.key,
        status=status_label(agreement.status),
        since=agreement.status_since,
        changed=not exists,
    )


def agreement_count(session: Session, workspace_id: int) -> int:
    """How many agreements a workspace records."""
    return (
        session.scalar(
            select(func.count()).select_from(Agreement).where(Agreement.workspace_id == workspace_id)
        )
        or 0
    )


def my_agreements(session: Session, actor: Actor) -> list[AgreementView]:
    """The agreements the actor owns that are still live (not expired or terminated), by key (App Home)."""
    if actor.person_id is None:
        return []
    stmt = (
        select(Agreement)
        .where(
            Agreement.workspace_id == actor.workspace_id,
            Agreement.owner_id == actor.person_id,
            Agreement.status.not_in([AgreementStatus.EXPIRED.value, AgreementStatus.TERMINATED.value]),
        )
        .order_by(Agreement.key)
    )
    views = []
    for agreement in session.scalars(stmt):
        projects = covered_projects(session, agreement)
        if may_see(projects, actor):
            views.append(view_of(session, actor, agreement, projects))
    return views
