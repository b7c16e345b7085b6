"""The one clock: wall time plus an offset that tests (and users) move forward."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime


class Clock:
    """Every service reads time here.  ``advance`` moves it and fires what fell due."""

    def __init__(self) -> None:
        self.offset = 0.0
        self._listeners: list[Callable[[], None]] = []

    def now(self) -> float:
        """Seconds since the epoch, by Cloudlet's clock."""
        return time.time() + self.offset

    def utcnow(self) -> datetime:
        return datetime.fromtimestamp(self.now(), UTC)

    def millis(self) -> int:
        return int(self.now() * 1000)

    def on_advance(self, listener: Callable[[], None]) -> None:
        """Run ``listener`` after every jump of the clock (the scheduler fires due timers)."""
        self._listeners.append(listener)

    def advance(self, seconds: float) -> float:
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        self.offset += seconds
        for listener in self._listeners:
            listener()
        return self.now()
