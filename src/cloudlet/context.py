"""Who is calling what: the context every provider method receives."""

from __future__ import annotations

from dataclasses import dataclass, field
from random import getrandbits
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cloudlet.http import Request
    from cloudlet.protocol.models import OperationModel, ServiceModel

DEFAULT_ACCOUNT = "000000000000"
DEFAULT_REGION = "us-east-1"


# The version (4) and variant (10) bits of a UUID, set over 128 random ones in one step.
_UUID4_CLEAR = ~((0xF000 << 64) | (0xC000 << 48))
_UUID4_SET = (0x4000 << 64) | (0x8000 << 48)


def new_request_id() -> str:
    """A random (version 4) UUID, as AWS request ids are; not secret, so the fast generator will do."""
    text = "%032x" % (getrandbits(128) & _UUID4_CLEAR | _UUID4_SET)
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


@dataclass
class Identity:
    """The caller, as authentication found it."""

    account: str = DEFAULT_ACCOUNT
    access_key: str = ""
    arn: str = f"arn:aws:iam::{DEFAULT_ACCOUNT}:root"
    user_id: str = DEFAULT_ACCOUNT
    session_token: str | None = None


@dataclass
class RequestContext:
    service: ServiceModel
    operation: OperationModel | None
    request: Request | None  # None for a call from another service (Runtime.call)
    protocol: str  # the client's wire protocol, or "internal"
    region: str = DEFAULT_REGION
    identity: Identity = field(default_factory=Identity)
    request_id: str = field(default_factory=new_request_id)

    @property
    def account(self) -> str:
        return self.identity.account

    def arn(self, resource: str, service: str | None = None, region: str | None = None) -> str:
        """``arn:aws:<service>:<region>:<account>:<resource>`` for this caller."""
        region = self.region if region is None else region
        return f"arn:aws:{service or self.service.signing_name}:{region}:{self.account}:{resource}"
