"""Signatures: presigned expiry always enforced; strict mode verifies against secrets Cloudlet issued."""

from __future__ import annotations

import urllib.error
import urllib.request
import xml.etree.ElementTree as ET

import pytest
from botocore.config import Config as BotoConfig
from botocore.exceptions import ClientError

from cloudlet.config import Config
from cloudlet.testing import cloudlet_server

SIGV4 = BotoConfig(signature_version="s3v4")


@pytest.fixture(scope="module")
def cloudlet():  # noqa: ANN201
    """A server of this module's own: presigned URLs are signed by the wall clock, and the shared
    server's clock has been moved by other tests."""
    with cloudlet_server() as cloud:
        yield cloud


def get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def error_code(body: bytes) -> tuple[str, str]:
    root = ET.fromstring(body)
    return root.find(".//{*}Code").text, root.find(".//{*}Message").text


def test_presigned_url_works_until_it_expires(cloudlet) -> None:  # noqa: ANN001
    # signed for GET, as AWS verifies the method too (botocore presigns with the model's POST by default)
    url = cloudlet.client("sts").generate_presigned_url("get_caller_identity", ExpiresIn=60, HttpMethod="GET")
    status, body = get(url)
    assert status == 200 and b"arn:aws:iam::000000000000:root" in body
    cloudlet.advance_clock(61)
    status, body = get(url)
    assert status == 403 and error_code(body) == ("AccessDenied", "Request has expired")


def test_presigned_s3_url_expiry_is_checked_before_anything_else(cloudlet) -> None:  # noqa: ANN001
    url = cloudlet.client("s3", config=SIGV4).generate_presigned_url(
        "get_object", Params={"Bucket": "bucket", "Key": "k"}, ExpiresIn=10
    )
    cloudlet.advance_clock(11)
    status, body = get(url)
    root = ET.fromstring(body)
    assert status == 403 and root.tag == "Error"
    assert (root.findtext("Code"), root.findtext("Message")) == ("AccessDenied", "Request has expired")
    assert root.findtext("X-Amz-Expires") == "10" and root.findtext("ServerTime")


def test_presigned_expiry_over_a_week_is_refused(cloudlet) -> None:  # noqa: ANN001
    url = cloudlet.client("s3", config=SIGV4).generate_presigned_url(
        "get_object", Params={"Bucket": "bucket", "Key": "k"}, ExpiresIn=604801
    )
    status, body = get(url)
    assert status == 400 and error_code(body)[0] == "AuthorizationQueryParametersError"


def test_sigv2_presigned_expiry(cloudlet) -> None:  # noqa: ANN001
    now = int(cloudlet.now())
    url = f"{cloudlet.endpoint}/bucket/key?AWSAccessKeyId=test&Expires={now - 5}&Signature=abc"
    status, body = get(url)
    assert status == 403 and error_code(body) == ("AccessDenied", "Request has expired")


@pytest.fixture(scope="module")
def strict():  # noqa: ANN201
    with cloudlet_server(Config(port=0, ephemeral=True, strict_signatures=True)) as cloud:
        yield cloud


def test_strict_accepts_the_builtin_pair_and_issued_credentials(strict) -> None:  # noqa: ANN001
    sts = strict.client("sts")
    assert sts.get_caller_identity()["Account"] == "000000000000"
    credentials = sts.assume_role(
        RoleArn="arn:aws:iam::123456789012:role/strict", RoleSessionName="strict"
    )["Credentials"]
    session = strict.client(
        "sts", aws_access_key_id=credentials["AccessKeyId"], aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
    )
    assert session.get_caller_identity()["Account"] == "123456789012"
    assert strict.client("dynamodb").describe_limits()["AccountMaxReadCapacityUnits"] == 80000


def test_strict_rejects_a_wrong_secret(strict) -> None:  # noqa: ANN001
    for service, call in (("sts", "get_caller_identity"), ("dynamodb", "describe_limits")):
        client = strict.client(service, aws_secret_access_key="wrong")
        with pytest.raises(ClientError) as excinfo:
            getattr(client, call)()
        assert excinfo.value.response["Error"]["Code"] == "SignatureDoesNotMatch"
        assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_strict_rejects_unknown_keys(strict) -> None:  # noqa: ANN001
    client = strict.client("sts", aws_access_key_id="AKIAUNKNOWNKEY000000", aws_secret_access_key="x")
    with pytest.raises(ClientError) as excinfo:
        client.get_caller_identity()
    assert excinfo.value.response["Error"]["Code"] == "InvalidClientTokenId"


def test_strict_s3_signature_mismatch_shows_the_canonical_request(strict) -> None:  # noqa: ANN001
    url = strict.client("s3", aws_secret_access_key="wrong", config=SIGV4).generate_presigned_url(
        "get_object", Params={"Bucket": "bucket", "Key": "some key"}, ExpiresIn=60
    )
    status, body = get(url)
    root = ET.fromstring(body)
    assert status == 403 and root.findtext("Code") == "SignatureDoesNotMatch"
    assert root.findtext("CanonicalRequest").startswith("GET\n/bucket/some%20key\n")
    assert root.findtext("StringToSign").startswith("AWS4-HMAC-SHA256\n")


def test_presigned_urls_of_known_keys_are_verified_even_without_strict(cloudlet) -> None:  # noqa: ANN001
    url = cloudlet.client("sts").generate_presigned_url("get_caller_identity", ExpiresIn=3600)  # signed as POST
    status, body = get(url)
    assert status == 403 and error_code(body)[0] == "SignatureDoesNotMatch"


def test_non_strict_accepts_any_secret(cloudlet) -> None:  # noqa: ANN001
    client = cloudlet.client("sts", aws_secret_access_key="anything")
    assert client.get_caller_identity()["Account"] == "000000000000"
