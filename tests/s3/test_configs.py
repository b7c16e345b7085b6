"""Bucket configurations: policy (and its status), ACLs, tagging, encryption, ownership controls, public
access block, accelerate, request payment, logging; and the boto3 resource API."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from tests.s3.support import unique

PUBLIC = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::B/*"}]}


def code(e) -> str:
    return e.value.response["Error"]["Code"]


def test_policy_status_and_public_access_block(s3, bucket) -> None:
    with pytest.raises(ClientError) as e:
        s3.get_bucket_policy(Bucket=bucket)
    assert (code(e), e.value.response["Error"]["Message"]) == ("NoSuchBucketPolicy", "The bucket policy does not exist")
    policy = json.dumps(PUBLIC).replace("B", bucket)
    # new buckets block public policies, as in AWS since 2023
    assert s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True}
    with pytest.raises(ClientError) as e:
        s3.put_bucket_policy(Bucket=bucket, Policy=policy)
    assert code(e) == "AccessDenied" and "BlockPublicPolicy" in e.value.response["Error"]["Message"]
    s3.delete_public_access_block(Bucket=bucket)
    with pytest.raises(ClientError) as e:
        s3.get_public_access_block(Bucket=bucket)
    assert code(e) == "NoSuchPublicAccessBlockConfiguration"
    assert s3.put_bucket_policy(Bucket=bucket, Policy=policy)["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"]) == json.loads(policy)
    assert s3.get_bucket_policy_status(Bucket=bucket)["PolicyStatus"]["IsPublic"] is True
    with pytest.raises(ClientError) as e:
        s3.put_bucket_policy(Bucket=bucket, Policy="not json")
    assert code(e) == "MalformedPolicy"
    with pytest.raises(ClientError) as e:
        s3.put_bucket_policy(Bucket=bucket, Policy='{"Version": "2012-10-17"}')
    assert code(e) == "MalformedPolicy"

    def statement(**changes: object) -> str:
        base = {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "s3:GetObject",
                "Resource": f"arn:aws:s3:::{bucket}/*"}
        return json.dumps({"Version": "2012-10-17", "Statement": [{**base, **changes}]})

    for changes, message in (
        ({"Principal": {"AWS": "arn:aws:iam::bad"}}, "Invalid principal in policy"),
        ({"Principal": {"Nobody": "x"}}, "Invalid principal in policy"),
        ({"Action": "s3:Get Object"}, "Policy has invalid action"),
        ({"Action": ["s3:GetObject", "sqs:SendMessage"]}, "Policy has invalid action"),
        ({"Resource": "arn:aws:s3:::some-other-bucket/*"}, "Policy has invalid resource"),
    ):
        with pytest.raises(ClientError) as e:
            s3.put_bucket_policy(Bucket=bucket, Policy=statement(**changes))
        assert (code(e), e.value.response["Error"]["Message"]) == ("MalformedPolicy", message), changes
    s3.put_bucket_policy(Bucket=bucket, Policy=statement(Principal={"AWS": ["111122223333"]}, Action="s3:Get*",
                                                         Resource=[f"arn:aws:s3:::{bucket[:4]}*/*"]))
    s3.put_bucket_policy(Bucket=bucket, Policy=statement(Principal={"Service": "logging.s3.amazonaws.com"},
                                                         Action=["s3:PutObject"], Resource=f"arn:aws:s3:::{bucket}"))
    s3.delete_bucket_policy(Bucket=bucket)
    with pytest.raises(ClientError):
        s3.get_bucket_policy_status(Bucket=bucket)


def test_acls_and_ownership(s3) -> None:
    enforced = unique()
    s3.create_bucket(Bucket=enforced)
    assert s3.get_bucket_ownership_controls(Bucket=enforced)["OwnershipControls"]["Rules"] == [
        {"ObjectOwnership": "BucketOwnerEnforced"}]
    acl = s3.get_bucket_acl(Bucket=enforced)
    assert acl["Grants"] == [{"Grantee": {"Type": "CanonicalUser", "ID": acl["Owner"]["ID"]},
                              "Permission": "FULL_CONTROL"}]
    with pytest.raises(ClientError) as e:
        s3.put_bucket_acl(Bucket=enforced, ACL="public-read")
    assert (code(e), e.value.response["Error"]["Message"]) == (
        "AccessControlListNotSupported", "The bucket does not allow ACLs")
    with pytest.raises(ClientError) as e:
        s3.create_bucket(Bucket=unique(), ACL="public-read")
    assert code(e) == "InvalidBucketAclWithObjectOwnership"
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=enforced, Key="k", Body=b"x", ACL="public-read")
    assert code(e) == "AccessControlListNotSupported"

    writer = unique()
    s3.create_bucket(Bucket=writer, ObjectOwnership="ObjectWriter")
    s3.delete_public_access_block(Bucket=writer)
    s3.put_bucket_acl(Bucket=writer, ACL="public-read")
    grants = s3.get_bucket_acl(Bucket=writer)["Grants"]
    assert {"Grantee": {"Type": "Group", "URI": "http://acs.amazonaws.com/groups/global/AllUsers"},
            "Permission": "READ"} in grants
    s3.put_object(Bucket=writer, Key="k", Body=b"x", ACL="authenticated-read")
    object_grants = s3.get_object_acl(Bucket=writer, Key="k")["Grants"]
    assert any(g["Grantee"].get("URI", "").endswith("AuthenticatedUsers") for g in object_grants)
    s3.put_bucket_ownership_controls(Bucket=writer, OwnershipControls={"Rules": [
        {"ObjectOwnership": "BucketOwnerPreferred"}]})
    s3.delete_bucket_ownership_controls(Bucket=writer)
    with pytest.raises(ClientError) as e:
        s3.get_bucket_ownership_controls(Bucket=writer)
    assert code(e) == "OwnershipControlsNotFoundError"


def test_tagging_and_encryption(s3, bucket) -> None:
    with pytest.raises(ClientError) as e:
        s3.get_bucket_tagging(Bucket=bucket)
    assert (code(e), e.value.response["Error"]["Message"]) == ("NoSuchTagSet", "The TagSet does not exist")
    answer = s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": [{"Key": "team", "Value": "core"}]})
    assert answer["ResponseMetadata"]["HTTPStatusCode"] == 204  # as S3 answers (its model leaves it unsaid)
    assert s3.get_bucket_tagging(Bucket=bucket)["TagSet"] == [{"Key": "team", "Value": "core"}]
    with pytest.raises(ClientError) as e:
        s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": [{"Key": "a", "Value": "1"}, {"Key": "a",
                                                                                               "Value": "2"}]})
    assert code(e) == "InvalidTag"
    s3.delete_bucket_tagging(Bucket=bucket)

    default = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert default["ApplyServerSideEncryptionByDefault"] == {"SSEAlgorithm": "AES256"}
    s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration={"Rules": [{
        "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "alias/mine"},
        "BucketKeyEnabled": True}]})
    put = s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    assert put["ServerSideEncryption"] == "aws:kms" and put["SSEKMSKeyId"].endswith(":alias/mine")
    assert put["BucketKeyEnabled"] is True
    s3.delete_bucket_encryption(Bucket=bucket)
    assert s3.put_object(Bucket=bucket, Key="k2", Body=b"x")["ServerSideEncryption"] == "AES256"


def test_accelerate_payment_logging(s3, bucket) -> None:
    assert "Status" not in s3.get_bucket_accelerate_configuration(Bucket=bucket)
    s3.put_bucket_accelerate_configuration(Bucket=bucket, AccelerateConfiguration={"Status": "Enabled"})
    assert s3.get_bucket_accelerate_configuration(Bucket=bucket)["Status"] == "Enabled"
    assert s3.get_bucket_request_payment(Bucket=bucket)["Payer"] == "BucketOwner"
    s3.put_bucket_request_payment(Bucket=bucket, RequestPaymentConfiguration={"Payer": "Requester"})
    assert s3.get_bucket_request_payment(Bucket=bucket)["Payer"] == "Requester"
    assert "LoggingEnabled" not in s3.get_bucket_logging(Bucket=bucket)
    with pytest.raises(ClientError) as e:
        s3.put_bucket_logging(Bucket=bucket, BucketLoggingStatus={"LoggingEnabled": {
            "TargetBucket": "no-such-target-bucket", "TargetPrefix": "logs/"}})
    assert code(e) == "InvalidTargetBucketForLogging"
    s3.put_bucket_logging(Bucket=bucket, BucketLoggingStatus={"LoggingEnabled": {
        "TargetBucket": bucket, "TargetPrefix": "logs/"}})
    assert s3.get_bucket_logging(Bucket=bucket)["LoggingEnabled"]["TargetPrefix"] == "logs/"


def test_restore_of_archived_objects(private) -> None:
    s3 = private.client("s3")
    bucket = unique("archive")
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="cold", Body=b"frozen", StorageClass="GLACIER")
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key="cold")
    assert (code(e), e.value.response["ResponseMetadata"]["HTTPStatusCode"]) == ("InvalidObjectState", 403)
    first = s3.restore_object(Bucket=bucket, Key="cold", RestoreRequest={
        "Days": 1, "GlacierJobParameters": {"Tier": "Expedited"}})
    assert first["ResponseMetadata"]["HTTPStatusCode"] == 202
    assert s3.head_object(Bucket=bucket, Key="cold")["Restore"] == 'ongoing-request="true"'
    with pytest.raises(ClientError) as e:
        s3.restore_object(Bucket=bucket, Key="cold", RestoreRequest={"Days": 1})
    assert code(e) == "RestoreAlreadyInProgress"
    private.advance_clock(301)
    assert s3.head_object(Bucket=bucket, Key="cold")["Restore"].startswith('ongoing-request="false", expiry-date=')
    assert s3.get_object(Bucket=bucket, Key="cold")["Body"].read() == b"frozen"


def test_resource_api(cloudlet) -> None:
    s3 = cloudlet.resource("s3")
    bucket = s3.create_bucket(Bucket=unique("res"))
    bucket.put_object(Key="a/1.txt", Body=b"one")
    bucket.Object("a/2.txt").put(Body=b"two", Metadata={"m": "v"})
    assert sorted(o.key for o in bucket.objects.filter(Prefix="a/")) == ["a/1.txt", "a/2.txt"]
    obj = s3.Object(bucket.name, "a/2.txt")
    assert obj.get()["Body"].read() == b"two" and obj.metadata == {"m": "v"} and obj.content_length == 3
    bucket.objects.all().delete()
    bucket.delete()
    assert bucket.name not in [b.name for b in s3.buckets.all()]
