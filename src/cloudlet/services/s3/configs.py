"""Bucket configurations: versioning, CORS, policy, ACL, tagging, lifecycle, encryption, website,
ownership, public access block, object lock, accelerate, request payment, logging.

Each is validated as S3 validates it, stored whole in ``configs``, and given
back as stored.  What a configuration makes happen lives with its feature
(cors.py, website.py, lifecycle.py, notifications.py, locking.py).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from datetime import UTC, datetime
from fnmatch import fnmatchcase
from typing import Any

from cloudlet.context import RequestContext
from cloudlet.protocol.errors import ServiceError
from cloudlet.services.s3 import errors
from cloudlet.services.s3.core import S3Core, canonical_id

CORS_METHODS = ("GET", "PUT", "HEAD", "POST", "DELETE")
_PRINCIPAL_ARN = re.compile(r"arn:aws[a-z-]*:(iam|sts)::\d{12}:(root|(user|role|assumed-role|federated-user)/.+)")
_ACCOUNT_ID = re.compile(r"\d{12}")
_ACTION = re.compile(r"s3:[A-Za-z*?]+|\*")
DEFAULT_ENCRYPTION = {
    "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}, "BucketKeyEnabled": False}]
}
ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"
AUTHENTICATED_USERS = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"
LOG_DELIVERY = "http://acs.amazonaws.com/groups/s3/LogDelivery"
CANNED_ACLS = ("private", "public-read", "public-read-write", "authenticated-read", "aws-exec-read",
               "bucket-owner-read", "bucket-owner-full-control", "log-delivery-write")


def check_body_digest(ctx: RequestContext, params: dict) -> None:
    """A configuration body's Content-MD5, when sent, must match the body."""
    given = params.get("ContentMD5")
    if given is None or ctx.request is None:
        return
    actual = base64.b64encode(hashlib.md5(ctx.request.body).digest()).decode()
    if given != actual:
        try:
            valid = len(base64.b64decode(given, validate=True)) == 16
        except ValueError:
            valid = False
        if not valid:
            raise errors.invalid_digest(given)
        raise errors.bad_digest_md5(given, actual)


def _group(uri: str) -> dict:
    return {"Type": "Group", "URI": uri}


def canned_grants(acl: str, owner_account: str, bucket_owner: str | None = None) -> list[dict]:
    owner = {"Type": "CanonicalUser", "ID": canonical_id(owner_account)}
    grants = [{"Grantee": owner, "Permission": "FULL_CONTROL"}]
    if acl == "public-read":
        grants.append({"Grantee": _group(ALL_USERS), "Permission": "READ"})
    elif acl == "public-read-write":
        grants.append({"Grantee": _group(ALL_USERS), "Permission": "READ"})
        grants.append({"Grantee": _group(ALL_USERS), "Permission": "WRITE"})
    elif acl == "authenticated-read":
        grants.append({"Grantee": _group(AUTHENTICATED_USERS), "Permission": "READ"})
    elif acl == "log-delivery-write":
        grants.append({"Grantee": _group(LOG_DELIVERY), "Permission": "WRITE"})
        grants.append({"Grantee": _group(LOG_DELIVERY), "Permission": "READ_ACP"})
    elif acl in ("bucket-owner-read", "bucket-owner-full-control") and bucket_owner and bucket_owner != owner_account:
        permission = "READ" if acl == "bucket-owner-read" else "FULL_CONTROL"
        grants.append({"Grantee": {"Type": "CanonicalUser", "ID": canonical_id(bucket_owner)},
                       "Permission": permission})
    return grants


def _grants_from_headers(params: dict) -> list[dict]:
    found = []
    for member, permission in (("GrantFullControl", "FULL_CONTROL"), ("GrantRead", "READ"),
                               ("GrantReadACP", "READ_ACP"), ("GrantWrite", "WRITE"), ("GrantWriteACP", "WRITE_ACP")):
        text = params.get(member)
        if not text:
            continue
        for item in text.split(","):
            kind, _, value = item.strip().partition("=")
            value = value.strip().strip('"')
            if kind == "id":
                grantee = {"Type": "CanonicalUser", "ID": value}
            elif kind == "uri":
                grantee = {"Type": "Group", "URI": value}
            elif kind == "emailAddress":
                grantee = {"Type": "AmazonCustomerByEmail", "EmailAddress": value}
            else:
                raise errors.invalid_argument("Invalid id", member, text)
            found.append({"Grantee": grantee, "Permission": permission})
    return found


def is_public_policy(policy: dict) -> bool:
    for statement in policy.get("Statement") or []:
        if not isinstance(statement, dict) or statement.get("Effect") != "Allow" or statement.get("Condition"):
            continue
        principal = statement.get("Principal")
        if principal == "*" or (isinstance(principal, dict) and principal.get("AWS") in ("*", ["*"])):
            return True
    return False


def _midnight(value: Any) -> bool:
    if isinstance(value, datetime):
        value = value.astimezone(UTC)
        return value.hour == value.minute == value.second == value.microsecond == 0
    return True


class BucketConfigs(S3Core):
    def _owner_enforced(self, name: str) -> bool:
        controls = self.config(name, "ownership") or {}
        return (controls.get("Rules") or [{}])[0].get("ObjectOwnership") == "BucketOwnerEnforced"

    # --- versioning ----------------------------------------------------------------------

    def put_bucket_versioning(self, ctx: RequestContext, params: dict) -> dict:
        bucket = self.bucket(ctx, params["Bucket"])
        check_body_digest(ctx, params)
        configuration = params.get("VersioningConfiguration") or {}
        status = configuration.get("Status")
        if status not in ("Enabled", "Suspended"):
            raise errors.malformed_xml()
        if status == "Suspended" and bucket.get("lock"):
            raise ServiceError("InvalidBucketState", "An Object Lock configuration is present on this bucket, so the "
                               "versioning state cannot be changed.", 409)
        mfa = configuration.get("MFADelete")
        if mfa == "Enabled" and (ctx.request is None or not ctx.request.headers.get("x-amz-mfa")):
            raise errors.access_denied("Mfa Authentication must be used for this request")
        bucket = dict(bucket, versioning=status)
        if mfa:
            bucket["mfa_delete"] = mfa
        self.state().buckets.put(bucket["name"], bucket)
        return {}

    def get_bucket_versioning(self, ctx: RequestContext, params: dict) -> dict:
        bucket = self.bucket(ctx, params["Bucket"])
        out = {}
        if bucket.get("versioning"):
            out["Status"] = bucket["versioning"]
            if bucket.get("mfa_delete"):
                out["MFADelete"] = bucket["mfa_delete"]
        return out

    # --- CORS ------------------------------------------------------------------------------

    def put_bucket_cors(self, ctx: RequestContext, params: dict) -> dict:
        name = params["Bucket"]
        self.bucket(ctx, name)
        check_body_digest(ctx, params)
        rules = (params.get("CORSConfiguration") or {}).get("CORSRules") or []
        if not rules or len(rules) > 100:
            raise errors.malformed_xml()
        for rule in rules:
            if not rule.get("AllowedMethods") or not rule.get("AllowedOrigins"):
                raise errors.malformed_xml()
            for method in rule["AllowedMethods"]:
                if method not in CORS_METHODS:
                    raise errors.invalid_request(
                        f"Found unsupported HTTP method in CORS config. Unsupported method is {method}"
                    )
            for origin in rule["AllowedOrigins"]:
                if origin.count("*") > 1:
                    raise errors.invalid_request(
                        f'AllowedOrigin "{origin}" can not have more than one wildcard.'
                    )
            for header in rule.get("AllowedHeaders") or []:
                if header.count("*") > 1:
                    raise errors.invalid_request(f'AllowedHeader "{header}" can not have more than one wildcard.')
        self.set_config(name, "cors", {"CORSRules": rules})
        return {}

    def get_bucket_cors(self, ctx: RequestContext, params: dict) -> dict:
        name = params["Bucket"]
        self.bucket(ctx, name)
        found = self.config(name, "cors")
        if found is None:
            raise errors.missing_config("NoSuchCORSConfiguration", "The CORS configuration does not exist", name)
        return found

    def delete_bucket_cors(self, ctx: RequestContext, params: dict) -> dict:
        self.bucket(ctx, params["Bucket"])
        self.set_config(params["Bucket"], "cors", None)
        return {}

    # --- policy ----------------------------------------------------------------------------

    def put_bucket_policy(self, ctx: RequestContext, params: dict) -> dict:
        name = params["Bucket"]
        self.bucket(ctx, name)
        check_body_digest(ctx, params)
        text = params.get("Policy") or ""
        try:
            policy = json.loads(text)
        except ValueError:
            policy = None
        if not isinstance(policy, dict) or not text.lstrip().startswith("{"):
            raise ServiceError("MalformedPolicy", "Policies must be valid JSON and the first byte must be '{'", 400)
        statements = policy.get("Statement")
        if statements is None or (isinstance(statements, list) and not statements):
            raise ServiceError("MalformedPolicy", "Missing required field Statement", 400)
        if isinstance(statements, dict):
            statements = [statements]
        for statement in statements:
            if not isinstance(statement, dict) or statement.get("Effect") not in ("Allow", "Deny"):
                raise ServiceError("MalformedPolicy", "Invalid effect: " + str(
                    statement.get("Effect") if isinstance(statement, dict) else statement), 400)
            if "Principal" not in statement and "NotPrincipal" not in statement:
                raise ServiceError("MalformedPolicy", "Missing required field Principal", 400)
            if "Action" not in statement and "NotAction" not in statement:
                raise ServiceError("MalformedPolicy", "Missing required field Action", 400)
            if "Resource" not in statement and "NotResource" not in statement:
                raise ServiceError("MalformedPolicy", "Missing required field Resource", 400)
            _check_statement(statement, name)
        block = self.config(name, "public-access-block") or {}
        if block.get("BlockPublicPolicy") and is_public_policy(policy):
            raise errors.access_denied(
                f"User: {ctx.identity.arn} is not authorized to perform: s3:PutBucketPolicy on resource: "
                f'"arn:aws:s3:::{name}" because public policies are blocked by the BlockPublicPolicy block public '
                "access setting."
            )
        self.set_config(name, "policy", text)
        return {}

    def get_bucket_policy(self, ctx: RequestContext, params: dict) -> dict:
        name = params["Bucket"]
        self.bucket(ctx, name)
        text = self.config(name, "policy")
        if text is None:
            raise errors.missing_config("NoSuchBucketPolicy", "The bucket policy does not exist", name)
        return {"Policy": text}

    def delete_bucket_policy(self, ctx: RequestContext, params: dict) -> dict:
        self.bucket(ctx, params["Bucket"])
        self.set_config(params["Bucket"], "policy", None)
        return {}

    def get_bucket_policy_status(self, ctx: RequestContext, params: dict) -> dict:
        name = params["Bucket"]
        self.bucket(ctx, name)
        text = self.config(name, "policy")
        if text is None:
            raise errors.missing_config("NoSuchBucketPolicy", "The bucket policy does not exist", name)
        block = self.config(name, "public-access-block") or {}
        public = is_public_policy(json.loads(text)) and not block.get("RestrictPublicBuckets")
        return {"PolicyStatus": {"IsPublic": public}}

    # --- ACLs ------------------------------------------------------------------------------

    def grants_from_headers(self, ctx: RequestContext, params: dict) -> list | None:
        grants = _grants_from_headers(params)
        return grants or None

    def _acl_input(self, ctx: RequestContext, params: dict, owner_account: str, bucket_owner: str | None) -> dict:
        acl = params.get("ACL")
        policy = params.get("AccessControlPolicy")
        header_grants = _grants_from_headers(params)
        given = sum(1 for x in (acl, policy, header_grants) if x)
        if given > 1:
            raise errors.invalid_request("Specifying both Canned ACLs and Header Grants is not allowed")
        if given == 0:
            raise ServiceError("MissingSecurityHeader", "Your request was missing a required header", 400,
                               MissingHeaderName="x-amz-acl")
        if acl is not None and acl not in CANNED_ACLS:
            raise errors.invalid_argument("", "x-amz-acl", acl)
        if acl is not None:
            return {"canned": acl, "grants": None}
        if header_grants:
            return {"canned": None, "grants": header_grants}
        grants = policy.get("Grants") or []
        for grant in grants:
            grantee = grant.get("Grantee") or {}
            if grantee.get("Type") not in ("CanonicalUser", "Group", "AmazonCustomerByEmail"):
                raise errors.malformed_xml()
            if grant.get("Permission") not in ("FULL_CONTROL", "WRITE", "WRITE_ACP", "READ", "READ_ACP"):
                raise errors.malformed_xml()
        return {"canned": None, "grants": grants}

    def _acl_output(self, stored: dict | None, owner_account: str, bucket_owner: str | None = None) -> dict:
        stored = stored or {"canned": "private"}
        grants = stored.get("grants")
        if not grants:
            grants = canned_grants(stored.get("canned") or "private", owner_account, bucket_owner)
        return {"Owner": {"ID": canonical_id(owner_account)}, "Grants": grants}

    @staticmethod
    def _only_owner_control(acl: dict, account: str) -> bool:
        if acl.get("canned"):
            return acl["canned"] in ("private", "bucket-owner-full-control")
        grants = acl.get("grants") or []
        return all(g.get("Permission") == "FULL_CONTROL" and (g.get("Grantee") or {}).get("ID") == canonical_id(account)
                   for g in grants)

    def put_bucket_acl(self, ctx: RequestContext, params: dict) -> dict:
        name = params["Bucket"]
        bucket = self.bucket(ctx, name)
        check_body_digest(ctx, params)
        acl = self._acl_input(ctx, params, bucket["account"], None)
        if self._owner_enforced(name) and not self._only_owner_control(acl, bucket["account"]):
            raise ServiceError("AccessControlListNotSupported", "The bucket does not allow ACLs", 400)
        block = self.config(name, "public-access-block") or {}
        if block.get("BlockPublicAcls") and _public_acl(acl):
            raise errors.access_denied()
        self.set_config(name, "acl", acl)
        return {}

    def get_bucket_acl(self, ctx: RequestContext, params: dict) -> dict:
        bucket = self.bucket(ctx, params["Bucket"])
        return self._acl_output(self.config(bucket["name"], "acl"), bucket["account"])

    # --- tagging ---------------------------------------------------------------------------

    def put_bucket_tagging(self, ctx: RequestContext, params: dict) -> dict:
        name = params["Bucket"]
        self.bucket(ctx, name)
        check_body_digest(ctx, params)
        tags = (params.get("Tagging") or {}).get("TagSet") or []
        seen = set()
        if len(tags) > 50:
            raise ServiceError("InvalidTag", "Bucket tag count cannot be greater than 50", 400)
        for tag in tags:
            key = tag.get("Key", "")
            if key in seen:
                raise ServiceError("InvalidTag", "Cannot provide multiple Tags with the same key", 400)
            seen.add(key)
            if not key or len(key) > 128 or len(tag.get("Value", "")) > 256:
                raise ServiceError("InvalidTag", "The TagKey you have provided is invalid" if not key or len(key) > 128
                                   else "The TagValue you have provided is invalid", 400)
            if key.startswith("aws:"):
                raise ServiceError("InvalidTag", "System tags cannot be added/updated by requester", 400)
        self.set_config(name, "tagging", {"TagSet": tags})
        return {}

    def get_bucket_tagging(self, ctx: RequestContext, params: dict) -> dict:
        name = params["Bucket"]
        self.bucket(ctx, name)
        found = self.config(name, "tagging")
        if found is None:
            raise errors.missing_config("NoSuchTagSet", "The TagSet does not exist", name)
        return found

    def delete_bucket_tagging(self, ctx: RequestContext, params: dict) -> dict:
        self.bucket(ctx, params["Bucket"])
        self.set_config(params["Bucket"], "tagging", None)
        return {}

    # --- encryption ------------------------------------------------------------------------

    def put_bucket_encryption(self, ctx: RequestContext, params: dict) -> dict:
        name = params["Bucket"]
        self.bucket(ctx, name)
        check_body_digest(ctx, params)
        configuration = params.get("ServerSideEncryptionConfiguration") or {}
        rules = configuration.get("Rules") or []
        if not rules:
            raise errors.malformed_xml()
        for rule in rules:
            default = rule.get("ApplyServerSideEncryptionByDefault") or {}
            algorithm = default.get("SSEAlgorithm")
            if algorithm not in ("AES256", "aws:kms", "aws:kms:dsse"):
                raise errors.malformed_xml()
            if default.get("KMSMasterKeyID") and algorithm == "AES256":
                raise errors.invalid_argument("a KMSMasterKeyID is not applicable if the default sse algorithm is "
                                              "not aws:kms or aws:kms:dsse", "ApplyServerSideEncryptionByDefault")
        self.set_config(name, "encryption", {"Rules": rules})
        return {}

    def get_bucket_encryption(self, ctx: RequestContext, params: dict) -> dict:
        name = params["Bucket"]
        self.bucket(ctx, name)
        return {"ServerSideEncryptionConfiguration": self.config(name, "encryption") or DEFAULT_ENCRYPTION}

    def delete_bucket_encryption(self, ctx: RequestContext, params: dict) -> dict:
        self.bucket(ctx, params["Bucket"])
        self.set_config(params["Bucket"], "encryption", None)
        return {}

    # --- ownership and public access ----------------------------------------------------------

    def put_bucket_ownership_controls(self, ctx: RequestContext, params: dict) -> dict:
        name = params["Bucket"]
        self.bucket(ctx, name)
        controls = params.get("OwnershipControls") or {}
        rules = controls.get("Rules") or []
        if len(rules) != 1 or rules[0].get("ObjectOwnership") not in (
            "BucketOwnerPreferred", "ObjectWriter", "BucketOwnerEnforced"
        ):
            raise errors.malformed_xml()
        self.set_config(name, "ownership", {"Rules": rules})
        return {}

    def get_bucket_ownership_controls(self, ctx: RequestContext, params: dict) -> dict:
        name = params["Bucket"]
        self.bucket(ctx, name)
        found = self.config(name, "ownership")
        if found is None:
            raise errors.missing_config("OwnershipControlsNotFoundError",
                                        "The bucket ownership controls were not found", name)
        return {"OwnershipControls": found}

    def delete_bucket_ownership_controls(self, ctx: RequestContext, params: dict) -> dict:
        self.bucket(ctx, params["Bucket"])
        self.set_config(params["Bucket"], "ownership", None)
        return {}

    def put_public_access_block(self, ctx: RequestContext, params: dict) -> dict:
        name = params["Bucket"]
        self.bucket(ctx, name)
        check_body_digest(ctx, params)
        block = params.get("PublicAccessBlockConfiguration") or {}
        if not block:
            raise ServiceError("InvalidRequest", "Must specify at least one configuration.", 400)
        keys = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
        self.set_config(name, "public-access-block", {k: bool(block.get(k, False)) for k in keys})
        return {}

    def get_public_access_block(self, ctx: RequestContext, params: dict) -> dict:
        name = params["Bucket"]
        self.bucket(ctx, name)
        found = self.config(name, "public-access-block")
        if found is None:
            raise errors.missing_config("NoSuchPublicAccessBlockConfiguration",
                                        "The public access block configuration was not found", name)
        return {"PublicAccessBlockConfiguration": found}

    def delete_public_access_block(self, ctx: RequestContext, params: dict) -> dict:
        self.bucket(ctx, params["Bucket"])
        self.set_config(params["Bucket"], "public-access-block", None)
        return {}

    # --- accelerate, request payment, logging -----------------------------------------------------

    def put_bucket_accelerate_configuration(self, ctx: RequestContext, params: dict) -> dict:
        name = params["Bucket"]
        self.bucket(ctx, name)
        status = (params.get("AccelerateConfiguration") or {}).get("Status")
        if status not in ("Enabled", "Suspended"):
            raise errors.malformed_xml()
        if "." in name:
            raise errors.invalid_request("S3 Transfer Acceleration is not supported for buckets with periods (.) in "
                                         "their names")
        self.set_config(name, "accelerate", {"Status": status})
        return {}

    def get_bucket_accelerate_configuration(self, ctx: RequestContext, params: dict) -> dict:
        name = params["Bucket"]
        self.bucket(ctx, name)
        return dict(self.config(name, "accelerate") or {})

    def put_bucket_request_payment(self, ctx: RequestContext, params: dict) -> dict:
        name = params["Bucket"]
        self.bucket(ctx, name)
        payer = (params.get("RequestPaymentConfiguration") or {}).get("Payer")
        if payer not in ("Requester", "BucketOwner"):
            raise errors.malformed_xml()
        self.set_config(name, "request-payment", {"Payer": payer})
        return {}

    def get_bucket_request_payment(self, ctx: RequestContext, params: dict) -> dict:
        name = params["Bucket"]
        self.bucket(ctx, name)
        return dict(self.config(name, "request-payment") or {"Payer": "BucketOwner"})

    def put_bucket_logging(self, ctx: RequestContext, params: dict) -> dict:
        name = params["Bucket"]
        bucket = self.bucket(ctx, name)
        status = params.get("BucketLoggingStatus") or {}
        enabled = status.get("LoggingEnabled")
        if enabled:
            target = self.state().buckets.get(enabled.get("TargetBucket") or "")
            if target is None:
                raise ServiceError("InvalidTargetBucketForLogging", "The target bucket for logging does not exist",
                                   400, TargetBucket=enabled.get("TargetBucket"))
            if target["region"] != bucket["region"]:
                raise ServiceError("CrossLocationLoggingProhibited", "Cross S3 location logging not allowed. ", 403,
                                   TargetBucketLocation=target["region"])
        self.set_config(name, "logging", {"LoggingEnabled": enabled} if enabled else None)
        return {}

    def get_bucket_logging(self, ctx: RequestContext, params: dict) -> dict:
        name = params["Bucket"]
        self.bucket(ctx, name)
        return dict(self.config(name, "logging") or {})


def _public_acl(acl: dict) -> bool:
    if acl.get("canned") in ("public-read", "public-read-write", "authenticated-read"):
        return True
    return any((g.get("Grantee") or {}).get("URI") in (ALL_USERS, AUTHENTICATED_USERS) for g in acl.get("grants") or [])


def _listed(value: Any) -> list:
    return value if isinstance(value, list) else [value]


def _check_statement(statement: dict, bucket: str) -> None:
    """What S3 checks of a bucket policy statement's principals, actions and resources (by their form:
    whether an IAM principal exists is not known here)."""
    for principal in (statement.get("Principal"), statement.get("NotPrincipal")):
        if principal is None or principal == "*":
            continue
        entries = principal.items() if isinstance(principal, dict) else [("", principal)]
        for kind, values in entries:
            for value in _listed(values):
                if not isinstance(value, str) or kind not in ("AWS", "Service", "CanonicalUser", "Federated") or (
                        kind == "AWS" and value != "*" and not _ACCOUNT_ID.fullmatch(value)
                        and not _PRINCIPAL_ARN.fullmatch(value)):
                    raise ServiceError("MalformedPolicy", "Invalid principal in policy", 400)
    for action in _listed(statement.get("Action", statement.get("NotAction"))):
        if not isinstance(action, str) or not _ACTION.fullmatch(action):
            raise ServiceError("MalformedPolicy", "Policy has invalid action", 400)
    for resource in _listed(statement.get("Resource", statement.get("NotResource"))):
        named = resource[13:].split("/", 1)[0] if isinstance(resource, str) and resource.startswith(
            "arn:aws:s3:::") else None
        if resource != "*" and (named is None or not fnmatchcase(bucket, named)):  # this bucket, or a pattern of it
            raise ServiceError("MalformedPolicy", "Policy has invalid resource", 400)
