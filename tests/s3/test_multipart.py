"""Multipart uploads: parts, copies of ranges, completion rules and errors, listings, managed transfers."""

from __future__ import annotations

import hashlib
import os

import pytest
from boto3.s3.transfer import TransferConfig
from botocore.exceptions import ClientError

MIB = 1024 * 1024


def upload(s3, bucket: str, key: str, parts: list[bytes], **create) -> tuple[str, list[dict]]:
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key=key, **create)["UploadId"]
    done = []
    for number, data in enumerate(parts, start=1):
        response = s3.upload_part(Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=number, Body=data)
        done.append({"PartNumber": number, "ETag": response["ETag"],
                     **{k: v for k, v in response.items() if k.startswith("ChecksumCRC32")}})
    return upload_id, done


def test_complete_and_etag(s3, bucket) -> None:
    parts = [os.urandom(5 * MIB), os.urandom(5 * MIB), b"last"]
    upload_id, done = upload(s3, bucket, "obj", parts)
    result = s3.complete_multipart_upload(Bucket=bucket, Key="obj", UploadId=upload_id,
                                          MultipartUpload={"Parts": done})
    expected = hashlib.md5(b"".join(hashlib.md5(p).digest() for p in parts)).hexdigest() + "-3"
    assert result["ETag"] == f'"{expected}"'
    assert result["Key"] == "obj" and result["Bucket"] == bucket and result["Location"].endswith(f"/{bucket}/obj")
    got = s3.get_object(Bucket=bucket, Key="obj")
    assert got["Body"].read() == b"".join(parts) and got["ETag"] == f'"{expected}"'
    part2 = s3.get_object(Bucket=bucket, Key="obj", PartNumber=2)
    assert part2["Body"].read() == parts[1]
    assert part2["PartsCount"] == 3 and part2["ContentRange"] == f"bytes {5 * MIB}-{10 * MIB - 1}/{10 * MIB + 4}"
    assert s3.head_object(Bucket=bucket, Key="obj", PartNumber=3)["ContentLength"] == 4
    # A retried Complete (the SDK lost the first answer) is answered as the first was; the upload itself is gone.
    again = s3.complete_multipart_upload(Bucket=bucket, Key="obj", UploadId=upload_id, MultipartUpload={"Parts": done})
    assert again["ETag"] == result["ETag"] and again["Location"] == result["Location"]
    with pytest.raises(ClientError) as e:
        s3.upload_part(Bucket=bucket, Key="obj", UploadId=upload_id, PartNumber=1, Body=b"x")
    assert e.value.response["Error"]["Code"] == "NoSuchUpload"
    with pytest.raises(ClientError) as e:
        s3.abort_multipart_upload(Bucket=bucket, Key="obj", UploadId=upload_id)
    assert e.value.response["Error"]["Code"] == "NoSuchUpload"


def test_completion_errors(s3, bucket) -> None:
    upload_id, done = upload(s3, bucket, "k", [b"small", b"tail"])
    with pytest.raises(ClientError) as e:
        s3.complete_multipart_upload(Bucket=bucket, Key="k", UploadId=upload_id, MultipartUpload={"Parts": done})
    error = e.value.response["Error"]
    assert (error["Code"], error["Message"]) == (
        "EntityTooSmall", "Your proposed upload is smaller than the minimum allowed size")
    assert error["MinSizeAllowed"] == str(5 * MIB) and error["ProposedSize"] == "5"
    with pytest.raises(ClientError) as e:
        s3.complete_multipart_upload(Bucket=bucket, Key="k", UploadId=upload_id,
                                     MultipartUpload={"Parts": list(reversed(done))})
    assert e.value.response["Error"]["Code"] == "InvalidPartOrder"
    with pytest.raises(ClientError) as e:
        s3.complete_multipart_upload(Bucket=bucket, Key="k", UploadId=upload_id,
                                     MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": '"0000"'}]})
    assert e.value.response["Error"]["Code"] == "InvalidPart"
    with pytest.raises(ClientError) as e:
        s3.complete_multipart_upload(Bucket=bucket, Key="k", UploadId=upload_id,
                                     MultipartUpload={"Parts": [{"PartNumber": 7, "ETag": done[0]["ETag"]}]})
    assert e.value.response["Error"]["Code"] == "InvalidPart"
    with pytest.raises(ClientError) as e:
        s3.upload_part(Bucket=bucket, Key="k", UploadId=upload_id, PartNumber=10001, Body=b"x")
    assert e.value.response["Error"]["Code"] == "InvalidArgument"
    # a single small part is a whole (last) part
    s3.complete_multipart_upload(Bucket=bucket, Key="k", UploadId=upload_id, MultipartUpload={"Parts": done[1:]})
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"tail"


def test_abort_list_parts_and_uploads(s3, bucket) -> None:
    upload_id, _ = upload(s3, bucket, "dir/a", [b"1", b"2", b"3"])
    other, _ = upload(s3, bucket, "dir/sub/b", [b"x"])
    third, _ = upload(s3, bucket, "top", [b"y"])
    parts = s3.list_parts(Bucket=bucket, Key="dir/a", UploadId=upload_id, MaxParts=2)
    assert [p["PartNumber"] for p in parts["Parts"]] == [1, 2] and parts["IsTruncated"] is True
    rest = s3.list_parts(Bucket=bucket, Key="dir/a", UploadId=upload_id, PartNumberMarker=parts["NextPartNumberMarker"])
    assert [p["PartNumber"] for p in rest["Parts"]] == [3] and rest["IsTruncated"] is False
    listing = s3.list_multipart_uploads(Bucket=bucket)
    assert [(u["Key"], u["UploadId"]) for u in listing["Uploads"]] == [
        ("dir/a", upload_id), ("dir/sub/b", other), ("top", third)]
    grouped = s3.list_multipart_uploads(Bucket=bucket, Prefix="dir/", Delimiter="/")
    assert [u["Key"] for u in grouped["Uploads"]] == ["dir/a"]
    assert [p["Prefix"] for p in grouped["CommonPrefixes"]] == ["dir/sub/"]
    page = s3.list_multipart_uploads(Bucket=bucket, MaxUploads=1)
    assert page["IsTruncated"] and page["NextKeyMarker"] == "dir/a"
    after = s3.list_multipart_uploads(Bucket=bucket, KeyMarker=page["NextKeyMarker"],
                                      UploadIdMarker=page["NextUploadIdMarker"])
    assert [u["Key"] for u in after["Uploads"]] == ["dir/sub/b", "top"]
    s3.abort_multipart_upload(Bucket=bucket, Key="dir/a", UploadId=upload_id)
    with pytest.raises(ClientError) as e:
        s3.list_parts(Bucket=bucket, Key="dir/a", UploadId=upload_id)
    assert (e.value.response["Error"]["Code"], e.value.response["ResponseMetadata"]["HTTPStatusCode"]) == (
        "NoSuchUpload", 404)
    with pytest.raises(ClientError) as e:
        s3.abort_multipart_upload(Bucket=bucket, Key="dir/a", UploadId=upload_id)
    assert e.value.response["Error"]["Code"] == "NoSuchUpload"


def test_upload_part_copy_with_ranges(s3, bucket) -> None:
    source = os.urandom(6 * MIB)
    s3.put_object(Bucket=bucket, Key="src", Body=source)
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="dst")["UploadId"]
    first = s3.upload_part_copy(Bucket=bucket, Key="dst", UploadId=upload_id, PartNumber=1,
                                CopySource={"Bucket": bucket, "Key": "src"}, CopySourceRange=f"bytes=0-{5 * MIB - 1}")
    second = s3.upload_part_copy(Bucket=bucket, Key="dst", UploadId=upload_id, PartNumber=2,
                                 CopySource={"Bucket": bucket, "Key": "src"}, CopySourceRange="bytes=100-199")
    assert first["CopyPartResult"]["ETag"] == f'"{hashlib.md5(source[:5 * MIB]).hexdigest()}"'
    with pytest.raises(ClientError) as e:
        s3.upload_part_copy(Bucket=bucket, Key="dst", UploadId=upload_id, PartNumber=3,
                            CopySource={"Bucket": bucket, "Key": "src"}, CopySourceRange=f"bytes=0-{6 * MIB}")
    assert e.value.response["Error"]["Code"] == "InvalidArgument"
    s3.complete_multipart_upload(Bucket=bucket, Key="dst", UploadId=upload_id, MultipartUpload={"Parts": [
        {"PartNumber": 1, "ETag": first["CopyPartResult"]["ETag"]},
        {"PartNumber": 2, "ETag": second["CopyPartResult"]["ETag"]}]})
    assert s3.get_object(Bucket=bucket, Key="dst")["Body"].read() == source[: 5 * MIB] + source[100:200]


def test_conditional_completion(s3, bucket) -> None:
    s3.put_object(Bucket=bucket, Key="exists", Body=b"x")
    upload_id, done = upload(s3, bucket, "exists", [b"new"])
    with pytest.raises(ClientError) as e:
        s3.complete_multipart_upload(Bucket=bucket, Key="exists", UploadId=upload_id,
                                     MultipartUpload={"Parts": done}, IfNoneMatch="*")
    assert e.value.response["Error"]["Code"] == "PreconditionFailed"


def test_checksums_composite_and_full_object(s3, bucket) -> None:
    parts = [os.urandom(5 * MIB), b"end"]
    upload_id, done = upload(s3, bucket, "c", parts, ChecksumAlgorithm="CRC32")
    assert all("ChecksumCRC32" in p for p in done)
    result = s3.complete_multipart_upload(Bucket=bucket, Key="c", UploadId=upload_id, MultipartUpload={"Parts": done})
    assert result["ChecksumCRC32"].endswith("-2") and result["ChecksumType"] == "COMPOSITE"
    head = s3.head_object(Bucket=bucket, Key="c", ChecksumMode="ENABLED")
    assert head["ChecksumCRC32"] == result["ChecksumCRC32"]

    import base64
    import zlib

    upload_id, done = upload(s3, bucket, "f", parts, ChecksumAlgorithm="CRC32", ChecksumType="FULL_OBJECT")
    result = s3.complete_multipart_upload(Bucket=bucket, Key="f", UploadId=upload_id, MultipartUpload={"Parts": done})
    whole = base64.b64encode(zlib.crc32(b"".join(parts)).to_bytes(4, "big")).decode()
    assert result["ChecksumCRC32"] == whole and result["ChecksumType"] == "FULL_OBJECT"


def test_managed_transfer_many_threads(s3, bucket, tmp_path) -> None:
    data = os.urandom(40 * MIB)
    source = tmp_path / "up.bin"
    source.write_bytes(data)
    config = TransferConfig(multipart_threshold=8 * MIB, multipart_chunksize=8 * MIB, max_concurrency=8)
    s3.upload_file(str(source), bucket, "big.bin", Config=config)
    assert s3.head_object(Bucket=bucket, Key="big.bin")["ETag"].endswith('-5"')
    target = tmp_path / "down.bin"
    s3.download_file(bucket, "big.bin", str(target), Config=config)
    assert hashlib.md5(target.read_bytes()).digest() == hashlib.md5(data).digest()
