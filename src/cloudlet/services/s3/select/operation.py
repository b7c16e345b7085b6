"""SelectObjectContent: the query parsed first (a bad query is an HTTP error), then the object read
and answered as the event stream botocore parses: Records..., Stats, End (a failure while reading
the data becomes an error event, as with S3)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from cloudlet.context import RequestContext
from cloudlet.protocol.errors import ServiceError
from cloudlet.services.s3 import attributes
from cloudlet.services.s3.select import sql
from cloudlet.services.s3.select.run import Counting, Records, Writer, output_chunks
from cloudlet.services.s3.storage import BodyReader
from cloudlet.services.s3.versions import Versions


class Select(Versions):
    def select_object_content(self, ctx: RequestContext, params: dict) -> dict:
        bucket = self.bucket(ctx, params["Bucket"])
        _, record = self.resolve(bucket, params["Key"], None, "GET")
        attributes.check_customer_key(record.get("sse") or {}, params)
        if params.get("ExpressionType") != "SQL":
            raise ServiceError("InvalidExpressionType", "The ExpressionType is invalid. Only SQL expressions are "
                               "supported.", 400)
        query = sql.parse(params.get("Expression") or "")
        serialization = params.get("InputSerialization") or {}
        writer = Writer(params.get("OutputSerialization") or {})
        if record.get("class") in attributes.ARCHIVED:
            raise ServiceError("InvalidObjectState", "The operation is not valid for the object's storage class",
                               403, StorageClass=record["class"])
        start, end = 0, record["size"]
        scan = params.get("ScanRange") or {}
        if scan and serialization.get("CompressionType", "NONE") in ("NONE", None):
            start = scan.get("Start") or 0
            end = min(end, (scan.get("End") + 1) if scan.get("End") is not None else end)
        reader = BodyReader(self.bodies, record.get("blobs") or [], start, end)
        return {"Payload": _events(query, serialization, writer, reader)}


async def _events(query: sql.Query, serialization: dict, writer: Writer, reader: BodyReader) -> AsyncIterator[dict]:
    source = Counting(iter(reader.next_chunk, b""), (serialization.get("CompressionType") or "NONE").upper())
    try:
        records = Records(query, source, serialization)
        returned = 0
        for chunk in output_chunks(query, records, writer):
            returned += len(chunk)
            yield {"Records": {"Payload": chunk}}
            await asyncio.sleep(0)  # a large scan shares the event loop
        yield {"Stats": {"Details": {"BytesScanned": source.scanned, "BytesProcessed": source.processed,
                                     "BytesReturned": returned}}}
        yield {"End": {}}
    finally:
        reader.close()
