"""Run test work in threads released together, to make races happen rather than hope for them."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import TypeVar

T = TypeVar("T")


def release_together(
    work: Sequence[Callable[[], T]], timeout: float = 60
) -> tuple[list[T], list[BaseException]]:
    """Run each callable in its own thread, all released at one barrier.

    Args:
        work: The callables; each runs once.
        timeout: Seconds to wait for the threads to finish.

    Returns:
        The results of those that returned (in the order of `work`) and the errors of those that raised.

    Raises:
        AssertionError: A thread was still running after `timeout` (a hang, not a result).
    """
    barrier = threading.Barrier(len(work))
    results: dict[int, T] = {}
    errors: dict[int, BaseException] = {}

    def run(index: int) -> None:
        barrier.wait()
        try:
            results[index] = work[index]()
        except BaseException as error:  # reported to the caller, which decides what is expected
            errors[index] = error

    threads = [threading.Thread(target=run, args=(n,), daemon=True) for n in range(len(work))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    hung = sum(1 for thread in threads if thread.is_alive())
    assert not hung, f"{hung} of {len(threads)} threads still running after {timeout:g} s"
    return [results[n] for n in sorted(results)], [errors[n] for n in sorted(errors)]
