"""Queue records: names, creation and comparison, and the attributes GetQueueAttributes shows."""

from __future__ import annotations

import re
import secrets

from cloudlet.services.sqs import attributes as attrs
from cloudlet.services.sqs import errors
from cloudlet.services.sqs.delivery import Delivery
from cloudlet.services.sqs.urls import queue_arn

_NAME = re.compile(r"^[A-Za-z0-9_-]{1,80}$")
NAME_RULE = "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length"
FIFO_NAME_RULE = (
    "The name of a FIFO queue can only include alphanumeric characters, hyphens, or underscores, "
    "must end with .fifo suffix and be 1 to 80 in length."
)


def check_name(name: str, fifo: bool) -> None:
    if fifo:
        if not name.endswith(".fifo") or len(name) > 80 or not _NAME.match(name[:-5]):
            raise errors.invalid_parameter(FIFO_NAME_RULE)
    elif not _NAME.match(name):
        raise errors.invalid_parameter(NAME_RULE)


def wants_fifo(requested: dict[str, str]) -> bool:
    return str(requested.get("FifoQueue", "")).lower() == "true"


def normalized_changes(requested: dict[str, str], fifo: bool, creating: bool) -> dict[str, str | None]:
    """The attributes a request sets, normalized, after SQS's checks of each one."""
    changes = {}
    for name, value in requested.items():
        changes[name] = attrs.normalize(name, value, fifo, creating)
    return changes


def new_record(name: str, account: str, region: str, fifo: bool, now: float) -> dict:
    stored = dict(attrs.DEFAULTS)
    if fifo:
        stored.update(attrs.FIFO_DEFAULTS)
    return {
        "id": secrets.token_hex(8),
        "name": name,
        "account": account,
        "region": region,
        "fifo": fifo,
        "created": int(now),
        "modified": int(now),
        "attributes": stored,
        "tags": {},
    }


def arn_of(queue: dict) -> str:
    return queue_arn(queue["region"], queue["account"], queue["name"])


def first_difference(queue: dict, changes: dict[str, str | None]) -> str | None:
    """The first attribute a CreateQueue of an existing name sets differently, if any."""
    stored = queue["attributes"]
    for name, value in changes.items():
        if name == "FifoQueue":
            if (value == "true") != queue["fifo"]:
                return name
            continue
        if stored.get(name) != value:
            return name
    return None


def int_attribute(queue: dict, name: str) -> int:
    return int(queue["attributes"].get(name, attrs.DEFAULTS.get(name, "0")))


def view(queue: dict, names: list[str], delivery: Delivery) -> dict[str, str]:
    """GetQueueAttributes: the named attributes (``All`` for every one) that the queue has."""
    for name in names:
        if name not in attrs.ALL_NAMES:
            raise errors.invalid_attribute_name(f"Unknown Attribute {name}.")
    everything = "All" in names
    wanted = set(names)
    out: dict[str, str] = {}

    def want(name: str) -> bool:
        return everything or name in wanted

    if want("QueueArn"):
        out["QueueArn"] = arn_of(queue)
    if any(want(n) for n in ("ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible",
                             "ApproximateNumberOfMessagesDelayed")):
        visible, in_flight, delayed = delivery.counts()
        for name, value in (("ApproximateNumberOfMessages", visible),
                            ("ApproximateNumberOfMessagesNotVisible", in_flight),
                            ("ApproximateNumberOfMessagesDelayed", delayed)):
            if want(name):
                out[name] = str(value)
    if want("CreatedTimestamp"):
        out["CreatedTimestamp"] = str(queue["created"])
    if want("LastModifiedTimestamp"):
        out["LastModifiedTimestamp"] = str(queue["modified"])
    for name, value in queue["attributes"].items():
        if want(name):
            out[name] = value
    return out
