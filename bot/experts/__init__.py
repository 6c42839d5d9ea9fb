"""Expert suggestions: embeddings, the vector index, the one ranker, intros, profiles and evaluation."""

from __future__ import annotations
