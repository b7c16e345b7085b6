"""Lifecycle configurations, validated as S3 does and executed by Cloudlet's clock.

S3 applies lifecycle rules once a day: an object becomes due at the first
midnight UTC at least ``Days`` after its creation (a noncurrent version,
after it became noncurrent; an upload, after it was initiated).  Cloudlet
runs the rules at every midnight of its clock, so moving the clock past a due
date expires objects, removes noncurrent versions and expired delete
markers, transitions storage classes and aborts stale uploads, with the
``LifecycleExpiration`` events S3 sends.
"""

from __future__ import annotations

import base64
import logging
import math
import uuid
from datetime import UTC, datetime
from typing import Any

from cloudlet.context import RequestContext
from cloudlet.engine.scheduler import Timer
from cloudlet.protocol.timestamps import epoch, from_epoch, http_date
from cloudlet.services.s3 import errors
from cloudlet.services.s3.configs import check_body_digest
from cloudlet.services.s3.multipart import Multipart

log = logging.getLogger(__name__)
DAY = 86400
DEFAULT_MINIMUM_SIZE = "all_storage_classes_128K"


def due(start: float, days: int) -> float:
    """The first midnight UTC at least ``days`` after ``start``."""
    return math.ceil((start + days * DAY) / DAY) * DAY


def _positive(value: Any, message: str, name: str) -> None:
    if value is not None and value <= 0:
        raise errors.invalid_argument(message, name, str(value))


def _midnight(value: datetime) -> bool:
    value = value.astimezone(UTC)
    return value.hour == value.minute == value.second == value.microsecond == 0


def validate_rules(rules: list[dict]) -> None:
    if not rules or len(rules) > 1000:
        raise errors.malformed_xml()
    seen: set[str] = set()
    for rule in rules:
        if rule.get("Status") not in ("Enabled", "Disabled"):
            raise errors.malformed_xml()
        rule_id = rule.get("ID")
        if rule_id is not None:
            if len(rule_id) > 255:
                raise errors.invalid_argument("ID length should not exceed allowed limit of 255", "ID", rule_id)
            if rule_id in seen:
                raise errors.invalid_argument("Rule ID must be unique. Found same ID for more than one rule", "ID",
                                              rule_id)
            seen.add(rule_id)
        if "Prefix" in rule and "Filter" in rule:
            raise errors.malformed_xml()
        actions = ("Expiration", "Transitions", "NoncurrentVersionTransitions", "NoncurrentVersionExpiration",
                   "AbortIncompleteMultipartUpload")
        if not any(rule.get(a) for a in actions):
            raise errors.invalid_request("At least one action needs to be specified in a rule")
        expiration = rule.get("Expiration") or {}
        given = [k for k in ("Days", "Date", "ExpiredObjectDeleteMarker") if k in expiration]
        if "Expiration" in rule and len(given) != 1:
            raise errors.malformed_xml()
        _positive(expiration.get("Days"), "'Days' for Expiration action must be a positive integer", "Days")
        if expiration.get("Date") is not None and not _midnight(expiration["Date"]):
            raise errors.invalid_argument("'Date' must be at midnight GMT", "Date", str(expiration["Date"]))
        noncurrent = rule.get("NoncurrentVersionExpiration") or {}
        _positive(noncurrent.get("NoncurrentDays"),
                  "'NoncurrentDays' for NoncurrentVersionExpiration action must be a positive integer",
                  "NoncurrentDays")
        abort = rule.get("AbortIncompleteMultipartUpload") or {}
        _positive(abort.get("DaysAfterInitiation"),
                  "'DaysAfterInitiation' for AbortIncompleteMultipartUpload action must be a positive integer",
                  "DaysAfterInitiation")
        filter_ = rule.get("Filter") or {}
        if abort and (filter_.get("Tag") or (filter_.get("And") or {}).get("Tags")):
            raise errors.invalid_request("AbortIncompleteMultipartUpload cannot be specified with Tags.")
        if expiration.get("ExpiredObjectDeleteMarker") and (filter_.get("Tag") or (filter_.get("And") or {}).get(
                "Tags")):
            raise errors.invalid_request("ExpiredObjectDeleteMarker cannot be specified with Tags.")
        for transition in rule.get("Transitions") or []:
            if transition.get("Days") is not None and transition["Days"] < 0:
                raise errors.invalid_argument("'Days' in Transition action must be nonnegative", "Days",
                                              str(transition["Days"]))


def _storable(rule: dict) -> dict:
    """A rule as it is kept: dates as epoch seconds (the store holds JSON), an ID S3 makes up if none was given."""
    rule = dict(rule)
    if rule.get("ID") is None:
        rule["ID"] = base64.b64encode(str(uuid.uuid4()).encode()).decode()
    if isinstance((rule.get("Expiration") or {}).get("Date"), datetime):
        rule["Expiration"] = {**rule["Expiration"], "Date": epoch(rule["Expiration"]["Date"])}
    if rule.get("Transitions"):
        rule["Transitions"] = [{**t, "Date": epoch(t["Date"])} if isinstance(t.get("Date"), datetime) else t
                               for t in rule["Transitions"]]
    return rule


def _prefix(rule: dict) -> str:
    if "Prefix" in rule:
        return rule.get("Prefix") or ""
    filter_ = rule.get("Filter") or {}
    return filter_.get("Prefix") or (filter_.get("And") or {}).get("Prefix") or ""


def matches(rule: dict, key: str, record: dict) -> bool:
    """Does a rule's filter select this version (prefix, tags, sizes)?"""
    if not key.startswith(_prefix(rule)):
        return False
    filter_ = rule.get("Filter") or {}
    conditions = filter_.get("And") or filter_
    tags = list(conditions.get("Tags") or [])
    if filter_.get("Tag"):
        tags.append(filter_["Tag"])
    stored = record.get("tags") or {}
    if any(stored.get(t.get("Key")) != t.get("Value") for t in tags):
        return False
    size = record.get("size", 0)
    greater, less = conditions.get("ObjectSizeGreaterThan"), conditions.get("ObjectSizeLessThan")
    if greater is not None and not size > greater:
        return False
    return less is None or size < less


class Lifecycle(Multipart):
    _lifecycle_timer: Timer | None = None

    # --- configuration ---------------------------------------------------------------------

    def put_bucket_lifecycle_configuration(self, ctx: RequestContext, params: dict) -> dict:
        name = params["Bucket"]
        self.bucket(ctx, name)
        check_body_digest(ctx, params)
        rules = (params.get("LifecycleConfiguration") or {}).get("Rules") or []
        validate_rules(rules)
        minimum = params.get("TransitionDefaultMinimumObjectSize") or DEFAULT_MINIMUM_SIZE
        if minimum not in ("varies_by_storage_class", "all_storage_classes_128K"):
            raise errors.invalid_request("Invalid TransitionDefaultMinimumObjectSize")
        self.set_config(name, "lifecycle", {"Rules": [_storable(rule) for rule in rules],
                                            "TransitionDefaultMinimumObjectSize": minimum})
        self.arm_lifecycle()
        return {"TransitionDefaultMinimumObjectSize": minimum}

    def get_bucket_lifecycle_configuration(self, ctx: RequestContext, params: dict) -> dict:
        name = params["Bucket"]
        self.bucket(ctx, name)
        found = self.config(name, "lifecycle")
        if found is None:
            raise errors.missing_config("NoSuchLifecycleConfiguration", "The lifecycle configuration does not exist",
                                        name)
        return found

    def delete_bucket_lifecycle(self, ctx: RequestContext, params: dict) -> dict:
        self.bucket(ctx, params["Bucket"])
        self.set_config(params["Bucket"], "lifecycle", None)
        return {}

    # --- what clients see of the rules --------------------------------------------------------

    def expiration_header(self, bucket: dict, key: str, record: dict) -> str | None:
        """x-amz-expiration for a current version: when the first matching rule expires it."""
        configuration = self.config(bucket, "lifecycle")
        if not configuration:
            return None
        for rule in configuration["Rules"]:
            expiration = rule.get("Expiration") or {}
            if rule["Status"] != "Enabled" or not matches(rule, key, record):
                continue
            if expiration.get("Days"):
                when = due(record["mtime"], expiration["Days"])
            elif expiration.get("Date"):
                when = epoch(expiration["Date"])
            else:
                continue
            return f'expiry-date="{http_date(int(when))}", rule-id="{rule.get("ID", "")}"'
        return None

    def abort_rule(self, bucket: dict, key: str, initiated: float) -> tuple[Any, str] | None:
        configuration = self.config(bucket, "lifecycle")
        for rule in (configuration or {}).get("Rules", []):
            abort = rule.get("AbortIncompleteMultipartUpload") or {}
            if rule["Status"] == "Enabled" and abort.get("DaysAfterInitiation") and key.startswith(_prefix(rule)):
                return from_epoch(due(initiated, abort["DaysAfterInitiation"])), rule.get("ID", "")
        return None

    # --- execution ---------------------------------------------------------------------------

    def arm_lifecycle(self) -> None:
        """Run the rules at the next midnight UTC of Cloudlet's clock (one timer for every bucket)."""
        if self._lifecycle_timer is not None and not self._lifecycle_timer.cancelled:
            return
        midnight = (math.floor(self.now() / DAY) + 1) * DAY
        self._lifecycle_timer = self.runtime.scheduler.call_at(midnight, self._run_lifecycle)

    def _run_lifecycle(self) -> None:
        self._lifecycle_timer = None
        try:
            with self.runtime.db.transaction():
                found = self.apply_lifecycle(self.now())
        except Exception:
            log.exception("S3 lifecycle run failed")
            found = True
        if found:
            self.arm_lifecycle()

    def apply_lifecycle(self, now: float) -> bool:
        """Apply every bucket's enabled rules as of ``now``; False when no bucket has any."""
        state = self.state()
        configured = [(k[: -len("/lifecycle")], v) for k, v in state.configs.items() if k.endswith("/lifecycle")]
        for name, configuration in configured:
            bucket = state.buckets.get(name)
            if bucket is None:
                continue
            for rule in configuration["Rules"]:
                if rule["Status"] == "Enabled":
                    self._apply_rule(bucket, rule, now)
        return bool(configured)

    def _apply_rule(self, bucket: dict, rule: dict, now: float) -> None:
        state = self.state()
        name = bucket["name"]
        prefix = _prefix(rule)
        expiration = rule.get("Expiration") or {}
        limit = expiration.get("Date")
        if expiration.get("Days") or limit is not None:
            for okey, record in list(state.objects.items(prefix=f"{name}/{prefix}")):
                key = okey[len(name) + 1:]
                if not matches(rule, key, record):
                    continue
                when = due(record["mtime"], expiration["Days"]) if expiration.get("Days") else epoch(limit)
                if when <= now:
                    self._expire_current(bucket, key)
        for transition in rule.get("Transitions") or []:
            for okey, record in list(state.objects.items(prefix=f"{name}/{prefix}")):
                key = okey[len(name) + 1:]
                if record.get("class") == transition.get("StorageClass") or not matches(rule, key, record):
                    continue
                if transition.get("Days") is not None:
                    when = due(record["mtime"], transition["Days"])
                elif transition.get("Date") is not None:
                    when = epoch(transition["Date"])
                else:
                    continue
                if when <= now:
                    vkey = f"{name}/{key}\0" + _sort(record)
                    self.update_version(bucket, key, vkey, dict(record, **{"class": transition["StorageClass"]}))
        noncurrent = rule.get("NoncurrentVersionExpiration") or {}
        if noncurrent.get("NoncurrentDays") or expiration.get("ExpiredObjectDeleteMarker"):
            self._sweep_versions(bucket, rule, prefix, now)
        abort = rule.get("AbortIncompleteMultipartUpload") or {}
        if abort.get("DaysAfterInitiation"):
            for ukey, upload in list(state.uploads.items(prefix=f"{name}/{prefix}")):
                if due(upload["initiated"], abort["DaysAfterInitiation"]) <= now:
                    self.drop_upload(ukey, upload)

    def _expire_current(self, bucket: dict, key: str) -> None:
        name = bucket["name"]
        if bucket.get("versioning") is None:
            found = self.find_version(name, key, "null")
            if found is not None:
                self.remove_version(bucket, key, found[0], found[1])
                self.emit(None, bucket, "LifecycleExpiration:Delete", found[1])
            return
        marker = self.write_version(bucket, key, {"dm": True, "mtime": int(self.now()), "owner": bucket["account"]})
        self.emit(None, bucket, "LifecycleExpiration:DeleteMarkerCreated", marker)

    def _sweep_versions(self, bucket: dict, rule: dict, prefix: str, now: float) -> None:
        state = self.state()
        name = bucket["name"]
        noncurrent = rule.get("NoncurrentVersionExpiration") or {}
        days = noncurrent.get("NoncurrentDays")
        keep = noncurrent.get("NewerNoncurrentVersions") or 0
        remove_markers = (rule.get("Expiration") or {}).get("ExpiredObjectDeleteMarker")
        by_key: dict[str, list[tuple[str, dict]]] = {}
        for vkey, record in state.versions.items(prefix=f"{name}/{prefix}"):
            key = vkey[len(name) + 1:].split("\0", 1)[0]
            by_key.setdefault(key, []).append((vkey, record))
        for key, versions in by_key.items():
            successor_time = None
            newer_noncurrent = 0
            for index, (vkey, record) in enumerate(versions):
                if index > 0 and days and not record.get("dm") and matches(rule, key, record):
                    if newer_noncurrent >= keep and successor_time is not None and due(successor_time, days) <= now:
                        self.remove_version(bucket, key, vkey, record)
                        self.emit(None, bucket, "LifecycleExpiration:Delete", record)
                        continue
                    newer_noncurrent += 1
                successor_time = record["mtime"]
            remaining = list(state.versions.items(prefix=f"{name}/{key}\0", limit=2))
            if remove_markers and len(remaining) == 1 and remaining[0][1].get("dm"):
                self.remove_version(bucket, key, remaining[0][0], remaining[0][1])
                self.emit(None, bucket, "LifecycleExpiration:Delete", remaining[0][1])


def _sort(record: dict) -> str:
    from cloudlet.services.s3.state import sort_of

    return sort_of(record["seq"])

