"""Understanding questions in plain language, without a large language model.

`interpret` turns a question ("@liaison what's late on bid shading?") into an `Interpretation`: an
intent (project status, overdue items, who leads…), the entities it is about (projects, people,
milestones and disciplines resolved by fuzzy name, Slack mention, channel or thread context, and a
date range such as "next week" or "before Christmas" computed from `now` in the asker's zone), a
confidence, and the two or three closest other readings to offer as buttons when unsure.

Intent comes from phrase rules first; when the rules are weak or tie, a second opinion comes from
sentence-embedding similarity to exemplar questions (`INTENT_EXEMPLARS`), passed in as a function so
that this module stays pure. Everything here is deterministic given its inputs: no clock, no I/O.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from functools import lru_cache
from zoneinfo import ZoneInfo

import numpy as np
from rapidfuzz import fuzz, process

from bot.domain.matching import Candidate, MatchKind, match_name


class Intent(StrEnum):
    """What a question asks for."""

    HELP = "help"
    PROJECT_STATUS = "project_status"
    NEXT_MILESTONE = "next_milestone"
    OVERDUE = "overdue"
    LEAD = "lead"
    MEMBERS = "members"
    BLOCKED = "blocked"
    WAITING_ON = "waiting_on"
    WHEN_MILESTONE = "when_milestone"
    PERSON_PROJECTS = "person_projects"
    DISCIPLINE_PROJECTS = "discipline_projects"
    EXPERTS = "experts"
    LIST_PROJECTS = "list_projects"
    SEARCH = "search"


# Intents that are about one project and cannot be answered without one.
NEEDS_PROJECT = frozenset({Intent.PROJECT_STATUS, Intent.LEAD, Intent.MEMBERS})

# -- confidence ----------------------------------------------------------------------------------
# A reading at or above CONFIDENT is answered; below it the asker gets the closest readings as buttons.
CONFIDENT = 0.6
# Rule weights: a phrase that names the intent outright ("overdue", "who leads") scores STRONG_RULE;
# a rule reading needs STRONG_RULE and a lead of RULE_MARGIN over the runner-up to stand on its own.
STRONG_RULE = 2.0
RULE_MARGIN = 1.0
# Embedding second opinion (cosine similarity to the nearest exemplar of each intent). With
# all-MiniLM-L6-v2, paraphrases of an exemplar score 0.55-0.9 and unrelated questions below 0.35.
SIMILARITY_FLOOR = 0.45
SIMILARITY_MARGIN = 0.04
# How far ahead "coming up" / "soon" looks when no date range is given.
SOON = timedelta(days=14)
MAX_READINGS = 3
# Names fuzzily scored per phrase (see `NameIndex.shortlist`).
MAX_SHORTLIST = 40


@dataclass(frozen=True)
class ProjectName:
    """A project the asker may see, as the interpreter needs it."""

    key: str
    name: str
    channel_id: str | None = None
    private: bool = False


@dataclass(frozen=True)
class PersonName:
    """Someone in the directory."""

    slack_id: str
    name: str


@dataclass(frozen=True)
class MilestoneName:
    """A milestone of a project the asker may see."""

    ref: str
    title: str
    project_key: str


@dataclass(frozen=True)
class Directory:
    """The names a question can refer to. Only what the asker may see belongs in here."""

    projects: tuple[ProjectName, ...] = ()
    people: tuple[PersonName, ...] = ()
    milestones: tuple[MilestoneName, ...] = ()
    disciplines: tuple[str, ...] = ()


@dataclass(frozen=True)
class DateRange:
    """A half-open range of instants [start, end) in UTC, with the phrase it came from."""

    start: datetime
    end: datetime
    label: str


@dataclass(frozen=True)
class Entities:
    """What a question is about. Projects are keys, people Slack ids, milestones refs."""

    projects: tuple[str, ...] = ()
    people: tuple[str, ...] = ()
    milestones: tuple[str, ...] = ()
    disciplines: tuple[str, ...] = ()
    date_range: DateRange | None = None
    topic: str = ""
    me: bool = False
    from_context: bool = False


@dataclass(frozen=True)
class Reading:
    """One possible meaning of a question, offered as a button when the interpreter is unsure.

    Attributes:
        intent: The intent of this reading.
        entities: Its entities.
        label: Button text, e.g. "When is bidshade-1 (Replay dataset…) due?".
        question: A canonical question that the interpreter reads back as exactly this reading; the
            button re-asks it.
    """

    intent: Intent
    entities: Entities
    label: str
    question: str


@dataclass(frozen=True)
class Interpretation:
    """What the interpreter made of a question.

    Attributes:
        intent: The best reading's intent.
        entities: Its entities.
        confidence: 0..1; below `CONFIDENT` the answer is "did you mean" buttons (`alternatives`).
        alternatives: Up to three readings, best first, when unsure (or when a name was ambiguous).
        unknown_name: Words that looked like a project name but matched nothing visible (reported
            back without near misses from outside what the asker may see).
        needs_project: The intent needs a project and none was named or implied by the channel.
        used_similarity: Whether embedding similarity took part in the decision.
        refers_to_context: The question says "it", "this project" or "here".
        text: The normalised question.
    """

    intent: Intent
    entities: Entities
    confidence: float
    alternatives: tuple[Reading, ...] = ()
    unknown_name: str = ""
    needs_project: bool = False
    used_similarity: bool = False
    refers_to_context: bool = False
    text: str = ""

    @property
    def confident(self) -> bool:
        """Whether to answer rather than ask back."""
        return self.confidence >= CONFIDENT


SimilarityFn = Callable[[str], Mapping[Intent, float]]

# -- vocabulary ----------------------------------------------------------------------------------

_CONTRACTIONS = (
    (r"\bwhat's\b", "what is"),
    (r"\bwho's\b", "who is"),
    (r"\bwhen's\b", "when is"),
    (r"\bwhere's\b", "where is"),
    (r"\bhow's\b", "how is"),
    (r"\bthat's\b", "that is"),
    (r"\bwhat're\b", "what are"),
    (r"\bwho're\b", "who are"),
    (r"\bi'm\b", "i am"),
    (r"\bisn't\b", "is not"),
    (r"\baren't\b", "are not"),
    (r"\bdon't\b", "do not"),
    (r"\bdoesn't\b", "does not"),
    (r"\bwhats\b", "what is"),
    (r"\bwhos\b", "who is"),
    (r"\bhows\b", "how is"),
    (r"\bwhens\b", "when is"),
    (r"\bim\b", "i am"),
)
_CONTRACTION_RES = tuple((re.compile(p), r) for p, r in _CONTRACTIONS)

# Words that carry no identity: never the start or end of a name the asker typed.
_FUNCTION_WORDS = frozenset(
    """a an and are as at be been being by can could did do does doing done for from get got had has
    have having he her hers him his how i if in into is it its itself let lets me mine my of on or our
    ours please s she should so tell than that the their them then there these they this those to too
    us was we were what whats when where which while who whom whose why will with would you your yours
    any anything anyone anybody some something someone all about also just now currently right
    know knows kind sort much many one ones thing things still yet ever happening happened like
    give show list find see check look need needs want wants say said going go make made""".split()  # noqa: SIM905 (a word list reads better as text)
)
# Words that say what is asked, not what about; kept out of names.
_INTENT_WORDS = frozenset(
    """status state update updates progress health healthy track risk going doing
    next upcoming coming due deadline deadlines milestone milestones schedule scheduled timeline
    dates date plan plans planned deliverable deliverables soon
    overdue late behind missed slipped slipping delayed past
    blocked blocking blocker blockers stuck held holding impediment impediments obstacle obstacles
    waiting wait waits depend depends depending owe owes owed plate todo assigned responsible court
    lead leads leader leading led runs running run heads head manages managing charge coordinates
    principal investigator pi owner owns own
    member members team people staff staffed participants part involved involve involves involving
    include includes including working work works workstream
    ready finished complete completed delivered deliver delivering finish doing
    project projects
    expert experts expertise knowledgeable specialist specialists understands experience experienced
    help helpful ask talk contact advice advise
    when who which what how many count number hi hello hey thanks thank
    liaison bot""".split()  # noqa: SIM905 (a word list reads better as text)
)
_DATE_WORDS = frozenset(
    """today tonight tomorrow week weeks month months year years day days end before by until till
    within christmas xmas holidays new monday tuesday wednesday thursday friday saturday sunday
    mon tue tues wed thu thur thurs fri sat sun january february march april may june july august
    september october november december jan feb mar apr jun jul aug sep sept oct nov dec this
    following coming fortnight""".split()  # noqa: SIM905 (a word list reads better as text)
)
# Typo targets: an unknown word within a small edit of one of these is read as it.
_CORRECTABLE = sorted(
    w
    for w in _INTENT_WORDS | _DATE_WORDS | {"working", "involved", "anything", "everything", "everyone"}
    # Short targets attract unrelated words ("ethics" is one edit from "this").
    if len(w) >= 5
)

# Role nouns → a word of the discipline they belong to ("economists" → "economics").
_ROLE_NOUNS = {
    "economist": "economics",
    "economists": "economics",
    "economic": "economics",
    "lawyer": "law",
    "lawyers": "law",
    "legal": "law",
    "psychologist": "psychology",
    "psychologists": "psychology",
    "psychological": "psychology",
    "statistician": "statistics",
    "statisticians": "statistics",
    "statistical": "statistics",
    "cryptographer": "cryptography",
    "cryptographers": "cryptography",
    "ethicist": "ethics",
    "ethicists": "ethics",
    "ethical": "ethics",
    "marketer": "marketing",
    "marketers": "marketing",
    "linguist": "language",
    "linguists": "language",
    "nlp": "natural language processing",
    "ml": "machine learning",
    "hci": "human computer interaction",
    "cv": "computer vision",
    "engineers": "engineering",
    "engineer": "engineering",
    "designers": "creative",
    "creatives": "creative",
}

_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")
_CHANNEL = re.compile(r"<#([CG][A-Z0-9]+)(?:\|[^>]*)?>")
_OTHER_ANGLE = re.compile(r"<[^>]*>")
_MILESTONE_REF = re.compile(r"\b([a-z][a-z0-9_]{0,39})-(\d{1,6})\b")
_PRONOUN_ME = re.compile(r"\b(me|my|mine|myself|i|am i|i am)\b")
# "tell me about…" asks for something; it does not make the asker the subject.
_ME_AS_ADDRESSEE = re.compile(r"\b(tell|show|give|let|help|remind|send|get|find) me\b")
_CONTEXT_WORDS = re.compile(r"\b(this|that|the|our) (project|channel|one|team)\b|\b(here|it)\b")

# -- intent rules ---------------------------------------------------------------------------------
# (intent, pattern over the normalised question, weight). Weights add up per intent.
_RULES: tuple[tuple[Intent, str, float], ...] = (
    (
        Intent.HELP,
        r"^(help|hi|hello|hey|hiya|howdy|yo|thanks|thank you|good (morning|afternoon|evening)|\?)$",
        3.0,
    ),
    (Intent.HELP, r"^(help|hi|hello|hey)\b", 1.0),
    (
        Intent.HELP,
        r"\b(what (can|do) you (do|answer|know)|what can i ask|what (questions|kind of questions)|"
        r"how (do|can|should) i (use|ask)|how does (this|liaison|it) work|who are you|what are you|"
        r"help me|what do you do|commands)\b",
        3.0,
    ),
    (Intent.OVERDUE, r"\b(overdue|past due|behind schedule|missed|slipped|slipping|delayed)\b", 2.5),
    (Intent.OVERDUE, r"\b(late|behind)\b", 2.0),
    (Intent.OVERDUE, r"\bnot (done|finished|delivered) (yet|on time)\b", 1.5),
    (Intent.BLOCKED, r"\b(blocked|blocking|blockers?|stuck|impediments?|obstacles?)\b", 2.5),
    (Intent.BLOCKED, r"\b(held up|holding (up|back)|in the way)\b", 2.0),
    (
        Intent.WAITING_ON,
        r"\b(waiting (on|for)|waits (on|for)|wait on|depends? on|depending on|owe|owes|owed|"
        r"on (my|his|her|their) plate|to do list|todo|assigned to|in (my|his|her|their) court|"
        r"(i|he|she|they) (need|needs|have|has) to (do|deliver|finish|hand in)|"
        r"am i responsible for|is \w+( \w+)? responsible for|do i own|does \w+ own|what do i own|"
        r"(do|does) \w+( \w+)? (need|have) to (do|deliver|finish)|(do|does) \w+( \w+)? owe)\b",
        3.0,
    ),
    (Intent.WAITING_ON, r"\b(my|his|her|their) (tasks|work|deliverables|deadlines|milestones)\b", 2.0),
    (
        Intent.LEAD,
        r"\b(who (leads|is leading|runs|is running|heads|manages|is managing|is in charge|"
        r"coordinates|is the lead|is the leader|is the pi|is responsible for)|"
        r"lead(er)? (of|for|on)|in charge of|principal investigator|pi (of|for|on)|whose project)\b",
        3.0,
    ),
    (Intent.LEAD, r"\b(leads?|leader|leading|heads)\b", 1.5),
    (
        Intent.MEMBERS,
        r"\b(who (is|are) (on|in|part of|involved (in|with)|working on|staffed on|contributing to)|"
        r"who works? on|who else is on|members? of|team (of|on|for|behind)|people (on|in|working on)|"
        r"(is|are) on the team|who is involved)\b",
        3.0,
    ),
    (Intent.MEMBERS, r"\b(members?|team|participants|staffed|who is on)\b", 1.5),
    (
        Intent.PERSON_PROJECTS,
        r"\b(what (is|are|am) \w+( \w+)? (working on|doing|involved in|busy with)|what am i on|"
        r"which projects? (is|are|am|does|do|did|has|have)|what projects (is|are|am|does|do|has|have)|"
        r"projects? (of|for|by) |my projects|(his|her|their) projects|what is \w+( \w+)? on|"
        r"(is|are|am) (\w+ )?(\w+ )?(on|in) (any|which|what)|where (is|does) \w+ work|who is)\b",
        2.5,
    ),
    (
        Intent.DISCIPLINE_PROJECTS,
        r"\b(which|what|any) projects? (involve|involves|include|includes|have|has|need|needs|use|uses|"
        r"with|are there with|bring in)\b|\bprojects? (with|involving|including|that (involve|include|have|"
        r"need))\b|\b(involving|involve|involves) (an? )?\w+",
        1.5,
    ),
    (
        Intent.EXPERTS,
        r"\b(who (knows|knew|understands|is good at|is good with|has experience|has expertise|"
        r"is an expert|are the experts|can help|could help|can advise|could advise|can i ask|should i ask|"
        r"should i talk to|can i talk to|do i ask|to ask|works on|studies|researches|has worked on)|"
        r"experts?( on| in| for)?|expertise|specialists?|anyone (who )?(know|knows|familiar)|"
        r"knows (a lot )?about|knowledgeable|familiar with|someone who knows|who to (ask|talk to))\b",
        3.0,
    ),
    (
        Intent.WHEN_MILESTONE,
        r"\b(when (is|are|will|does|do|should)|due date (of|for)|deadline (of|for)|"
        r"what date is|by when|when\b.*\bdue)\b",
        2.0,
    ),
    (
        Intent.NEXT_MILESTONE,
        r"\b(next|upcoming|coming up|due|deadlines?|milestones?|schedule|timeline|deliverables?|"
        r"what is planned|what s planned|plan for)\b",
        1.5,
    ),
    (Intent.NEXT_MILESTONE, r"\b(what is next|what comes next|next milestones?|next steps?|due soon)\b", 2.5),
    (
        Intent.NEXT_MILESTONE,
        r"\b(has|have|needs?|need) to be (done|finished|delivered|ready|submitted)\b"
        r"|\bto be (done|delivered) by\b",
        2.0,
    ),
    (
        Intent.PROJECT_STATUS,
        r"\b(status|how is|how are|how goes|going|progress|update on|updates? (for|on)|state of|"
        r"health|on track|at risk|doing|latest on|news on|where are we|where is|overview|summary|"
        r"tell me about|what about|info on|details (of|on))\b",
        2.0,
    ),
    (
        Intent.LIST_PROJECTS,
        r"\b(list( all)?( the)? projects|all( the)? projects|which projects (are there|exist|do we have)|"
        r"what projects (are there|exist|do we have)|how many projects|projects do we have|every project)\b",
        3.0,
    ),
)
_COMPILED_RULES = tuple((intent, re.compile(pattern), weight) for intent, pattern, weight in _RULES)

# Exemplar questions per intent, for the embedding second opinion. Entity slots are written as the
# placeholders `_mask` puts in their place ("the project", "this person", "the milestone", "this field").
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


# -- normalisation --------------------------------------------------------------------------------


def fold(text: str) -> str:
    """Casefold, strip accents, turn punctuation into spaces, collapse spaces."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    kept = (" " if not ch.isalnum() else ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join("".join(kept).split())


@dataclass(frozen=True)
class _Prepared:
    words: tuple[str, ...]  # normalised words, typos in intent vocabulary corrected
    mentions: tuple[str, ...]
    channels: tuple[str, ...]
    refs: tuple[str, ...]  # milestone refs typed as KEY-N

    @property
    def text(self) -> str:
        return " ".join(self.words)


def _prepare(text: str, bot_user_id: str | None, name_words: frozenset[str]) -> _Prepared:
    raw = text
    if bot_user_id:
        raw = re.sub(rf"<@{re.escape(bot_user_id)}(\|[^>]*)?>", " ", raw)
    mentions = tuple(dict.fromkeys(_MENTION.findall(raw)))
    channels = tuple(dict.fromkeys(_CHANNEL.findall(raw)))
    raw = _MENTION.sub(" someone ", raw)
    raw = _CHANNEL.sub(" this channel ", raw)
    raw = _OTHER_ANGLE.sub(" ", raw)
    # Slack escapes & < > in message text.
    raw = raw.replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">")
    lowered = raw.casefold().replace("’", "'")
    refs = tuple(dict.fromkeys(f"{k}-{n}" for k, n in _MILESTONE_REF.findall(lowered)))
    lowered = _MILESTONE_REF.sub(" ", lowered)
    for pattern, replacement in _CONTRACTION_RES:
        lowered = pattern.sub(replacement, lowered)
    words = [_correct(w, name_words) for w in fold(lowered).split()]
    return _Prepared(tuple(words), mentions, channels, refs)


def _correct(word: str, name_words: frozenset[str]) -> str:
    """Fix a typo in a word of the intent or date vocabulary ("overdeu" → "overdue")."""
    if len(word) < 5 or word in name_words or word in _INTENT_WORDS or word in _DATE_WORDS:
        return word
    if word in _FUNCTION_WORDS or word.isdigit():
        return word
    found = process.extractOne(word, _CORRECTABLE, scorer=fuzz.ratio, score_cutoff=80)
    return str(found[0]) if found else word


# -- date ranges ----------------------------------------------------------------------------------

_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_WEEKDAY_INDEX = {name: i for i, name in enumerate(_WEEKDAYS)} | {
    "mon": 0,
    "tue": 1,
    "tues": 1,
    "wed": 2,
    "thu": 3,
    "thur": 3,
    "thurs": 3,
    "fri": 4,
    "sat": 5,
    "sun": 6,
}
_MONTHS = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)
_MONTH_INDEX = (
    {name: i + 1 for i, name in enumerate(_MONTHS)}
    | {m[:3]: i + 1 for i, m in enumerate(_MONTHS)}
    | {"sept": 9}
)
_NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "ten": 10}
_WD = "|".join(sorted(_WEEKDAY_INDEX, key=len, reverse=True))
_MO = "|".join(sorted(m for m in _MONTH_INDEX if m != "may") + ["may"])
_DATE_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(pattern))
    for name, pattern in (
        ("iso", r"\b(?P<pre>before|by|until|till|on)? ?(?P<y>20\d\d) (?P<m>\d\d?) (?P<d>\d\d?)\b"),
        (
            "next_n",
            r"\b(?:in|within|over|during)? ?(?:the )?(?:next|coming|following) (?P<n>\d+|one|two|three|four|"
            r"five|six|seven|ten|few|couple of) (?P<unit>days?|weeks?|months?)\b",
        ),
        (
            "within_n",
            r"\bwithin (?:the )?(?P<n>\d+|one|two|three|four|five|six|seven|ten) (?P<unit>days?|weeks?)\b",
        ),
        ("in_n", r"\bin (?P<n>\d+|one|two|three|four|five|six|seven|ten) (?P<unit>days?|weeks?)\b"),
        (
            "christmas",
            r"\b(?P<pre>before|by|until|till|ahead of)? ?(?:the )?(?:christmas|xmas)(?: break| holidays?)?\b",
        ),
        (
            "year_end",
            r"\b(?:before|by|until|till) (?:the )?(?:end of (?:the )?year|new year|year end|new years?)\b",
        ),
        ("this_year", r"\b(?:this|the rest of the) year\b"),
        ("today", r"\b(?:today|tonight|this evening|this afternoon)\b"),
        ("tomorrow", r"\btomorrow\b"),
        ("this_week", r"\b(?:this|the current|the rest of the|rest of the|end of the|end of this) week\b"),
        ("next_week", r"\b(?:next|the coming|the following|coming) week\b"),
        ("fortnight", r"\b(?:next|this|the coming) (?:two weeks|fortnight)\b"),
        ("this_month", r"\b(?:this|the current|the rest of the|rest of the) month\b"),
        ("next_month", r"\b(?:next|the coming|the following|coming) month\b"),
        ("month", rf"\b(?P<pre>before|by|until|till|in|during|for)? ?(?P<month>{_MO})\b(?! \d)"),
        ("weekday", rf"\b(?P<pre>before|by|until|till|on|this|next|coming)? ?(?P<wd>{_WD})\b"),
        ("soon", r"\b(?:soon|shortly|coming up|upcoming)\b"),
    )
)


def _end_of_day(day: date, zone: ZoneInfo) -> datetime:
    return _midnight(day + timedelta(days=1), zone)


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    # Midnight exists on every day in the zones we serve; fold=0 picks the first if it repeats.
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


def _short(day: date) -> str:
    return f"{_WEEKDAYS[day.weekday()][:3].title()} {day.day} {_MONTHS[day.month - 1][:3].title()}"


def find_date_range(text: str, *, now: datetime, zone: ZoneInfo) -> tuple[DateRange | None, str]:
    """Find a relative date range in a normalised question.

    Understood: "today", "tomorrow", "this week" (to the end of Sunday), "next week" (Monday to
    Sunday), "this month", "next month", "in the next N days/weeks", "within N days", "before
    Christmas" (to 25 December, 00:00), "before the end of the year", "by friday" (to the end of the
    next Friday after today, the rule `/milestone move friday` uses), "on friday", "in December",
    "by 2026-12-04", and "soon" (the next 14 days). Weeks start on Monday.

    Args:
        text: The normalised question (see `fold`).
        now: The current instant, timezone-aware.
        zone: The asker's zone; day boundaries are the asker's.

    Returns:
        The range (or None) and the text with the date phrase removed.
    """
    local = now.astimezone(zone)
    today = local.date()
    start = now.astimezone(UTC)
    for name, pattern in _DATE_PATTERNS:
        match = pattern.search(text)
        if match is None:
            continue
        found = _range_for(name, match, today, start, zone)
        if found is None:
            continue
        rest = " ".join((text[: match.start()] + " " + text[match.end() :]).split())
        return found, rest
    return None, text


def _count(raw: str) -> int:
    if raw.isdigit():
        return max(1, min(int(raw), 366))
    return {"few": 3, "couple of": 2}.get(raw, _NUMBER_WORDS.get(raw, 1))


def _range_for(
    name: str, match: re.Match[str], today: date, now: datetime, zone: ZoneInfo
) -> DateRange | None:
    groups = match.groupdict()
    pre = groups.get("pre")
    if name == "iso":
        try:
            day = date(int(groups["y"]), int(groups["m"]), int(groups["d"]))
        except ValueError:
            return None
        if pre == "on":
            return DateRange(_midnight(day, zone), _end_of_day(day, zone), f"on {_short(day)}")
        end = _midnight(day, zone) if pre == "before" else _end_of_day(day, zone)
        return DateRange(now, end, f"by {_short(day)}")
    if name in ("next_n", "within_n", "in_n"):
        count = _count(groups["n"])
        unit = groups["unit"]
        days = count * (30 if unit.startswith("month") else 7 if unit.startswith("week") else 1)
        last = today + timedelta(days=days)
        return DateRange(now, _end_of_day(last, zone), f"in the next {count} {unit.rstrip('s')}s")
    if name == "christmas":
        year = today.year if today < date(today.year, 12, 25) else today.year + 1
        return DateRange(now, _midnight(date(year, 12, 25), zone), "before Christmas")
    if name in ("year_end", "this_year"):
        return DateRange(now, _midnight(date(today.year + 1, 1, 1), zone), "before the end of the year")
    if name == "today":
        return DateRange(now, _end_of_day(today, zone), "today")
    if name == "tomorrow":
        day = today + timedelta(days=1)
        return DateRange(_midnight(day, zone), _end_of_day(day, zone), f"tomorrow ({_short(day)})")
    if name == "this_week":
        sunday = today + timedelta(days=6 - today.weekday())
        return DateRange(now, _end_of_day(sunday, zone), f"this week (to {_short(sunday)})")
    if name == "next_week":
        monday = today + timedelta(days=7 - today.weekday())
        sunday = monday + timedelta(days=6)
        return DateRange(
            _midnight(monday, zone),
            _end_of_day(sunday, zone),
            f"next week ({_short(monday)} – {_short(sunday)})",
        )
    if name == "fortnight":
        last = today + timedelta(days=14)
        return DateRange(now, _end_of_day(last, zone), "in the next two weeks")
    if name == "this_month":
        first_next = _first_of_next_month(today)
        return DateRange(now, _midnight(first_next, zone), f"this month ({_MONTHS[today.month - 1].title()})")
    if name == "next_month":
        first = _first_of_next_month(today)
        after = _first_of_next_month(first)
        return DateRange(
            _midnight(first, zone), _midnight(after, zone), f"next month ({_MONTHS[first.month - 1].title()})"
        )
    if name == "month":
        month = _MONTH_INDEX[groups["month"]]
        year = today.year if month >= today.month else today.year + 1
        first = date(year, month, 1)
        after = _first_of_next_month(first)
        label = _MONTHS[month - 1].title()
        if pre in ("before", "by", "until", "till"):
            end = _midnight(first, zone) if pre == "before" else _midnight(after, zone)
            return DateRange(now, end, f"{pre} {label}")
        begin = max(now, _midnight(first, zone))
        return DateRange(begin, _midnight(after, zone), f"in {label} {year}")
    if name == "weekday":
        weekday = _WEEKDAY_INDEX[groups["wd"]]
        ahead = (weekday - today.weekday()) % 7 or 7
        day = today + timedelta(days=ahead)
        if pre in ("on", "this", "next", "coming"):
            return DateRange(_midnight(day, zone), _end_of_day(day, zone), f"on {_short(day)}")
        return DateRange(now, _end_of_day(day, zone), f"by {_short(day)}")
    if name == "soon":
        return DateRange(now, now + SOON, "in the next 14 days")
    return None


def _first_of_next_month(day: date) -> date:
    return date(day.year + (day.month == 12), day.month % 12 + 1, 1)


# -- entity resolution ----------------------------------------------------------------------------


@dataclass(frozen=True)
class EntityMatch:
    """A name found in the question: which words, of what kind, and what it may mean."""

    kind: str  # "project" | "person" | "milestone" | "discipline"
    start: int
    end: int
    match_kind: MatchKind
    keys: tuple[str, ...]  # the best key for EXACT/CONFIDENT, else the alternatives

    @property
    def sure(self) -> bool:
        return self.match_kind in (MatchKind.EXACT, MatchKind.CONFIDENT)

    @property
    def length(self) -> int:
        return self.end - self.start


class NameIndex:
    """Candidates plus a word index, so that each span is fuzzily matched only against candidates
    sharing a (possibly misspelt or abbreviated) word with it: 10,000 milestone titles cost
    milliseconds, not seconds."""

    def __init__(self, candidates: Sequence[Candidate]) -> None:
        self.candidates = list(candidates)
        self._by_word: dict[str, set[int]] = {}
        # Keys typed exactly ("proj0597", a Slack id): opaque keys are not in the word index.
        self._by_key = {fold(c.key).replace(" ", ""): i for i, c in enumerate(self.candidates)}
        for index, candidate in enumerate(self.candidates):
            words = set(fold(candidate.name).split())
            if not any(c.isdigit() for c in candidate.key):
                words |= set(fold(candidate.key).split())
            for word in words:
                if word not in _FUNCTION_WORDS or len(words) == 1:
                    self._by_word.setdefault(word, set()).add(index)
        self._vocab = sorted(self._by_word)
        self._by_prefix: dict[str, list[str]] = {}
        for word in self._vocab:
            self._by_prefix.setdefault(word[:3], []).append(word)

    @property
    def words(self) -> frozenset[str]:
        """Every word of every candidate."""
        return frozenset(self._by_word)

    def shortlist(self, words: Sequence[str]) -> list[Candidate]:
        """Candidates with a word equal to, starting with, or a small edit away from one of `words`.

        At most MAX_SHORTLIST, those sharing the most words first: the real contenders share the most,
        and fuzzy scoring hundreds of names that share one common word ("study") costs a second.
        """
        counts: Counter[int] = Counter()
        exact = self._by_key.get("".join(words))
        if exact is not None:
            counts[exact] += len(words) + 1
        for word in words:
            if word in _FUNCTION_WORDS:
                continue
            hits: set[int] = set(self._by_word.get(word, ()))
            if len(word) >= 3:
                for other in self._by_prefix.get(word[:3], ()):
                    if other.startswith(word) or word.startswith(other):
                        hits |= self._by_word[other]
            if len(word) >= 4:
                for other, _, _ in process.extract(
                    word, self._vocab, scorer=fuzz.ratio, score_cutoff=75, limit=20
                ):
                    hits |= self._by_word[other]
            counts.update(hits)
        ranked = sorted(counts, key=lambda i: (-counts[i], i))[:MAX_SHORTLIST]
        return [self.candidates[i] for i in sorted(ranked)]

    def match(self, phrase_words: Sequence[str]) -> tuple[MatchKind, tuple[Candidate, ...]]:
        """`match_name` of the phrase against the shortlist; (kind, best-or-alternatives)."""
        shortlist = self.shortlist(phrase_words)
        if not shortlist:
            return MatchKind.NONE, ()
        found = match_name(" ".join(phrase_words), shortlist)
        if found.best is not None:
            if _covers(phrase_words, found.best):
                return found.kind, (found.best,)
            return MatchKind.NONE, ()
        alternatives = tuple(c for c in found.alternatives if _covers(phrase_words, c))
        if found.kind == MatchKind.AMBIGUOUS and len(alternatives) == 1:
            return MatchKind.CONFIDENT, alternatives
        return (found.kind if alternatives else MatchKind.NONE), alternatives


def _covers(phrase_words: Sequence[str], candidate: Candidate) -> bool:
    """Whether every word the asker typed appears in the name (exactly, as a prefix or misspelt).

    `match_name` scores whole strings, which suits a command argument; in a free-text question a span
    such as "privacy law" must not resolve to a name that only contains "privacy".
    """
    key = fold(candidate.key).replace(" ", "")
    name_words = fold(candidate.name).split()
    if not any(c.isdigit() for c in key):
        name_words.append(key)
    compact = "".join(phrase_words)
    if fuzz.ratio(compact, key) >= 85 or fuzz.ratio(compact, "".join(name_words[:-1])) >= 85:
        return True
    content = [w for w in phrase_words if w not in _FUNCTION_WORDS] or list(phrase_words)
    for word in content:
        if word in name_words:
            continue
        if any(n.startswith(word) for n in name_words) and (len(word) >= 3 or len(content) > 1):
            continue
        if len(word) >= 4 and any(fuzz.ratio(word, n) >= 75 for n in name_words):
            continue
        return False
    return True


@dataclass
class DirectoryIndex:
    """A `Directory` with a `NameIndex` per kind of name, built once per directory."""

    directory: Directory
    projects: NameIndex = field(init=False)
    people: NameIndex = field(init=False)
    milestones: NameIndex = field(init=False)
    disciplines: NameIndex = field(init=False)
    name_words: frozenset[str] = field(init=False)

    def __post_init__(self) -> None:
        d = self.directory
        self.projects = NameIndex([Candidate(p.key, p.name) for p in d.projects])
        self.people = NameIndex([Candidate(p.slack_id, p.name) for p in d.people])
        self.milestones = NameIndex([Candidate(m.ref, m.title) for m in d.milestones])
        self.disciplines = NameIndex([Candidate(x, x) for x in d.disciplines])
        self.name_words = (
            self.projects.words | self.people.words | self.milestones.words | self.disciplines.words
        )
        self._project_keys = {p.key for p in d.projects}
        self._people_ids = {p.slack_id for p in d.people}
        self._milestone_refs = {m.ref: m for m in d.milestones}
        self._by_channel = {p.channel_id: p.key for p in d.projects if p.channel_id}

    def project_of_channel(self, channel_id: str | None) -> str | None:
        """The visible project whose channel this is."""
        return self._by_channel.get(channel_id) if channel_id else None

    def has_person(self, slack_id: str) -> bool:
        """Whether the directory knows this Slack user."""
        return slack_id in self._people_ids

    def milestone(self, ref: str) -> MilestoneName | None:
        """A visible milestone by ref."""
        return self._milestone_refs.get(ref)

    def has_project(self, key: str) -> bool:
        """Whether the project is visible."""
        return key in self._project_keys


@lru_cache(maxsize=8)
def index_directory(directory: Directory) -> DirectoryIndex:
    """The `DirectoryIndex` of a directory, built once per distinct directory (per asker's view).

    Building it for 10,000 milestone titles takes a few hundred milliseconds; the same snapshot
    (unchanged data, same visibility) is asked about again and again.
    """
    return DirectoryIndex(directory)


def _is_content(word: str) -> bool:
    return word not in _FUNCTION_WORDS and word not in _INTENT_WORDS and word not in _DATE_WORDS


def _spans(words: Sequence[str], max_len: int = 6) -> list[tuple[int, int]]:
    """Candidate name spans: runs of words that start and end with a content word."""
    found = []
    for start in range(len(words)):
        if not _is_content(words[start]):
            continue
        for end in range(start + 1, min(len(words), start + max_len) + 1):
            if _is_content(words[end - 1]):
                found.append((start, end))
    return found


_KIND_ORDER = {MatchKind.EXACT: 0, MatchKind.CONFIDENT: 1, MatchKind.AMBIGUOUS: 2}


def find_entities(
    words: Sequence[str], index: DirectoryIndex, kinds: Iterable[str], *, whole_names: bool = True
) -> list[EntityMatch]:
    """Names of the given kinds in the question, longest and surest first, not overlapping.

    A span that names a project and a milestone equally well ("fatigue") is kept for both kinds; the
    intent decides which one is meant. With `whole_names`, a match must account for at least half of
    the name-like words around it (see `_covers_run`); scanning a thread for its subject turns that off.
    """
    indexes = {
        "project": index.projects,
        "person": index.people,
        "milestone": index.milestones,
        "discipline": index.disciplines,
    }
    discipline_words = [_ROLE_NOUNS.get(w, w) for w in words]
    found: list[EntityMatch] = []
    for kind in kinds:
        name_index = indexes[kind]
        if not name_index.candidates:
            continue
        source = discipline_words if kind == "discipline" else list(words)
        matches: list[EntityMatch] = []
        for start, end in _spans(source):
            phrase = " ".join(source[start:end]).split()
            match_kind, keys = name_index.match(phrase)
            if match_kind == MatchKind.NONE or not keys:
                continue
            if match_kind == MatchKind.AMBIGUOUS and end - start == 1 and len(phrase[0]) < 4:
                continue  # a short word that is near several names is noise, not ambiguity
            matches.append(EntityMatch(kind, start, end, match_kind, tuple(c.key for c in keys)))
        if whole_names:
            matches = [m for m in matches if _covers_run(source, m)]
        matches.sort(key=lambda m: (_KIND_ORDER[m.match_kind], -m.length, m.start))
        taken: list[EntityMatch] = []
        for candidate in matches:
            if any(candidate.start < t.end and t.start < candidate.end for t in taken):
                continue
            taken.append(candidate)
        found += taken
    return found


_JOINERS = frozenset({"of", "for", "and", "in", "on", "with", "to", "the", "a", "an", "at", "by"})


def _covers_run(words: Sequence[str], match: EntityMatch) -> bool:
    """Whether a match accounts for at least half of the name-like words around it.

    "ethics board approval" must not resolve to a milestone that only fits "approval": the asker named
    something else, and saying so beats answering about the wrong record.
    """
    start, end = match.start, match.end
    while start > 0 and (
        _is_content(words[start - 1])
        or (words[start - 1] in _JOINERS and start > 1 and _is_content(words[start - 2]))
    ):
        start -= 1
    while end < len(words) and (
        _is_content(words[end])
        or (words[end] in _JOINERS and end + 1 < len(words) and _is_content(words[end + 1]))
    ):
        end += 1
    run = [w for w in words[start:end] if _is_content(w)]
    inside = [w for w in words[match.start : match.end] if _is_content(w)]
    return 2 * len(inside) >= len(run)


def _drop_contained(matches: list[EntityMatch]) -> list[EntityMatch]:
    """Drop a name that overlaps a longer sure name of another kind ("privacy" inside "privacy law")."""
    return [
        m
        for m in matches
        if not any(
            n.sure and n.kind != m.kind and n.length > m.length and m.start < n.end and n.start < m.end
            for n in matches
        )
    ]


def _resolve_overlaps(matches: list[EntityMatch], preferred: Sequence[str]) -> list[EntityMatch]:
    """Across kinds, keep the surest, longest match for overlapping words; ties go to `preferred`."""
    order = {kind: i for i, kind in enumerate(preferred)}
    ranked = sorted(
        matches, key=lambda m: (_KIND_ORDER[m.match_kind] > 1, -m.length, order.get(m.kind, 9), m.start)
    )
    kept: list[EntityMatch] = []
    for candidate in ranked:
        if any(candidate.start < k.end and k.start < candidate.end for k in kept):
            continue
        kept.append(candidate)
    return sorted(kept, key=lambda m: m.start)


# -- interpretation -------------------------------------------------------------------------------


def _rule_scores(text: str) -> dict[Intent, float]:
    scores: dict[Intent, float] = {}
    for intent, pattern, weight in _COMPILED_RULES:
        if pattern.search(text):
            scores[intent] = scores.get(intent, 0.0) + weight
    return scores


def _mask(words: Sequence[str], matches: Sequence[EntityMatch]) -> str:
    placeholders = {
        "project": "the project",
        "person": "this person",
        "milestone": "the milestone",
        "discipline": "this field",
    }
    out: list[str] = []
    position = 0
    for match in sorted(matches, key=lambda m: m.start):
        out += words[position : match.start]
        out.append(placeholders[match.kind])
        position = match.end
    out += words[position:]
    return " ".join(out)


def _topic(words: Sequence[str]) -> str:
    """What an expert question is about: the words after the asking phrase, minus filler."""
    text = " ".join(words)
    cut = re.search(
        r"\b(about|on|in|with|at|for|regarding|re|around|of|understands|studies|researches|knows)\b (.+)$",
        text,
    )
    tail = cut.group(2) if cut else text
    kept = [w for w in tail.split() if w not in _FUNCTION_WORDS and w not in _INTENT_WORDS]
    return " ".join(kept)


def interpret(
    text: str,
    directory: Directory | DirectoryIndex,
    *,
    now: datetime,
    zone: ZoneInfo,
    channel_id: str | None = None,
    context_projects: Sequence[str] = (),
    bot_user_id: str | None = None,
    similarity: SimilarityFn | None = None,
) -> Interpretation:
    """Understand a question.

    Args:
        text: The question as typed in Slack (mentions like `<@U…>` and `<#C…>` included).
        directory: The names the asker may see (or a prebuilt `DirectoryIndex` of them).
        now: The current instant, timezone-aware.
        zone: The asker's zone, for "this week" and "before Christmas".
        channel_id: Where it was asked; a project's channel makes that project the default subject.
        context_projects: Projects named earlier in the thread, most recent first; the next default.
        bot_user_id: Liaison's own user id, removed from the text.
        similarity: Intent → similarity of the (masked) question to each intent's exemplars; consulted
            when the phrase rules are not decisive. None (e.g. while the model loads) means rules alone.

    Returns:
        The interpretation; see `Interpretation`.
    """
    index = directory if isinstance(directory, DirectoryIndex) else index_directory(directory)
    prepared = _prepare(text, bot_user_id, index.name_words)
    date_range, rest = find_date_range(prepared.text, now=now, zone=zone)
    words = rest.split()
    normal = prepared.text
    rules = _rule_scores(normal)
    me = bool(_PRONOUN_ME.search(_ME_AS_ADDRESSEE.sub(" ", normal)))

    if not prepared.words and not prepared.mentions and not prepared.refs:
        return Interpretation(Intent.HELP, Entities(date_range=date_range), 0.9, text=normal)
    matches = _drop_contained(find_entities(words, index, ("project", "person", "milestone", "discipline")))
    people = [m for m in prepared.mentions if index.has_person(m)] + [
        m.keys[0] for m in matches if m.kind == "person" and m.sure
    ]
    refs = [r for r in prepared.refs if index.milestone(r) is not None]
    # What each kind of name contributes depends on the question; collect everything, decide below.
    by_kind: dict[str, list[EntityMatch]] = {"project": [], "person": [], "milestone": [], "discipline": []}
    for match in matches:
        by_kind[match.kind].append(match)

    _adjust_for_entities(rules, by_kind, refs, people, me, date_range, normal)
    intent, confidence, used_similarity, ranked = _decide(rules, words, matches, similarity)

    preferred = _PREFERRED_KINDS.get(intent, ("project", "person", "discipline", "milestone"))
    kept = _resolve_overlaps([m for m in matches if m.kind in preferred], preferred)
    sure = {kind: [m.keys[0] for m in kept if m.kind == kind and m.sure] for kind in preferred}
    unsure = [m for m in kept if not m.sure]

    projects = list(dict.fromkeys(sure.get("project", [])))
    milestones = list(dict.fromkeys(refs + sure.get("milestone", [])))
    if intent == Intent.WHEN_MILESTONE and not milestones and projects:
        intent = Intent.NEXT_MILESTONE
    people_ids = list(dict.fromkeys([*prepared.mentions, *sure.get("person", [])]))
    people_ids = [p for p in people_ids if index.has_person(p)]
    disciplines = list(dict.fromkeys(sure.get("discipline", [])))

    if intent == Intent.PROJECT_STATUS and not projects and any(m.kind == "milestone" for m in kept):
        # "tell me about the retail data approval": a milestone, not a project, was named.
        intent = Intent.WHEN_MILESTONE
    has_context = bool(context_projects) or index.project_of_channel(channel_id) is not None
    if intent == Intent.WHEN_MILESTONE and not milestones and not projects and has_context:
        intent = Intent.NEXT_MILESTONE  # "when is it due?" in a project's channel or thread
    from_context = False
    if not projects and intent in _USES_CONTEXT and not (intent in _PERSON_SCOPED and (people_ids or me)):
        context = [index.project_of_channel(c) for c in prepared.channels] + [
            index.project_of_channel(channel_id),
            *[k for k in context_projects if index.has_project(k)],
        ]
        chosen = next((k for k in context if k), None)
        if chosen is not None and (
            intent in NEEDS_PROJECT or _CONTEXT_WORDS.search(normal) or intent != Intent.SEARCH
        ):
            projects = [chosen]
            from_context = True

    entities = Entities(
        projects=tuple(projects),
        people=tuple(people_ids),
        milestones=tuple(milestones),
        disciplines=tuple(disciplines),
        date_range=date_range,
        topic=_topic(words) if intent in (Intent.EXPERTS, Intent.SEARCH) else "",
        me=me,
        from_context=from_context,
    )

    alternatives: tuple[Reading, ...] = ()
    unknown = ""
    if not (confidence >= CONFIDENT):
        alternatives = _intent_readings(ranked, entities, index)
    relevant_unsure = [m for m in unsure if m.kind in _ENTITY_KINDS_FOR.get(intent, ())]
    if confidence >= CONFIDENT and relevant_unsure and not _has_entity_for(intent, entities):
        alternatives = _entity_readings(intent, entities, relevant_unsure[0], index)
        confidence = min(confidence, 0.5)
    needs_project = intent in NEEDS_PROJECT and not entities.projects
    if needs_project or (intent == Intent.WHEN_MILESTONE and not entities.milestones):
        relevant = [m for m in kept if m.kind in _ENTITY_KINDS_FOR.get(intent, ())]
        leftover = [
            w
            for i, w in enumerate(words)
            if _is_content(w) and not any(m.start <= i < m.end for m in relevant)
        ]
        if leftover and not alternatives:
            unknown = " ".join(leftover)
    return Interpretation(
        intent=intent,
        entities=entities,
        confidence=confidence,
        alternatives=alternatives,
        unknown_name=unknown,
        needs_project=needs_project,
        used_similarity=used_similarity,
        refers_to_context=bool(_CONTEXT_WORDS.search(normal)),
        text=normal,
    )


_PREFERRED_KINDS: dict[Intent, tuple[str, ...]] = {
    Intent.WHEN_MILESTONE: ("milestone", "project", "person"),
    Intent.PERSON_PROJECTS: ("person", "discipline", "project"),
    Intent.WAITING_ON: ("person", "project"),
    Intent.DISCIPLINE_PROJECTS: ("discipline", "person", "project"),
    Intent.EXPERTS: ("person",),
    Intent.SEARCH: ("project", "milestone", "person"),
    Intent.HELP: (),
    Intent.LIST_PROJECTS: ("discipline", "person"),
}
_ENTITY_KINDS_FOR: dict[Intent, tuple[str, ...]] = {
    Intent.PROJECT_STATUS: ("project",),
    Intent.LEAD: ("project",),
    Intent.MEMBERS: ("project",),
    Intent.NEXT_MILESTONE: ("project", "person"),
    Intent.OVERDUE: ("project", "person"),
    Intent.BLOCKED: ("project",),
    Intent.WHEN_MILESTONE: ("milestone",),
    Intent.PERSON_PROJECTS: ("person",),
    Intent.WAITING_ON: ("person",),
    Intent.DISCIPLINE_PROJECTS: ("discipline",),
}
_USES_CONTEXT = frozenset(
    {
        Intent.PROJECT_STATUS,
        Intent.LEAD,
        Intent.MEMBERS,
        Intent.NEXT_MILESTONE,
        Intent.OVERDUE,
        Intent.BLOCKED,
    }
)
_PERSON_SCOPED = frozenset({Intent.NEXT_MILESTONE, Intent.OVERDUE})


def _has_entity_for(intent: Intent, entities: Entities) -> bool:
    kinds = _ENTITY_KINDS_FOR.get(intent, ())
    return (
        ("project" in kinds and bool(entities.projects))
        or ("person" in kinds and bool(entities.people))
        or ("milestone" in kinds and bool(entities.milestones))
        or ("discipline" in kinds and bool(entities.disciplines))
    )


def _adjust_for_entities(
    rules: dict[Intent, float],
    by_kind: Mapping[str, list[EntityMatch]],
    refs: Sequence[str],
    people: Sequence[str],
    me: bool,
    date_range: DateRange | None,
    text: str,
) -> None:
    """Let the kinds of names present tip the balance between rules that fit the words equally."""

    def add(intent: Intent, amount: float) -> None:
        rules[intent] = rules.get(intent, 0.0) + amount

    has_project = any(m.sure for m in by_kind["project"])
    has_milestone = bool(refs) or any(m.sure for m in by_kind["milestone"])
    has_person = bool(people)
    has_discipline = any(m.sure for m in by_kind["discipline"])
    asks_when = bool(re.search(r"\b(when|by when|what date|due date|deadline)\b", text))

    if has_milestone and asks_when:
        add(Intent.WHEN_MILESTONE, 1.5)
    if has_milestone and not has_project and not rules:
        add(Intent.WHEN_MILESTONE, 1.0)
    if date_range is not None and Intent.OVERDUE not in rules and Intent.WAITING_ON not in rules:
        # A date range is itself a strong hint that the question is about what is due.
        add(Intent.NEXT_MILESTONE, 1.0 if rules else 2.0)
    if Intent.PERSON_PROJECTS in rules and not has_person and not me and not re.search(r"\bwho is\b", text):
        rules.pop(Intent.PERSON_PROJECTS)
    if has_person and not has_project:
        if Intent.EXPERTS in rules and re.search(r"\bwho (works|has worked) on\b", text):
            rules.pop(Intent.EXPERTS)
        if Intent.MEMBERS in rules and not re.search(r"\bmembers? of\b", text):
            rules[Intent.MEMBERS] -= 1.5
        if re.search(r"\bwho is\b", text) and Intent.PERSON_PROJECTS in rules:
            add(Intent.PERSON_PROJECTS, 0.5)
        if not rules:
            add(Intent.PERSON_PROJECTS, 2.0)
    if has_project:
        if Intent.PERSON_PROJECTS in rules and not has_person and not me:
            rules.pop(Intent.PERSON_PROJECTS)
        if Intent.EXPERTS in rules and re.search(r"\bwho (works|has worked) on\b", text):
            rules.pop(Intent.EXPERTS)
            add(Intent.MEMBERS, 2.0)
        if Intent.DISCIPLINE_PROJECTS in rules and not has_discipline:
            rules.pop(Intent.DISCIPLINE_PROJECTS)
        if not rules:
            add(Intent.PROJECT_STATUS, 2.0)
    if has_discipline and not has_project and not has_person:
        if Intent.EXPERTS not in rules and (
            Intent.DISCIPLINE_PROJECTS in rules
            or Intent.PERSON_PROJECTS in rules
            or Intent.LIST_PROJECTS in rules
        ):
            add(Intent.DISCIPLINE_PROJECTS, 2.0)
            rules.pop(Intent.PERSON_PROJECTS, None)
            rules.pop(Intent.LIST_PROJECTS, None)
    elif Intent.DISCIPLINE_PROJECTS in rules and not has_discipline:
        rules[Intent.DISCIPLINE_PROJECTS] -= 1.0
    if (
        me
        and not has_person
        and Intent.WHEN_MILESTONE not in rules
        and Intent.PERSON_PROJECTS in rules
        and re.search(r"\b(am i|my projects|i am)\b", text)
    ):
        add(Intent.PERSON_PROJECTS, 1.0)
    if (
        Intent.LEAD in rules
        and Intent.MEMBERS in rules
        and re.search(r"\bwho (leads|is leading|runs)\b", text)
    ):
        rules[Intent.MEMBERS] -= 1.5
    if Intent.WAITING_ON in rules and Intent.PERSON_PROJECTS in rules and "working on" not in text:
        rules.pop(Intent.PERSON_PROJECTS)
    if me and not has_person and Intent.NEXT_MILESTONE in rules and Intent.WAITING_ON not in rules:
        add(Intent.NEXT_MILESTONE, 1.0)
    if Intent.WAITING_ON in rules and Intent.NEXT_MILESTONE in rules:
        rules[Intent.NEXT_MILESTONE] -= 1.0
    if Intent.OVERDUE in rules and Intent.NEXT_MILESTONE in rules:
        rules[Intent.NEXT_MILESTONE] -= 1.0
    if Intent.BLOCKED in rules and Intent.PROJECT_STATUS in rules and not has_project:
        rules[Intent.PROJECT_STATUS] -= 1.0
    if Intent.LIST_PROJECTS in rules and (has_person or me) and Intent.PERSON_PROJECTS in rules:
        rules.pop(Intent.LIST_PROJECTS)
    for intent in [i for i, s in rules.items() if s <= 0]:
        rules.pop(intent)


def _decide(
    rules: Mapping[Intent, float],
    words: Sequence[str],
    matches: Sequence[EntityMatch],
    similarity: SimilarityFn | None,
) -> tuple[Intent, float, bool, list[Intent]]:
    """Pick the intent: decisive rules stand; otherwise rules and similarity together, or unsure."""
    ranked_rules = sorted(rules.items(), key=lambda kv: (-kv[1], list(Intent).index(kv[0])))
    top_rule, top_score = ranked_rules[0] if ranked_rules else (Intent.SEARCH, 0.0)
    second_score = ranked_rules[1][1] if len(ranked_rules) > 1 else 0.0
    if top_score >= STRONG_RULE and top_score - second_score >= RULE_MARGIN:
        return top_rule, 0.9, False, [i for i, _ in ranked_rules]
    if similarity is None:
        if top_score >= STRONG_RULE and top_score > second_score:
            return top_rule, 0.65, False, [i for i, _ in ranked_rules]
        confidence = 0.45 if ranked_rules else 0.0
        return top_rule, confidence, False, [i for i, _ in ranked_rules]
    sims = dict(similarity(_mask(words, [m for m in matches if m.sure])))
    combined = {
        intent: sims.get(intent, 0.0) + 0.15 * rules.get(intent, 0.0)
        for intent in Intent
        if intent in sims or intent in rules
    }
    ranked = sorted(combined, key=lambda i: (-combined[i], list(Intent).index(i)))
    best_sim = sorted(sims.values(), reverse=True)
    sim_top = best_sim[0] if best_sim else 0.0
    sim_second = best_sim[1] if len(best_sim) > 1 else 0.0
    best = ranked[0]
    sim_leader = max(sims, key=lambda i: sims[i]) if sims else None
    if ranked_rules and top_score >= STRONG_RULE and best == top_rule:
        return best, 0.8, True, ranked
    if sim_top >= SIMILARITY_FLOOR and sim_leader == best and sim_top - sim_second >= SIMILARITY_MARGIN:
        return best, 0.7, True, ranked
    if not ranked_rules and sim_top < SIMILARITY_FLOOR:
        return Intent.SEARCH, 0.65, True, ranked
    return best, 0.45, True, ranked


# -- readings and canonical questions -------------------------------------------------------------


def canonical_question(intent: Intent, entities: Entities) -> str:
    """A question the interpreter reads back as exactly this intent and these entities.

    Buttons re-ask these, so they use keys, refs and `<@U…>` mentions rather than names.
    """
    project = entities.projects[0] if entities.projects else ""
    person = f"<@{entities.people[0]}>" if entities.people else ("me" if entities.me else "")
    when = f" {_range_words(entities.date_range)}" if entities.date_range else ""
    if intent == Intent.PROJECT_STATUS:
        return f"status of {project}" if project else "status"
    if intent == Intent.LEAD:
        return f"who leads {project}" if project else "who leads"
    if intent == Intent.MEMBERS:
        return f"who is on {project}" if project else "who is on the team"
    if intent == Intent.NEXT_MILESTONE:
        scope = f" for {project}" if project else (f" for {person}" if person else "")
        return f"what is due{scope}{when}" if when else f"next milestones{scope}"
    if intent == Intent.OVERDUE:
        scope = f" on {project}" if project else (f" for {person}" if person else "")
        return f"what is overdue{scope}"
    if intent == Intent.BLOCKED:
        return f"what is blocking {project}" if project else "what is blocked"
    if intent == Intent.WAITING_ON:
        return f"what is waiting on {person or 'me'}"
    if intent == Intent.WHEN_MILESTONE:
        return f"when is {entities.milestones[0]} due" if entities.milestones else "when is it due"
    if intent == Intent.PERSON_PROJECTS:
        return f"which projects is {person} on" if person and person != "me" else "which projects am i on"
    if intent == Intent.DISCIPLINE_PROJECTS:
        field_name = entities.disciplines[0] if entities.disciplines else ""
        return f"which projects involve {field_name}"
    if intent == Intent.EXPERTS:
        return f"who knows about {entities.topic}" if entities.topic else "who knows about"
    if intent == Intent.LIST_PROJECTS:
        return "list all projects"
    if intent == Intent.HELP:
        return "help"
    return entities.topic or "help"


def _range_words(date_range: DateRange | None) -> str:
    if date_range is None:
        return ""
    label = date_range.label
    return label.split(" (")[0]


_LABELS = {
    Intent.PROJECT_STATUS: "Status of {project}",
    Intent.LEAD: "Who leads {project}",
    Intent.MEMBERS: "Who is on {project}",
    Intent.NEXT_MILESTONE: "Next milestones{scope}",
    Intent.OVERDUE: "What is overdue{scope}",
    Intent.BLOCKED: "What is blocked{scope}",
    Intent.WAITING_ON: "What is waiting on {person}",
    Intent.WHEN_MILESTONE: "When {milestone} is due",
    Intent.PERSON_PROJECTS: "Projects of {person}",
    Intent.DISCIPLINE_PROJECTS: "Projects involving {discipline}",
    Intent.EXPERTS: "Who knows about {topic}",
    Intent.LIST_PROJECTS: "All projects",
    Intent.HELP: "What I can answer",
    Intent.SEARCH: "Search the records",
}


def describe(intent: Intent, entities: Entities, index: DirectoryIndex | None = None) -> str:
    """A short button label for a reading, using names where the directory has them."""
    project_names = {p.key: p.name for p in index.directory.projects} if index else {}
    people_names = {p.slack_id: p.name for p in index.directory.people} if index else {}
    project = entities.projects[0] if entities.projects else ""
    project_label = project_names.get(project, project) or "a project"
    person = entities.people[0] if entities.people else ""
    person_label = people_names.get(person, person) or "you"
    milestone = entities.milestones[0] if entities.milestones else ""
    if index and milestone and (found := index.milestone(milestone)):
        milestone_label = f"{milestone} ({found.title})"
    else:
        milestone_label = milestone or "a milestone"
    scope = f" on {project_label}" if project else (f" for {person_label}" if person else "")
    if intent == Intent.NEXT_MILESTONE and entities.date_range:
        scope += f" {_range_words(entities.date_range)}"
    return _LABELS[intent].format(
        project=project_label,
        scope=scope,
        person=person_label,
        milestone=milestone_label,
        discipline=entities.disciplines[0] if entities.disciplines else "a field",
        topic=entities.topic or "a topic",
    )


def _intent_readings(
    ranked: Sequence[Intent], entities: Entities, index: DirectoryIndex
) -> tuple[Reading, ...]:
    readings: list[Reading] = []
    for intent in ranked:
        if intent in (Intent.SEARCH,):
            continue
        if intent in NEEDS_PROJECT and not entities.projects:
            continue
        candidate = replace(entities, topic=entities.topic if intent == Intent.EXPERTS else "")
        if intent == Intent.EXPERTS and not candidate.topic:
            continue
        readings.append(
            Reading(
                intent, candidate, describe(intent, candidate, index), canonical_question(intent, candidate)
            )
        )
        if len(readings) == MAX_READINGS:
            break
    return tuple(readings)


def _entity_readings(
    intent: Intent, entities: Entities, unsure: EntityMatch, index: DirectoryIndex
) -> tuple[Reading, ...]:
    readings = []
    for key in unsure.keys[:MAX_READINGS]:
        if unsure.kind == "project":
            candidate = replace(entities, projects=(key,))
        elif unsure.kind == "person":
            candidate = replace(entities, people=(key,))
        elif unsure.kind == "milestone":
            candidate = replace(entities, milestones=(key,))
        else:
            candidate = replace(entities, disciplines=(key,))
        readings.append(
            Reading(
                intent, candidate, describe(intent, candidate, index), canonical_question(intent, candidate)
            )
        )
    return tuple(readings)


def projects_named(text: str, index: DirectoryIndex) -> list[str]:
    """Projects a message names confidently (by key, name or channel link), in order of appearance.

    Used to carry a thread's subject over to a question asked in it.
    """
    prepared = _prepare(text, None, index.name_words)
    keys = [index.project_of_channel(c) for c in prepared.channels]
    keys += [r.rsplit("-", 1)[0] for r in prepared.refs]
    matches = find_entities(list(prepared.words), index, ("project",), whole_names=False)
    keys += [m.keys[0] for m in sorted(matches, key=lambda m: m.start) if m.sure]
    return [k for k in dict.fromkeys(keys) if k and index.has_project(k)]
