"""The clock and scheduler: timers fire by the event loop or at once when the clock jumps."""

from __future__ import annotations

import asyncio

import pytest

from cloudlet.engine.bus import EventBus
from cloudlet.engine.clock import Clock
from cloudlet.engine.scheduler import Scheduler


def run(coro):  # noqa: ANN001, ANN201
    return asyncio.run(coro)


def test_clock_advance_moves_time_and_refuses_to_go_back() -> None:
    clock = Clock()
    before = clock.now()
    clock.advance(3600)
    assert clock.now() - before >= 3600
    with pytest.raises(ValueError):
        clock.advance(-1)


def test_advancing_the_clock_fires_due_timers_in_order() -> None:
    async def main() -> list[str]:
        clock = Clock()
        scheduler = Scheduler(clock)
        scheduler.attach(asyncio.get_running_loop())
        fired: list[str] = []
        scheduler.call_later(300, fired.append, "b")
        scheduler.call_later(100, fired.append, "a")
        scheduler.call_later(10_000, fired.append, "never")
        cancelled = scheduler.call_later(50, fired.append, "cancelled")
        cancelled.cancel()
        clock.advance(301)
        assert scheduler.pending == 1
        return fired

    assert run(main()) == ["a", "b"]


def test_timers_fire_from_the_loop_without_a_clock_jump() -> None:
    async def main() -> bool:
        clock = Clock()
        scheduler = Scheduler(clock)
        scheduler.attach(asyncio.get_running_loop())
        done = asyncio.Event()
        scheduler.call_later(0.01, done.set)
        await asyncio.wait_for(done.wait(), 5)
        return done.is_set()

    assert run(main())


def test_sleep_and_wait_end_when_the_clock_jumps() -> None:
    async def main() -> tuple[bool, bool]:
        clock = Clock()
        scheduler = Scheduler(clock)
        scheduler.attach(asyncio.get_running_loop())
        event = asyncio.Event()
        # an hour of Cloudlet's clock, ended by the clock.advance below: no real time passes
        sleeper = asyncio.create_task(scheduler.sleep(3600))
        waiter = asyncio.create_task(scheduler.wait(event, 20))
        await asyncio.sleep(0)
        clock.advance(3600)
        await asyncio.wait_for(sleeper, 5)
        timed_out = await asyncio.wait_for(waiter, 5)
        event.set()
        return timed_out, await scheduler.wait(event, 20)

    assert run(main()) == (False, True)


def test_wait_returns_as_soon_as_the_event_is_set() -> None:
    async def main() -> bool:
        clock = Clock()
        scheduler = Scheduler(clock)
        scheduler.attach(asyncio.get_running_loop())
        event = asyncio.Event()
        asyncio.get_running_loop().call_later(0.01, event.set)
        return await asyncio.wait_for(scheduler.wait(event, 20), 5)

    assert run(main())


def test_a_failing_timer_does_not_stop_the_others() -> None:
    async def main() -> list[int]:
        clock = Clock()
        scheduler = Scheduler(clock)
        scheduler.attach(asyncio.get_running_loop())
        fired: list[int] = []
        scheduler.call_later(1, lambda: 1 / 0)
        scheduler.call_later(2, fired.append, 2)
        clock.advance(5)
        return fired

    assert run(main()) == [2]


def test_bus_delivers_after_the_publisher_returns() -> None:
    async def main() -> list[tuple[str, int]]:
        bus = EventBus()
        bus.attach(asyncio.get_running_loop())
        seen: list[tuple[str, int]] = []

        async def slow(topic: str, event: int) -> None:
            seen.append((topic, event))

        bus.subscribe("s3:object-created", lambda t, e: seen.append((t, e)))
        bus.subscribe("s3:object-created", slow)
        assert bus.publish("s3:object-created", 1) == 2
        assert seen == []  # nothing ran inside publish
        await bus.drain()
        await asyncio.sleep(0)
        return seen

    assert run(main()) == [("s3:object-created", 1), ("s3:object-created", 1)]
