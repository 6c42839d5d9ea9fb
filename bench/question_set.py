"""The dev question set (tests/data/questions.yaml): load it, run it through the Bolt path, score it.

Shared by `tests/test_questions_accuracy.py` (hashing embedder) and `python -m bench.questions` (the
real model). Every question is a signed Events API request (an @mention, a DM, or an @mention in a
thread) dispatched through the real Bolt app; the answer is read back from the fake Slack Web API.
"""

from __future__ import annotations

import html
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from slack_bolt import App

from bot.cli.console.fake_slack import FakeSlackApi, RecordedCall
from bot.cli.console.payloads import SlackPayloads
from bot.slack.answer_blocks import THINKING_TEXT

QUESTIONS_FILE = Path(__file__).resolve().parent.parent / "tests" / "data" / "questions.yaml"
DEFAULT_CHANNEL = "C0GENERAL"
BOT_USER_ID = FakeSlackApi.bot_user_id


@dataclass(frozen=True)
class QuestionCase:
    """One entry of the question set."""

    id: str
    asker: str
    text: str
    channel: str = DEFAULT_CHANNEL
    surface: str = "mention"
    thread: str | None = None
    must_contain: tuple[str, ...] = ()
    must_not_contain: tuple[str, ...] = ()
    ephemeral: bool | None = None


@dataclass(frozen=True)
class CaseResult:
    """How one question fared."""

    case: QuestionCase
    problems: tuple[str, ...]
    answer: str
    seconds: float
    ephemeral: bool

    @property
    def passed(self) -> bool:
        """No missing fact, no forbidden one, delivered as expected."""
        return not self.problems


@dataclass
class Report:
    """Results of a run."""

    results: list[CaseResult] = field(default_factory=list)

    @property
    def accuracy(self) -> float:
        """Share of questions answered correctly."""
        return sum(r.passed for r in self.results) / len(self.results) if self.results else 0.0

    def failures(self) -> list[CaseResult]:
        """The questions that failed."""
        return [r for r in self.results if not r.passed]

    def describe_failures(self) -> str:
        """A readable list of what went wrong."""
        return "\n\n".join(
            f"[{r.case.id}] {r.case.text!r}: {'; '.join(r.problems)}\n{r.answer}" for r in self.failures()
        )


def load_question_set(path: Path = QUESTIONS_FILE) -> list[QuestionCase]:
    """Read the question set.

    Raises:
        ValueError: An entry misses a required field or has an unknown one.
    """
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    cases = []
    known = set(QuestionCase.__dataclass_fields__)
    for entry in data:
        unknown = set(entry) - known
        if unknown or not {"id", "asker", "text"} <= set(entry):
            raise ValueError(f"bad question entry {entry!r}")
        entry = dict(entry)
        entry["must_contain"] = tuple(str(x) for x in entry.get("must_contain") or ())
        entry["must_not_contain"] = tuple(str(x) for x in entry.get("must_not_contain") or ())
        cases.append(QuestionCase(**entry))
    ids = [c.id for c in cases]
    if len(ids) != len(set(ids)):
        raise ValueError("question ids must be unique")
    return cases


def answer_text(calls: Sequence[RecordedCall]) -> str:
    """Everything the bot said in `calls`: fallback text, block texts and button labels, unescaped."""
    parts: list[str] = []
    for call in calls:
        params = call.params
        parts.append(str(params.get("text", "")))
        for block in params.get("blocks") or []:
            parts += _block_texts(block)
    return html.unescape("\n".join(parts))


def _block_texts(block: dict[str, Any]) -> list[str]:
    found = []
    text = block.get("text")
    if isinstance(text, dict):
        found.append(str(text.get("text", "")))
    for element in block.get("elements") or []:
        inner = element.get("text")
        if isinstance(inner, dict):
            found.append(str(inner.get("text", "")))
        elif isinstance(inner, str):
            found.append(inner)
    accessory = block.get("accessory") or {}
    if isinstance(accessory.get("text"), dict):
        found.append(str(accessory["text"].get("text", "")))
    return found


def _answers(calls: Sequence[RecordedCall]) -> list[RecordedCall]:
    return [
        c
        for c in calls
        if c.method in ("chat.postMessage", "chat.postEphemeral", "chat.update")
        and THINKING_TEXT not in str(c.params.get("text", ""))
    ]


def ask(
    app: App, payloads: SlackPayloads, fake: FakeSlackApi, case: QuestionCase, *, sequence: int
) -> CaseResult:
    """Ask one question through Bolt and score the answer."""
    ts = f"{1_790_000_000 + sequence}.000100"
    event: dict[str, Any]
    if case.surface == "dm":
        channel = "D" + case.asker[1:]
        event = {"type": "message", "channel_type": "im", "user": case.asker, "channel": channel}
        event["text"] = case.text
    else:
        channel = case.channel
        event = {"type": "app_mention", "user": case.asker, "channel": channel}
        event["text"] = f"<@{BOT_USER_ID}> {case.text}"
    event["ts"] = ts
    if case.thread is not None:
        parent = f"{1_780_000_000 + sequence}.000100"
        event["thread_ts"] = parent
        fake.respond(
            "conversations.replies",
            {
                "messages": [
                    {"ts": parent, "text": case.thread, "user": "U0SOMEONE"},
                    {"ts": ts, "text": event["text"]},
                ]
            },
        )
    before = len(fake.calls())
    started = time.time()
    response = app.dispatch(payloads.event(event, event_id=f"Ev{case.id}{sequence}").to_bolt_request())
    calls = _answers(fake.calls()[before:])
    seconds = (max(c.at for c in calls) - started) if calls else time.time() - started
    text = answer_text(calls)
    problems = []
    if response.status != 200:
        problems.append(f"HTTP {response.status}")
    if not calls:
        problems.append("no answer posted")
    lowered = text.casefold()
    problems += [f"missing {fact!r}" for fact in case.must_contain if fact.casefold() not in lowered]
    problems += [f"must not say {fact!r}" for fact in case.must_not_contain if fact.casefold() in lowered]
    ephemeral = bool(calls) and all(c.method == "chat.postEphemeral" for c in calls)
    if case.ephemeral is True and not ephemeral:
        problems.append("should be shown to the asker only")
    if case.ephemeral is False and ephemeral:
        problems.append("should be posted for everyone")
    return CaseResult(case, tuple(problems), text, seconds, ephemeral)


def run_question_set(
    app: App,
    payloads: SlackPayloads,
    fake: FakeSlackApi,
    cases: Sequence[QuestionCase],
    *,
    progress: Callable[[CaseResult], None] | None = None,
) -> Report:
    """Ask every question and collect the results."""
    report = Report()
    for sequence, case in enumerate(cases):
        result = ask(app, payloads, fake, case, sequence=sequence)
        report.results.append(result)
        if progress is not None:
            progress(result)
    return report
