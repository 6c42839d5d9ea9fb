"""The embedding model for the demo console and `liaison say`: on disk only, loaded quietly.

The console prints the bot's posts while the user types at a prompt; the model loads in a background
thread, and transformers draws a "Loading weights" progress bar on standard error while it does, which
lands on top of the prompt. The bars are turned off here before anything of Hugging Face's is
imported; warnings and errors are still logged as usual.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

from bot.experts.embeddings.protocol import EmbedderLoadError
from bot.experts.embeddings.sentence_transformers import SentenceTransformerEmbedder
from bot.settings import Settings

if TYPE_CHECKING:
    from bot.experts.embeddings.cache import CachingEmbedder

# huggingface_hub reads it when first imported, and transformers' own bars follow huggingface_hub's.
PROGRESS_BARS_VARIABLE = "HF_HUB_DISABLE_PROGRESS_BARS"


def quiet_model_loading() -> None:
    """Turn off the progress bars of model loading (an explicit HF_HUB_DISABLE_PROGRESS_BARS wins).

    Only the bars: warnings and errors of sentence-transformers and transformers still reach the log.
    """
    os.environ.setdefault(PROGRESS_BARS_VARIABLE, "1")
    if os.environ[PROGRESS_BARS_VARIABLE].strip().lower() not in ("1", "true", "yes", "on"):
        return
    # Imported already (by a test, say): the variable was read before we set it, so tell them directly.
    hub_utils = sys.modules.get("huggingface_hub.utils")
    if hub_utils is not None:
        hub_utils.disable_progress_bars()
    transformers_logging = sys.modules.get("transformers.utils.logging")
    if transformers_logging is not None:
        transformers_logging.disable_progress_bar()


def model_on_disk(settings: Settings) -> bool:
    """Whether the configured embedding model's files are installed (nothing is ever downloaded)."""
    try:
        SentenceTransformerEmbedder(settings.embedding_model).model_path()
    except (EmbedderLoadError, ImportError):
        return False
    return True


def console_embedder(settings: Settings, *, load_now: bool) -> CachingEmbedder | None:
    """The embedding model for a console session, the same one `liaison serve` uses.

    Args:
        settings: `EMBEDDING_MODEL` names the model.
        load_now: Start loading in a background thread at once (the demo, `say --model`). Otherwise
            nothing loads until a request needs the model (an /expert search, a question the rules
            cannot settle): the feature code waits for it then, as it does while a server starts.

    Returns:
        The embedder, or None when the model is not installed (features then say they run without it).
    """
    from bot.serving.wsgi import make_embedder

    if not model_on_disk(settings):
        return None
    quiet_model_loading()
    embedder = make_embedder(settings)
    if load_now:
        embedder.start_loading()
    return embedder
