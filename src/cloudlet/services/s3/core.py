"""What every part of the S3 provider shares: state, bucket lookup, owners, object records -> headers."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from cloudlet.protocol.errors import ServiceError
from cloudlet.services.base import Provider
from cloudlet.services.s3 import errors
from cloudlet.services.s3.attributes import restore_headers
from cloudlet.services.s3.checksums import ALGORITHMS
from cloudlet.services.s3.state import S3State
from cloudlet.services.s3.storage import Bodies

if TYPE_CHECKING:
    from cloudlet.context import RequestContext
    from cloudlet.runtime import Runtime

MAX_KEY_BYTES = 1024


def canonical_id(account: str) -> str:
    """The canonical user id S3 shows for an account (64 hex digits, stable)."""
    return hashlib.sha256(f"cloudlet-canonical-{account}".encode()).hexdigest()


def owner(account: str) -> dict:
    return {"ID": canonical_id(account)}


def http_date(epoch: float) -> datetime:
    return datetime.fromtimestamp(int(epoch), UTC)


class S3Core(Provider):
    service = "s3"
    states = (S3State,)

    def __init__(self, runtime: Runtime) -> None:
        super().__init__(runtime)
        self.bodies = Bodies(runtime)
        self._state = self.bodies.state()  # one for the process: runtime.db never changes
        self._buckets: dict[str, tuple[int, dict]] = {}  # name -> (buckets.writes when read, record)

    def state(self) -> S3State:
        return self._state

    def now(self) -> float:
        return self.runtime.clock.now()

    # --- buckets -------------------------------------------------------------------------

    def bucket(self, ctx: RequestContext | None, name: str) -> dict:
        """The bucket record, or NoSuchBucket."""
        record = self._bucket_record(name) if name else None
        if record is None:
            raise errors.no_such_bucket(name)
        if ctx is not None and ctx.request is not None:
            expected = ctx.request.headers.get("x-amz-expected-bucket-owner")
            if expected is not None and expected != record["account"]:
                raise errors.access_denied()
        return record

    def _bucket_record(self, name: str) -> dict | None:
        """A bucket's record, kept decoded until the buckets table is next written (every caller gets
        its own copy of the top level; nested values are never changed in place): a run of object
        requests reads it once, not once per request."""
        buckets = self._state.buckets
        cached = self._buckets.get(name)
        if cached is not None and cached[0] == buckets.writes:
            return dict(cached[1])
        writes = buckets.writes
        record = buckets.get(name)
        if record is None:
            return None
        if not self.runtime.db.uncommitted:  # a record written by the open transaction may yet roll back
            if len(self._buckets) >= 256:
                self._buckets.clear()
            self._buckets[name] = (writes, record)
        return dict(record)

    def bucket_writes(self) -> int:
        """A number that changes whenever a bucket record may have changed."""
        return self._state.buckets.writes

    def config(self, bucket: str | dict, kind: str, default: Any = None) -> Any:
        """One configuration of a bucket (by name, or by record: then a kind the record says is absent
        costs no read, which keeps configuration lookups off the object hot path)."""
        if isinstance(bucket, dict):
            if kind not in bucket.get("configs", ()):
                return default
            bucket = bucket["name"]
        return self.state().configs.get(f"{bucket}/{kind}", default)

    def set_config(self, bucket: str, kind: str, value: Any) -> None:
        state = self.state()
        if value is None:
            state.configs.delete(f"{bucket}/{kind}")
        else:
            state.configs.put(f"{bucket}/{kind}", value)
        record = state.buckets.get(bucket)
        if record is not None:
            kinds = set(record.get("configs", ()))
            kinds.discard(kind) if value is None else kinds.add(kind)
            if kinds != set(record.get("configs", ())):
                state.buckets.put(bucket, dict(record, configs=sorted(kinds)))

    @staticmethod
    def check_key(key: str) -> None:
        if "\0" in key:  # no XML listing could carry it (and it separates keys from versions in the store)
            raise ServiceError("InvalidURI", "Couldn't parse the specified URI.", 400)
        if len(key.encode("utf-8", "surrogatepass")) > MAX_KEY_BYTES:
            raise ServiceError(
                "KeyTooLongError", "Your key is too long", 400, Size=str(len(key.encode("utf-8", "surrogatepass"))),
                MaxSizeAllowed=str(MAX_KEY_BYTES),
            )

    # --- object records -> responses -----------------------------------------------------

    @staticmethod
    def object_headers(record: dict, versioned: bool, checksum_mode: bool = False) -> dict:
        """The response members every GET/HEAD of a version carries."""
        out: dict[str, Any] = {
            "ETag": record["etag"],
            "LastModified": http_date(record["mtime"]),
            "ContentLength": record["size"],
            "ContentType": record.get("ctype") or "binary/octet-stream",
            "AcceptRanges": "bytes",
        }
        if versioned:
            out["VersionId"] = record["vid"]
        out.update(restore_headers(record.get("headers") or {}))
        if record.get("meta"):
            out["Metadata"] = record["meta"]
        storage_class = record.get("class")
        if storage_class and storage_class != "STANDARD":
            out["StorageClass"] = storage_class
        sse = record.get("sse") or {}
        out.update(sse)
        if record.get("redirect"):
            out["WebsiteRedirectLocation"] = record["redirect"]
        if record.get("tags"):
            out["TagCount"] = len(record["tags"])
        if record.get("parts"):
            out["PartsCount"] = len(record["parts"])
        lock = record.get("lock") or {}
        if lock.get("mode"):
            out["ObjectLockMode"] = lock["mode"]
            out["ObjectLockRetainUntilDate"] = lock["until"]
        if lock.get("hold"):
            out["ObjectLockLegalHoldStatus"] = lock["hold"]
        if record.get("expiration"):
            out["Expiration"] = record["expiration"]
        if checksum_mode:
            out.update(checksum_members(record))
        return out


def checksum_members(record: dict, whole: bool = True) -> dict:
    checksum = record.get("checksum")
    if not checksum:
        return {}
    value = checksum["value"]
    if checksum.get("type") == "COMPOSITE" and whole:
        value = f"{value}-{len(record.get('parts') or [])}"
    out = {"Checksum" + checksum["alg"]: value}
    if checksum.get("type"):
        out["ChecksumType"] = checksum["type"]
    return out


def checksum_algorithm_of(record: dict) -> list[str]:
    checksum = record.get("checksum")
    return [checksum["alg"]] if checksum else []


__all__ = ["ALGORITHMS", "S3Core", "canonical_id", "checksum_members", "owner"]
