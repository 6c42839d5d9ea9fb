"""The one expert ranker: `/expert`, the App Home button and "who knows about X?" all rank with it.

`rank_people` ranks a workspace's index (`bot.experts.index`) for a need; every surface calls it:
`find_experts` (through `rank_search`) for `/expert`, `rank_topic` for questions. So both rank with
the same texts, aggregation, relevance floor and diversity, and say the same thing about a topic.

- **Meaning and words.** A person's score is the mean of their three best profile items' similarities
  to the need, each item's being its embedding cosine plus LEXICAL_WEIGHT times its TF-IDF cosine
  (`bot.domain.experts.lexical`: rare exact terms count), picked with a little diversity so five
  suggestions are not five people of one discipline (`bot.domain.experts`).
- **Words.** A profile text holding most of a short need's words (typos and word forms allowed) is a
  keyword match (`bot.domain.experts.keywords`): it adds to the person's score and lets them through
  the floor, so exact technical terms ("Kafka", "GDPR") stay on top. Without a model (a question
  answered by rules alone) keywords are all the ranking has.
- **Floor.** People scoring below `calibrated_floor(embedder)` by meaning (`bot.experts.embeddings.floor`:
  measured for the loaded model on first use, not looked up by its name) are not suggested, so a
  need nobody in the directory fits says "nobody matched" instead of listing whoever is least far off.
- **Caps.** People at their weekly intro-request cap (`bot.experts.intros.caps`) are ranked after
  everyone else and say when they can be asked again; people with a cap of 0 say they take no requests.
- **Hidden profiles** are never in an index at all, so neither they nor their texts can appear.
- **Explanations.** Discipline, organisation and sector; the one or two profile items closest in
  meaning; and for a project, the project sentence (a description sentence, an open milestone title
  or an open blocker) this person matches in particular (`bot.domain.experts.explanations`), so
  different people quote different sentences.

No Slack imports: `bot/slack/expert_blocks.py` renders, `handlers/experts/` delivers.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime

import numpy as np
from sqlalchemy.orm import Session, sessionmaker

from bot.access import Requester, act_as
from bot.domain.experts.explanations import matched_sentences
from bot.domain.experts.index import with_over_cap
from bot.domain.experts.lexical import DEFAULT_LEXICAL_WEIGHT
from bot.domain.experts.profiles import ExpertMatch
from bot.domain.experts.ranking import rank_by_keywords, rank_indexed_experts
from bot.domain.experts.sentences import RERANK_POOL, sentence_rerank_index
from bot.errors import UserFacingError
from bot.experts.embeddings.floor import calibrated_floor
from bot.experts.embeddings.protocol import Embedder, EmbedderLoadError, is_ready
from bot.experts.expert_command import ExpertCommand
from bot.experts.index import (
    ExpertIndexCache,
    WorkspaceExpertIndex,
    embed_expert_index,
    keyword_expert_index,
)
from bot.experts.intros.caps import cap_status, effective_cap, recent_request_times
from bot.experts.search import PreparedSearch, prepare_search
from bot.settings import Settings

logger = logging.getLogger(__name__)

# Wait this long, silently, for a loading model before telling the asker; then at most MODEL_WAIT.
QUIET_WAIT = 1.5
MODEL_WAIT = 60.0
# A plain-language answer names this many people; `/expert` lists `settings.expert_suggestions`.
TOPIC_EXPERTS = 3
# Weight of the lexical (TF-IDF) cosine in the hybrid score (chosen on the dev folds, docs/benchmarks.md).
LEXICAL_WEIGHT = DEFAULT_LEXICAL_WEIGHT


@dataclass(frozen=True)
class Need:
    """What to rank people for, and who may not be suggested.

    Attributes:
        text: The need as typed (or a project's text); keyword matches are looked for in it.
        vector: Its embedding by the index's model; None ranks by keywords alone.
        top_k: Suggestions wanted.
        floor: The relevance floor on the score from meaning (`calibrated_floor` of the embedder).
        exclude_people: Slack ids never suggested.
        exclude_disciplines: Disciplines never suggested (case-insensitive).
        over_cap: Slack ids at their weekly cap: ranked after everyone else.
        sentences: For a long need (a project), the vectors of its sentences: matched sentence by
            sentence as well as as a whole; None (or one row) for a short need.
    """

    text: str
    vector: np.ndarray | None
    top_k: int
    floor: float
    exclude_people: frozenset[str] = frozenset()
    exclude_disciplines: tuple[str, ...] = ()
    over_cap: frozenset[str] = frozenset()
    sentences: np.ndarray | None = None


def rank_people(workspace_index: WorkspaceExpertIndex, need: Need) -> list[ExpertMatch]:
    """The one ranking: the people of `workspace_index` who best fit `need`, best first.

    Args:
        workspace_index: The workspace's listed people, their item vectors and texts.
        need: What they are ranked for.

    Returns:
        Up to `need.top_k` matches, people at their cap last.
    """
    keyword_matches = workspace_index.keywords.matches(need.text)
    if need.vector is None:
        profiles = [
            replace(profile, over_cap=profile.person_id in need.over_cap)
            for profile in workspace_index.profiles
        ]
        return rank_by_keywords(
            profiles,
            keyword_matches,
            top_k=need.top_k,
            exclude_person_ids=need.exclude_people,
            exclude_disciplines=need.exclude_disciplines,
        )
    boost = None
    if workspace_index.lexical is not None and LEXICAL_WEIGHT:
        # Hybrid scoring: each item's TF-IDF cosine with the need, added to its embedding similarity.
        boost = LEXICAL_WEIGHT * workspace_index.lexical.similarities(need.text)
    index = with_over_cap(workspace_index.index, need.over_cap)
    if need.sentences is not None and len(need.sentences) > 1:
        # A long need: the whole text retrieves a pool (floor, exclusions and caps applied), and
        # sentence-level similarities re-rank it (`bot.domain.experts.sentences`).
        pool = rank_indexed_experts(
            need.vector,
            index,
            item_boost=boost,
            top_k=RERANK_POOL,
            exclude_person_ids=need.exclude_people,
            exclude_disciplines=need.exclude_disciplines,
            diversity_lambda=0.0,
            min_score=need.floor,
            keyword_matches=keyword_matches,
        )
        if not pool:
            return []
        index, boost = sentence_rerank_index(
            index, [match.person.person_id for match in pool], need.vector, need.sentences, boost
        )
    return rank_indexed_experts(
        need.vector,
        index,
        item_boost=boost,
        top_k=need.top_k,
        exclude_person_ids=need.exclude_people,
        exclude_disciplines=need.exclude_disciplines,
        min_score=need.floor,
        keyword_matches=keyword_matches,
    )


@dataclass(frozen=True)
class Suggestion:
    """One suggested expert with why they were suggested.

    Attributes:
        slack_id: Who.
        name: Their name.
        title: Their job title.
        discipline: Their discipline.
        organisation: Their organisation.
        sector: Academia or industry.
        score: Their relevance score.
        matched: Labels of the one or two profile items that matched best.
        project_text: For a project search, the project's text most similar to their best item.
        over_cap: At their weekly intro-request cap (listed after everyone else).
        accepts_requests: False for a cap of 0.
        available_after: When an over-cap person can be asked again.
    """

    slack_id: str
    name: str
    title: str | None
    discipline: str
    organisation: str
    sector: str
    score: float
    matched: tuple[str, ...]
    project_text: str | None
    over_cap: bool
    accepts_requests: bool
    available_after: datetime | None


@dataclass(frozen=True)
class SearchResult:
    """A ranked answer to a search."""

    search: PreparedSearch
    suggestions: tuple[Suggestion, ...]


class ModelUnavailable(UserFacingError):
    """The embedding model is not configured, failed to load, or is still loading after the wait."""


def rank_search(
    session_factory: sessionmaker[Session],
    embedder: Embedder,
    indexes: ExpertIndexCache,
    search: PreparedSearch,
    *,
    now: datetime,
    top_k: int,
    default_cap: int,
    min_score: float | None = None,
) -> SearchResult:
    """Rank the directory for a prepared search. Blocks while profiles are embedded: call after the ack.

    Args:
        session_factory: The database.
        embedder: A loaded model (the index's vectors are of its `model_name`).
        indexes: The process's expert indexes.
        search: From `prepare_search`.
        now: For the weekly caps (and vectors written by a sync).
        top_k: Suggestions wanted.
        default_cap: The workspace's weekly cap for people without their own.
        min_score: The relevance floor; None: `calibrated_floor` of the embedder.

    Returns:
        Up to `top_k` suggestions, best first, people at their cap last.
    """
    workspace_index = indexes.get(session_factory, embedder, search.workspace_id, now=now)
    segments = search.project.segments if search.project is not None else ()
    vectors = embedder.embed([search.query_text, *segments])
    query_vector, segment_vectors = vectors[0], vectors[1:]

    people = workspace_index.people
    with session_factory() as session:
        times = recent_request_times(session, search.workspace_id, now)
    statuses = {
        slack_id: cap_status(effective_cap(person.weekly_request_cap, default_cap), times.get(person.id, ()))
        for slack_id, person in people.items()
    }
    need = Need(
        text=search.query_text,
        vector=query_vector,
        top_k=top_k,
        floor=calibrated_floor(embedder) if min_score is None else min_score,
        exclude_people=search.exclude_people,
        exclude_disciplines=search.exclude_disciplines,
        over_cap=frozenset(slack_id for slack_id, status in statuses.items() if status.over_cap),
        sentences=segment_vectors if len(segments) > 1 else None,
    )
    suggestions = []
    matches = rank_people(workspace_index, need)
    # The project sentence each person matches in particular: "you need X; they wrote Y".
    quoted = matched_sentences(
        segment_vectors,
        [np.array([m.item.vector for m in match.matched_items], dtype=np.float32) for match in matches],
    )
    for match, sentence in zip(matches, quoted, strict=True):
        person = people[match.person.person_id]
        status = statuses[person.slack_id]
        project_text = segments[sentence] if sentence is not None else None
        suggestions.append(
            Suggestion(
                slack_id=person.slack_id,
                name=person.name,
                title=person.title,
                discipline=person.discipline,
                organisation=person.organisation,
                sector=person.sector,
                score=match.score,
                matched=tuple(matched.item.text for matched in match.matched_items),
                project_text=project_text,
                over_cap=status.over_cap,
                accepts_requests=status.accepts_requests,
                available_after=status.available_after,
            )
        )
    return SearchResult(search, tuple(suggestions))


@dataclass(frozen=True)
class TopicExpert:
    """A person who knows about a topic, as a plain-language answer names them.

    Attributes:
        slack_id: Who.
        name: Their name.
        discipline: Their discipline ("" if none).
        organisation: Their organisation ("" if none).
        reason: The profile text that fits best: the one holding the topic's words, else the item that
            matched best by meaning.
    """

    slack_id: str
    name: str
    discipline: str
    organisation: str
    reason: str


def rank_topic(
    session: Session,
    embedder: Embedder | None,
    workspace_id: int,
    topic: str,
    *,
    top_k: int = TOPIC_EXPERTS,
    exclude_disciplines: tuple[str, ...] = (),
    exclude_people: frozenset[str] = frozenset(),
) -> list[TopicExpert]:
    """Who knows about `topic`: `rank_people` over the workspace, for a question asked in plain words.

    Nobody is left out but hidden profiles (never in an index) and people of `exclude_disciplines`
    ("who outside our disciplines…"), and nobody is at a cap: a question names people, it does not
    ask them for anything.

    Args:
        session: The question's session (read only).
        embedder: A loaded model; None ranks by keywords alone (the question is answered by rules).
        workspace_id: The asker's workspace.
        topic: What the asker wants to know about.
        top_k: How many people to name.
        exclude_disciplines: Disciplines whose people are never named (case-insensitive), as
            `/expert <project>` leaves out the project's own.
        exclude_people: Slack ids never named (the asker and their team, for "outside our …").

    Returns:
        Up to `top_k` people, best first.
    """
    if embedder is None:
        workspace_index = keyword_expert_index(session, workspace_id)
        vector, floor = None, 0.0
    else:
        workspace_index = embed_expert_index(session, embedder, workspace_id)
        vector, floor = embedder.embed([topic])[0], calibrated_floor(embedder)
    need = Need(
        text=topic,
        vector=vector,
        top_k=top_k,
        floor=floor,
        exclude_people=exclude_people,
        exclude_disciplines=exclude_disciplines,
    )
    experts = []
    for match in rank_people(workspace_index, need):
        person = workspace_index.people[match.person.person_id]
        best_item = match.matched_items[0].item.text if match.matched_items else ""
        experts.append(
            TopicExpert(
                slack_id=person.slack_id,
                name=person.name,
                discipline=person.discipline,
                organisation=person.organisation,
                reason=match.keyword_text or best_item,
            )
        )
    return experts


def wait_for_model(embedder: Embedder, on_wait: Callable[[], None] | None = None) -> None:
    """Return once `embedder` can embed; call `on_wait` once if that takes more than QUIET_WAIT.

    Raises:
        ModelUnavailable: The model failed to load, or is still loading after MODEL_WAIT more seconds.
    """
    if is_ready(embedder):
        return
    wait: Callable[[float | None], bool] | None = getattr(embedder, "wait_ready", None)
    if wait is None:
        return
    try:
        # Read at call time (not as default arguments) so tests can shorten the waits.
        loaded = wait(QUIET_WAIT)
        if not loaded:
            if on_wait is not None:
                on_wait()
            loaded = wait(MODEL_WAIT)
    except EmbedderLoadError:
        logger.exception("the embedding model failed to load; expert suggestions are unavailable")
        raise ModelUnavailable(
            "Expert suggestions are unavailable: the language model could not be loaded. "
            "An admin can find the reason in Liaison's log."
        ) from None
    if not loaded:
        raise ModelUnavailable("The language model is still loading. Please try again in a minute.")


def find_experts(
    session_factory: sessionmaker[Session],
    settings: Settings,
    embedder: Embedder | None,
    indexes: ExpertIndexCache,
    command: ExpertCommand,
    *,
    requester: Requester,
    now: datetime,
    on_wait: Callable[[], None] | None = None,
) -> SearchResult:
    """Answer `/expert` (or the Home button) for one user: prepare, wait for the model, rank.

    Args:
        session_factory: The database.
        settings: Admins, fallback zone, number of suggestions, default weekly cap.
        embedder: The model; None when the deployment has none.
        indexes: The process's expert indexes.
        command: A text or project command.
        requester: Who asks.
        now: The current instant.
        on_wait: Called once if the answer has to wait for the model to load.

    Returns:
        The suggestions.

    Raises:
        UserFacingError: A bad command, an invisible or unknown project (`NotFound`, possibly with
            "did you mean" alternatives), or no model (`ModelUnavailable`).
    """
    with session_factory() as session:
        search = prepare_search(session, act_as(session, settings, requester), command)
    if embedder is None:
        raise ModelUnavailable(
            "Expert suggestions need the language model, and this Liaison runs without one. "
            "An admin can turn it on (see docs/experts.md)."
        )
    wait_for_model(embedder, on_wait)
    return rank_search(
        session_factory,
        embedder,
        indexes,
        search,
        now=now,
        top_k=settings.expert_suggestions,
        default_cap=settings.expert_weekly_request_cap,
    )
