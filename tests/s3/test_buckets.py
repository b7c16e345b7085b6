"""Buckets: naming and location rules, ownership across accounts, listing, deletion, XML roots."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from tests.s3.support import send, unique


def error(excinfo) -> tuple[str, int, str]:
    response = excinfo.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"], response["Error"].get("Message", "")


def test_create_head_locate_delete(s3) -> None:
    name = unique()
    response = s3.create_bucket(Bucket=name)
    assert response["Location"] == f"/{name}"
    head = s3.head_bucket(Bucket=name)
    assert head["ResponseMetadata"]["HTTPHeaders"]["x-amz-bucket-region"] == "us-east-1"
    assert s3.get_bucket_location(Bucket=name)["LocationConstraint"] is None
    s3.delete_bucket(Bucket=name)
    with pytest.raises(ClientError) as e:
        s3.head_bucket(Bucket=name)
    assert e.value.response["Error"]["Code"] == "404"


@pytest.mark.parametrize("name", ["ab", "a" * 64, "Upper", "under_score", "-start", "end-", "two..dots",
                                  "192.168.1.1", "xn--bucket", "bucket-s3alias", "dot.-dash", "sthree-x"])
def test_invalid_bucket_names(s3, name) -> None:
    with pytest.raises(ClientError) as e:
        s3.create_bucket(Bucket=name)
    assert error(e)[:2] == ("InvalidBucketName", 400)
    assert e.value.response["Error"]["BucketName"] == name


def test_location_constraints(cloudlet, s3) -> None:
    with pytest.raises(ClientError) as e:
        s3.create_bucket(Bucket=unique(), CreateBucketConfiguration={"LocationConstraint": "us-east-1"})
    assert error(e)[:2] == ("InvalidLocationConstraint", 400)
    with pytest.raises(ClientError) as e:
        s3.create_bucket(Bucket=unique(), CreateBucketConfiguration={"LocationConstraint": "moon-1"})
    assert error(e)[:2] == ("InvalidLocationConstraint", 400)

    europe = cloudlet.client("s3", region="eu-west-1")
    with pytest.raises(ClientError) as e:
        europe.create_bucket(Bucket=unique())
    assert error(e) == (
        "IllegalLocationConstraintException", 400,
        "The unspecified location constraint is incompatible for the region specific endpoint this request was "
        "sent to.",
    )
    with pytest.raises(ClientError) as e:
        europe.create_bucket(Bucket=unique(), CreateBucketConfiguration={"LocationConstraint": "eu-central-1"})
    assert "The eu-central-1 location constraint is incompatible" in error(e)[2]

    name = unique()
    europe.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    assert s3.get_bucket_location(Bucket=name)["LocationConstraint"] == "eu-west-1"
    assert s3.head_bucket(Bucket=name)["BucketRegion"] == "eu-west-1"
    # the us-east-1 endpoint creates buckets in any region
    other = unique()
    s3.create_bucket(Bucket=other, CreateBucketConfiguration={"LocationConstraint": "ap-south-1"})
    assert s3.get_bucket_location(Bucket=other)["LocationConstraint"] == "ap-south-1"
    # yours, outside us-east-1: BucketAlreadyOwnedByYou
    with pytest.raises(ClientError) as e:
        europe.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    assert error(e)[:2] == ("BucketAlreadyOwnedByYou", 409)


def test_bucket_names_are_global_across_accounts(cloudlet, s3) -> None:
    name = unique()
    s3.create_bucket(Bucket=name)
    s3.create_bucket(Bucket=name)  # us-east-1's legacy answer to re-creating your own bucket: 200
    other = cloudlet.client("s3", aws_access_key_id="111122223333", aws_secret_access_key="x")
    with pytest.raises(ClientError) as e:
        other.create_bucket(Bucket=name)
    assert error(e) == (
        "BucketAlreadyExists", 409,
        "The requested bucket name is not available. The bucket namespace is shared by all users of the system. "
        "Please select a different name and try again.",
    )
    assert name not in [b["Name"] for b in other.list_buckets()["Buckets"]]


def test_list_buckets_pages_and_prefix(cloudlet) -> None:
    s3 = cloudlet.client("s3", aws_access_key_id="222233334444", aws_secret_access_key="x")
    names = sorted(unique("lst") for _ in range(5))
    for name in names:
        s3.create_bucket(Bucket=name)
    page = s3.list_buckets(MaxBuckets=2)
    assert [b["Name"] for b in page["Buckets"]] == names[:2]
    rest = s3.list_buckets(MaxBuckets=10, ContinuationToken=page["ContinuationToken"])
    assert [b["Name"] for b in rest["Buckets"]] == names[2:]
    assert "ContinuationToken" not in rest
    assert [b["Name"] for b in s3.list_buckets(Prefix=names[3])["Buckets"]] == [names[3]]
    everything = [b["Name"] for p in s3.get_paginator("list_buckets").paginate(PaginationConfig={"PageSize": 2})
                  for b in p["Buckets"]]
    assert everything == names
    raw = send(cloudlet.endpoint, "GET", "/", query="max-buckets=0", headers={
        "Authorization": "AWS4-HMAC-SHA256 Credential=222233334444/20260101/us-east-1/s3/aws4_request, "
                         "SignedHeaders=host, Signature=00"})
    assert raw.status == 400 and "<Code>InvalidArgument</Code>" in raw.text()


def test_delete_bucket_not_empty_and_missing(s3, bucket) -> None:
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    with pytest.raises(ClientError) as e:
        s3.delete_bucket(Bucket=bucket)
    assert error(e) == ("BucketNotEmpty", 409, "The bucket you tried to delete is not empty")
    s3.delete_object(Bucket=bucket, Key="k")
    s3.delete_bucket(Bucket=bucket)
    with pytest.raises(ClientError) as e:
        s3.delete_bucket(Bucket=bucket)
    assert error(e) == ("NoSuchBucket", 404, "The specified bucket does not exist")
    assert e.value.response["Error"]["BucketName"] == bucket


def test_responses_carry_s3_root_elements(cloudlet, s3, bucket) -> None:
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    roots = {
        "/": "ListAllMyBucketsResult",
        f"/{bucket}": "ListBucketResult",
        f"/{bucket}?list-type=2": "ListBucketResult",
        f"/{bucket}?versions": "ListVersionsResult",
        f"/{bucket}?uploads": "ListMultipartUploadsResult",
        f"/{bucket}?location": "LocationConstraint",
    }
    for path, root in roots.items():
        raw = send(cloudlet.endpoint, "GET", path.split("?")[0], query=path.partition("?")[2],
                   headers={"Authorization": "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/s3/aws4_request, "
                            "SignedHeaders=host, Signature=00"})
        assert raw.status == 200, raw.text()
        assert f'<{root} xmlns="http://s3.amazonaws.com/doc/2006-03-01/"' in raw.text(), (path, raw.text())
    upload = s3.create_multipart_upload(Bucket=bucket, Key="m")
    raw = send(cloudlet.endpoint, "GET", f"/{bucket}/m", query=f"uploadId={upload['UploadId']}")
    assert "<ListPartsResult " in raw.text()


def test_virtual_hosted_addressing(cloudlet, s3, bucket) -> None:
    s3.put_object(Bucket=bucket, Key="dir/a b+c.txt", Body=b"virtual")
    port = cloudlet.endpoint.rsplit(":", 1)[1]
    for host in (f"{bucket}.s3.localhost.localstack.cloud:{port}", f"{bucket}.s3.us-east-1.localhost.localstack.cloud"
                 f":{port}", f"{bucket}.localhost:{port}"):
        raw = send(cloudlet.endpoint, "GET", "/dir/a%20b%2Bc.txt", host=host)
        assert (raw.status, raw.body) == (200, b"virtual"), host
        listing = send(cloudlet.endpoint, "GET", "/", query="list-type=2", host=host)
        assert "<Key>dir/a b+c.txt</Key>" in listing.text()
