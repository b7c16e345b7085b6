"""Objects: writes, reads, ranges, conditions, copies, deletes, tags, encryption, attributes."""

from __future__ import annotations

import base64
import hashlib
import os
from datetime import UTC, datetime, timedelta

import pytest
from botocore.exceptions import ClientError

from tests.s3.support import send


def code(excinfo) -> str:
    return excinfo.value.response["Error"]["Code"]


def status(excinfo) -> int:
    return excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"]


def test_put_get_head_with_metadata_and_content_headers(s3, bucket) -> None:
    expires = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)
    put = s3.put_object(
        Bucket=bucket, Key="doc.txt", Body=b"hello world", ContentType="text/plain", ContentEncoding="identity",
        ContentDisposition='attachment; filename="d.txt"', ContentLanguage="fr", CacheControl="max-age=60",
        Expires=expires, Metadata={"Color": "blue", "n": "1"}, StorageClass="STANDARD_IA",
    )
    assert put["ETag"] == f'"{hashlib.md5(b"hello world").hexdigest()}"'
    assert put["ServerSideEncryption"] == "AES256"  # every bucket encrypts by default
    get = s3.get_object(Bucket=bucket, Key="doc.txt")
    assert get["Body"].read() == b"hello world"
    assert get["ContentType"] == "text/plain"
    assert get["ContentEncoding"] == "identity"
    assert get["ContentDisposition"] == 'attachment; filename="d.txt"'
    assert get["ContentLanguage"] == "fr"
    assert get["CacheControl"] == "max-age=60"
    assert get["Expires"] == expires
    s3.put_object(Bucket=bucket, Key="twice.gz", Body=b"x", ContentEncoding="deflate, gzip", ChecksumAlgorithm="CRC32")
    assert s3.head_object(Bucket=bucket, Key="twice.gz")["ContentEncoding"] == "deflate, gzip"  # kept as written
    assert get["Metadata"] == {"color": "blue", "n": "1"}
    assert get["StorageClass"] == "STANDARD_IA"
    assert get["ETag"] == put["ETag"]
    assert get["AcceptRanges"] == "bytes"
    head = s3.head_object(Bucket=bucket, Key="doc.txt")
    assert head["ContentLength"] == 11 and head["Metadata"] == {"color": "blue", "n": "1"}
    assert "VersionId" not in head


def test_default_content_type_and_missing_key(s3, bucket) -> None:
    s3.put_object(Bucket=bucket, Key="raw", Body=b"")
    assert s3.head_object(Bucket=bucket, Key="raw")["ContentType"] == "binary/octet-stream"
    assert s3.get_object(Bucket=bucket, Key="raw")["Body"].read() == b""
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key="nope")
    assert (code(e), status(e)) == ("NoSuchKey", 404)
    assert e.value.response["Error"]["Message"] == "The specified key does not exist."
    assert e.value.response["Error"]["Key"] == "nope"
    with pytest.raises(ClientError) as e:
        s3.head_object(Bucket=bucket, Key="nope")
    assert (code(e), status(e)) == ("404", 404)
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket="no-such-bucket-anywhere", Key="k", Body=b"x")
    assert (code(e), status(e)) == ("NoSuchBucket", 404)


def test_response_header_overrides(s3, bucket) -> None:
    s3.put_object(Bucket=bucket, Key="k", Body=b"x", ContentType="text/plain")
    get = s3.get_object(
        Bucket=bucket, Key="k", ResponseContentType="application/json", ResponseCacheControl="no-cache",
        ResponseContentDisposition="inline", ResponseContentEncoding="gzip", ResponseContentLanguage="de",
        ResponseExpires=datetime(2031, 1, 1, tzinfo=UTC),
    )
    assert get["ContentType"] == "application/json"
    assert get["CacheControl"] == "no-cache"
    assert get["ContentDisposition"] == "inline"
    assert get["ContentEncoding"] == "gzip"
    assert get["ContentLanguage"] == "de"
    assert get["Expires"] == datetime(2031, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize("value", ["attachment; filename=\"D\u2019Arcy.jpg\"", "a\x00b", "line\r\nX-Injected: 1"])
def test_response_header_overrides_that_http_cannot_carry_are_refused(s3, bucket, value) -> None:
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key="k", ResponseContentDisposition=value)
    assert (code(e), status(e)) == ("InvalidArgument", 400)
    assert e.value.response["Error"]["Message"] == "Header value cannot be represented using ISO-8859-1."
    assert e.value.response["Error"]["ArgumentName"] == "response-content-disposition"
    if value.isprintable():  # XML cannot carry control characters back
        assert e.value.response["Error"]["ArgumentValue"] == value


@pytest.mark.parametrize(("header", "body", "content_range"), [
    ("bytes=0-4", b"01234", "bytes 0-4/10"),
    ("bytes=5-", b"56789", "bytes 5-9/10"),
    ("bytes=-3", b"789", "bytes 7-9/10"),
    ("bytes=8-100", b"89", "bytes 8-9/10"),
    ("bytes=-100", b"0123456789", "bytes 0-9/10"),
])
def test_ranges(s3, bucket, header, body, content_range) -> None:
    s3.put_object(Bucket=bucket, Key="digits", Body=b"0123456789")
    get = s3.get_object(Bucket=bucket, Key="digits", Range=header)
    assert get["ResponseMetadata"]["HTTPStatusCode"] == 206
    assert get["Body"].read() == body
    assert get["ContentRange"] == content_range
    assert get["ContentLength"] == len(body)


def test_unsatisfiable_and_ignored_ranges(s3, bucket) -> None:
    s3.put_object(Bucket=bucket, Key="digits", Body=b"0123456789")
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key="digits", Range="bytes=10-20")
    assert (code(e), status(e)) == ("InvalidRange", 416)
    assert e.value.response["Error"]["Message"] == "The requested range is not satisfiable"
    assert e.value.response["Error"]["ActualObjectSize"] == "10"
    assert e.value.response["Error"]["RangeRequested"] == "bytes=10-20"
    for ignored in ("bytes=5-2", "items=0-1", "bytes=0-1,3-4", "nonsense"):
        get = s3.get_object(Bucket=bucket, Key="digits", Range=ignored)
        assert get["ResponseMetadata"]["HTTPStatusCode"] == 200, ignored
        assert get["Body"].read() == b"0123456789"


def test_conditional_reads(s3, bucket) -> None:
    etag = s3.put_object(Bucket=bucket, Key="k", Body=b"v")["ETag"]
    modified = s3.head_object(Bucket=bucket, Key="k")["LastModified"]
    before, after = modified - timedelta(hours=1), modified + timedelta(hours=1)
    assert s3.get_object(Bucket=bucket, Key="k", IfMatch=etag)["Body"].read() == b"v"
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key="k", IfMatch='"other"')
    assert (code(e), status(e)) == ("PreconditionFailed", 412)
    assert e.value.response["Error"]["Condition"] == "If-Match"
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key="k", IfNoneMatch=etag)
    assert status(e) == 304
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key="k", IfModifiedSince=after)
    assert status(e) == 304
    assert s3.get_object(Bucket=bucket, Key="k", IfModifiedSince=before)["Body"].read() == b"v"
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key="k", IfUnmodifiedSince=before)
    assert (code(e), status(e)) == ("PreconditionFailed", 412)
    # If-Match that holds wins over a failing If-Unmodified-Since (RFC 7232, as S3 documents)
    assert s3.get_object(Bucket=bucket, Key="k", IfMatch=etag, IfUnmodifiedSince=before)["Body"].read() == b"v"
    with pytest.raises(ClientError) as e:
        s3.head_object(Bucket=bucket, Key="k", IfNoneMatch=etag)
    assert status(e) == 304
    with pytest.raises(ClientError) as e:
        s3.head_object(Bucket=bucket, Key="k", IfMatch='"nope"')
    assert status(e) == 412


def test_conditional_writes(s3, bucket) -> None:
    s3.put_object(Bucket=bucket, Key="once", Body=b"1", IfNoneMatch="*")
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=bucket, Key="once", Body=b"2", IfNoneMatch="*")
    assert (code(e), status(e)) == ("PreconditionFailed", 412)
    etag = s3.head_object(Bucket=bucket, Key="once")["ETag"]
    s3.put_object(Bucket=bucket, Key="once", Body=b"3", IfMatch=etag)
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=bucket, Key="once", Body=b"4", IfMatch=etag)
    assert (code(e), status(e)) == ("PreconditionFailed", 412)
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=bucket, Key="absent", Body=b"4", IfMatch=etag)
    assert (code(e), status(e)) == ("NoSuchKey", 404)
    assert s3.get_object(Bucket=bucket, Key="once")["Body"].read() == b"3"


def test_copy_with_directives_and_conditions(s3, bucket) -> None:
    s3.put_object(Bucket=bucket, Key="src", Body=b"data", ContentType="text/plain", Metadata={"a": "1"},
                  Tagging="t=1")
    copied = s3.copy_object(Bucket=bucket, Key="same-meta", CopySource={"Bucket": bucket, "Key": "src"})
    assert copied["CopyObjectResult"]["ETag"] == f'"{hashlib.md5(b"data").hexdigest()}"'
    head = s3.head_object(Bucket=bucket, Key="same-meta")
    assert head["Metadata"] == {"a": "1"} and head["ContentType"] == "text/plain"
    assert s3.get_object_tagging(Bucket=bucket, Key="same-meta")["TagSet"] == [{"Key": "t", "Value": "1"}]

    s3.copy_object(Bucket=bucket, Key="new-meta", CopySource=f"{bucket}/src", MetadataDirective="REPLACE",
                   Metadata={"b": "2"}, ContentType="application/x", TaggingDirective="REPLACE", Tagging="u=2")
    head = s3.head_object(Bucket=bucket, Key="new-meta")
    assert head["Metadata"] == {"b": "2"} and head["ContentType"] == "application/x"
    assert s3.get_object_tagging(Bucket=bucket, Key="new-meta")["TagSet"] == [{"Key": "u", "Value": "2"}]

    with pytest.raises(ClientError) as e:
        s3.copy_object(Bucket=bucket, Key="src", CopySource={"Bucket": bucket, "Key": "src"})
    assert (code(e), status(e)) == ("InvalidRequest", 400)
    assert "copy an object to itself" in e.value.response["Error"]["Message"]
    s3.copy_object(Bucket=bucket, Key="src", CopySource={"Bucket": bucket, "Key": "src"},
                   MetadataDirective="REPLACE", Metadata={"changed": "yes"})
    assert s3.head_object(Bucket=bucket, Key="src")["Metadata"] == {"changed": "yes"}

    with pytest.raises(ClientError) as e:
        s3.copy_object(Bucket=bucket, Key="c", CopySource={"Bucket": bucket, "Key": "src"},
                       CopySourceIfMatch='"different"')
    assert (code(e), status(e)) == ("PreconditionFailed", 412)
    assert e.value.response["Error"]["Condition"] == "x-amz-copy-source-If-Match"
    with pytest.raises(ClientError) as e:
        s3.copy_object(Bucket=bucket, Key="c", CopySource={"Bucket": bucket, "Key": "missing"})
    assert (code(e), status(e)) == ("NoSuchKey", 404)


def test_copy_large_multipart_source(s3, bucket) -> None:
    body = os.urandom(6 * 1024 * 1024) + b"tail"
    upload = s3.create_multipart_upload(Bucket=bucket, Key="mp")
    parts = []
    for number, chunk in enumerate((body[: 5 * 1024 * 1024], body[5 * 1024 * 1024:]), start=1):
        etag = s3.upload_part(Bucket=bucket, Key="mp", UploadId=upload["UploadId"], PartNumber=number,
                              Body=chunk)["ETag"]
        parts.append({"PartNumber": number, "ETag": etag})
    s3.complete_multipart_upload(Bucket=bucket, Key="mp", UploadId=upload["UploadId"],
                                 MultipartUpload={"Parts": parts})
    s3.copy_object(Bucket=bucket, Key="copy", CopySource={"Bucket": bucket, "Key": "mp"})
    got = s3.get_object(Bucket=bucket, Key="copy")
    assert got["ETag"] == f'"{hashlib.md5(body).hexdigest()}"'
    assert got["Body"].read() == body


def test_delete_objects_quiet_and_errors(s3, bucket) -> None:
    for key in ("a", "b", "c"):
        s3.put_object(Bucket=bucket, Key=key, Body=b"x")
    result = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "a"}, {"Key": "b"}, {"Key": "zzz"}]})
    assert sorted(d["Key"] for d in result["Deleted"]) == ["a", "b", "zzz"]
    assert "Errors" not in result
    quiet = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "c"}], "Quiet": True})
    assert "Deleted" not in quiet
    failed = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "k" * 1025}, {"Key": "x"}]})
    assert failed["Errors"][0]["Code"] == "KeyTooLongError"
    assert [d["Key"] for d in failed["Deleted"]] == ["x"]
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0


def test_tagging(s3, bucket) -> None:
    s3.put_object(Bucket=bucket, Key="k", Body=b"x", Tagging="a=1&b=two%20words")
    assert s3.get_object_tagging(Bucket=bucket, Key="k")["TagSet"] == [
        {"Key": "a", "Value": "1"}, {"Key": "b", "Value": "two words"}]
    assert s3.get_object(Bucket=bucket, Key="k")["TagCount"] == 2
    s3.put_object_tagging(Bucket=bucket, Key="k", Tagging={"TagSet": [{"Key": "z", "Value": ""}]})
    assert s3.get_object_tagging(Bucket=bucket, Key="k")["TagSet"] == [{"Key": "z", "Value": ""}]
    s3.delete_object_tagging(Bucket=bucket, Key="k")
    assert s3.get_object_tagging(Bucket=bucket, Key="k")["TagSet"] == []
    with pytest.raises(ClientError) as e:
        s3.put_object_tagging(Bucket=bucket, Key="k", Tagging={"TagSet": [{"Key": f"k{i}", "Value": "v"}
                                                                          for i in range(11)]})
    assert (code(e), e.value.response["Error"]["Message"]) == ("InvalidTag", "Object tags cannot be greater than 10")
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=bucket, Key="k2", Body=b"x", Tagging="a=1&a=2")
    assert code(e) == "InvalidTag"
    s3.put_object(Bucket=bucket, Key="k3", Body=b"x", Tagging="foo=bar&flag")  # a key alone: an empty value
    assert s3.get_object_tagging(Bucket=bucket, Key="k3")["TagSet"] == [
        {"Key": "foo", "Value": "bar"}, {"Key": "flag", "Value": ""}]


def test_metadata_and_key_limits(s3, bucket) -> None:
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=bucket, Key="k", Body=b"x", Metadata={"big": "v" * 2100})
    assert (code(e), status(e)) == ("MetadataTooLarge", 400)
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=bucket, Key="k" * 1025, Body=b"x")
    assert (code(e), e.value.response["Error"]["Message"]) == ("KeyTooLongError", "Your key is too long")
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=bucket, Key="k", Body=b"x", StorageClass="COLD")
    assert code(e) in ("InvalidStorageClass",)


def test_server_side_encryption_headers(s3, bucket) -> None:
    kms = s3.put_object(Bucket=bucket, Key="kms", Body=b"x", ServerSideEncryption="aws:kms",
                        BucketKeyEnabled=True)
    assert kms["ServerSideEncryption"] == "aws:kms"
    assert kms["SSEKMSKeyId"].startswith("arn:aws:kms:us-east-1:000000000000:key/")
    assert kms["BucketKeyEnabled"] is True
    own = s3.put_object(Bucket=bucket, Key="kms2", Body=b"x", ServerSideEncryption="aws:kms",
                        SSEKMSKeyId="1234abcd-12ab-34cd-56ef-1234567890ab")
    assert own["SSEKMSKeyId"] == "arn:aws:kms:us-east-1:000000000000:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    head = s3.head_object(Bucket=bucket, Key="kms2")
    assert head["ServerSideEncryption"] == "aws:kms" and head["SSEKMSKeyId"] == own["SSEKMSKeyId"]


def test_customer_provided_keys(s3, bucket) -> None:
    key = os.urandom(32)
    put = s3.put_object(Bucket=bucket, Key="secret", Body=b"hidden", SSECustomerAlgorithm="AES256",
                        SSECustomerKey=key)
    assert put["SSECustomerAlgorithm"] == "AES256"
    assert put["SSECustomerKeyMD5"] == base64.b64encode(hashlib.md5(key).digest()).decode()
    got = s3.get_object(Bucket=bucket, Key="secret", SSECustomerAlgorithm="AES256", SSECustomerKey=key)
    assert got["Body"].read() == b"hidden"
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key="secret")
    assert (code(e), status(e)) == ("InvalidRequest", 400)
    with pytest.raises(ClientError) as e:
        s3.head_object(Bucket=bucket, Key="secret", SSECustomerAlgorithm="AES256", SSECustomerKey=os.urandom(32))
    assert status(e) == 403
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=bucket, Key="bad", Body=b"x", SSECustomerAlgorithm="AES256", SSECustomerKey=b"short")
    assert code(e) == "InvalidArgument"


def test_customer_key_without_its_md5(cloudlet, bucket) -> None:  # noqa: ANN001
    s3 = cloudlet.client("s3")

    def drop_md5(request, **_) -> None:  # noqa: ANN001, ANN003
        del request.headers["x-amz-server-side-encryption-customer-key-MD5"]  # what a hand-made request may do

    s3.meta.events.register("before-sign.s3.PutObject", drop_md5)
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=bucket, Key="no-md5", Body=b"x", SSECustomerAlgorithm="AES256", SSECustomerKey=os.urandom(32))
    assert (code(e), e.value.response["Error"]["Message"]) == ("InvalidArgument", (
        "Requests specifying Server Side Encryption with Customer provided keys must provide the client calculated MD5 "
        "of the secret key."))


def test_get_object_attributes(s3, bucket) -> None:
    s3.put_object(Bucket=bucket, Key="k", Body=b"12345", ChecksumAlgorithm="SHA256")
    attrs = s3.get_object_attributes(Bucket=bucket, Key="k",
                                     ObjectAttributes=["ETag", "Checksum", "ObjectSize", "StorageClass"])
    assert attrs["ETag"] == hashlib.md5(b"12345").hexdigest()
    assert attrs["ObjectSize"] == 5
    assert attrs["StorageClass"] == "STANDARD"
    assert attrs["Checksum"]["ChecksumSHA256"] == base64.b64encode(hashlib.sha256(b"12345").digest()).decode()


KEYS = [
    "plain", "with space", "plus+sign", "percent%20literal", "double//slash", "dots/../..", "trailing/",
    "ünïcödé/日本語/😀", "question?mark", "hash#tag", "amp&eq=", "tab\tchar", "semi;colon", "  lead", "/leading",
    "~tilde", "back\\slash", "quote\"'", "<xml>&amp;", ".", "..",
]


def test_keys_round_trip_exactly(s3, bucket) -> None:
    for key in KEYS:
        s3.put_object(Bucket=bucket, Key=key, Body=key.encode())
    listed = [o["Key"] for p in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket) for o in p["Contents"]]
    assert sorted(listed, key=lambda k: k.encode()) == listed
    assert set(listed) == set(KEYS)
    listed_v1 = [o["Key"] for o in s3.list_objects(Bucket=bucket)["Contents"]]
    assert set(listed_v1) == set(KEYS)
    for key in KEYS:
        assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == key.encode(), key


def test_no_key_reaches_the_filesystem(cloudlet, s3, bucket) -> None:
    """Crafted names stay names: nothing is written or read outside Cloudlet's blob files."""
    crafted = ["../../../../tmp/cloudlet-escape", "/etc/passwd", "..\\..\\windows", "a/" * 300,
               "%2e%2e/%2e%2e/escape", "x\u0000y"]
    before = set(os.listdir("/tmp"))
    for key in crafted:
        key = key[:1024]
        try:
            s3.put_object(Bucket=bucket, Key=key, Body=b"payload")
        except ClientError:
            continue
        assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == b"payload"
    assert not os.path.exists("/tmp/cloudlet-escape")
    assert "cloudlet-escape" not in set(os.listdir("/tmp")) - before
    # raw paths with traversal, NUL and absolute forms are names or errors, never files
    for path in ("/../../etc/passwd", f"/{bucket}/..%2F..%2F..%2Fetc%2Fpasswd", f"/{bucket}/%00",
                 f"/{bucket}/" + "n" * 5000):
        raw = send(cloudlet.endpoint, "GET", path)
        assert raw.status in (400, 403, 404), (path, raw.status)
        assert b"root:" not in raw.body
