"""The embedding model in the console and `liaison say`: loaded only when the text needs it, and its
"Loading weights" progress bar kept off the terminal (where it would overwrite the prompt)."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pytest

from bot.cli.console.model import console_embedder
from bot.cli.console.session import ConsoleSession
from bot.experts.embeddings.hashing import HashingEmbedder
from bot.settings import Settings
from tests.conftest import REPO_ROOT

LIAISON = Path(sys.executable).parent / "liaison"


class OnDemandEmbedder:
    """The hashing embedder behind a model that loads (at once) the first time someone waits for it or
    embeds, as `SentenceTransformerEmbedder` does when nobody called `start_loading`."""

    def __init__(self) -> None:
        self.inner = HashingEmbedder()
        self.loaded = False

    @property
    def model_name(self) -> str:
        return self.inner.model_name

    @property
    def dimension(self) -> int:
        return self.inner.dimension

    @property
    def ready(self) -> bool:
        return self.loaded

    def wait_ready(self, timeout: float | None = None) -> bool:
        self.loaded = True
        return True

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.loaded = True
        return self.inner.embed(texts)


@pytest.fixture
def on_demand(demo_db: str) -> Iterator[tuple[ConsoleSession, OnDemandEmbedder, list[str]]]:
    output: list[str] = []
    embedder = OnDemandEmbedder()
    session = ConsoleSession(
        Settings(database_url=demo_db), output=output.append, with_scheduler=False, embedder=embedder
    )
    session.start()
    try:
        assert session.switch_user("U02ECBANE")
        yield session, embedder, output
    finally:
        session.stop()


def test_model_loads_only_for_text_that_needs_it(
    on_demand: tuple[ConsoleSession, OnDemandEmbedder, list[str]],
) -> None:
    session, embedder, output = on_demand

    session.handle_line("/project status bidshade")
    session.handle_line("@liaison what is overdue?")
    assert not embedder.loaded  # commands and questions the rules settle never wait for the model

    output.clear()
    session.handle_line("/expert pricing of attention")

    assert embedder.loaded
    text = "\n".join(output)
    assert "EXPERTS FOR “PRICING OF ATTENTION”" in text
    assert "unavailable" not in text and "runs without one" not in text


def test_say_embedder_is_the_real_model_not_loaded_yet(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_DISABLE_PROGRESS_BARS", "")  # restored after the test
    monkeypatch.delenv("HF_HUB_DISABLE_PROGRESS_BARS")

    embedder = console_embedder(Settings(), load_now=False)

    assert embedder is not None
    assert embedder.model_name == "all-MiniLM-L6-v2"
    assert not embedder.ready  # nothing loads until a request waits for it
    assert os.environ["HF_HUB_DISABLE_PROGRESS_BARS"] == "1"


def test_missing_model_means_no_embedder(tmp_path: Path) -> None:
    settings = dataclasses.replace(Settings(), embedding_model=str(tmp_path / "no-such-model"))

    assert console_embedder(settings, load_now=False) is None


_DRAW_LOADING_BAR = """
import sys
if sys.argv[1] == "quiet":
    from bot.cli.console.model import quiet_model_loading
    quiet_model_loading()
from transformers.utils.logging import tqdm
for _ in tqdm(range(3), desc="Loading weights"):
    pass
print("loaded")
"""


@pytest.mark.parametrize(("mode", "drawn"), [("quiet", False), ("default", True)])
def test_loading_weights_bar_is_not_drawn_once_quiet(mode: str, drawn: bool, tmp_path: Path) -> None:
    # transformers draws the bar with its own tqdm while loading the model's weights; `default` shows
    # that this test would see it.
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "PYTHONPATH": str(REPO_ROOT)}
    result = subprocess.run(
        [sys.executable, "-c", _DRAW_LOADING_BAR, mode],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout == "loaded\n"
    assert ("Loading weights" in result.stderr) is drawn, result.stderr


@pytest.mark.slow
def test_say_expert_loads_the_real_model_on_demand_without_a_progress_bar(
    demo_db: str, tmp_path: Path
) -> None:
    result = subprocess.run(
        [str(LIAISON), "say", "--as", "U02ECBANE", "/expert pricing of attention"],
        env={"PATH": os.environ["PATH"], "HOME": str(tmp_path), "PYTHONUTF8": "1", "DATABASE_URL": demo_db},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=240,
    )

    assert result.returncode == 0, result.stderr
    assert "EXPERTS FOR “PRICING OF ATTENTION”" in result.stdout
    assert "@Diego Morales" in result.stdout  # marketplace economics and pricing experiments
    assert "unavailable" not in result.stdout and "runs without one" not in result.stdout
    assert "Loading weights" not in result.stderr + result.stdout
    assert "it/s]" not in result.stderr  # no progress bar of any kind
