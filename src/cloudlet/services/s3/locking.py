"""Object Lock: the bucket's configuration and default retention, per-version retention and legal
hold, and their enforcement when a version would be deleted for good."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from cloudlet.context import RequestContext
from cloudlet.protocol.errors import ServiceError
from cloudlet.protocol.timestamps import epoch, from_epoch
from cloudlet.services.s3 import errors
from cloudlet.services.s3.objects import OBJECT_LOCKED, ObjectOperations

MODES = ("GOVERNANCE", "COMPLIANCE")


def _no_lock_config(bucket: str) -> ServiceError:
    return errors.missing_config("ObjectLockConfigurationNotFoundError",
                                 "Object Lock configuration does not exist for this bucket", bucket)


def _bucket_without_lock() -> ServiceError:
    return errors.invalid_request("Bucket is missing Object Lock Configuration")


class Locking(ObjectOperations):
    def put_object_lock_configuration(self, ctx: RequestContext, params: dict) -> dict:
        name = params["Bucket"]
        bucket = self.bucket(ctx, name)
        configuration = params.get("ObjectLockConfiguration") or {}
        if configuration.get("ObjectLockEnabled") != "Enabled":
            raise errors.malformed_xml()
        if not bucket.get("lock"):
            if bucket.get("versioning") != "Enabled":
                raise ServiceError("InvalidBucketState", "Versioning must be 'Enabled' on the bucket to apply a Object "
                                   "Lock configuration", 409)
            bucket = dict(bucket, lock=True)
            self.state().buckets.put(name, bucket)
        rule = configuration.get("Rule")
        if rule is not None:
            retention = rule.get("DefaultRetention") or {}
            days, years = retention.get("Days"), retention.get("Years")
            if retention.get("Mode") not in MODES or (days is None) == (years is None):
                raise errors.malformed_xml()
            if (days if days is not None else years) <= 0:
                raise errors.invalid_argument("Default retention period must be a positive integer value",
                                              "Days" if days is not None else "Years",
                                              str(days if days is not None else years))
        self.set_config(name, "object-lock", configuration)
        return {}

    def get_object_lock_configuration(self, ctx: RequestContext, params: dict) -> dict:
        name = params["Bucket"]
        bucket = self.bucket(ctx, name)
        found = self.config(name, "object-lock")
        if not bucket.get("lock") or found is None:
            raise _no_lock_config(name)
        return {"ObjectLockConfiguration": found}

    def default_lock(self, bucket: dict, params: dict) -> dict | None:
        mode = params.get("ObjectLockMode")
        until = params.get("ObjectLockRetainUntilDate")
        hold = params.get("ObjectLockLegalHoldStatus")
        if (mode or until or hold) and not bucket.get("lock"):
            raise _bucket_without_lock()
        if (mode is None) != (until is None):
            raise errors.invalid_argument("x-amz-object-lock-retain-until-date and x-amz-object-lock-mode must both "
                                          "be supplied")
        lock: dict[str, Any] = {}
        if mode is not None:
            if mode not in MODES:
                raise errors.invalid_argument("Unknown wormMode directive.", "x-amz-object-lock-mode", mode)
            if epoch(until) <= self.now():
                raise errors.invalid_argument("The retain until date must be in the future!")
            lock = {"mode": mode, "until": epoch(until)}
        elif bucket.get("lock"):
            rule = ((self.config(bucket, "object-lock") or {}).get("Rule") or {}).get("DefaultRetention")
            if rule:
                days = rule.get("Days") or rule.get("Years", 0) * 365
                lock = {"mode": rule["Mode"], "until": int(self.now()) + days * 86400}
        if hold is not None:
            if hold not in ("ON", "OFF"):
                raise errors.invalid_argument("Unknown legal hold status.", "x-amz-object-lock-legal-hold", hold)
            lock["hold"] = hold
        return lock or None

    def check_delete_lock(self, ctx: RequestContext, record: dict, params: dict) -> None:
        lock = record.get("lock") or {}
        if lock.get("hold") == "ON":
            raise errors.access_denied(OBJECT_LOCKED)
        retained = lock.get("mode") and lock.get("until", 0) > self.now()
        if retained and (lock["mode"] == "COMPLIANCE" or not params.get("BypassGovernanceRetention")):
            raise errors.access_denied(OBJECT_LOCKED)

    # --- retention -------------------------------------------------------------------------

    def _locked_version(self, ctx: RequestContext, params: dict) -> tuple[dict, str, dict]:
        bucket = self.bucket(ctx, params["Bucket"])
        if not bucket.get("lock"):
            raise _bucket_without_lock()
        vkey, record = self.resolve(bucket, params["Key"], params.get("VersionId"), "GET")
        return bucket, vkey, record

    def put_object_retention(self, ctx: RequestContext, params: dict) -> dict:
        bucket, vkey, record = self._locked_version(ctx, params)
        retention = params.get("Retention") or {}
        mode, until = retention.get("Mode"), retention.get("RetainUntilDate")
        lock = dict(record.get("lock") or {})
        if mode is None and until is None:
            new: dict[str, Any] = {}
        else:
            if mode not in MODES or until is None:
                raise errors.malformed_xml()
            if epoch(until) <= self.now():
                raise errors.invalid_argument("The retain until date must be in the future!")
            new = {"mode": mode, "until": epoch(until)}
        current_until = lock.get("until", 0)
        if lock.get("mode") and current_until > self.now():
            shortening = not new or new["until"] < current_until or new["mode"] != lock["mode"]
            if shortening and (lock["mode"] == "COMPLIANCE" or not params.get("BypassGovernanceRetention")):
                raise errors.access_denied()
        lock.pop("mode", None)
        lock.pop("until", None)
        lock.update(new)
        self.update_version(bucket, params["Key"], vkey, dict(record, lock=lock))
        return {}

    def get_object_retention(self, ctx: RequestContext, params: dict) -> dict:
        _, _, record = self._locked_version(ctx, params)
        lock = record.get("lock") or {}
        if not lock.get("mode"):
            raise ServiceError("NoSuchObjectLockConfiguration", "The specified object does not have a ObjectLock "
                               "configuration", 404)
        return {"Retention": {"Mode": lock["mode"], "RetainUntilDate": from_epoch(lock["until"])}}

    def put_object_legal_hold(self, ctx: RequestContext, params: dict) -> dict:
        bucket, vkey, record = self._locked_version(ctx, params)
        status = (params.get("LegalHold") or {}).get("Status")
        if status not in ("ON", "OFF"):
            raise errors.malformed_xml()
        lock = dict(record.get("lock") or {}, hold=status)
        self.update_version(bucket, params["Key"], vkey, dict(record, lock=lock))
        return {}

    def get_object_legal_hold(self, ctx: RequestContext, params: dict) -> dict:
        _, _, record = self._locked_version(ctx, params)
        hold = (record.get("lock") or {}).get("hold")
        if hold is None:
            raise ServiceError("NoSuchObjectLockConfiguration", "The specified object does not have a ObjectLock "
                               "configuration", 404)
        return {"LegalHold": {"Status": hold}}


def retain_until(days: int) -> datetime:
    return datetime.now(UTC) + timedelta(days=days)
