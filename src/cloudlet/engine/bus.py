"""The one in-process event bus between services (S3 -> SQS, streams -> Lambda, ...).

Publishing never runs a subscriber inside the publisher's request: handlers are
queued on the event loop, so a slow consumer cannot delay the call that caused
the event.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections import defaultdict
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

Handler = Callable[[str, Any], Any]


class EventBus:
    def __init__(self) -> None:
        self._subscribers: dict[str, list[Handler]] = defaultdict(list)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._tasks: set[asyncio.Task] = set()

    def attach(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop

    def subscribe(self, topic: str, handler: Handler) -> Callable[[], None]:
        """Call ``handler(topic, event)`` for every event on ``topic``; returns an unsubscribe."""
        self._subscribers[topic].append(handler)
        return lambda: self._subscribers[topic].remove(handler)

    def publish(self, topic: str, event: Any) -> int:
        """Queue ``event`` for every subscriber of ``topic``; returns how many there are."""
        handlers = list(self._subscribers.get(topic, ()))
        for handler in handlers:
            if self._loop is None:
                self._run(handler, topic, event)
            else:
                self._loop.call_soon_threadsafe(self._run, handler, topic, event)
        return len(handlers)

    def _run(self, handler: Handler, topic: str, event: Any) -> None:
        try:
            result = handler(topic, event)
            if inspect.isawaitable(result):
                task = asyncio.ensure_future(result)
                self._tasks.add(task)
                task.add_done_callback(self._done)
        except Exception:
            log.exception("event handler for %s failed", topic)

    def _done(self, task: asyncio.Task) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("event handler failed", exc_info=task.exception())

    async def drain(self) -> None:
        """Wait until every queued handler has run (used by tests through the admin API)."""
        await asyncio.sleep(0)
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
