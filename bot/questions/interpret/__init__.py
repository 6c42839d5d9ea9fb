"""Understanding questions in plain language, without a large language model.

`interpret` turns a question ("@liaison what's late on bid shading?") into an `Interpretation`: an
intent (project status, overdue items, who leads…), the entities it is about (projects, people,
milestones and disciplines resolved by fuzzy name, Slack mention, channel or thread context, and a
date range such as "next week" or "before Christmas" computed from `now` in the asker's zone by
`bot.domain.dates.find_date_range`), a confidence, and the two or three closest other readings to
offer as buttons when unsure.

Everything here is deterministic given its inputs: no clock, no I/O. The modules:

- `normalise`: Slack markup, contractions and typos of question words; `vocabulary`: word classes.
- `directory`: the names the asker may see; `entities`: indexing them and finding them in a question.
- `intents`: phrase rules and the decision between intents; `exemplars`: the embedding second opinion.
- `interpretation`: the result types; `readings`: canonical questions and "did you mean" readings.
- `interpreter`: `interpret` and `projects_named`, putting the others together.

This package's interface is what it exports here.
"""

from __future__ import annotations

from bot.questions.interpret.directory import Directory, MilestoneName, PersonName, ProjectName
from bot.questions.interpret.entities import DirectoryIndex, index_directory
from bot.questions.interpret.exemplars import INTENT_EXEMPLARS, rank_intents
from bot.questions.interpret.intents import CONFIDENT, NEEDS_PROJECT, PROJECT_INTENTS, Intent, SimilarityFn
from bot.questions.interpret.interpretation import Entities, Interpretation, Reading
from bot.questions.interpret.interpreter import interpret, projects_named, question_topic
from bot.questions.interpret.readings import canonical_question, describe

__all__ = [
    "CONFIDENT",
    "INTENT_EXEMPLARS",
    "NEEDS_PROJECT",
    "PROJECT_INTENTS",
    "Directory",
    "DirectoryIndex",
    "Entities",
    "Intent",
    "Interpretation",
    "MilestoneName",
    "PersonName",
    "ProjectName",
    "Reading",
    "SimilarityFn",
    "canonical_question",
    "describe",
    "index_directory",
    "interpret",
    "projects_named",
    "question_topic",
    "rank_intents",
]
