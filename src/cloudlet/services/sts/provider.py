"""AWS STS: who am I, and temporary credentials that the gateway then honours."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from datetime import UTC, datetime

from cloudlet.context import DEFAULT_ACCOUNT, Identity, RequestContext
from cloudlet.gateway.auth import default_identity
from cloudlet.protocol.errors import ServiceError
from cloudlet.services.base import Provider
from cloudlet.services.sts.credentials import CredentialState

_ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::(\d{12}):role/(?:[\x21-\x7e]*/)?([\w+=,.@-]{1,64})$")
_ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


def stable_id(prefix: str, seed: str) -> str:
    """An IAM-style unique id (AROA..., AIDA...) that is the same for the same resource."""
    digest = hashlib.sha256(seed.encode()).digest()
    return prefix + "".join(_ID_ALPHABET[b % 32] for b in digest[:17])


def _parse_role_arn(arn: str) -> tuple[str, str]:
    match = _ROLE_ARN.match(arn)
    if not match:
        raise ServiceError("ValidationError", f"{arn} is invalid", 400)
    return match[1], match[2]


def _jwt_claims(token: str) -> dict:
    parts = token.split(".")
    if len(parts) != 3:
        raise _invalid_token()
    payload = parts[1] + "=" * (-len(parts[1]) % 4)
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload))
    except (ValueError, UnicodeDecodeError):
        raise _invalid_token()
    if not isinstance(claims, dict):
        raise _invalid_token()
    return claims


def _packed_size(params: dict) -> int:
    """The session policies' share of the packed size limit, in percent (an estimate)."""
    size = len(params.get("Policy", "")) + 40 * len(params.get("PolicyArns", []))
    return min(100, 6 + size // 20)


def _invalid_token() -> ServiceError:
    return ServiceError(
        "InvalidIdentityToken",
        "The web identity token that was passed could not be validated by AWS. "
        "Get a new identity token from the identity provider and then retry the request.",
        400,
    )


class StsProvider(Provider):
    service = "sts"
    states = (CredentialState,)

    def _credentials(self, identity: Identity, seconds: int) -> tuple[dict, float]:
        expiration = self.runtime.clock.now() + seconds
        credential, token = self.runtime.credentials.issue(identity, expiration)
        return {
            "AccessKeyId": credential.access_key,
            "SecretAccessKey": credential.secret_key,
            "SessionToken": token,
            "Expiration": datetime.fromtimestamp(int(expiration), UTC),
        }, expiration

    def _assume(self, role_arn: str, session_name: str, seconds: int) -> tuple[dict, dict]:
        account, role_name = _parse_role_arn(role_arn)
        role_id = stable_id("AROA", role_arn)
        assumed_arn = f"arn:aws:sts::{account}:assumed-role/{role_name}/{session_name}"
        user = {"AssumedRoleId": f"{role_id}:{session_name}", "Arn": assumed_arn}
        identity = Identity(account=account, arn=assumed_arn, user_id=user["AssumedRoleId"])
        credentials, _ = self._credentials(identity, seconds)
        return credentials, user

    def get_caller_identity(self, ctx: RequestContext, params: dict) -> dict:
        identity = ctx.identity
        return {"UserId": identity.user_id, "Account": identity.account, "Arn": identity.arn}

    def assume_role(self, ctx: RequestContext, params: dict) -> dict:
        credentials, user = self._assume(
            params["RoleArn"], params["RoleSessionName"], params.get("DurationSeconds", 3600)
        )
        out = {"Credentials": credentials, "AssumedRoleUser": user}
        if params.get("Policy") or params.get("PolicyArns"):
            out["PackedPolicySize"] = _packed_size(params)
        if "SourceIdentity" in params:
            out["SourceIdentity"] = params["SourceIdentity"]
        return out

    def assume_role_with_web_identity(self, ctx: RequestContext, params: dict) -> dict:
        claims = _jwt_claims(params["WebIdentityToken"])
        expiry = claims.get("exp")
        if isinstance(expiry, int | float) and expiry < self.runtime.clock.now():
            raise ServiceError(
                "ExpiredTokenException",
                "The web identity token that was passed is expired or is not valid. "
                "Get a new identity token from the identity provider and then retry the request.",
                400,
            )
        credentials, user = self._assume(
            params["RoleArn"], params["RoleSessionName"], params.get("DurationSeconds", 3600)
        )
        audience = claims.get("aud")
        if isinstance(audience, list):
            audience = audience[0] if audience else None
        out = {
            "Credentials": credentials,
            "AssumedRoleUser": user,
            "SubjectFromWebIdentityToken": str(claims.get("sub", "")),
            "Provider": params.get("ProviderId") or str(claims.get("iss", "")),
        }
        if audience is not None:
            out["Audience"] = str(audience)
        return out

    def get_session_token(self, ctx: RequestContext, params: dict) -> dict:
        if ctx.identity.session_token:
            raise ServiceError("AccessDenied", "Cannot call GetSessionToken with session credentials", 403)
        credentials, _ = self._credentials(ctx.identity, params.get("DurationSeconds", 43200))
        return {"Credentials": credentials}

    def get_federation_token(self, ctx: RequestContext, params: dict) -> dict:
        if ctx.identity.session_token:
            raise ServiceError("AccessDenied", "Cannot call GetFederationToken with session credentials", 403)
        seconds = params.get("DurationSeconds", 43200)
        if ctx.identity.arn.endswith(":root"):
            seconds = min(seconds, 3600)  # root's federation sessions last an hour at most
        name, account = params["Name"], ctx.account
        user = {"FederatedUserId": f"{account}:{name}", "Arn": f"arn:aws:sts::{account}:federated-user/{name}"}
        identity = Identity(account=account, arn=user["Arn"], user_id=user["FederatedUserId"])
        credentials, _ = self._credentials(identity, seconds)
        out = {"Credentials": credentials, "FederatedUser": user}
        if params.get("Policy") or params.get("PolicyArns"):
            out["PackedPolicySize"] = _packed_size(params)
        return out

    def get_access_key_info(self, ctx: RequestContext, params: dict) -> dict:
        key = params["AccessKeyId"]
        known = self.runtime.credentials.lookup(key)
        account = known.identity.account if known is not None else default_identity(key).account
        return {"Account": account or DEFAULT_ACCOUNT}
