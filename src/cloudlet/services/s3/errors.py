"""S3's errors, with the codes, statuses, messages and detail elements S3 writes.

S3 adds unmodelled detail elements to its error documents (``BucketName``,
``Key``, ``ArgumentName``...); the rest-xml serializer writes every field given.
"""

from __future__ import annotations

from cloudlet.protocol.errors import ServiceError


def no_such_bucket(bucket: str) -> ServiceError:
    return ServiceError("NoSuchBucket", "The specified bucket does not exist", 404, BucketName=bucket)


def no_such_key(key: str) -> ServiceError:
    return ServiceError("NoSuchKey", "The specified key does not exist.", 404, Key=key)


def no_such_version(key: str, version_id: str) -> ServiceError:
    return ServiceError("NoSuchVersion", "The specified version does not exist.", 404, Key=key, VersionId=version_id)


def no_such_upload(upload_id: str) -> ServiceError:
    return ServiceError(
        "NoSuchUpload",
        "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted "
        "or completed.",
        404,
        UploadId=upload_id,
    )


def invalid_argument(message: str, name: str | None = None, value: str | None = None) -> ServiceError:
    fields = {}
    if name is not None:
        fields = {"ArgumentName": name, "ArgumentValue": "" if value is None else str(value)}
    return ServiceError("InvalidArgument", message, 400, **fields)


def invalid_request(message: str) -> ServiceError:
    return ServiceError("InvalidRequest", message, 400)


def malformed_xml() -> ServiceError:
    return ServiceError(
        "MalformedXML",
        "The XML you provided was not well-formed or did not validate against our published schema",
        400,
    )


def precondition_failed(condition: str) -> ServiceError:
    return ServiceError(
        "PreconditionFailed", "At least one of the pre-conditions you specified did not hold", 412, Condition=condition
    )


def not_modified() -> ServiceError:
    return ServiceError("NotModified", "Not Modified", 304)


def access_denied(message: str = "Access Denied") -> ServiceError:
    return ServiceError("AccessDenied", message, 403)


def method_not_allowed(method: str, resource: str, headers: dict[str, str] | None = None) -> ServiceError:
    return ServiceError(
        "MethodNotAllowed", "The specified method is not allowed against this resource.", 405,
        headers=headers, Method=method, ResourceType=resource,
    )


def missing_config(code: str, message: str, bucket: str) -> ServiceError:
    return ServiceError(code, message, 404, BucketName=bucket)


def bad_digest_md5(expected: str, calculated: str) -> ServiceError:
    return ServiceError(
        "BadDigest", "The Content-MD5 you specified did not match what we received.", 400,
        ExpectedDigest=expected, CalculatedDigest=calculated,
    )


def bad_checksum(algorithm: str) -> ServiceError:
    return ServiceError(
        "BadDigest", f"The {algorithm.upper()} you specified did not match the calculated checksum.", 400
    )


def invalid_digest(value: str) -> ServiceError:
    return ServiceError("InvalidDigest", "The Content-MD5 you specified is not valid.", 400, **{"Content-MD5": value})


def sha256_mismatch(client: str, computed: str) -> ServiceError:
    return ServiceError(
        "XAmzContentSHA256Mismatch", "The provided 'x-amz-content-sha256' header does not match what was computed.",
        400, ClientComputedContentSHA256=client, S3ComputedContentSHA256=computed,
    )


def incomplete_body() -> ServiceError:
    return ServiceError(
        "IncompleteBody", "You did not provide the number of bytes specified by the Content-Length HTTP header.", 400
    )


def invalid_policy(message: str) -> ServiceError:
    return ServiceError("InvalidPolicyDocument", message, 400)
