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


# Handles issued lately and what they decode to: a receive's handles come back in the delete that
# follows, and looking one up is cheaper than checking its base64 and digest.  Only what decode()
# itself would answer is kept, so the answer is the same either way.
_ISSUED: dict[str, Receipt] = {}
_ISSUED_MAX = 4096


def encode(qid: str, seq: int, count: int, received: int) -> str:
    raw = f"{qid}:{seq}:{count}:{received}".encode()
    handle = "AQEB" + base64.b64encode(raw + hashlib.sha256(raw).digest()[:24]).decode()
    if len(_ISSUED) >= _ISSUED_MAX:
        _ISSUED.clear()
    _ISSUED[handle] = Receipt(qid, seq, count)
    return handle


def decode(handle: str) -> Receipt | None:
    """The receipt a handle names, or None if Cloudlet did not issue it."""
    if not isinstance(handle, str) or not handle.startswith("AQEB") or len(handle) > 1024:
        return None
    known = _ISSUED.get(handle)
    if known is not None:
        return known
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
