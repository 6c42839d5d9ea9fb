"""Editing a milestone's richer record from Slack: its description, links and what it comes after, and
reading it in full (`/milestone show`).

Apart from `bot.projects.milestone_details` because it finds milestones (`bot.projects.milestones`),
which imports the read models that `milestone_details` serves. Permissions are those of a move: the
owner, the lead or an admin, on a project that is not archived. A change that changes nothing says so
to its caller (`changed` False) and writes no audit entry.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.access import Actor, can_see, require_milestone_editor
from bot.errors import InvalidInput
from bot.models import INCLUDE_DELETED, Blocker, Milestone, MilestoneDependency, Project
from bot.projects.milestone_details import MAX_LINKS, dumps_links, find_cycle, link_problem, loads_links
from bot.projects.milestones import find_milestone
from bot.projects.project import record_audit
from bot.projects.reports import BlockerLine, MilestoneLine, blocker_line, milestone_line, with_dependencies

__all__ = [
    "MAX_DESCRIPTION",
    "Edited",
    "MilestoneDetail",
    "add_dependency",
    "add_link",
    "milestone_detail",
    "remove_dependency",
    "remove_link",
    "set_description",
]

MAX_DESCRIPTION = 2000


@dataclass(frozen=True)
class Edited:
    """The result of an edit: the milestone, whether anything changed, and the other milestone of a
    dependency (None for descriptions and links)."""

    milestone: Milestone
    changed: bool
    other: Milestone | None = None


@dataclass(frozen=True)
class MilestoneDetail:
    """Everything `/milestone show` shows.

    Attributes:
        line: The milestone (with `after` filled in).
        after: The milestones it comes after that the viewer may see.
        dependants: The milestones that come after it that the viewer may see.
        blockers: Its open blockers, oldest first.
    """

    line: MilestoneLine
    after: tuple[MilestoneLine, ...]
    dependants: tuple[MilestoneLine, ...]
    blockers: tuple[BlockerLine, ...]


def _editable(session: Session, actor: Actor, ref: str, action: str) -> Milestone:
    milestone = find_milestone(session, actor, ref)
    require_milestone_editor(milestone, actor, action)
    return milestone


def _ref(milestone: Milestone) -> str:
    return f"{milestone.project.key}-{milestone.number}"


def set_description(session: Session, actor: Actor, ref: str, text: str, now: datetime) -> Edited:
    """Set (or, with empty text, clear) a milestone's description.

    Raises:
        InvalidInput: The text is longer than `MAX_DESCRIPTION`.
        NotFound, Forbidden: As for a move.
    """
    milestone = _editable(session, actor, ref, "describe it")
    value = text.strip() or None
    if value is not None and len(value) > MAX_DESCRIPTION:
        raise InvalidInput(
            f"The description is {len(value):,} characters long; at most {MAX_DESCRIPTION:,} fit."
        )
    if (milestone.description or None) == value:
        return Edited(milestone, False)
    milestone.description = value
    record_audit(
        session, actor, "describe", "milestone", milestone.id, now, ref=_ref(milestone), cleared=value is None
    )
    return Edited(milestone, True)


def add_link(session: Session, actor: Actor, ref: str, url: str, now: datetime) -> Edited:
    """Add an http(s) link to a milestone (at most `MAX_LINKS`).

    Raises:
        InvalidInput: Not an http(s) URL, or the milestone has as many links as fit.
    """
    milestone = _editable(session, actor, ref, "link it")
    problem = link_problem(url)
    if problem is not None:
        raise InvalidInput(problem[0].upper() + problem[1:] + ".")
    links = list(loads_links(milestone.links))
    if url in links:
        return Edited(milestone, False)
    if len(links) >= MAX_LINKS:
        raise InvalidInput(
            f"`{_ref(milestone)}` has {len(links)} links already, as many as fit; "
            "remove one first with `/milestone unlink ID URL`."
        )
    milestone.links = dumps_links([*links, url])
    record_audit(session, actor, "link", "milestone", milestone.id, now, ref=_ref(milestone), url=url)
    return Edited(milestone, True)


def remove_link(session: Session, actor: Actor, ref: str, url: str, now: datetime) -> Edited:
    """Remove a link from a milestone (one it does not have changes nothing)."""
    milestone = _editable(session, actor, ref, "unlink it")
    links = list(loads_links(milestone.links))
    if url not in links:
        return Edited(milestone, False)
    links.remove(url)
    milestone.links = dumps_links(links)
    record_audit(session, actor, "unlink", "milestone", milestone.id, now, ref=_ref(milestone), url=url)
    return Edited(milestone, True)


def _dependency(session: Session, milestone: Milestone, other: Milestone) -> MilestoneDependency | None:
    return session.get(MilestoneDependency, (milestone.id, other.id))


def _cycle_through(session: Session, milestone: Milestone, other: Milestone) -> list[str] | None:
    """The refs of the cycle that "`milestone` after `other`" would close, or None.

    Walks what `other` comes after (deleted milestones included: an Undo would bring their edges back).
    """
    edges: dict[str, set[str]] = {str(milestone.id): {str(other.id)}}
    queue, seen = deque([other.id]), {other.id}
    while queue:
        node = queue.popleft()
        after = set(
            session.scalars(
                select(MilestoneDependency.depends_on_id).where(MilestoneDependency.milestone_id == node)
            )
        )
        edges.setdefault(str(node), set()).update(str(a) for a in after)
        for nxt in after - seen:
            seen.add(nxt)
            queue.append(nxt)
    if milestone.id not in seen:
        return None
    cycle = find_cycle(edges)
    if cycle is None:
        return None
    ids = [int(node) for node in cycle[:-1]]
    start = ids.index(milestone.id) if milestone.id in ids else 0
    ordered = [*ids[start:], *ids[:start], ids[start]]
    rows = session.execute(
        select(Milestone.id, Project.key, Milestone.number)
        .join(Project, Milestone.project_id == Project.id)
        .where(Milestone.id.in_(ordered)),
        execution_options={INCLUDE_DELETED: True},
    )
    refs = {row_id: f"{key}-{number}" for row_id, key, number in rows}
    return [refs.get(i, "?") for i in ordered]


def add_dependency(session: Session, actor: Actor, ref: str, other_ref: str, now: datetime) -> Edited:
    """Say that milestone `ref` comes after `other_ref` (of any project the actor may see).

    Raises:
        InvalidInput: The same milestone twice, or a cycle (named).
        NotFound: Either milestone is unknown or not visible to the actor.
        Forbidden: As for a move, on `ref`.
    """
    milestone = _editable(session, actor, ref, "change what it comes after")
    other = find_milestone(session, actor, other_ref)
    if other.id == milestone.id:
        raise InvalidInput(f"`{_ref(milestone)}` cannot come after itself.")
    if _dependency(session, milestone, other) is not None:
        return Edited(milestone, False, other)
    cycle = _cycle_through(session, milestone, other)
    if cycle is not None:
        chain = " after ".join(f"`{r}`" for r in cycle)
        raise InvalidInput(
            f"`{_ref(milestone)}` cannot come after `{_ref(other)}`: that would make a cycle, {chain}."
        )
    session.add(MilestoneDependency(milestone_id=milestone.id, depends_on_id=other.id))
    record_audit(
        session,
        actor,
        "after",
        "milestone",
        milestone.id,
        now,
        ref=_ref(milestone),
        other=_ref(other),
        other_id=other.id,
    )
    return Edited(milestone, True, other)


def remove_dependency(session: Session, actor: Actor, ref: str, other_ref: str, now: datetime) -> Edited:
    """Say that milestone `ref` no longer comes after `other_ref`."""
    milestone = _editable(session, actor, ref, "change what it comes after")
    other = find_milestone(session, actor, other_ref)
    dependency = _dependency(session, milestone, other)
    if dependency is None:
        return Edited(milestone, False, other)
    session.delete(dependency)
    record_audit(
        session,
        actor,
        "not_after",
        "milestone",
        milestone.id,
        now,
        ref=_ref(milestone),
        other=_ref(other),
        other_id=other.id,
    )
    return Edited(milestone, True, other)


def milestone_detail(session: Session, actor: Actor, ref: str, now: datetime) -> MilestoneDetail:
    """One milestone in full, for the viewer: only the related milestones the viewer may see are named.

    Raises:
        InvalidInput, NotFound: As `find_milestone`.
    """
    milestone = find_milestone(session, actor, ref)
    before = list(
        session.scalars(
            select(Milestone)
            .join(MilestoneDependency, MilestoneDependency.depends_on_id == Milestone.id)
            .where(MilestoneDependency.milestone_id == milestone.id)
            .order_by(Milestone.due_at, Milestone.id)
        )
    )
    after = list(
        session.scalars(
            select(Milestone)
            .join(MilestoneDependency, MilestoneDependency.milestone_id == Milestone.id)
            .where(MilestoneDependency.depends_on_id == milestone.id)
            .order_by(Milestone.due_at, Milestone.id)
        )
    )
    blockers = session.scalars(
        select(Blocker)
        .where(Blocker.milestone_id == milestone.id, Blocker.resolved_at.is_(None))
        .order_by(Blocker.raised_at, Blocker.id)
    )
    (line,) = with_dependencies(session, [milestone_line(milestone, now)])
    return MilestoneDetail(
        line=line,
        after=tuple(milestone_line(m, now) for m in before if can_see(m.project, actor)),
        dependants=tuple(milestone_line(m, now) for m in after if can_see(m.project, actor)),
        blockers=tuple(blocker_line(b) for b in blockers),
    )
