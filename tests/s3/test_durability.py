"""What S3 acknowledged survives kill -9; a write cut off mid-body leaves the previous version intact."""

from __future__ import annotations

import hashlib
import os
import signal
import socket

from tests.server.process import cloudlet_process


def test_acknowledged_objects_survive_kill_and_interrupted_upload_changes_nothing(tmp_path) -> None:
    big = os.urandom(3 * 1024 * 1024)  # a blob file
    small = b"small body kept in the database"
    with cloudlet_process("--data-dir", str(tmp_path)) as proc:
        s3 = proc.client("s3")
        s3.create_bucket(Bucket="durable")
        s3.put_object(Bucket="durable", Key="big", Body=big)
        s3.put_object(Bucket="durable", Key="small", Body=small, Metadata={"kept": "yes"})
        upload = s3.create_multipart_upload(Bucket="durable", Key="mp")
        etag = s3.upload_part(Bucket="durable", Key="mp", UploadId=upload["UploadId"], PartNumber=1, Body=big)["ETag"]
        s3.complete_multipart_upload(Bucket="durable", Key="mp", UploadId=upload["UploadId"],
                                     MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag}]})
        # an overwrite whose body stops half way: the client goes away, nothing must change
        with socket.create_connection(("127.0.0.1", proc.port)) as sock:
            sock.sendall(b"PUT /durable/big HTTP/1.1\r\nHost: x\r\nContent-Length: 4000000\r\n\r\n" + b"y" * 100000)
        s3.head_bucket(Bucket="durable")  # the server goes on
        proc.stop(signal.SIGKILL)
    with cloudlet_process("--data-dir", str(tmp_path)) as proc:
        s3 = proc.client("s3")
        assert hashlib.md5(s3.get_object(Bucket="durable", Key="big")["Body"].read()).digest() == \
            hashlib.md5(big).digest()
        got = s3.get_object(Bucket="durable", Key="small")
        assert got["Body"].read() == small and got["Metadata"] == {"kept": "yes"}
        assert s3.get_object(Bucket="durable", Key="mp")["Body"].read() == big
        assert sorted(o["Key"] for o in s3.list_objects_v2(Bucket="durable")["Contents"]) == ["big", "mp", "small"]
