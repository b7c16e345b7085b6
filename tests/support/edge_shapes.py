"""Shapes for small hand-written models that hold every case the wire rules distinguish.

The query and XML codec tests each build an ``edge`` model from these and add what only
their protocol has.
"""

from __future__ import annotations

SHAPES: dict = {
    "S": {"type": "string"},
    "I": {"type": "integer"},
    "L": {"type": "long"},
    "D": {"type": "double"},
    "B": {"type": "boolean"},
    "Blob": {"type": "blob"},
    "T": {"type": "timestamp"},
    "TUnix": {"type": "timestamp", "timestampFormat": "unixTimestamp"},
    "Strings": {"type": "list", "member": {"shape": "S"}},
    "Renamed": {"type": "list", "member": {"shape": "S", "locationName": "Thing"}},
    "Lists": {"type": "list", "member": {"shape": "Strings"}},
    "FlatNamed": {"type": "list", "member": {"shape": "S", "locationName": "Item"}, "flattened": True},
    "FlatPairs": {"type": "list", "member": {"shape": "Pair"}, "flattened": True},
    "Map": {"type": "map", "key": {"shape": "S"}, "value": {"shape": "S"}},
    "NamedMap": {
        "type": "map", "key": {"shape": "S", "locationName": "Name"}, "value": {"shape": "Pair", "locationName": "Val"},
    },
    "FlatMap": {
        "type": "map", "key": {"shape": "S", "locationName": "K"}, "value": {"shape": "Strings", "locationName": "V"},
        "flattened": True,
    },
    "Pair": {"type": "structure", "members": {"Name": {"shape": "S"}, "Count": {"shape": "I", "locationName": "N"}}},
    "Node": {"type": "structure", "members": {"Child": {"shape": "Node"}, "Value": {"shape": "S"}}},
}

# The members of the ``Everything`` structure both tests use, one per shape above.
MEMBERS: dict = {
    "Str": {"shape": "S"},
    "Other": {"shape": "S", "locationName": "OtherName"},
    "Int": {"shape": "I"},
    "Long": {"shape": "L"},
    "Double": {"shape": "D"},
    "Bool": {"shape": "B"},
    "Blob": {"shape": "Blob"},
    "Time": {"shape": "T"},
    "UnixTime": {"shape": "TUnix"},
    "Strings": {"shape": "Strings"},
    "Things": {"shape": "Renamed"},
    "Lists": {"shape": "Lists"},
    "Items": {"shape": "FlatNamed"},
    "Map": {"shape": "Map"},
    "NamedMap": {"shape": "NamedMap"},
    "FlatMap": {"shape": "FlatMap"},
    "Pair": {"shape": "Pair"},
    "Node": {"shape": "Node"},
}
