"""Amazon S3: the provider is the sum of its parts, one module per resource."""

from __future__ import annotations

from cloudlet.services.s3.buckets import BucketOperations
from cloudlet.services.s3.listing import Listing
from cloudlet.services.s3.multipart import Multipart


class S3Provider(Multipart, Listing, BucketOperations):
    """S3's operations; feature parts come first so their hooks override the defaults."""

    async def start(self) -> None:
        self.bodies.drain()  # garbage left by a stop between a commit and its cleanup

    def reset(self) -> None:
        state = self.state()
        blobs = set(state.garbage.keys())
        for _, record in state.versions.items():
            blobs.update(segment[0] for segment in record.get("blobs") or ())
        for _, part in state.parts.items():
            blobs.add(part["blob"])
        super().reset()
        for blob in blobs:
            self.runtime.blobs.delete(blob)
