"""Richer milestones: a description, links, the milestones one comes after, and blockers on a milestone.

Links are http(s) URLs stored as a JSON list (`Milestone.links`); they are validated here and escaped
where they are shown. A dependency (`MilestoneDependency`) says a milestone comes after another of any
project in the workspace; dependencies never form a cycle. Moving a milestone later can put the ones
that come after it before it: `dependants_due_before` names them, so the move's reply can say so.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import date
from functools import cache
from typing import Any

from sqlalchemy import Date, Select, String, bindparam, null, select, text
from sqlalchemy.orm import Session, aliased

from bot.access import Actor, read_rows
from bot.errors import InvalidInput
from bot.models import Blocker, Milestone, MilestoneDependency, MilestoneStatus, Project

__all__ = [
    "MAX_LINKS",
    "MAX_LINK_LENGTH",
    "dependants_due_before",
    "dependency_refs",
    "dumps_links",
    "find_cycle",
    "link_blocker",
    "link_problem",
    "loads_links",
]

MAX_LINKS = 10
MAX_LINK_LENGTH = 500
# No whitespace, and nothing that would end a Slack link (`<url|label>`) early.
_LINK_RE = re.compile(r"^https?://[^\s<>|\"'`]+$", re.IGNORECASE)


def link_problem(url: str) -> str | None:
    """What is wrong with a link, or None for an http(s) URL Slack can show.

    Args:
        url: The link as written.

    Returns:
        A sentence naming the problem, or None.
    """
    if len(url) > MAX_LINK_LENGTH:
        return f"link is {len(url)} characters long; at most {MAX_LINK_LENGTH} fit"
    if not _LINK_RE.match(url):
        return f"link '{url[:80]}' is not an http(s) URL (https://…, without spaces)"
    return None


def dumps_links(links: Sequence[str]) -> str | None:
    """The stored form of a milestone's links (None for none)."""
    return json.dumps(list(links)) if links else None


def loads_links(stored: str | None) -> tuple[str, ...]:
    """A milestone's links from their stored form; anything unreadable or invalid is left out."""
    if not stored:
        return ()
    try:
        value = json.loads(stored)
    except ValueError:
        return ()
    if not isinstance(value, list):
        return ()
    return tuple(v for v in value if isinstance(v, str) and link_problem(v) is None)


def find_cycle(edges: Mapping[str, Collection[str]]) -> list[str] | None:
    """A cycle in "comes after" edges (node → the nodes it depends on), or None.

    Args:
        edges: Each node's dependencies.

    Returns:
        The nodes of one cycle in order, starting and ending with the same node, or None.
    """
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for after in sorted(edges.get(node, ())):
            if state.get(after) == 1:
                return [*path[path.index(after) :], after]
            if after not in state and (cycle := visit(after)) is not None:
                return cycle
        path.pop()
        state[node] = 2
        return None

    for node in sorted(edges):
        if node not in state and (cycle := visit(node)) is not None:
            return cycle
    return None


def dependency_refs_select(milestone_ids: Any = None) -> Select[int, str, int, str, date]:
    """The milestones that the milestones `milestone_ids` (an expanding parameter) come after, as rows
    `milestone_id, key, number` (of the one come after) with `status` and `since` NULL: the columns of
    `bot.agreements.waiting.waited_on_select`, so that both can be read in one statement.

    Args:
        milestone_ids: What the milestone ids are taken from instead (a subquery, say).
    """
    if milestone_ids is None:
        milestone_ids = bindparam("milestone_ids", expanding=True)
    before = aliased(Milestone, name="depends_on")
    return (
        select(
            MilestoneDependency.milestone_id.label("milestone_id"),
            Project.key.label("key"),
            before.number.label("number"),
            null().cast(String(16)).label("status"),
            null().cast(Date).label("since"),
        )
        .join(before, MilestoneDependency.depends_on_id == before.id)
        .join(Project, before.project_id == Project.id)
        .where(
            MilestoneDependency.milestone_id.in_(milestone_ids),
            before.deleted_at.is_(None),
        )
    )


@cache
def _dependency_refs_statement() -> Select[int, str, int, str, date]:
    # Built once per process, with the ids as an expanding parameter: building the statement (and,
    # with a new alias per call, compiling it) cost more than running it (bench/command_cpu.py).
    return dependency_refs_select().order_by(text("milestone_id"), text("key"), text("number"))


def dependency_refs(session: Session, milestone_ids: Iterable[int]) -> dict[int, tuple[str, ...]]:
    """The refs (`pcm-2`) of the milestones each of `milestone_ids` comes after, in ref order. One query."""
    ids = sorted(set(milestone_ids))
    if not ids:
        return {}
    refs: dict[int, list[str]] = {}
    for row in read_rows(session, _dependency_refs_statement(), {"milestone_ids": ids}):
        refs.setdefault(row.milestone_id, []).append(f"{row.key}-{row.number}")
    return {milestone_id: tuple(found) for milestone_id, found in refs.items()}


def dependants_due_before(session: Session, milestone: Milestone) -> list[Milestone]:
    """Open milestones that come after `milestone` but are due before it (after a move, say)."""
    return list(
        session.scalars(
            select(Milestone)
            .join(MilestoneDependency, MilestoneDependency.milestone_id == Milestone.id)
            .where(
                MilestoneDependency.depends_on_id == milestone.id,
                Milestone.due_at < milestone.due_at,
                Milestone.status == MilestoneStatus.OPEN,
            )
            .order_by(Milestone.due_at, Milestone.id)
        )
    )


def link_blocker(session: Session, actor: Actor, blocker: Blocker, ref: str) -> Milestone:
    """Link a blocker to the milestone it holds up: `ref` is a number (`2`) or a ref of its project.

    Args:
        session: The request's session.
        actor: Who raised the blocker.
        blocker: The blocker, of a project the actor may see.
        ref: `2`, `pcm-2`.

    Returns:
        The milestone.

    Raises:
        InvalidInput: If the project has no such milestone.
    """
    del actor  # the blocker's project was found with the actor's visibility; the milestone is in it
    key = blocker.project.key
    text = ref.strip().lower()
    number_text = text.removeprefix(f"{key}-")
    if not number_text.isdigit():
        raise InvalidInput(f"`--on` takes a milestone of {key}, such as `2` or `{key}-2`; not “{ref}”.")
    milestone = session.scalars(
        select(Milestone).where(
            Milestone.project_id == blocker.project_id, Milestone.number == int(number_text)
        )
    ).first()
    if milestone is None:
        raise InvalidInput(f"No milestone `{key}-{int(number_text)}`. See them with `/milestone list {key}`.")
    blocker.milestone_id = milestone.id
    return milestone
