"""Normalising a question: Slack markup out, contractions spelled out, typos of question words fixed.

`prepare_text` turns what was typed in Slack into lowercase words without accents or punctuation,
collecting on the way the user mentions, channel links and milestone ids (`KEY-N`) it contained.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

from rapidfuzz import fuzz, process

from bot.domain.dates import DATE_WORDS
from bot.domain.matching import fold
from bot.questions.interpret.vocabulary import FUNCTION_WORDS, INTENT_WORDS

_CONTRACTIONS = (
    (r"\bwhat's\b", "what is"),
    (r"\bwho's\b", "who is"),
    (r"\bwhen's\b", "when is"),
    (r"\bwhere's\b", "where is"),
    (r"\bhow's\b", "how is"),
    (r"\bthat's\b", "that is"),
    (r"\bwhat're\b", "what are"),
    (r"\bwho're\b", "who are"),
    (r"\bwho['’]?d\b", "who would"),
    (r"\bwho all\b", "who"),
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
    # "A/B testing" would fold to "a b testing", and "a" is a function word.
    (r"\ba ?/ ?b\b", "ab"),
    # Spans the date reader does not name: "the week ahead" is the next seven days.
    (r"\b(the )?(week|7 days) ahead\b", "the next 7 days"),
    (r"\b(the )?(fortnight|two weeks|2 weeks) ahead\b", "the next 14 days"),
    (r"\b(the )?month ahead\b", "the next 30 days"),
    # "over the next month", "within a month": the next 30 days ("next month" alone is the calendar one).
    (r"\b(in|over|within|during) (the )?(next|coming) month\b|\bwithin a month\b", "in the next 30 days"),
    # "before the holidays", "before the break": before Christmas (the reader's word for it).
    (
        r"\b(before|by|until|till) the (christmas |xmas |winter |end of year )?(holidays|holiday|break)\b",
        r"\1 christmas",
    ),
)
_CONTRACTION_RES = tuple((re.compile(p), r) for p, r in _CONTRACTIONS)

# Chat shorthand and typos of short question words, too short for the edit-distance correction
# (which would turn any four-letter word into some other one).
_SHORT_FORMS = {
    "wich": "which",
    "whcih": "which",
    "wat": "what",
    "wht": "what",
    "waht": "what",
    "wen": "when",
    "whn": "when",
    "hw": "how",
    "nxt": "next",
    "wk": "week",
    "wks": "weeks",
    "mth": "month",
    "hav": "have",
    "stuk": "stuck",
    "lat": "late",
    "pls": "please",
    "plz": "please",
    "abt": "about",
    "u": "you",
    "r": "are",
    "ur": "your",
    "teh": "the",
    "thx": "thanks",
    "ty": "thanks",
    "anyon": "anyone",
    "any1": "anyone",
    "some1": "someone",
    "every1": "everyone",
    "no1": "no one",
    "workin": "working",
    "doin": "doing",
    "goin": "going",
    "comin": "coming",
    "waitin": "waiting",
    "leavin": "leaving",
    "ppl": "people",
    "proj": "project",
    "tmrw": "tomorrow",
    "tmr": "tomorrow",
    "tmw": "tomorrow",
    "2moro": "tomorrow",
    "b4": "before",
    "2day": "today",
}

# Typo targets: an unknown word within a small edit of one of these is read as it.
_CORRECTABLE = sorted(
    w
    for w in INTENT_WORDS | DATE_WORDS | {"working", "involved", "anything", "everything", "everyone"}
    # Short targets attract unrelated words ("ethics" is one edit from "this").
    if len(w) >= 5
)

_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")
_CHANNEL = re.compile(r"<#([CG][A-Z0-9]+)(?:\|[^>]*)?>")
_OTHER_ANGLE = re.compile(r"<[^>]*>")
_MILESTONE_REF = re.compile(r"\b([a-z][a-z0-9_]{0,39})-(\d{1,6})\b")


@dataclass(frozen=True)
class PreparedText:
    """A question made ready for reading.

    Attributes:
        words: Normalised words (see `fold`), typos of the intent and date vocabulary corrected.
        mentions: Slack user ids mentioned, in order, without repeats.
        channels: Slack channel ids linked, in order, without repeats.
        refs: Milestone refs typed as KEY-N (lowercase), in order, without repeats.
    """

    words: tuple[str, ...]
    mentions: tuple[str, ...]
    channels: tuple[str, ...]
    refs: tuple[str, ...]

    @property
    def text(self) -> str:
        """The words as one string."""
        return " ".join(self.words)


# Slack's emoji codes (":lock:", ":pray:", ":+1:", ":skin-tone-2:"); "10:30:" is a time, not one.
_EMOJI = re.compile(r":(?=[a-z0-9_+'-]*[a-z])[a-z0-9_+'-]{1,40}:", re.IGNORECASE)


def prepare_text(text: str, bot_user_id: str | None, name_words: frozenset[str]) -> PreparedText:
    """Normalise a question as typed in Slack.

    Args:
        text: The message text, Slack markup included.
        bot_user_id: Liaison's own user id; its mentions are removed, not collected.
        name_words: Words of names in the directory, never "corrected" into question words.

    Returns:
        The prepared text.
    """
    raw = text
    if bot_user_id:
        raw = re.sub(rf"<@{re.escape(bot_user_id)}(\|[^>]*)?>", " ", raw)
    mentions = tuple(dict.fromkeys(_MENTION.findall(raw)))
    channels = tuple(dict.fromkeys(_CHANNEL.findall(raw)))
    raw = _MENTION.sub(" someone ", raw)
    raw = _CHANNEL.sub(" this channel ", raw)
    raw = _OTHER_ANGLE.sub(" ", raw)
    raw = _EMOJI.sub(" ", raw)  # "who knows about PSI? :lock:": the emoji is no word of the question
    # Slack escapes & < > in message text.
    raw = raw.replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">")
    lowered = raw.casefold().replace("’", "'")
    refs = tuple(dict.fromkeys(f"{k}-{n}" for k, n in _MILESTONE_REF.findall(lowered)))
    lowered = _MILESTONE_REF.sub(" ", lowered)
    for pattern, replacement in _CONTRACTION_RES:
        lowered = pattern.sub(replacement, lowered)
    words = [_correct(w, name_words) for w in fold(lowered).split()]
    return PreparedText(tuple(words), mentions, channels, refs)


# Real words a letter or two from a question word: "stats" is not "status".
_NOT_TYPOS = frozenset(
    {"stats", "statistics", "statistician", "holdout", "holdouts", "stuff", "hangout", "hangouts", "ledger"}
)


@cache
def english_words() -> frozenset[str]:
    """Words of five letters or more that are English as they are (bot/data/english_words.txt)."""
    text = resources.files("bot").joinpath("data/english_words.txt").read_text(encoding="utf-8")
    return frozenset(line for line in text.splitlines() if line and not line.startswith("#"))


def _correct(word: str, name_words: frozenset[str]) -> str:
    """Fix a typo in a word of the intent or date vocabulary ("overdeu" → "overdue")."""
    if word in _SHORT_FORMS and word not in name_words:
        return _SHORT_FORMS[word]
    if len(word) < 5 or word in name_words or word in INTENT_WORDS or word in DATE_WORDS:
        return word
    if word in FUNCTION_WORDS or word in _NOT_TYPOS or word.isdigit() or word in english_words():
        return word  # "change" is not a typo of "charge", nor "ledger" of "leader"
    found = process.extractOne(word, _CORRECTABLE, scorer=fuzz.ratio, score_cutoff=80)
    if not found:
        return word
    target = str(found[0])
    # A real word is not a typo of one it resembles: "auditing" is not "waiting" (typos seldom change
    # the first letter), and "delivery" not "deliver" (one is the other plus an ending).
    if target[0] != word[0] or word.startswith(target) or target.startswith(word):
        return word
    return target
