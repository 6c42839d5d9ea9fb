"""Answers to plain-language questions, built from the project records the asker may see.

`dispatch.build_answer` takes an `Interpretation` (see `bot.questions.interpret`) and returns a frozen
`core.Answer`: short lines of text segments (plain text, people, instants, record references) rendered
later in the asker's zone, the records the answer came from, and "did you mean" choices when the
question was unclear. One module per topic:

- `core`: `Answer` and its parts, `AnswerRequest`, and the `AnswerBuilder` every topic uses.
- `dispatch`: `build_answer`, asking back when unclear, and the intent → topic table.
- `directory`: `load_directory`, the names a question is read against.
- `lookups`: the records a question is about, always through `bot.access`.
- `projects` (status, list), `milestones` (next, overdue, when), `people` (lead, members, a person's
  or a discipline's projects), `blockers` (blocked, waiting on), `experts` (who knows about …),
  `help`, and `fallback_search` (the closest records when no intent fits).
- `warm_up`: embedding the record and profile texts once, in the background.
"""

from __future__ import annotations
