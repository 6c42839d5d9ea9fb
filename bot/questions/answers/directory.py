"""The directory a question is read against: the names the asker may see.

Reading a workspace of 1,000 projects and 10,000 milestone titles costs about 15 ms, more than
embedding the question, and indexing them hundreds; so the part of the directory every asker sees
(public projects, their milestones, the people) is kept per database and workspace, and read again
only when the workspace's fingerprint changes: row counts and highest ids of milestones, projects
and people, the summed lengths of project and people names, how many projects are private or
archived, and the newest audit entry (every change made through Liaison, imports included, writes
one). A re-read that finds the same names keeps the same object, and with it its index.

The asker's private projects are read on every question, with the access rule: visibility is never
served from a cache. Each distinct view is one `Directory` object whose `shared` part is the cached
one, so `index_directory` finds it by identity and a new view indexes only its private projects.

A milestone renamed to a title of the same length by a write that records no audit entry (only
hand-made SQL does that) is read again at the next audited change.
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

from bot.access import Actor, visible_condition
from bot.models import AuditEntry, Membership, Milestone, Person, Project, Role, Workspace
from bot.questions.interpret import Directory, MilestoneName, PersonName, ProjectName, index_directory

# Workspaces kept per database (an LRU: most deployments have one), and views kept per workspace.
MAX_WORKSPACES = 16
MAX_VIEWS = 64

Rows = tuple[tuple[Any, ...], ...]


@dataclass
class _Entry:
    """What is kept of one workspace: its fingerprint, the shared directory, the recent views."""

    fingerprint: tuple[Any, ...]
    shared: Directory
    titles: dict[int, tuple[tuple[int, str], ...]]
    # Per project id: its lead's Slack id and everyone on it (leads and members).
    people: dict[int, tuple[str | None, tuple[str, ...]]] = field(default_factory=dict)
    views: OrderedDict[Rows, Directory] = field(default_factory=OrderedDict)


_lock = threading.Lock()
_caches: weakref.WeakKeyDictionary[Engine, OrderedDict[int, _Entry]] = weakref.WeakKeyDictionary()


def load_directory(session: Session, actor: Actor) -> Directory:
    """The names the actor's questions may refer to: visible projects and their milestones, people.

    Args:
        session: The request's session.
        actor: The asker.

    Returns:
        A snapshot for `bot.questions.interpret.interpret` (the same object while nothing changed).
    """
    entry = _workspace(session, actor.workspace_id)
    # The asker's private projects, by the access rule, on every question.
    private: Rows = tuple(
        tuple(row)
        for row in session.execute(
            select(Project.id, Project.key, Project.name, Project.channel_id, Project.private)
            .where(visible_condition(actor), Project.private.is_(True))
            .order_by(Project.key)
        )
    )
    if not private:
        return entry.shared
    with _lock:
        view = entry.views.get(private)
        if view is not None:
            entry.views.move_to_end(private)
            return view
    shared = entry.shared
    projects = sorted(
        [
            *shared.projects,
            *(
                ProjectName(key, name, channel, True, *entry.people.get(project_id, (None, ())))
                for project_id, key, name, channel, _ in private
            ),
        ],
        key=lambda p: p.key,
    )
    view = Directory(
        projects=tuple(projects),
        people=shared.people,
        milestones=shared.milestones + _milestones(private, entry.titles),
        disciplines=shared.disciplines,
        shared=shared,
    )
    with _lock:
        entry.views[private] = view
        while len(entry.views) > MAX_VIEWS:
            entry.views.popitem(last=False)
    return view


def _workspace(session: Session, workspace_id: int) -> _Entry:
    """The workspace's cached part, read again when its fingerprint changed."""
    fingerprint = _fingerprint(session, workspace_id)
    engine = _engine(session)
    old: _Entry | None = None
    if engine is not None:
        with _lock:
            old = _caches.get(engine, OrderedDict()).get(workspace_id)
            if old is not None and old.fingerprint == fingerprint:
                _caches[engine].move_to_end(workspace_id)
                return old
    public: Rows = tuple(
        tuple(row)
        for row in session.execute(
            select(Project.id, Project.key, Project.name, Project.channel_id, Project.private)
            .where(
                Project.workspace_id == workspace_id,
                Project.archived_at.is_(None),
                Project.private.is_(False),
            )
            .order_by(Project.key)
        )
    )
    people = session.execute(
        select(Person.slack_id, Person.name, Person.discipline)
        .where(Person.workspace_id == workspace_id)
        .order_by(Person.name)
    ).all()
    titles: dict[int, list[tuple[int, str]]] = {}
    rows = session.execute(
        select(Milestone.project_id, Milestone.number, Milestone.title)
        .join(Milestone.project)
        .where(Project.workspace_id == workspace_id)
        .order_by(Milestone.project_id, Milestone.number)
    )
    for project_id, number, title in rows:
        titles.setdefault(project_id, []).append((number, title))
    by_project = {k: tuple(v) for k, v in titles.items()}
    leads = dict(
        session.execute(
            select(Project.id, Person.slack_id)
            .join(Person, Person.id == Project.lead_id)
            .where(Project.workspace_id == workspace_id)
        ).all()
    )
    on: dict[int, list[str]] = {}
    for project_id, slack_id in session.execute(
        select(Membership.project_id, Person.slack_id)
        .join(Person, Person.id == Membership.person_id)
        .join(Project, Project.id == Membership.project_id)
        .where(Project.workspace_id == workspace_id, Membership.role != Role.VIEWER)
        .order_by(Membership.project_id, Membership.position)
    ):
        on.setdefault(project_id, []).append(slack_id)
    people_of = {pid: (leads.get(pid), tuple(on.get(pid, ()))) for pid in {*leads, *on}}
    shared = Directory(
        projects=tuple(
            ProjectName(key, name, channel, False, *people_of.get(project_id, (None, ())))
            for project_id, key, name, channel, _ in public
        ),
        people=tuple(PersonName(slack_id, name) for slack_id, name, _ in people),
        milestones=_milestones(public, by_project),
        disciplines=tuple(sorted({d for _, _, d in people if d})),
    )
    if old is not None and old.shared == shared:
        shared = old.shared  # same names (a change elsewhere): keep the object and its index
    entry = _Entry(fingerprint, shared, by_project, people_of)
    if engine is not None:
        with _lock:
            cache = _caches.setdefault(engine, OrderedDict())
            cache[workspace_id] = entry
            cache.move_to_end(workspace_id)
            while len(cache) > MAX_WORKSPACES:
                cache.popitem(last=False)
    return entry


def _milestones(projects: Rows, titles: dict[int, tuple[tuple[int, str], ...]]) -> tuple[MilestoneName, ...]:
    return tuple(
        MilestoneName(f"{key}-{number}", title, key)
        for project_id, key, *_ in projects
        for number, title in titles.get(project_id, ())
    )


def directory_fingerprint(session: Session, workspace_id: int) -> tuple[Any, ...]:
    """A row of numbers that changes whenever the workspace's names or their visibility may have
    changed, or anything audited happened (see the module's notes); about a millisecond.

    Args:
        session: The request's session.
        workspace_id: The workspace.

    Returns:
        The fingerprint, to compare with an earlier one.
    """
    return _fingerprint(session, workspace_id)


def _fingerprint(session: Session, workspace_id: int) -> tuple[Any, ...]:
    """One row that changes whenever the workspace's names or their visibility may have changed.

    Kept in the session's `info` for the rest of the question (a question only reads).
    """
    memo_key = ("liaison.questions.fingerprint", workspace_id)
    memo = session.info.get(memo_key)
    if memo is not None:
        return tuple(memo)
    of_projects = Project.workspace_id == workspace_id
    of_people = Person.workspace_id == workspace_id
    project_names = func.length(Project.key) + func.length(Project.name)
    person_names = func.length(Person.slack_id) + func.length(Person.name)
    aggregates = (
        select(func.max(AuditEntry.id)).where(AuditEntry.workspace_id == workspace_id),
        # Over every workspace: the primary key answers these without reading the rows.
        select(func.max(Milestone.id)),
        select(func.count(Milestone.id)),
        select(func.count(Project.id)).where(of_projects),
        select(func.max(Project.id)).where(of_projects),
        select(func.sum(project_names + func.coalesce(func.length(Project.channel_id), 0))).where(
            of_projects
        ),
        select(func.sum(case((Project.private.is_(True), 1), else_=0))).where(of_projects),
        select(func.count(Project.archived_at)).where(of_projects),
        select(func.count(Person.id)).where(of_people),
        select(func.max(Person.id)).where(of_people),
        select(func.sum(person_names + func.coalesce(func.length(Person.discipline), 0))).where(of_people),
    )
    row = tuple(session.execute(select(*(a.scalar_subquery() for a in aggregates))).one())
    session.info[memo_key] = row
    return row


def _engine(session: Session) -> Engine | None:
    bind = session.get_bind()
    if isinstance(bind, Connection):
        return bind.engine
    return bind if isinstance(bind, Engine) else None


def warm_up_directories(session: Session) -> int:
    """Read and index the shared part of every workspace's directory, so no asker waits for it.

    Indexing 10,000 milestone titles takes a few hundred milliseconds; `liaison serve` does it in the
    background at start (`bot.questions.answers.warm_up.start_warm_up`).

    Returns:
        How many workspaces were indexed.
    """
    workspaces = list(session.scalars(select(Workspace.id)))
    for workspace_id in workspaces:
        index_directory(_workspace(session, workspace_id).shared)
    return len(workspaces)
