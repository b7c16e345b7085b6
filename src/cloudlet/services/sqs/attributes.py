"""Queue attributes: AWS's defaults, ranges and rules, and the JSON documents some of them hold."""

from __future__ import annotations

import json
import re
from typing import Any

from cloudlet.protocol.errors import ServiceError
from cloudlet.services.sqs import errors
from cloudlet.services.sqs.urls import parse_arn

# name -> (minimum, maximum) of the integer attributes
RANGES = {
    "DelaySeconds": (0, 900),
    "MaximumMessageSize": (1024, 1048576),
    "MessageRetentionPeriod": (60, 1209600),
    "ReceiveMessageWaitTimeSeconds": (0, 20),
    "VisibilityTimeout": (0, 43200),
    "KmsDataKeyReusePeriodSeconds": (60, 86400),
}
DEFAULTS = {
    "DelaySeconds": "0",
    "MaximumMessageSize": "1048576",
    "MessageRetentionPeriod": "345600",
    "ReceiveMessageWaitTimeSeconds": "0",
    "VisibilityTimeout": "30",
    "SqsManagedSseEnabled": "true",
}
FIFO_DEFAULTS = {
    "FifoQueue": "true",
    "ContentBasedDeduplication": "false",
    "DeduplicationScope": "queue",
    "FifoThroughputLimit": "perQueue",
}
BOOLEANS = ("SqsManagedSseEnabled", "ContentBasedDeduplication", "FifoQueue")
ENUMS = {"DeduplicationScope": ("messageGroup", "queue"), "FifoThroughputLimit": ("perQueue", "perMessageGroupId")}
# Attributes a client may set; the others are read-only and unknown to CreateQueue/SetQueueAttributes.
SETTABLE = (
    *RANGES, "Policy", "RedrivePolicy", "RedriveAllowPolicy", "KmsMasterKeyId", "SqsManagedSseEnabled",
    "FifoQueue", "ContentBasedDeduplication", "DeduplicationScope", "FifoThroughputLimit",
)
FIFO_ONLY = ("ContentBasedDeduplication", "DeduplicationScope", "FifoThroughputLimit")
COMPUTED = (
    "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible", "ApproximateNumberOfMessagesDelayed",
    "CreatedTimestamp", "LastModifiedTimestamp", "QueueArn",
)
ALL_NAMES = frozenset(("All", *SETTABLE, *COMPUTED))


def normalize(name: str, value: str, fifo: bool, creating: bool) -> str | None:
    """The value to store for one attribute a client set (None removes it); AWS's error if it is not valid."""
    if name not in SETTABLE:
        raise errors.invalid_attribute_name(f"Unknown Attribute {name}.")
    if name == "FifoQueue":
        wanted = value.lower() == "true"
        if not creating:
            if not fifo:
                raise errors.invalid_attribute_name(f"Unknown Attribute {name}.")
            raise errors.invalid_attribute_value(name, "Modifying queue type is not supported.")
        if value.lower() not in ("true", "false") or wanted != fifo:
            raise errors.invalid_attribute_value(name)
        return "true" if fifo else None
    if name in FIFO_ONLY and not fifo:
        if name == "ContentBasedDeduplication":
            raise errors.invalid_attribute_name(f"Unknown Attribute {name}.")
        raise errors.invalid_attribute_name(f"You can specify the {name} only when FifoQueue is set to true.")
    if name in RANGES:
        low, high = RANGES[name]
        if not re.fullmatch(r"-?\d{1,12}", value.strip()) or not low <= int(value) <= high:
            raise errors.invalid_attribute_value(name)
        return str(int(value))
    if name in BOOLEANS:
        if value.lower() not in ("true", "false"):
            raise errors.invalid_attribute_value(name)
        return value.lower()
    if name in ENUMS:
        if value not in ENUMS[name]:
            raise errors.invalid_attribute_value(name)
        return value
    if name == "Policy":
        if value == "":
            return None
        try:
            document = json.loads(value)
        except ValueError:
            raise errors.invalid_attribute_value(name)
        if not isinstance(document, dict):
            raise errors.invalid_attribute_value(name)
        return value
    if name in ("RedrivePolicy", "RedriveAllowPolicy"):
        return value or None  # checked as a whole by the provider (it needs other queues)
    if name == "KmsMasterKeyId":
        return value or None
    return value


def check_combination(attributes: dict[str, str], changed: dict[str, Any]) -> None:
    """Rules between attributes, checked on the result of a create or set."""
    if changed.get("KmsMasterKeyId") and changed.get("SqsManagedSseEnabled") == "true":
        raise errors.invalid_attribute_name(
            "You can use one type of server-side encryption (SSE) at one time. "
            "You can either enable KMS SSE or SQS SSE."
        )
    if (
        attributes.get("FifoThroughputLimit") == "perMessageGroupId"
        and attributes.get("DeduplicationScope", "queue") != "messageGroup"
    ):
        raise errors.invalid_attribute_value(
            "FifoThroughputLimit", "The perMessageGroupId value is allowed only when the value for "
            "DeduplicationScope is messageGroup."
        )


def apply(stored: dict[str, str], changes: dict[str, str | None]) -> None:
    """Write normalized changes into a queue's stored attributes, keeping the SSE options exclusive."""
    for name, value in changes.items():
        if value is None:
            stored.pop(name, None)
        else:
            stored[name] = value
    if changes.get("KmsMasterKeyId"):
        stored["SqsManagedSseEnabled"] = "false"
        stored.setdefault("KmsDataKeyReusePeriodSeconds", "300")
    elif changes.get("SqsManagedSseEnabled") == "true":
        stored.pop("KmsMasterKeyId", None)
        stored.pop("KmsDataKeyReusePeriodSeconds", None)


# --- redrive ---------------------------------------------------------------------------------


def _redrive_error(raw: str, reason: str) -> ServiceError:
    return errors.invalid_value("RedrivePolicy", raw, reason)


def parse_redrive_policy(raw: str) -> tuple[str, int]:
    """(deadLetterTargetArn, maxReceiveCount) of a RedrivePolicy document, checked as SQS checks it."""
    try:
        document = json.loads(raw)
    except ValueError:
        raise _redrive_error(raw, "Redrive policy is not a valid JSON map.")
    if not isinstance(document, dict):
        raise _redrive_error(raw, "Redrive policy is not a valid JSON map.")
    for key in ("deadLetterTargetArn", "maxReceiveCount"):
        if key not in document:
            raise _redrive_error(raw, f"Redrive policy does not contain mandatory attribute: {key}.")
    unknown = [key for key in document if key not in ("deadLetterTargetArn", "maxReceiveCount")]
    if unknown:
        raise _redrive_error(raw, "Only following attributes are supported: [deadLetterTargetArn, maxReceiveCount].")
    target = document["deadLetterTargetArn"]
    if not isinstance(target, str) or parse_arn(target) is None:
        raise _redrive_error(raw, "Invalid value for deadLetterTargetArn.")
    count = document["maxReceiveCount"]
    try:
        if isinstance(count, bool | float):
            raise ValueError(count)
        number = int(count)
    except (TypeError, ValueError):
        number = None
    if number is None or not 1 <= number <= 1000:
        raise _redrive_error(
            raw, f"Invalid value for maxReceiveCount: {count}, valid values are from 1 to 1000 both inclusive."
        )
    return target, number


def redrive_policy_text(target: str, count: int) -> str:
    """The RedrivePolicy as GetQueueAttributes shows it."""
    return json.dumps({"deadLetterTargetArn": target, "maxReceiveCount": count}, separators=(",", ":"))


def parse_redrive_allow_policy(raw: str) -> dict:
    def fail(reason: str) -> ServiceError:
        return errors.invalid_value("RedriveAllowPolicy", raw, reason)

    try:
        document = json.loads(raw)
    except ValueError:
        raise fail("Redrive allow policy is not a valid JSON map.")
    if not isinstance(document, dict):
        raise fail("Redrive allow policy is not a valid JSON map.")
    permission = document.get("redrivePermission")
    if permission not in ("allowAll", "denyAll", "byQueue"):
        raise fail("Invalid value for redrivePermission.")
    sources = document.get("sourceQueueArns")
    if permission == "byQueue":
        if not isinstance(sources, list) or not sources:
            raise fail("Invalid value for sourceQueueArns. You must specify at least one source queue ARN "
                       "when redrivePermission is byQueue.")
        if len(sources) > 10:
            raise fail("Invalid value for sourceQueueArns. You can specify up to 10 source queue ARNs.")
        if not all(isinstance(arn, str) and parse_arn(arn) for arn in sources):
            raise fail("Invalid value for sourceQueueArns.")
    elif sources is not None:
        raise fail("Invalid value for sourceQueueArns. You can specify sourceQueueArns only when "
                   "redrivePermission is byQueue.")
    return document


def allows_source(allow_policy: str | None, source_arn: str) -> bool:
    """Whether a queue's RedriveAllowPolicy lets ``source_arn`` use it as its dead-letter queue."""
    if not allow_policy:
        return True
    document = json.loads(allow_policy)
    permission = document.get("redrivePermission")
    if permission == "denyAll":
        return False
    if permission == "byQueue":
        return source_arn in document.get("sourceQueueArns", [])
    return True


# --- permissions (AddPermission / RemovePermission write the Policy) ----------------------------


def add_permission(policy: str | None, arn: str, label: str, accounts: list[str], actions: list[str]) -> str:
    document = _policy_document(policy, arn)
    if any(statement.get("Sid") == label for statement in document["Statement"]):
        raise errors.invalid_value("Label", label, "Already exists.")
    principals = [f"arn:aws:iam::{account}:root" for account in accounts]
    names = [f"SQS:{action}" for action in actions]
    document["Statement"].append({
        "Sid": label,
        "Effect": "Allow",
        "Principal": {"AWS": principals[0] if len(principals) == 1 else principals},
        "Action": names[0] if len(names) == 1 else names,
        "Resource": arn,
    })
    return json.dumps(document, separators=(",", ":"))


def remove_permission(policy: str | None, arn: str, label: str) -> str | None:
    document = _policy_document(policy, arn)
    kept = [statement for statement in document["Statement"] if statement.get("Sid") != label]
    if len(kept) == len(document["Statement"]):
        raise errors.invalid_value("Label", label, "can't find label.")
    if not kept:
        return None
    document["Statement"] = kept
    return json.dumps(document, separators=(",", ":"))


def _policy_document(policy: str | None, arn: str) -> dict:
    if policy:
        try:
            document = json.loads(policy)
        except ValueError:
            document = None
        if isinstance(document, dict):
            if not isinstance(document.get("Statement"), list):
                statement = document.get("Statement")
                document["Statement"] = [statement] if isinstance(statement, dict) else []
            return document
    return {"Version": "2008-10-17", "Id": f"{arn}/SQSDefaultPolicy", "Statement": []}
