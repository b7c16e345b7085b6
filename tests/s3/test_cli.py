"""The AWS CLI: aws s3 cp / sync / ls / rm and aws s3api, against a real server."""

from __future__ import annotations

import json
import subprocess

from tests.s3.support import unique


def aws(cloudlet, *args: str) -> str:
    done = subprocess.run(["aws", *args], env=cloudlet.env(), capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_cli_high_level_commands(cloudlet, tmp_path) -> None:
    bucket = unique("cli")
    aws(cloudlet, "s3", "mb", f"s3://{bucket}")
    source = tmp_path / "src"
    (source / "nested").mkdir(parents=True)
    (source / "a.txt").write_text("alpha")
    (source / "nested" / "b c.txt").write_text("bravo")
    (source / "big.bin").write_bytes(b"z" * (9 * 1024 * 1024))  # multipart through the CLI
    aws(cloudlet, "s3", "cp", str(source / "a.txt"), f"s3://{bucket}/single/a.txt")
    aws(cloudlet, "s3", "sync", str(source), f"s3://{bucket}/tree")
    listing = aws(cloudlet, "s3", "ls", "--recursive", f"s3://{bucket}")
    for key in ("single/a.txt", "tree/a.txt", "tree/nested/b c.txt", "tree/big.bin"):
        assert key in listing
    again = aws(cloudlet, "s3", "sync", str(source), f"s3://{bucket}/tree")
    assert again.strip() == ""  # nothing changed: sync compares sizes and times, uploads nothing
    target = tmp_path / "back"
    aws(cloudlet, "s3", "sync", f"s3://{bucket}/tree", str(target))
    assert (target / "nested" / "b c.txt").read_text() == "bravo"
    assert (target / "big.bin").stat().st_size == 9 * 1024 * 1024
    aws(cloudlet, "s3", "rm", "--recursive", f"s3://{bucket}/tree")
    assert "tree/" not in aws(cloudlet, "s3", "ls", "--recursive", f"s3://{bucket}")
    aws(cloudlet, "s3", "rb", "--force", f"s3://{bucket}")


def test_cli_s3api(cloudlet, tmp_path) -> None:
    bucket = unique("api")
    aws(cloudlet, "s3api", "create-bucket", "--bucket", bucket)
    body = tmp_path / "body.txt"
    body.write_text("via s3api")
    put = json.loads(aws(cloudlet, "s3api", "put-object", "--bucket", bucket, "--key", "k", "--body", str(body),
                         "--metadata", "team=core"))
    assert put["ETag"]
    head = json.loads(aws(cloudlet, "s3api", "head-object", "--bucket", bucket, "--key", "k"))
    assert head["ContentLength"] == 9 and head["Metadata"] == {"team": "core"}
    listed = json.loads(aws(cloudlet, "s3api", "list-objects-v2", "--bucket", bucket))
    assert [o["Key"] for o in listed["Contents"]] == ["k"]
    failed = subprocess.run(["aws", "s3api", "get-object", "--bucket", bucket, "--key", "nope", str(tmp_path / "x")],
                            env=cloudlet.env(), capture_output=True, text=True, timeout=60)
    assert failed.returncode != 0 and "NoSuchKey" in failed.stderr
