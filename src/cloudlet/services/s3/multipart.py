"""Multipart uploads: create, upload (and copy) parts, complete, abort, list.

A completed object keeps its parts' blobs as its segments (no copy of the
bytes): the object's record lists them in order, and reads stream across them.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from typing import Any

from cloudlet.context import RequestContext
from cloudlet.protocol.errors import ServiceError
from cloudlet.services.s3 import attributes, conditions, errors
from cloudlet.services.s3.checksums import ALGORITHMS, FAST_CRCS, FULL_OBJECT_CAPABLE, combine_crc, new_hasher
from cloudlet.services.s3.core import http_date, owner
from cloudlet.services.s3.listing import encode_if, next_after
from cloudlet.services.s3.objects import ObjectOperations, _internal
from cloudlet.services.s3.state import part_key, upload_key
from cloudlet.services.s3.storage import BodyReader, Ingested, ingest

MIN_PART = 5 * 1024 * 1024
MAX_PART = 5 * 1024**3
MAX_PARTS = 10000
_PART_NUMBER = "Part number must be an integer between 1 and 10000, inclusive"
COMPLETION_MEMORY = 3600  # seconds a completed upload's answer is repeated to a retried Complete
COMPLETIONS_KEPT = 1000


def new_upload_id(sequence: int) -> str:
    return f"{sequence:016x}" + secrets.token_urlsafe(36).replace("-", "x").replace("_", "y")


def _upload_state_key(params: dict) -> str:
    return upload_key(params["Bucket"], params["Key"], params["UploadId"])


class Multipart(ObjectOperations):
    _completions: dict[str, tuple[float, dict]] | None = None  # upload -> (when, the answer) of recent Completes

    def upload(self, params: dict) -> dict:
        upload = self.state().uploads.get(_upload_state_key(params))
        if upload is None:
            raise errors.no_such_upload(params["UploadId"])
        return upload

    def drop_upload(self, key: str, upload: dict) -> None:
        state = self.state()
        for pkey, part in list(state.parts.items(prefix=f"{upload['id']}/")):
            state.parts.delete(pkey)
            self.bodies.discard([part["blob"]])
        state.uploads.delete(key)

    def create_multipart_upload(self, ctx: RequestContext, params: dict) -> dict:
        name, key = params["Bucket"], params["Key"]
        self.check_key(key)
        bucket = self.bucket(ctx, name)
        record = self.new_record(ctx, bucket, params)
        algorithm = params.get("ChecksumAlgorithm")
        kind = params.get("ChecksumType")
        if kind and not algorithm:
            raise errors.invalid_request("The x-amz-checksum-type header can only be used with the "
                                         "x-amz-checksum-algorithm header.")
        if algorithm:
            kind = kind or ("FULL_OBJECT" if algorithm == "CRC64NVME" else "COMPOSITE")
            if kind == "FULL_OBJECT" and algorithm not in FULL_OBJECT_CAPABLE:
                raise errors.invalid_request(f"The FULL_OBJECT checksum type cannot be used with the "
                                             f"{algorithm.lower()} checksum algorithm.")
            if kind == "COMPOSITE" and algorithm == "CRC64NVME":
                raise errors.invalid_request("The COMPOSITE checksum type cannot be used with the crc64nvme checksum "
                                             "algorithm.")
        upload_id = new_upload_id(self.bodies.next_sequence())
        upload = {
            "id": upload_id, "key": key, "initiated": self.now(), "record": record, "owner": ctx.account,
            "checksum": {"alg": algorithm, "type": kind} if algorithm else None,
        }
        self.state().uploads.put(upload_key(name, key, upload_id), upload)
        out: dict[str, Any] = {"Bucket": name, "Key": key, "UploadId": upload_id}
        out.update(attributes.response_encryption(record["sse"]))
        if algorithm:
            out["ChecksumAlgorithm"] = algorithm
            out["ChecksumType"] = kind
        abort = self.abort_rule(bucket, key, upload["initiated"])
        if abort:
            out["AbortDate"], out["AbortRuleId"] = abort
        return out

    def abort_rule(self, bucket: dict, key: str, initiated: float) -> tuple[Any, str] | None:
        """(abort date, rule id) when a lifecycle rule will abort this upload (see lifecycle.py)."""
        return None

    def _part_number(self, params: dict) -> int:
        number = params["PartNumber"]
        if not 1 <= number <= MAX_PARTS:
            raise errors.invalid_argument(_PART_NUMBER, "partNumber", str(number))
        return number

    async def upload_part(self, ctx: RequestContext, params: dict) -> dict:
        with self.runtime.db.transaction():
            self.bucket(ctx, params["Bucket"])
            number = self._part_number(params)
            upload = self.upload(params)
            attributes.check_customer_key(upload["record"].get("sse") or {}, params)
        wanted = dict(params)
        algorithm = (upload.get("checksum") or {}).get("alg")
        if algorithm and not wanted.get("ChecksumAlgorithm") and not any(
            wanted.get("Checksum" + a) for a in ALGORITHMS
        ):
            wanted["ChecksumAlgorithm"] = algorithm
        if FAST_CRCS and not algorithm and not wanted.get("ChecksumAlgorithm") and not any(
            wanted.get("Checksum" + a) for a in ALGORITHMS
        ):
            wanted["ChecksumAlgorithm"] = "CRC64NVME"  # for the object's default full-object CRC
        ingested = await ingest(self.runtime, ctx, wanted, params.get("Body"))
        if ingested.size > MAX_PART:
            self.bodies.release(ingested.blob)
            raise ServiceError("EntityTooLarge", "Your proposed upload exceeds the maximum allowed size", 400,
                               ProposedSize=str(ingested.size), MaxSizeAllowed=str(MAX_PART))
        return self._store_part(ctx, params, number, ingested)

    def _store_part(self, ctx: RequestContext, params: dict, number: int, ingested: Ingested) -> dict:
        blob, size, md5, checksums = ingested.blob, ingested.size, ingested.md5, ingested.checksums
        try:
            with self.runtime.db.transaction():
                upload = self.upload(params)
                self.bodies.keep(ingested)
                state = self.state()
                pkey = part_key(upload["id"], number)
                old = state.parts.get(pkey)
                if old is not None:
                    self.bodies.discard([old["blob"]])
                part = {"blob": blob, "size": size, "etag": f'"{md5}"', "mtime": int(self.now()),
                        "checksums": checksums}
                state.parts.put(pkey, part)
        except BaseException:
            self.bodies.release(blob)
            raise
        out: dict[str, Any] = {"ETag": part["etag"]}
        out.update(attributes.response_encryption(upload["record"]["sse"]))
        algorithm = (upload.get("checksum") or {}).get("alg")
        shown = algorithm or next((a for a in ALGORITHMS if params.get("Checksum" + a)), None)
        if shown and shown in checksums:
            out["Checksum" + shown] = checksums[shown]
        return out

    async def upload_part_copy(self, ctx: RequestContext, params: dict) -> dict:
        with self.runtime.db.transaction():
            self.bucket(ctx, params["Bucket"])
            number = self._part_number(params)
            upload = self.upload(params)
            _, source, source_version = self.copy_source(ctx, params)
            start, end = 0, source["size"]
            text = params.get("CopySourceRange")
            if text:
                start, end = _copy_range(text, source["size"])
            reader = BodyReader(self.bodies, list(source.get("blobs") or []), start, end)
        algorithm = (upload.get("checksum") or {}).get("alg") or ("CRC64NVME" if FAST_CRCS else None)
        wanted = {"ChecksumAlgorithm": algorithm} if algorithm else {}
        try:
            ingested = await ingest(self.runtime, _internal(ctx), wanted, reader, size_hint=end - start)
        finally:
            reader.close()
        stored = self._store_part(ctx, params, number, ingested)
        result: dict[str, Any] = {"ETag": stored.pop("ETag"), "LastModified": http_date(self.now())}
        for name in [n for n in stored if n.startswith("Checksum")]:
            result[name] = stored.pop(name)
        out: dict[str, Any] = {"CopyPartResult": result, **stored}
        if source_version is not None:
            out["CopySourceVersionId"] = source_version
        return out

    def complete_multipart_upload(self, ctx: RequestContext, params: dict) -> dict:
        name, key = params["Bucket"], params["Key"]
        bucket = self.bucket(ctx, name)
        state_key = _upload_state_key(params)
        upload = self.state().uploads.get(state_key)
        if upload is None:
            # SDKs retry a Complete whose answer they lost: S3 answers the retry as it answered the first
            done = (self._completions or {}).get(state_key)
            if done is not None and self.now() - done[0] < COMPLETION_MEMORY:
                return dict(done[1])
            raise errors.no_such_upload(params["UploadId"])
        upload_id = upload["id"]
        requested = ((params.get("MultipartUpload") or {}).get("Parts")) or []
        if not requested:
            raise errors.malformed_xml()
        conditions.check_write(params, self.current(name, key), key)
        state = self.state()
        stored = {int(k.rsplit("/", 1)[1]): v for k, v in state.parts.items(prefix=f"{upload_id}/")}
        checksum = upload.get("checksum") or {}
        algorithm = checksum.get("alg")
        previous = 0
        for item in requested:
            number = item.get("PartNumber")
            if number is None or number <= previous:
                raise ServiceError(
                    "InvalidPartOrder",
                    "The list of parts was not in ascending order. Parts must be ordered by part number.", 400,
                    UploadId=upload_id,
                )
            previous = number
        chosen: list[tuple[int, dict]] = []
        for index, item in enumerate(requested):
            number = item["PartNumber"]
            part = stored.get(number)
            etag = item.get("ETag") or ""
            if part is None or (etag and etag.strip('"') != part["etag"].strip('"')):
                raise _invalid_part(upload_id, number, etag)
            if algorithm:
                given = item.get("Checksum" + algorithm)
                if given is None and checksum.get("type") == "COMPOSITE":
                    raise errors.invalid_request(
                        f"The upload was created using a {algorithm.lower()} checksum. The complete request must "
                        f"include the checksum for each part. It was missing for part {number} in the request."
                    )
                if given is not None and given != part["checksums"].get(algorithm):
                    raise _invalid_part(upload_id, number, etag)
            if index < len(requested) - 1 and part["size"] < MIN_PART:
                raise ServiceError(
                    "EntityTooSmall", "Your proposed upload is smaller than the minimum allowed size", 400,
                    ProposedSize=str(part["size"]), MinSizeAllowed=str(MIN_PART), PartNumber=str(number),
                    ETag=part["etag"].strip('"'),
                )
            chosen.append((number, part))
        digest = hashlib.md5(b"".join(bytes.fromhex(p["etag"].strip('"')) for _, p in chosen)).hexdigest()
        total = sum(p["size"] for _, p in chosen)
        expected_size = params.get("MpuObjectSize")
        if expected_size is not None and expected_size != total:
            raise errors.invalid_request(f"The provided 'x-amz-mp-object-size' header value {expected_size} does not "
                                         f"match what was computed: {total}")
        record = dict(upload["record"])
        record.update({
            "blobs": [[p["blob"], p["size"]] for _, p in chosen],
            "size": total,
            "etag": f'"{digest}-{len(chosen)}"',
            "mtime": int(self.now()),
        })
        record["checksum"], part_values = _object_checksum(checksum, chosen)
        if record["checksum"] is not None:
            given = params.get("Checksum" + record["checksum"]["alg"])
            if given is not None and record["checksum"]["type"] == "FULL_OBJECT" and given != record["checksum"][
                "value"
            ]:
                raise errors.bad_checksum(record["checksum"]["alg"])
        record["parts"] = [[p["size"], value] for (_, p), value in zip(chosen, part_values, strict=True)]
        used = {p["blob"] for _, p in chosen}
        for pkey in list(state.parts.keys(prefix=f"{upload_id}/")):
            part = state.parts.get(pkey)
            state.parts.delete(pkey)
            if part["blob"] not in used:
                self.bodies.discard([part["blob"]])
        state.uploads.delete(_upload_state_key(params))
        record = self.write_version(bucket, key, record)
        self.emit(ctx, bucket, "ObjectCreated:CompleteMultipartUpload", record)
        host = ctx.request.headers.get("host", "localhost") if ctx.request is not None else "localhost"
        out: dict[str, Any] = {
            "Location": f"http://{host}/{name}/{key}", "Bucket": name, "Key": key, "ETag": record["etag"],
        }
        if record["checksum"] is not None and not record["checksum"].get("default"):
            value = record["checksum"]["value"]
            if record["checksum"]["type"] == "COMPOSITE":
                value = f"{value}-{len(chosen)}"
            out["Checksum" + record["checksum"]["alg"]] = value
            out["ChecksumType"] = record["checksum"]["type"]
        out.update(attributes.response_encryption(record["sse"]))
        if self.versioned(bucket):
            out["VersionId"] = record["vid"]
        self._remember_completion(state_key, out)
        return out

    def _remember_completion(self, state_key: str, answer: dict) -> None:
        """Kept in memory, the most recent first out: a retry comes within seconds, and before a restart."""
        if self._completions is None:
            self._completions = {}
        completions = self._completions
        completions[state_key] = (self.now(), answer)
        while len(completions) > COMPLETIONS_KEPT:
            del completions[next(iter(completions))]

    def abort_multipart_upload(self, ctx: RequestContext, params: dict) -> dict:
        self.bucket(ctx, params["Bucket"])
        self.upload(params)
        self.drop_upload(_upload_state_key(params), self.upload(params))
        return {}

    def list_parts(self, ctx: RequestContext, params: dict) -> dict:
        self.bucket(ctx, params["Bucket"])
        upload = self.upload(params)
        marker = params.get("PartNumberMarker") or 0
        limit = params.get("MaxParts")
        limit = 1000 if limit is None else min(limit, 1000)
        checksum = upload.get("checksum") or {}
        parts = []
        truncated = False
        for pkey, part in self.state().parts.items(prefix=f"{upload['id']}/", after=f"{upload['id']}/{marker:05d}"):
            if len(parts) >= limit:
                truncated = True
                break
            entry: dict[str, Any] = {
                "PartNumber": int(pkey.rsplit("/", 1)[1]), "LastModified": http_date(part["mtime"]),
                "ETag": part["etag"], "Size": part["size"],
            }
            if checksum.get("alg") and checksum["alg"] in part["checksums"]:
                entry["Checksum" + checksum["alg"]] = part["checksums"][checksum["alg"]]
            parts.append(entry)
        out: dict[str, Any] = {
            "Bucket": params["Bucket"], "Key": params["Key"], "UploadId": upload["id"],
            "PartNumberMarker": marker, "MaxParts": limit, "IsTruncated": truncated, "Parts": parts,
            "Initiator": _initiator(upload["owner"]), "Owner": owner(upload["owner"]),
            "StorageClass": upload["record"].get("class") or "STANDARD",
        }
        if parts:
            out["NextPartNumberMarker"] = parts[-1]["PartNumber"]
        if checksum.get("alg"):
            out["ChecksumAlgorithm"] = checksum["alg"]
            out["ChecksumType"] = checksum["type"]
        return out

    def list_multipart_uploads(self, ctx: RequestContext, params: dict) -> dict:
        name = params["Bucket"]
        self.bucket(ctx, name)
        prefix = params.get("Prefix") or ""
        delimiter = params.get("Delimiter") or ""
        limit = params.get("MaxUploads")
        limit = 1000 if limit is None else min(limit, 1000)
        key_marker = params.get("KeyMarker") or ""
        id_marker = params.get("UploadIdMarker") or ""
        encode = params.get("EncodingType") == "url"
        if params.get("EncodingType") not in (None, "url"):
            raise errors.invalid_argument("Invalid Encoding Method specified in Request", "encoding-type",
                                          params["EncodingType"])
        base = f"{name}/"
        if key_marker:
            after = upload_key(name, key_marker, id_marker) if id_marker else base + next_after(key_marker + "\0")
        else:
            after = None
        uploads: list[dict] = []
        prefixes: list[str] = []
        truncated = False
        last_key = last_id = None
        cursor = after
        while not truncated:
            batch = list(self.state().uploads.items(prefix=base + prefix, after=cursor, limit=200))
            if not batch:
                break
            skipped = False
            for ukey, upload in batch:
                cursor = ukey
                key = upload["key"]
                if delimiter:
                    index = key.find(delimiter, len(prefix))
                    if index >= 0:
                        group = key[: index + len(delimiter)]
                        if len(uploads) + len(prefixes) >= limit:
                            truncated = True
                            break
                        prefixes.append(group)
                        last_key, last_id = group, None
                        cursor = base + next_after(group)
                        skipped = True
                        break
                if len(uploads) + len(prefixes) >= limit:
                    truncated = True
                    break
                uploads.append({
                    "UploadId": upload["id"], "Key": encode_if(encode, key),
                    "Initiated": http_date(upload["initiated"]),
                    "StorageClass": upload["record"].get("class") or "STANDARD",
                    "Owner": owner(upload["owner"]), "Initiator": _initiator(upload["owner"]),
                    **({"ChecksumAlgorithm": upload["checksum"]["alg"], "ChecksumType": upload["checksum"]["type"]}
                       if upload.get("checksum") else {}),
                })
                last_key, last_id = key, upload["id"]
            if not skipped and len(batch) < 200:
                break
        out: dict[str, Any] = {
            "Bucket": name, "KeyMarker": encode_if(encode, key_marker), "UploadIdMarker": id_marker,
            "MaxUploads": limit, "IsTruncated": truncated, "Uploads": uploads,
            "CommonPrefixes": [{"Prefix": encode_if(encode, p)} for p in prefixes],
        }
        if prefix or params.get("Prefix") is not None:
            out["Prefix"] = encode_if(encode, prefix)
        if delimiter:
            out["Delimiter"] = encode_if(encode, delimiter)
        if encode:
            out["EncodingType"] = "url"
        if truncated:
            out["NextKeyMarker"] = encode_if(encode, last_key or "")
            out["NextUploadIdMarker"] = last_id or ""
        return out


def _initiator(account: str) -> dict:
    return {"ID": owner(account)["ID"]}


def _invalid_part(upload_id: str, number: int, etag: str) -> ServiceError:
    return ServiceError(
        "InvalidPart",
        "One or more of the specified parts could not be found.  The part may not have been uploaded, or the "
        "specified entity tag may not match the part's entity tag.",
        400, UploadId=upload_id, PartNumber=str(number), ETag=etag.strip('"'),
    )


def _copy_range(text: str, size: int) -> tuple[int, int]:
    prefix = "bytes="
    body = text[len(prefix):] if text.startswith(prefix) else None
    first, sep, last = (body or "").partition("-")
    if body is None or not sep or not first.isdigit() or not last.isdigit() or int(last) < int(first):
        raise errors.invalid_argument(
            "The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the "
            "zero-based offsets of the first and last bytes to copy", "x-amz-copy-source-range", text,
        )
    start, end = int(first), int(last)
    if end >= size:
        raise errors.invalid_argument(f"Range specified is not valid for source object of size: {size}",
                                      "x-amz-copy-source-range", text)
    return start, end + 1


def _object_checksum(checksum: dict, chosen: list[tuple[int, dict]]) -> tuple[dict | None, list[str | None]]:
    """The object's checksum from its parts', and each part's value as GetObjectAttributes lists it."""
    algorithm = checksum.get("alg")
    if not algorithm:
        # no checksum asked: S3's default full-object CRC64NVME, combined from the parts'
        values = [p["checksums"].get("CRC64NVME") for _, p in chosen]
        if any(v is None for v in values):
            return None, [None] * len(chosen)
        combined = combine_crc("CRC64NVME", [(int.from_bytes(base64.b64decode(v), "big"), p["size"])
                                             for v, (_, p) in zip(values, chosen, strict=True)])
        value = base64.b64encode(combined.to_bytes(8, "big")).decode()
        return {"alg": "CRC64NVME", "value": value, "type": "FULL_OBJECT", "default": True}, [None] * len(chosen)
    values = [p["checksums"].get(algorithm) for _, p in chosen]
    if any(v is None for v in values):
        return None, [None] * len(chosen)
    if checksum.get("type") == "FULL_OBJECT":
        width = 8 if algorithm == "CRC64NVME" else 4
        combined = combine_crc(algorithm, [(int.from_bytes(base64.b64decode(v), "big"), p["size"])
                                           for v, (_, p) in zip(values, chosen, strict=True)])
        value = base64.b64encode(combined.to_bytes(width, "big")).decode()
        return {"alg": algorithm, "value": value, "type": "FULL_OBJECT"}, values
    hasher = new_hasher(algorithm)
    for v in values:
        hasher.update(base64.b64decode(v))  # type: ignore[attr-defined]
    value = base64.b64encode(hasher.digest()).decode()  # type: ignore[attr-defined]
    return {"alg": algorithm, "value": value, "type": "COMPOSITE"}, values
