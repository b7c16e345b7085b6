"""The one scheduler: timers in Cloudlet-clock time, fired by the event loop or by a clock jump.

One asyncio timer handle is armed for the earliest deadline, so an idle server
with pending timers sleeps until the first one is due: nothing polls.
"""

from __future__ import annotations

import asyncio
import heapq
import inspect
import itertools
import logging
import threading
from collections.abc import Callable
from typing import Any

from cloudlet.engine.clock import Clock

log = logging.getLogger(__name__)


class Timer:
    __slots__ = ("when", "seq", "callback", "args", "cancelled")

    def __init__(self, when: float, seq: int, callback: Callable[..., Any], args: tuple) -> None:
        self.when = when
        self.seq = seq
        self.callback = callback
        self.args = args
        self.cancelled = False

    def __lt__(self, other: Timer) -> bool:
        return (self.when, self.seq) < (other.when, other.seq)

    def cancel(self) -> None:
        self.cancelled = True


class Scheduler:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._heap: list[Timer] = []
        self._seq = itertools.count()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread: int | None = None
        self._handle: asyncio.TimerHandle | None = None
        self._tasks: set[asyncio.Task] = set()
        clock.on_advance(self._fire)

    def attach(self, loop: asyncio.AbstractEventLoop) -> None:
        """Bind to the server's event loop (called once at start-up, in the loop's thread)."""
        self._loop = loop
        self._loop_thread = threading.get_ident()
        self._arm()

    def detach(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
        self._handle = None
        self._loop = None

    def call_at(self, when: float, callback: Callable[..., Any], *args: Any) -> Timer:
        """Run ``callback(*args)`` once the clock reads ``when``; coroutines become tasks."""
        timer = Timer(when, next(self._seq), callback, args)
        heapq.heappush(self._heap, timer)
        if self._heap[0] is timer:
            self._rearm_soon()
        return timer

    def call_later(self, delay: float, callback: Callable[..., Any], *args: Any) -> Timer:
        return self.call_at(self.clock.now() + delay, callback, *args)

    async def sleep(self, delay: float) -> None:
        """Sleep in clock time: a clock jump past the deadline ends it at once."""
        loop = asyncio.get_running_loop()
        done = loop.create_future()
        timer = self.call_later(delay, _resolve, done)
        try:
            await done
        finally:
            timer.cancel()

    async def wait(self, event: asyncio.Event, timeout: float) -> bool:
        """Wait for ``event`` at most ``timeout`` clock seconds; True if it was set."""
        if event.is_set():
            return True
        if timeout <= 0:
            return False
        loop = asyncio.get_running_loop()
        expired = loop.create_future()
        timer = self.call_later(timeout, _resolve, expired)
        waiter = loop.create_task(event.wait())
        try:
            await asyncio.wait({waiter, expired}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            timer.cancel()
            waiter.cancel()
            if not expired.done():
                expired.cancel()
        return event.is_set()

    @property
    def pending(self) -> int:
        return sum(1 for t in self._heap if not t.cancelled)

    def _rearm_soon(self) -> None:
        if self._loop is None:
            return
        if threading.get_ident() == self._loop_thread:
            self._arm()
        else:
            self._loop.call_soon_threadsafe(self._arm)

    def _arm(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
        while self._heap and self._heap[0].cancelled:
            heapq.heappop(self._heap)
        if self._loop is None or not self._heap:
            return
        delay = max(0.0, self._heap[0].when - self.clock.now())
        self._handle = self._loop.call_later(delay, self._fire)

    def _fire(self) -> None:
        now = self.clock.now()
        while self._heap and (self._heap[0].cancelled or self._heap[0].when <= now):
            timer = heapq.heappop(self._heap)
            if timer.cancelled:
                continue
            try:
                result = timer.callback(*timer.args)
                if inspect.isawaitable(result):
                    task = asyncio.ensure_future(result)
                    self._tasks.add(task)
                    task.add_done_callback(self._tasks.discard)
            except Exception:  # a failing timer must not stop the others
                log.exception("timer callback failed")
        self._rearm_soon()


def _resolve(future: asyncio.Future, value: Any = None) -> None:
    if not future.done():
        future.set_result(value)
