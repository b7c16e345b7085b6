"""STS against a real server: identities, temporary credentials, expiry by Cloudlet's clock."""

from __future__ import annotations

import base64
import json
import subprocess

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

ROLE = "arn:aws:iam::123456789012:role/app/deployer"
UNVALIDATED = Config(parameter_validation=False, retries={"max_attempts": 1})


def jwt(claims: dict) -> str:
    def part(document: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(document).encode()).decode().rstrip("=")

    return f"{part({'alg': 'RS256', 'typ': 'JWT'})}.{part(claims)}.c2lnbmF0dXJl"


def session_client(cloudlet, credentials: dict, service: str = "sts"):  # noqa: ANN001, ANN201
    return cloudlet.client(
        service,
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
    )


def error_of(excinfo: pytest.ExceptionInfo) -> tuple[str, str, int]:
    response = excinfo.value.response
    return response["Error"]["Code"], response["Error"]["Message"], response["ResponseMetadata"]["HTTPStatusCode"]


def test_default_identity_is_the_default_account_root(cloudlet) -> None:  # noqa: ANN001
    identity = cloudlet.client("sts").get_caller_identity()
    assert (identity["Account"], identity["Arn"], identity["UserId"]) == (
        "000000000000", "arn:aws:iam::000000000000:root", "000000000000"
    )
    assert identity["ResponseMetadata"]["RequestId"]


def test_a_twelve_digit_access_key_selects_the_account(cloudlet) -> None:  # noqa: ANN001
    sts = cloudlet.client("sts", aws_access_key_id="111122223333", aws_secret_access_key="x")
    assert sts.get_caller_identity()["Account"] == "111122223333"
    other = cloudlet.client("sts", aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="x")
    assert other.get_caller_identity()["Account"] == "000000000000"


def test_assume_role_gives_working_credentials_of_the_roles_account(cloudlet) -> None:  # noqa: ANN001
    sts = cloudlet.client("sts")
    before = cloudlet.now()
    result = sts.assume_role(RoleArn=ROLE, RoleSessionName="build-42", DurationSeconds=900)
    credentials = result["Credentials"]
    assert credentials["AccessKeyId"].startswith("ASIA") and len(credentials["AccessKeyId"]) == 20
    assert credentials["SessionToken"] and credentials["SecretAccessKey"]
    assert abs(credentials["Expiration"].timestamp() - (before + 900)) < 5
    user = result["AssumedRoleUser"]
    assert user["Arn"] == "arn:aws:sts::123456789012:assumed-role/deployer/build-42"
    assert user["AssumedRoleId"].startswith("AROA") and user["AssumedRoleId"].endswith(":build-42")

    identity = session_client(cloudlet, credentials).get_caller_identity()
    assert identity["Account"] == "123456789012"
    assert identity["Arn"] == user["Arn"] and identity["UserId"] == user["AssumedRoleId"]
    again = sts.assume_role(RoleArn=ROLE, RoleSessionName="other")
    assert again["AssumedRoleUser"]["AssumedRoleId"].split(":")[0] == user["AssumedRoleId"].split(":")[0]


def test_expired_session_credentials_are_rejected(cloudlet) -> None:  # noqa: ANN001
    credentials = cloudlet.client("sts").assume_role(RoleArn=ROLE, RoleSessionName="short", DurationSeconds=900)[
        "Credentials"
    ]
    session = session_client(cloudlet, credentials)
    session.get_caller_identity()
    cloudlet.advance_clock(901)
    with pytest.raises(ClientError) as excinfo:
        session.get_caller_identity()
    assert error_of(excinfo) == ("ExpiredToken", "The security token included in the request is expired", 400)
    ddb = session_client(cloudlet, credentials, "dynamodb")
    with pytest.raises(ClientError) as excinfo:
        ddb.describe_limits()
    assert error_of(excinfo)[0] == "ExpiredTokenException"


def test_get_session_token(cloudlet) -> None:  # noqa: ANN001
    sts = cloudlet.client("sts", aws_access_key_id="444455556666", aws_secret_access_key="x")
    now = cloudlet.now()
    credentials = sts.get_session_token()["Credentials"]
    assert abs(credentials["Expiration"].timestamp() - (now + 43200)) < 5
    session = session_client(cloudlet, credentials)
    assert session.get_caller_identity()["Account"] == "444455556666"
    with pytest.raises(ClientError) as excinfo:
        session.get_session_token()
    assert error_of(excinfo) == ("AccessDenied", "Cannot call GetSessionToken with session credentials", 403)


def test_assume_role_with_web_identity_reads_the_token(cloudlet) -> None:  # noqa: ANN001
    token = jwt({"sub": "user-7", "aud": "my-client", "iss": "https://issuer.example.com", "exp": 4102444800})
    sts = cloudlet.client("sts")
    result = sts.assume_role_with_web_identity(RoleArn=ROLE, RoleSessionName="web", WebIdentityToken=token)
    assert result["SubjectFromWebIdentityToken"] == "user-7"
    assert result["Audience"] == "my-client"
    assert result["Provider"] == "https://issuer.example.com"
    identity = session_client(cloudlet, result["Credentials"]).get_caller_identity()
    assert identity["Arn"] == "arn:aws:sts::123456789012:assumed-role/deployer/web"


def test_assume_role_with_web_identity_rejects_bad_and_expired_tokens(cloudlet) -> None:  # noqa: ANN001
    sts = cloudlet.client("sts")
    with pytest.raises(ClientError) as excinfo:
        sts.assume_role_with_web_identity(RoleArn=ROLE, RoleSessionName="web", WebIdentityToken="not-a-jwt")
    assert error_of(excinfo)[0] == "InvalidIdentityToken"
    expired = jwt({"sub": "u", "aud": "a", "iss": "i", "exp": 1000})
    with pytest.raises(ClientError) as excinfo:
        sts.assume_role_with_web_identity(RoleArn=ROLE, RoleSessionName="web", WebIdentityToken=expired)
    assert error_of(excinfo)[0] == "ExpiredTokenException"


def test_get_federation_token(cloudlet) -> None:  # noqa: ANN001
    sts = cloudlet.client("sts", aws_access_key_id="555566667777", aws_secret_access_key="x")
    now = cloudlet.now()
    result = sts.get_federation_token(Name="alice", DurationSeconds=7200, Policy='{"Version":"2012-10-17"}')
    assert result["FederatedUser"] == {
        "FederatedUserId": "555566667777:alice", "Arn": "arn:aws:sts::555566667777:federated-user/alice"
    }
    assert 0 < result["PackedPolicySize"] <= 100
    # root credentials get an hour at most
    assert abs(result["Credentials"]["Expiration"].timestamp() - (now + 3600)) < 5
    session = session_client(cloudlet, result["Credentials"])
    assert session.get_caller_identity()["Arn"] == "arn:aws:sts::555566667777:federated-user/alice"
    with pytest.raises(ClientError) as excinfo:
        session.get_federation_token(Name="bob")
    assert error_of(excinfo)[0] == "AccessDenied"


def test_get_access_key_info(cloudlet) -> None:  # noqa: ANN001
    sts = cloudlet.client("sts")
    issued = sts.assume_role(RoleArn=ROLE, RoleSessionName="key-info")["Credentials"]["AccessKeyId"]
    assert sts.get_access_key_info(AccessKeyId=issued)["Account"] == "123456789012"
    assert sts.get_access_key_info(AccessKeyId="AKIAIOSFODNN7EXAMPLE")["Account"] == "000000000000"


def test_validation_errors_are_stss_own(cloudlet) -> None:  # noqa: ANN001
    sts = cloudlet.client("sts", config=UNVALIDATED)
    with pytest.raises(ClientError) as excinfo:
        sts.assume_role(RoleArn=ROLE, RoleSessionName="s", DurationSeconds=100)
    code, message, status = error_of(excinfo)
    assert (code, status) == ("ValidationError", 400)
    assert "Value '100' at 'durationSeconds' failed to satisfy constraint" in message
    assert "Member must have value greater than or equal to 900" in message
    with pytest.raises(ClientError) as excinfo:
        sts.assume_role(RoleArn=ROLE)
    # STS answers a missing member in Coral's words (aws/aws-sdk-cpp#1252 shows the real response)
    assert error_of(excinfo) == (
        "ValidationError",
        "1 validation error detected: Value null at 'roleSessionName' failed to satisfy constraint: "
        "Member must not be null",
        400,
    )
    with pytest.raises(ClientError) as excinfo:
        sts.assume_role(RoleArn="not-an-arn", RoleSessionName="s")
    assert error_of(excinfo)[0] == "ValidationError"


def test_aws_cli_talks_to_cloudlet(cloudlet) -> None:  # noqa: ANN001
    result = subprocess.run(
        ["aws", "sts", "get-caller-identity", "--output", "json"],
        env=cloudlet.env(), capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["Arn"] == "arn:aws:iam::000000000000:root"
