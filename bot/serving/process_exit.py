"""Leaving a process that imported torch without tripping over torch's own teardown.

With torch imported (the embedding model loaded, or still loading in its background thread),
interpreter finalization tears down torch's thread pool and the C++ runtime may abort ("terminate
called without an active exception", SIGABRT): a clean stop reported as a crash, exit status -6. The
callers have already stopped everything of ours (requests, listeners, the scheduler), so after flushing
the logs and the standard streams the process may leave at once.
"""

from __future__ import annotations

import logging
import os
import sys


def exit_now_if_torch_was_imported(code: int = 0) -> None:
    """Exit with `code` at once, skipping finalization, if torch was imported; else return.

    Args:
        code: The exit status.
    """
    if "torch" not in sys.modules:
        return
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def exit_now(code: int = 0) -> None:
    """Exit with `code` at once, without waiting for threads still running (a drain limit ran out).

    Python joins the threads of every `ThreadPoolExecutor` at exit, so a listener stuck on a slow
    Slack or database would keep a stopped process alive; what those threads held was handed back
    before (`Runtime.shutdown`).

    Args:
        code: The exit status.
    """
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
