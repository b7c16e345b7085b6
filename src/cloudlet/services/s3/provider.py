"""Amazon S3: the provider is the sum of its parts, one module per resource."""

from __future__ import annotations

from cloudlet.services.s3.archive import ObjectSubresources
from cloudlet.services.s3.buckets import BucketOperations
from cloudlet.services.s3.configs import BucketConfigs
from cloudlet.services.s3.lifecycle import Lifecycle
from cloudlet.services.s3.listing import Listing
from cloudlet.services.s3.locking import Locking


class S3Provider(Lifecycle, Locking, ObjectSubresources, Listing, BucketConfigs, BucketOperations):
    """S3's operations; feature parts come first so their hooks override the defaults."""

    async def start(self) -> None:
        self.bodies.drain()  # garbage left by a stop between a commit and its cleanup
        if any(k.endswith("/lifecycle") for k, _ in self.state().configs.items()):
            self.arm_lifecycle()

    def reset(self) -> None:
        state = self.state()
        blobs = {blob for blob, _ in state.garbage.items()}
        for _, record in state.versions.items():
            blobs.update(segment[0] for segment in record.get("blobs") or ())
        for _, part in state.parts.items():
            blobs.add(part["blob"])
        super().reset()
        for blob in blobs:
            self.runtime.blobs.delete(blob)
