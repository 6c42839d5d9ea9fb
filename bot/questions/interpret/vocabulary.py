"""The interpreter's word classes: words that carry no identity, words that say what is asked.

A name the asker typed starts and ends with a content word: not one of these, nor a word about dates
(`bot.domain.dates.DATE_WORDS`, the vocabulary shared with the date readers).
"""

from __future__ import annotations

from bot.domain.dates import DATE_WORDS

# Words that carry no identity: never the start or end of a name the asker typed.
FUNCTION_WORDS = frozenset(
    """a an and are as at be been being by can could did do does doing done for from get got had has
    have having he her hers him his how i if in into is it its itself let lets me mine my of on or our
    ours please s she should so tell than that the their them then there these they this those to too
    us was we were what whats when where which while who whom whose why will with would you your yours
    any anything anyone anybody some something someone all about also just now currently right
    know knows kind sort much many one ones thing things still yet ever happening happened like
    give show list find see check look need needs want wants say said going go make made
    here around anybody somebody already previously worked tried used dealt ran hook radar desk left
    remaining accountable answerable outstanding guys folks up these days lately looking looks
    coming along pending ball ahead contact over lot lots well really properly deeply long
    q atm rn asap fyi btw tbh imo pls plz thx ty quickly stand stands action actions both either""".split()  # noqa: SIM905 (a word list reads better as text)
)
# Words that say what is asked, not what about; kept out of names.
INTENT_WORDS = frozenset(
    """status state update updates progress health healthy track risk going doing
    next upcoming coming due deadline deadlines milestone milestones schedule scheduled timeline
    dates date plan plans planned deliverable deliverables soon landing
    overdue late behind missed slipped slipping delayed past
    blocked blocking blocker blockers stuck held holding impediment impediments obstacle obstacles
    waiting wait waits depend depends depending owe owes owed plate todo assigned responsible court
    lead leads leader leading led runs running run heads head heading manages managing charge coordinates
    principal investigator pi owner owns own point
    member members team people staff staffed participants part involved involve involves involving
    include includes including working work works workstream
    ready finished complete completed delivered deliver delivering finish doing
    project projects
    expert experts expertise knowledgeable specialist specialists understands experience experienced
    help helpful ask talk contact advice advise familiar
    leaving leaves leaver leavers departures
    summary summarise summarize rundown recap sitrep lowdown overview quick hold holdup holdups hangup
    hangups
    when who which what how many count number hi hello hey thanks thank
    liaison bot""".split()  # noqa: SIM905 (a word list reads better as text)
)


def is_content(word: str) -> bool:
    """Whether a word may be part of a name: not a function, intent or date word.

    Args:
        word: A normalised word (see `fold`).

    Returns:
        True for a word that can identify something.
    """
    return word not in FUNCTION_WORDS and word not in INTENT_WORDS and word not in DATE_WORDS
