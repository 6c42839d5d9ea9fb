"""Plain-language questions: question → interpretation → answer from the records → reply.

No Slack calls are made here; `bot.slack.answer_publisher` (and the handlers) deliver the reply. The
embedding model may still be loading when a question arrives: a question the phrase rules understand
confidently is answered at once; otherwise the caller's `on_wait` is told (to post a "thinking…"
note) and the answer waits, off the request path, for the model.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.access import Actor, Requester, act_as
from bot.errors import UserFacingError
from bot.experts.embeddings.cache import CachingEmbedder
from bot.experts.embeddings.protocol import EmbedderLoadError
from bot.questions.answers.core import Answer
from bot.questions.answers.directory import load_directory
from bot.questions.answers.dispatch import build_answer
from bot.questions.interpret import Interpretation, index_directory, interpret, projects_named
from bot.questions.llm import LlmPhraser
from bot.questions.search import intent_similarity
from bot.services import Services
from bot.slack.answer_blocks import answer_plain_text, build_answer_reply
from bot.slack.blocks import Reply, build_error_reply

logger = logging.getLogger(__name__)

# Wait this long, silently, for a loading model before saying "thinking…"; then at most MODEL_WAIT.
QUIET_WAIT = 1.5
MODEL_WAIT = 60.0
# Interpreting a question costs time roughly linear in its length (fuzzy matching of every phrase
# against the directory): ~0.5 s of CPU at 8,000 characters. Real questions are a sentence or two.
MAX_QUESTION_CHARS = 1000


@dataclass(frozen=True)
class Question:
    """A question as it reached Liaison.

    Attributes:
        text: What was asked (Slack markup such as `<@U…>` included).
        user_id: Who asked.
        team_id: Their workspace.
        channel_id: Where (a project's channel makes that project the default subject).
        thread_ts: The thread it was asked in, if any (its earlier messages may name the subject).
        bot_user_id: Liaison's own user id, stripped from the text.
    """

    text: str
    user_id: str
    team_id: str | None
    channel_id: str | None = None
    thread_ts: str | None = None
    bot_user_id: str | None = None


@dataclass(frozen=True)
class QuestionOutcome:
    """The reply to a question, and whether only the asker may see it."""

    reply: Reply
    private: bool
    answer: Answer | None = None
    interpretation: Interpretation | None = None


ThreadReader = Callable[[], Sequence[str]]


def _embedder(services: Services) -> CachingEmbedder | None:
    embedder = services.embedder
    if embedder is None:
        return None
    # Serve and the demo wire a CachingEmbedder; a bare one (tests) is wrapped for this question only.
    return embedder if isinstance(embedder, CachingEmbedder) else CachingEmbedder(embedder)


def answer_question(
    services: Services,
    question: Question,
    *,
    read_thread: ThreadReader | None = None,
    on_wait: Callable[[], None] | None = None,
) -> QuestionOutcome:
    """Answer a question for its asker.

    Args:
        services: Settings, database, clock and (optionally) the embedder.
        question: The question.
        read_thread: Returns the texts of the thread's earlier messages, newest first; called only
            when the question needs a subject it does not name.
        on_wait: Called once if the answer has to wait for the embedding model to load.

    Returns:
        The reply; `private` when it names a private project (deliver it to the asker only).
    """
    if len(question.text) > MAX_QUESTION_CHARS:
        message = (
            f"That is a long question ({len(question.text):,} characters). Ask it in under "
            f"{MAX_QUESTION_CHARS:,}, e.g. “what is overdue on pcm?”."
        )
        return QuestionOutcome(reply=build_error_reply(message), private=False)
    embedder = _embedder(services)
    ready = embedder is not None and embedder.ready
    outcome = _answer(services, question, embedder if ready else None, read_thread)
    if embedder is None or ready or outcome.interpretation is None or outcome.interpretation.confident:
        return outcome
    # Rules were unsure and the model is still loading: wait for it (we are past the ack).
    try:
        loaded = embedder.wait_ready(QUIET_WAIT)
        if not loaded:
            if on_wait is not None:
                on_wait()
            loaded = embedder.wait_ready(MODEL_WAIT)
    except EmbedderLoadError:
        logger.exception("embedding model failed to load; answering with rules alone")
        return outcome
    if not loaded:
        return outcome
    return _answer(services, question, embedder, read_thread)


def _answer(
    services: Services,
    question: Question,
    embedder: CachingEmbedder | None,
    read_thread: ThreadReader | None,
) -> QuestionOutcome:
    settings = services.settings
    now = services.clock.now()
    similarity = intent_similarity(embedder) if embedder is not None else None
    try:
        with services.session_factory() as session:
            actor = act_as(session, settings, Requester(user_id=question.user_id, team_id=question.team_id))
            directory = load_directory(session, actor)
            index = index_directory(directory)

            def understand(context: Sequence[str] = ()) -> Interpretation:
                return interpret(
                    question.text,
                    index,
                    now=now,
                    zone=actor.zone,
                    channel_id=question.channel_id,
                    context_projects=context,
                    bot_user_id=question.bot_user_id,
                    similarity=similarity,
                )

            interpretation = understand()
            wants_context = interpretation.needs_project or (
                interpretation.refers_to_context and not interpretation.entities.projects
            )
            if wants_context and read_thread is not None and question.thread_ts:
                context = [key for text in read_thread() for key in projects_named(text, index)]
                if context:
                    interpretation = understand(context)
            answer = build_answer(session, actor, interpretation, now, directory=directory, embedder=embedder)
    except UserFacingError as error:
        # "Not set up" and the like name no project: they may be shown where the question was asked.
        return QuestionOutcome(reply=build_error_reply(error.message), private=False)
    phrased = _phrase(services, question, answer, actor, now)
    reply = build_answer_reply(
        answer,
        actor.zone,
        now,
        settings.commands,
        phrased=phrased,
        phrased_by=_llm_model(services) if phrased else None,
    )
    return QuestionOutcome(reply=reply, private=answer.private, answer=answer, interpretation=interpretation)


def _llm_model(services: Services) -> str | None:
    return services.settings.llm_model


def _phrase(
    services: Services, question: Question, answer: Answer, actor: Actor, now: datetime
) -> str | None:
    settings = services.settings
    if not settings.llm_base_url or not settings.llm_model or answer.unsure or not answer.sources:
        return None
    phraser = LlmPhraser(settings.llm_base_url, settings.llm_model, settings.llm_api_key)
    records = answer_plain_text(answer, actor.zone, now)
    return phraser.phrase(question.text, records, [s.ref for s in answer.sources])
