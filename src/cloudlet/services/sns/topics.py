"""Topics: create, attributes, tags, permissions, data protection policy, list, delete."""

from __future__ import annotations

import json
import re
from typing import Any

from cloudlet.context import RequestContext
from cloudlet.protocol.errors import ServiceError
from cloudlet.services.sns.common import invalid, not_found, page, topic_of
from cloudlet.services.sns.state import SnsState

_NAME = re.compile(r"[A-Za-z0-9_-]{1,256}")
_FIFO_NAME = re.compile(r"[A-Za-z0-9_-]{1,251}\.fifo")

MAX_TAGS = 50
DEDUP_SCOPES = ("Topic", "MessageGroup")

# Attributes SetTopicAttributes accepts (CreateTopic also takes FifoTopic).
_SETTABLE = {
    "DeliveryPolicy", "DisplayName", "Policy", "TracingConfig", "KmsMasterKeyId", "SignatureVersion",
    "ContentBasedDeduplication", "ArchivePolicy", "FifoThroughputScope", "DataProtectionPolicy",
    *(f"{protocol}{kind}" for protocol in ("Application", "HTTP", "Lambda", "SQS", "Firehose")
      for kind in ("SuccessFeedbackRoleArn", "SuccessFeedbackSampleRate", "FailureFeedbackRoleArn")),
}
_FIFO_ONLY = ("ContentBasedDeduplication", "ArchivePolicy", "FifoThroughputScope")

DEFAULT_HTTP_POLICY = {
    "defaultHealthyRetryPolicy": {
        "minDelayTarget": 20,
        "maxDelayTarget": 20,
        "numRetries": 3,
        "numMaxDelayRetries": 0,
        "numNoDelayRetries": 0,
        "numMinDelayRetries": 0,
        "backoffFunction": "linear",
    },
    "disableSubscriptionOverrides": False,
    "defaultRequestPolicy": {"headerContentType": "text/plain; charset=UTF-8"},
}


def default_policy(arn: str, account: str) -> str:
    return json.dumps({
        "Version": "2008-10-17",
        "Id": "__default_policy_ID",
        "Statement": [{
            "Sid": "__default_statement_ID",
            "Effect": "Allow",
            "Principal": {"AWS": "*"},
            "Action": [
                "SNS:GetTopicAttributes", "SNS:SetTopicAttributes", "SNS:AddPermission", "SNS:RemovePermission",
                "SNS:DeleteTopic", "SNS:Subscribe", "SNS:ListSubscriptionsByTopic", "SNS:Publish",
            ],
            "Resource": arn,
            "Condition": {"StringEquals": {"AWS:SourceOwner": account}},
        }],
    }, separators=(",", ":"))


def effective_delivery_policy(topic: dict) -> dict:
    """The topic's HTTP delivery policy merged over SNS's defaults."""
    merged = json.loads(json.dumps(DEFAULT_HTTP_POLICY))
    own = topic["attributes"].get("DeliveryPolicy")
    if own:
        http = json.loads(own).get("http", {})
        for key, value in http.items():
            if isinstance(value, dict) and isinstance(merged.get(key), dict):
                merged[key].update(value)
            else:
                merged[key] = value
    return {"http": merged}


def _check_json(name: str, value: str, prefix: str) -> Any:
    try:
        return json.loads(value)
    except (ValueError, RecursionError):
        raise invalid(f"{prefix}{name}: failed to parse JSON.")


def check_delivery_policy(value: str, prefix: str) -> None:
    """A DeliveryPolicy document: the retry policy's numbers within AWS's limits."""
    document = _check_json("DeliveryPolicy", value, prefix)
    if not isinstance(document, dict):
        raise invalid(f"{prefix}DeliveryPolicy: must be a JSON object")
    http = document.get("http", document)
    if not isinstance(http, dict):
        raise invalid(f"{prefix}DeliveryPolicy: http must be a JSON object")
    for key in ("defaultHealthyRetryPolicy", "healthyRetryPolicy"):
        policy = http.get(key)
        if policy is None:
            continue
        if not isinstance(policy, dict):
            raise invalid(f"{prefix}DeliveryPolicy: {key} must be a JSON object")
        check_retry_policy(policy, prefix)


def check_retry_policy(policy: dict, prefix: str) -> None:
    numbers = {k: policy.get(k, 0) for k in ("minDelayTarget", "maxDelayTarget", "numRetries",
                                              "numNoDelayRetries", "numMinDelayRetries", "numMaxDelayRetries")}
    for key, value in numbers.items():
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise invalid(f"{prefix}DeliveryPolicy: {key} must be a non-negative integer")
    if numbers["numRetries"] > 100:
        raise invalid(f"{prefix}DeliveryPolicy: numRetries must be at most 100")
    if "minDelayTarget" in policy and not 1 <= numbers["minDelayTarget"] <= 3600:
        raise invalid(f"{prefix}DeliveryPolicy: minDelayTarget must be between 1 and 3600")
    if "maxDelayTarget" in policy and not 1 <= numbers["maxDelayTarget"] <= 3600:
        raise invalid(f"{prefix}DeliveryPolicy: maxDelayTarget must be between 1 and 3600")
    if numbers["maxDelayTarget"] and numbers["minDelayTarget"] > numbers["maxDelayTarget"]:
        raise invalid(f"{prefix}DeliveryPolicy: maxDelayTarget must be greater than or equal to minDelayTarget")
    phases = numbers["numNoDelayRetries"] + numbers["numMinDelayRetries"] + numbers["numMaxDelayRetries"]
    if phases > numbers["numRetries"]:
        raise invalid(f"{prefix}DeliveryPolicy: numRetries must be at least the sum of the phase retries")
    backoff = policy.get("backoffFunction", "linear")
    if backoff not in ("linear", "arithmetic", "geometric", "exponential"):
        raise invalid(f"{prefix}DeliveryPolicy: backoffFunction must be one of linear, arithmetic, geometric, exponential")


class TopicsMixin:
    runtime: Any

    def _state(self, account: str, region: str) -> SnsState:
        return SnsState(self.runtime.db, account, region)

    def _topic(self, ctx: RequestContext, arn: str, what: str = "TopicArn") -> tuple[SnsState, dict]:
        account, region, name = topic_of(ctx, arn, what)
        state = self._state(account, region)
        topic = state.topics.get(name)
        if topic is None:
            raise not_found("Topic does not exist")
        return state, topic

    # --- CreateTopic ----------------------------------------------------------------------

    def create_topic(self, ctx: RequestContext, params: dict) -> dict:
        name = params["Name"]
        attributes = dict(params.get("Attributes") or {})
        tags = params.get("Tags") or []
        fifo_flag = attributes.get("FifoTopic", "false")
        fifo = fifo_flag.lower() == "true"
        if fifo_flag.lower() not in ("true", "false"):
            raise invalid("Invalid parameter: Attributes Reason: FifoTopic: Invalid value [" + fifo_flag + "]")
        if fifo:
            if not _FIFO_NAME.fullmatch(name):
                raise invalid(
                    "Fifo Topic names must end with .fifo and must be made up of only uppercase and lowercase "
                    "ASCII letters, numbers, underscores, and hyphens, and must be between 1 and 256 characters long."
                )
        elif not _NAME.fullmatch(name):
            raise invalid("Invalid parameter: Topic Name")
        attributes.pop("FifoTopic", None)
        for key, value in attributes.items():
            self._check_topic_attribute(key, value, fifo, "Invalid parameter: Attributes Reason: ")
        self._check_tags(tags)
        state = self._state(ctx.account, ctx.region)
        arn = ctx.arn(name)
        existing = state.topics.get(name)
        policy = params.get("DataProtectionPolicy")
        if policy is not None:
            _check_json("DataProtectionPolicy", policy, "Invalid parameter: ")
        if existing is not None:
            for key, value in attributes.items():
                if existing["attributes"].get(key, _default_attribute(key, existing, ctx.account)) != value:
                    raise invalid("Invalid parameter: Attributes Reason: Topic already exists with different attributes")
            current = dict(existing["tags"])
            if any(current.get(tag["Key"]) != tag["Value"] for tag in tags):
                raise invalid("Invalid parameter: Tags Reason: Topic already exists with different tags")
            return {"TopicArn": arn}
        topic = {
            "name": name,
            "arn": arn,
            "owner": ctx.account,
            "fifo": fifo,
            "attributes": attributes,
            "tags": [[tag["Key"], tag["Value"]] for tag in tags],
            "data_protection_policy": policy,
            "seq": 0,
            "deleted": 0,
        }
        state.topics.put(name, topic)
        return {"TopicArn": arn}

    def _check_topic_attribute(self, key: str, value: str, fifo: bool, prefix: str) -> None:
        if key not in _SETTABLE:
            raise invalid(f"{prefix}AttributeName" if prefix == "Invalid parameter: " else f"{prefix}Unknown attribute {key}")
        if key in _FIFO_ONLY and not fifo:
            if key == "ContentBasedDeduplication":
                raise invalid(
                    f"{prefix}ContentBasedDeduplication Reason: Content based deduplication can only be set for FIFO topics"
                )
            raise invalid(f"{prefix}{key} Reason: {key} can only be set for FIFO topics")
        if key == "ContentBasedDeduplication" and value.lower() not in ("true", "false"):
            raise invalid(f"{prefix}ContentBasedDeduplication: Invalid value [{value}]. Must be true or false.")
        if key == "SignatureVersion" and value not in ("1", "2"):
            raise invalid(f"{prefix}SignatureVersion: Invalid value [{value}]. Must be 1 or 2.")
        if key == "TracingConfig" and value not in ("PassThrough", "Active"):
            raise invalid(f"{prefix}TracingConfig: Invalid value [{value}]. Must be PassThrough or Active.")
        if key == "FifoThroughputScope" and value not in DEDUP_SCOPES:
            raise invalid(f"{prefix}FifoThroughputScope: Invalid value [{value}]. Must be Topic or MessageGroup.")
        if key == "DeliveryPolicy" and value:
            check_delivery_policy(value, prefix)
        if key in ("Policy", "DataProtectionPolicy", "ArchivePolicy") and value:
            document = _check_json(key, value, prefix)
            if not isinstance(document, dict):
                raise invalid(f"{prefix}{key}: must be a JSON object")
        if key == "DisplayName" and len(value) > 100:
            raise invalid(f"{prefix}DisplayName: must be at most 100 characters")

    # --- attributes -------------------------------------------------------------------------

    def get_topic_attributes(self, ctx: RequestContext, params: dict) -> dict:
        state, topic = self._topic(ctx, params["TopicArn"])
        return {"Attributes": self._topic_attributes(state, topic)}

    def _topic_attributes(self, state: SnsState, topic: dict) -> dict:
        counts = {"confirmed": 0, "pending": 0}
        for sub in state.subscriptions.values(prefix=topic["name"] + ":"):
            counts["pending" if sub["pending"] else "confirmed"] += 1
        out = {
            "Policy": default_policy(topic["arn"], topic["owner"]),
            "Owner": topic["owner"],
            "SubscriptionsPending": str(counts["pending"]),
            "TopicArn": topic["arn"],
            "EffectiveDeliveryPolicy": json.dumps(effective_delivery_policy(topic), separators=(",", ":")),
            "SubscriptionsConfirmed": str(counts["confirmed"]),
            "DisplayName": "",
            "SubscriptionsDeleted": str(topic.get("deleted", 0)),
        }
        if topic["fifo"]:
            out["FifoTopic"] = "true"
            out["ContentBasedDeduplication"] = "false"
        for key, value in topic["attributes"].items():
            if key == "DataProtectionPolicy":
                continue
            out[key] = value
        return out

    def set_topic_attributes(self, ctx: RequestContext, params: dict) -> dict:
        state, topic = self._topic(ctx, params["TopicArn"])
        name, value = params["AttributeName"], params.get("AttributeValue", "")
        self._check_topic_attribute(name, value, topic["fifo"], "Invalid parameter: ")
        if name == "ContentBasedDeduplication":
            value = value.lower()
        if name == "DataProtectionPolicy":
            topic["data_protection_policy"] = value or None
        elif value == "" and name in ("Policy", "DeliveryPolicy", "KmsMasterKeyId", "ArchivePolicy"):
            topic["attributes"].pop(name, None)
        else:
            topic["attributes"][name] = value
        state.topics.put(topic["name"], topic)
        return {}

    # --- list, delete -------------------------------------------------------------------------

    def list_topics(self, ctx: RequestContext, params: dict) -> dict:
        state = self._state(ctx.account, ctx.region)
        topics, token = page(state.topics.items(), params.get("NextToken"), lambda t: {"TopicArn": t["arn"]})
        out: dict = {"Topics": topics}
        if token:
            out["NextToken"] = token
        return out

    def delete_topic(self, ctx: RequestContext, params: dict) -> dict:
        account, region, name = topic_of(ctx, params["TopicArn"])
        state = self._state(account, region)
        if state.topics.get(name) is None:
            return {}  # deleting a topic that does not exist succeeds, as in AWS
        for key, sub in state.subscriptions.items(prefix=name + ":"):
            state.subscriptions.delete(key)
            if sub.get("token"):
                state.tokens.delete(sub["token"])
        for key, _ in state.dedup.items(prefix=name + "\0"):
            state.dedup.delete(key)
        for key, _ in state.dedup_expiry.items(prefix=name + "\0"):
            state.dedup_expiry.delete(key)
        state.topics.delete(name)
        return {}

    # --- tags -----------------------------------------------------------------------------------

    def _check_tags(self, tags: list[dict]) -> None:
        keys = [tag["Key"] for tag in tags]
        if len(set(keys)) != len(keys):
            raise invalid("Invalid parameter: Duplicated keys are not allowed.")
        if len(keys) > MAX_TAGS:
            raise ServiceError("TagLimitExceeded", "Could not complete request: tag quota of per resource exceeded", 400)

    def _tagged(self, ctx: RequestContext, arn: str) -> tuple[SnsState, dict]:
        parts = arn.split(":")
        if len(parts) != 6 or parts[0] != "arn" or parts[2] != "sns":
            raise invalid("Invalid parameter: ResourceArn")
        state = self._state(parts[4], parts[3])
        topic = state.topics.get(parts[5]) if parts[3] == ctx.region else None
        if topic is None:
            raise ServiceError("ResourceNotFound", "Resource does not exist", 404)
        return state, topic

    def tag_resource(self, ctx: RequestContext, params: dict) -> dict:
        state, topic = self._tagged(ctx, params["ResourceArn"])
        tags = params["Tags"]
        self._check_tags(tags)
        current = dict(topic["tags"])
        for tag in tags:
            current[tag["Key"]] = tag["Value"]
        if len(current) > MAX_TAGS:
            raise ServiceError("TagLimitExceeded", "Could not complete request: tag quota of per resource exceeded", 400)
        topic["tags"] = [[k, v] for k, v in current.items()]
        state.topics.put(topic["name"], topic)
        return {}

    def untag_resource(self, ctx: RequestContext, params: dict) -> dict:
        state, topic = self._tagged(ctx, params["ResourceArn"])
        gone = set(params["TagKeys"])
        topic["tags"] = [[k, v] for k, v in topic["tags"] if k not in gone]
        state.topics.put(topic["name"], topic)
        return {}

    def list_tags_for_resource(self, ctx: RequestContext, params: dict) -> dict:
        _, topic = self._tagged(ctx, params["ResourceArn"])
        return {"Tags": [{"Key": k, "Value": v} for k, v in topic["tags"]]}

    # --- permissions and data protection ----------------------------------------------------------

    def add_permission(self, ctx: RequestContext, params: dict) -> dict:
        state, topic = self._topic(ctx, params["TopicArn"])
        policy = json.loads(topic["attributes"].get("Policy") or default_policy(topic["arn"], topic["owner"]))
        label = params["Label"]
        if any(statement.get("Sid") == label for statement in policy.get("Statement", [])):
            raise invalid("Invalid parameter: Statement already exists")
        actions = params["ActionName"]
        allowed = {"GetTopicAttributes", "SetTopicAttributes", "AddPermission", "RemovePermission", "DeleteTopic",
                   "Subscribe", "ListSubscriptionsByTopic", "Publish", "Receive"}
        if any(action not in allowed and action != "*" for action in actions):
            raise invalid("Invalid parameter: Policy statement action out of service scope!")
        principals = [f"arn:aws:iam::{account}:root" for account in params["AWSAccountId"]]
        policy.setdefault("Statement", []).append({
            "Sid": label,
            "Effect": "Allow",
            "Principal": {"AWS": principals[0] if len(principals) == 1 else principals},
            "Action": [f"SNS:{a}" for a in actions] if len(actions) > 1 else f"SNS:{actions[0]}",
            "Resource": topic["arn"],
        })
        topic["attributes"]["Policy"] = json.dumps(policy, separators=(",", ":"))
        state.topics.put(topic["name"], topic)
        return {}

    def remove_permission(self, ctx: RequestContext, params: dict) -> dict:
        state, topic = self._topic(ctx, params["TopicArn"])
        policy = json.loads(topic["attributes"].get("Policy") or default_policy(topic["arn"], topic["owner"]))
        policy["Statement"] = [s for s in policy.get("Statement", []) if s.get("Sid") != params["Label"]]
        topic["attributes"]["Policy"] = json.dumps(policy, separators=(",", ":"))
        state.topics.put(topic["name"], topic)
        return {}

    def put_data_protection_policy(self, ctx: RequestContext, params: dict) -> dict:
        state, topic = self._topic(ctx, params["ResourceArn"], "ResourceArn")
        policy = params["DataProtectionPolicy"]
        if policy:
            document = _check_json("DataProtectionPolicy", policy, "Invalid parameter: ")
            if not isinstance(document, dict):
                raise invalid("Invalid parameter: DataProtectionPolicy: must be a JSON object")
        topic["data_protection_policy"] = policy or None
        state.topics.put(topic["name"], topic)
        return {}

    def get_data_protection_policy(self, ctx: RequestContext, params: dict) -> dict:
        _, topic = self._topic(ctx, params["ResourceArn"], "ResourceArn")
        policy = topic.get("data_protection_policy")
        return {"DataProtectionPolicy": policy} if policy else {}


def _default_attribute(key: str, topic: dict, account: str) -> str | None:
    if key == "Policy":
        return default_policy(topic["arn"], account)
    if key == "ContentBasedDeduplication" and topic["fifo"]:
        return "false"
    if key == "DisplayName":
        return ""
    return None
