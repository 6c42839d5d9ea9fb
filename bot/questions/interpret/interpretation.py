"""What the interpreter makes of a question: entities, readings, and the interpretation itself."""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.dates import DateRange
from bot.questions.interpret.intents import CONFIDENT, Intent


@dataclass(frozen=True)
class Entities:
    """What a question is about. Projects are keys, people Slack ids, milestones refs.

    `me`: the asker is the subject ("what do I owe"); `own_projects`: the asker's projects are
    ("what's next on my projects"), not the milestones they own.

    An expert question may ask for people from other disciplines: `outside_own` ("who outside our
    disciplines…", "from another field") leaves out the disciplines of the project in context (then
    in `projects`, with `from_context`), else of the asker's one active project, else the asker's
    own; `outside_disciplines` are disciplines it names to leave out ("who else, not an economist…").
    """

    projects: tuple[str, ...] = ()
    people: tuple[str, ...] = ()
    milestones: tuple[str, ...] = ()
    disciplines: tuple[str, ...] = ()
    date_range: DateRange | None = None
    topic: str = ""
    me: bool = False
    from_context: bool = False
    own_projects: bool = False
    outside_own: bool = False
    outside_disciplines: tuple[str, ...] = ()
    # Slack ids an expert answer leaves out: those the previous answer named ("who else?").
    not_people: tuple[str, ...] = ()
    # How many items of a long list the previous answer showed ("show me the rest" starts after them).
    skip: int = 0

    @property
    def outside(self) -> bool:
        """Whether the question asks for people outside some disciplines."""
        return self.outside_own or bool(self.outside_disciplines)


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
