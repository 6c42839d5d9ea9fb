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
    kept = Cycle()
    long_lived = weakref.ref(kept)
    assert gc.get_freeze_count() == 0
    try:
        settle_after_warm_up()
        assert gc.get_freeze_count() > 0
        assert garbage() is None  # collected first, not frozen
        # Full collections leave the frozen objects alone: even one that became garbage since stays.
        # (Not the freeze count: other threads of a test process free frozen objects by refcount.)
        del kept
        gc.collect()
        assert long_lived() is not None
    finally:
        gc.unfreeze()
    gc.collect()
    assert long_lived() is None  # unfrozen, the next collection frees it
