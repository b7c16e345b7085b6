"""Versioning (ids, delete markers, reads and deletes by version, suspension and the null version) and
Object Lock (retention in both modes, legal hold) enforced on deletes of versions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from botocore.exceptions import ClientError

from tests.s3.support import unique


def test_versions_and_delete_markers(s3, bucket) -> None:
    assert "Status" not in s3.get_bucket_versioning(Bucket=bucket)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    v1 = s3.put_object(Bucket=bucket, Key="k", Body=b"one")["VersionId"]
    v2 = s3.put_object(Bucket=bucket, Key="k", Body=b"two")["VersionId"]
    assert v1 != v2 and len(v1) == 32
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"two"
    assert s3.get_object(Bucket=bucket, Key="k", VersionId=v1)["Body"].read() == b"one"
    assert s3.head_object(Bucket=bucket, Key="k", VersionId=v1)["VersionId"] == v1

    deleted = s3.delete_object(Bucket=bucket, Key="k")
    assert deleted["DeleteMarker"] is True
    marker = deleted["VersionId"]
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key="k")
    assert e.value.response["Error"]["Code"] == "NoSuchKey"
    headers = e.value.response["ResponseMetadata"]["HTTPHeaders"]
    assert headers["x-amz-delete-marker"] == "true" and headers["x-amz-version-id"] == marker
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key="k", VersionId=marker)
    assert (e.value.response["Error"]["Code"], e.value.response["ResponseMetadata"]["HTTPStatusCode"]) == (
        "MethodNotAllowed", 405)
    with pytest.raises(ClientError) as e:
        s3.head_object(Bucket=bucket, Key="k", VersionId=marker)
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 405
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0

    # removing the marker brings the previous version back
    removed = s3.delete_object(Bucket=bucket, Key="k", VersionId=marker)
    assert removed["DeleteMarker"] is True and removed["VersionId"] == marker
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"two"
    s3.delete_object(Bucket=bucket, Key="k", VersionId=v2)
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"one"
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key="k", VersionId=v2)
    assert e.value.response["Error"]["Code"] == "NoSuchVersion"
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key="k", VersionId="not-a-version")
    assert e.value.response["Error"]["Code"] == "InvalidArgument"


def test_suspended_versioning_uses_the_null_version(s3, bucket) -> None:
    before = s3.put_object(Bucket=bucket, Key="k", Body=b"unversioned")
    assert "VersionId" not in before
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    kept = s3.put_object(Bucket=bucket, Key="k", Body=b"kept")["VersionId"]
    assert s3.get_object(Bucket=bucket, Key="k", VersionId="null")["Body"].read() == b"unversioned"
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Suspended"})
    null = s3.put_object(Bucket=bucket, Key="k", Body=b"replaces null")
    assert null["VersionId"] == "null"
    versions = s3.list_object_versions(Bucket=bucket)["Versions"]
    assert sorted(v["VersionId"] for v in versions) == sorted(["null", kept])
    assert s3.get_object(Bucket=bucket, Key="k", VersionId="null")["Body"].read() == b"replaces null"
    marker = s3.delete_object(Bucket=bucket, Key="k")
    assert marker["VersionId"] == "null" and marker["DeleteMarker"] is True
    assert [v["VersionId"] for v in s3.list_object_versions(Bucket=bucket)["Versions"]] == [kept]


def test_delete_objects_with_versions(s3, bucket) -> None:
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    v1 = s3.put_object(Bucket=bucket, Key="a", Body=b"1")["VersionId"]
    result = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "a", "VersionId": v1}, {"Key": "b"}]})
    deleted = {d["Key"]: d for d in result["Deleted"]}
    assert deleted["a"]["VersionId"] == v1
    assert deleted["b"]["DeleteMarker"] is True and deleted["b"]["DeleteMarkerVersionId"]


def test_object_lock_retention_and_legal_hold(private) -> None:
    cloudlet = private
    s3 = private.client("s3")
    name = unique("lock")
    s3.create_bucket(Bucket=name, ObjectLockEnabledForBucket=True)
    assert s3.get_bucket_versioning(Bucket=name)["Status"] == "Enabled"
    with pytest.raises(ClientError) as e:
        s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Suspended"})
    assert e.value.response["Error"]["Code"] == "InvalidBucketState"
    s3.put_object_lock_configuration(Bucket=name, ObjectLockConfiguration={
        "ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 1}}})
    assert s3.get_object_lock_configuration(Bucket=name)["ObjectLockConfiguration"]["Rule"][
        "DefaultRetention"] == {"Mode": "GOVERNANCE", "Days": 1}

    governed = s3.put_object(Bucket=name, Key="g", Body=b"x")["VersionId"]
    assert s3.get_object_retention(Bucket=name, Key="g")["Retention"]["Mode"] == "GOVERNANCE"
    with pytest.raises(ClientError) as e:
        s3.delete_object(Bucket=name, Key="g", VersionId=governed)
    assert (e.value.response["Error"]["Code"], e.value.response["Error"]["Message"]) == (
        "AccessDenied", "Access Denied because object protected by object lock.")
    s3.delete_object(Bucket=name, Key="g", VersionId=governed, BypassGovernanceRetention=True)

    until = datetime.now(UTC) + timedelta(days=2)
    strict = s3.put_object(Bucket=name, Key="c", Body=b"x", ObjectLockMode="COMPLIANCE",
                           ObjectLockRetainUntilDate=until)["VersionId"]
    head = s3.head_object(Bucket=name, Key="c")
    assert head["ObjectLockMode"] == "COMPLIANCE"
    with pytest.raises(ClientError) as e:
        s3.delete_object(Bucket=name, Key="c", VersionId=strict, BypassGovernanceRetention=True)
    assert e.value.response["Error"]["Code"] == "AccessDenied"
    # deleting without a version id only adds a marker: allowed
    assert s3.delete_object(Bucket=name, Key="c")["DeleteMarker"] is True
    cloudlet_now = cloudlet.now()
    cloudlet.advance_clock(until.timestamp() - cloudlet_now + 60)
    s3.delete_object(Bucket=name, Key="c", VersionId=strict)

    held = s3.put_object(Bucket=name, Key="h", Body=b"x", ObjectLockLegalHoldStatus="ON")["VersionId"]
    assert s3.get_object_legal_hold(Bucket=name, Key="h")["LegalHold"]["Status"] == "ON"
    s3.put_object_retention(Bucket=name, Key="h", VersionId=held, Retention={}, BypassGovernanceRetention=True)
    with pytest.raises(ClientError) as e:
        s3.delete_object(Bucket=name, Key="h", VersionId=held)
    assert e.value.response["Error"]["Code"] == "AccessDenied"
    s3.put_object_legal_hold(Bucket=name, Key="h", VersionId=held, LegalHold={"Status": "OFF"})
    s3.delete_object(Bucket=name, Key="h", VersionId=held)


def test_lock_requires_a_lock_bucket(s3, bucket) -> None:
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=bucket, Key="k", Body=b"x", ObjectLockLegalHoldStatus="ON")
    assert (e.value.response["Error"]["Code"], e.value.response["Error"]["Message"]) == (
        "InvalidRequest", "Bucket is missing Object Lock Configuration")
    with pytest.raises(ClientError) as e:
        s3.get_object_lock_configuration(Bucket=bucket)
    assert e.value.response["Error"]["Code"] == "ObjectLockConfigurationNotFoundError"
    with pytest.raises(ClientError) as e:
        s3.put_object_lock_configuration(Bucket=bucket, ObjectLockConfiguration={"ObjectLockEnabled": "Enabled"})
    assert e.value.response["Error"]["Code"] == "InvalidBucketState"
