"""When no intent fits: the records closest to the question, with a note that Liaison is unsure.

Searches visible project names and descriptions, milestone titles and open blockers, by meaning when
the embedding model is there and by keywords otherwise.
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, select
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

from bot.access import Actor, visible_condition
from bot.experts.embeddings.calibration import thresholds
from bot.models import Blocker, Milestone, Project
from bot.projects.project import STATUS_LABELS
from bot.questions.answers.core import Answer, AnswerBuilder, AnswerRequest
from bot.questions.answers.directory import directory_fingerprint
from bot.questions.answers.experts import KEYWORD_FLOOR, keyword_score
from bot.questions.interpret import Intent
from bot.questions.search import rank_texts

# Semantic search shows no hit below the model's `record_search` threshold (bot.experts.embeddings
# .calibration); the keyword fallback uses KEYWORD_FLOOR instead.


def search_records(
    session: Session, actor: Actor, *, private: bool | None = None
) -> list[tuple[str, type, int]]:
    """(text, model, id) of everything a search looks through: visible projects (name and
    description), their milestones and open blockers. Plain rows; the few shown are loaded later.

    Args:
        session: The request's session.
        actor: The asker; only projects they may see are searched.
        private: Only private (True) or only public (False) projects; None: both.
    """
    visible = visible_condition(actor)
    if private is not None:
        visible = and_(visible, Project.private.is_(private))
    records: list[tuple[str, type, int]] = []
    for pid, name, description in session.execute(
        select(Project.id, Project.name, Project.description).where(visible).order_by(Project.key)
    ):
        records.append((f"{name}. {description}", Project, pid))
    for mid, title in session.execute(
        select(Milestone.id, Milestone.title).join(Milestone.project).where(visible).order_by(Milestone.id)
    ):
        records.append((title, Milestone, mid))
    for bid, text in session.execute(
        select(Blocker.id, Blocker.text)
        .join(Blocker.project)
        .where(visible, Blocker.resolved_at.is_(None))
        .order_by(Blocker.id)
    ):
        records.append((text, Blocker, bid))
    return records


@dataclass(frozen=True)
class Searchable:
    """Records to search and their texts (one tuple object, so its vectors are found at once)."""

    records: tuple[tuple[str, type, int], ...]
    texts: tuple[str, ...]


# The public records of each workspace, kept per database while the workspace's fingerprint stays.
MAX_CACHED_WORKSPACES = 16
_lock = threading.Lock()
_public: weakref.WeakKeyDictionary[Engine, OrderedDict[int, tuple[tuple[Any, ...], Searchable]]] = (
    weakref.WeakKeyDictionary()
)


def public_searchable(session: Session, workspace_id: int) -> Searchable:
    """What every asker of the workspace searches: the public projects' records.

    Reading 11,000 record texts costs more than embedding the question, so they are kept until the
    workspace's fingerprint changes (`directory_fingerprint`: every change made through Liaison is
    audited and changes it).

    Args:
        session: The request's session.
        workspace_id: The workspace.

    Returns:
        The records and their texts.
    """
    fingerprint = directory_fingerprint(session, workspace_id)
    bind = session.get_bind()
    engine = bind.engine if isinstance(bind, Connection) else bind if isinstance(bind, Engine) else None
    if engine is not None:
        with _lock:
            found = _public.get(engine, OrderedDict()).get(workspace_id)
            if found is not None and found[0] == fingerprint:
                return found[1]
    # Any actor of the workspace sees its public projects; no person, no admin rights.
    anyone = Actor("", workspace_id, None, False, ZoneInfo("UTC"))
    records = tuple(search_records(session, anyone, private=False))
    searchable = Searchable(records, tuple(text for text, _, _ in records))
    if engine is not None:
        with _lock:
            cache = _public.setdefault(engine, OrderedDict())
            cache[workspace_id] = (fingerprint, searchable)
            cache.move_to_end(workspace_id)
            while len(cache) > MAX_CACHED_WORKSPACES:
                cache.popitem(last=False)
    return searchable


def _ranked(request: AnswerRequest, query: str, parts: list[Searchable]) -> list[tuple[int, float]]:
    """(index into the parts' records, one after the other; score) of the best three hits."""
    hits: list[tuple[int, float]] = []
    offset = 0
    for part in parts:
        if request.embedder is not None:
            floor = thresholds(request.embedder.model_name).record_search
            found = [
                (i, s) for i, s in rank_texts(request.embedder, query, part.texts, top_k=3) if s >= floor
            ]
        else:
            found = [(i, keyword_score(query, t)) for i, t in enumerate(part.texts)]
            found = [(i, s) for i, s in found if s >= KEYWORD_FLOOR]
        hits += [(offset + i, s) for i, s in found]
        offset += len(part.records)
    return sorted(hits, key=lambda x: (-x[1], x[0]))[:3]


def answer_search(request: AnswerRequest) -> Answer:
    """Answer a question no intent fits with the records closest to it, saying Liaison is unsure.

    Args:
        request: The question.

    Returns:
        The answer.
    """
    b = AnswerBuilder(Intent.SEARCH)
    query = request.entities.topic or request.interpretation.text
    parts = [public_searchable(request.session, request.actor.workspace_id)]
    if any(p.private for p in request.directory.projects):
        # The asker's private projects (by the access rule, on this question), searched apart.
        own = tuple(search_records(request.session, request.actor, private=True))
        parts.append(Searchable(own, tuple(text for text, _, _ in own)))
    records = [record for part in parts for record in part.records]
    hits = _ranked(request, query, parts)
    if not hits:
        b.line("I don't know how to answer that from the project records. Ask me “help” for examples.")
        return b.build(unsure=True)
    b.line("I'm not sure exactly what you're asking; these records look closest:")
    for index, _ in hits:
        _, kind, record_id = records[index]
        record = request.session.get(kind, record_id)
        if isinstance(record, Project):
            b.line("• ", record.name, " (", b.project(record), f") — {STATUS_LABELS[record.status]}")
        elif isinstance(record, Milestone):
            b.line("• ", *b.milestone_segments(record, request.now, with_project=True))
        elif isinstance(record, Blocker):
            b.line("• ", *b.blocker_segments(record))
    return b.build(unsure=True)
