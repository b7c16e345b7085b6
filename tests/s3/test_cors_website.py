"""CORS rules (preflights and headers on answers) and static website hosting, over plain HTTP."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from tests.s3.support import send

RULES = {"CORSRules": [
    {"AllowedOrigins": ["http://*.example.test"], "AllowedMethods": ["GET", "PUT"], "AllowedHeaders": ["content-*"],
     "ExposeHeaders": ["ETag"], "MaxAgeSeconds": 300},
    {"AllowedOrigins": ["*"], "AllowedMethods": ["HEAD"]},
]}


def test_cors_configuration_round_trip_and_validation(s3, bucket) -> None:
    with pytest.raises(ClientError) as e:
        s3.get_bucket_cors(Bucket=bucket)
    assert (e.value.response["Error"]["Code"], e.value.response["Error"]["Message"]) == (
        "NoSuchCORSConfiguration", "The CORS configuration does not exist")
    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration=RULES)
    assert s3.get_bucket_cors(Bucket=bucket)["CORSRules"] == RULES["CORSRules"]
    with pytest.raises(ClientError) as e:
        s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": [
            {"AllowedOrigins": ["*"], "AllowedMethods": ["PATCH"]}]})
    assert e.value.response["Error"]["Message"] == (
        "Found unsupported HTTP method in CORS config. Unsupported method is PATCH")
    s3.delete_bucket_cors(Bucket=bucket)
    with pytest.raises(ClientError):
        s3.get_bucket_cors(Bucket=bucket)


def test_preflight_and_response_headers(cloudlet, s3, bucket) -> None:
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    asking = {"Origin": "http://app.example.test", "Access-Control-Request-Method": "PUT",
              "Access-Control-Request-Headers": "content-type"}
    no_config = send(cloudlet.endpoint, "OPTIONS", f"/{bucket}/k", headers=asking)
    assert no_config.status == 403 and "CORS is not enabled for this bucket" in no_config.text()
    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration=RULES)
    ok = send(cloudlet.endpoint, "OPTIONS", f"/{bucket}/k", headers=asking)
    assert ok.status == 200
    assert ok.headers["access-control-allow-origin"] == "http://app.example.test"
    assert ok.headers["access-control-allow-methods"] == "GET, PUT"
    assert ok.headers["access-control-allow-headers"] == "content-type"
    assert ok.headers["access-control-max-age"] == "300"
    assert ok.headers["access-control-expose-headers"] == "ETag"
    for bad in ({**asking, "Origin": "http://evil.test"}, {**asking, "Access-Control-Request-Method": "DELETE"},
                {**asking, "Access-Control-Request-Headers": "x-custom"}):
        refused = send(cloudlet.endpoint, "OPTIONS", f"/{bucket}/k", headers=bad)
        assert refused.status == 403 and "<Code>AccessForbidden</Code>" in refused.text()
    missing = send(cloudlet.endpoint, "OPTIONS", f"/{bucket}/k", headers={"Access-Control-Request-Method": "GET"})
    assert missing.status == 400
    star = send(cloudlet.endpoint, "OPTIONS", f"/{bucket}", headers={"Origin": "http://x.test",
                                                                  "Access-Control-Request-Method": "HEAD"})
    assert star.status == 200 and star.headers["access-control-allow-origin"] == "*"

    got = send(cloudlet.endpoint, "GET", f"/{bucket}/k", headers={"Origin": "http://app.example.test"})
    assert got.status == 200 and got.headers["access-control-allow-origin"] == "http://app.example.test"
    assert got.headers["access-control-expose-headers"] == "ETag"
    other = send(cloudlet.endpoint, "GET", f"/{bucket}/k", headers={"Origin": "http://evil.test"})
    assert "access-control-allow-origin" not in other.headers
    error = send(cloudlet.endpoint, "GET", f"/{bucket}/missing", headers={"Origin": "http://app.example.test"})
    assert error.status == 404 and error.headers["access-control-allow-origin"] == "http://app.example.test"


def website(cloudlet, bucket: str, path: str, method: str = "GET"):
    port = cloudlet.endpoint.rsplit(":", 1)[1]
    return send(cloudlet.endpoint, method, path, host=f"{bucket}.s3-website.localhost.localstack.cloud:{port}")


def test_website_index_error_and_redirects(cloudlet, s3, bucket) -> None:
    assert website(cloudlet, bucket, "/").status == 404
    assert "NoSuchWebsiteConfiguration" in website(cloudlet, bucket, "/").text()
    s3.put_object(Bucket=bucket, Key="index.html", Body=b"<h1>home</h1>", ContentType="text/html")
    s3.put_object(Bucket=bucket, Key="docs/index.html", Body=b"docs home", ContentType="text/html")
    s3.put_object(Bucket=bucket, Key="404.html", Body=b"not here", ContentType="text/html")
    s3.put_object(Bucket=bucket, Key="moved", Body=b"", WebsiteRedirectLocation="/docs/")
    s3.put_bucket_website(Bucket=bucket, WebsiteConfiguration={
        "IndexDocument": {"Suffix": "index.html"}, "ErrorDocument": {"Key": "404.html"},
        "RoutingRules": [{"Condition": {"KeyPrefixEquals": "old/"},
                          "Redirect": {"ReplaceKeyPrefixWith": "docs/", "HttpRedirectCode": "301"}}]})
    assert s3.get_bucket_website(Bucket=bucket)["IndexDocument"] == {"Suffix": "index.html"}
    home = website(cloudlet, bucket, "/")
    assert (home.status, home.body, home.headers["content-type"]) == (200, b"<h1>home</h1>", "text/html")
    assert website(cloudlet, bucket, "/docs/").body == b"docs home"
    folder = website(cloudlet, bucket, "/docs")
    assert folder.status == 302 and folder.headers["location"] == "/docs/"
    missing = website(cloudlet, bucket, "/nothing")
    assert (missing.status, missing.body) == (404, b"not here")
    rule = website(cloudlet, bucket, "/old/page.html")
    assert rule.status == 301 and rule.headers["location"].endswith("/docs/page.html")
    assert website(cloudlet, bucket, "/moved").headers["location"] == "/docs/"
    assert website(cloudlet, bucket, "/", "DELETE").status == 405
    # the path form, for clients that cannot set a host name
    assert send(cloudlet.endpoint, "GET", f"/_cloudlet/s3/website/{bucket}/docs/").body == b"docs home"


def test_website_redirect_everything_and_validation(cloudlet, s3, bucket) -> None:
    s3.put_bucket_website(Bucket=bucket, WebsiteConfiguration={
        "RedirectAllRequestsTo": {"HostName": "example.test", "Protocol": "https"}})
    answer = website(cloudlet, bucket, "/a/b")
    assert answer.status == 301 and answer.headers["location"] == "https://example.test/a/b"
    with pytest.raises(ClientError) as e:
        s3.put_bucket_website(Bucket=bucket, WebsiteConfiguration={"IndexDocument": {"Suffix": "a/b"}})
    assert e.value.response["Error"]["Code"] == "InvalidArgument"
    s3.delete_bucket_website(Bucket=bucket)
    with pytest.raises(ClientError) as e:
        s3.get_bucket_website(Bucket=bucket)
    assert e.value.response["Error"]["Code"] == "NoSuchWebsiteConfiguration"
