"""Publish and PublishBatch: validation in SNS's words, FIFO ordering and deduplication, fan-out."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import re
import uuid
from contextlib import nullcontext
from typing import Any

from cloudlet.context import RequestContext
from cloudlet.protocol.errors import ServiceError
from cloudlet.services.sns.common import base_url, invalid, invalid_value, iso_millis, not_found, topic_of
from cloudlet.services.sns.delivery import Outgoing, SqsSend
from cloudlet.services.sns.state import SnsState

MAX_MESSAGE_BYTES = 256 * 1024  # message plus attributes, per message and per batch
MAX_BATCH = 10
DEDUP_WINDOW = 300.0  # seconds
_ATTRIBUTE_NAME = re.compile(r"[A-Za-z0-9_\-.]+")
_BATCH_ID = re.compile(r"[A-Za-z0-9_-]+")
_E164 = re.compile(r"\+?[1-9]\d{1,14}")


def _utf8_size(value: Any) -> int:
    if isinstance(value, bytes | bytearray):
        return len(value)
    return len(str(value).encode("utf-8", "surrogatepass"))


def message_size(message: str, attributes: dict | None) -> int:
    """What counts toward the 256 KB limit: the message and every attribute's name, type and value."""
    size = _utf8_size(message)
    for name, attr in (attributes or {}).items():
        size += _utf8_size(name) + sum(_utf8_size(v) for k, v in attr.items() if v is not None)
    return size


def check_attributes(attributes: dict[str, dict], entry: int | None = None) -> None:
    """Message attributes, with SNS's errors (ParameterValueInvalid)."""
    for name, attr in attributes.items():
        if len(name) > 256:
            raise invalid_value("Length of message attribute name must be less than 256 bytes.")
        if name.startswith("."):
            raise invalid_value("Invalid message attribute name starting with character '.' was found.")
        if name.endswith("."):
            raise invalid_value("Invalid message attribute name ending with character '.' was found.")
        if not _ATTRIBUTE_NAME.fullmatch(name):
            bad = next(c for c in name if not _ATTRIBUTE_NAME.fullmatch(c))
            raise invalid_value(
                f"Invalid non-alphanumeric character '#x{ord(bad):X}' was found in the message attribute name. "
                "Can only include alphanumeric characters, hyphens, underscores, or dots."
            )
        if ".." in name:
            raise invalid_value("Message attribute name can not have successive '.' character.")
        data_type = attr.get("DataType")
        if data_type is None:
            at = (f"publishBatchRequestEntries.{entry}.member.messageAttributes.{name}.member.dataType"
                  if entry else f"messageAttributes.{name}.member.dataType")
            raise ServiceError(
                "ValidationError",
                f"1 validation error detected: Value null at '{at}' failed to satisfy constraint: Member must not be null",
                400,
            )
        base = data_type.split(".", 1)[0]
        if base not in ("String", "Number", "Binary") or (data_type != base and len(data_type) == len(base) + 1):
            raise invalid_value(
                f"The message attribute '{name}' has an invalid message attribute type, the set of supported "
                "type prefixes is Binary, Number, and String."
            )
        value_field = "BinaryValue" if base == "Binary" else "StringValue"
        if attr.get("StringValue") is None and attr.get("BinaryValue") is None:
            raise invalid_value(
                f"The message attribute '{name}' must contain non-empty message attribute value for message "
                f"attribute type '{data_type}'."
            )
        if attr.get(value_field) is None:
            raise invalid_value(
                f"The message attribute '{name}' with type '{data_type}' must use field '{value_field[:-5]}'."
            )
        value = attr[value_field]
        if value in ("", b""):
            raise invalid_value(
                f"The message attribute '{name}' must contain non-empty message attribute value for message "
                f"attribute type '{data_type}'."
            )
        if base == "Number":
            try:
                number = float(value)
            except ValueError:
                raise invalid_value(f"Could not cast message attribute '{name}' value to number.")
            if not -1e9 <= number <= 1e9 or number != number:
                raise invalid_value(
                    f"Value {value} for parameter MessageAttributes is invalid. Reason: Number value is out of range."
                )
        if data_type == "String.Array":
            try:
                items = json.loads(value)
            except (ValueError, RecursionError):
                items = None
            if not isinstance(items, list) or any(isinstance(i, dict | list) for i in items):
                raise invalid_value(
                    f"The message attribute '{name}' with type 'String.Array' must use field 'String'."
                    if items is None else
                    f"Invalid value [{value}] for message attribute '{name}' with type 'String.Array'."
                )


def check_subject(subject: str | None) -> None:
    if subject is None:
        return
    if (not subject or len(subject) >= 100 or not subject.isascii() or not subject.isprintable()
            or subject[0].isspace()):
        raise invalid("Invalid parameter: Subject")


def parse_structure(message: str, direct_to_endpoint: bool = False) -> dict[str, str]:
    try:
        document = json.loads(message)
    except (ValueError, RecursionError):
        raise invalid("Invalid parameter: Message Structure - JSON message body failed to parse")
    if not isinstance(document, dict):
        raise invalid("Invalid parameter: Message Structure - JSON message body failed to parse")
    # only simple string values count; others are ignored
    structure = {key: value for key, value in document.items() if isinstance(value, str)}
    if "default" not in structure and not direct_to_endpoint:
        raise invalid("Invalid parameter: Message Structure - No default entry in JSON message body")
    return structure


class PublishMixin:
    runtime: Any
    _state: Any
    _topic: Any
    _locks: dict[str, asyncio.Lock]

    def _message(self, ctx: RequestContext, topic: dict, entry: dict, message_id: str | None = None) -> Outgoing:
        structure = None
        if entry.get("MessageStructure") == "json":
            structure = parse_structure(entry["Message"])
        elif entry.get("MessageStructure") not in (None, ""):
            raise invalid("Invalid parameter: MessageStructure")
        return Outgoing(
            topic=topic,
            message_id=message_id or str(uuid.uuid4()),
            text=entry["Message"],
            structure=structure,
            subject=entry.get("Subject"),
            attributes=entry.get("MessageAttributes") or {},
            timestamp=iso_millis(self.runtime.clock.now()),
            base=base_url(ctx, self.runtime.config.port),
            group_id=entry.get("MessageGroupId"),
            dedup_id=entry.get("MessageDeduplicationId"),
            request_id=ctx.request_id,
        )

    @staticmethod
    def _check_entry(entry: dict, fifo: bool, index: int | None = None) -> None:
        if not entry.get("Message"):
            raise invalid("Invalid parameter: Empty message")
        check_subject(entry.get("Subject"))
        if entry.get("MessageAttributes"):
            check_attributes(entry["MessageAttributes"], index)
        if message_size(entry["Message"], entry.get("MessageAttributes")) > MAX_MESSAGE_BYTES:
            raise invalid("Invalid parameter: Message too long")
        if fifo:
            if not entry.get("MessageGroupId"):
                raise invalid("Invalid parameter: The MessageGroupId parameter is required for FIFO topics")
        elif entry.get("MessageDeduplicationId"):
            raise invalid(
                "Invalid parameter: MessageDeduplicationId Reason: The request includes MessageDeduplicationId "
                "parameter that is not valid for this topic type"
            )

    # --- FIFO ----------------------------------------------------------------------------------

    def _fifo_prepare(self, state: SnsState, topic: dict, message: Outgoing) -> tuple[str, dict | None]:
        """The dedup key, and the earlier publish it duplicates (within the window), if any."""
        if not message.dedup_id:
            if topic["attributes"].get("ContentBasedDeduplication", "false") != "true":
                raise invalid(
                    "Invalid parameter: The topic should either have ContentBasedDeduplication enabled or "
                    "MessageDeduplicationId provided explicitly"
                )
            message.dedup_id = hashlib.sha256(message.text.encode("utf-8", "surrogatepass")).hexdigest()
        scope = message.group_id if topic["attributes"].get("FifoThroughputScope") == "MessageGroup" else ""
        key = f"{topic['name']}\0{scope}\0{message.dedup_id}"
        now = self.runtime.clock.now()
        # forget what left the window (ordered by expiry: a short index walk)
        end = f"{topic['name']}\0{now:020.3f}"
        for expiry_key, dedup_key in state.dedup_expiry.items(f"{topic['name']}\0", end):
            state.dedup_expiry.delete(expiry_key)
            state.dedup.delete(dedup_key)
        earlier = state.dedup.get(key)
        if earlier is not None and earlier["expires"] > now:
            return key, earlier
        topic["seq"] = topic.get("seq", 0) + 1
        message.sequence = str(10**19 + topic["seq"] * 1000)
        state.topics.put(topic["name"], topic)
        return key, None

    def _fifo_remember(self, state: SnsState, topic: dict, key: str, message: Outgoing) -> None:
        expires = self.runtime.clock.now() + DEDUP_WINDOW
        with self.runtime.db.transaction():
            state.dedup.put(key, {"message_id": message.message_id, "sequence": message.sequence, "expires": expires})
            state.dedup_expiry.put(f"{topic['name']}\0{expires:020.3f}\0{key}", key)

    # --- Publish --------------------------------------------------------------------------------

    async def publish(self, ctx: RequestContext, params: dict) -> dict:
        topic_arn = params.get("TopicArn")
        target_arn = params.get("TargetArn")
        phone = params.get("PhoneNumber")
        if not (topic_arn or target_arn or phone):
            raise invalid("Invalid parameter: TopicArn or TargetArn Reason: no value for required parameter")
        if sum(1 for x in (topic_arn, target_arn, phone) if x) > 1:
            raise invalid(
                "Invalid parameter: TopicArn Reason: Only one of TopicArn, TargetArn or PhoneNumber can be specified"
                if topic_arn else
                "Invalid parameter: TargetArn Reason: Only one of TargetArn or PhoneNumber can be specified"
            )
        if phone is not None:
            return self._publish_sms(ctx, params)
        arn = topic_arn or target_arn
        if target_arn and ":endpoint/" in target_arn:
            return self._publish_to_endpoint(ctx, params)  # type: ignore[attr-defined]
        fifo = arn.endswith(".fifo")
        self._check_entry(params, fifo)
        account, region, name = topic_of(ctx, arn, "TopicArn" if topic_arn else "TargetArn")
        lock = self._locks.setdefault(arn, asyncio.Lock()) if fifo else nullcontext()
        async with lock:
            result, sends, message, dedup = self._publish_planned(ctx, account, region, name, params)
            if sends is None:  # a duplicate within the deduplication window
                return result
            await self._send_all(sends, message)  # type: ignore[attr-defined]
            if dedup is not None:
                self._fifo_remember(dedup[0], message.topic, dedup[1], message)
        return result

    def _publish_planned(
        self, ctx: RequestContext, account: str, region: str, name: str, entry: dict, message_id: str | None = None
    ) -> tuple[dict, list[SqsSend] | None, Outgoing, tuple[SnsState, str] | None]:
        """Inside one transaction: the topic, FIFO sequencing, and every delivery but the SQS sends."""
        with self.runtime.db.transaction():
            state = self._state(account, region)
            topic = state.topics.get(name)
            if topic is None:
                raise not_found("Topic does not exist")
            message = self._message(ctx, topic, entry, message_id)
            dedup = None
            if topic["fifo"]:
                key, earlier = self._fifo_prepare(state, topic, message)
                if earlier is not None:
                    return ({"MessageId": earlier["message_id"], "SequenceNumber": earlier["sequence"]},
                            None, message, None)
                dedup = (state, key)
            sends = self._plan(state, message)  # type: ignore[attr-defined]
        result = {"MessageId": message.message_id}
        if message.sequence:
            result["SequenceNumber"] = message.sequence
        return result, sends, message, dedup

    def _publish_sms(self, ctx: RequestContext, params: dict) -> dict:
        phone = params["PhoneNumber"]
        if not _E164.fullmatch(phone):
            raise invalid(f"Invalid parameter: PhoneNumber Reason: {phone} is not valid to publish to")
        if not params.get("Message"):
            raise invalid("Invalid parameter: Empty message")
        if params.get("MessageAttributes"):
            check_attributes(params["MessageAttributes"])
        text = params["Message"]
        if params.get("MessageStructure") == "json":
            text = parse_structure(text).get("sms") or parse_structure(text)["default"]
        message_id = str(uuid.uuid4())
        with self.runtime.db.transaction():
            self._keep_record({  # type: ignore[attr-defined]
                "type": "Notification",
                "protocol": "sms",
                "endpoint": phone,
                "account": ctx.account,
                "region": ctx.region,
                "message_id": message_id,
                "message": text,
                "body": text,
                "subject": params.get("Subject"),
                "message_attributes": {k: v.get("StringValue") for k, v in (params.get("MessageAttributes") or {}).items()},
            })
        return {"MessageId": message_id}

    # --- PublishBatch ------------------------------------------------------------------------------

    async def publish_batch(self, ctx: RequestContext, params: dict) -> dict:
        entries = params["PublishBatchRequestEntries"]
        arn = params["TopicArn"]
        account, region, name = topic_of(ctx, arn)
        if not entries:
            raise ServiceError("EmptyBatchRequest", "The batch request doesn't contain any entries.", 400)
        if len(entries) > MAX_BATCH:
            raise ServiceError(
                "TooManyEntriesInBatchRequest", "The batch request contains more entries than permissible.", 400
            )
        ids = [entry["Id"] for entry in entries]
        if len(set(ids)) != len(ids):
            raise ServiceError("BatchEntryIdsNotDistinct", "Two or more batch entries in the request have the same Id.", 400)
        for entry_id in ids:
            if len(entry_id) > 80:
                raise ServiceError(
                    "InvalidBatchEntryId", f"The Id of a batch entry in the batch request is too long: {entry_id}", 400
                )
            if not _BATCH_ID.fullmatch(entry_id):
                raise ServiceError(
                    "InvalidBatchEntryId",
                    f"The Id of a batch entry in the batch request contains an impermissible character: {entry_id}",
                    400,
                )
        with self.runtime.db.transaction():
            topic = self._state(account, region).topics.get(name)
        if topic is None:
            raise not_found("Topic does not exist")
        fifo = topic["fifo"]
        total = 0
        failed: list[dict] = []
        good: list[dict] = []
        for index, entry in enumerate(entries, start=1):
            if entry.get("MessageAttributes"):
                check_attributes(entry["MessageAttributes"], index)
            total += message_size(entry.get("Message", ""), entry.get("MessageAttributes"))
            try:
                self._check_entry(entry, fifo, index)
                if entry.get("MessageStructure") == "json":
                    parse_structure(entry["Message"])
            except ServiceError as e:
                if e.code != "InvalidParameter" or "MessageGroupId" in e.message or "Deduplication" in e.message:
                    raise  # AWS refuses the whole batch for these
                failed.append({"Id": entry["Id"], "Code": e.code, "Message": e.message, "SenderFault": True})
                continue
            good.append(entry)
        if total > MAX_MESSAGE_BYTES:
            raise ServiceError(
                "BatchRequestTooLong", "The length of all the messages put together is more than the limit.", 400
            )
        if fifo and topic["attributes"].get("ContentBasedDeduplication", "false") != "true" and any(
            not e.get("MessageDeduplicationId") for e in good
        ):
            raise invalid(
                "Invalid parameter: The topic should either have ContentBasedDeduplication enabled or "
                "MessageDeduplicationId provided explicitly"
            )
        successful: list[dict] = []
        lock = self._locks.setdefault(arn, asyncio.Lock()) if fifo else nullcontext()
        async with lock:
            for entry in good:
                result, sends, message, dedup = self._publish_planned(ctx, account, region, name, entry)
                if sends is not None:
                    await self._send_all(sends, message)  # type: ignore[attr-defined]
                    if dedup is not None:
                        self._fifo_remember(dedup[0], message.topic, dedup[1], message)
                successful.append({"Id": entry["Id"], **result})
        return {"Successful": successful, "Failed": failed}


def encode_binary(value: Any) -> str:
    return base64.b64encode(value if isinstance(value, bytes) else str(value).encode()).decode()
