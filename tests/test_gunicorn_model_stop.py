"""A gunicorn web worker with the real model loaded stops cleanly on SIGTERM (no SIGABRT).

Interpreter finalization used to tear down torch's thread pool after our shutdown and the C++ runtime
aborted ("terminate called without an active exception"); bot/serving/gunicorn_conf.py's worker_exit now
leaves the process once the shutdown has drained everything.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.fakes.slack_api import FakeSlackApi
from tests.migrated import migrate_from_template

GUNICORN = Path(sys.executable).parent / "gunicorn"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return 0


@pytest.mark.slow
def test_web_worker_with_the_model_stops_without_abort(tmp_path: Path, slack_api: FakeSlackApi) -> None:
    url = f"sqlite:///{tmp_path / 'liaison.db'}"
    migrate_from_template(url)
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "SLACK_BOT_TOKEN": "xoxb-model-stop",
        "SLACK_SIGNING_SECRET": "model-stop-secret",
        "SLACK_API_URL": slack_api.url,
        "LIAISON_PROCESS_ROLE": "web",
        "LIAISON_HOST": "127.0.0.1",
        "LIAISON_PORT": str(port),
    }
    log = tmp_path / "gunicorn.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            [str(GUNICORN), "-c", "python:bot.serving.gunicorn_conf"], env=env, stdout=output, stderr=output
        )
        try:
            deadline = time.monotonic() + 90
            while _status(f"http://127.0.0.1:{port}/readyz") != 200:  # ready = the model is loaded
                assert process.poll() is None, log.read_text()
                assert time.monotonic() < deadline, "never ready:\n" + log.read_text()
                time.sleep(0.3)
            process.send_signal(signal.SIGTERM)
            returncode = process.wait(timeout=60)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait(timeout=10)
    text = log.read_text()
    assert returncode == 0, text
    assert "SIGABRT" not in text and "terminate called" not in text, text
    assert "Liaison web process stopped" in text
