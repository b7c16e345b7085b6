"""Subscriptions: subscribe, confirm, attributes (filter policies, raw delivery, DLQs), list, unsubscribe."""

from __future__ import annotations

import json
import re
import secrets
import uuid
from typing import Any
from urllib.parse import quote

from cloudlet.context import RequestContext
from cloudlet.services.sns.common import invalid, not_found, page, split_arn
from cloudlet.services.sns.filter_policy import (
    MESSAGE_ATTRIBUTES,
    MESSAGE_BODY,
    FilterPolicy,
    FilterPolicyError,
)
from cloudlet.services.sns.state import SnsState
from cloudlet.services.sns.topics import check_delivery_policy

PROTOCOLS = ("http", "https", "email", "email-json", "sms", "sqs", "application", "lambda", "firehose")
ATTRIBUTES = ("DeliveryPolicy", "FilterPolicy", "FilterPolicyScope", "RawMessageDelivery", "RedrivePolicy",
              "SubscriptionRoleArn", "ReplayPolicy")
RAW_PROTOCOLS = ("http", "https", "sqs", "firehose")
CONFIRMED_BY_ENDPOINT = ("http", "https", "email", "email-json")  # the others are confirmed at once
_E164 = re.compile(r"\+?[1-9]\d{1,14}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+")
TOKEN_LIFETIME = 3 * 86400  # AWS: a confirmation token is valid for three days


def _arn_parts(arn: str) -> list[str] | None:
    parts = arn.split(":")
    return parts if len(parts) >= 6 and parts[0] == "arn" else None


def queue_arn_parts(arn: str) -> tuple[str, str, str] | None:
    """(region, account, queue name) of an SQS queue ARN."""
    parts = arn.split(":")
    if len(parts) == 6 and parts[0] == "arn" and parts[2] == "sqs" and parts[5]:
        return parts[3], parts[4], parts[5]
    return None


def subscription_key(arn: str) -> tuple[str, str, str] | None:
    """(account, region, key) for a subscription ARN, or None if it is not one."""
    parts = arn.split(":")
    if len(parts) != 7 or parts[0] != "arn" or parts[2] != "sns":
        return None
    return parts[4], parts[3], f"{parts[5]}:{parts[6]}"


class SubscriptionsMixin:
    runtime: Any
    _state: Any
    _topic: Any

    # --- validation --------------------------------------------------------------------------

    def _check_endpoint(self, topic: dict, protocol: str, endpoint: str | None) -> None:
        if protocol not in PROTOCOLS:
            raise invalid(f"Invalid parameter: Amazon SNS does not support this protocol string: {protocol}")
        if topic["fifo"] and protocol != "sqs":
            raise invalid(f"Invalid parameter: Invalid protocol type: {protocol}")
        if not endpoint:
            raise invalid("Invalid parameter: Endpoint")
        if protocol in ("http", "https"):
            if not endpoint.lower().startswith(f"{protocol}://"):
                raise invalid("Invalid parameter: Endpoint must match the specified protocol")
        elif protocol == "sqs":
            if queue_arn_parts(endpoint) is None:
                raise invalid("Invalid parameter: SQS endpoint ARN")
            # A FIFO topic also delivers to standard queues (without group or deduplication ids)
            if endpoint.endswith(".fifo") and not topic["fifo"]:
                raise invalid(
                    "Invalid parameter: Invalid parameter: Endpoint Reason: "
                    "FIFO SQS Queues can not be subscribed to standard SNS topics"
                )
        elif protocol == "lambda":
            parts = _arn_parts(endpoint)
            if parts is None or parts[2] != "lambda":
                raise invalid("Invalid parameter: Lambda endpoint ARN")
        elif protocol == "application":
            parts = _arn_parts(endpoint)
            if parts is None or parts[2] != "sns" or not parts[5].startswith("endpoint/"):
                raise invalid("Invalid parameter: ApplicationEndpoint ARN")
        elif protocol == "firehose":
            parts = _arn_parts(endpoint)
            if parts is None or parts[2] != "firehose":
                raise invalid("Invalid parameter: Firehose endpoint ARN")
        elif protocol == "sms":
            if not _E164.fullmatch(endpoint):
                raise invalid(f"Invalid SMS endpoint: {endpoint}")
        elif protocol in ("email", "email-json") and not _EMAIL.fullmatch(endpoint):
            raise invalid("Invalid parameter: Email address")

    def _check_attribute(self, sub: dict, topic_fifo: bool, name: str, value: str, prefix: str) -> str:
        """A subscription attribute's value as stored, or AWS's error."""
        protocol = sub["protocol"]
        if name not in ATTRIBUTES:
            raise invalid(f"{prefix}AttributeName")
        if name == "RawMessageDelivery":
            if value.lower() not in ("true", "false"):
                raise invalid(f"{prefix}RawMessageDelivery: Invalid value [{value}]. Must be true or false.")
            if protocol not in RAW_PROTOCOLS:
                raise invalid(f"Invalid parameter: Delivery protocol [{protocol}] does not support raw message delivery.")
            return value.lower()
        if name == "FilterPolicyScope":
            if value not in (MESSAGE_ATTRIBUTES, MESSAGE_BODY):
                raise invalid(
                    f"{prefix}FilterPolicyScope: Invalid value [{value}]. Please use either MessageBody or MessageAttributes"
                )
            if sub["attributes"].get("FilterPolicy"):
                self._parse_filter(sub["attributes"]["FilterPolicy"], value, prefix)
            return value
        if name == "FilterPolicy":
            if value.strip() and value.strip() != "{}":
                scope = sub["attributes"].get("FilterPolicyScope", MESSAGE_ATTRIBUTES)
                self._parse_filter(value, scope, prefix)
            return value
        if name == "RedrivePolicy":
            if not value:
                return value
            try:
                document = json.loads(value)
            except (ValueError, RecursionError):
                raise invalid(f"{prefix}RedrivePolicy: failed to parse JSON.")
            target = document.get("deadLetterTargetArn") if isinstance(document, dict) else None
            if not isinstance(target, str) or queue_arn_parts(target) is None:
                raise invalid(f"{prefix}RedrivePolicy: deadLetterTargetArn is an invalid arn")
            if topic_fifo and not target.endswith(".fifo"):
                raise invalid(
                    f"{prefix}RedrivePolicy: must use a FIFO queue as DLQ for a FIFO Subscription to a FIFO Topic."
                )
            if not topic_fifo and target.endswith(".fifo"):
                raise invalid(f"{prefix}RedrivePolicy: must use a standard queue as DLQ for a standard topic.")
            return value
        if name == "DeliveryPolicy":
            if value:
                if protocol not in ("http", "https"):
                    raise invalid(f"{prefix}DeliveryPolicy: Delivery policy is only supported for HTTP/S subscriptions")
                check_delivery_policy(value, prefix)
            return value
        if name == "SubscriptionRoleArn":
            parts = _arn_parts(value)
            if parts is None or parts[2] != "iam":
                raise invalid(f"{prefix}SubscriptionRoleArn: invalid role ARN")
            return value
        # ReplayPolicy: accepted (archived-message replay is not implemented)
        if value:
            try:
                json.loads(value)
            except (ValueError, RecursionError):
                raise invalid(f"{prefix}{name}: failed to parse JSON.")
        return value

    def _parse_filter(self, text: str, scope: str, prefix: str) -> FilterPolicy:
        try:
            return FilterPolicy.parse(text, scope)
        except FilterPolicyError as e:
            raise invalid(f"{prefix}{e.message}" if e.nested_scope else f"{prefix}FilterPolicy: {e.message}")

    # --- Subscribe -------------------------------------------------------------------------------

    def subscribe(self, ctx: RequestContext, params: dict) -> dict:
        state, topic = self._topic(ctx, params["TopicArn"])
        protocol = params["Protocol"]
        endpoint = params.get("Endpoint")
        if protocol in PROTOCOLS and protocol in ("sqs", "lambda", "application", "firehose", "http", "https"):
            endpoint = endpoint.strip() if endpoint else endpoint
        self._check_endpoint(topic, protocol, endpoint)
        requested = params.get("Attributes") or {}
        prefix = "Invalid parameter: Attributes Reason: "
        probe = {"protocol": protocol, "attributes": {}}
        # FilterPolicyScope first: the policy is validated in its scope
        ordered = sorted(requested.items(), key=lambda item: item[0] != "FilterPolicyScope")
        attributes: dict[str, str] = {}
        for name, value in ordered:
            attributes[name] = self._check_attribute(probe, topic["fifo"], name, value, prefix)
            probe["attributes"] = attributes
        for _, existing in state.subscriptions.items(prefix=topic["name"] + ":"):
            if existing["protocol"] == protocol and existing["endpoint"] == endpoint:
                for name, value in attributes.items():
                    if existing["attributes"].get(name, _defaults(name)) != value:
                        raise invalid("Invalid parameter: Attributes Reason: Subscription already exists with different attributes")
                if existing["pending"] and not params.get("ReturnSubscriptionArn"):
                    return {"SubscriptionArn": "pending confirmation"}
                return {"SubscriptionArn": existing["arn"]}
        sub_id = str(uuid.uuid4())
        arn = f"{topic['arn']}:{sub_id}"
        pending = protocol in CONFIRMED_BY_ENDPOINT
        sub = {
            "arn": arn,
            "topic_arn": topic["arn"],
            "protocol": protocol,
            "endpoint": endpoint,
            "owner": ctx.account,
            "principal": ctx.identity.arn,
            "pending": pending,
            "authenticated": not pending,
            "token": None,
            "attributes": attributes,
        }
        key = f"{topic['name']}:{sub_id}"
        if pending:
            sub["token"] = secrets.token_hex(144)  # AWS's tokens are 288 hexadecimal digits
            sub["token_expires"] = self.runtime.clock.now() + TOKEN_LIFETIME
            state.tokens.put(sub["token"], key)
        state.subscriptions.put(key, sub)
        if pending:
            self._send_confirmation(ctx, state, topic, sub)  # type: ignore[attr-defined]
            if not params.get("ReturnSubscriptionArn"):
                return {"SubscriptionArn": "pending confirmation"}
        return {"SubscriptionArn": arn}

    def subscribe_url(self, base: str, topic_arn: str, token: str) -> str:
        return f"{base}/?Action=ConfirmSubscription&TopicArn={quote(topic_arn, safe=':')}&Token={token}"

    # --- ConfirmSubscription ---------------------------------------------------------------------

    def confirm_subscription(self, ctx: RequestContext, params: dict) -> dict:
        # The SubscribeURL is visited without a signature: the topic ARN, not the caller, names
        # the account and region.
        parts = params["TopicArn"].split(":")
        if len(parts) != 6 or parts[0] != "arn" or parts[2] != "sns":
            raise invalid("Invalid parameter: Topic")
        state = self._state(parts[4], parts[3])
        topic = state.topics.get(parts[5])
        if topic is None:
            raise not_found("Topic does not exist")
        key = state.tokens.get(params["Token"])
        sub = state.subscriptions.get(key) if key else None
        if sub is None or sub["topic_arn"] != topic["arn"]:
            raise invalid("Invalid parameter: Token")
        if sub.get("token_expires", float("inf")) < self.runtime.clock.now() and sub["pending"]:
            raise invalid("Invalid parameter: Token")
        if sub["pending"]:
            sub["pending"] = False
            signed = ctx.request is not None and (
                "authorization" in ctx.request.headers or "X-Amz-Signature" in ctx.request.query_string
            )
            sub["authenticated"] = bool(signed and str(params.get("AuthenticateOnUnsubscribe", "false")).lower() == "true")
            state.subscriptions.put(key, sub)
        return {"SubscriptionArn": sub["arn"]}

    # --- attributes ------------------------------------------------------------------------------

    def _subscription(self, ctx: RequestContext, arn: str) -> tuple[SnsState, str, dict]:
        split_arn(arn, "SubscriptionArn")
        found = subscription_key(arn)
        if found is None:
            raise invalid("Invalid parameter: SubscriptionId")
        account, region, key = found
        if region != ctx.region:
            raise invalid("Invalid parameter: SubscriptionArn")
        state = self._state(account, region)
        sub = state.subscriptions.get(key)
        if sub is None:
            raise not_found("Subscription does not exist")
        return state, key, sub

    def get_subscription_attributes(self, ctx: RequestContext, params: dict) -> dict:
        state, _, sub = self._subscription(ctx, params["SubscriptionArn"])
        attributes = {
            "ConfirmationWasAuthenticated": "true" if sub["authenticated"] else "false",
            "PendingConfirmation": "true" if sub["pending"] else "false",
            "Owner": sub["owner"],
            "RawMessageDelivery": "false",
            "TopicArn": sub["topic_arn"],
            "Endpoint": sub["endpoint"],
            "Protocol": sub["protocol"],
            "SubscriptionPrincipal": sub.get("principal", f"arn:aws:iam::{sub['owner']}:root"),
            "SubscriptionArn": sub["arn"],
        }
        for name, value in sub["attributes"].items():
            if value != "" or name == "RawMessageDelivery":
                attributes[name] = value
        if attributes.get("FilterPolicy"):
            attributes.setdefault("FilterPolicyScope", MESSAGE_ATTRIBUTES)
        else:
            attributes.pop("FilterPolicy", None)
            attributes.pop("FilterPolicyScope", None)
        if sub["protocol"] in ("http", "https"):
            attributes["EffectiveDeliveryPolicy"] = json.dumps(
                self._http_policy(state, sub), separators=(",", ":")  # type: ignore[attr-defined]
            )
        return {"Attributes": attributes}

    def set_subscription_attributes(self, ctx: RequestContext, params: dict) -> dict:
        state, key, sub = self._subscription(ctx, params["SubscriptionArn"])
        name, value = params["AttributeName"], params.get("AttributeValue", "")
        topic = state.topics.get(key.split(":", 1)[0]) or {"fifo": False}
        stored = self._check_attribute(sub, topic["fifo"], name, value, "Invalid parameter: ")
        if stored == "" and name in ("FilterPolicy", "RedrivePolicy", "DeliveryPolicy"):
            sub["attributes"].pop(name, None)
        else:
            sub["attributes"][name] = stored
        state.subscriptions.put(key, sub)
        return {}

    # --- list, unsubscribe -------------------------------------------------------------------------

    @staticmethod
    def _listed(sub: dict) -> dict:
        return {
            "SubscriptionArn": "PendingConfirmation" if sub["pending"] else sub["arn"],
            "Owner": sub["owner"],
            "Protocol": sub["protocol"],
            "Endpoint": sub["endpoint"],
            "TopicArn": sub["topic_arn"],
        }

    def list_subscriptions(self, ctx: RequestContext, params: dict) -> dict:
        state = self._state(ctx.account, ctx.region)
        subs, token = page(state.subscriptions.items(), params.get("NextToken"), self._listed)
        out: dict = {"Subscriptions": subs}
        if token:
            out["NextToken"] = token
        return out

    def list_subscriptions_by_topic(self, ctx: RequestContext, params: dict) -> dict:
        state, topic = self._topic(ctx, params["TopicArn"])
        items = state.subscriptions.items(prefix=topic["name"] + ":")
        subs, token = page(items, params.get("NextToken"), self._listed)
        out: dict = {"Subscriptions": subs}
        if token:
            out["NextToken"] = token
        return out

    def unsubscribe(self, ctx: RequestContext, params: dict) -> dict:
        arn = params["SubscriptionArn"]
        split_arn(arn, "SubscriptionArn")
        found = subscription_key(arn)
        if found is None:
            raise invalid("Invalid parameter: SubscriptionId")
        account, region, key = found
        state = self._state(account, region)
        sub = state.subscriptions.get(key)
        if sub is None:
            return {}  # idempotent
        state.subscriptions.delete(key)
        if sub.get("token"):
            state.tokens.delete(sub["token"])
        topic = state.topics.get(key.split(":", 1)[0])
        if topic is not None:
            topic["deleted"] = topic.get("deleted", 0) + 1
            state.topics.put(topic["name"], topic)
        if sub["protocol"] in ("http", "https") and not sub["pending"]:
            self._send_unsubscribe_confirmation(ctx, state, sub)  # type: ignore[attr-defined]
        return {}


def _defaults(name: str) -> str | None:
    return {"RawMessageDelivery": "false", "FilterPolicyScope": MESSAGE_ATTRIBUTES}.get(name)
