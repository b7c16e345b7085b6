"""The JSON documents SNS delivers, written exactly as AWS writes them, and what gets signed.

AWS pretty-prints with two-space indents and ``" : "`` separators, message attributes one
per line in compact form:

    {
      "Type" : "Notification",
      "MessageId" : "...",
      ...
      "MessageAttributes" : {
        "store" : {"Type":"String","Value":"example_corp"}
      }
    }

FIFO topics leave out SignatureVersion, Signature and SigningCertURL and add the
SequenceNumber after the MessageId.
"""

from __future__ import annotations

import base64
import json
from typing import Any

NOTIFICATION_SIGNED = ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type")
CONFIRMATION_SIGNED = ("Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type")


def string_to_sign(fields: dict[str, str]) -> bytes:
    """The canonical string: name and value lines, in AWS's fixed order, for the fields present."""
    names = NOTIFICATION_SIGNED if fields.get("Type") == "Notification" else CONFIRMATION_SIGNED
    lines = []
    for name in names:
        value = fields.get(name)
        if value is not None:
            lines.append(f"{name}\n{value}\n")
    return "".join(lines).encode("utf-8")


def _text(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


def attribute_entries(attributes: dict[str, dict] | None) -> list[tuple[str, dict[str, str]]]:
    """Publish's message attributes as the envelope shows them: {"Type": ..., "Value": ...}."""
    out = []
    for name, attr in (attributes or {}).items():
        data_type = attr["DataType"]
        if "BinaryValue" in attr and attr.get("BinaryValue") is not None:
            raw = attr["BinaryValue"]
            value = base64.b64encode(raw if isinstance(raw, bytes) else str(raw).encode()).decode()
        else:
            value = attr.get("StringValue", "")
        out.append((name, {"Type": data_type, "Value": value}))
    return out


def render(fields: list[tuple[str, str]], attributes: dict[str, dict] | None = None) -> str:
    """The document: ``fields`` in order (None values left out), then the message attributes."""
    lines = [f"  {_text(name)} : {_text(value)}" for name, value in fields if value is not None]
    entries = attribute_entries(attributes)
    if entries:
        inner = ",\n".join(
            f"    {_text(name)} : {json.dumps(value, ensure_ascii=False, separators=(',', ':'))}"
            for name, value in entries
        )
        lines.append(f'  "MessageAttributes" : {{\n{inner}\n  }}')
    return "{\n" + ",\n".join(lines) + "\n}"


def lambda_record(fields: dict[str, Any], subscription_arn: str, attributes: dict[str, dict] | None) -> dict:
    """One record of the event SNS invokes a Lambda function with."""
    return {
        "EventVersion": "1.0",
        "EventSubscriptionArn": subscription_arn,
        "EventSource": "aws:sns",
        "Sns": {
            "Type": fields["Type"],
            "MessageId": fields["MessageId"],
            "TopicArn": fields["TopicArn"],
            "Subject": fields.get("Subject"),
            "Message": fields["Message"],
            "Timestamp": fields["Timestamp"],
            "SignatureVersion": fields.get("SignatureVersion"),
            "Signature": fields.get("Signature"),
            "SigningCertUrl": fields.get("SigningCertURL"),
            "UnsubscribeUrl": fields.get("UnsubscribeURL"),
            "MessageAttributes": dict(attribute_entries(attributes)),
        },
    }
