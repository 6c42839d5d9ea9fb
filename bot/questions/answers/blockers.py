"""Answers about what holds work up: blocked and at-risk projects, and what is waiting on someone."""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import or_, select

from bot.agreements.records import FINAL_STATUSES, AgreementView, my_agreements
from bot.agreements.waiting import agreements_waited_on
from bot.domain.dates.vocabulary import day_label
from bot.models import Blocker, MilestoneStatus, Project, ProjectStatus
from bot.projects.project import STATUS_LABELS
from bot.projects.status_history import status_since
from bot.questions.answers.core import (
    MAX_ITEMS,
    Answer,
    AnswerBuilder,
    AnswerRequest,
    Segment,
    counted,
    person_segment,
    waiting_on_text,
)
from bot.questions.answers.lookups import (
    named_projects,
    not_in_directory,
    open_milestones,
    projects_of,
    projects_where,
    subject_person,
    visible_project_ids,
)
from bot.questions.interpret import Intent


def answer_blocked(request: AnswerRequest) -> Answer:
    """Answer "what is blocked?": the named projects, or every visible one that is blocked, at risk or has
    an open blocker, with its open blockers and overdue milestones.

    Args:
        request: The question.

    Returns:
        The answer.
    """
    b = AnswerBuilder(Intent.BLOCKED)
    if request.entities.projects:
        hits, _ = named_projects(request)
    elif request.entities.own_projects:
        # "any blockers on my project?": each of the asker's projects, blocked or not.
        hits = projects_of(request.session, request.actor, request.actor.person_id)
        if not hits:
            b.line("You are not on any project.")
            return b.build()
    else:
        has_open_blocker = select(Blocker.project_id).where(Blocker.resolved_at.is_(None))
        hits = projects_where(
            request.session,
            request.actor,
            or_(
                Project.status.in_((ProjectStatus.BLOCKED, ProjectStatus.AT_RISK)),
                Project.id.in_(has_open_blocker),
            ),
        )
    if not hits:
        b.line("Nothing is blocked: no project is blocked or at risk, and there are no open blockers.")
        return b.build()
    shown = hits[:MAX_ITEMS]
    late = {
        p.id: [m for m in p.milestones if m.status == MilestoneStatus.OPEN and m.due_at < request.now][:3]
        for p in shown
    }
    # What a late milestone waits on (bot.agreements) says why a project is stuck when no blocker was raised.
    waits = agreements_waited_on(request.session, [m.id for ms in late.values() for m in ms])
    today = request.now.astimezone(request.actor.zone).date()
    # "how long has uplift been blocked?": since when each status and each open blocker.
    how_long = _ASKS_HOW_LONG.search(request.interpretation.text) is not None
    since = status_since(request.session, [p.id for p in shown]) if how_long else {}
    for project in shown:
        source = b.project(project)
        blockers = [x for x in project.blockers if x.resolved_at is None]
        status = f" is {STATUS_LABELS[project.status]}"
        if how_long:
            started = since.get(project.id)
            status = (
                f" has been {STATUS_LABELS[project.status]}{_since(started, request)}"
                if started
                else f"{status} (since when is not recorded: it came so with the imported workspace)"
            )
        tail: list[Segment] = []
        if project.lead is not None:
            tail = [" · lead ", person_segment(project.lead)]
        blocker_count = (
            f"; {counted(len(blockers), 'open blocker')}" if blockers else "; no open blockers recorded"
        )
        b.line(project.name, " (", source, ")", status, blocker_count, *tail)
        for blocker in blockers[:MAX_ITEMS]:
            b.line(
                "• ",
                *b.blocker_segments(blocker),
                _since(blocker.raised_at, request, "open") if how_long else "",
            )
        for milestone in late[project.id]:
            waiting = [waiting_on_text(wait, today) for wait in waits.get(milestone.id, ())]
            b.line("• overdue: ", *b.milestone_segments(milestone, request.now, with_project=False), *waiting)
    return b.build()


# "how long has X been blocked", "since when", "how old are the blockers".
_ASKS_HOW_LONG = re.compile(r"\b(?:how long|since when|how many days|how many weeks|how old)\b")


def _since(instant: datetime, request: AnswerRequest, prefix: str = "") -> str:
    """ " since Tue 24 Nov (13 days)", in the asker's days; with a prefix, " · open since …"."""
    local = instant.astimezone(request.actor.zone).date()
    days = (request.now.astimezone(request.actor.zone).date() - local).days
    length = "today" if days <= 0 else counted(days, "day")
    lead = f" · {prefix} since " if prefix else " since "
    return f"{lead}{day_label(local, with_year=False)} ({length})"


def answer_waiting(request: AnswerRequest) -> Answer:
    """Answer "what is waiting on me?" (or on someone): their overdue and upcoming open milestones.

    Args:
        request: The question.

    Returns:
        The answer.
    """
    b = AnswerBuilder(Intent.WAITING_ON)
    person, is_me = subject_person(request)
    if person is None:
        return not_in_directory(Intent.WAITING_ON, is_me)
    window = request.entities.date_range
    # "what do I owe the uplift folks": that project's only.
    # In a project's channel, "what does Priya own here?" is that project's; "what's on my plate?" all.
    scoped = not request.entities.from_context or _HERE.search(request.interpretation.text) is not None
    named = named_projects(request)[0] if request.entities.projects and scoped else []
    owned = open_milestones(request.session, named or visible_project_ids(request.actor), owner_id=person.id)
    # A window that starts later ("my deadlines in january") asks about then, not about what is late.
    late = (
        [m for m in owned if m.due_at < request.now] if window is None or window.start <= request.now else []
    )
    begin = request.now if window is None else max(request.now, window.start)
    upcoming = [m for m in owned if m.due_at >= begin and (window is None or m.due_at < window.end)]
    who = "you" if is_me else person.name
    # The agreements the asker owns that want something of them (signing, renewal), when the question
    # is about everything of theirs ("what's waiting on me?"), not a project or a window.
    agreements = _agreements_waiting(request) if is_me and not named and window is None else []
    if not late and not upcoming:
        if named:
            where = f" on {', '.join(p.name for p in named)}"
        else:
            where = "" if is_me else " in the projects you can see"
        due = f" due {window.label}" if window else ""
        if agreements:
            b.line(f"No open milestones{due} are waiting on {who}{where}.")
        else:
            b.line(f"Nothing is waiting on {who}: no open milestones{due}{where}.")
        _agreement_lines(b, request, agreements)
        return b.build()
    summary = []
    if late:
        summary.append(f"{len(late)} overdue")
    if upcoming:
        summary.append(f"{len(upcoming)} upcoming" + (f" ({window.label})" if window else ""))
    subject: Segment = "you" if is_me else person_segment(person)
    b.line("Waiting on ", subject, ": " + " and ".join(summary) + ".")
    overdue = {milestone.id for milestone in late}
    for milestone in b.page([*late, *upcoming], request.entities.skip):
        label = "• overdue: " if milestone.id in overdue else "• "
        b.line(label, *b.milestone_segments(milestone, request.now, with_project=True))
    b.more(len(late) + len(upcoming))
    _agreement_lines(b, request, agreements)
    return b.build()


# "here", "this project", "in this channel": the project in context, said outright.
_HERE = re.compile(r"\b(here|this project|this team|this channel|on it)\b")
# How far ahead an agreement's expiry makes it wait on its owner.
_EXPIRY_AHEAD_DAYS = 60


def _agreements_waiting(request: AnswerRequest) -> list[AgreementView]:
    """The asker's agreements that are not signed yet, or expire within `_EXPIRY_AHEAD_DAYS`."""
    today = request.now.astimezone(request.actor.zone).date()
    return [
        view
        for view in my_agreements(request.session, request.actor)
        if view.status not in FINAL_STATUSES
        or (view.expires_on is not None and 0 <= (view.expires_on - today).days <= _EXPIRY_AHEAD_DAYS)
    ]


def _agreement_lines(b: AnswerBuilder, request: AnswerRequest, agreements: list[AgreementView]) -> None:
    """ "Agreements you own that need you:" and a line each (an agreement of a private project makes
    the answer private)."""
    if not agreements:
        return
    today = request.now.astimezone(request.actor.zone).date()
    private = {p.key for p in request.directory.projects if p.private}
    b.line("Agreements you own that need you:")
    for view in agreements:
        if view.status not in FINAL_STATUSES:
            state = f"not signed: {view.status_label} since {day_label(view.status_since)}"
        else:
            assert view.expires_on is not None  # the filter's condition
            days = (view.expires_on - today).days
            state = f"expires {day_label(view.expires_on)} (in {days} day{'s' if days != 1 else ''})"
        b.line(f"• `{view.key}` {view.title} — {state}")
        b.private_keys.update(ref.key for ref in view.projects if ref.key in private)
