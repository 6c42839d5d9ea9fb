"""`AckPriority`: listener work waits while requests are being acked, and never longer than its limit."""

from __future__ import annotations

import threading
import time

import pytest

from bot.serving.ack_priority import AckPriority


def _waiter(priority: AckPriority, queued_at: float) -> tuple[threading.Thread, threading.Event]:
    done = threading.Event()

    def wait() -> None:
        priority.wait_for_turn(queued_at)
        done.set()

    thread = threading.Thread(target=wait, daemon=True)
    thread.start()
    return thread, done


def test_nothing_being_acked_lets_work_start_at_once() -> None:
    priority = AckPriority(quiet_seconds=0.0, max_wait_seconds=30.0)

    waited = priority.wait_for_turn(priority.now())

    # Far below the 30 s limit: the call did not sit out its maximum.
    assert waited < 5


def test_work_waits_while_an_ack_runs_and_starts_when_it_ends() -> None:
    priority = AckPriority(quiet_seconds=0.0, max_wait_seconds=30.0)
    with priority.acking():
        thread, done = _waiter(priority, priority.now())
        assert not done.wait(0.3), "work started while a request was being acked"
    assert done.wait(5), "work did not start after the ack ended"
    thread.join(5)


def test_work_waits_for_every_overlapping_ack() -> None:
    priority = AckPriority(quiet_seconds=0.0, max_wait_seconds=30.0)
    first = priority.acking()
    second = priority.acking()
    first.__enter__()
    second.__enter__()
    thread, done = _waiter(priority, priority.now())

    first.__exit__(None, None, None)
    assert not done.wait(0.3), "work started while the second ack was still running"
    second.__exit__(None, None, None)

    assert done.wait(5)
    thread.join(5)


def test_after_a_burst_of_acks_work_waits_for_the_quiet_period() -> None:
    priority = AckPriority(quiet_seconds=0.4, burst_gap_seconds=5.0, max_wait_seconds=30.0)
    for _ in range(2):  # two acks ending within the burst gap
        with priority.acking():
            pass
    ended = priority.now()

    priority.wait_for_turn(ended)

    assert priority.now() - ended >= 0.4


def test_after_an_isolated_ack_work_starts_without_the_quiet_period() -> None:
    # Steady traffic: the quiet period would only push listener work into the next request.
    priority = AckPriority(quiet_seconds=30.0, burst_gap_seconds=0.05, max_wait_seconds=60.0)
    with priority.acking():
        pass
    time.sleep(0.1)  # longer than the burst gap
    with priority.acking():
        pass

    waited = priority.wait_for_turn(priority.now())

    assert waited < 5  # not the 30 s quiet period


def test_work_goes_ahead_after_its_maximum_wait_even_if_acks_never_stop() -> None:
    priority = AckPriority(quiet_seconds=0.0, max_wait_seconds=0.3)
    with priority.acking():
        queued_at = priority.now()
        priority.wait_for_turn(queued_at)
        assert priority.now() - queued_at >= 0.3
        # Work queued longer ago than the limit does not wait at all.
        assert priority.wait_for_turn(queued_at - 10) == pytest.approx(0, abs=0.05)


def test_an_ack_that_fails_still_counts_as_ended() -> None:
    priority = AckPriority(quiet_seconds=0.0, max_wait_seconds=30.0)
    with pytest.raises(RuntimeError), priority.acking():
        raise RuntimeError("listener blew up")
    thread, done = _waiter(priority, priority.now())

    assert done.wait(5)
    thread.join(5)


def test_negative_times_are_refused() -> None:
    with pytest.raises(ValueError):
        AckPriority(quiet_seconds=-1)
    with pytest.raises(ValueError):
        AckPriority(max_wait_seconds=-0.1)
    with pytest.raises(ValueError):
        AckPriority(burst_gap_seconds=-0.1)


def test_many_waiters_are_all_released() -> None:
    priority = AckPriority(quiet_seconds=0.0, max_wait_seconds=30.0)
    started = time.monotonic()
    with priority.acking():
        waiters = [_waiter(priority, priority.now()) for _ in range(16)]
    for thread, done in waiters:
        assert done.wait(5)
        thread.join(5)
    assert time.monotonic() - started < 10


def test_a_request_is_alone_when_no_other_ack_runs_or_just_ended() -> None:
    now = [100.0]
    priority = AckPriority(burst_gap_seconds=0.010, clock=lambda: now[0])

    with priority.acking():
        assert priority.alone()  # the first request: nothing else
        with priority.acking():
            assert not priority.alone()  # two acks at once: a burst has begun
    now[0] += 0.005
    with priority.acking():
        assert not priority.alone()  # an ack ended 5 ms ago: within the burst gap
    now[0] += 0.020
    with priority.acking():
        assert priority.alone()  # steady traffic: the last ack ended 20 ms ago


def test_waiting_for_no_acks_ends_when_the_last_ack_does() -> None:
    # The inbox poller's rounds wait for this (bot.serving.inbox, `_wait_for_a_quiet_moment`).
    priority = AckPriority()
    assert priority.wait_for_no_acks(0)
    ended = threading.Event()
    waited: list[bool] = []
    with priority.acking():
        assert not priority.wait_for_no_acks(0) and not priority.wait_for_no_acks(0.05)
        waiter = threading.Thread(target=lambda: (waited.append(priority.wait_for_no_acks(10)), ended.set()))
        waiter.start()
        time.sleep(0.05)
        assert not ended.is_set()
    assert ended.wait(5) and waited == [True]
    waiter.join(5)
