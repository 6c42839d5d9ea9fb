"""The relevance floor, calibrated for whichever embedder is loaded: measured, not looked up by name.

Cosine scales differ between models (and between two copies of "the same" model fine-tuned apart), so
a floor written down for one model name is wrong for a local model directory nobody calibrated. When
a ranking first needs the floor for an embedder, `calibrated_floor` embeds a small fixed reference
directory (REFERENCE_PROFILES: twelve people of different fields, three texts each) and a set of needs
nobody in it could help with (OFF_TOPIC_PROBES), scores every reference person for every probe with
the ranking's own aggregation, and sets the floor just above the best off-topic score:

    floor = max over probes and people of score(probe, person) + SPREAD_MARGIN * std of those scores

So a need as far from a profile as "sourdough bread" is from "ad auctions" never passes, whatever the
model's scale. The result is kept per embedder object for the life of the process; it costs one call
embedding 55 short texts (about half a second for all-MiniLM-L6-v2 on two cores).

The margin is SPREAD_MARGIN standard deviations of all off-topic scores: a real directory is larger
than the reference one and gives an off-topic need more chances of a near miss, and the spread of
chance matches is what a model's scale changes. For all-MiniLM-L6-v2 this gives 0.227 (best off-topic
score 0.164, spread 0.042; the hand-set floor was 0.22, and every floor from 0.20 to 0.25 keeps all
relevant dev-set suggestions and drops every off-topic one: docs/experts.md). The deterministic
hashing embedder of the tests only counts shared words, which no calibration can turn into topics (it
would measure 0.184): it declares its floor instead (`HashingEmbedder.relevance_floor`, 0.1).
"""

from __future__ import annotations

import threading
import weakref
from typing import Any

import numpy as np

from bot.domain.experts.aggregation import DEFAULT_AGGREGATION, aggregate, similarity_table
from bot.experts.embeddings.cache import CachingEmbedder
from bot.experts.embeddings.protocol import Embedder

# Standard deviations of the off-topic scores added to the best of them (see the module docstring).
SPREAD_MARGIN = 1.5
# Never below this: an embedder whose off-topic scores are all near zero (or negative) still needs
# a floor that drops people sharing nothing with a need.
MIN_FLOOR = 0.05

# Twelve fictional people, one expertise paragraph and two publication titles each, from the fields an
# alliance like the demo's has. Kept apart from the dev set (tests/data), which checks the result.
REFERENCE_PROFILES: tuple[tuple[str, str, str], ...] = (
    (
        "Auction design and pricing for online advertising exchanges.",
        "Reserve prices in repeated first-price auctions",
        "Bidder learning and revenue in display ad markets",
    ),
    (
        "Data protection law: consent, legitimate interest and the GDPR.",
        "Cookie banners and valid consent",
        "Controllers and processors in the ad supply chain",
    ),
    (
        "Cryptographic protocols for private computation between companies.",
        "Private set intersection at scale",
        "Secure aggregation of conversion reports",
    ),
    (
        "Causal inference and experiments for marketing effectiveness.",
        "Geo experiments for incremental lift",
        "Variance reduction in online A/B tests",
    ),
    (
        "Natural language processing for search and content understanding.",
        "Query intent classification with transformers",
        "Summarising product reviews",
    ),
    (
        "Computer vision for images and video in advertising.",
        "Logo detection in user videos",
        "Estimating visual attention on web pages",
    ),
    (
        "Human-computer interaction and usable privacy.",
        "Dark patterns in consent dialogs",
        "A diary study of notification overload",
    ),
    (
        "Streaming data engineering with event pipelines.",
        "Exactly-once processing of click streams",
        "Schema evolution in Kafka topics",
    ),
    (
        "Consumer psychology of attention and advertising response.",
        "Ad repetition and annoyance",
        "Emotion and memory for brand messages",
    ),
    (
        "Machine learning for conversion prediction and bidding.",
        "Calibrated click-through prediction",
        "Reinforcement learning for budget pacing",
    ),
    (
        "Ethics of algorithms: fairness audits and accountability.",
        "Auditing ad delivery for discrimination",
        "Informed consent in online experiments",
    ),
    (
        "Marketing science: media mix models and customer lifetime value.",
        "Bayesian media mix modelling",
        "Predicting churn of subscribers",
    ),
)
# Needs nobody above could help with.
OFF_TOPIC_PROBES: tuple[str, ...] = (
    "sourdough bread recipe with cold fermentation",
    "football match results from last weekend",
    "xyzzy plugh",
    "medieval French poetry",
    "repairing a leaking kitchen tap",
    "best hiking trails in the Alps",
    "knitting patterns for winter scarves",
    "how to train a puppy to sit",
    "the history of the Roman empire",
    "growing tomatoes on a balcony",
    "baroque organ music",
    "volcano eruptions in Iceland",
    "wedding dress alterations",
    "classic car engine restoration",
    "jazz piano chord voicings",
    "beekeeping for beginners",
    "origami cranes",
    "marathon training plan",
    "birdwatching on the coast",
)

_lock = threading.Lock()
_floors: weakref.WeakKeyDictionary[Any, float] = weakref.WeakKeyDictionary()


def measure_floor(embedder: Embedder) -> float:
    """Embed the reference directory and the probes with `embedder` and compute the floor (no cache).

    Args:
        embedder: A loaded embedder (this call blocks while it embeds 55 texts).

    Returns:
        The relevance floor for `embedder`'s similarities, aggregated like the ranking's.
    """
    texts = [text for profile in REFERENCE_PROFILES for text in profile]
    raw = np.asarray(embedder.embed([*texts, *OFF_TOPIC_PROBES]), dtype=np.float32)
    norms = np.linalg.norm(raw, axis=1, keepdims=True)
    vectors = (raw / np.where(norms > 0, norms, 1.0)).astype(np.float32)
    items, probes = vectors[: len(texts)], vectors[len(texts) :]
    width = len(REFERENCE_PROFILES[0])
    layout = np.arange(len(texts)).reshape(len(REFERENCE_PROFILES), width).T
    counts = np.full(len(REFERENCE_PROFILES), width)
    scores = np.concatenate(
        [aggregate(similarity_table(items @ probe, layout), counts, DEFAULT_AGGREGATION) for probe in probes]
    )
    return max(MIN_FLOOR, float(scores.max() + SPREAD_MARGIN * scores.std()))


def calibrated_floor(embedder: Embedder) -> float:
    """The relevance floor for `embedder`, measured on first use and kept for the embedder's lifetime.

    Args:
        embedder: A loaded embedder.

    Returns:
        The embedder's declared ``relevance_floor`` if it has one (the hashing embedder of the tests),
        else `measure_floor`'s result.
    """
    # A memoising wrapper shares its model's floor.
    key = embedder.inner if isinstance(embedder, CachingEmbedder) else embedder
    declared = getattr(key, "relevance_floor", None)
    if isinstance(declared, int | float):
        return float(declared)  # an embedder whose scores mean nothing to calibrate (hashing)
    with _lock:
        floor = _floors.get(key)
    if floor is None:
        floor = measure_floor(embedder)
        with _lock:
            _floors[key] = floor
    return floor
