"""A small index of every service's routing facts, so that routing loads no model.

The index (target prefixes, signing names, API versions, the protocols each
service speaks) is generated from botocore's models into ``service_index.json``
and shipped; a test checks that it matches the installed models.
Regenerate with ``python -m cloudlet.protocol.index``.
"""

from __future__ import annotations

import json
import os
from functools import cache

INDEX_PATH = os.path.join(os.path.dirname(__file__), "service_index.json")


def build_index() -> dict[str, dict]:
    from cloudlet.protocol.models import SERVICES, load_service

    index = {}
    for name in SERVICES:
        model = load_service(name)
        index[name] = {
            "protocols": model.protocols,
            "target_prefix": model.target_prefix,
            "signing_name": model.signing_name,
            "endpoint_prefix": model.endpoint_prefix,
            "api_version": model.api_version,
            "query_compatible": model.query_compatible,
        }
    return index


@cache
def service_index() -> dict[str, dict]:
    with open(INDEX_PATH, "rb") as f:
        return json.loads(f.read())


if __name__ == "__main__":
    with open(INDEX_PATH, "w") as out:
        json.dump(build_index(), out, indent=1, sort_keys=True)
        out.write("\n")
    print(f"wrote {INDEX_PATH}")
