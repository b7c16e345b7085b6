"""Recording Cloudlet's real answers so the floor can replay them byte for byte.

    answers = record(endpoint, [
        ({"target": "DynamoDB_20120810.GetItem"}, lambda: ddb.get_item(...)),
        ({"method": "GET", "path_prefix": "/bench-bucket/"}, lambda: s3.get_object(...)),
    ])
    save(answers, path)          # then start the floor with CLOUDLET_FLOOR_ANSWERS=path

Each call runs once against Cloudlet; the raw response boto3 received becomes the
floor's fixed answer for requests that ``match`` (see bench/floor.py).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any


def record(client: Any, cases: list[tuple[dict, Callable[[], Any]]]) -> list[dict]:
    """Run each call with ``client`` (any boto3 client; all share the session's events) and keep its answer."""
    captured: list[dict] = []

    def keep(response_dict: dict, **_: Any) -> None:
        body = response_dict["body"]
        captured.append({
            "status": response_dict["status_code"],
            "headers": [[k, v] for k, v in response_dict["headers"].items()],
            "body": base64.b64encode(body if isinstance(body, bytes) else b"").decode(),
        })

    events = client.meta.events
    events.register("before-parse", keep)
    try:
        answers = []
        for match, call in cases:
            captured.clear()
            call()
            if not captured:
                raise RuntimeError(f"no response captured for {match}")
            answers.append({"match": match, **captured[-1]})
        return answers
    finally:
        events.unregister("before-parse", keep)


def save(answers: list[dict], path: str) -> None:
    with open(path, "w", encoding="utf-8") as f:
        json.dump(answers, f, indent=1)
