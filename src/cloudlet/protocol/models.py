"""Botocore service models, loaded lazily and wrapped in light shape objects.

The models are read straight from botocore's data directory (without importing
botocore, which costs more start-up time than the whole server), patched from
``protocol/patches/<service>.json`` where a model is wrong or incomplete, and
resolved on first use.
"""

from __future__ import annotations

import gzip
import importlib.util
import json
import os
import re
from functools import cache, cached_property
from typing import Any

# Cloudlet's service names (boto3's client names) -> botocore's data directory names (the same today).
_NAMES = (
    "s3", "dynamodb", "dynamodbstreams", "sqs", "sns", "lambda", "apigateway", "apigatewayv2",
    "apigatewaymanagementapi", "kinesis", "firehose", "events", "scheduler", "stepfunctions", "iam",
    "sts", "kms", "secretsmanager", "ssm", "cognito-idp", "cognito-identity", "cloudwatch", "logs",
    "xray", "cloudtrail", "cloudformation", "elasticache", "ecs", "ecr", "codecommit", "codebuild",
    "codedeploy", "codepipeline", "codeartifact", "elasticbeanstalk", "cloudfront", "acm", "wafv2",
)
SERVICES: dict[str, str] = {name: name for name in _NAMES}

_PATCH_DIR = os.path.join(os.path.dirname(__file__), "patches")


def botocore_data_dir() -> str:
    spec = importlib.util.find_spec("botocore")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("botocore is not installed")
    return os.path.join(list(spec.submodule_search_locations)[0], "data")


def _read_json(path: str) -> dict:
    if os.path.exists(path + ".gz"):
        with gzip.open(path + ".gz", "rb") as f:
            return json.loads(f.read())
    with open(path, "rb") as f:
        return json.loads(f.read())


def _merge(base: dict, patch: dict) -> None:
    for key, value in patch.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            _merge(base[key], value)
        elif value is None:
            base.pop(key, None)
        else:
            base[key] = value


_cache: dict[str, ServiceModel] = {}


def load_service(name: str) -> ServiceModel:
    """The model of a Cloudlet service, loaded on first use."""
    model = _cache.get(name)
    if model is None:
        data_name = SERVICES[name]
        base = os.path.join(botocore_data_dir(), data_name)
        version = sorted(v for v in os.listdir(base) if os.path.isdir(os.path.join(base, v)))[-1]
        spec = _read_json(os.path.join(base, version, "service-2.json"))
        extras = os.path.join(base, version, "service-2.sdk-extras.json")
        if os.path.exists(extras) or os.path.exists(extras + ".gz"):
            _merge(spec, _read_json(extras).get("merge", {}))  # as botocore's loader applies them
        patch = os.path.join(_PATCH_DIR, f"{name}.json")
        if os.path.exists(patch):
            with open(patch, "rb") as f:
                _merge(spec, json.loads(f.read()))
        model = _cache[name] = ServiceModel(name, spec)
    return model


_SNAKE_1 = re.compile(r"(.)([A-Z][a-z]+)")
_SNAKE_2 = re.compile(r"([a-z0-9])([A-Z])")


@cache
def snake_case(name: str) -> str:
    """``GetCallerIdentity`` -> ``get_caller_identity`` (the provider method name)."""
    return _SNAKE_2.sub(r"\1_\2", _SNAKE_1.sub(r"\1_\2", name)).lower()


class ServiceModel:
    def __init__(self, name: str, spec: dict) -> None:
        self.name = name
        self.spec = spec
        meta = spec["metadata"]
        self.metadata: dict = meta
        self.protocol: str = meta["protocol"]
        self.protocols: list[str] = meta.get("protocols") or [self.protocol]
        self.json_version: str = meta.get("jsonVersion", "1.0")
        self.target_prefix: str | None = meta.get("targetPrefix")
        self.signing_name: str = meta.get("signingName") or meta["endpointPrefix"]
        self.endpoint_prefix: str = meta["endpointPrefix"]
        self.xml_namespace: str | None = meta.get("xmlNamespace")
        self.api_version: str = meta["apiVersion"]
        # Services migrated from query to json/cbor keep their query error codes.
        self.query_compatible: bool = "awsQueryCompatible" in meta
        self._shapes: dict[str, Shape] = {}
        self._operations: dict[str, OperationModel] = {}

    def __repr__(self) -> str:
        return f"<ServiceModel {self.name}>"

    @property
    def operation_names(self) -> list[str]:
        return list(self.spec["operations"])

    def operation(self, name: str) -> OperationModel:
        op = self._operations.get(name)
        if op is None:
            op = self._operations[name] = OperationModel(self, name, self.spec["operations"][name])
        return op

    def has_operation(self, name: str) -> bool:
        return name in self.spec["operations"]

    def shape(self, name: str) -> Shape:
        shape = self._shapes.get(name)
        if shape is None:
            shape = self._shapes[name] = Shape(self, name, self.spec["shapes"][name])
        return shape

    def has_shape(self, name: str) -> bool:
        return name in self.spec["shapes"]

    @cached_property
    def error_shapes(self) -> dict[str, Shape]:
        """Every modelled error by the code a client sees."""
        names = [name for name, spec in self.spec["shapes"].items() if spec.get("exception")]
        errors: dict[str, Shape] = {name: self.shape(name) for name in names}
        for name in names:  # a shape's own name wins over another shape's query code
            errors.setdefault(errors[name].error_code, errors[name])
        return errors


class OperationModel:
    def __init__(self, service: ServiceModel, name: str, spec: dict) -> None:
        self.service = service
        self.spec = spec
        self.name = name  # the model's key; spec["name"] may carry a version suffix (CloudFront)
        http = spec.get("http", {})
        self.http_method: str = http.get("method", "POST")
        self.request_uri: str = http.get("requestUri", "/")
        self.success_status: int = http.get("responseCode", 200)
        self.deprecated = spec.get("deprecated", False)

    def __repr__(self) -> str:
        return f"<Operation {self.service.name}.{self.name}>"

    @cached_property
    def input_shape(self) -> Shape | None:
        ref = self.spec.get("input")
        return self.service.shape(ref["shape"]).with_traits(ref) if ref else None

    @cached_property
    def output_shape(self) -> Shape | None:
        ref = self.spec.get("output")
        return self.service.shape(ref["shape"]).with_traits(ref) if ref else None

    @cached_property
    def error_shapes(self) -> list[Shape]:
        return [self.service.shape(ref["shape"]) for ref in self.spec.get("errors", [])]

    @cached_property
    def result_wrapper(self) -> str | None:
        """query protocol: the element that wraps the output members."""
        ref = self.spec.get("output")
        return ref.get("resultWrapper") if ref else None

    @cached_property
    def streaming_input(self) -> Shape | None:
        """The streaming blob payload member of the input, if any."""
        return _streaming_payload(self.input_shape)

    @cached_property
    def streaming_output(self) -> Shape | None:
        return _streaming_payload(self.output_shape)

    @cached_property
    def host_prefix(self) -> str | None:
        return self.spec.get("endpoint", {}).get("hostPrefix")


def _streaming_payload(shape: Shape | None) -> Shape | None:
    if shape is None or not shape.payload:
        return None
    member = shape.members[shape.payload]
    return member if member.streaming or member.event_stream else None


class Shape:
    """One shape of a model, as seen through the member reference that reached it.

    Member-level traits (``location``, ``locationName``, ``flattened``,
    ``timestampFormat``...) override the target shape's, as in botocore.
    """

    __slots__ = (
        "service", "name", "spec", "type", "location", "location_name", "flattened",
        "xml_attribute", "xml_namespace", "timestamp_format", "streaming", "event_stream",
        "json_value", "host_label", "idempotency_token", "query_name", "__dict__",
    )

    def __init__(self, service: ServiceModel, name: str, spec: dict, ref: dict | None = None) -> None:
        self.service = service
        self.name = name
        self.spec = spec
        ref = ref or {}

        def trait(key: str, default: Any = None) -> Any:
            return ref[key] if key in ref else spec.get(key, default)

        self.type: str = spec["type"]
        self.location: str | None = ref.get("location")
        self.location_name: str | None = trait("locationName")
        self.flattened: bool = trait("flattened", False)
        self.xml_attribute: bool = trait("xmlAttribute", False)
        self.xml_namespace: dict | None = trait("xmlNamespace")
        self.timestamp_format: str | None = trait("timestampFormat")
        self.streaming: bool = spec.get("streaming", False) or ref.get("streaming", False)
        self.event_stream: bool = spec.get("eventstream", False)
        self.json_value: bool = trait("jsonvalue", False)
        self.host_label: bool = ref.get("hostLabel", False)
        self.idempotency_token: bool = ref.get("idempotencyToken", False)
        self.query_name: str | None = ref.get("queryName")

    def __repr__(self) -> str:
        return f"<Shape {self.name} {self.type}>"

    def with_traits(self, ref: dict) -> Shape:
        """This shape as reached through a member reference with its own traits."""
        if len(ref) == 1:  # only "shape": nothing to override
            return self
        return Shape(self.service, self.name, self.spec, ref)

    def _ref(self, ref: dict) -> Shape:
        return self.service.shape(ref["shape"]).with_traits(ref)

    @cached_property
    def members(self) -> dict[str, Shape]:
        return {name: self._ref(ref) for name, ref in self.spec.get("members", {}).items()}

    @cached_property
    def member(self) -> Shape:
        return self._ref(self.spec["member"])

    @cached_property
    def key(self) -> Shape:
        return self._ref(self.spec["key"])

    @cached_property
    def value(self) -> Shape:
        return self._ref(self.spec["value"])

    @cached_property
    def required(self) -> list[str]:
        return self.spec.get("required", [])

    @property
    def payload(self) -> str | None:
        return self.spec.get("payload")

    @property
    def enum(self) -> list[str] | None:
        return self.spec.get("enum")

    @property
    def min(self) -> float | None:
        return self.spec.get("min")

    @property
    def max(self) -> float | None:
        return self.spec.get("max")

    @property
    def pattern(self) -> str | None:
        return self.spec.get("pattern")

    @property
    def document(self) -> bool:
        return self.spec.get("document", False)

    @property
    def union(self) -> bool:
        return self.spec.get("union", False)

    @property
    def sensitive(self) -> bool:
        return self.spec.get("sensitive", False)

    # --- errors -----------------------------------------------------------------

    @property
    def is_error(self) -> bool:
        return self.spec.get("exception", False)

    @cached_property
    def error_code(self) -> str:
        """The code a client sees: the query-compatible code where the model gives one."""
        return self.spec.get("error", {}).get("code") or self.name

    @property
    def error_status(self) -> int:
        return self.spec.get("error", {}).get("httpStatusCode", 400)

    @property
    def sender_fault(self) -> bool:
        return self.spec.get("error", {}).get("senderFault", self.spec.get("fault") != "server")

    @cached_property
    def by_location(self) -> dict[str | None, dict[str, Shape]]:
        """REST binding: members grouped by where they travel (None means the body)."""
        groups: dict[str | None, dict[str, Shape]] = {}
        for name, member in self.members.items():
            groups.setdefault(member.location, {})[name] = member
        return groups
