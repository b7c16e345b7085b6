"""`cloudlet start / status / reset` as processes; state that survives SIGTERM and kill -9."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

from tests.server.process import cloudlet_process

ROLE = "arn:aws:iam::210987654321:role/durable"


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cloudlet.cli", *args], capture_output=True, text=True, timeout=60)


def test_start_prints_the_endpoint_then_ready_and_stops_cleanly(tmp_path) -> None:  # noqa: ANN001
    with cloudlet_process("--data-dir", str(tmp_path)) as cloud:
        assert cloud.lines[-2] == f"Cloudlet listening on {cloud.endpoint}"
        assert cloud.lines[-1] == "Ready."
        status = cli("status", "--endpoint", cloud.endpoint)
        assert status.returncode == 0 and "running" in status.stdout and "sts" in status.stdout
        assert cloud.stop(signal.SIGTERM) == 0
    assert (tmp_path / "state.db").exists()
    assert not (tmp_path / "state.db-wal").exists() or (tmp_path / "state.db-wal").stat().st_size == 0


def test_status_without_a_server_says_so() -> None:
    result = cli("status", "--endpoint", "http://127.0.0.1:9")
    assert result.returncode == 1 and "no server" in result.stderr


def test_listens_on_localhost_by_default(tmp_path) -> None:  # noqa: ANN001
    with cloudlet_process("--ephemeral") as cloud:
        assert cloud.endpoint.startswith("http://127.0.0.1:")
        connections = subprocess.run(["ss", "-ltn"], capture_output=True, text=True).stdout
        if connections:  # ss may be absent; the endpoint check above still holds
            assert f"127.0.0.1:{cloud.port}" in connections and f"0.0.0.0:{cloud.port}" not in connections


def test_reset_forgets_state(tmp_path) -> None:  # noqa: ANN001
    with cloudlet_process("--data-dir", str(tmp_path)) as cloud:
        credentials = cloud.client("sts").assume_role(RoleArn=ROLE, RoleSessionName="reset-me")["Credentials"]
        session = cloud.client(
            "sts", aws_access_key_id=credentials["AccessKeyId"],
            aws_secret_access_key=credentials["SecretAccessKey"], aws_session_token=credentials["SessionToken"],
        )
        assert session.get_caller_identity()["Account"] == "210987654321"
        result = cli("reset", "sts", "--endpoint", cloud.endpoint)
        assert result.returncode == 0 and "sts" in result.stdout
        # the issued key is forgotten: it is an unknown key again, the default account
        assert session.get_caller_identity()["Account"] == "000000000000"
        assert cli("reset", "nosuch", "--endpoint", cloud.endpoint).returncode == 1


def test_acknowledged_writes_survive_kill_9(tmp_path) -> None:  # noqa: ANN001
    with cloudlet_process("--data-dir", str(tmp_path)) as cloud:
        sts = cloud.client("sts")

        def issue(i: int) -> dict:
            return sts.assume_role(RoleArn=ROLE, RoleSessionName=f"s-{i}")["Credentials"]

        with ThreadPoolExecutor(8) as pool:
            issued = list(pool.map(issue, range(200)))
        os.kill(cloud.process.pid, signal.SIGKILL)  # right after the last acknowledgment
        cloud.process.wait(30)

    with cloudlet_process("--data-dir", str(tmp_path)) as cloud:
        sts = cloud.client("sts")
        for credentials in issued:
            info = sts.get_access_key_info(AccessKeyId=credentials["AccessKeyId"])
            assert info["Account"] == "210987654321", credentials["AccessKeyId"]
        last = issued[-1]
        session = cloud.client(
            "sts", aws_access_key_id=last["AccessKeyId"], aws_secret_access_key=last["SecretAccessKey"],
            aws_session_token=last["SessionToken"],
        )
        assert session.get_caller_identity()["Arn"].startswith("arn:aws:sts::210987654321:assumed-role/durable/")


def test_ephemeral_state_is_gone_after_restart(tmp_path) -> None:  # noqa: ANN001
    with cloudlet_process("--ephemeral", "--data-dir", str(tmp_path)) as cloud:
        cloud.client("sts").assume_role(RoleArn=ROLE, RoleSessionName="gone")
        assert cloud.stop() == 0
    assert not (tmp_path / "state.db").exists()


def test_an_ephemeral_server_killed_leaves_no_files_behind_the_next_start(tmp_path, monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    with cloudlet_process("--ephemeral") as first:
        first.client("s3").create_bucket(Bucket="scratch")
        os.kill(first.process.pid, signal.SIGKILL)
        first.process.wait(10)
    orphans = list(tmp_path.glob("cloudlet-blobs-*"))
    assert len(orphans) == 1
    with cloudlet_process("--ephemeral") as second:
        assert not orphans[0].exists()
        assert [p.name.split("-")[2] for p in tmp_path.glob("cloudlet-blobs-*")] == [str(second.process.pid)]
        assert second.stop() == 0
    assert not list(tmp_path.glob("cloudlet-blobs-*"))


def test_a_busy_port_is_a_clear_error(tmp_path) -> None:  # noqa: ANN001
    with cloudlet_process("--ephemeral") as cloud:
        result = cli("start", "--port", str(cloud.port), "--ephemeral")
        assert result.returncode == 1 and "cannot listen" in result.stderr
