"""Fuzzing every Liaison slash command with hostile text: no errors, no pings, no invalid Block Kit.

10,000 generated command texts (random Unicode, control characters, Slack markup such as `<@U…>`,
`<!channel>`, `<!here>`, `<!subteam^…>`, mrkdwn specials, quotes, very long strings, real project keys
and milestone refs mixed in) go through exactly what the Bolt handlers call — `execute_command` for
`/project`, `/milestone`, `/blocker`, `/liaison` and `answer_question` for `/ask` — and the rendering
that is sent (`Reply.as_kwargs`, modals), on SQLite; 5,000 more (a seed of their own) on PostgreSQL,
which refuses what SQLite stores without a word. A few hundred more go through the signed HTTP path into the
real server, where every Web API call the bot makes (replies, modals, App Home views) is checked too.

The inputs are reproducible (fixed seed); a failure lists the first offending inputs.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import select

from bot.app import APOLOGY
from bot.cli.console.payloads import SlackPayloads
from bot.experts.embeddings.cache import CachingEmbedder
from bot.experts.embeddings.hashing import HashingEmbedder
from bot.models import Blocker, Milestone, Person, Project
from bot.services import Services
from bot.slack.commands import CommandRequest, execute_command
from bot.slack.questions import Question, answer_question
from tests.fakes.slack_api import RESPONSE_URL_METHOD, FakeSlackApi
from tests.security.blockkit import mention_violations, message_violations, mrkdwn_texts, view_violations
from tests.security.served import ServerPool

SEED = 20_261_120
DIRECT_CASES = 10_000
POSTGRES_CASES = 5_000
HTTP_CASES = 300
TEAM = FakeSlackApi.team_id
# A lead, a member of the private project, an admin and someone Liaison has never heard of.
USERS = ["U02ECBANE", "U12ETSTEI", "U0ADMIN", "U06CRWONG", "U0STRANGER"]

MARKUP = [
    "<!channel>",
    "<!here>",
    "<!everyone>",
    "<!here|here>",
    "<@U0FUZZ01>",
    "<@W0FUZZ02|mallory>",
    "<@U02ECBANE>",  # a real person: may be resolved, but only ever rendered from the directory
    "<!subteam^S0FUZZ|@security>",
    "<#C0FUZZ|general>",
    "<#C1BIDSHADE>",
    "<https://evil.example/?a=1&b=2|click me>",
    "<mailto:x@example.org>",
    "<!date^1800000000^{date}|fallback>",
    "&lt;!channel&gt;",
    "&amp;",
    "&",
    "<",
    ">",
    "<<>>",
    "< !channel >",
    "*bold*",
    "_italic_",
    "~strike~",
    "`code`",
    "```block```",
    "> quote",
    ":smile:",
    "\\",
    '"',
    "'",
    "“smart”",
    "‘single’",
    "%s %d {0} {key}",
    "${HOME}",
    "'; DROP TABLE project; --",
    "null",
    "None",
    "-1",
    "0",
    "9" * 30,
]
WORDS = ["all", "mine", "me", "off", "on", "at_risk", "done", "blocked", "on_track", "lead-times", "7d,1d,0"]
WORDS += ["at", "09:00", "quiet", "20:00-08:00", "digest", "mon", "help", "?", "--help", "-h"]
DATES = ["tomorrow", "friday", "next friday 5pm", "in 3 days", "2026-12-04", "2026-12-04 17:00"]
DATES += ["2026-03-29 02:30", "2026-02-30", "yesterday", "9999-12-31", "0000-01-01", "2026-11-20T25:00"]
VERBS = {
    "/project": [
        "list",
        "status",
        "members",
        "blockers",
        "create",
        "edit",
        "join",
        "leave",
        "remove",
        "set-status",
    ],
    "/milestone": [
        "list",
        "next",
        "overdue",
        "add",
        "done",
        "move",
        "assign",
        "remind",
        "show",
        "describe",
        "link",
        "unlink",
        "after",
        "not-after",
    ],
    "/blocker": ["add", "list", "resolve"],
    "/liaison": ["help", ""],
    "/ask": ["what", "who", "when", "is", "show", "list", "which", "how"],
}
# How the inputs are spread over the commands. `/ask` is the costliest per call by far (its entity
# matching grows with the text: ~0.5 s of CPU for 8,000 characters), so it gets a smaller share to keep
# the run short (~300 questions); `/liaison` only ever answers help.
COMMAND_WEIGHTS = {"/project": 31, "/milestone": 31, "/blocker": 27, "/liaison": 8, "/ask": 3}
# Code points from many blocks: ASCII, Latin-1, C0/C1 controls, bidi and zero-width marks, combining
# marks, CJK, Arabic, emoji, private use, noncharacters (surrogates excluded: Slack sends UTF-8).
RANGES = [
    (0x20, 0x7E),
    (0xA0, 0xFF),
    (0x00, 0x1F),
    (0x7F, 0x9F),
    (0x200B, 0x200F),
    (0x202A, 0x202E),
    (0x2066, 0x2069),
    (0x0300, 0x036F),
    (0x4E00, 0x4FFF),
    (0x0600, 0x06FF),
    (0x1F300, 0x1F6FF),
    (0xE000, 0xE0FF),
    (0xFFF0, 0xFFFF),
    (0x10000, 0x1007F),
]


@dataclass(frozen=True)
class Case:
    """One generated invocation."""

    user: str
    command: str
    text: str


def _unicode(rng: random.Random, length: int) -> str:
    chars = []
    for _ in range(length):
        low, high = rng.choice(RANGES)
        chars.append(chr(rng.randint(low, high)))
    return "".join(chars)


def _fragment(rng: random.Random, names: list[str]) -> str:
    roll = rng.random()
    if roll < 0.35:
        return rng.choice(MARKUP)
    if roll < 0.55:
        return rng.choice(names)
    if roll < 0.70:
        return _unicode(rng, rng.randint(1, 12))
    if roll < 0.78:
        return rng.choice(DATES)
    if roll < 0.83:
        # Very long: past every limit Liaison or Slack has (names, sections, blockers, headers).
        return "".join(rng.choice(MARKUP + names) for _ in range(rng.choice([40, 150, 400])))
    return rng.choice(WORDS)


def generate_cases(count: int, names: list[str], *, seed: int) -> Iterator[Case]:
    """Reproducible hostile invocations of every command."""
    rng = random.Random(seed)
    commands = list(COMMAND_WEIGHTS)
    weights = list(COMMAND_WEIGHTS.values())
    separators = [" ", " ", " ", "  ", "\t", "\n", "\u00a0", "\u3000"]
    for _ in range(count):
        command = rng.choices(commands, weights)[0]
        roll = rng.random()
        if roll < 0.03:
            text = rng.choice(["", " ", "\n", "\t\t"])
        else:
            verb = rng.choice(VERBS[command]) if roll < 0.9 else _fragment(rng, names)
            parts = [verb] + [_fragment(rng, names) for _ in range(rng.randint(0, 5))]
            text = "".join(part + rng.choice(separators) for part in parts).rstrip(" ")
        yield Case(rng.choice(USERS), command, text)


def _directory_of(services: Services) -> tuple[set[str], set[str], list[str]]:
    """Known user ids and channels (mentions Liaison may build), and names to mix into the inputs."""
    with services.session_factory() as session:
        users = set(session.scalars(select(Person.slack_id)))
        channels = {c for c in session.scalars(select(Project.channel_id)) if c}
        keys = list(session.scalars(select(Project.key)))
        project_names = list(session.scalars(select(Project.name)))
        refs = [f"{m.project.key}-{m.number}" for m in session.scalars(select(Milestone))]
    blocker_refs = [f"{key}-b{n}" for key in keys for n in (1, 2)]
    # The askers' own ids come from Slack's payload (validated), so Liaison may mention them too.
    users |= set(USERS)
    return users, channels, keys + project_names + refs + blocker_refs + ["bid shading", "pcm-b1"]


@pytest.fixture
def directory(services: Services, demo: None) -> tuple[set[str], set[str], list[str]]:
    """The demo's directory (`_directory_of`), on SQLite."""
    return _directory_of(services)


def _problems_of_message(
    message: dict[str, Any], users: set[str], channels: set[str], *, view: bool = False
) -> list[str]:
    problems = view_violations(message) if view else message_violations(message)
    return problems + mention_violations(list(mrkdwn_texts(message)), users=users, channels=channels)


def _fuzz_directly(
    services: Services, directory: tuple[set[str], set[str], list[str]], count: int, seed: int
) -> int:
    """Run `count` generated cases through what the handlers call; fails on the first problems.

    Returns:
        How many replies and modals were checked.
    """
    users, channels, names = directory
    # /ask with a (deterministic) embedder, so semantic matching and search run too.
    services.embedder = CachingEmbedder(HashingEmbedder())
    failures: list[str] = []
    checked = 0
    for case in generate_cases(count, names, seed=seed):
        try:
            if case.command == "/ask":
                question = Question(case.text, case.user, TEAM, channel_id="C1BIDSHADE")
                payloads = [(answer_question(services, question).reply.as_kwargs(), False)]
            else:
                request = CommandRequest(case.command, case.text, case.user, TEAM, "C0GENERAL")
                outcome = execute_command(
                    services.session_factory, services.settings, services.clock.now(), request
                )
                payloads = []
                if outcome.reply is not None:
                    payloads.append((outcome.reply.as_kwargs(), False))
                if outcome.modal is not None:
                    payloads.append((outcome.modal, True))
                if not payloads:
                    failures.append(f"{case}: nothing to send")
        except Exception as error:  # any exception is what the user would see as an apology
            failures.append(f"{case}: {type(error).__name__}: {error}")
            continue
        for payload, is_view in payloads:
            checked += 1
            # JSON round trip: what Slack receives (and catches values json cannot carry).
            sent = json.loads(json.dumps(payload))
            failures += [f"{case}: {p}" for p in _problems_of_message(sent, users, channels, view=is_view)]
        if len(failures) > 20:
            break

    assert failures == [], "\n".join(failures[:20])
    with services.session_factory() as session:
        # The fuzz did reach the writes: hostile blockers were raised (and rendered in later lists).
        assert session.scalars(select(Blocker)).first() is not None
    return checked


def test_ten_thousand_command_texts_render_safely(
    services: Services, directory: tuple[set[str], set[str], list[str]]
) -> None:
    assert _fuzz_directly(services, directory, DIRECT_CASES, SEED) >= DIRECT_CASES


@pytest.mark.postgres
def test_command_texts_render_safely_on_postgresql(on_postgres: Services) -> None:
    # PostgreSQL refuses what SQLite stores without a word (a value longer than its column, a NUL):
    # the same generator, fewer cases, a seed of their own.
    assert _fuzz_directly(on_postgres, _directory_of(on_postgres), POSTGRES_CASES, SEED + 2) >= POSTGRES_CASES


def _sent(call_params: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    params = dict(call_params)
    for key in ("blocks", "view"):
        if isinstance(params.get(key), str):
            params[key] = json.loads(params[key])
    if "view" in params:
        return params["view"], True
    return params, False


def test_hostile_commands_over_signed_http_never_fail(
    pool: ServerPool,
    services: Services,
    payloads: SlackPayloads,
    slack_api: FakeSlackApi,
    directory: tuple[set[str], set[str], list[str]],
) -> None:
    users, channels, names = directory
    served = pool.start(services)
    statuses: list[tuple[int, Case]] = []
    for case in generate_cases(HTTP_CASES, names, seed=SEED + 1):
        signed = payloads.slash_command(case.command, case.text, user_id=case.user, channel_id="C1BIDSHADE")
        statuses.append((served.post(signed).status, case))
    served.settle(timeout=60)

    failures = [f"{case}: HTTP {status}" for status, case in statuses if status != 200]
    methods = {RESPONSE_URL_METHOD, "chat.postMessage", "chat.postEphemeral", "views.open", "views.publish"}
    sent = [call for call in slack_api.calls() if call.method in methods]
    for call in sent:
        payload, is_view = _sent(call.params)
        if APOLOGY in json.dumps(payload):
            failures.append(f"{call.method}: the error handler apologised")
        failures += [
            f"{call.method}: {p}" for p in _problems_of_message(payload, users, channels, view=is_view)
        ]

    assert failures == [], "\n".join(failures[:20])
    # Every command was answered (a form-opening command answers with its modal only).
    assert len(slack_api.calls(RESPONSE_URL_METHOD)) + len(slack_api.calls("views.open")) >= HTTP_CASES


def test_did_you_mean_buttons_are_valid_block_kit(services: Services, demo: None) -> None:
    short = CommandRequest("/project", "status fair", "U02ECBANE", TEAM, "C0GENERAL")
    long = CommandRequest("/project", "status fair " + "x" * 2500, "U02ECBANE", TEAM, "C0GENERAL")
    problems = []
    for request in (short, long):
        outcome = execute_command(services.session_factory, services.settings, services.clock.now(), request)
        assert outcome.reply is not None
        problems += message_violations(outcome.reply.as_kwargs())

    assert problems == []
