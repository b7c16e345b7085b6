"""What DynamoDB keeps, per account and region.

* ``catalog``: table name -> the table's record (its description, settings and counters)
* ``items``: ``uid + hash + partition + sort`` -> ``[size, item]`` (``[size, item, 1]`` when
  the item holds binary, kept as base64 text)
* ``index_items``: ``uid + index number + hash + index keys + table keys`` -> the projected item
* ``expiry``: ``uid + expiry time + item key`` -> table name, for the TTL sweeper
* ``stream_records``: ``stream id + sequence number`` -> one stream record
* ``streams``: stream ARN -> the stream's description (kept after the table is gone)
* ``tokens``: transaction ClientRequestToken -> what the request was and when
* ``backups``: backup ARN -> the backup's description (its items are in ``items`` under its own uid)
"""

from __future__ import annotations

from cloudlet.store.scope import State, Table
from cloudlet.store.sqlite import Database


class DynamoDBState(State):
    service = "dynamodb"
    catalog = Table()
    items = Table()
    index_items = Table()
    expiry = Table()
    stream_records = Table()
    streams = Table()
    tokens = Table()
    backups = Table()

    def __init__(self, db: Database, account: str = "", region: str = "") -> None:
        super().__init__(db, account, region)
        # Every data-plane call reads these: bound once (the instance attributes shadow the
        # declarations, which would build a view on each access).
        self.items = DynamoDBState.items.__get__(self, DynamoDBState)
        self.index_items = DynamoDBState.index_items.__get__(self, DynamoDBState)
