"""What every embedder offers, and how callers ask whether one can embed without waiting."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np


class Embedder(Protocol):
    """Turns texts into unit-length float32 vectors.

    Attributes:
        model_name: Stored next to every vector; a different name means the vector must be re-embedded.
        dimension: Length of every vector.
    """

    # Read-only properties rather than plain attributes, so that implementations that compute them
    # lazily (SentenceTransformerEmbedder.dimension) still satisfy the protocol under mypy.
    @property
    def model_name(self) -> str: ...

    @property
    def dimension(self) -> int: ...

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Embed `texts`.

        Args:
            texts: Texts to embed; may be empty.

        Returns:
            A float32 array of shape ``(len(texts), dimension)`` whose rows have unit L2 norm.
        """
        ...


class EmbedderLoadError(RuntimeError):
    """The embedding model could not be loaded (missing directory, corrupt files, import failure)."""


def is_ready(embedder: Any) -> bool:
    """Whether an embedder can embed now; embedders without a `ready` flag always can."""
    return bool(getattr(embedder, "ready", True))
