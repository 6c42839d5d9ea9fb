"""Clocks: the only place that reads the system time, so tests and the demo can move time."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """Source of the current instant (timezone-aware UTC)."""

    def now(self) -> datetime:
        """Return the current instant in UTC."""
        ...


class SystemClock:
    """The real wall clock."""

    def now(self) -> datetime:
        """Return the current instant in UTC."""
        return datetime.now(UTC)


class SimulatedClock:
    """The real clock plus an offset that the demo console advances (`:clock +3d`)."""

    def __init__(self, offset: timedelta = timedelta(0)) -> None:
        self._offset = offset
        self._lock = threading.Lock()

    def now(self) -> datetime:
        """Return the real instant shifted by the current offset."""
        with self._lock:
            return datetime.now(UTC) + self._offset

    def advance(self, delta: timedelta) -> datetime:
        """Move simulated time forward (or back, with a negative delta) and return the new instant."""
        with self._lock:
            self._offset += delta
        return self.now()


class FixedClock:
    """A clock that stands still until told to move; for tests."""

    def __init__(self, instant: datetime) -> None:
        if instant.tzinfo is None:
            raise ValueError("FixedClock needs a timezone-aware instant")
        self._instant = instant.astimezone(UTC)

    def now(self) -> datetime:
        """Return the fixed instant."""
        return self._instant

    def set(self, instant: datetime) -> None:
        """Jump to another instant."""
        self._instant = instant.astimezone(UTC)

    def advance(self, delta: timedelta) -> datetime:
        """Move forward by `delta` and return the new instant."""
        self._instant += delta
        return self._instant
