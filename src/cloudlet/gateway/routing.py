"""Finding the service and operation of a request, from lookup tables built from the models.

The service comes from, in order: ``X-Amz-Target`` (json) or the RPCv2 path
(cbor); the SigV4 credential scope; the host; the query ``Action``; then REST
paths.  The operation comes from the target, the action, or the model's method
and request URI (most specific match wins: literal path segments, then
required query keys and headers, then literal length).  The few true
conflicts are explicit rules below, each with its reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from urllib.parse import unquote

from cloudlet.gateway.auth import Signature
from cloudlet.http import MalformedForm, Request
from cloudlet.protocol.index import service_index
from cloudlet.protocol.models import OperationModel, load_service

LOCAL_DOMAINS = (".localhost.localstack.cloud", ".localhost")
_RPCV2_PATH = re.compile(r"^/service/([^/]+)/operation/([^/?]+)$")
_EXECUTE_API_PATH = re.compile(r"^/restapis/([^/]+)/([^/]+)/_user_request_(/.*)?$")


@dataclass
class Route:
    service: str
    protocol: str
    operation: str | None  # None: the service is known but no operation matched
    path: str | None = None  # the path-style path, when the host carried part of it (S3)
    extras: dict = field(default_factory=dict)


# --- lookup tables from the index ------------------------------------------------------------


@cache
def _tables() -> tuple[dict[str, str], dict[str, list[str]], dict[str, str], dict[str, str]]:
    by_target: dict[str, str] = {}
    by_signing: dict[str, list[str]] = {}
    by_endpoint: dict[str, str] = {}
    query_by_version: dict[str, str] = {}
    for name, info in service_index().items():
        if info["target_prefix"]:
            by_target[info["target_prefix"]] = name
        by_signing.setdefault(info["signing_name"], []).append(name)
        by_endpoint.setdefault(info["endpoint_prefix"], name)
        if speaks_query(info):
            query_by_version[info["api_version"]] = name
    # Conflict: DynamoDB Streams shares DynamoDB's endpoint prefix ("streams.dynamodb");
    # requests carry X-Amz-Target, so the endpoint table only needs the table API.
    by_endpoint["dynamodb"] = "dynamodb"
    return by_target, by_signing, by_endpoint, query_by_version


def speaks_query(info: dict) -> bool:
    return "query" in info["protocols"] or info["query_compatible"]


def _rest_protocol(service: str) -> str | None:
    protocols = service_index()[service]["protocols"]
    for protocol in ("rest-json", "rest-xml"):
        if protocol in protocols:
            return protocol
    return None


def _rpc_protocol(service: str, request: Request) -> str:
    """The protocol to answer an RPC request in whose operation is unknown: the one the
    request's own signals name (a form body, the smithy-protocol header), else json."""
    protocols = service_index()[service]["protocols"]
    if request.content_type == "application/x-www-form-urlencoded" and "query" in protocols:
        return "query"
    if request.headers.get("smithy-protocol") == "rpc-v2-cbor" and "smithy-rpc-v2-cbor" in protocols:
        return "smithy-rpc-v2-cbor"
    return "json" if "json" in protocols else protocols[0]


# --- REST request URIs ----------------------------------------------------------------------


class RestRoute:
    __slots__ = ("operation", "method", "regex", "query_keys", "query_values", "headers", "rank", "host_prefixed")

    def __init__(self, operation: OperationModel) -> None:
        self.operation = operation.name
        self.method = operation.http_method
        self.host_prefixed = bool(operation.host_prefix)
        path, _, query = operation.request_uri.partition("?")
        literal_segments = 0
        literal_chars = 0
        greedy = 0
        pattern = ""
        for segment in path.strip("/").split("/") if path.strip("/") else []:
            pattern += "/"
            for piece in re.split(r"(\{[^}]+\})", segment):
                if not piece:
                    continue
                if piece.startswith("{"):
                    if piece.endswith("+}"):
                        greedy += 1
                        pattern += "(.+)"
                    else:
                        pattern += "([^/]+)"
                else:
                    pattern += re.escape(piece)
                    literal_chars += len(piece)
            if "{" not in segment:
                literal_segments += 1
        # "/{Bucket}" also answers "/bucket/" (a virtual-hosted root rewritten to path style).
        self.regex = re.compile("^" + (pattern or "") + ("/?$" if not greedy else "$"))
        self.query_keys: set[str] = set()
        self.query_values: dict[str, str] = {}
        for item in query.split("&") if query else []:
            key, eq, value = item.partition("=")
            if key == "x-id":
                continue  # botocore's operation hint: optional, never a discriminator
            if eq:
                self.query_values[key] = value
            else:
                self.query_keys.add(key)
        self.headers: set[str] = set()
        shape = operation.input_shape
        if shape is not None:
            for name in shape.required:
                member = shape.members.get(name)
                if member is None:
                    continue
                if member.location == "querystring" and member.location_name:
                    self.query_keys.add(member.location_name)
                elif member.location == "header" and member.location_name:
                    self.headers.add(member.location_name.lower())
        constraints = len(self.query_keys) + len(self.query_values) + len(self.headers)
        self.rank = (literal_segments, constraints, literal_chars, -greedy, not operation.deprecated)

    def matches(self, path: str, query: dict[str, list[str]], headers: dict[str, str]) -> bool:
        # the cheap checks first: most of S3's routes differ by a query key (?acl, ?tagging...)
        for key in self.query_keys:
            if key not in query:
                return False
        for key, value in self.query_values.items():
            if query.get(key, [None])[0] != value:
                return False
        if not all(name in headers for name in self.headers):
            return False
        return self.regex.match(path) is not None


@cache
def rest_routes(service: str) -> dict[str, list[RestRoute]]:
    """The service's REST routes by HTTP method, most specific first."""
    model = load_service(service)
    routes: dict[str, list[RestRoute]] = {}
    for name in model.operation_names:
        route = RestRoute(model.operation(name))
        routes.setdefault(route.method, []).append(route)
    for group in routes.values():
        group.sort(key=lambda r: r.rank, reverse=True)
    return routes


@cache
def _routes_without_query(service: str, method: str) -> list[RestRoute]:
    """The routes a request without a query string can match (most of S3's need a query key)."""
    return [r for r in rest_routes(service).get(method, ()) if not r.query_keys and not r.query_values]


def match_rest(
    services: list[str], request: Request, path: str, host_prefixed: bool = False
) -> tuple[str, RestRoute] | None:
    best: tuple[str, RestRoute] | None = None
    queried = bool(request.query_string)
    for service in services:
        routes = rest_routes(service).get(request.method, ()) if queried else \
            _routes_without_query(service, request.method)
        for route in routes:
            if host_prefixed and not route.host_prefixed:
                continue
            if route.matches(path, request.query, request.headers):
                if best is None or route.rank > best[1].rank:
                    best = (service, route)
                break
    return best


# --- hosts --------------------------------------------------------------------------------


def _local_host(request: Request) -> str | None:
    """The part of the host before a local domain, e.g. 'bucket.s3' of 'bucket.s3.localhost:4566'."""
    host = request.host.rsplit(":", 1)[0] if not request.host.endswith("]") else request.host
    for domain in LOCAL_DOMAINS:
        if host.endswith(domain):
            return host[: -len(domain)]
    return None


_S3_HOST = re.compile(r"^(?:(?P<bucket>.+)\.)?s3(?:[.-](?P<region>[a-z0-9-]+))?$")


def s3_bucket_from_host(request: Request) -> tuple[bool, str | None]:
    """(the host names S3, the bucket it names) for virtual-hosted S3 addressing."""
    prefix = _local_host(request)
    if not prefix:
        return False, None
    match = _S3_HOST.match(prefix)
    if match:
        return True, match["bucket"]
    labels = prefix.split(".")
    _, _, by_endpoint, _ = _tables()
    if labels[0] in by_endpoint or labels[-1] == "execute-api":
        return False, None
    # "<bucket>.localhost": any other name under the local domain is a bucket.
    return True, prefix


def _path_style(bucket: str | None, request: Request) -> str:
    if not bucket:
        return request.raw_path
    return f"/{bucket}{request.raw_path if request.raw_path != '/' else '/'}"


# --- the router ---------------------------------------------------------------------------


class Router:
    def __init__(self) -> None:
        # X-Amz-Target -> its route, for the targets naming a modelled operation (a bounded set):
        # json calls, most of all, are routed by one lookup.
        self._by_target: dict[str, Route] = {}
        # (service, Action) -> its route, likewise for query calls to a service with a signing name
        # of its own.
        self._by_action: dict[tuple[str, str], Route] = {}

    def route(self, request: Request, signature: Signature | None) -> Route | None:
        target = request.headers.get("x-amz-target")
        if target:
            known = self._by_target.get(target)
            if known is not None:
                return known
            prefix, _, operation = target.rpartition(".")
            service = _tables()[0].get(prefix)
            if service is not None:
                route = self._rpc(service, "json", operation)
                if route.operation is not None:
                    self._by_target[target] = route
                return route
        by_target, by_signing, by_endpoint, _ = _tables()

        if request.headers.get("smithy-protocol") == "rpc-v2-cbor":
            match = _RPCV2_PATH.match(request.raw_path)
            if match and match[1] in by_target:
                return self._rpc(by_target[match[1]], "smithy-rpc-v2-cbor", unquote(match[2]))

        # API invocations (by host or LocalStack's path form) before the signature: IAM-authorized
        # invocations are signed for "execute-api" like the management API.
        host_prefix = _local_host(request)
        if host_prefix and host_prefix.split(".")[-1] == "execute-api":
            return Route("execute-api", "rest-json", "Invoke", extras={"api_id": host_prefix.split(".")[0]})
        match = _EXECUTE_API_PATH.match(request.raw_path)
        if match:
            return Route("execute-api", "rest-json", "Invoke", extras={"api_id": match[1], "stage": match[2]})

        if signature is not None and signature.service:
            candidates = by_signing.get(signature.service)
            if candidates:
                return self._among(candidates, request)

        is_s3, bucket = s3_bucket_from_host(request)
        if is_s3:
            return self._rest(["s3"], request, _path_style(bucket, request))
        if host_prefix:
            service = by_endpoint.get(host_prefix.split(".")[0])
            if service is not None:
                return self._among([service], request)

        action = self._action(request)
        if action is not None:
            service = self._query_service(request, action)
            if service is not None:
                return Route(service, "query", action)

        # Anonymous path-style requests (public objects, browser form uploads) are S3's.
        return self._rest(["s3"], request, request.raw_path)

    def _rpc(self, service: str, protocol: str, operation: str) -> Route:
        model = load_service(service)
        return Route(service, protocol, operation if model.has_operation(operation) else None)

    def _among(self, candidates: list[str], request: Request) -> Route:
        """Choose among the services sharing a signing name, then the operation."""
        action = self._action(request)
        if action is not None:
            single = len(candidates) == 1  # then the route depends on the service and action alone
            if single:
                known = self._by_action.get((candidates[0], action))
                if known is not None:
                    return known
            index = service_index()
            for service in candidates:
                if speaks_query(index[service]):
                    model = load_service(service)
                    if not model.has_operation(action):
                        return Route(service, "query", None)
                    route = Route(service, "query", action)
                    if single:
                        self._by_action[(service, action)] = route
                    return route
        rest = [s for s in candidates if _rest_protocol(s)]
        if rest:
            path = request.raw_path
            if "s3" in rest:
                _, bucket = s3_bucket_from_host(request)
                path = _path_style(bucket, request)
            return self._rest(rest, request, path)
        service = candidates[0]
        return Route(service, _rpc_protocol(service, request), None)

    def _rest(self, services: list[str], request: Request, path: str) -> Route:
        rewritten = path if path != request.raw_path else None
        found = None
        if rewritten is not None:
            # The host's first label may be an operation's host prefix (S3's WriteGetObjectResponse
            # is sent to "{RequestRoute}.<endpoint>"), not a bucket.
            found = match_rest(services, request, request.raw_path, host_prefixed=True)
            if found is not None:
                rewritten = None
        if found is None:
            found = match_rest(services, request, path)
        if found is None:
            service = services[0]
            return Route(service, _rest_protocol(service) or "rest-json", None, rewritten)
        service, route = found
        return Route(service, _rest_protocol(service) or "rest-json", route.operation, rewritten)

    @staticmethod
    def _action(request: Request) -> str | None:
        if "Action=" not in request.query_string and request.content_type != "application/x-www-form-urlencoded":
            return None
        try:
            values = request.form.get("Action")
        except MalformedForm:
            return None  # the query protocol reports the form itself
        return values[0] if values else None

    @staticmethod
    def _query_service(request: Request, action: str) -> str | None:
        """An unsigned query request: the Version names the service; else a unique action does."""
        _, _, _, by_version = _tables()
        version = (request.form.get("Version") or [None])[0]
        if version in by_version:
            return by_version[version]
        owners = [
            name for name, info in service_index().items()
            if speaks_query(info) and load_service(name).has_operation(action)
        ]
        return owners[0] if len(owners) == 1 else None
