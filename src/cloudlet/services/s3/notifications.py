"""Event notifications: the configuration (validated as S3 validates it) and delivery.

A committed change calls ``emit``; when a configuration of the bucket selects
the event, the S3 event document is built then (with the request's identity,
address and ids) and put on the bus.  The bus runs the delivery after the
write has committed and its answer is on its way: to SQS (SendMessage), SNS
(Publish) or Lambda (an asynchronous Invoke) with the same dicts a client would
send, through ``runtime.call``.  A destination whose service is not built yet
is accepted and its deliveries are dropped with a log line.
"""

from __future__ import annotations

import json
import logging
from typing import Any
from urllib.parse import quote_plus

from cloudlet.context import RequestContext
from cloudlet.protocol.errors import ServiceError
from cloudlet.protocol.rest_xml import host_id
from cloudlet.services.s3 import errors
from cloudlet.services.s3.objects import ObjectOperations

log = logging.getLogger(__name__)
TOPIC = "s3.notification"
EVENTS = frozenset({
    "s3:ObjectCreated:*", "s3:ObjectCreated:Put", "s3:ObjectCreated:Post", "s3:ObjectCreated:Copy",
    "s3:ObjectCreated:CompleteMultipartUpload", "s3:ObjectRemoved:*", "s3:ObjectRemoved:Delete",
    "s3:ObjectRemoved:DeleteMarkerCreated", "s3:ObjectRestore:*", "s3:ObjectRestore:Post",
    "s3:ObjectRestore:Completed", "s3:ObjectRestore:Delete", "s3:ReducedRedundancyLostObject",
    "s3:Replication:*", "s3:Replication:OperationFailedReplication", "s3:Replication:OperationNotTracked",
    "s3:Replication:OperationMissedThreshold", "s3:Replication:OperationReplicatedAfterThreshold",
    "s3:LifecycleExpiration:*", "s3:LifecycleExpiration:Delete", "s3:LifecycleExpiration:DeleteMarkerCreated",
    "s3:LifecycleTransition", "s3:IntelligentTiering", "s3:ObjectTagging:*", "s3:ObjectTagging:Put",
    "s3:ObjectTagging:Delete", "s3:ObjectAcl:Put",
})
KINDS = (("QueueConfigurations", "QueueArn", "sqs"), ("TopicConfigurations", "TopicArn", "sns"),
         ("LambdaFunctionConfigurations", "LambdaFunctionArn", "lambda"))
_VERSION_2_3 = ("LifecycleExpiration", "LifecycleTransition", "IntelligentTiering", "ObjectTagging", "ObjectAcl",
                "ObjectRestore:Delete")


def _selects(pattern: str, event: str) -> bool:
    """Does a configured event (``s3:ObjectCreated:*``) select an event name (``ObjectCreated:Put``)?"""
    name = pattern[3:] if pattern.startswith("s3:") else pattern
    if name.endswith(":*"):
        return event.startswith(name[:-1])
    return name == event


def _filters(configuration: dict) -> tuple[str, str]:
    prefix = suffix = ""
    for rule in ((configuration.get("Filter") or {}).get("Key") or {}).get("FilterRules") or []:
        if rule.get("Name", "").lower() == "prefix":
            prefix = rule.get("Value", "")
        elif rule.get("Name", "").lower() == "suffix":
            suffix = rule.get("Value", "")
    return prefix, suffix


def _events_overlap(a: str, b: str) -> bool:
    a, b = a[3:], b[3:]
    if a == b:
        return True
    return any(x.endswith(":*") and y.startswith(x[:-1]) for x, y in ((a, b), (b, a)))


def _overlap(a: dict, b: dict) -> bool:
    if not any(_events_overlap(x, y) for x in a.get("Events", []) for y in b.get("Events", [])):
        return False
    (pa, sa), (pb, sb) = _filters(a), _filters(b)
    prefixes = pa.startswith(pb) or pb.startswith(pa)
    suffixes = sa.endswith(sb) or sb.endswith(sa)
    return prefixes and suffixes


def validate(configuration: dict) -> list[tuple[str, dict]]:
    """Check events, filters and overlaps; returns (kind, configuration) for every destination."""
    found = []
    for kind, arn_member, _ in KINDS:
        for item in configuration.get(kind) or []:
            if not item.get(arn_member) or not item.get("Events"):
                raise errors.malformed_xml()
            for event in item["Events"]:
                if event not in EVENTS:
                    raise ServiceError("InvalidArgument", "The event is not supported for notifications", 400,
                                       ArgumentName=event, ArgumentValue=event)
            rules = ((item.get("Filter") or {}).get("Key") or {}).get("FilterRules") or []
            names = [r.get("Name", "").lower() for r in rules]
            for name in names:
                if name not in ("prefix", "suffix"):
                    raise errors.invalid_argument("filter rule name must be either prefix or suffix", "FilterRule",
                                                  name)
                if names.count(name) > 1:
                    raise errors.invalid_argument(f"Cannot specify more than one {name} rule in a filter.",
                                                  "FilterRule", name)
            found.append((kind, item))
    for i, (_, a) in enumerate(found):
        for _, b in found[i + 1:]:
            if _overlap(a, b):
                raise errors.invalid_argument("Configurations overlap. Configurations on the same bucket cannot "
                                              "share a common event type.", "Event", a["Events"][0])
    return found


class Notifications(ObjectOperations):
    async def put_bucket_notification_configuration(self, ctx: RequestContext, params: dict) -> dict:
        name = params["Bucket"]
        with self.runtime.db.transaction():
            bucket = self.bucket(ctx, name)
        configuration = params.get("NotificationConfiguration") or {}
        destinations = validate(configuration)
        for index, (kind, item) in enumerate(destinations):
            if not item.get("Id"):
                item["Id"] = f"{kind[:-14].lower()}-{index}-{ctx.request_id[:8]}"
        if not params.get("SkipDestinationValidation"):
            await self._check_destinations(bucket, destinations)
        with self.runtime.db.transaction():
            self.set_config(name, "notification", configuration or None)
        for kind, item in destinations:
            arn = item[dict((k, m) for k, m, _ in KINDS)[kind]]
            self._publish(bucket, kind, arn, json.dumps({
                "Service": "Amazon S3", "Event": "s3:TestEvent", "Time": _time(self.now()), "Bucket": name,
                "RequestId": ctx.request_id, "HostId": host_id(ctx.request_id),
            }, separators=(",", ":")))
        return {}

    def get_bucket_notification_configuration(self, ctx: RequestContext, params: dict) -> dict:
        name = params["Bucket"]
        self.bucket(ctx, name)
        return self.config(name, "notification") or {}

    async def _check_destinations(self, bucket: dict, destinations: list[tuple[str, dict]]) -> None:
        failures: dict[str, str] = {}
        for kind, item in destinations:
            if kind == "QueueConfigurations":
                arn = item["QueueArn"]
                problem = await self._missing(arn, "sqs", "GetQueueUrl", lambda p: {
                    "QueueName": p[5], "QueueOwnerAWSAccountId": p[4]}, "The destination queue does not exist")
            elif kind == "TopicConfigurations":
                arn = item["TopicArn"]
                problem = await self._missing(arn, "sns", "GetTopicAttributes", lambda p, a=arn: {"TopicArn": a},
                                              "The destination topic does not exist")
            else:
                arn = item["LambdaFunctionArn"]
                problem = await self._missing(arn, "lambda", "GetFunction", lambda p, a=arn: {"FunctionName": a},
                                              "The destination function does not exist")
            if problem:
                failures[arn] = problem
        if failures:
            fields = {}
            for number, (arn, problem) in enumerate(failures.items(), start=1):
                fields[f"ArgumentName{number}"] = arn
                fields[f"ArgumentValue{number}"] = problem
            raise ServiceError("InvalidArgument", "Unable to validate the following destination configurations", 400,
                               **fields)

    async def _missing(self, arn: str, service: str, operation: str, params: Any, problem: str) -> str | None:
        parts = arn.split(":")
        if len(parts) < 6 or parts[0] != "arn" or parts[2] != service:
            return problem
        try:
            await self.runtime.call(service, operation, params(parts), account=parts[4], region=parts[3])
        except ServiceError as error:
            if error.code == "NotImplemented":
                return None  # that service is not built yet: accepted, as S3 cannot check it either
            return problem
        return None

    # --- events ----------------------------------------------------------------------------

    def emit(self, ctx: RequestContext | None, bucket: dict, event: str, record: dict, **extra: Any) -> None:
        configuration = self.config(bucket, "notification")
        if not configuration:
            return
        key = record.get("key", "")
        for kind, arn_member, _ in KINDS:
            for item in configuration.get(kind) or []:
                prefix, suffix = _filters(item)
                if not key.startswith(prefix) or not key.endswith(suffix):
                    continue
                if not any(_selects(pattern, event) for pattern in item.get("Events", [])):
                    continue
                message = self._event(ctx, bucket, event, record, item.get("Id", ""))
                self._publish(bucket, kind, item[arn_member], json.dumps(message, separators=(",", ":")))

    def _event(self, ctx: RequestContext | None, bucket: dict, event: str, record: dict, config_id: str) -> dict:
        internal = ctx is None or event.startswith("Lifecycle") or event == "ObjectRestore:Completed"
        request_id = ctx.request_id if ctx is not None else _sequencer(record.get("seq", 0))
        obj: dict[str, Any] = {"key": quote_plus(record.get("key", ""), safe="/")}
        if not record.get("dm") and "size" in record and not event.startswith(("ObjectRemoved", "LifecycleExpiration")):
            obj["size"] = record["size"]
            obj["eTag"] = record["etag"].strip('"')
        if bucket.get("versioning") is not None:
            obj["versionId"] = record.get("vid")
        obj["sequencer"] = _sequencer(record.get("seq", 0))
        entry: dict[str, Any] = {
            "eventVersion": "2.3" if event.startswith(_VERSION_2_3) else "2.1",
            "eventSource": "aws:s3",
            "awsRegion": bucket["region"],
            "eventTime": _time(self.now()),
            "eventName": event,
            "userIdentity": {"principalId": "s3.amazonaws.com" if internal else f"AWS:{ctx.identity.user_id}"},
            "requestParameters": {"sourceIPAddress": "s3.amazonaws.com" if internal or ctx.request is None
                                  else (ctx.request.client or "127.0.0.1")},
            "responseElements": {"x-amz-request-id": request_id, "x-amz-id-2": host_id(request_id)},
            "s3": {
                "s3SchemaVersion": "1.0",
                "configurationId": config_id,
                "bucket": {"name": bucket["name"], "ownerIdentity": {"principalId": bucket["account"]},
                           "arn": f"arn:aws:s3:::{bucket['name']}"},
                "object": obj,
            },
        }
        if event.startswith("ObjectRestore") and record.get("restoring"):
            from cloudlet.protocol.timestamps import iso8601

            entry["glacierEventData"] = {"restoreEventData": {
                "lifecycleRestorationExpiryTime": iso8601(int(record["restoring"]["expires"])),
                "lifecycleRestoreStorageClass": record.get("class")}}
        return {"Records": [entry]}

    def _publish(self, bucket: dict, kind: str, arn: str, message: str) -> None:
        self.runtime.bus.publish(TOPIC, {"kind": kind, "arn": arn, "message": message})

    async def deliver(self, topic: str, delivery: dict) -> None:
        """The bus subscriber: one event to one destination, through the destination service."""
        arn = delivery["arn"]
        parts = arn.split(":")
        if len(parts) < 6:
            return
        region, account = parts[3], parts[4]
        kind = delivery["kind"]
        try:
            if kind == "QueueConfigurations":
                url = (await self.runtime.call("sqs", "GetQueueUrl", {"QueueName": parts[5],
                                                                      "QueueOwnerAWSAccountId": account},
                                               account=account, region=region))["QueueUrl"]
                await self.runtime.call("sqs", "SendMessage", {"QueueUrl": url, "MessageBody": delivery["message"]},
                                        account=account, region=region)
            elif kind == "TopicConfigurations":
                await self.runtime.call("sns", "Publish", {"TopicArn": arn, "Message": delivery["message"],
                                                           "Subject": "Amazon S3 Notification"},
                                        account=account, region=region)
            else:
                await self.runtime.call("lambda", "Invoke", {"FunctionName": arn, "InvocationType": "Event",
                                                             "Payload": delivery["message"].encode()},
                                        account=account, region=region)
        except ServiceError as error:
            log.info("S3 notification to %s not delivered: %s", arn, error)


def _sequencer(sequence: int) -> str:
    return f"{sequence:016X}"


def _time(epoch: float) -> str:
    from datetime import UTC, datetime

    moment = datetime.fromtimestamp(epoch, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
