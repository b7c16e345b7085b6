"""One queue's visibility index, in memory: when each message can next be received.

The message rows are the record (each holds its ``v``, visible-at, and ``dl``,
sent with a delay and not yet received); this index is what they say, kept
beside them so that a send writes one row, a receive reads and rewrites only
the messages it hands out, and a delete only deletes.  It is built from the
rows when a queue is first used after a start, follows every change the
``Delivery`` makes, and is dropped (to be built again) when a transaction that
changed it is rolled back.

``at`` maps every message's sequence number to its visible-at; ``heap`` orders
(visible-at, sequence) pairs for receiving, with entries that no longer match
``at`` skipped when they come up; ``delayed`` holds the messages sent with a
delay and not yet received.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable

_heappush = heapq.heappush
_heappop = heapq.heappop


class QueueIndex:
    __slots__ = ("at", "heap", "delayed")

    def __init__(self, entries: Iterable[tuple[int, int, bool]] = ()) -> None:
        """``entries``: (sequence, visible-at, delayed) of each message the queue holds."""
        self.at: dict[int, int] = {}
        self.delayed: set[int] = set()
        for seq, visible_at, delayed in entries:
            self.at[seq] = visible_at
            if delayed:
                self.delayed.add(seq)
        self.heap: list[tuple[int, int]] = [(visible_at, seq) for seq, visible_at in self.at.items()]
        heapq.heapify(self.heap)

    def __len__(self) -> int:
        return len(self.at)

    def __contains__(self, seq: int) -> bool:
        return seq in self.at

    def add(self, seq: int, visible_at: int, delayed: bool = False) -> None:
        self.at[seq] = visible_at
        _heappush(self.heap, (visible_at, seq))
        if delayed:
            self.delayed.add(seq)
        if len(self.heap) > 2 * len(self.at) + 64:
            self._compact()

    def move(self, seq: int, visible_at: int) -> None:
        """The message is visible at another time now (received, or its visibility changed): no longer delayed."""
        self.at[seq] = visible_at
        _heappush(self.heap, (visible_at, seq))
        self.delayed.discard(seq)
        if len(self.heap) > 2 * len(self.at) + 64:
            self._compact()

    def remove(self, seq: int) -> None:
        """The message is gone (its heap entry is skipped when it comes up, or dropped by the next
        compaction: adding and moving compact, removing never does)."""
        if self.at.pop(seq, None) is not None:
            self.delayed.discard(seq)

    def clear(self) -> None:
        self.at.clear()
        self.heap.clear()
        self.delayed.clear()

    def take_due(self, now: int, limit: int) -> list[int]:
        """Up to ``limit`` messages visible at ``now``, in (visible-at, sequence) order, out of the heap.

        The caller settles each one: ``move`` (received), ``remove`` (gone), or ``add`` back."""
        heap, at, out = self.heap, self.at, []
        last = None
        while heap and len(out) < limit:
            entry = heap[0]
            if entry[0] > now:
                break
            _heappop(heap)
            # a message moved twice to the same time has two equal entries: they come out one after the other
            if entry != last and at.get(entry[1]) == entry[0]:
                out.append(entry[1])
            last = entry
        return out

    def due(self, now: int) -> list[int]:
        """Every message visible at ``now``, in order, left in place (message move tasks)."""
        return [seq for _, seq in sorted((v, seq) for seq, v in self.at.items() if v <= now)]

    def next_at(self) -> int | None:
        """The earliest visible-at of any message (long polls wake then), or None if there is none."""
        heap, at = self.heap, self.at
        while heap:
            visible_at, seq = heap[0]
            if at.get(seq) == visible_at:
                return visible_at
            _heappop(heap)
        return None

    def counts(self, now: int) -> tuple[int, int, int]:
        """(visible, in flight, delayed) at ``now``."""
        visible = sum(1 for v in self.at.values() if v <= now)
        at = self.at
        delayed = sum(1 for seq in self.delayed if at[seq] > now)
        return visible, len(at) - visible - delayed, delayed

    def _compact(self) -> None:
        """Drop the entries of messages deleted or moved since they were pushed (a message ``take_due``
        handed out and not yet settled is pushed again at its visible-at: the caller skips repeats)."""
        self.heap = [(v, seq) for seq, v in self.at.items()]
        heapq.heapify(self.heap)
