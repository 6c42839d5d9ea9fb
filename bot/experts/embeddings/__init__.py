"""Text embeddings: the `Embedder` protocol, its implementations and what is known about each model.

- `protocol`: `Embedder`, the load error and the readiness check every caller shares.
- `calibration`: the default model's name and the per-model thresholds of the questions feature.
- `floor`: the expert relevance floor, measured for the loaded embedder (not looked up by name).
- `sentence_transformers`: the real model, loaded off the request path.
- `hashing`: a deterministic, dependency-free stand-in for tests and `--fake-embedder` runs.
- `cache`: an in-memory, per-text memo around any embedder (what `liaison serve` wires).
- `storage`: the byte format vectors are stored in.

Every embedder returns float32 rows of unit length, so a dot product is a cosine similarity.
"""

from __future__ import annotations
