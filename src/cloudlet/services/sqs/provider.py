"""Amazon SQS: the operations, over the queue records and the message tables.

Synchronous operations run inside one SQLite transaction (the gateway's), so a
send that was answered is committed.  ReceiveMessage is ``async``: it receives
in a transaction of its own and, when nothing is visible, waits on the queue's
``asyncio.Event`` through the scheduler — woken by a send, by the next message
becoming visible, by the wait's end or by a clock jump — using no CPU.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import json
import re
from typing import Any

from cloudlet.context import RequestContext, new_request_id
from cloudlet.gateway.auth import default_identity
from cloudlet.protocol.errors import ServiceError
from cloudlet.protocol.models import load_service
from cloudlet.protocol.validate import validate
from cloudlet.services.base import Provider
from cloudlet.services.sqs import attributes as attrs
from cloudlet.services.sqs import errors, messages, queues, receipts
from cloudlet.services.sqs.delivery import Delivery, Message, PendingWrites, walk
from cloudlet.services.sqs.moves import MoveTasks
from cloudlet.services.sqs.state import SqsState
from cloudlet.services.sqs.urls import QueueAddress, address_from_path, parse_arn, parse_queue_url, queue_url
from cloudlet.services.sqs.visibility import QueueIndex

_BATCH_ID = re.compile(r"^[A-Za-z0-9_-]{1,80}$")
_FIFO_ID = re.compile(r"^[\x21-\x7e]{1,128}$")  # alphanumeric and punctuation
_LABEL = re.compile(r"^[A-Za-z0-9_-]{1,80}$")
BATCH_LIMIT = 1048576
NO_DEDUPLICATION_ID = (
    "The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly"
)
RECENTLY_DELETED = "You must wait 60 seconds after deleting a queue before you can create another with the same name."
PERMISSION_ACTIONS = frozenset((
    "*", "AddPermission", "ChangeMessageVisibility", "ChangeMessageVisibilityBatch", "CreateQueue", "DeleteMessage",
    "DeleteMessageBatch", "DeleteQueue", "GetQueueAttributes", "GetQueueUrl", "ListDeadLetterSourceQueues",
    "ListQueues", "ListQueueTags", "PurgeQueue", "ReceiveMessage", "RemovePermission", "SendMessage",
    "SendMessageBatch", "SetQueueAttributes", "TagQueue", "UntagQueue", "CancelMessageMoveTask",
    "ListMessageMoveTasks", "StartMessageMoveTask",
))


class SqsProvider(Provider):
    service = "sqs"
    states = (SqsState,)

    def __init__(self, runtime: Any) -> None:
        super().__init__(runtime)
        self._waiters: dict[str, asyncio.Event] = {}  # qid -> the event the queue's long polls wait on
        self._last_seq: dict[str, int] = {}  # qid -> last sequence number handed out
        self._next_expiry: dict[str, int | None] = {}  # qid -> no message expires before (None: empty)
        # (account, region, name) -> the queue record, for the hot paths; every write drops its entry
        self._queues: dict[tuple[str, str, str], dict] = {}
        self._addresses: dict[tuple[str, str, str], QueueAddress] = {}  # (QueueUrl, region, caller account) -> queue
        self._indexes: dict[str, QueueIndex] = {}  # qid -> the queue's visibility index (built on first use)
        self.moves = MoveTasks(self)

    async def start(self) -> None:
        self.moves.resume()

    def reset(self) -> None:
        super().reset()
        self._last_seq.clear()
        self._next_expiry.clear()
        self._queues.clear()
        self._indexes.clear()
        self.moves.forget()
        for event in self._waiters.values():
            event.set()  # waiting receivers look again and find their queue gone
        self._waiters.clear()

    # --- shared helpers ------------------------------------------------------------------------

    def now(self) -> int:
        return self.runtime.clock.millis()

    def state(self, account: str, region: str) -> SqsState:
        return SqsState(self.runtime.db, account, region)

    def locate(self, ctx: RequestContext, params: dict, for_update: bool = False) -> tuple[SqsState, dict]:
        """The queue a request names (by QueueUrl, or by the path it was posted to) and its state.

        Reads come from a cache of queue records; ``for_update`` reads the stored record (the caller
        changes and saves it, and the cache forgets it: a rolled-back change never reaches the cache).
        """
        url = params.get("QueueUrl")
        if url:
            # Clients name the same few queues on every call: a URL is parsed once per region.
            address = self._addresses.get((url, ctx.region, ctx.account))
            if address is None:
                address = parse_queue_url(url, ctx)
                if len(self._addresses) >= 4096:
                    self._addresses.clear()
                self._addresses[(url, ctx.region, ctx.account)] = address
        else:
            address = address_from_path(ctx.request.path, ctx) if ctx.request is not None else None
            if address is None:
                raise errors.missing_parameter("QueueUrl")
        state = self.state(address.account, address.region)
        queue = None if for_update else self._queues.get(address)
        if queue is None:
            queue = state.queues.get(address.name)
            if queue is None:
                raise errors.queue_does_not_exist(ctx)
            if for_update:
                self._queues.pop(address, None)
            else:
                self._queues[address] = queue
        return state, queue

    def save_queue(self, state: SqsState, queue: dict) -> None:
        state.queues.put(queue["name"], queue)
        self._queues.pop((state.account, state.region, queue["name"]), None)

    def url(self, ctx: RequestContext, queue: dict) -> str:
        return queue_url(ctx, queue["account"], queue["name"], f"localhost:{self.runtime.config.port}")

    def open(self, state: SqsState, queue: dict, now: int, writes: PendingWrites | None = None) -> Delivery:
        """The queue's messages now (inside a transaction: a rollback drops the index the changes went to)."""
        qid = queue["id"]
        index = self._indexes.get(qid)
        if index is None:
            rows = walk(state.messages, f"{qid} ", f"{qid} ~", batch=1024)
            index = self._indexes[qid] = QueueIndex((int(key[-17:]), m["v"], "dl" in m) for key, m in rows)
        self.runtime.db.on_rollback(lambda: self._indexes.pop(qid, None))
        return Delivery(state, queue, now, index, writes)

    def delivery(self, state: SqsState, queue: dict, now: int, writes: PendingWrites | None = None) -> Delivery:
        """The queue's messages now, with those past the retention period dropped first."""
        delivery = self.open(state, queue, now, writes)
        due = self._next_expiry.get(queue["id"], 0)
        if due is not None and due <= now:
            retention = queues.int_attribute(queue, "MessageRetentionPeriod") * 1000
            self._next_expiry[queue["id"]] = delivery.expire(retention)
        return delivery

    def next_seq(self, delivery: Delivery) -> int:
        """A sequence number above every one the queue has (and near the clock in microseconds)."""
        qid = delivery.qid
        last = self._last_seq.get(qid)
        if last is None:
            keys = delivery.state.messages.keys(prefix=f"{qid} ", reverse=True, limit=1)
            last = int(keys[0][-17:]) if keys else 0
        seq = max(last + 1, int(self.runtime.clock.now() * 1_000_000))
        self._last_seq[qid] = seq
        return seq

    def seq_at(self, delivery: Delivery, enqueued: int) -> int:
        """A free sequence number at an earlier enqueue time (a standard queue's redriven message keeps its
        age, and the retention sweep walks messages in sequence order)."""
        seq = enqueued * 1000
        while seq in delivery.index:
            seq += 1
        return seq

    def note_enqueued(self, queue: dict, enqueued: int) -> None:
        retention = queues.int_attribute(queue, "MessageRetentionPeriod") * 1000
        due = self._next_expiry.get(queue["id"], 0)
        if due is None or (due and enqueued + retention < due):
            self._next_expiry[queue["id"]] = enqueued + retention

    def wake(self, queue: dict) -> None:
        """Tell the queue's waiting receivers to look again."""
        event = self._waiters.pop(queue["id"], None)
        if event is not None:
            event.set()

    # --- queues --------------------------------------------------------------------------------

    def create_queue(self, ctx: RequestContext, params: dict) -> dict:
        name = params["QueueName"]
        requested = params.get("Attributes") or {}
        fifo = queues.wants_fifo(requested)
        queues.check_name(name, fifo)
        state = self.state(ctx.account, ctx.region)
        changes = queues.normalized_changes(requested, fifo, creating=True)
        arn = f"arn:aws:sqs:{ctx.region}:{ctx.account}:{name}"
        self._check_redrive(changes, arn, fifo)
        existing = state.queues.get(name)
        if existing is not None:
            different = queues.first_difference(existing, changes)
            if different is not None:
                raise ServiceError(
                    "QueueNameExists",
                    f"A queue already exists with the same name and a different value for attribute {different}",
                )
            return {"QueueUrl": self.url(ctx, existing)}
        now = self.now()
        deleted = state.deleted.get(name)
        if deleted is not None:
            if now - deleted < 60_000:
                raise ServiceError("QueueDeletedRecently", RECENTLY_DELETED)
            state.deleted.delete(name)
        queue = queues.new_record(name, ctx.account, ctx.region, fifo, now / 1000)
        attrs.apply(queue["attributes"], changes)
        attrs.check_combination(queue["attributes"], changes)
        queue["tags"] = self._checked_tags(params.get("tags") or {})
        state.queues.put(name, queue)
        self._next_expiry[queue["id"]] = None
        self._indexes[queue["id"]] = QueueIndex()
        return {"QueueUrl": self.url(ctx, queue)}

    def get_queue_url(self, ctx: RequestContext, params: dict) -> dict:
        account = params.get("QueueOwnerAWSAccountId") or ctx.account
        queue = self.state(account, ctx.region).queues.get(params["QueueName"])
        if queue is None:
            raise errors.queue_does_not_exist(ctx)
        return {"QueueUrl": self.url(ctx, queue)}

    def list_queues(self, ctx: RequestContext, params: dict) -> dict:
        state = self.state(ctx.account, ctx.region)
        prefix = params.get("QueueNamePrefix") or ""
        names = [name for name in state.queues.keys(prefix=prefix) if name.startswith(prefix)]
        return self._page(ctx, params, [state.queues.get(name) for name in names], "QueueUrls", always=False)

    def list_dead_letter_source_queues(self, ctx: RequestContext, params: dict) -> dict:
        state, target = self.locate(ctx, params)
        arn = queues.arn_of(target)
        sources = []
        for _, queue in state.queues.items():
            policy = queue["attributes"].get("RedrivePolicy")
            if policy and json.loads(policy).get("deadLetterTargetArn") == arn:
                sources.append(queue)
        return self._page(ctx, params, sources, "queueUrls", always=True)

    def _page(self, ctx: RequestContext, params: dict, found: list[dict], key: str, always: bool) -> dict:
        """ListQueues / ListDeadLetterSourceQueues pages: 1,000 at most, NextToken only with MaxResults."""
        limit = params.get("MaxResults")
        if limit is not None and not 1 <= limit <= 1000:
            raise errors.invalid_value("MaxResults", limit, "MaxResults must be an integer between 1 and 1000.")
        token = params.get("NextToken")
        if token:
            try:
                after = json.loads(base64.b64decode(token, validate=True))["after"]
            except (ValueError, KeyError, TypeError, binascii.Error):
                raise errors.invalid_parameter("Invalid NextToken value.")
            found = [queue for queue in found if queue["name"] > after]
        page = found[: limit or 1000]
        out: dict[str, Any] = {}
        if page or always:
            out[key] = [self.url(ctx, queue) for queue in page]
        if limit is not None and len(found) > limit:
            out["NextToken"] = base64.b64encode(json.dumps({"after": page[-1]["name"]}).encode()).decode()
        return out

    def delete_queue(self, ctx: RequestContext, params: dict) -> None:
        state, queue = self.locate(ctx, params, for_update=True)
        self.open(state, queue, self.now()).clear(everything=True)
        state.queues.delete(queue["name"])
        self._queues.pop((state.account, state.region, queue["name"]), None)
        self._indexes.pop(queue["id"], None)
        state.deleted.put(queue["name"], self.now())
        self._last_seq.pop(queue["id"], None)
        self._next_expiry.pop(queue["id"], None)
        self.wake(queue)

    def purge_queue(self, ctx: RequestContext, params: dict) -> None:
        state, queue = self.locate(ctx, params, for_update=True)
        now = self.now()
        purged = queue.get("purged")
        if purged is not None and now - purged < 60_000:
            raise ServiceError(
                "PurgeQueueInProgress", f"Only one PurgeQueue operation on {queue['name']} is allowed every 60 seconds."
            )
        self.open(state, queue, now).clear()
        queue["purged"] = now
        self.save_queue(state, queue)
        self._next_expiry[queue["id"]] = None

    def get_queue_attributes(self, ctx: RequestContext, params: dict) -> dict:
        state, queue = self.locate(ctx, params)
        delivery = self.delivery(state, queue, self.now())
        return {"Attributes": queues.view(queue, params.get("AttributeNames") or [], delivery)}

    def set_queue_attributes(self, ctx: RequestContext, params: dict) -> None:
        state, queue = self.locate(ctx, params, for_update=True)
        changes = queues.normalized_changes(params.get("Attributes") or {}, queue["fifo"], creating=False)
        self._check_redrive(changes, queues.arn_of(queue), queue["fifo"])
        attrs.apply(queue["attributes"], changes)
        attrs.check_combination(queue["attributes"], changes)
        queue["modified"] = int(self.runtime.clock.now())
        self.save_queue(state, queue)
        if "MessageRetentionPeriod" in changes:
            self._next_expiry.pop(queue["id"], None)

    def _check_redrive(self, changes: dict[str, str | None], source_arn: str, fifo: bool) -> None:
        raw = changes.get("RedrivePolicy")
        if raw:
            target, count = attrs.parse_redrive_policy(raw)
            address = parse_arn(target)
            dead = self.state(address.account, address.region).queues.get(address.name)
            if dead is None:
                raise errors.invalid_value("RedrivePolicy", raw, "Dead letter target does not exist.")
            if dead["fifo"] != fifo:
                raise errors.invalid_value(
                    "RedrivePolicy", raw, "Dead-letter queue must be same type of queue as the source."
                )
            if not attrs.allows_source(dead["attributes"].get("RedriveAllowPolicy"), source_arn):
                raise errors.invalid_value(
                    "RedrivePolicy", raw,
                    f"Queue {target} does not allow this queue to use it as a dead-letter queue.",
                )
            changes["RedrivePolicy"] = attrs.redrive_policy_text(target, count)
        raw = changes.get("RedriveAllowPolicy")
        if raw:
            document = attrs.parse_redrive_allow_policy(raw)
            changes["RedriveAllowPolicy"] = json.dumps(document, separators=(",", ":"))

    # --- tags and permissions ----------------------------------------------------------------

    @staticmethod
    def _checked_tags(tags: dict[str, str]) -> dict[str, str]:
        for key, value in tags.items():
            if not 1 <= len(key) <= 128:
                raise errors.invalid_parameter("Tag keys must be between 1 and 128 characters in length.")
            if len(value) > 256:
                raise errors.invalid_parameter("Tag values must be less than 256 characters in length.")
        return dict(tags)

    def tag_queue(self, ctx: RequestContext, params: dict) -> None:
        state, queue = self.locate(ctx, params, for_update=True)
        queue["tags"].update(self._checked_tags(params.get("Tags") or {}))
        self.save_queue(state, queue)

    def untag_queue(self, ctx: RequestContext, params: dict) -> None:
        state, queue = self.locate(ctx, params, for_update=True)
        for key in params.get("TagKeys") or []:
            queue["tags"].pop(key, None)
        self.save_queue(state, queue)

    def list_queue_tags(self, ctx: RequestContext, params: dict) -> dict:
        _, queue = self.locate(ctx, params)
        return {"Tags": dict(queue["tags"])}

    def add_permission(self, ctx: RequestContext, params: dict) -> None:
        state, queue = self.locate(ctx, params, for_update=True)
        label = params["Label"]
        if not _LABEL.match(label):
            raise errors.invalid_value(
                "Label", label, "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length"
            )
        accounts = params.get("AWSAccountIds") or []
        actions = params.get("Actions") or []
        if not accounts:
            raise errors.missing_parameter("AWSAccountId")
        if not actions:
            raise errors.missing_parameter("ActionName")
        for action in actions:
            if action not in PERMISSION_ACTIONS:
                raise errors.invalid_value(
                    "ActionName", f"SQS:{action}",
                    "Please refer to the appropriate WSDL for a list of valid actions. ",
                )
        if len(actions) > 7:
            raise ServiceError("OverLimit", f"{len(actions)} Actions were found, maximum allowed is 7.")
        stored = queue["attributes"]
        stored["Policy"] = attrs.add_permission(stored.get("Policy"), queues.arn_of(queue), label, accounts, actions)
        self.save_queue(state, queue)

    def remove_permission(self, ctx: RequestContext, params: dict) -> None:
        state, queue = self.locate(ctx, params, for_update=True)
        stored = queue["attributes"]
        policy = attrs.remove_permission(stored.get("Policy"), queues.arn_of(queue), params["Label"])
        if policy is None:
            stored.pop("Policy", None)
        else:
            stored["Policy"] = policy
        self.save_queue(state, queue)

    # --- sending -------------------------------------------------------------------------------

    def send_message(self, ctx: RequestContext, params: dict, writes: PendingWrites | None = None) -> dict:
        state, queue = self.locate(ctx, params)
        delivery = self.delivery(state, queue, self.now(), writes)
        if queue["fifo"]:
            self._check_fifo_ids(queue, [params])
        result = self._send(ctx, delivery, params)
        self.wake(queue)
        return result

    def send_internal(self, sends: list[tuple[str, str, dict]]) -> list[dict | Exception]:
        """SendMessage for each (account, region, parameters), from another service in this process
        (SNS's fan-out), inside the caller's transaction.

        Each gets what ``runtime.call("sqs", "SendMessage", ...)`` would return or raise (the same
        validation, the same checks), in order; what it would raise is returned.  The new messages of
        standard queues are written together at the end: one statement per table for the fan-out.
        """
        model = load_service("sqs")
        operation = model.operation("SendMessage")
        writes = PendingWrites()
        out: list[dict | Exception] = []
        contexts: dict[tuple[str, str], RequestContext] = {}  # read only: one per caller and region will do
        for account, region, params in sends:
            ctx = contexts.get((account, region))
            if ctx is None:
                ctx = contexts[account, region] = RequestContext(
                    model, operation, None, "internal", region, default_identity(account))
            try:
                validate(operation, params)
                out.append(self.send_message(ctx, params, writes))
            except Exception as e:  # the caller deals with it as with a raised one
                out.append(e)
        writes.flush()
        return out

    def send_message_batch(self, ctx: RequestContext, params: dict) -> dict:
        state, queue = self.locate(ctx, params)
        entries = params.get("Entries") or []
        _check_batch(entries, "SendMessageBatchRequestEntry")
        total = sum(_payload_size(entry) for entry in entries)
        if total > BATCH_LIMIT:
            raise ServiceError(
                "BatchRequestTooLong",
                f"Batch requests cannot be longer than {BATCH_LIMIT} bytes. You have sent {total} bytes.",
            )
        if queue["fifo"]:
            self._check_fifo_ids(queue, entries, batch=True)
        delivery = self.delivery(state, queue, self.now())
        successful, failed = [], []
        for entry in entries:
            try:
                successful.append({"Id": entry["Id"], **self._send(ctx, delivery, entry)})
            except ServiceError as error:
                failed.append(_failure(entry["Id"], error))
        if successful:
            self.wake(queue)
        return {"Successful": successful, "Failed": failed}

    @staticmethod
    def _check_fifo_ids(queue: dict, entries: list[dict], batch: bool = False) -> None:
        """What a FIFO queue requires of every message (a batch fails as a whole)."""
        content_based = queue["attributes"].get("ContentBasedDeduplication") == "true"
        for entry in entries:
            if not entry.get("MessageGroupId"):
                if batch:
                    raise errors.invalid_parameter("The request must contain the parameter MessageGroupId.")
                raise errors.missing_parameter("MessageGroupId")
            if entry.get("MessageDeduplicationId") is None and not content_based:
                raise errors.invalid_parameter(NO_DEDUPLICATION_ID)

    def _send(self, ctx: RequestContext, delivery: Delivery, params: dict) -> dict:
        """Check and store one message; SendMessage's result for it."""
        queue = delivery.queue
        fifo = queue["fifo"]
        body = params.get("MessageBody")
        if body is None:
            raise errors.missing_parameter("MessageBody")
        size = messages.check_body(body)
        user = params.get("MessageAttributes") or {}
        size += messages.check_attributes(user)
        system = params.get("MessageSystemAttributes") or {}
        messages.check_system_attributes(system)
        limit = queues.int_attribute(queue, "MaximumMessageSize")
        if size > limit:
            raise errors.invalid_parameter(
                f"One or more parameters are invalid. Reason: Message must be shorter than {limit} bytes."
            )
        delay = params.get("DelaySeconds")
        group = params.get("MessageGroupId")
        dedup_id = params.get("MessageDeduplicationId")
        if group is not None:
            _check_fifo_id(group, "MessageGroupId")
        if fifo:
            if delay:  # a FIFO queue delays by its own setting only
                raise errors.invalid_value(
                    "DelaySeconds", delay, "The request include parameter that is not valid for this queue type."
                )
            delay = queues.int_attribute(queue, "DelaySeconds")
            if dedup_id is None:
                dedup_id = hashlib.sha256(body.encode("utf-8", "surrogatepass")).hexdigest()
            _check_fifo_id(dedup_id, "MessageDeduplicationId")
        else:
            if dedup_id is not None:
                raise errors.invalid_value(
                    "MessageDeduplicationId", dedup_id,
                    "The request includes a parameter that is not valid for this queue type.",
                )
            if delay is None:
                delay = queues.int_attribute(queue, "DelaySeconds")
            elif not 0 <= delay <= 900:
                raise errors.invalid_value("DelaySeconds", delay, "DelaySeconds must be >= 0 and <= 900.")
        result = {"MD5OfMessageBody": messages.md5_of_body(body)}
        if user:
            result["MD5OfMessageAttributes"] = messages.md5_of_attributes(user)
        if system:
            result["MD5OfMessageSystemAttributes"] = messages.md5_of_attributes(system)
        now = delivery.now
        if fifo:
            scope = group if queue["attributes"].get("DeduplicationScope") == "messageGroup" else ""
            delivery.sweep()
            original = delivery.duplicate_of(scope, dedup_id)
            if original is not None:  # accepted, not delivered again
                return {**result, "MessageId": original["id"], "SequenceNumber": original["sn"]}
        seq = self.next_seq(delivery)
        message: Message = {
            "id": new_request_id(), "b": body, "m5": result["MD5OfMessageBody"], "st": now,
            "sd": ctx.identity.user_id, "c": 0, "v": now + delay * 1000,
        }
        if delay:
            message["dl"] = 1
        if user:
            message["a"] = messages.stored_attributes(user)
            message["a5"] = result["MD5OfMessageAttributes"]
        trace = (system.get("AWSTraceHeader") or {}).get("StringValue")
        if trace is None and ctx.request is not None:
            trace = ctx.request.headers.get("x-amzn-trace-id")
        if trace:
            message["t"] = trace
        if group is not None:
            message["g"] = group
        if fifo:
            message["d"] = dedup_id
            message["sn"] = str(seq * 10000)
            delivery.remember("dedup", f"{scope} {dedup_id}", {"id": message["id"], "sn": message["sn"]})
            result["SequenceNumber"] = message["sn"]
        delivery.insert(seq, message)
        self.note_enqueued(queue, now)
        result["MessageId"] = message["id"]
        return result

    # --- receiving -----------------------------------------------------------------------------

    async def receive_message(self, ctx: RequestContext, params: dict) -> dict:
        count = params.get("MaxNumberOfMessages")
        if count is None:
            count = 1
        elif not 1 <= count <= 10:
            raise errors.invalid_value("MaxNumberOfMessages", count, "Must be between 1 and 10, if provided.")
        wait = params.get("WaitTimeSeconds")
        if wait is not None and not 0 <= wait <= 20:
            raise errors.invalid_value("WaitTimeSeconds", wait, "Must be >= 0 and <= 20, if provided.")
        visibility = params.get("VisibilityTimeout")
        if visibility is not None and not 0 <= visibility <= 43200:
            raise errors.invalid_value("VisibilityTimeout", visibility, "Must be >= 0 and <= 43200, if provided.")
        clock = self.runtime.clock
        started = clock.now()
        while True:
            with self.runtime.db.transaction():
                state, queue = self.locate(ctx, params)
                if wait is None:
                    wait = queues.int_attribute(queue, "ReceiveMessageWaitTimeSeconds")
                taken, next_at = self._receive_once(state, queue, count, visibility, params)
                if taken:
                    names = set(params.get("AttributeNames") or ()) | set(params.get("MessageSystemAttributeNames") or ())
                    wanted = params.get("MessageAttributeNames")
                    return {"Messages": [_output(queue, *item, names, wanted) for item in taken]}
            remaining = started + wait - clock.now()
            if remaining <= 0:
                return {}
            if next_at is not None:
                remaining = min(remaining, max(0.0, next_at / 1000 - clock.now()))
            event = self._waiters.get(queue["id"])
            if event is None:
                event = self._waiters[queue["id"]] = asyncio.Event()
            await self.runtime.scheduler.wait(event, remaining)

    def _receive_once(
        self, state: SqsState, queue: dict, count: int, visibility: int | None, params: dict
    ) -> tuple[list, int | None]:
        now = self.now()
        delivery = self.delivery(state, queue, now)
        if visibility is None:
            visibility = queues.int_attribute(queue, "VisibilityTimeout")
        attempt_id = params.get("ReceiveRequestAttemptId") if queue["fifo"] else None
        if attempt_id:
            replayed = self._replay(delivery, attempt_id, visibility * 1000)
            if replayed is not None:
                return replayed, None
        max_receives, dead = self._redrive(delivery)
        retention = queues.int_attribute(queue, "MessageRetentionPeriod") * 1000
        taken = delivery.receive(count, visibility * 1000, retention, max_receives, dead)
        if taken:
            if attempt_id:
                delivery.remember("attempts", attempt_id, {"m": [[seq, m["c"], m["v"]] for seq, m, _ in taken]})
            return taken, None
        return [], delivery.next_visible()

    def _replay(self, delivery: Delivery, attempt_id: str, visibility_ms: int) -> list | None:
        """A retried FIFO receive: the same messages and handles, if none was touched since."""
        entry = delivery.attempt(attempt_id)
        if entry is None:
            return None
        found = []
        for seq, count, visible_at in entry["m"]:
            message = delivery.get(seq)
            if message is None or message["c"] != count or message["v"] != visible_at:
                return None
            found.append((seq, message))
        out, groups = [], set()
        for index, (seq, message) in enumerate(found):
            delivery.set_visible_at(seq, message, delivery.now + visibility_ms)
            delivery.save(seq, message)
            entry["m"][index][2] = message["v"]
            groups.add(message["g"])
            out.append((seq, message, receipts.encode(delivery.qid, seq, message["c"], message["r"])))
        for group in groups:
            delivery.regroup(group)
        delivery.state.attempts.put(f"{delivery.qid} {attempt_id}", entry)
        return out

    def _redrive(self, delivery: Delivery) -> tuple[int | None, Any]:
        """maxReceiveCount and the mover to the dead-letter queue, if the queue has a RedrivePolicy."""
        policy = delivery.queue["attributes"].get("RedrivePolicy")
        if not policy:
            return None, None
        document = json.loads(policy)
        address = parse_arn(document["deadLetterTargetArn"])
        source_arn = queues.arn_of(delivery.queue)

        def move(seq: int, message: Message) -> bool:
            dead_state = self.state(address.account, address.region)
            dead = dead_state.queues.get(address.name)
            if dead is None or (dead["fifo"] and "g" not in message):
                return False
            delivery.remove(seq, message, regroup=False)
            self.enqueue_copy(self.open(dead_state, dead, delivery.now), message, source_arn)
            return True

        return int(document["maxReceiveCount"]), move

    def enqueue_copy(self, target: Delivery, message: Message, source_arn: str | None) -> None:
        """Put a message taken from another queue into ``target`` (dead-letter moves and redrives).

        A standard queue keeps the message's enqueue time (its retention counts from the first
        send); a FIFO queue enqueues it anew."""
        moved = {k: v for k, v in message.items() if k not in ("c", "f", "r", "dl", "v", "et")}
        now = target.now
        moved["c"] = 0
        moved["v"] = now
        if source_arn is not None:
            moved["src"] = source_arn
        if target.fifo:
            seq = self.next_seq(target)
            moved["sn"] = str(seq * 10000)
            enqueued = now
        else:
            enqueued = message.get("et", message["st"])
            seq = self.seq_at(target, enqueued)
            moved.pop("sn", None)
        if enqueued != moved["st"]:
            moved["et"] = enqueued
        target.insert(seq, moved)
        self.note_enqueued(target.queue, enqueued)
        self.wake(target.queue)

    # --- deleting and changing visibility --------------------------------------------------------

    def _receipt(self, queue: dict, handle: str) -> receipts.Receipt:
        receipt = receipts.decode(handle)
        if receipt is None:
            raise errors.receipt_handle_invalid(handle)
        if receipt.qid != queue["id"]:
            raise ServiceError("ReceiptHandleIsInvalid", f'The receipt handle "{handle}" is not valid for this queue.')
        return receipt

    def _delete(self, delivery: Delivery, handle: str) -> None:
        receipt = self._receipt(delivery.queue, handle)
        if not delivery.fifo:  # any handle the queue issued deletes its message (if it is still there)
            delivery.remove_seqs([receipt.seq])
            return
        message = delivery.get(receipt.seq)
        if message is None:  # already deleted: deleting again succeeds
            return
        if delivery.fifo and (message["c"] != receipt.count or message["v"] <= delivery.now):
            raise errors.invalid_value("ReceiptHandle", handle, "The receipt handle has expired.")
        delivery.remove(receipt.seq, message)
        if delivery.fifo:
            self.wake(delivery.queue)  # the group may deliver its next message now

    def delete_message(self, ctx: RequestContext, params: dict) -> None:
        state, queue = self.locate(ctx, params)
        self._delete(self.open(state, queue, self.now()), params["ReceiptHandle"])

    def delete_message_batch(self, ctx: RequestContext, params: dict) -> dict:
        state, queue = self.locate(ctx, params)
        entries = params.get("Entries") or []
        _check_batch(entries, "DeleteMessageBatchRequestEntry")
        delivery = self.open(state, queue, self.now())
        successful, failed, wanted = [], [], []
        for entry in entries:
            try:
                wanted.append((entry, self._receipt(queue, entry["ReceiptHandle"])))
            except ServiceError as error:
                failed.append(_failure(entry["Id"], error))
        if not delivery.fifo:  # any handle the queue issued deletes its message (if it is still there)
            delivery.remove_seqs([receipt.seq for _, receipt in wanted])
            return {"Successful": [{"Id": entry["Id"]} for entry, _ in wanted], "Failed": failed}
        found = delivery.get_many([receipt.seq for _, receipt in wanted])
        removing: dict[int, Message] = {}
        for entry, receipt in wanted:
            message = found.get(receipt.seq)
            if message is not None and delivery.fifo and (
                message["c"] != receipt.count or message["v"] <= delivery.now
            ):
                failed.append(_failure(entry["Id"], errors.invalid_value(
                    "ReceiptHandle", entry["ReceiptHandle"], "The receipt handle has expired.")))
                continue
            if message is not None:
                removing[receipt.seq] = message
            successful.append({"Id": entry["Id"]})
        delivery.remove_many(list(removing.items()))
        if removing and delivery.fifo:
            self.wake(queue)
        return {"Successful": successful, "Failed": failed}

    def _change_visibility(self, delivery: Delivery, handle: str, timeout: int | None) -> None:
        if timeout is None:
            raise errors.missing_parameter("VisibilityTimeout")
        if not 0 <= timeout <= 43200:
            raise errors.invalid_value("VisibilityTimeout", timeout, "Must be >= 0 and <= 43200, if provided.")
        receipt = self._receipt(delivery.queue, handle)
        message = delivery.get(receipt.seq)
        now = delivery.now
        if message is None:
            raise errors.invalid_value(
                "ReceiptHandle", handle, "Message does not exist or is not available for visibility timeout change."
            )
        if delivery.fifo and (message["c"] != receipt.count or message["v"] <= now):
            raise errors.invalid_value("ReceiptHandle", handle, "The receipt handle has expired.")
        visible_at = now + timeout * 1000
        # 12 hours at most from the receive, counted in whole seconds as SQS counts them.
        if (now - message.get("r", now)) // 1000 + timeout > 43200:
            raise errors.invalid_value(
                "VisibilityTimeout", timeout, "Total VisibilityTimeout for the message is beyond the limit [43200 seconds]."
            )
        delivery.set_visible_at(receipt.seq, message, visible_at)
        delivery.save(receipt.seq, message)
        if delivery.fifo:
            delivery.regroup(message["g"])
        if timeout == 0:
            self.wake(delivery.queue)

    def change_message_visibility(self, ctx: RequestContext, params: dict) -> None:
        state, queue = self.locate(ctx, params)
        delivery = self.open(state, queue, self.now())
        self._change_visibility(delivery, params["ReceiptHandle"], params.get("VisibilityTimeout"))

    def change_message_visibility_batch(self, ctx: RequestContext, params: dict) -> dict:
        state, queue = self.locate(ctx, params)
        entries = params.get("Entries") or []
        _check_batch(entries, "ChangeMessageVisibilityBatchRequestEntry")
        delivery = self.open(state, queue, self.now())
        successful, failed = [], []
        for entry in entries:
            try:
                self._change_visibility(delivery, entry["ReceiptHandle"], entry.get("VisibilityTimeout"))
                successful.append({"Id": entry["Id"]})
            except ServiceError as error:
                failed.append(_failure(entry["Id"], error))
        return {"Successful": successful, "Failed": failed}

    # --- message move tasks (moves.py) ---------------------------------------------------------

    def start_message_move_task(self, ctx: RequestContext, params: dict) -> dict:
        return self.moves.start(ctx, params)

    def cancel_message_move_task(self, ctx: RequestContext, params: dict) -> dict:
        return self.moves.cancel(ctx, params)

    def list_message_move_tasks(self, ctx: RequestContext, params: dict) -> dict:
        return self.moves.list(ctx, params)


# --- helpers ---------------------------------------------------------------------------------------


def _check_batch(entries: list[dict], entry_name: str) -> None:
    if not entries:
        raise ServiceError("EmptyBatchRequest", f"There should be at least one {entry_name} in the request.")
    if len(entries) > 10:
        raise ServiceError(
            "TooManyEntriesInBatchRequest", f"Maximum number of entries per request are 10. You have sent {len(entries)}."
        )
    seen = set()
    for entry in entries:
        entry_id = entry.get("Id", "")
        if not _BATCH_ID.match(entry_id):
            raise ServiceError(
                "InvalidBatchEntryId",
                "A batch entry id can only contain alphanumeric characters, hyphens and underscores. "
                "It can be at most 80 letters long.",
            )
        if entry_id in seen:
            raise ServiceError("BatchEntryIdsNotDistinct", f"Id {entry_id} repeated.")
        seen.add(entry_id)


def _payload_size(entry: dict) -> int:
    """A batch entry's share of the batch limit: body and attributes, as SQS counts them."""
    size = len((entry.get("MessageBody") or "").encode("utf-8", "surrogatepass"))
    for name, attribute in (entry.get("MessageAttributes") or {}).items():
        size += len(name.encode()) + len((attribute.get("DataType") or "").encode())
        value = attribute.get("BinaryValue") if "BinaryValue" in attribute else attribute.get("StringValue")
        if isinstance(value, str):
            size += len(value.encode("utf-8", "surrogatepass"))
        elif value is not None:
            size += len(value)
    return size


def _failure(entry_id: str, error: ServiceError) -> dict:
    return {"Id": entry_id, "SenderFault": error.status is None or error.status < 500, "Code": error.code,
            "Message": error.message}


def _check_fifo_id(value: str, name: str) -> None:
    if not _FIFO_ID.match(value):
        raise errors.invalid_value(
            name, value, f"{name} can only include alphanumeric and punctuation characters. 1 to 128 in length."
        )


def _output(queue: dict, seq: int, message: Message, handle: str, names: set[str], wanted: list[str] | None) -> dict:
    """One received message as ReceiveMessage answers it: ``names`` the system attributes asked for,
    ``wanted`` the message attributes."""
    out: dict[str, Any] = {
        "MessageId": message["id"], "ReceiptHandle": handle, "MD5OfBody": message["m5"], "Body": message["b"],
    }
    if names:
        system = _system_attributes(queue, message)
        if "All" not in names:
            system = {name: value for name, value in system.items() if name in names}
        if system:
            out["Attributes"] = system
    stored = message.get("a")
    if wanted and stored:  # none asked for or none at all: no map; none of those asked for: an empty map
        selected = messages.select_attributes(stored, wanted)
        values = messages.output_attributes(selected)
        out["MessageAttributes"] = values
        if selected:
            out["MD5OfMessageAttributes"] = (
                message["a5"] if len(selected) == len(stored) else messages.md5_of_attributes(values)
            )
    return out


def _system_attributes(queue: dict, message: Message) -> dict[str, str]:
    out = {
        "SenderId": message["sd"],
        "SentTimestamp": str(message["st"]),
        "ApproximateReceiveCount": str(message.get("c", 0)),
        "ApproximateFirstReceiveTimestamp": str(message.get("f", message.get("r", 0))),
    }
    if "g" in message:
        out["MessageGroupId"] = message["g"]
    if queue["fifo"]:
        out["MessageDeduplicationId"] = message["d"]
        out["SequenceNumber"] = message["sn"]
    if "t" in message:
        out["AWSTraceHeader"] = message["t"]
    if "src" in message:
        out["DeadLetterQueueSourceArn"] = message["src"]
    return out
