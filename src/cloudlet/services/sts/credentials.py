"""Credentials Cloudlet issued (STS sessions; IAM access keys later) and the identity behind each."""

from __future__ import annotations

import base64
import secrets
import string
from dataclasses import asdict

from cloudlet.context import DEFAULT_ACCOUNT, Identity
from cloudlet.gateway.auth import Credential
from cloudlet.store.scope import Scope, State, Table
from cloudlet.store.sqlite import Database

_KEY_ALPHABET = string.ascii_uppercase + string.digits


class CredentialState(State):
    service = "sts"
    keys = Table(Scope.GLOBAL)  # access key id -> secret, token, identity, expiration


# The well-known pair that local tooling uses; with --strict-signatures it is the root key.
BUILTIN = {
    "test": Credential(
        "test", "test",
        Identity(DEFAULT_ACCOUNT, "test", f"arn:aws:iam::{DEFAULT_ACCOUNT}:root", DEFAULT_ACCOUNT),
    )
}


class CredentialRegistry:
    def __init__(self, db: Database) -> None:
        self.db = db

    def _keys(self):  # noqa: ANN202 - a TableView
        return CredentialState(self.db).keys

    def lookup(self, access_key: str) -> Credential | None:
        if access_key in BUILTIN:
            return BUILTIN[access_key]
        if not access_key.startswith(("ASIA", "AKIA")):
            return None
        record = self._keys().get(access_key)
        if record is None:
            return None
        return Credential(access_key, record["secret"], Identity(**record["identity"]), record.get("expiration"))

    def issue(self, identity: Identity, expiration: float | None, temporary: bool = True) -> tuple[Credential, str]:
        """New credentials for ``identity``: (credential, session token or '')."""
        access_key = ("ASIA" if temporary else "AKIA") + "".join(secrets.choice(_KEY_ALPHABET) for _ in range(16))
        secret = base64.b64encode(secrets.token_bytes(30)).decode()
        token = base64.b64encode(b"cloudlet-session:" + secrets.token_bytes(96)).decode() if temporary else ""
        identity = Identity(identity.account, access_key, identity.arn, identity.user_id, token or None)
        self._keys().put(
            access_key,
            {"secret": secret, "identity": asdict(identity), "expiration": expiration},
        )
        return Credential(access_key, secret, identity, expiration), token

    def revoke(self, access_key: str) -> bool:
        return self._keys().delete(access_key)
