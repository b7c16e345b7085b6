"""Versions of a key: writing the new current version, finding one, removing one.

Every version lives in ``versions`` (newest first per key); ``objects`` holds
the current version when it is not a delete marker.  A bucket that has never
had versioning keeps one version per key, with the id ``null``.
"""

from __future__ import annotations

import secrets
import string

from cloudlet.protocol.errors import ServiceError
from cloudlet.services.s3 import errors
from cloudlet.services.s3.core import S3Core
from cloudlet.services.s3.state import version_key, version_prefix

_ALPHABET = string.ascii_letters + string.digits


def new_version_id(sequence: int) -> str:
    """32 characters; the first 16 are the write sequence, so the id finds its record."""
    return f"{sequence:016x}" + "".join(secrets.choice(_ALPHABET) for _ in range(16))


def sequence_of(version_id: str) -> int | None:
    head = version_id[:16]
    if len(version_id) != 32 or any(c not in "0123456789abcdef" for c in head):
        return None
    return int(head, 16)


def blobs_of(record: dict) -> list[str]:
    return [segment[0] for segment in record.get("blobs") or ()]


class Versions(S3Core):
    def versioned(self, bucket: dict) -> bool:
        """Whether responses carry version ids (versioning is or was on)."""
        return bucket.get("versioning") is not None

    def current(self, bucket: str, key: str) -> dict | None:
        return self.state().objects.get(f"{bucket}/{key}")

    def latest(self, bucket: str, key: str) -> tuple[str, dict] | None:
        """The newest version (delete markers included)."""
        return next(iter(self.state().versions.items(prefix=version_prefix(bucket, key), limit=1)), None)

    def find_version(self, bucket: str, key: str, version_id: str) -> tuple[str, dict] | None:
        versions = self.state().versions
        if version_id == "null":
            for vkey, record in versions.items(prefix=version_prefix(bucket, key)):
                if record["vid"] == "null":
                    return vkey, record
            return None
        sequence = sequence_of(version_id)
        if sequence is None:
            raise ServiceError("InvalidArgument", "Invalid version id specified", 400,
                               ArgumentName="versionId", ArgumentValue=version_id)
        vkey = version_key(bucket, key, sequence)
        record = versions.get(vkey)
        if record is None or record["vid"] != version_id:
            return None
        return vkey, record

    def write_version(self, bucket: dict, key: str, record: dict, rows: list[tuple] | None = None) -> dict:
        """Make ``record`` the current version of ``key`` (call inside a transaction); ``rows`` are
        written in the same statement (a new body's bytes)."""
        state = self.state()
        name = bucket["name"]
        sequence = self.bodies.claim_sequence()
        record["key"] = key
        record["seq"] = sequence
        rows = [self.bodies.sequence_row(sequence), *(rows or ())]
        versioning = bucket.get("versioning")
        if versioning == "Enabled":
            record["vid"] = new_version_id(sequence)
        else:
            record["vid"] = "null"
            if versioning is None:
                # never versioned: every version of the key is its null version (at most one), taken in
                # one statement with what it held
                for _, old in state.versions.take_range(prefix=version_prefix(name, key)):
                    self.bodies.discard(blobs_of(old))
            else:
                found = self.find_version(name, key, "null")
                if found is not None:
                    state.versions.delete(found[0])
                    self.bodies.discard(blobs_of(found[1]))
        rows.append((state.versions.scope, version_key(name, key, sequence), record))
        if record.get("dm"):
            state.objects.delete(f"{name}/{key}")
        else:  # the current object too: one statement, the record encoded once
            rows.append((state.objects.scope, f"{name}/{key}", record))
        self.runtime.db.put_rows(rows)
        return record

    def remove_version(self, bucket: dict, key: str, vkey: str, record: dict) -> None:
        """Delete one version for good; the next newest becomes current."""
        state = self.state()
        name = bucket["name"]
        latest = self.latest(name, key)
        state.versions.delete(vkey)
        self.bodies.discard(blobs_of(record))
        if latest is not None and latest[0] == vkey:
            following = self.latest(name, key)
            if following is None or following[1].get("dm"):
                state.objects.delete(f"{name}/{key}")
            else:
                state.objects.put(f"{name}/{key}", following[1])

    def update_version(self, bucket: dict, key: str, vkey: str, record: dict) -> None:
        """Rewrite a version's record in place (tags, retention, legal hold, restore)."""
        state = self.state()
        state.versions.put(vkey, record)
        current = state.objects.get(f"{bucket['name']}/{key}")
        if current is not None and current["seq"] == record["seq"]:
            state.objects.put(f"{bucket['name']}/{key}", record)

    def resolve(self, bucket: dict, key: str, version_id: str | None, method: str = "GET") -> tuple[str, dict]:
        """The version a read names: (versions key, record), or S3's error for a missing one."""
        name = bucket["name"]
        if version_id is not None:
            found = self.find_version(name, key, version_id)
            if found is None:
                if version_id != "null" or self.versioned(bucket):
                    raise errors.no_such_version(key, version_id)
                raise errors.no_such_version(key, version_id)
            if found[1].get("dm"):
                raise errors.method_not_allowed(method, "DeleteMarker", headers=self.marker_headers(found[1], True))
            return found
        record = self.current(name, key)
        if record is None:
            error = errors.no_such_key(key)
            if self.versioned(bucket):
                latest = self.latest(name, key)
                if latest is not None and latest[1].get("dm"):
                    error.headers = self.marker_headers(latest[1], False)
            raise error
        return version_key(name, key, record["seq"]), record

    @staticmethod
    def marker_headers(record: dict, with_date: bool) -> dict[str, str]:
        headers = {"x-amz-delete-marker": "true", "x-amz-version-id": record["vid"]}
        if with_date:
            from cloudlet.protocol.timestamps import http_date

            headers["Last-Modified"] = http_date(int(record["mtime"]))
        return headers
