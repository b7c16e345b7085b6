"""CORS: preflight OPTIONS answered from the bucket's rules, and CORS headers on actual responses."""

from __future__ import annotations

from fnmatch import fnmatchcase

from cloudlet.context import RequestContext
from cloudlet.http import Response
from cloudlet.protocol.errors import ServiceError
from cloudlet.services.s3.core import S3Core

_NOT_ALLOWED = (
    "CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request "
    "method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource's "
    "CORS spec."
)
_METHODS = ("GET", "PUT", "HEAD", "POST", "DELETE")


def _matches(pattern: str, value: str, case_sensitive: bool = True) -> bool:
    if not case_sensitive:
        pattern, value = pattern.lower(), value.lower()
    if "*" not in pattern:
        return pattern == value
    return fnmatchcase(value, pattern.replace("[", "[[]").replace("?", "[?]"))


def find_rule(rules: list[dict], origin: str, method: str, headers: list[str]) -> dict | None:
    """The first rule allowing this origin, method and every requested header."""
    for rule in rules:
        if not any(_matches(o, origin) for o in rule.get("AllowedOrigins") or []):
            continue
        if method not in (rule.get("AllowedMethods") or []):
            continue
        allowed = rule.get("AllowedHeaders") or []
        if all(any(_matches(a, h, case_sensitive=False) for a in allowed) for h in headers):
            return rule
    return None


def _allow_headers(rule: dict, origin: str, method_list: bool = True) -> list[tuple[str, str]]:
    wildcard = "*" in (rule.get("AllowedOrigins") or [])
    out = [("Access-Control-Allow-Origin", "*" if wildcard else origin)]
    if method_list:
        out.append(("Access-Control-Allow-Methods", ", ".join(rule["AllowedMethods"])))
    if rule.get("ExposeHeaders"):
        out.append(("Access-Control-Expose-Headers", ", ".join(rule["ExposeHeaders"])))
    if rule.get("MaxAgeSeconds") is not None:
        out.append(("Access-Control-Max-Age", str(rule["MaxAgeSeconds"])))
    if not wildcard:
        out.append(("Access-Control-Allow-Credentials", "true"))
    return out


def _forbidden(message: str, method: str, resource: str) -> ServiceError:
    return ServiceError("AccessForbidden", message, 403, Method=method, ResourceType=resource)


class Cors(S3Core):
    def preflight(self, ctx: RequestContext, bucket_name: str, resource: str) -> Response:
        headers = ctx.request.headers
        origin = headers.get("origin")
        method = headers.get("access-control-request-method")
        if not origin:
            raise ServiceError("BadRequest", "Insufficient information. Origin request header needed.", 400)
        if not method or method not in _METHODS:
            raise ServiceError("BadRequest", f"Invalid Access-Control-Request-Method: {method or ''}", 400)
        bucket = self.state().buckets.get(bucket_name) if bucket_name else None
        if bucket is None:
            raise _forbidden("CORSResponse: Bucket not found", method, resource)
        configuration = self.config(bucket_name, "cors")
        if configuration is None:
            raise _forbidden("CORSResponse: CORS is not enabled for this bucket.", method, resource)
        requested = [h.strip() for h in headers.get("access-control-request-headers", "").split(",") if h.strip()]
        rule = find_rule(configuration["CORSRules"], origin, method, requested)
        if rule is None:
            raise _forbidden(_NOT_ALLOWED, method, resource)
        out = _allow_headers(rule, origin)
        if requested:
            out.append(("Access-Control-Allow-Headers", ", ".join(requested)))
        out.append(("Vary", "Origin, Access-Control-Request-Headers, Access-Control-Request-Method"))
        out.append(("x-amz-request-id", ctx.request_id))
        return Response(200, out, b"")

    def cors_headers(self, ctx: RequestContext, bucket_name: str, response: Response) -> None:
        """CORS headers on an actual response, when a rule allows the request's origin and method."""
        origin = ctx.request.headers.get("origin")
        if not origin or not bucket_name:
            return
        configuration = self.config(bucket_name, "cors")
        if configuration is None:
            return
        rule = find_rule(configuration["CORSRules"], origin, ctx.request.method, [])
        if rule is None:
            return
        response.headers.extend(_allow_headers(rule, origin))
        response.headers.append(("Vary", "Origin, Access-Control-Request-Headers, Access-Control-Request-Method"))
