"""When no intent fits: the records closest to the question, with a note that Liaison is unsure.

Searches visible project names and descriptions, milestone titles and open blockers, by meaning when
the embedding model is there and by keywords otherwise.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.access import Actor, visible_condition
from bot.experts.embeddings.calibration import thresholds
from bot.models import Blocker, Milestone, Project
from bot.projects.project import STATUS_LABELS
from bot.questions.answers.core import Answer, AnswerBuilder, AnswerRequest
from bot.questions.answers.experts import KEYWORD_FLOOR, keyword_score
from bot.questions.interpret import Intent
from bot.questions.search import rank_texts

# Semantic search shows no hit below the model's `record_search` threshold (bot.experts.embeddings
# .calibration); the keyword fallback uses KEYWORD_FLOOR instead.


def search_records(session: Session, actor: Actor) -> list[tuple[str, type, int]]:
    """(text, model, id) of everything a search looks through: visible projects (name and
    description), their milestones and open blockers. Plain rows; the few shown are loaded later."""
    visible = visible_condition(actor)
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


def answer_search(request: AnswerRequest) -> Answer:
    """Answer a question no intent fits with the records closest to it, saying Liaison is unsure.

    Args:
        request: The question.

    Returns:
        The answer.
    """
    b = AnswerBuilder(Intent.SEARCH)
    query = request.entities.topic or request.interpretation.text
    records = search_records(request.session, request.actor)
    texts = [text for text, _, _ in records]
    if request.embedder is not None:
        floor = thresholds(request.embedder.model_name).record_search
        hits = [(i, s) for i, s in rank_texts(request.embedder, query, texts, top_k=3) if s >= floor]
    else:
        scored = [(i, keyword_score(query, t)) for i, t in enumerate(texts)]
        hits = sorted(((i, s) for i, s in scored if s >= KEYWORD_FLOOR), key=lambda x: (-x[1], x[0]))[:3]
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
