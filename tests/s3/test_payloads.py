"""How bodies travel: signed and unsigned payloads, aws-chunked with chunk signatures and with trailing
checksums, Content-MD5 and the five checksum algorithms (with their error codes)."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import os
import zlib

import pytest
from botocore.exceptions import ClientError
from hypothesis import given, settings
from hypothesis import strategies as st

from cloudlet.config import Config
from cloudlet.services.s3 import checksums, chunked
from tests.s3.support import signed, unique

# --- the chunk signature chain, against the worked example in AWS's SigV4 streaming documentation ---


def test_chunk_signatures_match_the_aws_documentation_example() -> None:
    secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    key = chunked.signing_key(secret, "20130524T000000Z", "us-east-1", "s3")
    signer = chunked.ChunkSigner(key, "20130524T000000Z", "20130524/us-east-1/s3/aws4_request",
                                 "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9")
    assert signer.chunk(hashlib.sha256(b"a" * 65536).hexdigest()) == (
        "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648")
    assert signer.chunk(hashlib.sha256(b"a" * 1024).hexdigest()) == (
        "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497")
    assert signer.chunk(chunked.EMPTY_SHA256) == "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9"


def encode_chunks(pieces: list[bytes], trailer: str = "") -> bytes:
    out = b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in pieces) + b"0\r\n"
    return out + trailer.encode() + b"\r\n"


def decode_all(body: bytes, split: list[int]) -> tuple[bytes, dict]:
    async def run() -> tuple[bytes, dict]:
        async def source():
            start = 0
            for cut in sorted(split) + [len(body)]:
                yield body[start:cut]
                start = cut

        trailers: dict[str, str] = {}
        data = b"".join([c async for c in chunked.decode(source(), trailers)])
        return data, trailers

    return asyncio.run(run())


@settings(max_examples=60, deadline=None)
@given(st.lists(st.binary(min_size=1, max_size=300), max_size=5), st.data())
def test_decoder_is_indifferent_to_how_the_body_arrives(pieces, data) -> None:
    body = encode_chunks(pieces, "x-amz-checksum-crc32:AAAAAA==\r\n")
    cuts = data.draw(st.lists(st.integers(0, len(body)), max_size=8))
    decoded, trailers = decode_all(body, cuts)
    assert decoded == b"".join(pieces)
    assert trailers == {"x-amz-checksum-crc32": "AAAAAA=="}


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=200))
def test_decoder_refuses_garbage_without_hanging(garbage) -> None:
    from cloudlet.protocol.errors import ServiceError

    try:
        decode_all(garbage, [])
    except ServiceError as e:
        assert e.code in ("IncompleteBody", "SignatureDoesNotMatch")


@settings(max_examples=40, deadline=None)
@given(st.binary(max_size=2000), st.binary(max_size=2000))
def test_python_crcs_agree_with_the_c_ones_and_combine(a, b) -> None:
    crt = pytest.importorskip("awscrt.checksums")
    assert checksums.crc32c_python(a) == crt.crc32c(a)
    assert checksums.crc64nvme_python(a) == crt.crc64nvme(a)
    assert checksums.combine_crc("CRC32", [(zlib.crc32(a), len(a)), (zlib.crc32(b), len(b))]) == zlib.crc32(a + b)
    assert checksums.combine_crc("CRC32C", [(crt.crc32c(a), len(a)), (crt.crc32c(b), len(b))]) == crt.crc32c(a + b)


def test_published_check_values() -> None:
    assert checksums.crc32c_python(b"123456789") == 0xE3069283
    assert checksums.crc64nvme_python(b"123456789") == 0xAE8B14860A799888


# --- through a real server -------------------------------------------------------------------


def b64(digest: bytes) -> str:
    return base64.b64encode(digest).decode()


def test_unsigned_trailer_as_current_sdks_send_it(cloudlet, s3, bucket) -> None:
    data = os.urandom(70000)
    crc = b64(zlib.crc32(data).to_bytes(4, "big"))
    body = encode_chunks([data[:65536], data[65536:]], f"x-amz-checksum-crc32:{crc}\r\n")
    headers = {"Content-Encoding": "aws-chunked", "x-amz-decoded-content-length": str(len(data)),
               "x-amz-trailer": "x-amz-checksum-crc32", "x-amz-sdk-checksum-algorithm": "CRC32",
               "Content-Length": str(len(body))}
    answer, _ = signed(cloudlet.endpoint, "PUT", f"/{bucket}/trailed", body, headers,
                       content_sha256="STREAMING-UNSIGNED-PAYLOAD-TRAILER")
    assert answer.status == 200, answer.text()
    assert answer.headers["x-amz-checksum-crc32"] == crc
    head = s3.head_object(Bucket=bucket, Key="trailed", ChecksumMode="ENABLED")
    assert head["ChecksumCRC32"] == crc and head["ContentLength"] == len(data)
    assert "ContentEncoding" not in head  # aws-chunked is how it travelled, not how it is stored
    assert s3.get_object(Bucket=bucket, Key="trailed")["Body"].read() == data

    wrong = encode_chunks([data], "x-amz-checksum-crc32:AAAAAA==\r\n")
    answer, _ = signed(cloudlet.endpoint, "PUT", f"/{bucket}/trailed", wrong,
                       {**headers, "Content-Length": str(len(wrong))},
                       content_sha256="STREAMING-UNSIGNED-PAYLOAD-TRAILER")
    assert answer.status == 400 and "<Code>BadDigest</Code>" in answer.text()
    assert s3.get_object(Bucket=bucket, Key="trailed")["Body"].read() == data  # the old version stands


def test_signed_payload_hash_is_verified(cloudlet, s3, bucket) -> None:
    answer, _ = signed(cloudlet.endpoint, "PUT", f"/{bucket}/k", b"real body",
                       content_sha256=hashlib.sha256(b"other body").hexdigest())
    assert answer.status == 400
    assert "<Code>XAmzContentSHA256Mismatch</Code>" in answer.text()
    assert f"<S3ComputedContentSHA256>{hashlib.sha256(b'real body').hexdigest()}" in answer.text()
    with pytest.raises(ClientError):
        s3.head_object(Bucket=bucket, Key="k")
    answer, _ = signed(cloudlet.endpoint, "PUT", f"/{bucket}/k", b"real body", content_sha256="UNSIGNED-PAYLOAD")
    assert answer.status == 200


@pytest.fixture(scope="module")
def strict():
    from cloudlet.testing import cloudlet_server

    with cloudlet_server(Config(ephemeral=True, port=0, strict_signatures=True)) as cloud:
        yield cloud


def signed_chunks(pieces: list[bytes], seed: str, date: str, secret: str = "test", tamper: bool = False,
                  trailer: tuple[str, str] | None = None) -> bytes:
    key = chunked.signing_key(secret, date, "us-east-1", "s3")
    signer = chunked.ChunkSigner(key, date, f"{date[:8]}/us-east-1/s3/aws4_request", seed)
    out = b""
    for piece in [*pieces, b""]:
        signature = signer.chunk(hashlib.sha256(piece).hexdigest())
        payload = piece if not tamper or not piece else b"X" + piece[1:]
        out += b"%x;chunk-signature=%s\r\n%s\r\n" % (len(piece), signature.encode(), payload)
    if trailer is None:
        return out
    out = out[:-2]  # the final chunk's blank line is followed by the trailer
    canonical = f"{trailer[0]}:{trailer[1]}\n"
    return out + f"{trailer[0]}:{trailer[1]}\r\nx-amz-trailer-signature:{signer.trailer(canonical)}\r\n\r\n".encode()


def put_signed_chunks(strict, bucket: str, key: str, pieces: list[bytes], tamper: bool = False,
                      trailer: tuple[str, str] | None = None):
    mode = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD" + ("-TRAILER" if trailer else "")
    size = sum(len(p) for p in pieces)
    headers = {"Content-Encoding": "aws-chunked", "x-amz-decoded-content-length": str(size)}
    if trailer:
        headers["x-amz-trailer"] = trailer[0]
    # the seed signature signs the headers (the length too), so measure the body with a dummy seed first
    import datetime as dt

    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    from tests.s3.support import fixed_payload

    date = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    probe = signed_chunks(pieces, "0" * 64, date, trailer=trailer)
    headers["Content-Length"] = str(len(probe))
    request = AWSRequest(method="PUT", url=f"{strict.endpoint}/{bucket}/{key}", data=b"", headers=headers)
    fixed_payload(mode)(Credentials("test", "test"), "s3", "us-east-1").add_auth(request)
    seed = request.headers["Authorization"].rsplit("Signature=", 1)[1]
    body = signed_chunks(pieces, seed, request.headers["X-Amz-Date"], tamper=tamper, trailer=trailer)
    from tests.s3.support import send

    return send(strict.endpoint, "PUT", f"/{bucket}/{key}", body, dict(request.headers.items()))


def test_chunk_signatures_are_verified_with_strict_signatures(strict) -> None:
    s3 = strict.client("s3")
    bucket = unique()
    s3.create_bucket(Bucket=bucket)
    pieces = [os.urandom(8192), os.urandom(100)]
    answer = put_signed_chunks(strict, bucket, "ok", pieces)
    assert answer.status == 200, answer.text()
    assert s3.get_object(Bucket=bucket, Key="ok")["Body"].read() == b"".join(pieces)
    answer = put_signed_chunks(strict, bucket, "bad", pieces, tamper=True)
    assert answer.status == 403 and "<Code>SignatureDoesNotMatch</Code>" in answer.text()
    with pytest.raises(ClientError):
        s3.head_object(Bucket=bucket, Key="bad")
    crc = b64(zlib.crc32(b"".join(pieces)).to_bytes(4, "big"))
    answer = put_signed_chunks(strict, bucket, "trailed", pieces, trailer=("x-amz-checksum-crc32", crc))
    assert answer.status == 200, answer.text()
    assert s3.head_object(Bucket=bucket, Key="trailed", ChecksumMode="ENABLED")["ChecksumCRC32"] == crc


def test_content_md5(s3, bucket) -> None:
    good = b64(hashlib.md5(b"body").digest())
    s3.put_object(Bucket=bucket, Key="k", Body=b"body", ContentMD5=good)
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=bucket, Key="k", Body=b"body", ContentMD5=b64(hashlib.md5(b"other").digest()))
    assert (e.value.response["Error"]["Code"], e.value.response["Error"]["Message"]) == (
        "BadDigest", "The Content-MD5 you specified did not match what we received.")
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=bucket, Key="k", Body=b"body", ContentMD5="not-md5")
    assert e.value.response["Error"]["Code"] == "InvalidDigest"


@pytest.mark.parametrize("algorithm", ["CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256"])
def test_checksum_algorithms(s3, bucket, algorithm) -> None:
    data = os.urandom(3000)
    put = s3.put_object(Bucket=bucket, Key=algorithm, Body=data, ChecksumAlgorithm=algorithm)
    expected = checksums.checksum(algorithm, data)
    assert put[f"Checksum{algorithm}"] == expected
    head = s3.head_object(Bucket=bucket, Key=algorithm, ChecksumMode="ENABLED")
    assert head[f"Checksum{algorithm}"] == expected and head["ChecksumType"] == "FULL_OBJECT"
    assert f"Checksum{algorithm}" not in s3.head_object(Bucket=bucket, Key=algorithm)
    wrong = checksums.checksum(algorithm, b"different")
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=bucket, Key=algorithm, Body=data, **{f"Checksum{algorithm}": wrong})
    assert (e.value.response["Error"]["Code"], e.value.response["Error"]["Message"]) == (
        "BadDigest", f"The {algorithm} you specified did not match the calculated checksum.")


@pytest.mark.skipif(not checksums.FAST_CRCS, reason="awscrt is not installed: no default CRC64NVME")
def test_default_checksum_is_crc64nvme(cloudlet, s3, bucket) -> None:
    answer, _ = signed(cloudlet.endpoint, "PUT", f"/{bucket}/plain", b"no checksum sent",
                       content_sha256="UNSIGNED-PAYLOAD")
    assert answer.status == 200
    head = s3.head_object(Bucket=bucket, Key="plain", ChecksumMode="ENABLED")
    assert head["ChecksumCRC64NVME"] == checksums.checksum("CRC64NVME", b"no checksum sent")
