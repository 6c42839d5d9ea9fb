"""Joint papers and funding proposals: record, list, show, change status and venue, replan.

Papers are named `KEY-pN` (`fatigue-p1`), numbered per project and never reused. A paper belongs to a
project and is seen by whoever sees the project (private projects' papers stay invisible to
non-members everywhere). The project's members add papers; the lead, an admin and the paper's authors
change them. Every change that moves the deadline or the windows replans the paper's milestones in
the same transaction (`bot.publications.replan`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.access import Actor, can_see, is_lead, require_active, role_of, visible_projects
from bot.agreements.tables import AgreementProject
from bot.errors import Forbidden, InvalidInput, NotFound
from bot.models import MilestoneStatus, Person, Project
from bot.projects.milestone_details import link_problem
from bot.projects.milestones import complete_milestone
from bot.projects.project import find_project, record_audit
from bot.publications.deadlines import Deadline
from bot.publications.replan import (
    PlanningDefaults,
    Replanned,
    milestone_ref,
    paper_ref,
    replan_paper,
)
from bot.publications.tables import Paper, PaperAuthor, Venue
from bot.publications.venues import find_venue, require_venue_manager

PAPER_REF_RE = re.compile(r"^([a-z][a-z0-9_]{0,39})-p(\d{1,6})$")
MAX_PAPER_TITLE = 200
MAX_AUTHORS = 40
MAX_AUTHOR_NAME = 200
MAX_LINKS = 10


class PaperStatus(StrEnum):
    """Where a paper (or proposal) stands."""

    IDEA = "idea"
    DRAFTING = "drafting"
    INTERNAL_REVIEW = "internal_review"
    PARTNER_REVIEW = "partner_review"
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    PUBLISHED = "published"


# From these on, the plan's open milestones are done: the paper went out.
SENT = frozenset({PaperStatus.SUBMITTED, PaperStatus.ACCEPTED, PaperStatus.REJECTED, PaperStatus.PUBLISHED})


def parse_paper_status(text: str) -> PaperStatus:
    """A status as typed (`partner-review`, `partner review` too).

    Raises:
        InvalidInput: Not a status.
    """
    cleaned = "_".join(text.strip().lower().replace("-", " ").split())
    try:
        return PaperStatus(cleaned)
    except ValueError:
        names = ", ".join(s.value for s in PaperStatus)
        raise InvalidInput(f"“{text[:40]}” is not a paper status; use one of {names}.") from None


@dataclass(frozen=True)
class AuthorEntry:
    """One author as entered: a Slack user id of the directory, or an external co-author's name."""

    slack_id: str | None = None
    name: str | None = None


@dataclass(frozen=True)
class PaperDraft:
    """A paper to add, as read from the form (or the workspace file)."""

    project: str
    title: str
    authors: tuple[AuthorEntry, ...]
    venue: str | None = None
    status: PaperStatus = PaperStatus.IDEA
    links: tuple[str, ...] = ()


@dataclass(frozen=True)
class PaperChange:
    """A paper after a change: whether anything changed, and the replan it caused (if any)."""

    paper: Paper
    changed: bool
    replanned: Replanned | None = None
    message: str = ""


# -- reading ----------------------------------------------------------------------------------------


def find_paper(session: Session, actor: Actor, ref: str) -> Paper:
    """Resolve `KEY-pN` among the papers of projects the actor may see.

    Raises:
        InvalidInput: Not shaped like a paper ref.
        NotFound: No such paper, or its project is private to the actor (told the same way).
    """
    match = PAPER_REF_RE.match(ref.strip().lower())
    if match is None:
        raise InvalidInput(
            f"“{ref[:60]}” is not a paper id. Ids look like `fatigue-p1`; see them with `/paper list`."
        )
    key, number = match.group(1), int(match.group(2))
    paper = session.scalars(
        select(Paper)
        .join(Project)
        .where(Project.workspace_id == actor.workspace_id, Project.key == key, Paper.number == number)
    ).first()
    if paper is None or not can_see(paper.project, actor):
        raise NotFound(f"No paper `{ref.strip()[:60]}` that you can see. See them with `/paper list`.")
    return paper


def list_papers(session: Session, actor: Actor, project_query: str | None) -> list[Paper]:
    """Papers of one project, or of every project the actor is on plus those they author (visible ones).

    Raises:
        NotFound, Ambiguous, InvalidInput: From `find_project` when a project is named.
    """
    if project_query:
        projects = [find_project(session, actor, project_query)]
    else:
        projects = [p for p in visible_projects(session, actor) if role_of(p, actor) is not None]
    ids = {p.id for p in projects}
    papers = list(session.scalars(select(Paper).where(Paper.project_id.in_(ids)))) if ids else []
    if not project_query and actor.person_id is not None:
        authored = session.scalars(
            select(Paper).join(PaperAuthor).where(PaperAuthor.person_id == actor.person_id)
        )
        papers += [p for p in authored if p.project_id not in ids and can_see(p.project, actor)]
    return sorted(papers, key=_paper_order)


def _paper_order(paper: Paper) -> tuple[bool, datetime, str, int]:
    deadline = paper.venue.deadline_at if paper.venue is not None else None
    return (deadline is None, deadline or datetime.max.replace(tzinfo=UTC), paper.project.key, paper.number)


def author_names(paper: Paper) -> list[str]:
    """The authors' names in order (external ones as written)."""
    return [a.person.name if a.person is not None else (a.name or "?") for a in paper.authors]


# -- permissions ------------------------------------------------------------------------------------


def is_author(paper: Paper, actor: Actor) -> bool:
    """Whether the actor is one of the paper's authors."""
    return actor.person_id is not None and any(a.person_id == actor.person_id for a in paper.authors)


def require_paper_editor(paper: Paper, actor: Actor, action: str) -> None:
    """The project's lead, an admin or one of the paper's authors; the project must be active.

    Raises:
        Forbidden: Naming who may.
    """
    require_active(paper.project)
    if actor.is_admin or is_lead(paper.project, actor) or is_author(paper, actor):
        return
    raise Forbidden(f"Only the paper's authors, the lead of *{paper.project.key}* or an admin can {action}.")


# -- changes ----------------------------------------------------------------------------------------


def _authors(session: Session, actor: Actor, entries: Sequence[AuthorEntry]) -> list[PaperAuthor]:
    if not entries:
        raise InvalidInput("Name at least one author (the first author owns the paper's milestones).")
    if len(entries) > MAX_AUTHORS:
        raise InvalidInput(f"A paper has at most {MAX_AUTHORS} authors here.")
    wanted = [e.slack_id for e in entries if e.slack_id]
    people = {
        p.slack_id: p
        for p in session.scalars(
            select(Person).where(Person.workspace_id == actor.workspace_id, Person.slack_id.in_(wanted))
        )
    }
    authors: list[PaperAuthor] = []
    seen: set[str] = set()
    for position, entry in enumerate(entries, start=1):
        if entry.slack_id:
            person = people.get(entry.slack_id)
            if person is None:
                raise InvalidInput(
                    f"{entry.slack_id} is not in Liaison's directory; add them as an external co-author "
                    "by name instead."
                )
            key = f"@{person.id}"
            authors.append(PaperAuthor(position=position, person=person))
        else:
            name = " ".join((entry.name or "").split())
            if not name or len(name) > MAX_AUTHOR_NAME:
                raise InvalidInput(f"External co-authors' names have 1 to {MAX_AUTHOR_NAME} characters.")
            key = name.lower()
            authors.append(PaperAuthor(position=position, name=name))
        if key in seen:
            raise InvalidInput("An author is listed twice.")
        seen.add(key)
    return authors


def _links(links: Sequence[str]) -> str | None:
    cleaned = [link.strip() for link in links if link.strip()]
    if len(cleaned) > MAX_LINKS:
        raise InvalidInput(f"A paper keeps at most {MAX_LINKS} links.")
    for link in cleaned:
        if link_problem(link) is not None:
            raise InvalidInput(f"“{link[:60]}” is not a link; links start with http:// or https://.")
    return "\n".join(cleaned) or None


def _title(title: str) -> str:
    title = " ".join(title.split())
    if not title:
        raise InvalidInput("Give the paper a title.")
    if len(title) > MAX_PAPER_TITLE:
        raise InvalidInput(f"Paper titles have at most {MAX_PAPER_TITLE} characters (this has {len(title)}).")
    return title


def _next_paper_number(session: Session, project: Project) -> int:
    # Numbers are never reused; the unique (project, number) constraint catches a concurrent insert.
    highest = session.scalar(select(func.max(Paper.number)).where(Paper.project_id == project.id))
    return (highest or 0) + 1


def add_paper(
    session: Session, actor: Actor, draft: PaperDraft, now: datetime, defaults: PlanningDefaults
) -> PaperChange:
    """Record a paper of a project (its members, lead or an admin) and back-plan its milestones.

    Raises:
        NotFound: No such project visible to the actor, or no such venue.
        Forbidden: Not on the project, or the project is archived.
        InvalidInput: A bad title, author list or link, or the title is taken in the project.
    """
    project = find_project(session, actor, draft.project)
    require_active(project)
    if not (actor.is_admin or role_of(project, actor) is not None):
        raise Forbidden(f"Only members of *{project.key}* (or an admin) can add its papers; join it first.")
    title = _title(draft.title)
    taken = session.scalar(
        select(Paper.number).where(Paper.project_id == project.id, func.lower(Paper.title) == title.lower())
    )
    if taken is not None:
        raise InvalidInput(
            f"*{project.key}* already has a paper called “{title}” (`{project.key}-p{taken}`)."
        )
    venue = find_venue(session, actor, draft.venue) if draft.venue else None
    paper = Paper(
        project=project,
        number=_next_paper_number(session, project),
        title=title,
        status=draft.status.value,
        status_changed_at=now,
        venue=venue,
        links=_links(draft.links),
        created_at=now,
    )
    paper.authors = _authors(session, actor, draft.authors)
    session.add(paper)
    session.flush()
    record_audit(
        session,
        actor,
        "add",
        "paper",
        paper.id,
        now,
        ref=paper_ref(paper),
        venue=venue.key if venue else None,
    )
    return PaperChange(paper, True, replan_paper(session, actor, paper, now, defaults))


def set_paper_status(
    session: Session, actor: Actor, ref: str, status_text: str, now: datetime, defaults: PlanningDefaults
) -> PaperChange:
    """Change a paper's status (authors, lead or admin).

    Submitted (or any later status) marks the plan's open milestones done; going back before the
    partners' review replans, which may tell that the window no longer fits.

    Raises:
        InvalidInput, NotFound, Forbidden: As for `find_paper`, `parse_paper_status`, the editor rule.
    """
    status = parse_paper_status(status_text)
    paper = find_paper(session, actor, ref)
    require_paper_editor(paper, actor, "change its status")
    if paper.status == status.value:
        return PaperChange(paper, False, message=f"{paper_ref(paper)} is already {status.value}.")
    previous = paper.status
    paper.status = status.value
    paper.status_changed_at = now
    record_audit(
        session,
        actor,
        "set_status",
        "paper",
        paper.id,
        now,
        ref=paper_ref(paper),
        before=previous,
        after=status,
    )
    if status in SENT:
        acting = _as_admin(actor)
        for link in paper.plan:
            milestone = link.milestone
            if (
                milestone is not None
                and milestone.deleted_at is None
                and milestone.status == MilestoneStatus.OPEN
            ):
                complete_milestone(session, acting, milestone_ref(milestone), now)
        return PaperChange(paper, True)
    return PaperChange(paper, True, replan_paper(session, actor, paper, now, defaults))


def _as_admin(actor: Actor) -> Actor:
    # As an admin it may see more projects than those read with the actor, if any: the match reads them.
    return replace(actor, is_admin=True, visible_projects=None)


def set_paper_venue(
    session: Session, actor: Actor, ref: str, venue_key: str, now: datetime, defaults: PlanningDefaults
) -> PaperChange:
    """Target another venue (`none`: no venue) and replan (authors, lead or admin).

    Raises:
        InvalidInput, NotFound, Forbidden: A bad ref or venue key, an unknown one, or not allowed.
    """
    paper = find_paper(session, actor, ref)
    require_paper_editor(paper, actor, "change its venue")
    venue: Venue | None = (
        None if venue_key.strip().lower() == "none" else find_venue(session, actor, venue_key)
    )
    if paper.venue_id == (venue.id if venue else None):
        where = f"for {venue.key}" if venue else "without a venue"
        return PaperChange(paper, False, message=f"{paper_ref(paper)} is already {where}.")
    before = paper.venue.key if paper.venue else None
    paper.venue = venue
    session.flush()
    record_audit(
        session,
        actor,
        "venue",
        "paper",
        paper.id,
        now,
        ref=paper_ref(paper),
        before=before,
        after=venue.key if venue else None,
    )
    return PaperChange(paper, True, replan_paper(session, actor, paper, now, defaults))


def move_venue_deadline(
    session: Session, actor: Actor, key: str, deadline: Deadline, now: datetime, defaults: PlanningDefaults
) -> tuple[Venue, list[Replanned], bool]:
    """Move a venue's deadline (project leads and admins) and replan every paper aimed at it.

    Papers of every project are replanned, private ones too (the mover is told only how many of those
    they cannot see); archived projects' papers are left as they are.

    Returns:
        The venue, the replans of the papers the mover may see, and whether anything changed.

    Raises:
        Forbidden, InvalidInput, NotFound: Not allowed, or a bad or unknown key.
    """
    require_venue_manager(session, actor, "move venue deadlines")
    venue = find_venue(session, actor, key)
    if venue.deadline_at == deadline.instant and venue.deadline_zone == deadline.zone:
        return venue, [], False
    before = venue.deadline_at
    venue.deadline_at, venue.deadline_zone = deadline.instant, deadline.zone
    record_audit(
        session, actor, "move", "venue", venue.id, now, key=venue.key, before=before, after=deadline.instant
    )
    replans: list[Replanned] = []
    papers = session.scalars(select(Paper).where(Paper.venue_id == venue.id).order_by(Paper.id))
    for paper in papers:
        if paper.project.archived_at is not None or paper.status in SENT:
            continue
        replanned = replan_paper(session, actor, paper, now, defaults)
        if can_see(paper.project, actor):
            replans.append(replanned)
        elif replanned.late is not None:
            # The mover is not told about a private paper, but its lead and authors are.
            replans.append(Replanned(ref="", plan=None, late=replanned.late))
    return venue, replans, True


def replan_project_papers(
    session: Session, actor: Actor, project_id: int, now: datetime, defaults: PlanningDefaults
) -> list[Replanned]:
    """Replan every unsent paper of a project, e.g. after its agreements' review window changed.

    Call it in the transaction of the change (an agreement signed, its `publication_review_days`
    edited), so the milestones move with it.
    """
    papers = session.scalars(select(Paper).where(Paper.project_id == project_id).order_by(Paper.number))
    return [
        replan_paper(session, actor, paper, now, defaults)
        for paper in papers
        if paper.project.archived_at is None and paper.status not in SENT
    ]


def replan_papers_for_agreement(
    session: Session, actor: Actor, agreement_id: int, now: datetime, defaults: PlanningDefaults
) -> list[Replanned]:
    """Replan the papers of every project an agreement covers (it was signed, its window edited…).

    For the agreements' listeners, in the transaction of the agreement's change; each `late` of the
    result is a review that no longer fits, to tell its lead and authors
    (`bot.slack.paper_commands.late_messages`).
    """
    projects = session.scalars(
        select(AgreementProject.project_id).where(AgreementProject.agreement_id == agreement_id)
    ).all()
    return [
        r
        for project_id in sorted(set(projects))
        for r in replan_project_papers(session, actor, project_id, now, defaults)
    ]
