"""Per-version subresources: object ACLs, and restores of archived (GLACIER, DEEP_ARCHIVE) objects.

A restore completes after the tier's delay in Cloudlet's clock (Expedited 5
minutes, Standard 4 hours, Bulk 12 hours): move the clock to see it done.
"""

from __future__ import annotations

from typing import Any

from cloudlet.context import RequestContext
from cloudlet.protocol.errors import ServiceError
from cloudlet.services.s3 import errors
from cloudlet.services.s3.attributes import ARCHIVED
from cloudlet.services.s3.configs import BucketConfigs, check_body_digest
from cloudlet.services.s3.objects import ObjectOperations

TIER_DELAYS = {"Expedited": 300, "Standard": 4 * 3600, "Bulk": 12 * 3600}


class ObjectSubresources(ObjectOperations, BucketConfigs):
    def get_object_acl(self, ctx: RequestContext, params: dict) -> dict:
        bucket = self.bucket(ctx, params["Bucket"])
        _, record = self.resolve(bucket, params["Key"], params.get("VersionId"), "GET")
        out = self._acl_output(record.get("acl_grants") or {"canned": record.get("acl") or "private"},
                               record.get("owner") or bucket["account"], bucket["account"])
        if self.versioned(bucket):
            out["VersionId"] = record["vid"]
        return out

    def put_object_acl(self, ctx: RequestContext, params: dict) -> dict:
        bucket = self.bucket(ctx, params["Bucket"])
        check_body_digest(ctx, params)
        key = params["Key"]
        vkey, record = self.resolve(bucket, key, params.get("VersionId"), "PUT")
        acl = self._acl_input(ctx, params, record.get("owner") or bucket["account"], bucket["account"])
        if self._owner_enforced(bucket["name"]) and not self._only_owner_control(acl, bucket["account"]):
            raise ServiceError("AccessControlListNotSupported", "The bucket does not allow ACLs", 400)
        self.update_version(bucket, key, vkey, dict(record, acl=acl.get("canned"), acl_grants=acl))
        return {"VersionId": record["vid"]} if self.versioned(bucket) else {}

    def restore_object(self, ctx: RequestContext, params: dict) -> dict:
        bucket = self.bucket(ctx, params["Bucket"])
        key = params["Key"]
        vkey, record = self.resolve(bucket, key, params.get("VersionId"), "POST")
        if record.get("class") not in ARCHIVED:
            raise ServiceError("InvalidObjectState", "Restore is not allowed for the object's current storage class",
                               403, StorageClass=record.get("class") or "STANDARD")
        request = params.get("RestoreRequest") or {}
        days = request.get("Days")
        if days is None or days < 1:
            raise errors.malformed_xml()
        tier = (request.get("GlacierJobParameters") or {}).get("Tier") or request.get("Tier") or "Standard"
        if tier not in TIER_DELAYS or (tier == "Expedited" and record.get("class") == "DEEP_ARCHIVE"):
            raise errors.invalid_argument("Invalid argument tier", "Tier", tier)
        now = self.now()
        restore = record.get("restoring")
        if restore and now < restore["ready"]:
            raise ServiceError("RestoreAlreadyInProgress", "Object restore is already in progress", 409)
        already = bool(restore)
        ready = restore["ready"] if already else now + TIER_DELAYS[tier]
        # the copy expires at midnight UTC after the given number of days from completion
        expires = (int(ready // 86400) + days + 1) * 86400
        record = dict(record, restoring={"ready": ready, "expires": expires}, restored_until=expires)
        record["restored_from"] = ready
        self.update_version(bucket, key, vkey, record)
        if not already:
            self.emit(ctx, bucket, "ObjectRestore:Post", record)
            self.runtime.scheduler.call_at(ready, self._restore_completed, bucket["name"], key, record["seq"])
        out: dict[str, Any] = {"StatusCode": 200 if already else 202}
        return out

    def _restore_completed(self, bucket_name: str, key: str, sequence: int) -> None:
        with self.runtime.db.transaction():
            bucket = self.state().buckets.get(bucket_name)
            if bucket is None:
                return
            found = None
            for vkey, record in self.state().versions.items(prefix=f"{bucket_name}/{key}\0"):
                if record.get("seq") == sequence:
                    found = (vkey, record)
            if found is not None:
                self.emit(None, bucket, "ObjectRestore:Completed", found[1])
