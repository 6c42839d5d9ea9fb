"""Two Liaison instances on one PostgreSQL database, serving commands and ticking reminders at once.

Both are real `liaison serve` processes, started as production starts one instance (role `all`, HTTP,
its own APScheduler ticking every second), against one fake Slack Web API. While signed slash
commands go to both — writes that must happen exactly once, reads, and bodies replayed to the other
instance — rounds of reminder deliveries fall due under their shared ticks.

What it proves, end to end and across process boundaries (nothing here shares memory):

- every delivery is posted exactly once and recorded `sent` (no duplicate, no lost delivery), and
  both processes claimed some of them, so the claims really were contended;
- every command is acked 200 and answered exactly once at its `response_url`, each `/blocker add`
  exists exactly once with its own number, and a body sent to both instances acts once (the replay
  ledger lives in the database, not in a process);
- both processes stop with exit status 0 on SIGTERM and log no error or traceback.
"""

from __future__ import annotations

import re
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.app import APOLOGY
from bot.cli.console.payloads import SignedBody, SlackPayloads
from bot.clock import SystemClock
from bot.models import Blocker, DeliveryStatus, ReminderDelivery
from tests.fakes.slack_api import RESPONSE_URL_METHOD, FakeSlackApi
from tests.jobs.reminder_support import posted_keys, release, seed_due_deliveries
from tests.served_processes import (
    Instance,
    instance_environment,
    running_instances,
    wait_for,
)

PCM_MEMBER = "U11DEAHME"  # a member of project pcm in the demo workspace
BIDSHADE_LEAD = "U02ECBANE"
ROUNDS = 4
PER_ROUND = 150
CHANNELS = 50
BLOCKER_ADDS = 24
READS = BLOCKER_ADDS
REPLAY_EVERY = 3  # every 3rd command is also sent, byte for byte, to the other instance
SENDERS = 2
SEND_GAP_SECONDS = 0.1
# Slow posts make one process's tick outlast the other's tick interval (1 s), so both always claim
# part of every round instead of whichever ticks first draining it alone.
POST_DELAY_SECONDS = 0.05
ERROR_LINE = re.compile(r"^\S+ \S+ (?:ERROR|CRITICAL) .*$|^Traceback.*$", re.MULTILINE)
BLOCKER_RAISED = re.compile(r"^Blocker pcm-b(\d+) raised$")


@dataclass(frozen=True)
class Command:
    """A signed slash command, the instances it is sent to, and what it should leave behind."""

    signed: SignedBody
    targets: tuple[int, ...]
    blocker_text: str | None = None

    @property
    def label(self) -> str:
        """The command as a user would type it."""
        form = parse_qs(self.signed.body)
        return f"{form['command'][0]} {form['text'][0]}"

    @property
    def token(self) -> str:
        """The last segment of the command's `response_url`, as the fake records it."""
        response_url = parse_qs(self.signed.body)["response_url"][0]
        return response_url.rsplit("/", 1)[1]


@dataclass
class Traffic:
    """What the sender threads did: ack statuses per instance, failures, and how far they got."""

    statuses: list[tuple[int, int]] = field(default_factory=list)
    errors: list[BaseException] = field(default_factory=list)
    sent: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    # The senders start each step together, so at every other step two blocker adds for one project
    # reach the two instances at the same moment.
    step: threading.Barrier = field(default_factory=lambda: threading.Barrier(SENDERS))

    def wait_until_sent(self, count: int, timeout: float) -> None:
        """Wait until the senders have sent `count` commands."""
        wait_for(lambda: self.sent >= count, f"{count} commands to be sent", timeout)


def _count_sent(session_factory: sessionmaker[Session], keys: list[str]) -> int:
    with session_factory() as session:
        return int(
            session.scalar(
                select(func.count())
                .select_from(ReminderDelivery)
                .where(ReminderDelivery.key.in_(keys), ReminderDelivery.status == DeliveryStatus.SENT)
            )
            or 0
        )


def _commands(payloads: SlackPayloads) -> list[Command]:
    """Blocker adds and reads, two of each in turn, every `REPLAY_EVERY`th also sent to the other instance.

    Sender thread j sends commands j, j + SENDERS, …; command k goes to instance (k + k // SENDERS) % 2,
    so each thread alternates between the instances, at each step the two threads hit different ones,
    and at every other step both send a blocker add: writes to one project, racing on two instances.
    """
    blockers = [
        (payloads.slash_command("/blocker", f"add pcm {text}", user_id=PCM_MEMBER), text)
        for text in (f"two-instance blocker {n:02d}" for n in range(BLOCKER_ADDS))
    ]
    kinds = [("/milestone", "next"), ("/project", "status bidshade")]
    reads: list[tuple[SignedBody, str | None]] = [
        (payloads.slash_command(*kinds[n % 2], user_id=BIDSHADE_LEAD), None) for n in range(READS)
    ]
    bodies: list[tuple[SignedBody, str | None]] = []
    for n in range(0, BLOCKER_ADDS, SENDERS):
        bodies += blockers[n : n + SENDERS] + reads[n : n + SENDERS]
    commands = []
    for k, (signed, blocker_text) in enumerate(bodies):
        target = (k + k // SENDERS) % 2
        targets = (target, 1 - target) if k % REPLAY_EVERY == REPLAY_EVERY - 1 else (target,)
        commands.append(Command(signed, targets, blocker_text))
    return commands


def _send(commands: list[Command], instances: list[Instance], traffic: Traffic) -> None:
    """One sender thread: post each command to its instance(s), paced so the traffic spans the rounds."""
    try:
        for command in commands:
            traffic.step.wait(timeout=30)
            for target in command.targets:
                status = instances[target].post(command.signed)
                with traffic.lock:
                    traffic.statuses.append((target, status))
            with traffic.lock:
                traffic.sent += 1
            time.sleep(SEND_GAP_SECONDS)
    except BaseException as error:  # reported by the test after the join
        traffic.step.abort()  # the other sender must not wait for this one
        with traffic.lock:
            traffic.errors.append(error)


@pytest.mark.postgres
def test_two_instances_serve_commands_and_tick_reminders_with_no_duplicate_and_no_loss(
    postgres_url: str,
    shared_database: sessionmaker[Session],
    slack_api: FakeSlackApi,
    payloads: SlackPayloads,
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> None:
    later = SystemClock().now() + timedelta(days=365)
    with shared_database.begin() as session:
        rounds = [
            seed_due_deliveries(session, count=PER_ROUND, channels=CHANNELS, due=later, round_number=n)
            for n in range(ROUNDS)
        ]
    slack_api.delay("chat.postMessage", POST_DELAY_SECONDS, times=1_000_000)
    commands = _commands(payloads)
    sends = sum(len(c.targets) for c in commands)
    replays = sends - len(commands)
    traffic = Traffic()
    released: list[str] = []

    with running_instances(
        2, instance_environment(postgres_url, slack_api.url), tmp_path, request
    ) as instances:
        senders = [
            threading.Thread(target=_send, args=(commands[j::SENDERS], instances, traffic), daemon=True)
            for j in range(SENDERS)
        ]
        for sender in senders:
            sender.start()
        # Round r falls due once r quarters of the commands are out, so reminders are claimed, posted
        # and settled while commands are acked and acted on, to the last round.
        for number, keys in enumerate(rounds):
            traffic.wait_until_sent(number * len(commands) // ROUNDS, timeout=30)
            with shared_database.begin() as session:
                release(session, keys, SystemClock().now() - timedelta(seconds=1))
            released += keys
        for sender in senders:
            sender.join(timeout=60)
        assert not traffic.errors, traffic.errors
        wait_for(lambda: _count_sent(shared_database, released) == len(released), "every delivery", 60)
        # Every send was claimed in the replay ledger (or dropped there) by one instance or the other.
        wait_for(
            lambda: sum(i.command_outcomes().total() for i in instances) >= sends, "the replay claims", 30
        )
        outcomes = [instance.command_outcomes() for instance in instances]
        pids = {instance.process.pid for instance in instances}
        # SIGTERM both at once, as a deploy stops them; each finishes its listeners and tick first.
        for instance in instances:
            instance.terminate()
        exit_codes = [instance.stop() for instance in instances]
        output = {instance.name: instance.output() for instance in instances}

    # Acks, and a clean stop.
    assert len(traffic.statuses) == sends
    assert Counter(status for _, status in traffic.statuses) == {200: sends}
    assert {target for target, _ in traffic.statuses} == {0, 1}
    assert exit_codes == [0, 0]

    # Reminders: each released delivery posted once and recorded sent, by both processes together.
    counts = posted_keys(slack_api)
    assert len(released) == ROUNDS * PER_ROUND
    assert {key: counts[key] for key in released} == dict.fromkeys(released, 1)
    assert [key for key, count in counts.items() if count > 1] == []  # the demo's own reminders too
    with shared_database() as session:
        rows = session.execute(
            select(
                ReminderDelivery.status,
                ReminderDelivery.claimed_by,
                ReminderDelivery.uncertain,
                ReminderDelivery.ambiguous_attempts,
            ).where(ReminderDelivery.key.in_(released))
        ).all()
    assert Counter(row.status for row in rows) == {DeliveryStatus.SENT: len(released)}
    assert {int(row.claimed_by.split(":")[1]) for row in rows} == pids
    assert {(row.uncertain, row.ambiguous_attempts) for row in rows} == {(False, 0)}

    # Commands: one answer each at its response_url, none an apology; each blocker once, numbered apart.
    answers: dict[str, list[str]] = {}
    for call in slack_api.calls(RESPONSE_URL_METHOD):
        answers.setdefault(call.params["_response_token"], []).append(str(call.params.get("text", "")))
    assert {token: len(texts) for token, texts in answers.items()} == {c.token: 1 for c in commands}
    failed = {c.label: answers[c.token] for c in commands if APOLOGY in answers[c.token]}
    assert failed == {}
    blocker_tokens = {c.token for c in commands if c.blocker_text is not None}
    numbers = [BLOCKER_RAISED.match(answers[token][0]) for token in blocker_tokens]
    assert all(numbers), [answers[token] for token in blocker_tokens]
    assert len({match.group(1) for match in numbers if match}) == BLOCKER_ADDS
    with shared_database() as session:
        stored = Counter(session.scalars(select(Blocker.text).where(Blocker.text.like("two-instance %"))))
    assert stored == {c.blocker_text: 1 for c in commands if c.blocker_text is not None}

    # The replay ledger is shared: each body acted once, whichever instance got it first.
    assert sum(o["accepted"] for o in outcomes) == len(commands)
    assert sum(o["replay"] for o in outcomes) == replays > 0
    assert all(o["accepted"] > 0 for o in outcomes), outcomes
    assert sum(o["error"] for o in outcomes) == 0

    # Nothing went wrong on the way that the checks above could not see.
    errors = {name: ERROR_LINE.findall(text) for name, text in output.items()}
    assert errors == {name: [] for name in output}
