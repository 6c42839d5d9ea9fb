"""Expert suggestions for a need: `/expert TEXT`, `/expert project KEY`, and the App Home button.

A search is prepared from the database alone (`prepare_search`: who asks, what the query is, who and
which disciplines are left out), which needs no model, so a mistyped project is answered at once. It is
then ranked (`rank_search`) against the workspace's expert index (`bot.experts.index`) once the
embedding model is loaded (`find_experts` waits for it, telling the caller so it can say "looking…").

- **Query.** Free text as typed; or a project's name, description, open blockers and open milestones
  (by due date), in that order, as one text: the model reads at most 256 word pieces, and this order
  keeps what the project is about and what blocks it now ahead of later milestones.
- **Exclusions.** Never the asker. For a project, never anyone with a role on it (lead, member or
  viewer). Cross-disciplinary mode, the default for projects, also leaves out every discipline of its
  lead and members (viewers follow a project without working on it, so their discipline does not count
  as represented); ``/expert project KEY all-disciplines`` turns that off. Hidden profiles are never in
  the index at all, so neither they nor their texts can appear.
- **Caps.** People at their weekly intro-request cap (`bot.experts.intros`) are ranked after everyone else
  and say when they can be asked again; people with a cap of 0 say they take no requests.
- **Floor.** People scoring below `relevance_floor(model)` are not suggested, so a query about
  nothing in the directory says "nobody matched" instead of listing whoever is least far off. Cosine
  scales differ between models, so the floor is per model (see `RELEVANCE_FLOORS`).
- **Explanations.** Discipline, organisation and sector; the one or two profile items that matched
  best (`bot.domain.experts`); and for a project, the project text (a description sentence, an open
  milestone title or an open blocker) most similar to the person's best item.

No Slack imports: `bot/slack/expert_blocks.py` renders, `handlers/experts.py` delivers.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload, sessionmaker

from bot.access import Actor, load_actor, resolve_workspace
from bot.domain.experts import rank_indexed_experts, with_over_cap
from bot.errors import UserFacingError
from bot.experts.embeddings import Embedder, EmbedderLoadError, HashingEmbedder
from bot.experts.index import ExpertIndexCache
from bot.experts.intros import MAX_SUBJECT, cap_status, effective_cap, recent_request_times
from bot.models import Membership, MilestoneStatus, Project, Role
from bot.projects.project import find_project
from bot.questions.search import is_ready
from bot.settings import Settings

logger = logging.getLogger(__name__)

# Wait this long, silently, for a loading model before telling the asker; then at most MODEL_WAIT.
QUIET_WAIT = 1.5
MODEL_WAIT = 60.0

# `/expert project KEY all-disciplines`: include the disciplines already on the project.
ALL_DISCIPLINES = "all-disciplines"
HELP_WORDS = frozenset({"", "help", "-h", "--help", "?"})

# Relevance floors on a person's aggregated score (the mean of their three best items, the ranking's
# default), per model. all-MiniLM-L6-v2, measured on the dev set (tests/data/experts_dev.json: 42
# needs, 48 people) plus 19 off-topic queries ("sourdough bread recipe", "football match results",
# "xyzzy plugh", ...): the best off-topic score was 0.198, and no suggestion in a dev need's top 5
# that its person rated relevant (3-5 of 5) scored under 0.25. Every floor from 0.20 to 0.25 keeps all
# 107 of those and drops every off-topic suggestion; 0.22 sits inside that range with room both ways.
# The hashing embedder (tests, --fake-embedder) only counts shared words, stop words included, so no
# floor separates topics with it; 0.1 drops people who share almost nothing with the query.
DEFAULT_RELEVANCE_FLOOR = 0.22
RELEVANCE_FLOORS: dict[str, float] = {"all-MiniLM-L6-v2": 0.22, HashingEmbedder.model_name: 0.1}

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def relevance_floor(model_name: str) -> float:
    """The lowest score a suggestion may have under `model_name` (a local path: its last part)."""
    name = model_name.rstrip("/").rsplit("/", 1)[-1]
    return RELEVANCE_FLOORS.get(name, DEFAULT_RELEVANCE_FLOOR)


class ExpertMode(StrEnum):
    """What `/expert` was asked to do."""

    HELP = "help"
    TEXT = "text"
    PROJECT = "project"


@dataclass(frozen=True)
class ExpertCommand:
    """A parsed `/expert` line.

    Attributes:
        mode: Help, free text or project.
        query: The free text, or the project's key or name.
        all_disciplines: For a project: include the disciplines already on it.
    """

    mode: ExpertMode
    query: str = ""
    all_disciplines: bool = False

    @property
    def text(self) -> str:
        """The command text that means this again (for "did you mean" buttons)."""
        if self.mode is ExpertMode.PROJECT:
            return f"project {self.query}" + (f" {ALL_DISCIPLINES}" if self.all_disciplines else "")
        return self.query


def parse_expert_command(text: str) -> ExpertCommand:
    """Read what follows `/expert`.

    Syntax: ``TEXT`` (a need in plain words); ``project KEY`` (or the project's name, as in
    ``/project status``); ``project KEY all-disciplines`` (also suggest people from disciplines the
    project already has); ``help`` or nothing (usage).

    Args:
        text: The command's text.

    Returns:
        The parsed command.
    """
    words = " ".join(text.split())
    if words.lower() in HELP_WORDS:
        return ExpertCommand(ExpertMode.HELP)
    first, _, rest = words.partition(" ")
    if first.lower() != "project":
        return ExpertCommand(ExpertMode.TEXT, words)
    all_disciplines = False
    head, _, last = rest.rpartition(" ")
    if last.lower() == ALL_DISCIPLINES:
        rest, all_disciplines = head, True
    elif rest.lower() == ALL_DISCIPLINES:
        rest, all_disciplines = "", True
    return ExpertCommand(ExpertMode.PROJECT, rest.strip(), all_disciplines)


@dataclass(frozen=True)
class ProjectQuery:
    """The project a search is about, as the reply shows it.

    Attributes:
        key: Its key.
        name: Its name.
        private: Whether it is private (the reply is only ever shown to the asker, who may see it).
        segments: Its description sentences, open blockers and open milestone titles: the texts a
            suggestion's "project text" is chosen from.
    """

    key: str
    name: str
    private: bool
    segments: tuple[str, ...]


@dataclass(frozen=True)
class PreparedSearch:
    """Everything a search needs from the database, gathered before the model is needed.

    Attributes:
        workspace_id: The asker's workspace.
        requester: The asker's Slack id.
        zone: The asker's time zone (for "can be asked again after …").
        subject: The free text, or the project's name.
        query_text: What is embedded.
        project: The project, for project searches.
        exclude_people: Slack ids never suggested (the asker; a project's people).
        exclude_disciplines: Disciplines left out (cross-disciplinary mode), as written on profiles.
        all_disciplines: The asker opted into the project's own disciplines.
    """

    workspace_id: int
    requester: str
    zone: ZoneInfo
    subject: str
    query_text: str
    project: ProjectQuery | None
    exclude_people: frozenset[str]
    exclude_disciplines: tuple[str, ...]
    all_disciplines: bool

    @property
    def cross_disciplinary(self) -> bool:
        """Whether disciplines already on the project are left out."""
        return self.project is not None and not self.all_disciplines


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


def _actor(session: Session, settings: Settings, user_id: str, team_id: str | None) -> Actor:
    workspace = resolve_workspace(session, team_id)
    return load_actor(
        session, workspace, user_id, admins=settings.admins, fallback_zone=settings.default_timezone
    )


def project_segments(project: Project) -> list[str]:
    """A project's description sentences, then its open blockers, then its open milestones by due date."""
    sentences = [s.strip() for s in _SENTENCE_END.split(" ".join((project.description or "").split()))]
    blockers = [" ".join(b.text.split()) for b in project.blockers if b.resolved_at is None]
    milestones = sorted(
        (m for m in project.milestones if m.status == MilestoneStatus.OPEN),
        key=lambda m: (m.due_at, m.number),
    )
    segments = [*sentences, *blockers, *(" ".join(m.title.split()) for m in milestones)]
    return list(dict.fromkeys(s for s in segments if s))


def prepare_search(session: Session, actor: Actor, command: ExpertCommand) -> PreparedSearch:
    """Resolve a command into a search: query text, exclusions and (for a project) its texts.

    Args:
        session: An open session.
        actor: Who asks.
        command: A text or project command.

    Returns:
        The search.

    Raises:
        UserFacingError: An empty query, or a project that does not exist or is not visible to the
            asker (reported exactly like `/project status` reports it: private projects are never
            hinted at).
    """
    if command.mode is ExpertMode.HELP:
        raise ValueError("help is not a search")
    if command.mode is ExpertMode.TEXT:
        subject = command.query[:MAX_SUBJECT]
        return PreparedSearch(
            workspace_id=actor.workspace_id,
            requester=actor.slack_id,
            zone=actor.zone,
            subject=subject,
            query_text=subject,
            project=None,
            exclude_people=frozenset({actor.slack_id}),
            exclude_disciplines=(),
            all_disciplines=False,
        )
    found = find_project(session, actor, command.query)
    # find_project loads projects without their texts; read them in one round trip each.
    project = session.scalars(
        select(Project)
        .where(Project.id == found.id)
        .options(
            selectinload(Project.memberships).selectinload(Membership.person),
            selectinload(Project.milestones),
            selectinload(Project.blockers),
            selectinload(Project.lead),
        )
    ).one()
    people = {m.person.slack_id for m in project.memberships}
    working = [m.person for m in project.memberships if m.role != Role.VIEWER]
    if project.lead is not None:
        people.add(project.lead.slack_id)
        working.append(project.lead)
    disciplines: dict[str, str] = {}
    for person in working:
        if person.discipline and person.discipline.strip():
            disciplines.setdefault(person.discipline.strip().casefold(), person.discipline.strip())
    segments = project_segments(project)
    query_text = ". ".join(part.rstrip(".") for part in [project.name, *segments] if part) + "."
    return PreparedSearch(
        workspace_id=actor.workspace_id,
        requester=actor.slack_id,
        zone=actor.zone,
        subject=project.name,
        query_text=query_text,
        project=ProjectQuery(project.key, project.name, project.private, tuple(segments)),
        exclude_people=frozenset({actor.slack_id, *people}),
        exclude_disciplines=()
        if command.all_disciplines
        else tuple(sorted(disciplines.values(), key=str.casefold)),
        all_disciplines=command.all_disciplines,
    )


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
        min_score: The relevance floor; None: `relevance_floor` of the model.

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
    index = with_over_cap(workspace_index.index, [s for s, status in statuses.items() if status.over_cap])
    floor = relevance_floor(embedder.model_name) if min_score is None else min_score
    matches = rank_indexed_experts(
        query_vector,
        index,
        top_k=top_k,
        exclude_person_ids=search.exclude_people,
        exclude_disciplines=search.exclude_disciplines,
        min_score=floor,
    )
    suggestions = []
    for match in matches:
        person = people[match.person.person_id]
        status = statuses[person.slack_id]
        project_text = None
        if len(segments) and match.matched_items:
            # The project text closest to the item that made them relevant: "you need X; they wrote Y".
            closeness = segment_vectors @ np.asarray(match.matched_items[0].item.vector, dtype=np.float32)
            project_text = segments[int(np.argmax(closeness))]
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
    user_id: str,
    team_id: str | None,
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
        user_id: Who asks.
        team_id: Their Slack team.
        now: The current instant.
        on_wait: Called once if the answer has to wait for the model to load.

    Returns:
        The suggestions.

    Raises:
        UserFacingError: A bad command, an invisible or unknown project (`NotFound`, possibly with
            "did you mean" alternatives), or no model (`ModelUnavailable`).
    """
    with session_factory() as session:
        actor = _actor(session, settings, user_id, team_id)
        search = prepare_search(session, actor, command)
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
