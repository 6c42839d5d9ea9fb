"""Plain-language questions about joint papers ("what papers is Ingrid on?", "when is the fatigue paper
due?", "deadline for fatigue-p1?", "papers on fatigue?") and the papers shown on App Home.

Recognised before the general question interpreter (`bot.slack.questions`), after agreements: a question
is about papers when it says "paper(s)" or names a paper (`fatigue-p1`); anything else falls through
without a query. Papers follow their project's privacy: a private project's papers are never shown to
non-members, and a paper they cannot see is answered exactly as one that does not exist.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.access import Actor, can_see, visible_projects
from bot.domain.dates.ranges import DateRange, find_date_range
from bot.domain.matching import THIS_PROJECT, fold
from bot.models import Milestone, MilestoneStatus, Person, Project
from bot.publications.papers import PAPER_REF_RE, list_papers
from bot.publications.planning import REVIEW
from bot.publications.replan import BEFORE_REVIEW
from bot.publications.tables import Paper, PaperAuthor, Venue
from bot.publications.venues import list_venues

_WORDS = re.compile(r"\bpapers?\b", re.I)
# "when is the CAMW deadline", "what do I need to submit for adsys": a venue named with what papers
# have there (a venue is only looked up when one of these words is in the question).
_VENUE_HINT = re.compile(
    r"\b(deadlines?|due|submit\w*|submissions?|conference|workshop|venue|camera[- ]ready|cfp)\b", re.I
)
_REF = re.compile(r"\b([a-z][a-z0-9_]{0,39}-p\d{1,6})\b")
# "which venues are we targeting?", "any submission deadlines coming up?": the venues themselves (a
# question asking who knows about conferences is not one).
_VENUES_ASKED = re.compile(
    r"^(?!.*\bwho\b).*\b(venues?|conferences?|workshops?|journals?|funding calls?|calls? for (papers|"
    r"proposals)|cfps?|(submission|paper|conference|workshop|venue|camera[- ]ready) deadlines?)\b",
    re.I,
)
# Words of a name that say nothing about who it is ("Prof. Ingrid Banerjee" is Ingrid Banerjee).
_NAME_NOISE = frozenset(
    {"prof", "professor", "dr", "mr", "mrs", "ms", "mx", "sir", "dame", "van", "von", "de"}
)
_MIN_NAME_WORD = 3
_FAR = datetime.max.replace(tzinfo=UTC)


@dataclass(frozen=True)
class PaperDates:
    """One paper and the dates asked about: its review start and its next open planned milestone."""

    paper: Paper
    review_start: Milestone | None  # the open "partner review starts" milestone of its plan
    next_step: Milestone | None  # the earliest open milestone of its plan
    missed_review: datetime | None  # when partner review should have started, if that passed undone


@dataclass(frozen=True)
class PaperAnswer:
    """What to tell the asker about papers.

    Attributes:
        heading: What the list is ("Papers of Ingrid Banerjee"), or "" for papers named by id.
        papers: The papers, soonest deadline first (with `venues`: those the asker may see there).
        missing: Paper ids named that the asker cannot see (or that do not exist: told the same way).
        private: It shows a paper of a private project: answer the asker only.
    """

    heading: str
    papers: tuple[PaperDates, ...]
    missing: tuple[str, ...]
    private: bool
    venues: tuple[Venue, ...] = ()  # the venues asked about, with their deadlines, soonest first


def _open(milestone: Milestone | None) -> bool:
    return milestone is not None and milestone.deleted_at is None and milestone.status == MilestoneStatus.OPEN


def dates_of(paper: Paper, now: datetime) -> PaperDates:
    """The paper with its open review-start milestone and its earliest open planned milestone."""
    planned = sorted(
        (link for link in paper.plan if _open(link.milestone)),
        key=lambda link: link.milestone.due_at if link.milestone is not None else now,
    )
    review = next((link.milestone for link in planned if link.step == REVIEW), None)
    # The replan records a review start it found already past (`late_notice_for`); it is still news
    # while the paper has not reached review.
    missed = paper.late_notice_for if review is None and paper.status in BEFORE_REVIEW else None
    return PaperDates(paper, review, planned[0].milestone if planned else None, missed)


def _name_words(person: Person) -> set[str]:
    words = {w.strip(".,'’").lower() for w in person.name.split() if not w.endswith(".")}
    return {w for w in words if len(w) >= _MIN_NAME_WORD and w not in _NAME_NOISE}


def _people_named(session: Session, actor: Actor, lowered: str) -> list[Person]:
    words = set(re.findall(r"[a-zà-ÿ][a-zà-ÿ'’-]*", lowered))
    words |= {w.removesuffix("'s").removesuffix("’s") for w in words}
    people = session.scalars(
        select(Person).where(Person.workspace_id == actor.workspace_id).order_by(Person.name)
    )
    return [p for p in people if _name_words(p) & words]


def _projects_named(session: Session, actor: Actor, lowered: str) -> list[Project]:
    return [
        p
        for p in visible_projects(session, actor)
        if re.search(rf"\b{re.escape(p.key)}\b", lowered) or p.name.lower() in lowered
    ]


def _authored_by(session: Session, actor: Actor, people: list[Person]) -> list[Paper]:
    ids = [p.id for p in people]
    papers = session.scalars(
        select(Paper).join(PaperAuthor).where(PaperAuthor.person_id.in_(ids)).order_by(Paper.id)
    ).unique()
    return [p for p in papers if p.project.workspace_id == actor.workspace_id and can_see(p.project, actor)]


def _by_deadline(papers: list[Paper]) -> list[Paper]:
    def order(paper: Paper) -> tuple[bool, datetime, str, int]:
        deadline = paper.venue.deadline_at if paper.venue is not None else None
        return (deadline is None, deadline or _FAR, paper.project.key, paper.number)

    return sorted({p.id: p for p in papers}.values(), key=order)


def _find_refs(session: Session, actor: Actor, refs: list[str]) -> tuple[list[Paper], list[str]]:
    found: list[Paper] = []
    missing: list[str] = []
    for ref in refs:
        match = PAPER_REF_RE.match(ref)
        assert match is not None  # _REF only finds shapes PAPER_REF_RE accepts
        paper = session.scalars(
            select(Paper)
            .join(Project)
            .where(
                Project.workspace_id == actor.workspace_id,
                Project.key == match.group(1),
                Paper.number == int(match.group(2)),
            )
        ).first()
        if paper is None or not can_see(paper.project, actor):
            missing.append(ref)  # a private project's paper is told exactly as a paper that does not exist
        else:
            found.append(paper)
    return found, missing


def _venue_words(venue: Venue) -> set[str]:
    """The words that name a venue in a question: its key with and without its year ("camw26",
    "camw"), and the short name in its full name's parentheses ("CAMW" of "… (CAMW 2026)")."""
    key = venue.key.lower()
    words = {key, re.sub(r"\d+$", "", key)}
    words |= {inner.split()[0].lower() for inner in re.findall(r"\(([^)]+)\)", venue.name) if inner.split()}
    return {w for w in words if len(w) >= 3}


# Words of a venue's full name that say nothing of which venue it is.
_VENUE_NAME_NOISE = frozenset({"of", "on", "and", "the", "for", "in", "a", "an", "to", "at"})


def _named_in_full(venue: Venue, lowered: str) -> bool:
    """Whether the question names the venue by two words of its full name in a row ("responsible
    advertising" of "Responsible Advertising Research Call 2027")."""
    name = re.sub(r"\([^)]*\)|\d+", " ", venue.name.lower())
    words = [w for w in re.findall(r"[a-z]+", name) if w not in _VENUE_NAME_NOISE]
    asked = " ".join(re.findall(r"[a-z0-9]+", lowered))
    return any(f" {a} {b} " in f" {asked} " for a, b in zip(words, words[1:], strict=False))


def _papers_at_a_named_venue(
    session: Session, actor: Actor, lowered: str
) -> tuple[list[Venue], list[Paper]] | None:
    """The venues the question names and the papers there the asker may see; None if it names none."""
    tokens = set(re.findall(r"[a-z0-9]+", lowered))
    venues = session.scalars(select(Venue).where(Venue.workspace_id == actor.workspace_id)).all()
    named = [v for v in venues if _venue_words(v) & tokens] or [
        v for v in venues if _named_in_full(v, lowered)
    ]
    if not named:
        return None
    papers = session.scalars(select(Paper).where(Paper.venue_id.in_([v.id for v in named]))).all()
    return named, [p for p in papers if can_see(p.project, actor)]


# "the workshop paper", "our conference papers", "the funding proposal": papers by their venue's kind.
_KIND_WORDS = {
    "workshop": "workshop",
    "conference": "conference",
    "journal": "journal",
    "proposal": "funding_call",
    "funding": "funding_call",
    "grant": "funding_call",
}
# "any papers on ad delivery fairness?": the words of a topic after "papers on/about".
_PAPER_TOPIC = re.compile(r"\bpapers? (?:on|about|regarding|re) (?P<topic>.+?)\s*\??$")
_TOPIC_NOISE = frozenset(
    {"the", "our", "a", "an", "and", "of", "for", "in", "any", "we", "us", "this", "project", "here", "team"}
)


def _narrowed(heading: str, papers: list[Paper], lowered: str, *, by_topic: bool) -> tuple[str, list[Paper]]:
    """The papers a question names more narrowly than its list does: by venue ("the adsys paper"), by
    venue kind ("the workshop paper") or by topic ("papers on delivery fairness")."""
    tokens = set(re.findall(r"[a-z0-9]+", lowered))
    at_venue = [p for p in papers if p.venue is not None and _venue_words(p.venue) & tokens]
    if at_venue:
        return heading, at_venue
    kinds = {kind for word, kind in _KIND_WORDS.items() if word in tokens}
    if kinds:
        return heading, [p for p in papers if p.venue is not None and p.venue.kind in kinds]
    topic = _PAPER_TOPIC.search(lowered) if by_topic else None
    if topic is None:
        return heading, papers
    words = [w for w in re.findall(r"[a-z0-9]+", topic.group("topic")) if w not in _TOPIC_NOISE]
    if not words:
        return heading, papers
    about = [p for p in papers if any(w in p.title.lower() for w in words if len(w) >= 4)]
    return f"Papers about “{' '.join(words)}”", about


def _window_asked(text: str, now: datetime, actor: Actor) -> DateRange | None:
    """The days a question's deadlines must fall in ("before christmas", "in february"); a vague "coming
    up" is every deadline ahead, as without one."""
    window, _ = find_date_range(fold(text), now=now, zone=actor.zone)
    return None if window is None or window.soon else window


def _deadline_within(venue: Venue | None, window: DateRange) -> bool:
    """Whether a venue's deadline falls in the window (a paper without a venue has none)."""
    deadline = venue.deadline_at if venue is not None else None
    return deadline is not None and window.start <= deadline.astimezone(UTC) < window.end


def _venues_answer(session: Session, actor: Actor, venues: list[Venue], now: datetime) -> PaperAnswer:
    """The venues whose deadline is still ahead (all of them if none is), soonest first, each with the
    papers bound for it that the asker may see."""
    ahead = [v for v in venues if v.deadline_at is None or v.deadline_at >= now] or venues
    ids = [v.id for v in ahead]
    papers = session.scalars(select(Paper).where(Paper.venue_id.in_(ids))).all() if ids else []
    visible = _by_deadline([p for p in papers if can_see(p.project, actor)])
    private = any(p.project.private for p in visible)
    dates = tuple(dates_of(p, now) for p in visible)
    return PaperAnswer("Venues and their deadlines", dates, (), private, venues=tuple(ahead))


def answer_paper_question(
    session: Session, actor: Actor, text: str, now: datetime, *, channel_id: str | None = None
) -> PaperAnswer | None:
    """The answer to a question about joint papers, or None when the question is not about them.

    `channel_id`: where it was asked; in a project's channel, "this project" or "here" is that project.
    """
    lowered = text.lower()
    refs = list(dict.fromkeys(_REF.findall(lowered)))
    at_venue = None
    if not refs and _WORDS.search(text) is None:
        at_venue = _papers_at_a_named_venue(session, actor, lowered) if _VENUE_HINT.search(text) else None
        if at_venue is None and _VENUES_ASKED.search(text):
            venues = list_venues(session, actor)
            window = _window_asked(text, now, actor)
            if window is not None:
                # "what conference deadlines are in february?": the venues whose deadline falls then.
                venues = [v for v in venues if _deadline_within(v, window)]
                if not venues:
                    return PaperAnswer(f"Venues with a deadline {window.label}", (), (), False, venues=())
            return _venues_answer(session, actor, venues, now)
        if at_venue is None:
            return None  # the common case: no query at all

    window = _window_asked(text, now, actor)

    def answer(
        heading: str, papers: list[Paper], missing: tuple[str, ...] = (), *, by_topic: bool = False
    ) -> PaperAnswer:
        if not refs:
            heading, papers = _narrowed(heading, papers, lowered, by_topic=by_topic)
        if window is not None and not refs:
            # "what papers are due before christmas?": those whose venue's deadline falls in it.
            papers = [p for p in papers if _deadline_within(p.venue, window)]
            heading = f"{heading}, deadline {window.label}"
        ordered = _by_deadline(papers)
        private = any(p.project.private for p in ordered)
        return PaperAnswer(heading, tuple(dates_of(p, now) for p in ordered), tuple(missing), private)

    if at_venue is not None:
        named, papers = at_venue
        if not papers:
            # The venue's own deadline is told even when no paper the asker may see is bound for it.
            return _venues_answer(session, actor, named, now)
        return answer(f"Papers for {', '.join(v.name for v in named)}", papers)
    if refs:
        found, missing = _find_refs(session, actor, refs)
        return answer("", found, tuple(missing))
    projects = _projects_named(session, actor, lowered)
    if not projects and channel_id and THIS_PROJECT.search(lowered):
        projects = [p for p in visible_projects(session, actor) if p.channel_id == channel_id]
    people = _people_named(session, actor, lowered)
    if people:
        papers = _authored_by(session, actor, people)
        if projects:
            wanted = {p.id for p in projects}
            papers = [p for p in papers if p.project_id in wanted]
        names = ", ".join(p.name for p in people)
        return answer(f"Papers of {names}", papers)
    if projects:
        wanted = {p.id for p in projects}
        papers = list(session.scalars(select(Paper).where(Paper.project_id.in_(wanted))))
        return answer(f"Papers of {', '.join(p.name for p in projects)}", papers)
    # No one and no project the asker can see is named (an unknown or a private one: told alike).
    own = list_papers(session, actor, None)
    if own:
        return answer("Papers of your projects and those you author", own, by_topic=True)
    # "what papers are we writing?" from someone with none of their own: the alliance's.
    every = session.scalars(select(Paper).join(Project).where(Project.workspace_id == actor.workspace_id))
    visible = [p for p in every if can_see(p.project, actor)]
    return answer("None on your projects; the papers you can see", visible, by_topic=True)


def my_papers(session: Session, actor: Actor, now: datetime) -> list[PaperDates]:
    """The papers the actor authors (on projects they can see), soonest deadline first, for App Home."""
    if actor.person_id is None:
        return []
    papers = session.scalars(
        select(Paper).join(PaperAuthor).where(PaperAuthor.person_id == actor.person_id)
    ).unique()
    visible = [p for p in papers if can_see(p.project, actor)]
    return [dates_of(p, now) for p in _by_deadline(visible)]


# "when is it due?", "who are the authors?", "who's writing the second one?", "which venue is it for?":
# a question about the papers the previous answer listed, which names none of its own.
_POINTS_AT = re.compile(
    r"\b(it|its|that one|this one|which one|them|they|those|the (first|second|third|last)( one)?)\b", re.I
)
_ABOUT_A_PAPER = re.compile(
    r"\b(due|deadline|submi\w*|authors?|writing|writes|wrote|first author|venue|conference|workshop|"
    r"review\w*|camera|draft|status|when|who)\b",
    re.I,
)
_POSITIONS = {"first": 1, "second": 2, "third": 3, "last": -1}


def about_the_papers_listed(text: str, listed: Sequence[str]) -> str | None:
    """A follow-up about the papers the previous answer listed, asked again naming them ("when is it
    due?" after an answer about fatigue-p2 → "when is it due? (fatigue-p2)"; "the second one" names
    the second), or None when it is not one.

    Args:
        text: The follow-up as typed.
        listed: The ids of the papers the previous answer listed, in order.
    """
    if not listed or _REF.search(text.lower()) or _WORDS.search(text):
        return None  # it names its own papers, or asks about papers anew
    pointer = _POINTS_AT.search(text)
    if pointer is None or _ABOUT_A_PAPER.search(text) is None:
        return None
    position = _POSITIONS.get((pointer.group(2) or "").lower())
    if position is not None:
        if abs(position) > len(listed):
            return None
        return f"{text.rstrip()} ({listed[position - 1] if position > 0 else listed[-1]})"
    return f"{text.rstrip()} ({', '.join(listed)})"
