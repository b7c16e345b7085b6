"""Amazon DynamoDB Streams: reading the records DynamoDB writes (services/dynamodb/streams.py).

The streams live in DynamoDB's own state (one service behind one endpoint in AWS
too). Each stream has one shard; a shard iterator is an opaque token naming the
stream, the shard, the next sequence number to read and when it was issued
(iterators expire after 15 minutes). Records older than 24 hours by Cloudlet's
clock are trimmed and never returned.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from cloudlet.context import RequestContext
from cloudlet.protocol.errors import ServiceError
from cloudlet.services.base import Provider
from cloudlet.services.dynamodb.state import DynamoDBState
from cloudlet.services.dynamodb.streams import RETENTION, record_key
from cloudlet.services.dynamodb.values import item_from_stored

ITERATOR_LIFETIME = 15 * 60
DEFAULT_LIMIT = 1000
STREAM_LIFETIME = 24 * 3600  # a disabled stream stays readable this long


def _not_found(what: str) -> ServiceError:
    return ServiceError("ResourceNotFoundException", f"Requested resource not found: {what}")


def _invalid(message: str) -> ServiceError:
    return ServiceError("ValidationException", message)


class DynamoDBStreamsProvider(Provider):
    service = "dynamodbstreams"

    def _state(self, ctx: RequestContext) -> DynamoDBState:
        return DynamoDBState(self.runtime.db, ctx.account, ctx.region)

    def _stream(self, state: DynamoDBState, arn: str) -> dict:
        stream = state.streams.get(arn)
        if stream is None or self._gone(stream):
            raise _not_found(f"Stream: {arn} not found")
        return stream

    def _gone(self, stream: dict) -> bool:
        closed = stream.get("_closed")
        return closed is not None and self.runtime.clock.now() - closed > STREAM_LIFETIME

    def _last(self, state: DynamoDBState, stream: dict) -> int:
        if stream.get("_last") is not None:
            return stream["_last"]
        keys = state.stream_records.keys(prefix=f"{stream['_id']}:", reverse=True, limit=1)
        return int(keys[0].split(":")[1]) if keys else stream["_first"] - 1

    def _trim(self, state: DynamoDBState, stream: dict) -> int:
        """Delete records past the retention period; the first sequence number still readable."""
        horizon = self.runtime.clock.now() - RETENTION
        prefix = f"{stream['_id']}:"
        while True:
            batch = list(state.stream_records.items(prefix=prefix, limit=500))
            expired = [k for k, v in batch if v["at"] < horizon]
            for key in expired:
                state.stream_records.delete(key)
            if len(expired) < len(batch) or len(batch) < 500:
                break
        first = state.stream_records.keys(prefix=prefix, limit=1)
        return int(first[0].split(":")[1]) if first else self._last(state, stream) + 1

    # --- ListStreams ------------------------------------------------------------------------

    def list_streams(self, ctx: RequestContext, params: dict) -> dict:
        state = self._state(ctx)
        table = params.get("TableName")
        if table is not None and table.startswith("arn:"):
            table = table.split(":table/")[-1].split("/")[0]
        if table is not None and table not in state.catalog:
            raise _not_found(f"Table: {table} not found")
        limit = params.get("Limit") or 100
        start = params.get("ExclusiveStartStreamArn")
        found = []
        for arn, stream in state.streams.items():
            if self._gone(stream) or (table is not None and stream["TableName"] != table):
                continue
            if start is not None and arn <= start:
                continue
            found.append({"StreamArn": arn, "TableName": stream["TableName"], "StreamLabel": stream["StreamLabel"]})
        out: dict[str, Any] = {"Streams": found[:limit]}
        if len(found) > limit:
            out["LastEvaluatedStreamArn"] = found[limit - 1]["StreamArn"]
        return out

    # --- DescribeStream ------------------------------------------------------------------

    def describe_stream(self, ctx: RequestContext, params: dict) -> dict:
        state = self._state(ctx)
        stream = self._stream(state, params["StreamArn"])
        shard: dict[str, Any] = {"ShardId": stream["_shard"], "SequenceNumberRange": {}}
        first = self._trim(state, stream)
        shard["SequenceNumberRange"]["StartingSequenceNumber"] = str(first)
        if stream["StreamStatus"] == "DISABLED":
            shard["SequenceNumberRange"]["EndingSequenceNumber"] = str(max(self._last(state, stream), first))
        shards = [shard]
        start = params.get("ExclusiveStartShardId")
        if start is not None:
            shards = [s for s in shards if s["ShardId"] > start]
        description = {k: v for k, v in stream.items() if not k.startswith("_")}
        description["Shards"] = shards
        return {"StreamDescription": description}

    # --- GetShardIterator ------------------------------------------------------------------

    def get_shard_iterator(self, ctx: RequestContext, params: dict) -> dict:
        state = self._state(ctx)
        arn = params["StreamArn"]
        stream = self._stream(state, arn)
        if params["ShardId"] != stream["_shard"]:
            raise _not_found(f"Shard does not exist: {params['ShardId']}")
        kind = params["ShardIteratorType"]
        first = self._trim(state, stream)
        last = self._last(state, stream)
        sequence = params.get("SequenceNumber")
        if kind in ("AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER"):
            if sequence is None:
                raise _invalid(f"Must specify a SequenceNumber for ShardIteratorType: {kind}")
            if not sequence.isdigit():
                raise _invalid(f"Invalid SequenceNumber: {sequence}")
            number = int(sequence)
            if number < first and number >= stream["_first"]:
                raise ServiceError(
                    "TrimmedDataAccessException",
                    f"The operation attempted to read past the oldest stream record in a shard. SequenceNumber: {sequence}",
                )
            if number < stream["_first"] or number > last:
                raise _invalid(f"Invalid SequenceNumber {sequence} for shard {stream['_shard']}")
            position = number if kind == "AT_SEQUENCE_NUMBER" else number + 1
        elif sequence is not None:
            raise _invalid(f"SequenceNumber is not allowed for ShardIteratorType: {kind}")
        elif kind == "TRIM_HORIZON":
            position = first
        else:  # LATEST
            position = last + 1
        return {"ShardIterator": self._iterator(arn, stream["_shard"], position)}

    def _iterator(self, arn: str, shard: str, position: int) -> str:
        token = json.dumps([arn, shard, position, self.runtime.clock.now()], separators=(",", ":")).encode()
        return f"{arn}|1|" + base64.urlsafe_b64encode(token).decode()

    def _read_iterator(self, iterator: str) -> tuple[str, str, int, float]:
        try:
            _, _, token = iterator.rpartition("|")
            arn, shard, position, issued = json.loads(base64.urlsafe_b64decode(token.encode()))
            return str(arn), str(shard), int(position), float(issued)
        except (ValueError, TypeError):
            raise _invalid("Invalid ShardIterator")

    # --- GetRecords --------------------------------------------------------------------------

    def get_records(self, ctx: RequestContext, params: dict) -> dict:
        arn, shard, position, issued = self._read_iterator(params["ShardIterator"])
        if self.runtime.clock.now() - issued > ITERATOR_LIFETIME:
            raise ServiceError("ExpiredIteratorException", "Iterator expired. The iterator was created at time "
                               f"{_render_time(issued)} while right now it is {_render_time(self.runtime.clock.now())} "
                               "which is further in the future than the tolerated delay of 900000 milliseconds.")
        state = self._state(ctx)
        stream = self._stream(state, arn)
        if shard != stream["_shard"]:
            raise _not_found(f"Shard does not exist: {shard}")
        first = self._trim(state, stream)
        if position < first:
            raise ServiceError(
                "TrimmedDataAccessException",
                "The operation attempted to read past the oldest stream record in a shard.",
            )
        limit = params.get("Limit") or DEFAULT_LIMIT
        stream_id = stream["_id"]
        records = []
        for key, value in state.stream_records.items(record_key(stream_id, position), f"{stream_id};", limit=limit):
            record = value["record"]
            body = dict(record["dynamodb"])
            for name in ("Keys", "NewImage", "OldImage"):
                if name in body:
                    body[name] = item_from_stored(body[name])
            records.append({**record, "dynamodb": body})
            position = int(key.split(":")[1]) + 1
        out: dict[str, Any] = {"Records": records}
        closed = stream["StreamStatus"] == "DISABLED"
        if not (closed and position > self._last(state, stream)):
            out["NextShardIterator"] = self._iterator(arn, shard, position)
        return out


def _render_time(at: float) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(at, UTC).strftime("%a %b %d %H:%M:%S UTC %Y")
