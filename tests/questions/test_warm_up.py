"""After the warm-up, the process's long-lived objects are out of the garbage collector's sight."""

from __future__ import annotations

import gc
import weakref

from bot.questions.answers.warm_up import settle_after_warm_up


def test_settling_freezes_what_exists_and_collects_garbage_first() -> None:
    class Cycle:
        def __init__(self) -> None:
            self.me = self

    garbage = weakref.ref(Cycle())  # a reference cycle nothing points to: only a collection frees it
    assert gc.get_freeze_count() == 0
    try:
        settle_after_warm_up()
        frozen = gc.get_freeze_count()
        assert frozen > 0
        assert garbage() is None  # collected first, not frozen
        gc.collect()
        assert gc.get_freeze_count() == frozen  # full collections leave the frozen objects alone
    finally:
        gc.unfreeze()
