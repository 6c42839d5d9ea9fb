"""Answers to "who knows about …": the people the one expert ranker finds for a topic.

The ranking is `/expert`'s (`bot.experts.ranking.rank_topic`): the same profile texts, aggregation,
per-model relevance floor, diversity and keyword matches, over the asker's workspace. Hidden profiles
are never in its index, so they are never offered, nor are their texts quoted. Without a model (rules
alone) the ranker matches keywords only.

Two names are used elsewhere: `keyword_score` / `KEYWORD_FLOOR` (the keyword fallback of
`fallback_search`, the ranker's keyword rule applied to one record text) and `profile_texts` (the
texts `warm_up` embeds ahead of time, which are the ones the ranker embeds).
"""

from __future__ import annotations

from bot.domain.experts.keywords import KEYWORD_MATCH, keyword_share
from bot.experts.profile_items import profile_items
from bot.experts.ranking import rank_topic
from bot.models import Person
from bot.projects.reports import PersonRef
from bot.questions.answers.core import Answer, AnswerBuilder, AnswerRequest, Segment
from bot.questions.interpret import Intent

# Keyword overlap (`keyword_score`, 0-100) at or above this counts as a match, as in the ranker.
KEYWORD_FLOOR = 100.0 * KEYWORD_MATCH
# How much of the best-fitting profile text an answer quotes.
MAX_REASON = 140


def profile_texts(person: Person) -> list[tuple[str, str]]:
    """The texts the expert ranker embeds for a person: expertise, and each publication with abstract.

    Args:
        person: A person, with publications loaded.

    Returns:
        (kind, text) pairs, kind being "expertise" or "publication".
    """
    return [(item.kind, item.text) for item in profile_items(person)]


def answer_experts(request: AnswerRequest) -> Answer:
    """Answer "who knows about …?": the three listed people whose profiles fit the topic best.

    Args:
        request: The question.

    Returns:
        The answer.
    """
    b = AnswerBuilder(Intent.EXPERTS)
    topic = request.entities.topic.strip()
    if not topic:
        return Answer(
            Intent.EXPERTS, (("Who knows about what? Ask e.g. “who knows about auction theory?”",),)
        )
    experts = rank_topic(request.session, request.embedder, request.actor.workspace_id, topic)
    if not experts:
        b.line(f"I couldn't find anyone whose profile mentions “{topic}”.")
        return b.build()
    b.line(f"People who know about “{topic}”:")
    for expert in experts:
        details = ", ".join(x for x in (expert.discipline, expert.organisation) if x)
        line: list[Segment] = ["• ", PersonRef(expert.slack_id, expert.name)]
        if details:
            line.append(f" — {details}")
        if expert.reason:
            line.append(f": “{_shorten(expert.reason, MAX_REASON)}”")
        b.line(*line)
    return b.build()


def _shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def keyword_score(query: str, text: str) -> float:
    """Share of the query's words found (allowing typos and word forms) in `text`, 0..100.

    Args:
        query: What is looked for; words of two letters or fewer are ignored.
        text: Where it is looked for.

    Returns:
        100 when every word is found, 0 when none is.
    """
    return 100.0 * keyword_share(query, text)
