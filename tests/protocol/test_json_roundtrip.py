"""Every operation of every service that speaks json, round-tripped against botocore."""

from __future__ import annotations

import pytest

from cloudlet.protocol.models import SERVICES, load_service
from tests.protocol import roundtrip

# Services whose model speaks json, and the cbor services that still accept json.
JSON_SERVICES = [name for name in SERVICES if "json" in load_service(name).protocols]
CASES = roundtrip.operation_cases(JSON_SERVICES)


def test_the_json_services_are_the_expected_ones():
    expected = {
        "dynamodb", "dynamodbstreams", "sqs", "kinesis", "firehose", "events", "stepfunctions", "kms",
        "secretsmanager", "ssm", "cognito-idp", "cognito-identity", "logs", "cloudtrail", "ecs", "ecr",
        "codecommit", "acm", "wafv2", "codebuild", "codedeploy", "codepipeline", "cloudwatch",
    }
    assert set(JSON_SERVICES) == expected


@pytest.mark.parametrize(("service", "operation"), CASES)
def test_request_parses_to_the_same_params(service, operation):
    request = roundtrip.check_request(service, operation, "json")
    model = load_service(service)
    assert request.headers["x-amz-target"] == f"{model.target_prefix}.{operation}"


@pytest.mark.parametrize(("service", "operation"), CASES)
def test_output_parses_in_botocore_to_the_same_value(service, operation):
    roundtrip.check_response(service, operation, "json")


@pytest.mark.parametrize(("service", "operation"), CASES)
def test_modelled_errors_reach_botocore_with_their_code(service, operation):
    roundtrip.check_errors(service, operation, "json")
