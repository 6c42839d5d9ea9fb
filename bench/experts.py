"""Expert suggestions: ranking latency, bulk embedding throughput and memory (`python -m bench.experts`).

1. Ranking: synthetic directories of 1k, 10k and 100k people x 5 profile items (random unit vectors of
   dimension 384: ranking cost does not depend on what the vectors mean). For each size, the median
   time to embed one query with the real model, and the median end-to-end time (embed the query, then
   `rank_indexed_experts`), measured alternately on the same queries; the ratio is what a user waits
   for ranking on top of the unavoidable embedding. Targets: <= 1.5 at 10k, <= 3 at 100k. Indexes
   large enough for a float16 first pass (HALF_PRECISION_MIN_ITEMS) are also timed without it (the
   float32-only pass, as before it existed), interleaved with the rest, and must rank identically.
2. Indexing throughput: `SentenceTransformerEmbedder.embed` over 2,000 realistic profile texts,
   against raw `SentenceTransformer.encode` (library defaults, same loaded model) on the same texts, in
   chunks of 500 measured alternately. Target: ratio >= 0.9.
3. Memory: peak RSS with the model loaded, then with each directory's index.
4. Stored vectors (`bot.experts.vector_sync`, `bot.experts.index`): a synthetic directory of 1k people (10k
   with `--sync-sizes 1000,10000`, ~12 more minutes) x 5 profile items in a SQLite file migrated like
   production. A full rebuild through `sync_profile_vectors` (model load excluded), run as syncs of 200
   people alternating with raw `SentenceTransformer.encode` of the same texts; then one person's expertise
   edited and synced as the refresh job does (median of `--edits` edits), the same with `person_ids`, a
   sync with nothing to do, reloading the index from stored vectors, and edit to warm cache
   (`ExpertIndexCache.get`).

`--parts throughput,ranking,sync` chooses what runs (default: all).

The machine is shared; run it when nothing else is busy and report the load average with it.
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import resource
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
from sqlalchemy.orm import Session, sessionmaker

from bot.db import make_engine, make_session_factory
from bot.domain.experts.aggregation import DEFAULT_AGGREGATION
from bot.domain.experts.diversity import DEFAULT_DIVERSITY_LAMBDA
from bot.domain.experts.index import ExpertIndex, build_expert_index
from bot.domain.experts.lexical import DEFAULT_LEXICAL_WEIGHT, build_lexical_index
from bot.domain.experts.profiles import ExpertMatch, ExpertProfile, ProfileItem
from bot.domain.experts.ranking import rank_indexed_experts
from bot.experts.embeddings.sentence_transformers import SentenceTransformerEmbedder
from bot.experts.evaluation import load_evaluation_set
from bot.experts.index import ExpertIndexCache, load_expert_index
from bot.experts.profile_version import bump_profiles_version
from bot.experts.vector_sync import sync_profile_vectors
from bot.models import Person, Publication, Workspace
from bot.schema import upgrade_database

DEV_SET = Path(__file__).resolve().parent.parent / "tests" / "data" / "experts_dev.json"
DIMENSION = 384
ITEMS_PER_PERSON = 5
THROUGHPUT_CHUNK = 500
REQUEST_GAP = 0.25  # seconds between timed queries
PARTS = ("throughput", "ranking", "sync")
REBUILD_CHUNK = 200  # people per alternating rebuild chunk (1,000 items)
SYNC_NOW = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
DISCIPLINES = (
    "Machine learning",
    "Auction theory & economics",
    "Marketing science",
    "Consumer psychology",
    "Privacy law & policy",
    "Cryptography & security",
    "Causal inference & statistics",
    "Natural language processing",
    "Computer vision",
    "Human-computer interaction",
    "Data engineering",
    "Ethics & fairness",
)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="1000,10000,100000", help="directory sizes (people)")
    parser.add_argument("--repeats", type=int, default=40, help="timed queries per size")
    parser.add_argument("--texts", type=int, default=2000, help="texts for the throughput test")
    parser.add_argument("--rounds", type=int, default=3, help="throughput rounds over all texts")
    parser.add_argument(
        "--parts", default=",".join(PARTS), help=f"what to run, of {', '.join(PARTS)} (default: all)"
    )
    parser.add_argument(
        "--sync-sizes",
        default="1000",
        help="directory sizes (people) for the stored-vector sync; 10000 adds ~12 minutes",
    )
    parser.add_argument("--edits", type=int, default=5, help="one-profile updates timed per sync size")
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    parts = {part.strip() for part in args.parts.split(",") if part.strip()}
    if parts - set(PARTS):
        parser.error(f"unknown parts {sorted(parts - set(PARTS))}; choose from {', '.join(PARTS)}")

    print(
        f"# Expert suggestions benchmark — {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} cores"
    )
    print(f"load average at start: {_load_average()}")
    started = time.perf_counter()
    embedder = SentenceTransformerEmbedder()
    embedder.start_loading()
    embedder.wait_ready()
    queries = list(load_evaluation_set(DEV_SET).queries.values())
    embedder.embed(queries)  # warm up: first calls allocate
    print(f"model load: {time.perf_counter() - started:.1f} s")
    print(f"RSS with the model loaded: {_rss_mb():.0f} MB (peak {_peak_rss_mb():.0f} MB)")
    print()

    if "throughput" in parts:
        _throughput(embedder, _realistic_texts(args.texts), args.rounds)
        print()
    if "ranking" in parts:
        _ranking(embedder, sizes, queries, args.repeats)
        print()
    if "sync" in parts:
        _sync_benchmarks(embedder, [int(size) for size in args.sync_sizes.split(",")], args.edits)
        print()
    print(f"load average at end: {_load_average()}")


def _ranking(
    embedder: SentenceTransformerEmbedder, sizes: list[int], queries: list[str], repeats: int
) -> None:
    print(
        f"## Ranking one query (aggregation {DEFAULT_AGGREGATION.name}, "
        f"lexical weight {DEFAULT_LEXICAL_WEIGHT}, diversity {DEFAULT_DIVERSITY_LAMBDA}, "
        f"top 5, {ITEMS_PER_PERSON} items per person, {repeats} queries)"
    )
    print()
    print(
        "| people | items | index build: vectors + lexical | matrix product alone: float32 / float16 | "
        "rank only: wall median / p95 / CPU median | embed query alone: wall median / p10 / CPU median | "
        "ratio, wall medians | ratio, wall p10s | ratio, CPU medians | "
        "float32 pass only: rank wall median / ratio, wall medians / p10s | RSS after build (peak) |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for size in sizes:
        _rank_benchmark(embedder, size, queries, repeats)
        gc.collect()  # free this size's index before building the next


def _throughput(embedder: SentenceTransformerEmbedder, texts: list[str], rounds: int) -> None:
    # The raw baseline is the same loaded model called directly with the library's defaults, so the
    # comparison isolates what the wrapper adds (batch size, normalisation, locking, copying).
    model = embedder.model
    chunks = [texts[start : start + THROUGHPUT_CHUNK] for start in range(0, len(texts), THROUGHPUT_CHUNK)]
    ours_wall = raw_wall = ours_cpu = raw_cpu = 0.0
    ratios = []
    for round_number in range(rounds):
        round_ours = round_raw = 0.0
        for number, chunk in enumerate(chunks):
            # Alternate which path goes first, chunk by chunk: on a shared machine the load drifts,
            # and pairing measurements seconds apart cancels some of it.
            ours_first = (round_number + number) % 2 == 0
            for path in ("ours", "raw") if ours_first else ("raw", "ours"):
                if path == "ours":
                    wall, cpu = _measure(lambda chunk=chunk: embedder.embed(chunk))
                    ours_wall, ours_cpu, round_ours = ours_wall + wall, ours_cpu + cpu, round_ours + wall
                else:
                    wall, cpu = _measure(lambda chunk=chunk: model.encode(chunk))
                    raw_wall, raw_cpu, round_raw = raw_wall + wall, raw_cpu + cpu, round_raw + wall
        ratios.append(round_raw / round_ours)
    processed = len(texts) * rounds
    words = statistics.mean(len(text.split()) for text in texts)
    print(
        f"## Bulk embedding throughput ({len(texts)} texts, mean {words:.0f} words, {rounds} rounds of "
        f"{len(chunks)} alternating chunks)"
    )
    print()
    print("| path | wall time | texts/s (wall) | CPU time |")
    print("|---|---:|---:|---:|")
    print(
        f"| `SentenceTransformerEmbedder.embed` (batch {embedder.batch_size}) | {ours_wall:.2f} s | "
        f"{processed / ours_wall:.0f} | {ours_cpu:.2f} s |"
    )
    print(
        f"| raw `SentenceTransformer.encode` (defaults) | {raw_wall:.2f} s | {processed / raw_wall:.0f} | "
        f"{raw_cpu:.2f} s |"
    )
    print()
    print(f"per-round wall ratios (raw / ours): {', '.join(f'{ratio:.2f}' for ratio in ratios)}")
    print(f"throughput ratio (ours / raw): wall {raw_wall / ours_wall:.2f}, CPU {raw_cpu / ours_cpu:.2f}")


def _rank_benchmark(
    embedder: SentenceTransformerEmbedder, people: int, queries: list[str], repeats: int
) -> None:
    rng = np.random.default_rng(people)
    vectors = rng.standard_normal((people * ITEMS_PER_PERSON, DIMENSION), dtype=np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    profiles = [
        ExpertProfile(
            person_id=f"U{i:07d}",
            name=f"Person {i}",
            discipline=DISCIPLINES[i % len(DISCIPLINES)],
            # A few people opted out or over cap, as in a real directory.
            opted_out=i % 53 == 0,
            over_cap=i % 17 == 0,
        )
        for i in range(people)
    ]
    items = [
        ProfileItem(
            person_id=f"U{row // ITEMS_PER_PERSON:07d}",
            kind="expertise" if row % ITEMS_PER_PERSON == 0 else "publication",
            text=f"profile text {row}",
            vector=vectors[row],
        )
        for row in range(people * ITEMS_PER_PERSON)
    ]
    started = time.perf_counter()
    index = build_expert_index(profiles, items)
    build = time.perf_counter() - started
    # The lexical half of the hybrid ranking, over profile-like texts (the vectors are random, so the
    # texts need not match them: only the cost is measured). Built cold: no cached term counts.
    item_texts = _realistic_texts(len(items))
    started = time.perf_counter()
    lexical = build_lexical_index(item_texts)
    lexical_build = time.perf_counter() - started
    # The index holds its own matrix; dropping the inputs leaves one copy, as in the bot.
    del vectors, items, profiles, item_texts
    gc.collect()

    def rank(query: np.ndarray, text: str, ranked_index: ExpertIndex) -> list[ExpertMatch]:
        """What `bot.experts.ranking.rank_people` does with a vector: lexical boost, then rank."""
        boost = DEFAULT_LEXICAL_WEIGHT * lexical.similarities(text)
        return rank_indexed_experts(query, ranked_index, item_boost=boost)

    # The same index without its float16 copy: the float32-only pass (shares every array, no memory).
    float32_index = replace(index, half_precision=None) if index.half_precision is not None else None
    for text in queries[:3]:  # warm up
        query = embedder.embed_query(text)
        rank(query, text, index)
        if float32_index is not None:
            rank(query, text, float32_index)
    alone_wall, alone_cpu, total_wall, total_cpu, rank_wall, rank_cpu = [], [], [], [], [], []
    float32_total, float32_rank = [], []
    for i in range(repeats):
        text = queries[i % len(queries)]
        # Slack requests arrive seconds apart; without a pause, BLAS threads still spinning after the
        # previous ranking would slow this embedding and make every ratio look better than it is.
        time.sleep(REQUEST_GAP)
        wall, cpu = _measure(lambda text=text: embedder.embed_query(text))
        alone_wall.append(wall)
        alone_cpu.append(cpu)
        # Which index goes first alternates, so drifting load favours neither.
        paths = [index] if float32_index is None else [index, float32_index][:: 1 if i % 2 == 0 else -1]
        results = {}
        for ranked_index in paths:
            time.sleep(REQUEST_GAP)
            # One request: embed, then rank, with a checkpoint in between.
            start_wall, start_cpu = time.perf_counter(), time.process_time()
            query = embedder.embed_query(text)
            middle_wall, middle_cpu = time.perf_counter(), time.process_time()
            results[id(ranked_index)] = rank(query, text, ranked_index)
            end_wall, end_cpu = time.perf_counter(), time.process_time()
            if ranked_index is index:
                rank_wall.append(end_wall - middle_wall)
                rank_cpu.append(end_cpu - middle_cpu)
                total_wall.append(end_wall - start_wall)
                total_cpu.append(end_cpu - start_cpu)
            else:
                float32_rank.append(end_wall - middle_wall)
                float32_total.append(end_wall - start_wall)
        if float32_index is not None:
            fast, exact = results[id(index)], results[id(float32_index)]
            assert [m.person.person_id for m in fast] == [m.person.person_id for m in exact] and all(
                abs(f.score - e.score) <= 1e-6 for f, e in zip(fast, exact, strict=True)
            ), f"float16 first pass changed the suggestions for {text!r}"
    # The floor: one pass over the item matrix, which memory bandwidth bounds (768 MB at 100k people
    # in float32, half in float16).
    product_wall = [_measure(lambda query=query: index.matrix @ query)[0] for _ in range(10)]
    half = index.half_precision
    half_wall = [] if half is None else [_measure(lambda: half.similarities(query))[0] for _ in range(10)]
    median, p10, p95 = statistics.median, _percentile(10), _percentile(95)
    float32_only = (
        "same (no float16 copy)"
        if not float32_total
        else f"{median(float32_rank) * 1000:.1f} ms / {median(float32_total) / median(alone_wall):.2f} / "
        f"{p10(float32_total) / p10(alone_wall):.2f}"
    )
    # Wall medians show the machine as it was; wall 10th percentiles approximate a quiet machine; CPU
    # time (all threads of this process) mostly ignores other processes competing for the two cores.
    print(
        f"| {people:,} | {len(index.items):,} | {build:.1f} s + {lexical_build:.1f} s | "
        f"{median(product_wall) * 1000:.1f} / "
        f"{f'{median(half_wall) * 1000:.1f} ms' if half_wall else '—'} | "
        f"{median(rank_wall) * 1000:.1f} / {p95(rank_wall) * 1000:.1f} / {median(rank_cpu) * 1000:.1f} ms | "
        f"{median(alone_wall) * 1000:.1f} / {p10(alone_wall) * 1000:.1f} / "
        f"{median(alone_cpu) * 1000:.1f} ms | "
        f"{median(total_wall) / median(alone_wall):.2f} | {p10(total_wall) / p10(alone_wall):.2f} | "
        f"{median(total_cpu) / median(alone_cpu):.2f} | {float32_only} | "
        f"{_rss_mb():.0f} MB ({_peak_rss_mb():.0f} MB) |",
        flush=True,
    )


class _TimedEmbedder:
    """Passes through to the model and adds up the wall time spent in it."""

    def __init__(self, inner: SentenceTransformerEmbedder) -> None:
        self.inner = inner
        self.seconds = 0.0

    @property
    def model_name(self) -> str:
        return self.inner.model_name

    @property
    def dimension(self) -> int:
        return self.inner.dimension

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        started = time.perf_counter()
        try:
            return self.inner.embed(texts)
        finally:
            self.seconds += time.perf_counter() - started


def _sync_benchmarks(embedder: SentenceTransformerEmbedder, sizes: list[int], edits: int) -> None:
    print(
        f"## Stored vectors: full rebuild vs one-profile update (SQLite file, {ITEMS_PER_PERSON} items "
        f"per person, batch {embedder.batch_size}, model {embedder.model_name}; medians of {edits} edits)"
    )
    print()
    print(
        "| people | items | full rebuild (model / rest) | items/s: rebuild / raw encode | ratio | "
        "one-profile sync: workspace / person_ids | no-op sync | index reload | edit → warm cache | "
        "rebuild ÷ one-profile | RSS after (peak) |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for size in sizes:
        with tempfile.TemporaryDirectory(prefix="liaison-bench-") as directory:
            _sync_benchmark(embedder, size, edits, f"sqlite:///{directory}/bench.db")
        gc.collect()


def _sync_benchmark(embedder: SentenceTransformerEmbedder, people: int, edits: int, url: str) -> None:
    upgrade_database(url)
    engine = make_engine(url)
    session_factory = make_session_factory(engine)
    texts = _unique(_realistic_texts(people * ITEMS_PER_PERSON))
    with session_factory.begin() as session:
        workspace = Workspace(name="Bench alliance", timezone="UTC")
        session.add(workspace)
        session.flush()
        persons = [
            Person(
                workspace_id=workspace.id,
                slack_id=f"U{i:08d}",
                name=f"Person {i}",
                discipline=DISCIPLINES[i % len(DISCIPLINES)],
                expertise=texts[i * ITEMS_PER_PERSON],
                publications=[
                    Publication(position=n, title=title)
                    for n, title in enumerate(texts[i * ITEMS_PER_PERSON + 1 : (i + 1) * ITEMS_PER_PERSON])
                ],
            )
            for i in range(people)
        ]
        session.add_all(persons)
        session.flush()
        workspace_id, person_ids = workspace.id, [person.id for person in persons]
        del persons

    # The full rebuild runs as syncs of REBUILD_CHUNK people each, alternating with raw `encode` of
    # the same texts (which goes first alternates too): on a shared machine the load drifts over a
    # minute, and pairing measurements seconds apart cancels most of it. Together the chunks do what
    # one sync of everyone does (read the profiles, embed in batches, upsert), `REBUILD_CHUNK` times
    # over a smaller scope.
    model = embedder.model
    timed = _TimedEmbedder(embedder)
    raw_wall = rebuild_wall = 0.0
    for number, start in enumerate(range(0, people, REBUILD_CHUNK)):
        chunk_ids = person_ids[start : start + REBUILD_CHUNK]
        chunk_texts = texts[start * ITEMS_PER_PERSON : (start + len(chunk_ids)) * ITEMS_PER_PERSON]
        for path in ("sync", "raw") if number % 2 == 0 else ("raw", "sync"):
            if path == "raw":
                raw_wall += _measure(lambda chunk_texts=chunk_texts: model.encode(chunk_texts))[0]
            else:
                rebuild_wall += _measure(
                    lambda chunk_ids=chunk_ids: sync_profile_vectors(
                        session_factory, timed, workspace_id, now=SYNC_NOW, person_ids=chunk_ids
                    )
                )[0]
    rebuild_model = timed.seconds

    rng = np.random.default_rng(people)
    paragraphs = _realistic_texts(4 * edits + 8)[::5]
    updates = iter(f"{text} Edit {n}." for n, text in enumerate(paragraphs * 4))
    cache = ExpertIndexCache()
    cache.get(session_factory, embedder, workspace_id, now=SYNC_NOW)  # warm, as in a running bot
    workspace_sync, person_sync, noop_sync, reload, warm = [], [], [], [], []
    for n in range(edits):
        now = SYNC_NOW + timedelta(minutes=n + 1)
        # The refresh job's path: sync the whole workspace (compare every hash, embed one item).
        _edit_expertise(session_factory, workspace_id, int(rng.integers(people)) + 1, next(updates))
        workspace_sync.append(
            _measure(lambda now=now: sync_profile_vectors(session_factory, embedder, workspace_id, now=now))[
                0
            ]
        )
        # A caller that knows who changed (e.g. right after /profile).
        person_id = int(rng.integers(people)) + 1
        _edit_expertise(session_factory, workspace_id, person_id, next(updates))
        person_sync.append(
            _measure(
                lambda now=now, person_id=person_id: sync_profile_vectors(
                    session_factory, embedder, workspace_id, now=now, person_ids=[person_id]
                )
            )[0]
        )
        noop_sync.append(
            _measure(lambda now=now: sync_profile_vectors(session_factory, embedder, workspace_id, now=now))[
                0
            ]
        )

        def load() -> None:
            with session_factory() as session:
                load_expert_index(session, workspace_id, embedder.model_name)

        reload.append(_measure(load)[0])
        # What the refresh job does after a /profile edit: sync, then reload the process's cache.
        _edit_expertise(session_factory, workspace_id, int(rng.integers(people)) + 1, next(updates))
        warm.append(_measure(lambda now=now: cache.get(session_factory, embedder, workspace_id, now=now))[0])
    engine.dispose()
    median = statistics.median
    items = len(texts)
    one_profile = median(workspace_sync)
    print(
        f"| {people:,} | {items:,} | {rebuild_wall:.1f} s ({rebuild_model:.1f} / "
        f"{rebuild_wall - rebuild_model:.1f} s) | {items / rebuild_wall:.0f} / {items / raw_wall:.0f} | "
        f"{raw_wall / rebuild_wall:.2f} | {one_profile * 1000:.0f} / {median(person_sync) * 1000:.0f} ms | "
        f"{median(noop_sync) * 1000:.0f} ms | {median(reload) * 1000:.0f} ms | "
        f"{median(warm) * 1000:.0f} ms | {rebuild_wall / one_profile:.0f} | "
        f"{_rss_mb():.0f} MB ({_peak_rss_mb():.0f} MB) |",
        flush=True,
    )


def _edit_expertise(
    session_factory: sessionmaker[Session], workspace_id: int, person_id: int, text: str
) -> None:
    """Change one person's expertise as /profile does: with a profiles-version bump."""
    with session_factory.begin() as session:
        person = session.get(Person, person_id)
        assert person is not None
        person.expertise = text
        bump_profiles_version(session, workspace_id)


def _unique(texts: list[str]) -> list[str]:
    """The texts, each made distinct: a repeated text would be copied, not embedded, by the sync."""
    seen: set[str] = set()
    result = []
    for text in texts:
        candidate, n = text, 1
        while candidate in seen:
            n += 1
            candidate = f"{text} (part {n})"
        seen.add(candidate)
        result.append(candidate)
    return result


def _realistic_texts(count: int) -> list[str]:
    """Profile-like texts: one expertise paragraph per four publication titles, as in a directory."""
    data = load_evaluation_set(DEV_SET)
    paragraphs = [texts[0] for texts in data.documents.values()]
    titles = [text for texts in data.documents.values() for text in texts[1:]]
    rng = np.random.default_rng(0)
    topics = [
        "first-price auctions", "conversion measurement", "consent dialogs", "media mix models",
        "click fraud", "brand safety", "creative fatigue", "differential privacy", "uplift modelling",
        "federated learning", "eye tracking", "retail media", "contextual targeting", "budget pacing",
    ]  # fmt: skip
    settings = ["in display advertising", "for retail media", "under the GDPR", "at scale", "on mobile"]
    texts = []
    for i in range(count):
        # Vary the dev-set texts so the model cannot reuse anything, and lengths match a directory.
        topic, setting = topics[int(rng.integers(len(topics)))], settings[int(rng.integers(len(settings)))]
        if i % 5 == 0:
            base = paragraphs[int(rng.integers(len(paragraphs)))]
            texts.append(f"{base} Recent work: {topic} {setting}.")
        else:
            base = titles[int(rng.integers(len(titles)))]
            texts.append(f"{base.split('. ')[0]}: {topic} {setting} ({2015 + i % 11}).")
    return texts


def _measure(action: Callable[[], object]) -> tuple[float, float]:
    """Wall-clock and CPU seconds (all threads of this process) of one call."""
    wall, cpu = time.perf_counter(), time.process_time()
    action()
    return time.perf_counter() - wall, time.process_time() - cpu


def _percentile(q: float) -> Callable[[list[float]], float]:
    return lambda values: float(np.percentile(values, q))


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _peak_rss_mb() -> float:
    # ru_maxrss is in kilobytes on Linux.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _load_average() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


if __name__ == "__main__":
    main()
