"""Buckets: create (naming and location rules), head, list, locate, delete."""

from __future__ import annotations

import base64
import binascii

from cloudlet.context import RequestContext
from cloudlet.protocol.errors import ServiceError
from cloudlet.services.s3 import errors
from cloudlet.services.s3.core import S3Core, http_date, owner
from cloudlet.services.s3.names import valid_bucket_name

REGIONS = frozenset({
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
    "af-south-1",
    "ap-east-1",
    "ap-east-2",
    "ap-south-1",
    "ap-south-2",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ap-southeast-5",
    "ap-southeast-6",
    "ap-southeast-7",
    "ca-central-1",
    "ca-west-1",
    "cn-north-1",
    "cn-northwest-1",
    "eu-central-1",
    "eu-central-2",
    "eu-north-1",
    "eu-south-1",
    "eu-south-2",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "il-central-1",
    "me-central-1",
    "me-south-1",
    "mx-central-1",
    "sa-east-1",
    "us-gov-east-1",
    "us-gov-west-1",
    "EU",
})
DEFAULT_PUBLIC_ACCESS_BLOCK = {
    "BlockPublicAcls": True,
    "IgnorePublicAcls": True,
    "BlockPublicPolicy": True,
    "RestrictPublicBuckets": True,
}


def _illegal_location(constraint: str | None) -> ServiceError:
    what = constraint or "unspecified"
    return ServiceError(
        "IllegalLocationConstraintException",
        f"The {what} location constraint is incompatible for the region specific endpoint this request was sent to.",
        400,
    )


def bucket_region(constraint: str | None) -> str:
    if not constraint:
        return "us-east-1"
    return "eu-west-1" if constraint == "EU" else constraint


class BucketOperations(S3Core):
    def create_bucket(self, ctx: RequestContext, params: dict) -> dict:
        name = params["Bucket"]
        if not valid_bucket_name(name):
            raise ServiceError("InvalidBucketName", "The specified bucket is not valid.", 400, BucketName=name)
        configuration = params.get("CreateBucketConfiguration") or {}
        constraint = configuration.get("LocationConstraint") or None
        if constraint is not None and constraint not in REGIONS:
            raise ServiceError(
                "InvalidLocationConstraint", "The specified location-constraint is not valid", 400,
                LocationConstraint=constraint,
            )
        if ctx.region == "us-east-1":
            if constraint == "us-east-1":
                raise ServiceError(
                    "InvalidLocationConstraint", "The specified location-constraint is not valid", 400,
                    LocationConstraint=constraint,
                )
        elif constraint is None or bucket_region(constraint) != ctx.region:
            raise _illegal_location(constraint)
        region = bucket_region(constraint)
        state = self.state()
        existing = state.buckets.get(name)
        if existing is not None:
            if existing["account"] != ctx.account:
                raise ServiceError(
                    "BucketAlreadyExists",
                    "The requested bucket name is not available. The bucket namespace is shared by all users of "
                    "the system. Please select a different name and try again.",
                    409, BucketName=name,
                )
            if existing["region"] == "us-east-1" and region == "us-east-1":
                # S3's legacy behaviour in North Virginia: re-creating your own bucket succeeds
                return {"Location": f"/{name}", "BucketArn": f"arn:aws:s3:::{name}"}
            raise ServiceError(
                "BucketAlreadyOwnedByYou",
                "Your previous request to create the named bucket succeeded and you already own it.",
                409, BucketName=name,
            )
        ownership = params.get("ObjectOwnership") or "BucketOwnerEnforced"
        acl = params.get("ACL")
        has_grants = any(params.get(g) for g in ("GrantFullControl", "GrantRead", "GrantReadACP", "GrantWrite",
                                                 "GrantWriteACP"))
        if ownership == "BucketOwnerEnforced" and ((acl and acl != "private") or has_grants):
            raise ServiceError(
                "InvalidBucketAclWithObjectOwnership",
                "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting", 400,
            )
        lock = bool(params.get("ObjectLockEnabledForBucket"))
        record = {
            "name": name,
            "account": ctx.account,
            "region": region,
            "constraint": constraint,
            "created": self.now(),
            "versioning": "Enabled" if lock else None,
            "lock": lock,
        }
        state.buckets.put(name, record)
        self.set_config(name, "ownership", {"Rules": [{"ObjectOwnership": ownership}]})
        self.set_config(name, "public-access-block", dict(DEFAULT_PUBLIC_ACCESS_BLOCK))
        self.set_config(name, "acl", {"canned": acl or "private", "grants": self.grants_from_headers(ctx, params)})
        if lock:
            self.set_config(name, "object-lock", {"ObjectLockEnabled": "Enabled"})
        location = f"/{name}" if region == "us-east-1" else f"http://{name}.s3.{region}.amazonaws.com/"
        return {"Location": location, "BucketArn": f"arn:aws:s3:::{name}"}

    def grants_from_headers(self, ctx: RequestContext, params: dict) -> list | None:
        """Overridden by the ACL part; buckets created with grant headers keep them."""
        return None

    def head_bucket(self, ctx: RequestContext, params: dict) -> dict:
        record = self.bucket(ctx, params["Bucket"])
        return {"BucketRegion": record["region"], "AccessPointAlias": False,
                "BucketArn": f"arn:aws:s3:::{record['name']}"}

    def get_bucket_location(self, ctx: RequestContext, params: dict) -> dict:
        record = self.bucket(ctx, params["Bucket"])
        return {"LocationConstraint": record.get("constraint")}

    def list_buckets(self, ctx: RequestContext, params: dict) -> dict:
        limit = params.get("MaxBuckets")
        if limit is not None and not 1 <= limit <= 10000:
            raise errors.invalid_argument(
                "Argument max-buckets must be an integer between 1 and 10000", "max-buckets", str(limit)
            )
        prefix = params.get("Prefix")
        region = params.get("BucketRegion")
        after = None
        token = params.get("ContinuationToken")
        if token:
            try:
                after = base64.urlsafe_b64decode(token.encode()).decode()
            except (binascii.Error, ValueError, UnicodeDecodeError):
                raise errors.invalid_argument("The continuation token provided is incorrect", "continuation-token",
                                              token)
        found = []
        next_token = None
        for name, record in self.state().buckets.items(prefix=prefix or None, after=after):
            if record["account"] != ctx.account or (region and record["region"] != region):
                continue
            if limit is not None and len(found) == limit:
                next_token = base64.urlsafe_b64encode(found[-1]["Name"].encode()).decode()
                break
            found.append({"Name": name, "CreationDate": http_date(record["created"]),
                          "BucketRegion": record["region"], "BucketArn": f"arn:aws:s3:::{name}"})
        out: dict = {"Buckets": found, "Owner": owner(ctx.account)}
        if prefix is not None:
            out["Prefix"] = prefix
        if next_token:
            out["ContinuationToken"] = next_token
        return out

    def delete_bucket(self, ctx: RequestContext, params: dict) -> dict:
        name = params["Bucket"]
        self.bucket(ctx, name)
        state = self.state()
        if next(iter(state.versions.items(prefix=f"{name}/", limit=1)), None):
            raise ServiceError("BucketNotEmpty", "The bucket you tried to delete is not empty", 409, BucketName=name)
        for key, upload in list(state.uploads.items(prefix=f"{name}/")):
            self.drop_upload(key, upload)
        for key in state.configs.keys(prefix=f"{name}/"):
            state.configs.delete(key)
        state.buckets.delete(name)
        self.forget_bucket(name)
        return {}

    def drop_upload(self, key: str, upload: dict) -> None:
        """Defined by the multipart part: remove an upload and its parts."""
        raise NotImplementedError

    def forget_bucket(self, name: str) -> None:
        """Hook for parts that keep per-bucket state in memory (lifecycle timers)."""
