"""ListObjects, ListObjectsV2 and ListObjectVersions: every option, and pagination through the clients."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

KEYS = ["a/1", "a/2", "a/b/3", "b/4", "c", "d/e/f/5", "space key", "x+y"]


@pytest.fixture
def filled(s3, bucket) -> str:
    for key in KEYS:
        s3.put_object(Bucket=bucket, Key=key, Body=key.encode())
    return bucket


def test_v2_prefix_delimiter_and_common_prefixes(s3, filled) -> None:
    top = s3.list_objects_v2(Bucket=filled, Delimiter="/")
    assert [o["Key"] for o in top["Contents"]] == ["c", "space key", "x+y"]
    assert [p["Prefix"] for p in top["CommonPrefixes"]] == ["a/", "b/", "d/"]
    assert top["KeyCount"] == 6 and top["IsTruncated"] is False
    inner = s3.list_objects_v2(Bucket=filled, Prefix="a/", Delimiter="/")
    assert [o["Key"] for o in inner["Contents"]] == ["a/1", "a/2"]
    assert [p["Prefix"] for p in inner["CommonPrefixes"]] == ["a/b/"]
    assert inner["Prefix"] == "a/" and inner["Delimiter"] == "/"
    assert s3.list_objects_v2(Bucket=filled, Prefix="zzz")["KeyCount"] == 0


def test_v2_max_keys_tokens_and_start_after(s3, filled) -> None:
    first = s3.list_objects_v2(Bucket=filled, MaxKeys=3)
    assert [o["Key"] for o in first["Contents"]] == KEYS[:3]
    assert first["IsTruncated"] is True and first["MaxKeys"] == 3
    second = s3.list_objects_v2(Bucket=filled, MaxKeys=3, ContinuationToken=first["NextContinuationToken"])
    assert [o["Key"] for o in second["Contents"]] == KEYS[3:6]
    assert second["ContinuationToken"] == first["NextContinuationToken"]
    after = s3.list_objects_v2(Bucket=filled, StartAfter="b/4")
    assert [o["Key"] for o in after["Contents"]] == KEYS[4:]
    assert after["StartAfter"] == "b/4"
    # delimiter pages skip each common prefix in one step
    pages = list(s3.get_paginator("list_objects_v2").paginate(Bucket=filled, Delimiter="/",
                                                                PaginationConfig={"PageSize": 1}))
    seen = [(p.get("Contents") or [{}])[0].get("Key") or p["CommonPrefixes"][0]["Prefix"] for p in pages]
    assert seen == ["a/", "b/", "c", "d/", "space key", "x+y"]
    assert s3.list_objects_v2(Bucket=filled, MaxKeys=0)["KeyCount"] == 0
    with pytest.raises(ClientError) as e:
        s3.list_objects_v2(Bucket=filled, ContinuationToken="!!!not-a-token")
    assert e.value.response["Error"]["Code"] == "InvalidArgument"


def test_v2_owner_and_url_encoding(cloudlet, s3, filled) -> None:
    plain = s3.list_objects_v2(Bucket=filled)
    assert "Owner" not in plain["Contents"][0]
    owned = s3.list_objects_v2(Bucket=filled, FetchOwner=True)
    assert len(owned["Contents"][0]["Owner"]["ID"]) == 64
    # boto3 asks for url encoding and decodes it back: keys arrive as stored
    assert [o["Key"] for o in plain["Contents"]] == KEYS
    from tests.s3.support import send

    raw = send(cloudlet.endpoint, "GET", f"/{filled}", query="list-type=2&encoding-type=url&prefix=space")
    assert "<Key>space+key</Key>" in raw.text() and "<EncodingType>url</EncodingType>" in raw.text()
    raw = send(cloudlet.endpoint, "GET", f"/{filled}", query="list-type=2&encoding-type=url&prefix=x")
    assert "<Key>x%2By</Key>" in raw.text()


def test_v1_markers(s3, filled) -> None:
    page = s3.list_objects(Bucket=filled, MaxKeys=2)
    assert [o["Key"] for o in page["Contents"]] == KEYS[:2]
    assert page["IsTruncated"] is True and "NextMarker" not in page  # only with a delimiter
    rest = s3.list_objects(Bucket=filled, Marker="a/2")
    assert [o["Key"] for o in rest["Contents"]] == KEYS[2:]
    grouped = s3.list_objects(Bucket=filled, Delimiter="/", MaxKeys=2)
    assert [p["Prefix"] for p in grouped["CommonPrefixes"]] == ["a/", "b/"]
    assert grouped["NextMarker"] == "b/"
    following = s3.list_objects(Bucket=filled, Delimiter="/", Marker=grouped["NextMarker"])
    assert [o["Key"] for o in following["Contents"]] == ["c", "space key", "x+y"]
    assert [p["Prefix"] for p in following["CommonPrefixes"]] == ["d/"]
    everything = [o["Key"] for p in s3.get_paginator("list_objects").paginate(
        Bucket=filled, PaginationConfig={"PageSize": 3}) for o in p.get("Contents", [])]
    assert everything == KEYS
    assert all(o["Owner"]["ID"] for o in page["Contents"])


def test_list_on_missing_bucket(s3) -> None:
    with pytest.raises(ClientError) as e:
        s3.list_objects_v2(Bucket="missing-bucket-xyz")
    assert e.value.response["Error"]["Code"] == "NoSuchBucket"


def test_object_versions_listing(s3, bucket) -> None:
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    v1 = s3.put_object(Bucket=bucket, Key="k", Body=b"1")["VersionId"]
    v2 = s3.put_object(Bucket=bucket, Key="k", Body=b"2")["VersionId"]
    marker = s3.delete_object(Bucket=bucket, Key="k")["VersionId"]
    s3.put_object(Bucket=bucket, Key="other", Body=b"o")
    listing = s3.list_object_versions(Bucket=bucket)
    versions = [(v["Key"], v["VersionId"], v["IsLatest"]) for v in listing["Versions"]]
    assert ("k", v2, False) in versions and ("k", v1, False) in versions
    assert [(m["Key"], m["VersionId"], m["IsLatest"]) for m in listing["DeleteMarkers"]] == [("k", marker, True)]
    page = s3.list_object_versions(Bucket=bucket, MaxKeys=2)
    assert page["IsTruncated"] is True and page["NextKeyMarker"] == "k" and page["NextVersionIdMarker"] == v2
    rest = s3.list_object_versions(Bucket=bucket, KeyMarker="k", VersionIdMarker=v2)
    assert [v["VersionId"] for v in rest["Versions"]][0] == v1
    assert [v["Key"] for v in rest["Versions"]] == ["k", "other"]
