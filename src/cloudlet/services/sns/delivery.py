"""Delivering one published message to every subscription that wants it.

- **sqs**: ``SendMessage`` on the queue through ``runtime.call`` before Publish answers, so
  an acknowledged Publish is in its queues (each SendMessage commits).  A queue that
  refuses (deleted, ...) is a client-side error: the message goes to the subscription's
  dead-letter queue if it has one, as in AWS.
- **http/https**: a real POST, signed; the attempt is written to ``http_pending`` first
  and retried per the delivery policy by the scheduler (no polling), then dead-lettered.
- **lambda**: an event on the bus topic ``sns:lambda-delivery`` (the Lambda service
  invokes the function), and the attempt kept in the outbox.
- **email, email-json, sms, application, firehose**: kept in the outbox, read by tests at
  ``GET /_cloudlet/sns/messages``.
"""

from __future__ import annotations

import base64
import json
import logging
import uuid
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from cloudlet.context import RequestContext
from cloudlet.protocol.errors import ServiceError
from cloudlet.services import PROVIDERS
from cloudlet.services.sns import envelope
from cloudlet.services.sns.common import base_url, iso_millis
from cloudlet.services.sns.filter_policy import (
    MESSAGE_ATTRIBUTES,
    MESSAGE_BODY,
    FilterPolicy,
    FilterPolicyError,
)
from cloudlet.services.sns.http_client import DeliveryFailed, post
from cloudlet.services.sns.signing import SigningKey
from cloudlet.services.sns.state import SnsGlobalState, SnsState
from cloudlet.services.sns.subscriptions import queue_arn_parts
from cloudlet.services.sns.topics import effective_delivery_policy

log = logging.getLogger(__name__)

LAMBDA_TOPIC = "sns:lambda-delivery"
_ARN_MARK = "@@subscription-arn@@"
USER_AGENT = "Amazon Simple Notification Service Agent"


@dataclass
class Outgoing:
    """One published message on its way to the subscriptions."""

    topic: dict
    message_id: str
    text: str  # the Message parameter
    structure: dict[str, str] | None  # MessageStructure=json: protocol -> message
    subject: str | None
    attributes: dict[str, dict]
    timestamp: str
    base: str  # where subscribers reach Cloudlet (SigningCertURL, UnsubscribeURL)
    group_id: str | None = None
    dedup_id: str | None = None
    sequence: str | None = None
    request_id: str = ""
    lambda_events: list[dict] = field(default_factory=list)  # published on the bus once committed
    _signatures: dict = field(default_factory=dict)
    _documents: dict = field(default_factory=dict)

    def text_for(self, protocol: str) -> str:
        if self.structure is None:
            return self.text
        return self.structure.get(protocol, self.structure["default"])


@dataclass
class SqsSend:
    sub: dict
    body: str
    attributes: dict[str, dict] | None  # SQS message attributes (raw delivery only)


class DeliveryMixin:
    runtime: Any
    _state: Any
    _signing: SigningKey | None
    _cert_id: str
    _policies: dict

    # --- signing ---------------------------------------------------------------------------

    def _signing_key(self) -> tuple[SigningKey, str]:
        if self._signing is None:
            keys = SnsGlobalState(self.runtime.db).keys
            with self.runtime.db.transaction():
                stored = keys.get("signing")
                if stored is None:
                    key = SigningKey.generate()
                    stored = {**key.to_json(), "id": uuid.uuid4().hex, "serial": uuid.uuid4().int >> 64}
                    keys.put("signing", stored)
            self._signing = SigningKey.from_json(stored)
            self._cert_id = stored["id"]
            self._cert_serial = stored["serial"]
        return self._signing, self._cert_id

    def certificate(self) -> tuple[str, str]:
        key, cert_id = self._signing_key()
        return cert_id, key.certificate_pem(self._cert_serial)

    def _cert_url(self, base: str) -> str:
        _, cert_id = self._signing_key()
        return f"{base}/_cloudlet/sns/SimpleNotificationService-{cert_id}.pem"

    def _signed(self, fields: dict[str, str], version: str) -> dict[str, str]:
        """SignatureVersion, Signature and SigningCertURL for these fields."""
        key, _ = self._signing_key()
        digest = "sha256" if version == "2" else "sha1"
        signature = key.sign(envelope.string_to_sign(fields), digest)
        return {
            "SignatureVersion": version,
            "Signature": base64.b64encode(signature).decode(),
            "SigningCertURL": self._cert_url(fields["_base"]),
        }

    def _notification(self, message: Outgoing, protocol: str, sub_arn: str) -> dict[str, Any]:
        """The envelope fields of a Notification for one protocol (signed once per message text)."""
        text = message.text_for(protocol)
        topic = message.topic
        fields: dict[str, Any] = {
            "Type": "Notification",
            "MessageId": message.message_id,
            "SequenceNumber": message.sequence,
            "TopicArn": topic["arn"],
            "Subject": message.subject,
            "Message": text,
            "Timestamp": message.timestamp,
            "_base": message.base,
        }
        if not topic["fifo"]:
            signed = message._signatures.get(text)
            if signed is None:
                version = topic["attributes"].get("SignatureVersion", "1")
                signed = message._signatures[text] = self._signed(fields, version)
            fields.update(signed)
        fields["UnsubscribeURL"] = f"{message.base}/?Action=Unsubscribe&SubscriptionArn={sub_arn}"
        return fields

    def _rendered(self, message: Outgoing, protocol: str, sub_arn: str) -> str:
        """The notification document for one subscription.  Only the UnsubscribeURL differs between
        subscriptions, so the document is rendered once per message text and the ARN spliced in."""
        text = message.text_for(protocol)
        parts = message._documents.get(text)
        if parts is None:
            fields = self._notification(message, protocol, _ARN_MARK)
            document = self._document(fields, message.attributes)
            before, _, after = document.partition(_ARN_MARK)  # ARNs need no JSON escaping
            parts = message._documents[text] = (before, after)
        return parts[0] + sub_arn + parts[1]

    @staticmethod
    def _document(fields: dict[str, Any], attributes: dict | None) -> str:
        order = ("Type", "MessageId", "SequenceNumber", "Token", "TopicArn", "Subject", "Message",
                 "SubscribeURL", "Timestamp", "SignatureVersion", "Signature", "SigningCertURL", "UnsubscribeURL")
        return envelope.render([(name, fields.get(name)) for name in order], attributes)

    # --- filter policies ------------------------------------------------------------------------

    def _wants(self, sub: dict, message: Outgoing) -> bool:
        text = sub["attributes"].get("FilterPolicy")
        if not text or text.strip() in ("", "{}"):
            return True
        scope = sub["attributes"].get("FilterPolicyScope", MESSAGE_ATTRIBUTES)
        policy = self._policies.get((text, scope))
        if policy is None:
            try:
                policy = FilterPolicy.parse(text, scope)
            except FilterPolicyError:
                return False
            if len(self._policies) > 10000:
                self._policies.clear()
            self._policies[(text, scope)] = policy
        if scope == MESSAGE_BODY:
            return policy.matches_body(message.text_for(sub["protocol"]))
        return policy.matches_attributes(message.attributes)

    # --- fan-out ---------------------------------------------------------------------------------

    def _plan(self, state: SnsState, message: Outgoing) -> list[SqsSend]:
        """Inside the publish transaction: decide every delivery; the SQS ones are returned to send.

        HTTP deliveries are written to http_pending and the outbox records are written here,
        so they commit with the publish.
        """
        sends: list[SqsSend] = []
        topic = message.topic
        for _, sub in state.subscriptions.items(prefix=topic["name"] + ":"):
            if sub["pending"] or not self._wants(sub, message):
                continue
            protocol = sub["protocol"]
            raw = sub["attributes"].get("RawMessageDelivery") == "true"
            if protocol == "sqs":
                if raw:
                    sends.append(SqsSend(sub, message.text_for("sqs"), message.attributes))
                else:
                    sends.append(SqsSend(sub, self._rendered(message, "sqs", sub["arn"]), None))
            elif protocol in ("http", "https"):
                body = message.text_for(protocol) if raw else self._rendered(message, protocol, sub["arn"])
                self._queue_http(state, sub, "Notification", message.message_id, body, raw)
            elif protocol == "lambda":
                fields = self._notification(message, protocol, sub["arn"])
                record = envelope.lambda_record(fields, sub["arn"], message.attributes)
                self._keep(sub, message, {"event": {"Records": [record]}})
                message.lambda_events.append({
                    "function_arn": sub["endpoint"],
                    "subscription_arn": sub["arn"],
                    "topic_arn": topic["arn"],
                    "account": state.account,
                    "region": state.region,
                    "event": {"Records": [record]},
                })
            elif protocol == "email-json":
                fields = self._notification(message, protocol, sub["arn"])
                self._keep(sub, message, {"body": self._document(fields, message.attributes)})
            elif protocol == "email":
                unsubscribe = f"{message.base}/?Action=Unsubscribe&SubscriptionArn={sub['arn']}"
                self._keep(sub, message, {
                    "subject": message.subject or topic["attributes"].get("DisplayName") or "AWS Notification Message",
                    "body": message.text_for("email"),
                    "unsubscribe_url": unsubscribe,
                })
            elif protocol == "firehose":
                fields = self._notification(message, protocol, sub["arn"])
                body = message.text_for("firehose") if raw else self._document(fields, message.attributes)
                self._keep(sub, message, {"body": body})
            else:  # sms, application
                self._keep(sub, message, {"body": self._platform_text(message, sub)})
        return sends

    def _platform_text(self, message: Outgoing, sub: dict) -> str:
        if sub["protocol"] != "application" or message.structure is None:
            return message.text_for(sub["protocol"])
        # a push message names the platform (GCM, APNS, ...) of the endpoint's application
        platform = sub["endpoint"].split(":")[5].split("/")[1] if sub["endpoint"].count(":") >= 5 else ""
        return message.structure.get(platform, message.structure["default"])

    async def _send_all(self, sends: list[SqsSend], message: Outgoing) -> None:
        """SendMessage to each subscribed queue, in order; refused ones go to the DLQ.  Then the
        Lambda deliveries go on the bus, with the Lambda service loaded to hear them."""
        if message.lambda_events:
            if "lambda" in PROVIDERS:
                await self.runtime.provider("lambda")  # it subscribes to LAMBDA_TOPIC when it starts
            for event in message.lambda_events:
                self.runtime.bus.publish(LAMBDA_TOPIC, event)
        if not sends:
            return
        # One commit for the whole fan-out (all queues or none, and 10 commits cost more than one),
        # only while SendMessage is a synchronous handler: then no await below suspends, so no
        # other request's writes can enter this transaction.
        sqs = self.runtime.providers.get("sqs") or await self.runtime.provider("sqs")
        found = sqs.handler("SendMessage") if sqs is not None else None
        synchronous = found is not None and not found[1]
        if synchronous and hasattr(sqs, "send_internal"):
            # SQS's in-process path: what runtime.call answers for each, without building a request
            # context and dispatching per queue, and the messages written in one statement per table.
            with self.runtime.db.transaction():
                batch = [_sqs_params(send.sub["endpoint"], send.body, send.attributes, message) for send in sends]
                results = sqs.send_internal([(p.pop("_account"), p.pop("_region"), p) for p in batch])
                for send, result in zip(sends, results, strict=True):
                    if isinstance(result, ServiceError):
                        await self._dead_letter(send.sub, send.body, send.attributes, message, result.code,
                                                result.message)
                    elif isinstance(result, Exception):
                        log.error("delivery to %s failed", send.sub["endpoint"], exc_info=result)
                        await self._dead_letter(send.sub, send.body, send.attributes, message, "InternalError",
                                                str(result))
            return
        together = self.runtime.db.transaction() if synchronous else nullcontext()
        with together:
            for send in sends:
                params = _sqs_params(send.sub["endpoint"], send.body, send.attributes, message)
                try:
                    await self.runtime.call("sqs", "SendMessage", params, account=params.pop("_account"),
                                            region=params.pop("_region"))
                except ServiceError as e:
                    await self._dead_letter(send.sub, send.body, send.attributes, message, e.code, e.message)
                except Exception as e:  # the queue service failing must not lose the other deliveries
                    log.exception("delivery to %s failed", send.sub["endpoint"])
                    await self._dead_letter(send.sub, send.body, send.attributes, message, "InternalError", str(e))

    async def _dead_letter(
        self, sub: dict, body: str, attributes: dict | None, message: Outgoing | None, code: str, text: str,
        group_id: str | None = None, dedup_id: str | None = None,
    ) -> bool:
        """Send an undeliverable message to the subscription's DLQ; False if it has none (dropped)."""
        policy = sub["attributes"].get("RedrivePolicy")
        target = json.loads(policy).get("deadLetterTargetArn") if policy else None
        self._keep_failure(sub, code, text, message.message_id if message else "", bool(target))
        if not target:
            return False
        extra = {
            "ErrorCode": {"DataType": "String", "StringValue": code or "Unknown"},
            "ErrorMessage": {"DataType": "String", "StringValue": text or code or "Unknown"},
            "RequestID": {"DataType": "String", "StringValue": (message.request_id if message else "") or str(uuid.uuid4())},
            "TopicArn": {"DataType": "String", "StringValue": sub["topic_arn"]},
        }
        merged = {**(attributes or {}), **extra}
        params = _sqs_params(target, body, merged, message, group_id, dedup_id)
        try:
            await self.runtime.call("sqs", "SendMessage", params, account=params.pop("_account"),
                                    region=params.pop("_region"))
            return True
        except ServiceError as e:
            log.info("dead-letter queue %s refused a message: %s", target, e)
            return False

    # --- the outbox --------------------------------------------------------------------------------

    def _keep(self, sub: dict, message: Outgoing, content: dict) -> None:
        self._keep_record({
            "type": "Notification",
            "protocol": sub["protocol"],
            "endpoint": sub["endpoint"],
            "subscription_arn": sub["arn"],
            "topic_arn": sub["topic_arn"],
            "message_id": message.message_id,
            "message": message.text_for(sub["protocol"]),
            "subject": message.subject,
            "message_attributes": dict(envelope.attribute_entries(message.attributes)),
            "timestamp": message.timestamp,
            **content,
        })

    def _keep_record(self, record: dict) -> None:
        now = self.runtime.clock.now()
        record.setdefault("timestamp", iso_millis(now))
        key = f"{int(now * 1000):016d}-{uuid.uuid4().hex}"
        SnsGlobalState(self.runtime.db).outbox.put(key, record)

    def _keep_failure(self, sub: dict, code: str, text: str, message_id: str, dead_lettered: bool) -> None:
        with self.runtime.db.transaction():
            self._keep_record({
                "type": "DeliveryFailure",
                "protocol": sub["protocol"],
                "endpoint": sub["endpoint"],
                "subscription_arn": sub["arn"],
                "topic_arn": sub["topic_arn"],
                "message_id": message_id,
                "error_code": code,
                "error_message": text,
                "dead_lettered": dead_lettered,
            })

    # --- confirmations ------------------------------------------------------------------------------

    def _send_confirmation(self, ctx: RequestContext, state: SnsState, topic: dict, sub: dict) -> None:
        base = base_url(ctx, self.runtime.config.port)
        message = (
            f"You have chosen to subscribe to the topic {topic['arn']}.\n"
            "To confirm the subscription, visit the SubscribeURL included in this message."
        )
        url = self.subscribe_url(base, topic["arn"], sub["token"])  # type: ignore[attr-defined]
        fields = self._confirmation_fields("SubscriptionConfirmation", topic, sub["token"], message, url, base)
        if sub["protocol"] in ("http", "https"):
            self._queue_http(state, sub, "SubscriptionConfirmation", fields["MessageId"], self._document(fields, None), False)
        else:  # email, email-json: kept for tests, with the link a person would click
            self._keep_record({
                "type": "SubscriptionConfirmation",
                "protocol": sub["protocol"],
                "endpoint": sub["endpoint"],
                "subscription_arn": sub["arn"],
                "topic_arn": topic["arn"],
                "message_id": fields["MessageId"],
                "token": sub["token"],
                "subscribe_url": url,
                "message": message,
                "body": self._document(fields, None) if sub["protocol"] == "email-json" else message + "\n" + url,
            })

    def _send_unsubscribe_confirmation(self, ctx: RequestContext, state: SnsState, sub: dict) -> None:
        base = base_url(ctx, self.runtime.config.port)
        message = (
            f"You have chosen to deactivate subscription {sub['arn']}.\n"
            "To cancel this operation and restore the subscription, visit the SubscribeURL included in this message."
        )
        topic = {"arn": sub["topic_arn"], "attributes": {}}
        topic_state = state.topics.get(sub["topic_arn"].split(":")[5])
        if topic_state is not None:
            topic = topic_state
        token = sub.get("token") or ""
        url = self.subscribe_url(base, sub["topic_arn"], token)  # type: ignore[attr-defined]
        fields = self._confirmation_fields("UnsubscribeConfirmation", topic, token, message, url, base)
        self._queue_http(state, sub, "UnsubscribeConfirmation", fields["MessageId"], self._document(fields, None), False,
                         retry=False)

    def _confirmation_fields(
        self, kind: str, topic: dict, token: str, message: str, url: str, base: str
    ) -> dict[str, Any]:
        fields: dict[str, Any] = {
            "Type": kind,
            "MessageId": str(uuid.uuid4()),
            "Token": token,
            "TopicArn": topic["arn"],
            "Message": message,
            "SubscribeURL": url,
            "Timestamp": iso_millis(self.runtime.clock.now()),
            "_base": base,
        }
        fields.update(self._signed(fields, topic["attributes"].get("SignatureVersion", "1")))
        return fields

    # --- HTTP/S ------------------------------------------------------------------------------------

    def _http_policy(self, state: SnsState, sub: dict) -> dict:
        """The subscription's effective delivery policy: its own over the topic's over SNS's."""
        topic = state.topics.get(sub["topic_arn"].split(":")[5]) or {"attributes": {}}
        http = effective_delivery_policy(topic)["http"]
        own = sub["attributes"].get("DeliveryPolicy")
        out = {
            "healthyRetryPolicy": dict(http["defaultHealthyRetryPolicy"]),
            "requestPolicy": dict(http.get("defaultRequestPolicy", {})),
            "guaranteed": False,
        }
        if "defaultThrottlePolicy" in http:
            out["throttlePolicy"] = dict(http["defaultThrottlePolicy"])
        if own and not http.get("disableSubscriptionOverrides"):
            mine = json.loads(own)
            mine = mine.get("http", mine) if isinstance(mine, dict) else {}
            for key in ("healthyRetryPolicy", "requestPolicy", "throttlePolicy"):
                if isinstance(mine.get(key), dict):
                    out.setdefault(key, {}).update(mine[key])
        return out

    def _queue_http(
        self, state: SnsState, sub: dict, kind: str, message_id: str, body: str, raw: bool, retry: bool = True
    ) -> None:
        policy = self._http_policy(state, sub)
        headers = {
            "x-amz-sns-message-type": kind,
            "x-amz-sns-message-id": message_id,
            "x-amz-sns-topic-arn": sub["topic_arn"],
            "Content-Type": policy.get("requestPolicy", {}).get("headerContentType", "text/plain; charset=UTF-8"),
            "User-Agent": USER_AGENT,
        }
        if kind != "SubscriptionConfirmation":
            headers["x-amz-sns-subscription-arn"] = sub["arn"]
        if raw:
            headers["x-amz-sns-rawdelivery"] = "true"
        delivery_id = uuid.uuid4().hex
        record = {
            "url": sub["endpoint"],
            "headers": headers,
            "body": body,
            "attempt": 0,
            "delays": retry_delays(policy["healthyRetryPolicy"]) if retry else [],
            "subscription": sub,
            "message_id": message_id,
            "due": self.runtime.clock.now(),
        }
        state.http_pending.put(delivery_id, record)
        # runs after this transaction commits (the handler returns before the loop turns)
        self.runtime.scheduler.call_later(0, self._http_attempt, state.account, state.region, delivery_id)

    async def _http_attempt(self, account: str, region: str, delivery_id: str) -> None:
        state = self._state(account, region)
        record = state.http_pending.get(delivery_id)
        if record is None:
            return
        sub = record["subscription"]
        error: tuple[str, str] | None = None
        retryable = True
        try:
            status = await post(record["url"], record["headers"], record["body"].encode("utf-8"))
            if 200 <= status < 300:
                error = None
            else:
                error = (f"HTTP {status}", f"The endpoint answered with HTTP status {status}")
                retryable = status >= 500 or status == 429
        except DeliveryFailed as e:
            error = ("ConnectionError", str(e))
        except Exception as e:  # never let one endpoint break the scheduler
            log.exception("HTTP delivery to %s failed", record["url"])
            error = ("InternalError", str(e))
        attempt = record["attempt"]
        if error is None:
            with self.runtime.db.transaction():
                state.http_pending.delete(delivery_id)
            return
        if retryable and attempt < len(record["delays"]):
            record["attempt"] = attempt + 1
            record["due"] = self.runtime.clock.now() + record["delays"][attempt]
            with self.runtime.db.transaction():
                state.http_pending.put(delivery_id, record)
            self.runtime.scheduler.call_at(record["due"], self._http_attempt, account, region, delivery_id)
            return
        with self.runtime.db.transaction():
            state.http_pending.delete(delivery_id)
        if record["headers"].get("x-amz-sns-message-type") == "Notification":
            await self._dead_letter(sub, record["body"], None, None, error[0], error[1])

    def _resume_http(self) -> None:
        """After a restart: schedule every HTTP delivery that was not acknowledged yet."""
        for account, region in SnsState.scopes(self.runtime.db, "http_pending"):
            for delivery_id, record in self._state(account, region).http_pending.items():
                self.runtime.scheduler.call_at(record["due"], self._http_attempt, account, region, delivery_id)


def retry_delays(policy: dict) -> list[float]:
    """Seconds before each retry: immediate, pre-backoff, backoff (by function), post-backoff phases."""
    retries = int(policy.get("numRetries", 3))
    low = float(policy.get("minDelayTarget", 20))
    high = float(policy.get("maxDelayTarget", 20))
    immediate = int(policy.get("numNoDelayRetries", 0))
    pre = int(policy.get("numMinDelayRetries", 0))
    post_ = int(policy.get("numMaxDelayRetries", 0))
    backoff = max(0, retries - immediate - pre - post_)
    function = policy.get("backoffFunction", "linear")
    delays = [0.0] * immediate + [low] * pre
    for i in range(1, backoff + 1):
        share = i / backoff
        if function in ("linear", "arithmetic"):
            delays.append(low + (high - low) * share)
        elif function == "geometric":
            delays.append(low * (high / low) ** share if low > 0 else high * share)
        else:  # exponential: slow start, fast finish
            delays.append(low + (high - low) * (2 ** (share * 10) - 1) / (2 ** 10 - 1))
    delays += [high] * post_
    return delays[:retries]


def _sqs_params(
    queue_arn: str, body: str, attributes: dict | None, message: Outgoing | None,
    group_id: str | None = None, dedup_id: str | None = None,
) -> dict:
    region, account, name = queue_arn_parts(queue_arn) or ("", "", "")
    params: dict[str, Any] = {
        "QueueUrl": f"http://sqs.{region}.localhost.localstack.cloud:4566/{account}/{quote(name)}",
        "MessageBody": body,
        "_account": account,
        "_region": region,
    }
    if attributes:
        params["MessageAttributes"] = {
            key: {k: v for k, v in value.items() if k in ("DataType", "StringValue", "BinaryValue")}
            for key, value in attributes.items()
        }
    if name.endswith(".fifo"):
        group = group_id or (message.group_id if message else None)
        dedup = dedup_id or (message.dedup_id if message else None)
        if group:
            params["MessageGroupId"] = group
        if dedup:
            params["MessageDeduplicationId"] = dedup
    elif message is not None and message.group_id and not message.topic["fifo"]:
        params["MessageGroupId"] = message.group_id  # a standard topic forwards it to standard queues (fair queues)
    return params
