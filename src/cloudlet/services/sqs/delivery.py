"""One queue's messages in the declared tables: send, receive, delete, change visibility, expiry.

Everything here runs inside the caller's transaction and reads time from the
``now`` it is given (milliseconds by Cloudlet's clock), so nothing polls: a
message is visible when its ``v`` (visible-at) has passed, delayed while its
first ``v`` lies ahead, expired when its enqueue time plus the retention period
has passed.  Receiving takes the due messages from the queue's visibility index
(in memory, visibility.py), so its cost does not grow with the queue's depth and
a standard queue's send, receive and delete touch only the message rows; FIFO
queues walk an index of message groups instead, in which a group with a message
in flight sits at the time that message comes back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from cloudlet.services.sqs import receipts
from cloudlet.services.sqs.state import SqsState, ms, sq
from cloudlet.services.sqs.visibility import QueueIndex
from cloudlet.store.scope import TableView

DEDUP_WINDOW = 300_000  # ms: FIFO deduplication and ReceiveRequestAttemptId retries
Message = dict[str, Any]
DeadLetter = Callable[[int, Message], bool]  # moves a message to the DLQ; False if there is none


def walk(table: TableView, start: str, end: str, batch: int = 16) -> Iterator[tuple[str, Any]]:
    """Items of a key range in order, read a batch at a time (rows may be deleted on the way)."""
    after = None
    while True:
        rows = list(table.items(start, end, after=after, limit=batch))
        yield from rows
        if len(rows) < batch:
            return
        after = rows[-1][0]


class PendingWrites:
    """New rows held back to be written together: one statement per table for a fan-out's messages
    instead of one per message.  Only for writes nothing reads before ``flush``."""

    def __init__(self) -> None:
        self._rows: dict[tuple, tuple[TableView, list[tuple[str, Any]]]] = {}

    def put(self, table: TableView, key: str, value: Any) -> None:
        entry = self._rows.get(table.scope)
        if entry is None:
            entry = self._rows[table.scope] = (table, [])
        entry[1].append((key, value))

    def flush(self) -> None:
        for table, rows in self._rows.values():
            table.put_many(rows)
        self._rows.clear()


class Delivery:
    """The messages of one queue (``queue`` is its record, ``index`` its visibility index) at one instant."""

    def __init__(
        self, state: SqsState, queue: dict, now: int, index: QueueIndex, writes: PendingWrites | None = None
    ) -> None:
        self.state = state
        self.queue = queue
        self.qid: str = queue["id"]
        self.fifo: bool = queue["fifo"]
        self.now = now
        self.index = index
        self.prefix = f"{self.qid} "
        # A standard queue's new message is read by nothing else in the same call, so its rows may wait
        # (a FIFO send reads its group and deduplication rows: it writes at once).
        self.writes = None if self.fifo else writes

    # --- keys -------------------------------------------------------------------------------

    # (sq() spelled out: this runs ~20 times per receive and delete of ten messages)
    def _mkey(self, seq: int) -> str:
        return f"{self.qid} {seq:017d}"

    def _due(self) -> str:
        """The end of the index range that is due now (keys with a time <= now lie below it)."""
        return f"{self.qid} {ms(self.now + 1)}"

    # --- writing ----------------------------------------------------------------------------

    def insert(self, seq: int, message: Message) -> None:
        """Store a new message and index it (its ``v`` says when it may first be received)."""
        state = self.state
        self.index.add(seq, message["v"], "dl" in message)
        writes = self.writes
        if writes is not None:
            writes.put(state.messages, self._mkey(seq), message)
            return
        state.messages.put(self._mkey(seq), message)
        if self.fifo:
            group = message["g"]
            state.group_messages.put(f"{self.qid} {group} {sq(seq)}", 1)
            if state.groups.get(f"{self.qid} {group}") is None:
                self._place_group(group, None, f"{self.qid} {ms(message['v'])} {sq(seq)}")

    def remove(self, seq: int, message: Message, regroup: bool = True) -> None:
        state = self.state
        state.messages.delete(self._mkey(seq))
        self.index.remove(seq)
        if self.fifo:
            state.group_messages.delete(f"{self.qid} {message['g']} {sq(seq)}")
            if regroup:
                self.regroup(message["g"])

    def remove_seqs(self, seqs: list[int]) -> None:
        """Delete a standard queue's messages by sequence number, unread, in one statement (those already
        gone are no matter)."""
        self.state.messages.delete_many([self._mkey(seq) for seq in seqs])
        remove = self.index.remove
        for seq in seqs:
            remove(seq)

    def remove_many(self, found: list[tuple[int, Message]]) -> None:
        """Delete several messages in a few statements (DeleteMessageBatch)."""
        if not found:
            return
        self.remove_seqs([seq for seq, _ in found])
        if self.fifo:
            self.state.group_messages.delete_many([f"{self.qid} {message['g']} {sq(seq)}" for seq, message in found])
            for group in {message["g"] for _, message in found}:
                self.regroup(group)

    def get_many(self, seqs: list[int]) -> dict[int, Message]:
        found = self.state.messages.get_many([self._mkey(seq) for seq in seqs])
        return {int(key[-17:]): message for key, message in found.items()}

    def get(self, seq: int) -> Message | None:
        return self.state.messages.get(self._mkey(seq))

    def set_visible_at(self, seq: int, message: Message, visible_at: int) -> None:
        """Move a message in the visibility index (the caller saves the message)."""
        message.pop("dl", None)
        message["v"] = visible_at
        self.index.move(seq, visible_at)

    def save(self, seq: int, message: Message) -> None:
        self.state.messages.put(self._mkey(seq), message)

    # --- receiving --------------------------------------------------------------------------

    def _take(self, found: list[tuple[int, Message]], visibility_ms: int) -> list[tuple[int, Message, str]]:
        """Hand messages out: count the receive, hide them for the visibility timeout (a few statements for
        the whole batch); each with its receipt handle."""
        if not found:
            return []
        now, visible_at = self.now, self.now + visibility_ms
        move = self.index.move
        rows, out = [], []
        for seq, message in found:
            message.pop("dl", None)
            message["c"] = message.get("c", 0) + 1
            message.setdefault("f", now)
            message["r"] = now
            message["v"] = visible_at
            move(seq, visible_at)
            rows.append((self._mkey(seq), message))
            out.append((seq, message, receipts.encode(self.qid, seq, message["c"], now)))
        self.state.messages.put_many(rows)
        return out

    def _expired(self, message: Message, retention_ms: int) -> bool:
        return message.get("et", message["st"]) + retention_ms <= self.now

    def receive(
        self, count: int, visibility_ms: int, retention_ms: int, max_receives: int | None, dead: DeadLetter
    ) -> list[tuple[int, Message, str]]:
        """Up to ``count`` visible messages, in order: (seq, message, receipt handle) each."""
        if self.fifo:
            return self._receive_fifo(count, visibility_ms, retention_ms, max_receives, dead)
        index, now = self.index, self.now
        found: list[tuple[int, Message]] = []
        seen: set[int] = set()
        while len(found) < count:
            # The due messages out of the index, and their rows in one statement, however deep the queue.
            seqs = [seq for seq in index.take_due(now, count - len(found)) if seq not in seen]
            if not seqs:
                break
            seen.update(seqs)
            mkeys = [self._mkey(seq) for seq in seqs]
            messages = self.state.messages.get_many(mkeys)
            for seq, mkey in zip(seqs, mkeys, strict=True):
                message = messages.get(mkey)
                if message is None:
                    index.remove(seq)
                elif message["v"] > now:  # the row says later: it is the record
                    index.add(seq, message["v"])
                elif self._expired(message, retention_ms):
                    self.remove(seq, message)
                elif not (max_receives is not None and message.get("c", 0) >= max_receives and dead(seq, message)):
                    found.append((seq, message))
        return self._take(found, visibility_ms)

    def _receive_fifo(
        self, count: int, visibility_ms: int, retention_ms: int, max_receives: int | None, dead: DeadLetter
    ) -> list[tuple[int, Message, str]]:
        """The heads of the available groups, as many of a group's messages in order as fit first."""
        taken: list[tuple[int, Message, str]] = []
        found: list[tuple[int, Message]] = []
        done: set[str] = set()
        for _, group in walk(self.state.group_index, self.prefix, self._due(), batch=count + 1):
            if group in done:
                continue
            done.add(group)
            start = f"{self.qid} {group} "
            for key, _ in walk(self.state.group_messages, start, start + "~", batch=count - len(taken) + 1):
                seq = int(key[-17:])
                message = self.get(seq)
                if message is None:
                    self.state.group_messages.delete(key)
                    continue
                if message["v"] > self.now:  # in flight or still delayed: the rest of the group waits
                    break
                if self._expired(message, retention_ms):
                    self.remove(seq, message, regroup=False)
                    continue
                if max_receives is not None and message.get("c", 0) >= max_receives and dead(seq, message):
                    continue
                found.append((seq, message))
                if len(taken) + len(found) == count:
                    break
            taken += self._take(found, visibility_ms)
            found = []
            self.regroup(group)
            if len(taken) == count:
                break
        return taken

    # --- FIFO groups ------------------------------------------------------------------------

    def regroup(self, group: str) -> None:
        """Re-index a group by when it can next deliver: after its in-flight messages, else at its head."""
        start = f"{self.qid} {group} "
        available = head = None
        for key, _ in walk(self.state.group_messages, start, start + "~", batch=4):
            seq = int(key[-17:])
            message = self.get(seq)
            if message is None:
                self.state.group_messages.delete(key)
                continue
            if head is None:
                head = seq
            if message.get("c", 0) > 0 and message["v"] > self.now:
                available = max(available or 0, message["v"])
                continue
            if available is None:
                available = message["v"]
            break
        current = self.state.groups.get(f"{self.qid} {group}")
        wanted = None if head is None else f"{self.qid} {ms(available)} {sq(head)}"
        if current != wanted:
            self._place_group(group, current, wanted)

    def _place_group(self, group: str, current: str | None, wanted: str | None) -> None:
        state = self.state
        if current is not None:
            state.group_index.delete(current)
        if wanted is None:
            state.groups.delete(f"{self.qid} {group}")
        else:
            state.group_index.put(wanted, group)
            state.groups.put(f"{self.qid} {group}", wanted)

    # --- upkeep -----------------------------------------------------------------------------

    def expire(self, retention_ms: int) -> int | None:
        """Drop the messages past the retention period (oldest first); when the next one expires."""
        touched: set[str] = set()
        next_expiry = None
        for key, message in walk(self.state.messages, self.prefix, self.prefix + "~"):
            if not self._expired(message, retention_ms):
                next_expiry = message.get("et", message["st"]) + retention_ms
                break
            self.remove(int(key[-17:]), message, regroup=False)
            if self.fifo:
                touched.add(message["g"])
        for group in touched:
            self.regroup(group)
        return next_expiry

    def next_visible(self) -> int | None:
        """When the next message not visible now becomes visible (long polls wake then)."""
        if self.fifo:
            for key, _ in self.state.group_index.items(self._due(), self.prefix + "~", limit=1):
                return int(key.split(" ")[1])
            return None
        return self.index.next_at()

    def counts(self) -> tuple[int, int, int]:
        """(visible, in flight, delayed): ApproximateNumberOfMessages, ...NotVisible, ...Delayed."""
        return self.index.counts(self.now)

    def clear(self, everything: bool = False) -> None:
        """Drop every message (PurgeQueue); with ``everything`` also the FIFO histories (DeleteQueue)."""
        state = self.state
        self.index.clear()
        tables = [state.messages, state.groups, state.group_index, state.group_messages, state.attempts]
        if everything:
            tables += [state.dedup, state.expiries]
        for table in tables:
            table.delete_range(prefix=self.prefix)

    # --- FIFO deduplication and receive attempts ----------------------------------------------

    def duplicate_of(self, scope: str, dedup_id: str) -> dict | None:
        entry = self.state.dedup.get(f"{self.qid} {scope} {dedup_id}")
        if entry is not None and entry["t"] + DEDUP_WINDOW > self.now:
            return entry
        return None

    def remember(self, table: str, key: str, entry: dict) -> None:
        """Keep a deduplication id or receive attempt for the 5-minute window."""
        entry["t"] = self.now
        getattr(self.state, table).put(f"{self.qid} {key}", entry)
        self.state.expiries.put(f"{self.qid} {ms(self.now + DEDUP_WINDOW)} {table} {key}", self.now)

    def attempt(self, attempt_id: str) -> dict | None:
        entry = self.state.attempts.get(f"{self.qid} {attempt_id}")
        if entry is not None and entry["t"] + DEDUP_WINDOW > self.now:
            return entry
        return None

    def sweep(self, limit: int = 4) -> None:
        """Forget a few lapsed deduplication ids and attempts (a little on every FIFO send)."""
        for key, written in list(self.state.expiries.items(self.prefix, self._due(), limit=limit)):
            _, _, table, rest = key.split(" ", 3)
            target = getattr(self.state, table)
            entry = target.get(f"{self.qid} {rest}")
            if entry is not None and entry["t"] == written:
                target.delete(f"{self.qid} {rest}")
            self.state.expiries.delete(key)
