"""Names in a question: the directory's names indexed by word, and spans of words matched to them.

Projects, people, milestones and disciplines are matched fuzzily (misspelt, abbreviated, by key or by
role noun such as "economists") through `bot.domain.matching.match_name`, against a shortlist drawn
from a word index so that 10,000 milestone titles cost milliseconds.
"""

from __future__ import annotations

import re
import threading
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterable, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from functools import lru_cache

from rapidfuzz import fuzz, process

from bot.domain.matching import Candidate, MatchKind, fold, match_name
from bot.questions.interpret.directory import Directory, MilestoneName, ProjectName
from bot.questions.interpret.normalise import english_words
from bot.questions.interpret.vocabulary import FUNCTION_WORDS, INTENT_WORDS, is_content

# Names fuzzily scored per phrase (see `NameIndex.shortlist`).
MAX_SHORTLIST = 40
# Question words whose candidates a name index keeps (see `NameIndex._word_hits`; a common word's set
# can hold thousands of candidates), and phrases whose match it keeps (small tuples).
MAX_CACHED_WORDS = 512
MAX_CACHED_PHRASES = 4096

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
        """Whether the name means one record (an exact or confident match)."""
        return self.match_kind in (MatchKind.EXACT, MatchKind.CONFIDENT)

    @property
    def length(self) -> int:
        """How many words the name spans."""
        return self.end - self.start


class NameIndex:
    """Candidates plus a word index, so that each span is fuzzily matched only against candidates
    sharing a (possibly misspelt or abbreviated) word with it: 10,000 milestone titles cost
    milliseconds, not seconds."""

    def __init__(self, candidates: Sequence[Candidate]) -> None:
        self.candidates = list(candidates)
        self.words: frozenset[str] = frozenset()
        self._by_word: dict[str, set[int]] = {}
        # Keys typed exactly ("proj0597", a Slack id): opaque keys are not in the word index.
        self._by_key = {fold(c.key).replace(" ", ""): i for i, c in enumerate(self.candidates)}
        for index, candidate in enumerate(self.candidates):
            words = set(fold(candidate.name).split())
            if not any(c.isdigit() for c in candidate.key):
                words |= set(fold(candidate.key).split())
            for word in words:
                if word not in FUNCTION_WORDS or len(words) == 1:
                    self._by_word.setdefault(word, set()).add(index)
        self._vocab = sorted(self._by_word)
        self.words = frozenset(self._by_word)  # every word of every candidate
        self._hits: dict[str, set[int]] = {}
        self._matches: dict[tuple[str, ...], tuple[MatchKind, tuple[Candidate, ...]]] = {}
        self._by_prefix: dict[str, list[str]] = {}
        for word in self._vocab:
            self._by_prefix.setdefault(word[:3], []).append(word)

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
            if word in FUNCTION_WORDS:
                continue
            counts.update(self._word_hits(word))
        ranked = sorted(counts, key=lambda i: (-counts[i], i))[:MAX_SHORTLIST]
        return [self.candidates[i] for i in sorted(ranked)]

    def _word_hits(self, word: str) -> set[int]:
        """Candidates with a word equal to, starting with, or a small edit away from `word`.

        Kept per word: a question's words recur in many of its spans, and the fuzzy pass over a
        large vocabulary is the costly part.
        """
        found = self._hits.get(word)
        if found is not None:
            return found
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
        if len(self._hits) >= MAX_CACHED_WORDS:
            self._hits.clear()
        self._hits[word] = hits
        return hits

    def match(self, phrase_words: Sequence[str]) -> tuple[MatchKind, tuple[Candidate, ...]]:
        """`match_name` of the phrase against the shortlist; (kind, best-or-alternatives)."""
        return _remembered(self._matches, phrase_words, self.shortlist)


def _remembered(
    memo: dict[tuple[str, ...], tuple[MatchKind, tuple[Candidate, ...]]],
    phrase_words: Sequence[str],
    shortlist: Callable[[Sequence[str]], list[Candidate]],
) -> tuple[MatchKind, tuple[Candidate, ...]]:
    """The match of a phrase, kept per index: phrases recur across questions ("online advertising")
    and fuzzy scoring them costs about a millisecond each."""
    key = tuple(phrase_words)
    found = memo.get(key)
    if found is None:
        found = _match(phrase_words, shortlist(phrase_words))
        if len(memo) >= MAX_CACHED_PHRASES:
            memo.clear()
        memo[key] = found
    return found


class UnionNameIndex:
    """Two name indexes read as one: the part every asker sees, built once, and the asker's own part.

    A workspace's public projects and their milestones are the same in every asker's view; only the
    private projects an asker is on differ. Indexing 10,000 public titles once, not once per view,
    keeps a new asker's first question as fast as the next one.
    """

    def __init__(self, shared: NameIndex | UnionNameIndex, own: NameIndex) -> None:
        self.shared = shared
        self.own = own
        self.candidates: list[Candidate] = [*shared.candidates, *own.candidates]
        self.words: frozenset[str] = shared.words | own.words
        self._matches: dict[tuple[str, ...], tuple[MatchKind, tuple[Candidate, ...]]] = {}

    def shortlist(self, words: Sequence[str]) -> list[Candidate]:
        """Each part's shortlist (see `NameIndex.shortlist`), the shared part's first."""
        return [*self.shared.shortlist(words), *self.own.shortlist(words)]

    def match(self, phrase_words: Sequence[str]) -> tuple[MatchKind, tuple[Candidate, ...]]:
        """`match_name` of the phrase against both shortlists."""
        return _remembered(self._matches, phrase_words, self.shortlist)


def _match(
    phrase_words: Sequence[str], shortlist: Sequence[Candidate]
) -> tuple[MatchKind, tuple[Candidate, ...]]:
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
    content = [w for w in phrase_words if w not in FUNCTION_WORDS] or list(phrase_words)
    for word in content:
        if word in name_words:
            continue
        if any(n.startswith(word) for n in name_words) and (len(word) >= 3 or len(content) > 1):
            continue
        if len(word) >= 4 and any(fuzz.ratio(word, n) >= 75 and not _other_word(word, n) for n in name_words):
            continue
        return False
    return True


def _other_word(typed: str, name_word: str) -> bool:
    """Whether two alike words are both English and not one word spelt two ways: "grand" is not a
    typo of "brand", nor "action" of "auction"; "modeling" is "modelling"."""
    english = english_words()
    if typed not in english or name_word not in english:
        return False
    return _spelling(typed) != _spelling(name_word)


def _spelling(word: str) -> str:
    """A word with British and American spellings made one ("modelling" → "modeling", "behaviour" →
    "behavior", "optimise" → "optimize")."""
    word = re.sub(r"(.)\1", r"\1", word)
    return word.replace("our", "or").replace("is", "iz").replace("ys", "yz")


@dataclass
class DirectoryIndex:
    """A `Directory` with a `NameIndex` per kind of name, built once per directory.

    A directory that names its `shared` part (what every asker of the workspace sees) reuses that
    part's index and indexes only the rest (the asker's private projects and their milestones).
    """

    directory: Directory
    projects: NameIndex | UnionNameIndex = field(init=False)
    people: NameIndex | UnionNameIndex = field(init=False)
    milestones: NameIndex | UnionNameIndex = field(init=False)
    disciplines: NameIndex | UnionNameIndex = field(init=False)
    name_words: frozenset[str] = field(init=False)
    _people_ids: set[str] = field(init=False, repr=False)
    _project_keys: set[str] = field(init=False, repr=False)
    _milestone_refs: dict[str, MilestoneName] = field(init=False, repr=False)
    _by_channel: dict[str, str] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        d = self.directory
        shared = d.shared
        if shared is not None and shared is not d and shared.people == d.people:
            base = index_directory(shared)
            own_projects = [p for p in d.projects if p.key not in base._project_keys]
            own_keys = {p.key for p in own_projects}
            own_milestones = [m for m in d.milestones if m.project_key in own_keys]
            self.projects = UnionNameIndex(base.projects, _project_index(own_projects))
            self.milestones = UnionNameIndex(base.milestones, _milestone_index(own_milestones))
            self.people, self.disciplines = base.people, base.disciplines
            self._people_ids = base._people_ids
            self._project_keys = base._project_keys | own_keys
            self._milestone_refs = base._milestone_refs | {m.ref: m for m in own_milestones}
            self._by_channel = base._by_channel | {p.channel_id: p.key for p in own_projects if p.channel_id}
        else:
            self.projects = _project_index(d.projects)
            self.people = NameIndex([Candidate(p.slack_id, p.name) for p in d.people])
            self.milestones = _milestone_index(d.milestones)
            self.disciplines = NameIndex([Candidate(x, x) for x in d.disciplines])
            self._people_ids = {p.slack_id for p in d.people}
            self._project_keys = {p.key for p in d.projects}
            self._milestone_refs = {m.ref: m for m in d.milestones}
            self._by_channel = {p.channel_id: p.key for p in d.projects if p.channel_id}
        self.name_words = (
            self.projects.words | self.people.words | self.milestones.words | self.disciplines.words
        )

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


def _project_index(projects: Sequence[ProjectName]) -> NameIndex:
    return NameIndex([Candidate(p.key, p.name) for p in projects])


def _milestone_index(milestones: Sequence[MilestoneName]) -> NameIndex:
    return NameIndex([Candidate(m.ref, m.title) for m in milestones])


# Directories recently indexed, by identity: `bot.questions.answers.directory` hands out the same
# object while nothing changed, and hashing 10,000 names to find it by value costs milliseconds.
MAX_RECENT_INDEXES = 16
_recent: OrderedDict[int, tuple[Directory, DirectoryIndex]] = OrderedDict()
_recent_lock = threading.Lock()


def index_directory(directory: Directory) -> DirectoryIndex:
    """The `DirectoryIndex` of a directory, built once per distinct directory (per asker's view).

    Building it for 10,000 milestone titles takes a few hundred milliseconds; the same snapshot
    (unchanged data, same visibility) is asked about again and again. Recent directories are found
    by identity; others by value.
    """
    with _recent_lock:
        recent = _recent.get(id(directory))
        if recent is not None and recent[0] is directory:
            _recent.move_to_end(id(directory))
            return recent[1]
    index = _index_by_value(directory)
    with _recent_lock:
        _recent[id(directory)] = (directory, index)
        while len(_recent) > MAX_RECENT_INDEXES:
            _recent.popitem(last=False)
    return index


@lru_cache(maxsize=8)
def _index_by_value(directory: Directory) -> DirectoryIndex:
    return DirectoryIndex(directory)


def _spans(words: Sequence[str], max_len: int = 6) -> list[tuple[int, int]]:
    """Candidate name spans: runs of words that start and end with a content word."""
    found = []
    for start in range(len(words)):
        if not is_content(words[start]):
            continue
        for end in range(start + 1, min(len(words), start + max_len) + 1):
            if is_content(words[end - 1]):
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

    Args:
        words: The question's normalised words.
        index: The directory to match against.
        kinds: Which kinds of names to look for: "project", "person", "milestone", "discipline".
        whole_names: Whether a match must account for most of the name-like words around it.

    Returns:
        The matches, per kind in the order of `kinds`.
    """
    indexes = {
        "project": index.projects,
        "person": index.people,
        "milestone": index.milestones,
        "discipline": index.disciplines,
    }
    discipline_words = [_ROLE_NOUNS.get(w, w) for w in words]

    raw: dict[str, list[EntityMatch]] = {}

    def raw_of(kind: str) -> list[EntityMatch]:
        if kind in raw:
            return raw[kind]
        name_index = indexes[kind]
        source = discipline_words if kind == "discipline" else list(words)
        matches: list[EntityMatch] = []
        for start, end in _spans(source) if name_index.candidates else []:
            phrase = " ".join(source[start:end]).split()
            match_kind, keys = name_index.match(phrase)
            if match_kind == MatchKind.NONE or not keys:
                continue
            if match_kind == MatchKind.AMBIGUOUS and end - start == 1 and len(phrase[0]) < 4:
                continue  # a short word that is near several names is noise, not ambiguity
            matches.append(EntityMatch(kind, start, end, match_kind, tuple(c.key for c in keys)))
        raw[kind] = matches
        return matches

    def others_named(match: EntityMatch) -> set[int]:
        """Words that surely name another project or person than `match` names ("is priya on bid
        shading?", "sara and priya"): no part of the name around it."""
        taken: set[int] = set()
        for kind in ("project", "person"):
            if kind not in kinds:
                continue
            for other in raw_of(kind):
                if other.sure and (other.end <= match.start or match.end <= other.start):
                    taken.update(range(other.start, other.end))
        return taken

    def matches_of(kind: str, fields: AbstractSet[int]) -> list[EntityMatch]:
        name_index = indexes[kind]
        if not name_index.candidates:
            return []
        source = discipline_words if kind == "discipline" else list(words)
        matches = list(raw_of(kind))
        if whole_names:
            matches = [
                m
                for m in matches
                if _covers_run(source, m, fields, name_index.words)
                or (
                    kind in ("project", "person")
                    and _covers_run(source, m, fields | others_named(m), name_index.words)
                )
            ]
        matches.sort(key=lambda m: (_KIND_ORDER[m.match_kind], -m.length, m.start))
        taken: list[EntityMatch] = []
        for candidate in matches:
            if any(candidate.start < t.end and t.start < candidate.end for t in taken):
                continue
            taken.append(candidate)
        return _merge_adjacent(taken)

    by_kind: dict[str, list[EntityMatch]] = {}
    fields: set[int] = set()
    if "discipline" in kinds:
        by_kind["discipline"] = matches_of("discipline", frozenset())
        if whole_names:
            # Words that surely name someone by their field ("the data engineer on uplift") are no
            # part of a project's or a person's name around them: "uplift" alone is the whole
            # project name there ("engineer" is a role; "ethics board" names no one).
            for match in by_kind["discipline"]:
                if match.sure and any(w in _ROLE_NOUNS for w in words[match.start : match.end]):
                    fields.update(range(match.start, match.end))
    for kind in kinds:
        if kind not in by_kind:
            by_kind[kind] = matches_of(kind, fields)
    return [match for kind in kinds for match in by_kind[kind]]


def _merge_adjacent(matches: list[EntityMatch]) -> list[EntityMatch]:
    """Join neighbouring sure matches of one record into one span ("creative" + "fatigue").

    An exact key ("fatigue") is taken before the longer span around it, which would leave the name
    in two one-word pieces; each piece is then no longer than a milestone title sharing one of its
    words, and the intent's preferred kind would win a tie it should not be in.
    """
    ordered = sorted(matches, key=lambda m: m.start)
    merged: list[EntityMatch] = []
    for match in ordered:
        last = merged[-1] if merged else None
        if (
            last is not None
            and last.sure
            and match.sure
            and last.end == match.start
            and last.keys == match.keys
        ):
            best = min(last.match_kind, match.match_kind, key=lambda k: _KIND_ORDER[k])
            merged[-1] = EntityMatch(match.kind, last.start, match.end, best, match.keys)
        else:
            merged.append(match)
    return merged


_JOINERS = frozenset({"of", "for", "and", "in", "on", "with", "to", "the", "a", "an", "at", "by"})


def _covers_run(
    words: Sequence[str],
    match: EntityMatch,
    fields: AbstractSet[int] = frozenset(),
    name_words: AbstractSet[str] = frozenset(),
) -> bool:
    """Whether a match accounts for at least half of the name-like words around it (more than half when
    a word right beside it is an English word in no name of its kind: "ethics approval" names something
    else than "… data approved", where "northwind approval" may be the same with the partner's name).

    "ethics board approval" must not resolve to a milestone that only fits "approval": the asker named
    something else, and saying so beats answering about the wrong record.
    """
    start, end = match.start, match.end

    def name_like(i: int) -> bool:
        return i not in fields and is_content(words[i])

    while start > 0 and (
        name_like(start - 1) or (words[start - 1] in _JOINERS and start > 1 and name_like(start - 2))
    ):
        start -= 1
    while end < len(words) and (
        name_like(end) or (words[end] in _JOINERS and end + 1 < len(words) and name_like(end + 1))
    ):
        end += 1
    run = [w for i, w in enumerate(words[start:end], start) if name_like(i)]
    inside = [w for w in words[match.start : match.end] if is_content(w)]
    if match.match_kind != MatchKind.EXACT and _other_word_beside(words, match, name_like, name_words):
        return 2 * len(inside) > len(run)
    return 2 * len(inside) >= len(run)


def _other_word_beside(
    words: Sequence[str], match: EntityMatch, name_like: Callable[[int], bool], name_words: AbstractSet[str]
) -> bool:
    """Whether a word right beside the match (no joiner between) is English, in no name of its kind
    and no question word: it says the asker names another thing ("ethics approval")."""
    beside = [i for i in (match.start - 1, match.end) if 0 <= i < len(words) and name_like(i)]
    return any(
        words[i] in english_words() and words[i] not in name_words and words[i] not in INTENT_WORDS
        for i in beside
    )


def drop_contained(matches: list[EntityMatch]) -> list[EntityMatch]:
    """Drop a name that overlaps a longer sure name of another kind ("privacy" inside "privacy law").

    Args:
        matches: Names found in one question (see `find_entities`).

    Returns:
        The matches that are not contained in such a name, in their order.
    """
    return [
        m
        for m in matches
        if not any(
            n.sure and n.kind != m.kind and n.length > m.length and m.start < n.end and n.start < m.end
            for n in matches
        )
    ]


def resolve_overlaps(matches: list[EntityMatch], preferred: Sequence[str]) -> list[EntityMatch]:
    """Across kinds, keep the surest, longest match for overlapping words; ties go to `preferred`.

    Args:
        matches: Names found in one question.
        preferred: Kinds of names, the one the intent needs most first.

    Returns:
        Matches that do not overlap, in the order of the words.
    """
    order = {kind: i for i, kind in enumerate(preferred)}
    ranked = sorted(
        matches,
        key=lambda m: (
            _KIND_ORDER[m.match_kind] > 1,
            -m.length,
            # An exact name or key beats a fuzzy hit on a word of another record's title.
            _KIND_ORDER[m.match_kind],
            order.get(m.kind, 9),
            m.start,
        ),
    )
    kept: list[EntityMatch] = []
    for candidate in ranked:
        if any(candidate.start < k.end and k.start < candidate.end for k in kept):
            continue
        kept.append(candidate)
    return sorted(kept, key=lambda m: m.start)


def match_discipline(words: Sequence[str], index: DirectoryIndex) -> str | None:
    """The discipline these words name on their own ("economist", "privacy law"), if exactly one.

    Unlike `find_entities`, the words are not weighed against the words around them: the caller has
    already cut out the phrase that must be a discipline (what follows "not an" in "who else, not an
    economist, …").

    Args:
        words: Normalised words, role nouns allowed.
        index: The directory.

    Returns:
        The discipline as the directory writes it, or None.
    """
    phrase = " ".join(_ROLE_NOUNS.get(w, w) for w in words).split()
    if not phrase or not index.disciplines.candidates or not all(is_content(w) for w in phrase):
        return None
    kind, keys = index.disciplines.match(phrase)
    if kind not in (MatchKind.EXACT, MatchKind.CONFIDENT) or not keys:
        return None
    return keys[0].key
