"""Plain-language questions about agreements ("is the data agreement for uplift signed?", "which
agreements expire this quarter?", "status of dua-1").

Recognised before the general question interpreter (`bot.slack.questions`): a question is about
agreements when it names an agreement word (agreement, NDA, contract, DUA…) or the key of an agreement
the asker may see. The answer follows the register's privacy rules (`bot.agreements.records`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.access import Actor, role_of, visible_condition, visible_projects
from bot.agreements.records import AgreementView, covered_projects, may_see, view_of
from bot.agreements.tables import Agreement, AgreementKind, AgreementStatus
from bot.domain.matching import OWN_PROJECTS, THIS_PROJECT
from bot.models import Person, Project

_WORDS = re.compile(
    r"\b(agreements?|ndas?|contracts?|duas?|dsas?|mous?|data[- ]use|data[- ]sharing|non[- ]disclosure)\b",
    re.I,
)
# "what's the review window for pcm?", "how long is the pre-publication review?": what agreements set.
_REVIEW_WINDOW = re.compile(
    r"\b(review (window|period)s?|pre-?publication review|publication review|how long do (the )?partners "
    r"(get|have) to review)\b",
    re.I,
)
_KEY = re.compile(r"\b([a-z][a-z0-9_]{0,19}-[0-9]{1,7})\b")
# Which statuses a question asks for: "which agreements are not signed yet?", "… being negotiated?".
_STATUS_WORDS: tuple[tuple[re.Pattern[str], frozenset[str], str], ...] = (
    (
        re.compile(
            r"\b(not (yet )?signed|unsigned|pending|outstanding|still open|open ones?|in progress|"
            r"stuck|stalled|held up|on hold|waiting)\b"
        ),
        frozenset(
            {
                AgreementStatus.DRAFT.value,
                AgreementStatus.NEGOTIATION.value,
                AgreementStatus.LEGAL_REVIEW.value,
            }
        ),
        "not signed yet",
    ),
    (
        re.compile(r"\b(negotiat\w*)\b"),
        frozenset({AgreementStatus.NEGOTIATION.value, AgreementStatus.LEGAL_REVIEW.value}),
        "in negotiation or legal review",
    ),
    (
        re.compile(r"\b(legal review|with (the )?lawyers|with legal)\b"),
        frozenset({AgreementStatus.LEGAL_REVIEW.value}),
        "in legal review",
    ),
    (re.compile(r"\b(drafts?|drafted)\b"), frozenset({AgreementStatus.DRAFT.value}), "in draft"),
    (
        re.compile(r"^(which|what|list|show)\b.*\b(are|have been|got) signed\b|\bsigned ones\b"),
        frozenset({AgreementStatus.SIGNED.value}),
        "signed",
    ),
)
_SIGNING = re.compile(r"\b(sign\w*|countersign\w*|executed|in force|valid)\b", re.I)
# A question that only names a key ("what's ra-5?", "tell me about ra-5"): about that record, whatever it is.
_ONLY_A_KEY = re.compile(
    r"^\s*(?:(?:what['’]?s|what is|whats|tell me about|info on|details (?:of|on)|(?:the )?status of|show me|"
    r"and|how is|how's|hows|where is|where are we (?:with|on)|update on|any news on)\s*)*"
    r"(?:the )?[a-z][a-z0-9_]{0,19}-[0-9]{1,7}\s*(?:doing|going|at)?\s*\??\s*$",
    re.I,
)
_EXPIRY = re.compile(r"\b(expir\w*|run(s|ning)? out|lapse\w*|renew\w*)\b", re.I)
_KIND_WORDS: tuple[tuple[re.Pattern[str], tuple[str, ...]], ...] = (
    (re.compile(r"\b(nda|ndas|non[- ]disclosure)\b", re.I), (AgreementKind.NDA.value,)),
    (re.compile(r"\b(duas?|data[- ]use)\b", re.I), (AgreementKind.DATA_USE.value,)),
    (re.compile(r"\b(dsas?|data[- ]sharing)\b", re.I), (AgreementKind.DATA_SHARING.value,)),
    (
        re.compile(r"\bdata\b", re.I),
        (AgreementKind.DATA_USE.value, AgreementKind.DATA_SHARING.value),
    ),
    (re.compile(r"\bresearch\b", re.I), (AgreementKind.RESEARCH.value,)),
    (re.compile(r"\bconsortium\b", re.I), (AgreementKind.CONSORTIUM.value,)),
    (re.compile(r"\b(ip|licen[cs]e)\b", re.I), (AgreementKind.IP_LICENCE.value,)),
    (re.compile(r"\b(mou|mous|memorandum)\b", re.I), (AgreementKind.MOU.value,)),
)


@dataclass(frozen=True)
class AgreementAnswer:
    """What to tell the asker: a heading and the agreements it is about."""

    heading: str
    agreements: tuple[AgreementView, ...]
    expiring_until: date | None  # set for "which expire …" questions
    private: bool  # it names an agreement of a private project: show it to the asker only
    projects: tuple[str, ...] = ()  # keys of the projects the question narrowed the list to


_YEAR = re.compile(r"\b(?P<pre>in|during|for|before|by|until|till)? ?(?P<year>20\d\d)\b")
_NEXT = re.compile(r"\b(?:next|the coming|the following|coming) (?P<unit>year|quarter|month)\b")


def _period(text: str, today: date) -> tuple[date, date, str]:
    """The days "which agreements expire …" asks about: from (today or later) to, and how they are called."""
    lowered = text.lower()
    year = _YEAR.search(lowered)
    if year is not None:
        number = int(year["year"])
        if year["pre"] in ("before", "by", "until", "till"):
            return today, date(number - 1, 12, 31), f"before {number}"
        return max(today, date(number, 1, 1)), date(number, 12, 31), f"in {number}"
    following = _NEXT.search(lowered)
    if following is not None:
        unit = following["unit"]
        if unit == "year":
            return date(today.year + 1, 1, 1), date(today.year + 1, 12, 31), "next year"
        this_end, _ = _period_end(unit, today)
        start = this_end + timedelta(days=1)
        end, _ = _period_end(unit, start)
        return start, end, f"next {unit}"
    end, label = _period_end(lowered, today)
    return today, end, label


def _period_end(text: str, today: date) -> tuple[date, str]:
    lowered = text.lower()
    if "quarter" in lowered:
        first_month = 3 * ((today.month - 1) // 3) + 1
        nxt = date(today.year + (first_month + 3 > 12), (first_month + 2) % 12 + 1, 1)
        return nxt - timedelta(days=1), "this quarter"
    if "month" in lowered:
        nxt = date(today.year + (today.month == 12), today.month % 12 + 1, 1)
        return nxt - timedelta(days=1), "this month"
    if "year" in lowered:
        return date(today.year, 12, 31), "this year"
    if "week" in lowered:
        return today + timedelta(days=6 - today.weekday()), "this week"
    return today + timedelta(days=90), "in the next 90 days"


# "agreements with oxford", "which agreements involve brightbid": the organisation after the word.
_WITH_PARTY = re.compile(
    r"\b(?:with|involving|involves?|between|signed with)\s+(?:the\s+)?(?P<party>[a-z0-9][a-z0-9 .&'-]{1,60}?)"
    r"(?=\s+(?:about|for|on|that|which|expir\w*|signed|pending|in|this|these)\b|\s*[?.!,]|\s*$)",
    re.I,
)
# Words that name no organisation in particular, nor anything else the question filters by.
_NOT_A_PARTY = frozenset(
    """and the our any all its their them us me university universities univ college institute school
    ads retail group company companies partner partners inc ltd gmbh lab labs agreement agreements
    nda ndas contract contracts data use sharing research consortium project projects team""".split()  # noqa: SIM905 (a word list reads better as text)
)


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z0-9]+", text.lower()))


def _parties_named(text: str, projects: list[Project]) -> list[str]:
    """The distinctive words of an organisation the question names after "with", "involving", …"""
    match = _WITH_PARTY.search(text)
    if match is None:
        return []
    project_words = set().union(*(_words(f"{p.key} {p.name}") for p in projects)) if projects else set()
    return [
        w
        for w in re.findall(r"[a-z0-9]+", match.group("party").lower())
        if len(w) >= 3 and w not in _NOT_A_PARTY and w not in project_words
    ]


def answer_agreement_question(
    session: Session,
    actor: Actor,
    text: str,
    now: datetime,
    *,
    channel_id: str | None = None,
    projects_in: Callable[[str], Sequence[str]] | None = None,
) -> AgreementAnswer | None:
    """The answer to a question about agreements, or None when the question is not about them.

    Args:
        session: The request's session.
        actor: The asker.
        text: The question as typed.
        now: The current instant.
        channel_id: Where it was asked; in a project's channel, "this project" or "here" is that project.
        projects_in: The keys of the visible projects a text names by more than key or whole name
            ("brand safety" for the brand safety classifier), asked only of questions about agreements.
    """
    keys = {match.lower() for match in _KEY.findall(text.lower())}
    review_window = _REVIEW_WINDOW.search(text) is not None
    about = _WORDS.search(text) is not None or review_window
    if not keys and not about:
        return None  # the common case: no query at all
    stmt = select(Agreement).where(Agreement.workspace_id == actor.workspace_id).order_by(Agreement.key)
    if not about:
        stmt = stmt.where(Agreement.key.in_(sorted(keys)))
    visible: list[tuple[Agreement, AgreementView]] = []
    for agreement in session.scalars(stmt):
        projects = covered_projects(session, agreement)
        if may_see(projects, actor):
            visible.append((agreement, view_of(session, actor, agreement, projects)))
    named = [view for _, view in visible if view.key in keys]
    if not named and not about:
        # "is zz-9 signed?", "what's zz-9?": a key of no visible project's milestone, asked about as an
        # agreement or alone, is an agreement the asker cannot see (or none): said the same way for both.
        # Only the projects the keys name are looked up (a question names one or two; a workspace may
        # have a thousand projects).
        prefixes = sorted({k.rsplit("-", 1)[0] for k in keys})
        project_keys = set(
            session.scalars(select(Project.key).where(visible_condition(actor), Project.key.in_(prefixes)))
        )
        unknown = sorted(k for k in keys if k.rsplit("-", 1)[0] not in project_keys)
        if unknown and _SIGNING.search(text):
            return AgreementAnswer(f"Agreements named {', '.join(unknown)}", (), None, private=False)
        if unknown and _ONLY_A_KEY.match(text):
            # "what's covid-19?" may mean a milestone as well as an agreement.
            heading = f"Milestones or agreements named {', '.join(unknown)}"
            return AgreementAnswer(heading, (), None, private=False)
        return None
    today = now.astimezone(actor.zone).date()
    # Read once: on a large workspace each read of every visible project (with its people) is dear.
    seen = visible_projects(session, actor)
    private_keys = {p.key for p in seen if p.private}

    def answer(
        heading: str, views: list[AgreementView], until: date | None = None, projects: Sequence[Project] = ()
    ) -> AgreementAnswer:
        private = any(ref.key in private_keys for view in views for ref in view.projects)
        return AgreementAnswer(heading, tuple(views), until, private, tuple(p.key for p in projects))

    if named:
        return answer(_whether_signed(text, named), named)
    views = [view for _, view in visible]
    lowered = text.lower()
    projects = [
        p for p in seen if re.search(rf"\b{re.escape(p.key)}\b", lowered) or p.name.lower() in lowered
    ]
    if not projects and projects_in is not None:
        named_keys = set(projects_in(text))
        projects = [p for p in seen if p.key in named_keys]
    if not projects and channel_id and THIS_PROJECT.search(text):
        projects = [p for p in seen if p.channel_id == channel_id]
    if not projects and OWN_PROJECTS.search(lowered):
        # "what agreements apply to my project?": those of the asker's own projects.
        projects = [p for p in seen if role_of(p, actor) is not None]
    unseen = "" if projects else _unknown_project(session, actor, lowered, views, seen)
    if unseen:
        # "which agreements cover zorbulon?": a project the asker cannot see (or none), told the same way
        # for both, instead of every agreement as if no project had been named.
        return answer(f"Agreements for {unseen}", [])
    if projects:
        wanted = {p.key for p in projects}
        views = [v for v in views if wanted & {ref.key for ref in v.projects}]
    kind_named = False
    for pattern, kinds in _KIND_WORDS:
        if pattern.search(text):
            views = [v for v in views if v.kind in kinds]
            kind_named = True
            break
    # "the clean-room DSA", "the northwind DUA": words of some agreements' titles or parties, not all.
    titled = _titled(lowered, views, projects)
    named_by_title = bool(titled)
    if named_by_title:
        views = titled
    where = f" for {', '.join(p.name for p in projects)}" if projects else ""
    parties = _parties_named(text, projects)
    if parties:
        # "any agreements with oxford?": those an organisation named is a party to. Told the same way
        # whether no agreement names it or only ones the asker may not see.
        views = [v for v in views if set(parties) & _words(" ".join(v.parties))]
        where = f"{where} with {' '.join(parties)}"
    for pattern, statuses, label in _STATUS_WORDS:
        if pattern.search(lowered):
            views = [v for v in views if v.status in statuses]
            where = f"{where} {label}"
            break
    if review_window:
        # "what's the pre-publication review window for fatigue?": the agreements that set one.
        windows = [v for v in views if v.publication_review_days is not None]
        days = ", ".join(f"{v.key}: {v.publication_review_days} days" for v in windows)
        longest = max((v.publication_review_days or 0 for v in windows), default=0)
        heading = f"Partners' review before publication{where}"
        if len(windows) > 1:
            heading += f" ({days}; the longest, {longest} days, applies)"
        elif windows:
            heading += f" ({days})"
        return answer(heading, windows, projects=projects)
    owners = _owners_named(session, actor, text)
    if owners is not None:
        # "which agreements do I own?", "… is Priya responsible for?": the ones they own.
        ids, names = owners
        views = [v for v in views if v.owner_slack_id in ids]
        where = f"{where} owned by {names}"
    if _EXPIRY.search(text) and (named_by_title or kind_named) and _ASKS_WHEN.search(lowered):
        # "when does the clean-room DSA expire?", "when does the nda expire?": its date, however far off.
        return answer(f"Agreements{where}", views, projects=projects)
    if _EXPIRY.search(text):
        start, until, label = _period(text, today)
        expiring = [v for v in views if v.expires_on is not None and start <= v.expires_on <= until]
        heading = f"Agreements{where} expiring {label} (by {until.isoformat()})"
        return answer(heading, expiring, until, projects)
    heading = f"Agreements{where}"
    signed = _whether_signed(text, views)
    return answer(f"{signed} — {heading}" if signed else heading, views, projects=projects)


_ASKS_WHEN = re.compile(r"\b(when|what date|which date|how long)\b")
# Words of a question that name no agreement in particular.
_NOT_A_TITLE_WORD = frozenset(
    """agreement agreements signed sign signing expire expires expiring expiry renew renewal when does
    what which have been still there that this with from for about data sharing research consortium
    their they them your mine ours project projects""".split()  # noqa: SIM905
)


def _titled(lowered: str, views: Sequence[AgreementView], projects: Sequence[Project]) -> list[AgreementView]:
    """The agreements whose title or parties hold a distinctive word of the question."""
    project_words = set().union(*(_words(f"{p.key} {p.name}") for p in projects)) if projects else set()
    asked = {
        w
        for w in _word_forms(lowered)
        if len(w) >= 4 and w not in _NOT_A_TITLE_WORD and w not in _NOT_A_PARTY and w not in project_words
    }
    if not asked:
        return []
    return [view for view in views if asked & _word_forms(f"{view.title} {' '.join(view.parties)}".lower())]


def _word_forms(text: str) -> set[str]:
    """A text's words, a hyphenated one also whole and in parts ("clean-room": cleanroom, clean, room)."""
    forms: set[str] = set()
    for word in re.findall(r"[a-z][a-z-]*", text):
        forms.update({word.replace("-", ""), *word.split("-")})
    forms.discard("")
    return forms


# "is the nda signed?", "has the northwind DUA been signed?": a yes or no first.
_ASKS_WHETHER_SIGNED = re.compile(
    r"^(is|are|has|have|was|were|did)\b.*\b(signed|countersigned|executed|sign)\b"
)


def _whether_signed(text: str, views: Sequence[AgreementView]) -> str:
    """ "Yes, signed", "No, not signed yet" or "1 of 2 signed" for a yes-or-no question about signing;
    "" for any other question (or no agreement)."""
    if not views or _ASKS_WHETHER_SIGNED.search(text.lower().strip()) is None:
        return ""
    done = sum(1 for view in views if view.status == AgreementStatus.SIGNED.value)
    if done == len(views):
        return "Yes, signed"
    if done == 0:
        return "No, not signed yet"
    return f"{done} of {len(views)} signed"


# "which agreements cover zorbulon?", "any ndas for zorbulon": a project named last.
_PROJECT_AT_THE_END = re.compile(
    r"\b(?:cover|covers|covering|for|on|of|about|under)\s+(?P<name>[a-z][a-z0-9_-]{2,40})\s*[?.!]*\s*$"
)
# Words that end such questions without naming a project.
_NOT_A_PROJECT = frozenset(
    """this that here us me mine ours it them now today signature signing sign approval review renewal
    expiry publication legal lawyers hold projects project everything everyone everybody anyone someone
    all which what whom alliance team teams partner partners data research university company time
    you""".split()  # noqa: SIM905
)


def _unknown_project(
    session: Session, actor: Actor, lowered: str, views: Sequence[AgreementView], seen: Sequence[Project]
) -> str:
    """The name a question ends on as the project it asks about, when no visible project has it.

    A word of a visible project's name, of a visible agreement or of a person's name is not one: the
    question is answered as before (every agreement, or the person's).
    """
    found = _PROJECT_AT_THE_END.search(lowered)
    if found is None:
        return ""
    name = found.group("name")
    if name in _NOT_A_PROJECT or any(pattern.search(name) for pattern, _ in _KIND_WORDS):
        return ""
    if (
        any(pattern.search(name) for pattern, _, _ in _STATUS_WORDS)
        or _EXPIRY.search(name)
        or _NEXT.search(name)
    ):
        return ""
    known = set().union(
        *(_words(f"{v.title} {' '.join(v.parties)}") for v in views),
        *(_words(f"{p.key} {p.name}") for p in seen),
    )
    people = session.scalars(select(Person.name).where(Person.workspace_id == actor.workspace_id))
    if name in known or any(name in _words(person) for person in people):
        return ""  # "… waiting on priya", "… for conversion logs": a person or a word of an agreement
    return name


# Who owns them: "do I own", "is Priya responsible for", "waiting on me", "does Lena have", "my agreements".
_OWNING = re.compile(
    r"\b(own|owns|owned|owner|owners|responsible|in charge|waiting on|on \w+ plate|have|has|got|mine)\b|"
    r"\bmy (?:\w+ )?(?:agreements?|ndas?|contracts?)\b",
    re.I,
)
_ME = re.compile(r"\b(i|me|my|mine|i'm|im)\b", re.I)
# Words in people's names that name nobody in particular.
_TITLES = frozenset({"dr", "prof", "mr", "ms", "mrs", "professor", "van", "de", "der", "von", "da"})


def _owners_named(session: Session, actor: Actor, text: str) -> tuple[set[str], str] | None:
    """Whose agreements a question asks for (Slack ids and how to call them), or None for anyone's."""
    if _OWNING.search(text) is None:
        return None
    words = _words(text)
    people = session.execute(
        select(Person.slack_id, Person.name).where(Person.workspace_id == actor.workspace_id)
    ).all()
    named = {
        (slack_id, name)
        for slack_id, name in people
        if any(len(part) >= 3 and part not in _TITLES and part in words for part in _words(name))
    }
    if named:
        return {slack_id for slack_id, _ in named}, " and ".join(sorted(name for _, name in named))
    if _ME.search(text):
        return {actor.slack_id}, "you"
    return None


def asked_again_about(asked: str, projects: tuple[str, ...], other: str) -> str:
    """An agreement question asked again about something else ("which agreements cover uplift?", then
    "what about pcm?"): the projects it named replaced by `other`, or `other` added ("… for pcm").

    Args:
        asked: The earlier question, as typed.
        projects: The keys of the projects it was narrowed to.
        other: What the follow-up names instead.
    """
    text = asked.rstrip(" ?!.")
    for key in projects:
        replaced = re.sub(rf"\b{re.escape(key)}\b", other, text, flags=re.I)
        if replaced != text:
            return replaced + "?"
    return f"{text} for {other}?"


# "is it signed?", "when does it expire?", "which one is not signed?", "who owns them?": a question about
# the agreements the previous answer listed, which names none of its own.
_POINTS_AT = re.compile(
    r"\b(it|its|that|this one|that one|which one|which ones|which of them|any of them|they|them|these|"
    r"those)\b",
    re.I,
)
_ABOUT_AN_AGREEMENT = re.compile(
    r"\b(sign\w*|countersign\w*|expir\w*|renew\w*|run(s|ning)? out|lapse\w*|owner|owns?|owned|responsible|"
    r"status|negotiat\w*|legal|lawyers|draft\w*|valid|in force|cover\w*|parties|party|review window)\b",
    re.I,
)


def about_the_agreements_listed(text: str, listed: Sequence[str]) -> str | None:
    """A follow-up about the agreements the previous answer listed, asked again naming them ("is it
    signed?" after an answer about dua-1 → "is it signed? dua-1"), or None when it is not one.

    Args:
        text: The follow-up as typed.
        listed: The keys of the agreements the previous answer listed, in order.
    """
    if not listed or _KEY.search(text.lower()) or _WORDS.search(text):
        return None  # it names its own agreements, or asks about agreements anew
    if _POINTS_AT.search(text) is None or _ABOUT_AN_AGREEMENT.search(text) is None:
        return None
    return f"{text.rstrip()} ({', '.join(listed)})"
