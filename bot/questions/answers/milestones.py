"""Answers about milestones: what is next or due in a window, what is overdue, when one is due."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import Select, select

from bot.access import can_see
from bot.agreements.waiting import agreements_waited_on
from bot.models import Blocker, Milestone, MilestoneDependency, MilestoneStatus, Person, Project
from bot.projects.milestones import find_milestone
from bot.questions.answers.core import (
    MAX_ITEMS,
    Answer,
    AnswerBuilder,
    AnswerRequest,
    Segment,
    When,
    counted,
    person_segment,
    waiting_on_text,
)
from bot.questions.answers.lookups import (
    named_projects,
    not_in_directory,
    open_milestones,
    projects_of,
    subject_person,
    visible_project_ids,
)
from bot.questions.interpret import Intent

# Without a date range, "what's next" looks this far ahead across several projects.
UPCOMING_WINDOW = timedelta(days=14)


@dataclass(frozen=True)
class _Scope:
    """Whose milestones a question is about: named projects, or one person's on visible projects."""

    projects: list[Project] | Select[Any]
    phrase: str
    owner: Person | None = None


def _resolve_scope(
    request: AnswerRequest, b: AnswerBuilder, intent: Intent, *, mine: str, theirs: str
) -> _Scope | Answer | None:
    """The subject the question names, shared by "what's next" and "what's overdue".

    Args:
        request: The question.
        b: The answer being built (named projects are recorded as its sources).
        intent: For the "not in the directory" answer.
        mine: The scope phrase when the asker asks about themselves ("for you").
        theirs: The phrase for someone else, with ``{name}`` ("for {name}").

    Returns:
        The scope; an answer when the person asked about is unknown; None when the question names
        no project and no person (each intent has its own default).
    """
    e = request.entities
    if e.projects:
        projects, phrase = named_projects(request)
        for project in projects:
            b.project(project)
        return _Scope(projects, phrase)
    if e.people or e.me:
        owner, is_me = subject_person(request)
        if owner is None:
            return not_in_directory(intent, is_me)
        return _Scope(
            visible_project_ids(request.actor), mine if is_me else theirs.format(name=owner.name), owner
        )
    if e.own_projects:
        own = projects_of(request.session, request.actor, request.actor.person_id)
        return _Scope(own, "on your projects")
    return None


def answer_next(request: AnswerRequest) -> Answer:
    """Answer "what is next?" or "what is due …?" for the named projects, a person, or the asker.

    Args:
        request: The question.

    Returns:
        The answer.
    """
    b = AnswerBuilder(Intent.NEXT_MILESTONE)
    e = request.entities
    window = e.date_range
    resolved = _resolve_scope(request, b, Intent.NEXT_MILESTONE, mine="for you", theirs="for {name}")
    if isinstance(resolved, Answer):
        return resolved
    if resolved is None:
        mine = projects_of(request.session, request.actor, request.actor.person_id)
        if window is None and mine:
            resolved = _Scope(mine, "on your projects")
        else:
            resolved = _Scope(visible_project_ids(request.actor), "")
    projects, scope, owner = resolved.projects, resolved.phrase, resolved.owner
    start = window.start if window else request.now
    end = window.end if window else None
    if window is None and not e.projects and owner is None and not scope:
        end = request.now + UPCOMING_WINDOW
    owner_id = owner.id if owner else None
    # A window that is over ("what was due last week") lists what was due in it, done or not.
    past = window is not None and window.end <= request.now
    milestones = open_milestones(
        request.session, projects, start=start, end=end, owner_id=owner_id, done_too=past
    )
    finished = past and _ASKS_FINISHED.search(request.interpretation.text) is not None
    if finished:
        # "what did we finish last month?": what of that window was done, not what is still open.
        milestones = [m for m in milestones if m.status == MilestoneStatus.DONE]
    later_ones = 0
    counting = _ASKS_HOW_MANY.search(request.interpretation.text) is not None
    if (
        window is None
        and not counting
        and not e.skip
        and (e.projects or _ONE_ASKED.search(request.interpretation.text))
    ):
        # "What's next for bidshade": the next few of that project, whatever their date; "what's my
        # next deadline?": the next one ("show me the rest" then pages through all of them).
        shown = 1 if _ONE_ASKED.search(request.interpretation.text) else 3
        later_ones = max(len(milestones) - shown, 0)
        milestones = milestones[:shown]
    overdue: list[Milestone] = []
    if window is None and (e.projects or owner is not None or scope == "on your projects"):
        # What is still open past its due time comes before anything new: leaving it out of
        # "what's next for pcm" would hide the most pressing item.
        overdue = open_milestones(request.session, projects, end=request.now, owner_id=owner_id)
        milestones = overdue + milestones
    elif (
        owner is not None
        and window is not None
        and not past
        and _UP_TO.match(window.label)
        and window.start >= request.now
    ):
        # "what's due before christmas for me?", "by friday": what is already late is due before it too.
        overdue = open_milestones(request.session, projects, end=request.now, owner_id=owner_id)
        milestones = overdue + milestones
    elif window is not None:
        # A window that began before now ("this month", "last week"): what in it is still open is late.
        overdue = [m for m in milestones if m.status == MilestoneStatus.OPEN and m.due_at < request.now]
    when_text = f" {window.label}" if window else ""
    was = "was" if past else "is"
    if owner is not None and owner.id == request.actor.person_id:
        subject = "You had" if past else "You have"
    elif owner is not None:
        subject = f"{owner.name} {'had' if past else 'has'}"
    else:
        subject = ""
    if not milestones:
        if subject:
            # Someone else may have work on projects the asker cannot see: never "nothing" outright.
            seen = (
                "" if owner is None or owner.id == request.actor.person_id else " in the projects you can see"
            )
            b.line(f"{subject} nothing due{when_text}{seen}.")
        else:
            b.line(f"Nothing {was} due{when_text}" + (f" {scope}." if scope else "."))
        if window is not None and not past:
            later = open_milestones(request.session, projects, start=window.end, owner_id=owner_id)
            if later:
                b.line(
                    "The next one after that: ",
                    *b.milestone_segments(later[0], request.now, with_project=True),
                )
        return b.build()
    count = counted(len(milestones), "milestone")
    if finished:
        were = "was" if len(milestones) == 1 else "were"
        b.line(f"{count} due{when_text}" + (f" {scope}" if scope else "") + f" {were} done:")
        for milestone in b.page(milestones, request.entities.skip):
            b.line("• ", *b.milestone_segments(milestone, request.now, with_project=True))
        b.more(len(milestones))
        return b.build()
    late = f", {len(overdue)} of them {'still open' if past else 'overdue'}" if overdue else ""
    one = window is None and not counting and _ONE_ASKED.search(request.interpretation.text) is not None
    if one and not e.skip:
        # "what's my next deadline?": the next one (after what is overdue, which comes first).
        whose = "Your" if subject.startswith("You") else (f"{owner.name}'s" if owner is not None else "The")
        first = f", after {counted(len(overdue), 'overdue milestone')}" if overdue else ""
        b.line(f"{whose} next deadline" + (f" {scope}" if scope and owner is None else "") + f"{first}:")
    elif subject:
        b.line(f"{subject} {count} due{when_text}{late}:")
    elif window is not None:
        were = (" were" if len(milestones) > 1 else " was") if past else ""
        b.line(f"{count}{were} due{when_text}" + (f" {scope}" if scope else "") + f"{late}:")
    elif counting:
        # "how many milestones does pcm have left?": every open one, counted.
        b.line(f"{counted(len(milestones), 'open milestone')}" + (f" {scope}" if scope else "") + f"{late}:")
    else:
        b.line("Next milestones" + (f" {scope}" if scope else "") + f"{late}:")
    many_projects = len({m.project_id for m in milestones}) > 1 or not e.projects
    for milestone in b.page(milestones, request.entities.skip):
        b.line(
            "• ",
            *b.milestone_segments(
                milestone, request.now, with_project=many_projects, flag_overdue=bool(overdue)
            ),
        )
    b.more(len(milestones))
    if later_ones:
        # The rest: "show me the rest", or a window ("what's due on fatigue in January?").
        b.line(
            f"…and {counted(later_ones, 'later milestone')} after {'it' if one else 'these'}"
            " (“show me the rest”, or ask for a month)."
        )
        b.rest_from = len(milestones)
    return b.build()


def answer_overdue(request: AnswerRequest) -> Answer:
    """Answer "what is overdue?" for the named projects, a person, or every visible project.

    Args:
        request: The question.

    Returns:
        The answer.
    """
    b = AnswerBuilder(Intent.OVERDUE)
    e = request.entities
    resolved = _resolve_scope(request, b, Intent.OVERDUE, mine="of yours", theirs="of {name}'s")
    if isinstance(resolved, Answer):
        return resolved
    if resolved is None:
        resolved = _Scope(visible_project_ids(request.actor), "")
    projects, scope, owner = resolved.projects, resolved.phrase, resolved.owner
    # "what did we miss in october": what of that window is still open. A window that starts now or
    # later ("what's overdue today", "… by friday") names no past days: everything overdue is meant.
    window = e.date_range if e.date_range is not None and e.date_range.start < request.now else None
    late = open_milestones(
        request.session,
        projects,
        start=window.start if window else None,
        end=min(request.now, window.end) if window else request.now,
        owner_id=owner.id if owner else None,
    )
    if not late:
        due = f" due {window.label}" if window else ""
        if owner is not None:
            b.line(f"Nothing {scope}{due} is overdue.")
        else:
            b.line(f"Nothing{due} is overdue" + (f" {scope}." if scope else "."))
        return b.build()
    head = f"{counted(len(late), 'milestone')} overdue"
    if owner is not None:
        head += f" ({scope[3:]})"
    elif scope:
        head += f" {scope}"
    if len(e.projects) != 1 and _ASKS_MOST_BEHIND.search(request.interpretation.text):
        _furthest_behind(b, late)
    b.line(head + (f", due {window.label}" if window else "") + ":")
    for milestone in b.page(late, e.skip):
        b.line("• ", *b.milestone_segments(milestone, request.now, with_project=not e.projects))
    b.more(len(late))
    return b.build()


_ASKS_HOW_MANY = re.compile(r"\bhow many\b")
# Ranges that run from now to a day the asker must be done before ("before Christmas", "before friday");
# "for the rest of the month" starts now, what is late aside.
_UP_TO = re.compile(r"^before ")
# "what's my next deadline?", "when is our next milestone due?": one, the next.
_ONE_ASKED = re.compile(
    r"\b(my|our|the|his|her|their|[a-z]+ s|[a-z]+s) next (deadline|milestone|due date|delivery)\b(?!s)"
)
# "which project is most behind?", "who's furthest behind": the projects ranked, not only the list.
_ASKS_MOST_BEHIND = re.compile(
    r"\b(?:most|furthest|farthest|worst|further|biggest) (?:behind|late|overdue|delayed|slipped|slipping)\b|"
    r"\b(?:behind|slipped|slipping|fallen behind|late|delayed) the most\b"
)


def _furthest_behind(b: AnswerBuilder, late: list[Milestone]) -> None:
    """Name the project with the most overdue milestones (the oldest one breaks a tie), then the rest."""
    by_project: dict[int, list[Milestone]] = {}
    for milestone in late:
        by_project.setdefault(milestone.project_id, []).append(milestone)
    ranked = sorted(by_project.values(), key=lambda ms: (-len(ms), min(m.due_at for m in ms)))
    first = ranked[0]
    oldest = min(first, key=lambda m: m.due_at)
    b.line(
        "Furthest behind: ",
        b.project(first[0].project),
        f" {first[0].project.name} — {counted(len(first), 'milestone')} overdue, the oldest due ",
        When(oldest.due_at),
        ".",
    )
    if len(ranked) > 1:
        then: list[Segment] = ["Then "]
        for n, ms in enumerate(ranked[1:MAX_ITEMS]):
            then += [", " if n else "", b.project(ms[0].project), f" ({len(ms)} overdue)"]
        b.line(*then, ".")


def answer_when(request: AnswerRequest) -> Answer:
    """Answer "when is … due?" for up to three named milestones.

    Args:
        request: The question.

    Returns:
        The answer.
    """
    b = AnswerBuilder(Intent.WHEN_MILESTONE)
    for ref in request.entities.milestones[:3]:
        milestone = find_milestone(request.session, request.actor, ref)
        source = b.milestone(milestone)
        b.project(milestone.project)
        parts: list[Segment] = [source, " ", milestone.title, " (", milestone.project.name, ")"]
        if milestone.status == MilestoneStatus.DONE:
            done_at = milestone.done_at
            parts += [" is done", *((" — completed ", When(done_at, relative=False)) if done_at else ())]
            parts += [" (it was due ", When(milestone.due_at, relative=False), ")"]
        elif milestone.due_at < request.now:
            parts += [" was due ", When(milestone.due_at), " and is still open"]
        else:
            parts += [" is due ", When(milestone.due_at)]
        if milestone.owner is not None:
            parts += [" · owner ", person_segment(milestone.owner)]
        today = request.now.astimezone(request.actor.zone).date()
        waits = agreements_waited_on(request.session, [milestone.id])  # bot.agreements
        parts += [waiting_on_text(wait, today) for wait in waits.get(milestone.id, ())]
        parts += _what_it_comes_after(b, request, milestone)
        b.line(*parts)
    return b.build()


# "what did we finish last month?", "what got done last week": the done ones of a past window.
_ASKS_FINISHED = re.compile(
    r"\b(finish|finished|complete|completed|deliver|delivered|wrap|wrapped|ship|shipped|got done|get done|"
    r"did we do|accomplish|accomplished|achieve|achieved)\b"
)
# "what's the description of the PSI prototype?", "details of pcm-3": the milestone's description too.
_ASKS_DETAILS = re.compile(r"\b(description|describe|details?|what is it about|about what|what s it about)\b")


def _linked(request: AnswerRequest, milestone: Milestone, *, earlier: bool) -> list[Milestone]:
    """The milestones `milestone` comes after (`earlier`; by ref) or that come after it (by due date),
    in projects the asker may see."""
    this, other = (
        (MilestoneDependency.milestone_id, MilestoneDependency.depends_on_id)
        if earlier
        else (MilestoneDependency.depends_on_id, MilestoneDependency.milestone_id)
    )
    order = (Project.key, Milestone.number) if earlier else (Milestone.due_at, Milestone.id)
    linked = request.session.scalars(
        select(Milestone)
        .join(MilestoneDependency, other == Milestone.id)
        .join(Project)
        .where(this == milestone.id)
        .order_by(*order)
    )
    return [m for m in linked if can_see(m.project, request.actor)]


def _what_it_comes_after(b: AnswerBuilder, request: AnswerRequest, milestone: Milestone) -> list[Segment]:
    """ " · comes after `pcm-2` Legal basis memo (still open)" and " · held up by `pcm-b1` …": what the
    milestone depends on, for "what does the PSI prototype depend on?" as much as for "when is it due?"."""
    parts: list[Segment] = []
    for before in _linked(request, milestone, earlier=True):
        state = "done" if before.status == MilestoneStatus.DONE else "still open"
        parts += [" · comes after ", b.milestone(before), " ", before.title, f" ({state})"]
    for later in _linked(request, milestone, earlier=False):
        parts += [" · then ", b.milestone(later), " ", later.title]
    if milestone.description and _ASKS_DETAILS.search(request.interpretation.text):
        parts += [" · ", milestone.description.strip()]
    held_up = request.session.scalars(
        select(Blocker)
        .where(Blocker.milestone_id == milestone.id, Blocker.resolved_at.is_(None))
        .order_by(Blocker.number)
    )
    for blocker in held_up:
        parts += [" · held up by ", *b.blocker_segments(blocker)[:3]]
    return parts
