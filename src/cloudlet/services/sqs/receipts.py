"""Receipt handles: which queue incarnation, message and receive they came from.

A handle is derived from the message's receive state, so a retried FIFO
receive (same ReceiveRequestAttemptId) hands out the same handles, and each new
receive a new one.  The digest makes a handle Cloudlet did not issue invalid.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from typing import NamedTuple


class Receipt(NamedTuple):
    qid: str
    seq: int
    count: int  # the message's receive count when this handle was issued


def encode(qid: str, seq: int, count: int, received: int) -> str:
    raw = f"{qid}:{seq}:{count}:{received}".encode()
    return "AQEB" + base64.b64encode(raw + hashlib.sha256(raw).digest()[:24]).decode()


def decode(handle: str) -> Receipt | None:
    """The receipt a handle names, or None if Cloudlet did not issue it."""
    if not isinstance(handle, str) or not handle.startswith("AQEB") or len(handle) > 1024:
        return None
    try:
        data = base64.b64decode(handle[4:], validate=True)
    except (binascii.Error, ValueError):
        return None
    raw, digest = data[:-24], data[-24:]
    if len(data) <= 24 or hashlib.sha256(raw).digest()[:24] != digest:
        return None
    try:
        qid, seq, count, _ = raw.decode().split(":")
        return Receipt(qid, int(seq), int(count))
    except ValueError:
        return None
