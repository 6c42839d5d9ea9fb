"""Turning a paper's plan (`bot.publications.planning`) into milestones of its project.

The milestones are made and moved by the same feature functions as `/milestone add` and `/milestone
move` (`bot.projects.milestones`), so their reminders are planned, their moves audited and fed to the
change feed exactly like hand-made ones, in the caller's transaction. Those functions check their own
permissions; the paper's permission rules are checked before (`bot.publications.papers`), so they are
called as the same person with the admin right for this one change (the audit names the person).

A plan milestone that is done is never moved; one someone deleted stays deleted; steps a new plan no
longer has (a venue that is no funding call any more) are deleted while open. A step whose date has
passed when it would be created is not created (it would be overdue on arrival, and escalate): when
that is the partners' review, the late-review notice says when it should have started.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TypeGuard

from sqlalchemy.orm import Session

from bot.access import Actor
from bot.agreements.terms import longest_review_days
from bot.domain.dates import ParsedDue
from bot.domain.reminders import ReminderPolicy
from bot.models import Milestone, MilestoneStatus, Project
from bot.projects.lifecycle import delete_milestone
from bot.projects.milestones import MAX_TITLE, add_milestone, move_milestone, same_due
from bot.publications.deadlines import Deadline
from bot.publications.planning import Plan, PlannedStep, back_plan
from bot.publications.tables import Paper, PaperMilestone
from bot.publications.venues import deadline_of, is_funding_call, person_slack_ids

# Statuses before the partners' review: a window that no longer fits is news only for these.
BEFORE_REVIEW = frozenset({"idea", "drafting", "internal_review"})


@dataclass(frozen=True)
class PlanningDefaults:
    """The settings back-planning reads (`Settings.paper_buffer_days`, `signoff_days`, reminders)."""

    buffer_days: int = 7
    signoff_days: Mapping[str, int] = field(default_factory=dict)
    reminders: ReminderPolicy | None = None


@dataclass(frozen=True)
class LateReview:
    """A paper whose review window no longer fits before its deadline: who is told, and what.

    Attributes:
        ref: The paper's ref (`fatigue-p1`).
        title: Its title.
        project_key: Its project.
        review_start: When the review should have started.
        deadline: The venue's deadline.
        window_days: The window that no longer fits.
        recipients: Slack ids of the project's lead and the paper's authors in the directory.
    """

    ref: str
    title: str
    project_key: str
    review_start: datetime
    deadline: Deadline
    window_days: int
    recipients: tuple[str, ...]


@dataclass(frozen=True)
class Replanned:
    """What a replan did: the plan (None without a deadline) and a late review to tell about now."""

    ref: str
    plan: Plan | None
    late: LateReview | None = None
    added: int = 0
    moved: int = 0
    removed: int = 0


def paper_ref(paper: Paper) -> str:
    """`KEY-pN`: how a paper is named in commands."""
    return f"{paper.project.key}-p{paper.number}"


def milestone_ref(milestone: Milestone) -> str:
    """`KEY-N` of a milestone."""
    return f"{milestone.project.key}-{milestone.number}"


def plan_for(session: Session, paper: Paper, defaults: PlanningDefaults, now: datetime) -> Plan | None:
    """The paper's plan from its venue's deadline and the windows in force now (None: no deadline)."""
    deadline = deadline_of(paper.venue) if paper.venue is not None else None
    if deadline is None:
        return None
    signoffs: dict[str, int] = {}
    if is_funding_call(paper.venue):
        organisations = {a.person.organisation for a in paper.authors if a.person and a.person.organisation}
        signoffs = {org: days for org, days in defaults.signoff_days.items() if org in organisations}
    return back_plan(
        deadline,
        review_days=longest_review_days(session, paper.project_id, now=now),
        buffer_days=defaults.buffer_days,
        signoff_days=signoffs,
        now=now,
    )


def _owner(paper: Paper) -> str | None:
    """The first author when on the project, else the lead when on it, else nobody."""
    members = {m.person.slack_id for m in paper.project.memberships}
    first = paper.authors[0].person if paper.authors else None
    if first is not None and first.slack_id in members:
        return first.slack_id
    lead = paper.project.lead
    return lead.slack_id if lead is not None and lead.slack_id in members else None


def _title(step: PlannedStep, paper: Paper) -> str:
    suffix = f" ({paper_ref(paper)})"
    head = f"{step.label}: "
    room = MAX_TITLE - len(head) - len(suffix)
    title = paper.title if len(paper.title) <= room else paper.title[: room - 1].rstrip() + "…"
    return head + title + suffix


def _open(milestone: Milestone | None) -> TypeGuard[Milestone]:
    return milestone is not None and milestone.deleted_at is None and milestone.status == MilestoneStatus.OPEN


def recipients_of(paper: Paper) -> tuple[str, ...]:
    """The project's lead and the paper's authors who are in the directory (Slack ids, in order)."""
    return tuple(person_slack_ids([paper.project.lead, *(a.person for a in paper.authors)]))


def replan_paper(
    session: Session, actor: Actor, paper: Paper, now: datetime, defaults: PlanningDefaults
) -> Replanned:
    """Bring a paper's milestones in line with its venue's deadline and the windows in force.

    Args:
        session: The caller's transaction (the change that caused the replan is in it).
        actor: Who made the change (named in the milestones' audit entries).
        paper: The paper, flushed.
        now: The current instant.
        defaults: Buffer, sign-off windows and reminder defaults.

    Returns:
        What changed, with a `LateReview` when the window has newly stopped fitting.
    """
    project: Project = paper.project
    acting = replace(actor, is_admin=True, visible_projects=None)  # an admin sees more projects
    links = {link.step: link for link in paper.plan}
    plan = plan_for(session, paper, defaults, now)
    wanted = {step.step for step in plan.steps} if plan else set()
    added = moved = removed = 0
    for step_name, link in list(links.items()):
        if step_name in wanted:
            continue
        milestone = link.milestone
        if _open(milestone):
            delete_milestone(session, acting, milestone_ref(milestone), now)
            removed += 1
        paper.plan.remove(link)
    if plan is None:
        paper.late_notice_for = None
        return Replanned(paper_ref(paper), None, removed=removed)
    owner = _owner(paper)
    for step in plan.steps:
        due = ParsedDue(instant=step.due, zone=step.zone, local=step.due, relative=False, time_given=True)
        existing = links.get(step.step)
        if existing is None and step.due < now:
            # Never created overdue: a step whose day has passed is what the late-review notice is about.
            continue
        if existing is None:
            milestone = add_milestone(
                session,
                acting,
                project,
                title=_title(step, paper),
                due=due,
                owner_slack_id=owner,
                now=now,
                reminders=defaults.reminders,
            )
            paper.plan.append(PaperMilestone(step=step.step, milestone=milestone))
            added += 1
        elif _open(existing.milestone) and not same_due(existing.milestone, due):
            move_milestone(session, acting, milestone_ref(existing.milestone), due, now, defaults.reminders)
            moved += 1
    session.flush()
    late = None
    if plan.late and plan.review_start is not None and paper.status in BEFORE_REVIEW:
        # Told once per missed start: replanning to the same dates does not tell again.
        if paper.late_notice_for != plan.review_start:
            paper.late_notice_for = plan.review_start
            late = LateReview(
                ref=paper_ref(paper),
                title=paper.title,
                project_key=project.key,
                review_start=plan.review_start,
                deadline=deadline_of_paper(paper),
                window_days=plan.window_days,
                recipients=recipients_of(paper),
            )
    else:
        paper.late_notice_for = None
    return Replanned(paper_ref(paper), plan, late, added=added, moved=moved, removed=removed)


def deadline_of_paper(paper: Paper) -> Deadline:
    """The deadline of a paper known to have a venue with one."""
    deadline = deadline_of(paper.venue) if paper.venue is not None else None
    assert deadline is not None
    return deadline
