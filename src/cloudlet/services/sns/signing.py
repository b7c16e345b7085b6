"""The key SNS signs messages with, and the X.509 certificate Cloudlet serves for it.

AWS signs every notification (SignatureVersion 1: SHA1withRSA, 2: SHA256withRSA) and
publishes the certificate at ``SigningCertURL``; subscribers verify with standard tools
(openssl, the SDKs' message validators).  Cloudlet does the same with a key of its own,
made at first use and kept in the database so the certificate URL stays valid across
restarts.

Why no crypto library: the standard library cannot do RSA, and PKCS#1 v1.5 signing is a
hash, a padding and one modular exponentiation, written here in a few lines.  Speed
matters because every Publish is signed.  A two-prime 2048-bit key costs about 8 ms per
signature in pure Python on a slow core; this key is a 2048-bit modulus (AWS's size) made
of many small primes (multi-prime RSA, RFC 8017 section 3), which verifiers cannot tell
apart (they see only the modulus and exponent), signed through the Chinese remainder
theorem.  The primes are 30-bit, one CPython digit, where ``pow`` is ~40 times cheaper
than on 128 bits: about 0.1 ms per signature where sixteen 128-bit primes (the keys made
before, still read) took ~0.6 ms, on every Publish.  The key guards nothing: it lives in
the local data directory and signs messages for local tests.
"""

from __future__ import annotations

import base64
import hashlib
import math
import secrets
from dataclasses import dataclass

E = 65537
MODULUS_BITS = 2048
PRIME_BITS = 30  # one digit of a CPython int

# DER DigestInfo prefixes (RFC 8017 section 9.2, note 1)
_DIGEST_INFO = {
    "sha1": bytes.fromhex("3021300906052b0e03021a05000414"),
    "sha256": bytes.fromhex("3031300d060960864801650304020105000420"),
}


def _is_probable_prime(n: int, rounds: int = 32) -> bool:
    if n < 2:
        return False
    for small in (2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37):
        if n % small == 0:
            return n == small
    d, s = n - 1, 0
    while d % 2 == 0:
        d //= 2
        s += 1
    for _ in range(rounds):
        a = secrets.randbelow(n - 3) + 2
        x = pow(a, d, n)
        if x in (1, n - 1):
            continue
        for _ in range(s - 1):
            x = pow(x, 2, n)
            if x == n - 1:
                break
        else:
            return False
    return True


def _prime(bits: int) -> int:
    top = 0b11111 << (bits - 5)  # the top five bits set: the product grows by nearly ``bits`` each time
    while True:
        candidate = secrets.randbits(bits) | top | 1
        if math.gcd(E, candidate - 1) == 1 and _is_probable_prime(candidate):
            return candidate


def _prime_between(low: int, high: int) -> int:
    """A prime in [low, high] usable with E (the last factor, which makes the modulus 2048 bits)."""
    while True:
        candidate = (low + secrets.randbelow(high - low + 1)) | 1
        if candidate <= high and math.gcd(E, candidate - 1) == 1 and _is_probable_prime(candidate):
            return candidate


@dataclass
class SigningKey:
    primes: list[int]

    def __post_init__(self) -> None:
        self.n = math.prod(self.primes)
        lam = math.lcm(*(p - 1 for p in self.primes))
        d = pow(E, -1, lam)
        # CRT: s = sum(s_i * c_i) mod n with s_i = m^(d mod p_i-1) mod p_i, c_i = 1 mod p_i, 0 mod others
        self._exponents = [d % (p - 1) for p in self.primes]
        self._coefficients = []
        for p in self.primes:
            rest = self.n // p
            self._coefficients.append(rest * pow(rest, -1, p) % self.n)
        self.size = (self.n.bit_length() + 7) // 8

    @classmethod
    def generate(cls) -> SigningKey:
        """Distinct one-digit primes while more than two digits' worth of the modulus is left, then one
        prime that brings the product to exactly MODULUS_BITS bits."""
        low, high = 1 << (MODULUS_BITS - 1), (1 << MODULUS_BITS) - 1
        primes: list[int] = []
        n = 1
        while (high // n).bit_length() > 2 * PRIME_BITS:
            p = _prime(PRIME_BITS)
            if p not in primes:
                primes.append(p)
                n *= p
        while True:
            last = _prime_between(-(-low // n), high // n)
            if last not in primes:
                return cls([*primes, last])

    def to_json(self) -> dict:
        return {"primes": [str(p) for p in self.primes]}

    @classmethod
    def from_json(cls, document: dict) -> SigningKey:
        return cls([int(p) for p in document["primes"]])

    def _raw_sign(self, m: int) -> int:
        total = 0
        for p, d, c in zip(self.primes, self._exponents, self._coefficients, strict=True):
            total += pow(m % p, d, p) * c
        return total % self.n

    def sign(self, data: bytes, digest: str = "sha1") -> bytes:
        """PKCS#1 v1.5 signature of ``data`` (SHA1withRSA or SHA256withRSA)."""
        hashed = _DIGEST_INFO[digest] + hashlib.new(digest, data).digest()
        padded = b"\x00\x01" + b"\xff" * (self.size - len(hashed) - 3) + b"\x00" + hashed
        return self._raw_sign(int.from_bytes(padded, "big")).to_bytes(self.size, "big")

    def verify(self, data: bytes, signature: bytes, digest: str = "sha1") -> bool:
        hashed = _DIGEST_INFO[digest] + hashlib.new(digest, data).digest()
        padded = pow(int.from_bytes(signature, "big"), E, self.n).to_bytes(self.size, "big")
        return padded.endswith(b"\x00" + hashed) and padded.startswith(b"\x00\x01\xff")

    def certificate_pem(self, serial: int) -> str:
        der = self_signed_certificate(self, serial)
        lines = base64.b64encode(der).decode()
        body = "\n".join(lines[i : i + 64] for i in range(0, len(lines), 64))
        return f"-----BEGIN CERTIFICATE-----\n{body}\n-----END CERTIFICATE-----\n"


# --- a minimal DER writer: just what one self-signed certificate needs ---------------------


def _der(tag: int, content: bytes) -> bytes:
    size = len(content)
    if size < 0x80:
        length = bytes([size])
    else:
        raw = size.to_bytes((size.bit_length() + 7) // 8, "big")
        length = bytes([0x80 | len(raw)]) + raw
    return bytes([tag]) + length + content


def _integer(value: int) -> bytes:
    raw = value.to_bytes(value.bit_length() // 8 + 1, "big")  # a leading zero keeps it positive
    while len(raw) > 1 and raw[0] == 0 and raw[1] < 0x80:
        raw = raw[1:]
    return _der(0x02, raw)


def _oid(dotted: str) -> bytes:
    parts = [int(x) for x in dotted.split(".")]
    out = bytearray([parts[0] * 40 + parts[1]])
    for part in parts[2:]:
        chunk = [part & 0x7F]
        part >>= 7
        while part:
            chunk.append(0x80 | (part & 0x7F))
            part >>= 7
        out.extend(reversed(chunk))
    return _der(0x06, bytes(out))


def _sequence(*items: bytes) -> bytes:
    return _der(0x30, b"".join(items))


def _name(*pairs: tuple[str, str]) -> bytes:
    # PrintableString for the country, UTF8String for the rest
    rdns = [
        _der(0x31, _sequence(_oid(oid), _der(0x13 if oid == "2.5.4.6" else 0x0C, value.encode())))
        for oid, value in pairs
    ]
    return _sequence(*rdns)


_SHA256_WITH_RSA = _sequence(_oid("1.2.840.113549.1.1.11"), b"\x05\x00")
_RSA_ENCRYPTION = _sequence(_oid("1.2.840.113549.1.1.1"), b"\x05\x00")
# Fixed dates (UTCTime): verifiers compare them with real time, which Cloudlet's clock may not be.
_VALIDITY = _sequence(_der(0x17, b"200101000000Z"), _der(0x17, b"491231235959Z"))


def self_signed_certificate(key: SigningKey, serial: int) -> bytes:
    name = _name(("2.5.4.6", "US"), ("2.5.4.10", "Cloudlet"), ("2.5.4.3", "sns.amazonaws.com"))
    public_key = _sequence(_integer(key.n), _integer(E))
    spki = _sequence(_RSA_ENCRYPTION, _der(0x03, b"\x00" + public_key))
    tbs = _sequence(
        _der(0xA0, _integer(2)),  # version 3
        _integer(serial),
        _SHA256_WITH_RSA,
        name,
        _VALIDITY,
        name,
        spki,
    )
    signature = key.sign(tbs, "sha256")
    return _sequence(tbs, _SHA256_WITH_RSA, _der(0x03, b"\x00" + signature))
