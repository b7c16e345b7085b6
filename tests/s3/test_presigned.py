"""Presigned URLs (SigV4 and SigV2) and presigned POST (browser form uploads) with their policies."""

from __future__ import annotations

import urllib.error
import urllib.request
import xml.etree.ElementTree as ET

import pytest
from botocore.config import Config as BotoConfig

SIGV4 = BotoConfig(signature_version="s3v4")
SIGV2 = BotoConfig(signature_version="s3")


def fetch(url: str, method: str = "GET", data: bytes | None = None, headers: dict | None = None):
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def test_presigned_get_put_head_delete(cloudlet, bucket) -> None:
    s3 = cloudlet.client("s3", config=SIGV4)
    put = s3.generate_presigned_url("put_object", Params={"Bucket": bucket, "Key": "p k"}, ExpiresIn=60)
    assert fetch(put, "PUT", b"presigned body")[0] == 200
    get = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "p k"}, ExpiresIn=60)
    status, _, body = fetch(get)
    assert (status, body) == (200, b"presigned body")
    head = s3.generate_presigned_url("head_object", Params={"Bucket": bucket, "Key": "p k"}, ExpiresIn=60)
    status, headers, _ = fetch(head, "HEAD")
    assert status == 200 and headers["Content-Length"] == "14"
    delete = s3.generate_presigned_url("delete_object", Params={"Bucket": bucket, "Key": "p k"}, ExpiresIn=60)
    assert fetch(delete, "DELETE")[0] == 204
    assert fetch(get)[0] == 404


def test_presigned_expiry_is_enforced(private) -> None:
    s3 = private.client("s3", config=SIGV4)
    s3.create_bucket(Bucket="expiring")
    s3.put_object(Bucket="expiring", Key="k", Body=b"x")
    url = s3.generate_presigned_url("get_object", Params={"Bucket": "expiring", "Key": "k"}, ExpiresIn=30)
    assert fetch(url)[0] == 200
    private.advance_clock(60)
    status, _, body = fetch(url)
    assert status == 403
    error = ET.fromstring(body)
    assert error.findtext("Code") == "AccessDenied" and error.findtext("Message") == "Request has expired"
    old = private.client("s3", config=SIGV2).generate_presigned_url(
        "get_object", Params={"Bucket": "expiring", "Key": "k"}, ExpiresIn=120)  # the clock is 60 s ahead
    assert fetch(old)[0] == 200  # SigV2 query auth, for old clients
    private.advance_clock(120)
    assert fetch(old)[0] == 403
    negative = s3.generate_presigned_url("get_object", Params={"Bucket": "expiring", "Key": "k"}, ExpiresIn=30)
    negative = negative.replace("X-Amz-Expires=30", "X-Amz-Expires=-1")  # botocore refuses to sign that
    status, _, body = fetch(negative)
    assert status == 400 and ET.fromstring(body).findtext("Message") == "X-Amz-Expires must be non-negative"


def post_form(url: str, fields: dict, content: bytes, filename: str = "upload.txt"):
    boundary = "----cloudletboundary"
    parts = []
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
                 f"Content-Type: text/plain\r\n\r\n".encode() + content + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return fetch(url, "POST", b"".join(parts), {"Content-Type": f"multipart/form-data; boundary={boundary}"})


def test_presigned_post_with_conditions(cloudlet, bucket) -> None:
    s3 = cloudlet.client("s3", config=SIGV4)
    post = s3.generate_presigned_post(
        bucket, "uploads/${filename}",
        Fields={"success_action_status": "201", "Content-Type": "text/plain", "x-amz-meta-tag": "web"},
        Conditions=[["starts-with", "$key", "uploads/"], ["content-length-range", 1, 100],
                    {"success_action_status": "201"}, {"Content-Type": "text/plain"}, {"x-amz-meta-tag": "web"}],
        ExpiresIn=60,
    )
    status, headers, body = post_form(post["url"], post["fields"], b"form body", "note.txt")
    assert status == 201, body
    document = ET.fromstring(body)
    assert document.tag.endswith("PostResponse")
    assert document.findtext("{http://s3.amazonaws.com/doc/2006-03-01/}Key") == "uploads/note.txt"
    got = s3.get_object(Bucket=bucket, Key="uploads/note.txt")
    assert got["Body"].read() == b"form body" and got["Metadata"] == {"tag": "web"}
    assert got["ContentType"] == "text/plain" and headers["ETag"] == got["ETag"]

    status, _, body = post_form(post["url"], post["fields"], b"x" * 101)
    assert status == 400 and ET.fromstring(body).findtext("Code") == "EntityTooLarge"
    wrong = dict(post["fields"], key="elsewhere/file")
    status, _, body = post_form(post["url"], wrong, b"data")
    assert status == 403
    assert ET.fromstring(body).findtext("Message") == (
        'Invalid according to Policy: Policy Condition failed: ["starts-with", "$key", "uploads/"]')
    extra = dict(post["fields"], surprise="field")
    status, _, body = post_form(post["url"], extra, b"data")
    assert status == 403 and "Extra input fields: surprise" in ET.fromstring(body).findtext("Message")


def test_presigned_post_default_and_redirect(cloudlet, bucket) -> None:
    s3 = cloudlet.client("s3", config=SIGV4)
    post = s3.generate_presigned_post(bucket, "plain.txt", ExpiresIn=60)
    status, _, body = post_form(post["url"], post["fields"], b"hello")
    assert status == 204 and body == b""
    redirect = s3.generate_presigned_post(bucket, "r.txt", Fields={"success_action_redirect": "http://example.test/ok"},
                                          Conditions=[{"success_action_redirect": "http://example.test/ok"}])

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):  # noqa: ANN002, ANN003
            return None

    boundary = "b0undary"
    fields = redirect["fields"]
    body = b"".join(f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
                    for k, v in fields.items())
    body += f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="r"\r\n\r\nR\r\n--{boundary}--\r\n'.encode()
    opener = urllib.request.build_opener(NoRedirect)
    request = urllib.request.Request(redirect["url"], data=body, method="POST",
                                     headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    with pytest.raises(urllib.error.HTTPError) as e:
        opener.open(request, timeout=30)
    assert e.value.code == 303
    assert e.value.headers["Location"].startswith("http://example.test/ok?bucket=")
    assert s3.get_object(Bucket=bucket, Key="r.txt")["Body"].read() == b"R"


def test_a_stored_value_http_cannot_carry_back_still_gets_an_answer(cloudlet, bucket) -> None:  # noqa: ANN001
    # A browser form may carry a CR LF in a metadata field; no header can carry it back.
    post = cloudlet.client("s3").generate_presigned_post(
        bucket, "crlf", Fields={"x-amz-meta-note": "a\r\nb"}, Conditions=[{"x-amz-meta-note": "a\r\nb"}],
    )
    assert post_form(post["url"], post["fields"], b"hello")[0] == 204
    status, _, body = fetch(f"{cloudlet.endpoint}/{bucket}/crlf")
    assert (status, body) == (500, b"Cloudlet could not encode this answer's headers.")


def test_presigned_post_expired_policy(private) -> None:
    s3 = private.client("s3", config=SIGV4)
    s3.create_bucket(Bucket="postexpiry")
    post = s3.generate_presigned_post("postexpiry", "k", ExpiresIn=10)
    private.advance_clock(3600)
    status, _, body = post_form(post["url"], post["fields"], b"late")
    assert status == 403 and ET.fromstring(body).findtext("Message") == "Invalid according to Policy: Policy expired."


def test_presigned_virtual_hosted_urls_verify(cloudlet, bucket) -> None:
    """A URL signed for <bucket>.s3.localhost.localstack.cloud is checked against the path it was signed with."""
    import urllib.parse

    from tests.s3.support import send

    port = cloudlet.endpoint.rsplit(":", 1)[1]
    import boto3

    s3 = boto3.client("s3", endpoint_url=f"http://s3.localhost.localstack.cloud:{port}", region_name="us-east-1",
                      aws_access_key_id="test", aws_secret_access_key="test",
                      config=BotoConfig(signature_version="s3v4", s3={"addressing_style": "virtual"}))
    cloudlet.client("s3").put_object(Bucket=bucket, Key="v/key 1", Body=b"virtual")
    url = urllib.parse.urlsplit(s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "v/key 1"}))
    assert url.hostname == f"{bucket}.s3.localhost.localstack.cloud"
    answer = send(cloudlet.endpoint, "GET", url.path, query=url.query, host=url.netloc)
    assert (answer.status, answer.body) == (200, b"virtual"), answer.text()
    tampered = url.query.replace("X-Amz-Signature=", "X-Amz-Signature=0")
    assert send(cloudlet.endpoint, "GET", url.path, query=tampered, host=url.netloc).status == 403
