"""Block Kit of the weekly check-ins: the question DM, the answer form, the summary, the blocker offer.

Answers are user text: they go into mrkdwn escaped (`&`, `<`, `>`), so `<!channel>` in an answer is
shown, not obeyed; sections are cut to Slack's limits and a summary to 50 blocks.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from bot.checkins.admin import CheckinSettings
from bot.checkins.answers import MAX_ANSWER, AnswerForm, SavedAnswers
from bot.checkins.content import AnswerLine, CheckinQuestion, CheckinSummary
from bot.checkins.schedule import describe
from bot.slack import blocks as kit
from bot.slack import ids
from bot.slack.modals import input_block, plain_text
from bot.slack.payload_values import input_state, loads_clean, row_id, string_of

CHECKIN_EVENT_TYPE = "liaison_checkin"
QUESTIONS = (
    "What did you get done since last time?",
    "What's next?",
    "Anything blocking you?",
)
_ANSWER_CUT = 600  # per answer in the channel summary
_DIGEST_CUT = 140  # per answer in the weekly digest
MAX_DIGEST_PEOPLE = 8


def _when(instant: datetime, question: CheckinQuestion | AnswerForm) -> str:
    return instant.astimezone(question.zone).strftime("%a %d %b %H:%M")


def build_question_reply(question: CheckinQuestion) -> kit.Reply:
    """The DM asking one member the three questions, with the button that opens the form."""
    project = f"*{kit.escape(question.project_name)}* (`{kit.escape(question.project_key)}`)"
    listed = "\n".join(f"{n}. {q}" for n, q in enumerate(QUESTIONS, start=1))
    closes = _when(question.cutoff_at, question)
    return kit.Reply(
        text=f"Weekly check-in for {question.project_name}: three quick questions",
        blocks=[
            kit.section(f":wave: Weekly check-in for {project}\n{listed}"),
            kit.actions(
                [kit.button("Answer", ids.CHECKIN_ANSWER_ACTION, str(question.ask_id), style="primary")],
                block_id=ids.CHECKIN_ACTIONS_BLOCK,
            ),
            kit.context(
                f"Or reply in this thread: one reply per question, or lines starting `done:`, `next:`, "
                f"`blocking:`. The summary goes to the project channel {kit.escape(closes)} "
                f"({kit.escape(question.zone.key)})."
            ),
        ],
    )


def _answer_input(block_id: str, label: str, value: str) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "plain_text_input", "multiline": True, "max_length": MAX_ANSWER}
    if value:
        element["initial_value"] = value[:MAX_ANSWER]
    return input_block(block_id, label, element, optional=True)


def build_answer_modal(form: AnswerForm) -> dict[str, Any]:
    """The answer form (answers given already are filled in)."""
    closes = _when(form.cutoff_at, form)
    return {
        "type": "modal",
        "callback_id": ids.CHECKIN_MODAL,
        "title": plain_text("Weekly check-in"),
        "submit": plain_text("Send"),
        "close": plain_text("Cancel"),
        "blocks": [
            kit.context(
                f"*{kit.escape(form.project_name)}* (`{kit.escape(form.project_key)}`) · summary "
                f"{kit.escape(closes)}"
            ),
            _answer_input(ids.CHECKIN_DONE_INPUT, QUESTIONS[0], form.done),
            _answer_input(ids.CHECKIN_NEXT_INPUT, QUESTIONS[1], form.next),
            _answer_input(ids.CHECKIN_BLOCKING_INPUT, QUESTIONS[2], form.blocking),
        ],
        # Which question: re-checked on submission (only the person asked may answer it).
        "private_metadata": json.dumps({"ask": form.ask_id}),
    }


def parse_answer_submission(view: dict[str, Any]) -> tuple[int | None, str, str, str]:
    """(the question's row id, done, next, blocking) from a submitted form; id None when unreadable."""
    metadata = view.get("private_metadata")
    ask_id: int | None = None
    if isinstance(metadata, str) and metadata.startswith("{"):
        try:
            data = loads_clean(metadata)
        except (ValueError, TypeError, RecursionError):
            data = None
        ask_id = row_id(data.get("ask")) if isinstance(data, dict) else None
    values = (view.get("state") or {}).get("values") if isinstance(view.get("state"), dict) else None
    texts = [
        string_of(input_state(values, block)) or ""
        for block in (ids.CHECKIN_DONE_INPUT, ids.CHECKIN_NEXT_INPUT, ids.CHECKIN_BLOCKING_INPUT)
    ]
    return ask_id, texts[0], texts[1], texts[2]


def build_saved_reply(saved: SavedAnswers) -> kit.Reply:
    """The thanks under the question (in its thread), with the one-click blocker offer."""
    verb = "Thanks, your check-in is saved" if saved.first_time else "Your check-in is updated"
    blocks = [kit.section(f":white_check_mark: {verb}; it goes into the channel summary at the cut-off.")]
    if saved.offer_blocker:
        blocks.append(
            kit.section(
                f"You named something blocking: _{kit.truncate_escaped(saved.blocking, 300)}_\n"
                f"Record it as a blocker on `{kit.escape(saved.project_key)}` so the lead sees it?"
            )
        )
        blocks.append(
            kit.actions(
                [kit.button("Record as a blocker", ids.CHECKIN_BLOCKER_ACTION, str(saved.ask_id))],
                block_id=ids.CHECKIN_ACTIONS_BLOCK,
            )
        )
    return kit.Reply(text=f"{verb}.", blocks=blocks)


def build_blocker_recorded_reply(ref: str, text: str, *, created: bool) -> kit.Reply:
    """The answer to "Record as a blocker"."""
    if created:
        message = f":no_entry: Blocker `{kit.escape(ref)}` raised: {kit.truncate_escaped(text, 500)}"
    else:
        message = f"Already recorded as blocker `{kit.escape(ref)}`; nothing changed."
    return kit.Reply(text=message.replace("`", ""), blocks=[kit.section(message)])


def _answer_text(line: AnswerLine, cut: int) -> str:
    parts = []
    for label, text in (("Done", line.done), ("Next", line.next), ("Blocking", line.blocking)):
        if text.strip():
            parts.append(f"*{label}:* {kit.truncate_escaped(' '.join(text.split()), cut)}")
    if line.blocker_ref:
        parts.append(f"(blocker `{kit.escape(line.blocker_ref)}`)")
    return "\n".join(parts)


def build_summary_reply(summary: CheckinSummary) -> kit.Reply:
    """The channel summary of one round: one section per member who answered, then who did not."""
    heading = kit.section(
        f":clipboard: *Weekly check-in of {kit.truncate_escaped(summary.project_name, 150)}* "
        f"(`{kit.escape(summary.project_key)}`) · {kit.escape(summary.week)}"
    )
    blocks: list[dict[str, Any]] = [heading]
    for line in summary.answers:
        blocks.append(kit.section(f"<@{line.person.slack_id}>\n{_answer_text(line, _ANSWER_CUT)}"))
    if not summary.answers:
        blocks.append(kit.section("Nobody answered this week."))
    if summary.silent:
        blocks.append(kit.context("No answer from " + ", ".join(f"<@{p.slack_id}>" for p in summary.silent)))
    count = len(summary.answers)
    text = f"Weekly check-in of {summary.project_name}: {count} answer{'s' if count != 1 else ''}"
    return kit.Reply(text=text, blocks=kit.cap_blocks(blocks))


def build_checkin_digest_block(summary: CheckinSummary) -> dict[str, Any]:
    """The latest check-in as one section of the weekly project digest."""
    asked = len(summary.answers) + len(summary.silent)
    lines = [f"*Latest check-in* ({kit.escape(summary.week)}): {len(summary.answers)} of {asked} answered"]
    for line in summary.answers[:MAX_DIGEST_PEOPLE]:
        lines.append(f"• <@{line.person.slack_id}> " + _answer_text(line, _DIGEST_CUT).replace("\n", " · "))
    if len(summary.answers) > MAX_DIGEST_PEOPLE:
        lines.append(f"…and {len(summary.answers) - MAX_DIGEST_PEOPLE} more in the channel summary")
    return kit.section("\n".join(lines))


def build_settings_reply(view: CheckinSettings, *, command: str) -> kit.Reply:
    """What `/project checkins KEY …` answers: the project's check-ins as they are now."""
    project = f"*{kit.escape(view.project_name)}* (`{kit.escape(view.project_key)}`)"
    state = "on" if view.enabled else "off"
    verb = "are now" if view.changed else "are"
    schedule = kit.escape(describe(view.ask, view.cutoff)) + f" ({kit.escape(view.zone)})"
    lines = [
        f":clipboard: Check-ins of {project} {verb} *{state}*" + ("" if view.changed else "; nothing changed")
    ]
    if view.enabled:
        lines.append(f"Members are asked {schedule}.")
        if not view.channel_id:
            lines.append("The project has no channel, so no summary is posted; set one with the edit form.")
    else:
        lines.append(f"`{command} checkins {view.project_key} on` asks members {schedule}.")
    text = "\n".join(lines)
    return kit.Reply(text=text.replace("*", "").replace("`", ""), blocks=[kit.section(text)])
