"""DynamoDB Streams, the writing side: stream descriptions and one record per item change.

Each stream has one shard. A record is stored (in the writing request's
transaction) under ``stream id + sequence number`` and published on the bus as
topic ``dynamodb:stream-record`` with ``{"account", "region", "table", "stream_arn",
"record"}`` (the record as GetRecords returns it), for consumers such as Lambda
event source mappings. Records expire 24 hours after they were written, by
Cloudlet's clock. Disabling a stream closes its shard; enabling streams again
starts a new stream with a new label.
"""

from __future__ import annotations

import secrets
import uuid
from typing import TYPE_CHECKING, Any

from cloudlet.services.dynamodb.tables import stream_label
from cloudlet.services.dynamodb.values import item_size, item_to_stored

if TYPE_CHECKING:
    from cloudlet.services.dynamodb.provider import DynamoDBProvider
    from cloudlet.services.dynamodb.schema import TableSchema
    from cloudlet.services.dynamodb.state import DynamoDBState

TOPIC = "dynamodb:stream-record"
RETENTION = 24 * 3600
SERVICE_IDENTITY = {"PrincipalId": "dynamodb.amazonaws.com", "Type": "Service"}


def record_key(stream_id: str, sequence: int) -> str:
    return f"{stream_id}:{sequence:024d}"


class StreamWriter:
    def __init__(self, provider: DynamoDBProvider) -> None:
        self.provider = provider
        self.runtime = provider.runtime
        self._sequences: dict[str, int] = {}

    def reset(self) -> None:
        self._sequences.clear()

    # --- stream lifecycle ------------------------------------------------------------------

    def enable(self, state: DynamoDBState, record: dict, view: str, now: float) -> None:
        label = stream_label(now)
        arn = f"{record['TableArn']}/stream/{label}"
        stream_id = secrets.token_hex(8)
        first = self._first_sequence(now)
        state.streams.put(arn, {
            "StreamArn": arn,
            "StreamLabel": label,
            "StreamStatus": "ENABLED",
            "StreamViewType": view,
            "TableName": record["TableName"],
            "KeySchema": record["KeySchema"],
            "CreationRequestDateTime": now,
            "_id": stream_id,
            "_shard": f"shardId-{int(now * 1000):020d}-{secrets.token_hex(4)}",
            "_first": first,
        })
        self._sequences[stream_id] = first - 1
        record["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": view}
        record["LatestStreamLabel"] = label
        record["LatestStreamArn"] = arn

    def disable(self, state: DynamoDBState, record: dict, now: float) -> None:
        arn = record.get("LatestStreamArn")
        stream = state.streams.get(arn) if arn else None
        if stream is not None:
            stream["StreamStatus"] = "DISABLED"
            stream["_last"] = self._current(state, stream)
            stream["_closed"] = now
            state.streams.put(arn, stream)
        record["StreamSpecification"] = {"StreamEnabled": False}

    # --- records ------------------------------------------------------------------------

    def record(self, state: DynamoDBState, schema: TableSchema, old: dict | None, new: dict | None,
               service: bool = False) -> None:
        """Store and publish the record of one item change (nothing when the item did not change)."""
        if old is None and new is None:
            return
        if old is not None and new is not None and _same(old, new):
            return
        arn = schema.stream_arn
        stream = state.streams.get(arn) if arn else None
        if stream is None:
            return
        view = schema.stream_view
        now = self.runtime.clock.now()
        sequence = self._current(state, stream) + 1
        stream_id = stream["_id"]
        self._sequences[stream_id] = sequence
        image = new if new is not None else old
        keys = {name: image[name] for name in schema.key_names}  # type: ignore[index]
        body: dict[str, Any] = {
            "ApproximateCreationDateTime": float(int(now)),
            "Keys": keys,
            "SequenceNumber": str(sequence),
            "StreamViewType": view,
        }
        size = item_size(keys)
        if view in ("NEW_IMAGE", "NEW_AND_OLD_IMAGES") and new is not None:
            body["NewImage"] = new
            size += item_size(new)
        if view in ("OLD_IMAGE", "NEW_AND_OLD_IMAGES") and old is not None:
            body["OldImage"] = old
            size += item_size(old)
        body["SizeBytes"] = size
        event: dict[str, Any] = {
            "eventID": uuid.uuid4().hex,
            "eventName": "INSERT" if old is None else ("REMOVE" if new is None else "MODIFY"),
            "eventVersion": "1.1",
            "eventSource": "aws:dynamodb",
            "awsRegion": state.region,
            "dynamodb": body,
        }
        if service:
            event["userIdentity"] = dict(SERVICE_IDENTITY)
        state.stream_records.put(record_key(stream_id, sequence), {"at": now, "record": _stored(event)})
        self.runtime.bus.publish(TOPIC, {
            "account": state.account, "region": state.region, "table": schema.name, "stream_arn": arn,
            "record": event,
        })

    def _current(self, state: DynamoDBState, stream: dict) -> int:
        """The last sequence number issued on a stream."""
        stream_id = stream["_id"]
        current = self._sequences.get(stream_id)
        if current is None:
            last = state.stream_records.keys(prefix=f"{stream_id}:", reverse=True, limit=1)
            current = int(last[0].split(":")[1]) if last else stream["_first"] - 1
            self._sequences[stream_id] = current
        return current

    @staticmethod
    def _first_sequence(now: float) -> int:
        # Time-based, so sequence numbers keep increasing across streams and restarts.
        return int(now * 1000) * 10**8


def _same(a: dict, b: dict) -> bool:
    from cloudlet.services.dynamodb.values import equal

    return a.keys() == b.keys() and all(equal(a[k], b[k]) for k in a)


def _stored(event: dict) -> dict:
    body = dict(event["dynamodb"])
    for name in ("Keys", "NewImage", "OldImage"):
        if name in body:
            body[name] = item_to_stored(body[name])
    return {**event, "dynamodb": body}
