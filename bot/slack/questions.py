"""Plain-language questions: question → interpretation → answer from the records → reply.

No Slack calls are made here; `bot.slack.answer_publisher` (and the handlers) deliver the reply. The
embedding model may still be loading when a question arrives: a question the phrase rules understand
confidently is answered at once; otherwise the caller's `on_wait` is told (to post a "thinking…"
note) and the answer waits, off the request path, for the model.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy.orm import Session

from bot.access import Actor, Requester, act_as
from bot.agreements.questions import about_the_agreements_listed, answer_agreement_question, asked_again_about
from bot.conversations.followups import other_subject, resolve_follow_up
from bot.conversations.memory import ConversationKey, Turn, load_turn, save_turn, turn_of
from bot.domain.dates.ranges import find_date_range
from bot.domain.matching import fold
from bot.errors import UserFacingError
from bot.experts.embeddings.cache import CachingEmbedder
from bot.experts.embeddings.protocol import EmbedderLoadError
from bot.publications.questions import about_the_papers_listed, answer_paper_question
from bot.publications.replan import paper_ref
from bot.questions.answers.core import Answer
from bot.questions.answers.directory import load_directory
from bot.questions.answers.dispatch import build_answer
from bot.questions.answers.how_to import HOW_TO
from bot.questions.interpret import (
    DirectoryIndex,
    Intent,
    Interpretation,
    index_directory,
    interpret,
    projects_named,
)
from bot.questions.interpret.compound import POINTER, split_two_questions, with_subject
from bot.questions.llm import LlmPhraser
from bot.questions.search import intent_similarity
from bot.services import Services
from bot.slack.agreement_blocks import build_agreement_answer
from bot.slack.answer_blocks import answer_plain_text, build_answer_reply
from bot.slack.blocks import Reply, build_error_reply
from bot.slack.paper_blocks import build_paper_answer

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
        conversation_ts: The conversation whose earlier answers follow-ups resolve against: the
            thread's ts, or "" for the top level of a DM. None (e.g. /ask) remembers nothing.
        context_channel_id: The channel the asker is looking at, when the question was asked
            elsewhere (an assistant thread): its project is "this project".
    """

    text: str
    user_id: str
    team_id: str | None
    channel_id: str | None = None
    thread_ts: str | None = None
    bot_user_id: str | None = None
    conversation_ts: str | None = None
    context_channel_id: str | None = None


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

    With `question.conversation_ts` set, the asker's previous answer in that conversation (a day at
    most, from the database) resolves follow-ups ("and who owns it?", `bot.conversations.followups`),
    and this answer is remembered in its place.

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
    outcome, memo = _answer(services, question, embedder if ready else None, read_thread)
    if not (embedder is None or ready or outcome.interpretation is None or outcome.interpretation.confident):
        outcome, memo = _answer_with_model(services, question, embedder, read_thread, on_wait, outcome, memo)
    if memo is not None:
        # Remembered once, after the final answer: a second reading (with the model) must resolve
        # against the same previous turn as the first.
        with services.session_factory.begin() as session:
            save_turn(session, memo.key, memo.turn, services.clock.now())
    return outcome


@dataclass(frozen=True)
class _Memo:
    key: ConversationKey
    turn: Turn


def _answer_with_model(
    services: Services,
    question: Question,
    embedder: CachingEmbedder,
    read_thread: ThreadReader | None,
    on_wait: Callable[[], None] | None,
    outcome: QuestionOutcome,
    memo: _Memo | None,
) -> tuple[QuestionOutcome, _Memo | None]:
    # Rules were unsure and the model is still loading: wait for it (we are past the ack).
    try:
        loaded = embedder.wait_ready(QUIET_WAIT)
        if not loaded:
            if on_wait is not None:
                on_wait()
            loaded = embedder.wait_ready(MODEL_WAIT)
    except EmbedderLoadError:
        logger.exception("embedding model failed to load; answering with rules alone")
        return outcome, memo
    if not loaded:
        return outcome, memo
    return _answer(services, question, embedder, read_thread)


def _answer(
    services: Services,
    question: Question,
    embedder: CachingEmbedder | None,
    read_thread: ThreadReader | None,
) -> tuple[QuestionOutcome, _Memo | None]:
    settings = services.settings
    now = services.clock.now()
    similarity = intent_similarity(embedder) if embedder is not None else None
    channel_id = question.context_channel_id or question.channel_id
    try:
        with services.session_factory() as session:
            actor = act_as(session, settings, Requester(user_id=question.user_id, team_id=question.team_id))
            key = conversation_key(question, actor)
            previous = load_turn(session, key, now) if key is not None else None
            # Agreements (bot.agreements.questions) are recognised before the general interpreter;
            # "what about pcm?" after an agreement answer asks the same of pcm.
            asked = question.text
            other = other_subject(asked, question.bot_user_id) if previous and previous.asked else None
            if (
                previous is not None
                and other is not None
                and _names_a_project_or_period(session, actor, other, now)
            ):
                asked = asked_again_about(previous.asked, previous.projects, other)
            elif previous is not None and previous.agreements:
                # "is it signed?", "which one is not signed?": of the agreements just listed.
                asked = about_the_agreements_listed(asked, previous.agreements) or asked

            def projects_in(text: str) -> list[str]:
                return projects_named(text, index_directory(load_directory(session, actor)))

            # "how do I add a paper?", "how do I record that the DUA is signed?": the commands, not
            # the papers or agreements (help, in the general interpreter).
            how_to = HOW_TO.match(" ".join(asked.lower().replace("’", "'").split())) is not None
            agreements = (
                None
                if how_to
                else answer_agreement_question(
                    session, actor, asked, now, channel_id=channel_id, projects_in=projects_in
                )
            )
            if agreements is not None:
                reply = build_agreement_answer(agreements, now.astimezone(actor.zone).date())
                listed = tuple(view.key for view in agreements.agreements)
                memo = Turn(intent="agreements", projects=agreements.projects, asked=asked, agreements=listed)
                outcome = QuestionOutcome(reply=reply, private=agreements.private)
                return outcome, (_Memo(key, memo) if key is not None else None)
            # Joint papers (bot.publications.questions) likewise: "paper(s)" or a paper id (`fatigue-p1`);
            # "when is it due?" after a paper answer asks of the papers it listed.
            about_papers = question.text
            if previous is not None and previous.papers:
                about_papers = about_the_papers_listed(question.text, previous.papers) or question.text
            if (
                not how_to
                and (
                    papers := answer_paper_question(session, actor, about_papers, now, channel_id=channel_id)
                )
                is not None
            ):
                reply = build_paper_answer(papers, actor.zone, now)
                listed = tuple(paper_ref(dates.paper) for dates in papers.papers)
                if (
                    previous is not None
                    and about_papers != question.text
                    and set(listed) <= set(previous.papers)
                ):
                    listed = previous.papers  # "the second one" after "the first one": of the same list
                memo = Turn(intent="papers", papers=listed)
                outcome = QuestionOutcome(reply=reply, private=papers.private)
                return outcome, (_Memo(key, memo) if key is not None and listed else None)
            directory = load_directory(session, actor)
            index = index_directory(directory)
            remembered = _remembered_projects(previous, index)

            def understand(text: str = question.text, context: Sequence[str] = ()) -> Interpretation:
                return interpret(
                    text,
                    index,
                    now=now,
                    zone=actor.zone,
                    channel_id=channel_id,
                    context_projects=context,
                    bot_user_id=question.bot_user_id,
                    similarity=similarity,
                )

            parts = split_two_questions(question.text)
            two = _read_two(parts, understand, remembered) if parts is not None else None
            if parts is not None and two is not None:
                # "who leads pcm and what's next?": each part answered, one after the other.
                first, second = two
                answer = _answer_both(
                    parts,
                    [
                        build_answer(
                            session,
                            actor,
                            reading,
                            now,
                            directory=directory,
                            embedder=embedder,
                            commands=settings.commands,
                        )
                        for reading in (first, second)
                        if reading is not None
                    ],
                )
                interpretation = second or first
            else:
                interpretation = understand()
                # A question that names a project nobody can see ("who leads zorbulon?") is answered as
                # such, not about the thread's or the previous answer's project.
                wants_context = not interpretation.unknown_name and (
                    interpretation.needs_project
                    or (interpretation.refers_to_context and not interpretation.entities.projects)
                )
                if wants_context:
                    # The thread's subject first (what was said there), then the previous answer's.
                    context = []
                    if read_thread is not None and question.thread_ts:
                        context = [k for text in read_thread() for k in projects_named(text, index)]
                    context = list(dict.fromkeys([*context, *remembered]))
                    if context:
                        interpretation = understand(context=context)
                if previous is not None:
                    follow_up = resolve_follow_up(
                        question.text,
                        interpretation,
                        previous,
                        index,
                        lambda text: understand(text, [*remembered, *interpretation.entities.projects]),
                        bot_user_id=question.bot_user_id,
                        channel_project=index.project_of_channel(channel_id),
                        zone=actor.zone,
                    )
                    if follow_up is not None and follow_up.interpretation is None:
                        return QuestionOutcome(
                            reply=build_error_reply(follow_up.message), private=False
                        ), None
                    if follow_up is not None and follow_up.interpretation is not None:
                        interpretation = follow_up.interpretation
                answer = build_answer(
                    session,
                    actor,
                    interpretation,
                    now,
                    directory=directory,
                    embedder=embedder,
                    commands=settings.commands,
                )
    except UserFacingError as error:
        # "Not set up" and the like name no project: they may be shown where the question was asked.
        return QuestionOutcome(reply=build_error_reply(error.message), private=False), None
    return _answered(services, question, actor, now, key, answer, interpretation)


def _answered(
    services: Services,
    question: Question,
    actor: Actor,
    now: datetime,
    key: ConversationKey | None,
    answer: Answer,
    interpretation: Interpretation,
) -> tuple[QuestionOutcome, _Memo | None]:
    """The reply to an answer, and what to remember of it."""
    settings = services.settings
    phrased = _phrase(services, question, answer, actor, now)
    reply = build_answer_reply(
        answer,
        actor.zone,
        now,
        settings.commands,
        phrased=phrased,
        phrased_by=_llm_model(services) if phrased else None,
    )
    outcome = QuestionOutcome(
        reply=reply, private=answer.private, answer=answer, interpretation=interpretation
    )
    turn = turn_of(interpretation, answer)
    # An answer that names nothing ("hello", "thanks") leaves the previous one to refer to.
    return outcome, (_Memo(key, turn) if key is not None and turn.refers_to_something else None)


# Answers whose milestones each name their owner.
_LISTS_OWNERS = frozenset({Intent.OVERDUE, Intent.NEXT_MILESTONE, Intent.WAITING_ON, Intent.WHEN_MILESTONE})
# Questions about a topic, which "and …" goes on describing rather than asking a second question.
_TOPIC_INTENTS = frozenset({Intent.EXPERTS, Intent.SEARCH, Intent.HELP})
# "who owns it?", "who is responsible for them?", "whose are they?": the owners of what was listed.
_ASKS_THE_OWNERS = re.compile(
    r"^\s*(?:who (?:owns|is responsible for|has got|has) (?:it|them|those|these|that|each)|"
    r"whose (?:is it|are they))",
    re.IGNORECASE,
)


def _read_two(
    parts: tuple[str, str],
    understand: Callable[[str, Sequence[str]], Interpretation],
    remembered: Sequence[str],
) -> tuple[Interpretation, Interpretation | None] | None:
    """Both parts of a two-question message, read; None when the first is unclear (the message is then
    read as one question). The second takes the first's subject when it names none or points at it; it
    is None when it stays unclear (the answer then says which part it left out)."""
    first = understand(parts[0], ())
    if first.needs_project and remembered:
        first = understand(parts[0], remembered)
    if not first.confident or first.alternatives or first.intent in _TOPIC_INTENTS:
        return None  # "who knows about privacy and what it means for ads" goes on about its topic
    if _ASKS_THE_OWNERS.match(parts[1]) and first.intent in _LISTS_OWNERS:
        return first, None  # "what's overdue and who owns it?": each milestone listed names its owner
    e = first.entities
    subject = (
        e.milestones[0]
        if len(e.milestones) == 1
        else " and ".join(e.projects)
        if e.projects
        else f"<@{e.people[0]}>"
        if len(e.people) == 1
        else ""
    )
    text = with_subject(parts[1], subject) if subject and POINTER.search(parts[1]) else parts[1]
    second = understand(text, e.projects or tuple(remembered))
    if not second.confident or second.alternatives or second.intent in (Intent.SEARCH, Intent.HELP):
        return first, None
    return first, second


def _answer_both(parts: tuple[str, str], answers: Sequence[Answer]) -> Answer:
    """One answer of the answers to each part, in order (or the first's, saying the second was left)."""
    first = answers[0]
    if len(answers) == 1:
        if _ASKS_THE_OWNERS.match(parts[1]) and any(s.kind == "milestone" for s in first.sources):
            return first  # "what's overdue and who owns it?": each milestone listed names its owner
        note = f"(That answers “{parts[0]}”; ask “{parts[1].rstrip('?')}?” on its own for the rest.)"
        return replace(first, lines=(*first.lines, (note,)))
    second = answers[1]
    sources = {s.ref: s for s in (*first.sources, *second.sources)}
    # "when is pcm-3 due and who owns it?": one answer says both, and is not said twice.
    lines = first.lines if set(second.lines) <= set(first.lines) else (*first.lines, *second.lines)
    return replace(
        first,
        lines=tuple(lines),
        sources=tuple(sources.values()),
        private=first.private or second.private,
        rest_from=second.rest_from,
    )


def _names_a_project_or_period(session: Session, actor: Actor, words: str, now: datetime) -> bool:
    """Whether "what about …" after an agreement answer names a project the asker may see ("pcm") or a
    period ("next year"): the same agreement question about it. Anything else ("what about Kwame?",
    "… fairdelivery?" from a non-member) is read on its own."""
    folded = fold(words)
    if find_date_range(folded, now=now, zone=actor.zone)[0] is not None:
        return True
    return any(folded in (p.key, fold(p.name)) for p in load_directory(session, actor).projects)


def conversation_key(question: Question, actor: Actor) -> ConversationKey | None:
    """Where the asker's previous turn is kept: their thread or DM (None where nothing is remembered)."""
    if question.conversation_ts is None or not question.channel_id:
        return None
    channel = question.channel_id
    return ConversationKey(actor.workspace_id, channel, question.conversation_ts, question.user_id)


def _remembered_projects(previous: Turn | None, index: DirectoryIndex) -> list[str]:
    """The previous answer's projects, as the default subject of a question that names none."""
    if previous is None:
        return []
    # An answer about one project makes it the subject; a list of several ("how many projects are
    # there?") makes none of them so: its first one is not what "our disciplines" or "it" mean next.
    subjects = list(dict.fromkeys(previous.projects)) or list(
        dict.fromkeys(r.project_key for r in previous.records)
    )
    if len(subjects) != 1:
        return []
    # Checked again: the asker may have left a private project since.
    return [k for k in subjects if index.has_project(k)]


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
