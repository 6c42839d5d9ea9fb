"""Block Kit for answers to plain-language questions. Pure builders; no Slack calls.

An `Answer` is a list of lines made of segments (text, people, instants, record references); here they
become escaped mrkdwn in the reader's zone, with the records the answer came from as buttons and, when
the question was unclear, the closest readings as buttons that re-ask it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.commands import CommandNames
from bot.domain.dates import format_local, format_relative
from bot.projects.reports import PersonRef
from bot.questions.answers.core import Answer, Line, Source, When
from bot.slack import ids
from bot.slack.blocks import (
    MAX_SECTION_TEXT,
    Block,
    Reply,
    actions,
    button,
    context,
    escape,
    section,
    truncate,
)

MAX_SOURCE_BUTTONS = 5
MAX_CHOICE_BUTTONS = 3
# Slack allows 2,000 characters in a button value.
MAX_BUTTON_VALUE = 2000
THINKING_TEXT = ":hourglass_flowing_sand: Thinking… (I am still starting up; the answer follows here)"


def when_text(instant: datetime, zone: ZoneInfo, now: datetime) -> str:
    """ "Fri 27 Nov 2026, 12:00 CET (in 7 days)" in the reader's zone."""
    return f"{format_local(instant, zone)} ({format_relative(instant, now, zone=zone)})"


def _when(when: When, zone: ZoneInfo, now: datetime) -> str:
    return when_text(when.instant, zone, now) if when.relative else format_local(when.instant, zone)


def line_mrkdwn(line: Line, zone: ZoneInfo, now: datetime) -> str:
    """One answer line as escaped mrkdwn: people become mentions, records `code`, instants local."""
    parts = []
    for segment in line:
        if isinstance(segment, PersonRef):
            parts.append(f"<@{segment.slack_id}>")
        elif isinstance(segment, When):
            parts.append(_when(segment, zone, now))
        elif isinstance(segment, Source):
            parts.append(f"`{escape(segment.ref)}`")
        else:
            parts.append(escape(segment))
    return "".join(parts)


def line_plain(line: Line, zone: ZoneInfo, now: datetime) -> str:
    """One answer line as plain text (names instead of mentions), for notifications and the LLM."""
    parts = []
    for segment in line:
        if isinstance(segment, PersonRef):
            parts.append(segment.name)
        elif isinstance(segment, When):
            parts.append(_when(segment, zone, now))
        elif isinstance(segment, Source):
            parts.append(segment.ref)
        else:
            parts.append(segment)
    return "".join(parts)


def answer_plain_text(answer: Answer, zone: ZoneInfo, now: datetime) -> str:
    """The whole answer as plain text, one line per line."""
    return "\n".join(line_plain(line, zone, now) for line in answer.lines)


def _sections(lines: Sequence[str]) -> list[Block]:
    """Pack lines into as few sections as Slack's 3,000-character limit allows."""
    blocks: list[Block] = []
    current: list[str] = []
    size = 0
    for text in lines:
        text = truncate(text, MAX_SECTION_TEXT)
        if current and size + len(text) + 1 > MAX_SECTION_TEXT:
            blocks.append(section("\n".join(current)))
            current, size = [], 0
        current.append(text)
        size += len(text) + 1
    if current:
        blocks.append(section("\n".join(current)))
    return blocks


def _source_button(index: int, source: Source, commands: CommandNames) -> Block:
    if source.kind == "project":
        label = f"{source.title} ({source.ref})"
        value = {"command": commands.project, "text": f"status {source.project_key}"}
    elif source.kind == "milestone":
        label = f"{source.ref}: {source.title}"
        value = {"command": commands.milestone, "text": f"list {source.project_key}"}
    else:
        label = f"{source.ref}: {source.title}"
        value = {"command": commands.project, "text": f"blockers {source.project_key}"}
    return button(label, f"{ids.ANSWER_SOURCE_ACTION}:{index}", json.dumps(value))


def build_answer_reply(
    answer: Answer,
    zone: ZoneInfo,
    now: datetime,
    commands: CommandNames,
    *,
    phrased: str | None = None,
    phrased_by: str | None = None,
) -> Reply:
    """The message for an answer.

    Args:
        answer: What to say.
        zone: The reader's zone; every instant is shown in it.
        now: For "in 3 days".
        commands: Slash command names, for the record buttons (which open the record).
        phrased: An LLM's phrasing of the answer from its records, shown instead of the template
            lines (which stay in the notification text).
        phrased_by: The model's name, credited under the phrasing.

    Returns:
        Text and blocks; user text is escaped, limits are kept.
    """
    plain = answer_plain_text(answer, zone, now)
    if phrased:
        blocks = _sections([escape(phrased)])
        refs = ", ".join(f"`{escape(s.ref)}`" for s in answer.sources[:10])
        note = f"Phrased by {escape(phrased_by or 'a language model')} from Liaison's records"
        blocks.append(context(note + (f": {refs}" if refs else ".")))
    else:
        blocks = _sections([line_mrkdwn(line, zone, now) for line in answer.lines])
    if answer.choices:
        blocks.append(
            actions(
                [
                    button(choice.label, f"{ids.ASK_CHOICE_ACTION}:{i}", choice.question[:MAX_BUTTON_VALUE])
                    for i, choice in enumerate(answer.choices[:MAX_CHOICE_BUTTONS])
                ],
                block_id="did_you_mean",
            )
        )
        plain += "\nDid you mean: " + "; ".join(c.label for c in answer.choices[:MAX_CHOICE_BUTTONS])
    shown = [s for s in answer.sources if s.kind in ("project", "milestone")][:MAX_SOURCE_BUTTONS]
    if shown:
        blocks.append(
            actions([_source_button(i, s, commands) for i, s in enumerate(shown)], block_id="answer_sources")
        )
    if any(isinstance(seg, When) for line in answer.lines for seg in line):
        blocks.append(context(f"Times in your time zone ({zone.key})."))
    return Reply(text=plain, blocks=blocks)


def build_thinking_reply() -> Reply:
    """The note posted when an answer has to wait for the language model to finish loading."""
    return Reply(text=THINKING_TEXT, blocks=[context(THINKING_TEXT)])
