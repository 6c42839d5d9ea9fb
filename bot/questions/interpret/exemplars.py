"""Exemplar questions per intent, and how close a question is to each intent's nearest exemplar.

The embedding second opinion of `bot.questions.interpret.intents.decide`: `bot.questions.search`
embeds the exemplars once and compares each (masked) question with them through `rank_intents`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from bot.questions.interpret.intents import Intent

# Exemplar questions per intent, for the embedding second opinion. Entity slots are written as the
# placeholders `bot.questions.interpret.intents` masks names with before asking ("the project", "this
# person", "the milestone", "this field").
INTENT_EXEMPLARS: tuple[tuple[Intent, str], ...] = (
    (Intent.HELP, "what can you do"),
    (Intent.HELP, "how do I use you"),
    (Intent.HELP, "what questions can I ask"),
    (Intent.PROJECT_STATUS, "what is the status of the project"),
    (Intent.PROJECT_STATUS, "how is the project going"),
    (Intent.PROJECT_STATUS, "give me an update on the project"),
    (Intent.PROJECT_STATUS, "is the project on track"),
    (Intent.NEXT_MILESTONE, "what is the next milestone of the project"),
    (Intent.NEXT_MILESTONE, "what is due next week"),
    (Intent.NEXT_MILESTONE, "what deadlines are coming up"),
    (Intent.NEXT_MILESTONE, "what deliverables are planned this month"),
    (Intent.OVERDUE, "what is overdue"),
    (Intent.OVERDUE, "which milestones are late"),
    (Intent.OVERDUE, "what did we miss"),
    (Intent.OVERDUE, "which deliverables are behind schedule"),
    (Intent.LEAD, "who leads the project"),
    (Intent.LEAD, "who is in charge of the project"),
    (Intent.LEAD, "who runs the project"),
    (Intent.MEMBERS, "who is on the project"),
    (Intent.MEMBERS, "who works on the project"),
    (Intent.MEMBERS, "who are the members of the project team"),
    (Intent.BLOCKED, "what is blocked"),
    (Intent.BLOCKED, "what is blocking the project"),
    (Intent.BLOCKED, "which projects are stuck"),
    (Intent.WAITING_ON, "what is waiting on me"),
    (Intent.WAITING_ON, "what do I owe"),
    (Intent.WAITING_ON, "what is this person responsible for"),
    (Intent.WAITING_ON, "what tasks does this person have to deliver"),
    (Intent.WHEN_MILESTONE, "when is the milestone due"),
    (Intent.WHEN_MILESTONE, "what is the deadline for the milestone"),
    (Intent.WHEN_MILESTONE, "when will the milestone be ready"),
    (Intent.PERSON_PROJECTS, "which projects is this person on"),
    (Intent.PERSON_PROJECTS, "what is this person working on"),
    (Intent.PERSON_PROJECTS, "what am I working on"),
    (Intent.PERSON_PROJECTS, "who is this person"),
    (Intent.DISCIPLINE_PROJECTS, "which projects involve this field"),
    (Intent.DISCIPLINE_PROJECTS, "which projects have economists"),
    (Intent.DISCIPLINE_PROJECTS, "projects with people from this field"),
    (Intent.EXPERTS, "who knows about differential privacy"),
    (Intent.EXPERTS, "who is an expert in auction theory"),
    (Intent.EXPERTS, "who can help me with causal inference"),
    (Intent.EXPERTS, "who should I ask about consent law"),
    (Intent.LEAVING, "who is leaving soon"),
    (Intent.LEAVING, "whose last day is coming up"),
    (Intent.LIST_PROJECTS, "list all projects"),
    (Intent.LIST_PROJECTS, "which projects are there"),
    (Intent.LIST_PROJECTS, "how many projects do we have"),
)


def rank_intents(
    question_vector: np.ndarray, exemplar_vectors: np.ndarray, exemplar_intents: Sequence[Intent]
) -> dict[Intent, float]:
    """Cosine similarity of a question to the nearest exemplar of each intent.

    Args:
        question_vector: The question's L2-normalised embedding, shape (d,).
        exemplar_vectors: The exemplars' L2-normalised embeddings, shape (n, d), in the order of
            `exemplar_intents`.
        exemplar_intents: The intent of each exemplar.

    Returns:
        Intent → best similarity (-1..1).
    """
    scores = exemplar_vectors @ question_vector.astype(np.float32)
    best: dict[Intent, float] = {}
    for intent, score in zip(exemplar_intents, scores.tolist(), strict=True):
        best[intent] = max(best.get(intent, -1.0), float(score))
    return best
