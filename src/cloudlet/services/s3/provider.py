"""Amazon S3: the provider is the sum of its parts, one module per resource.

Besides its operations, S3 answers three kinds of HTTP request that are no
operation of the model (``intercept``): CORS preflights (OPTIONS), browser
form uploads (POST to a bucket) and website hosting (``<bucket>.s3-website...``
hosts); and it adds CORS headers to every answer whose request carries an
Origin its bucket allows (``decorate``).
"""

from __future__ import annotations

from cloudlet.context import RequestContext, new_request_id
from cloudlet.gateway.routing import s3_bucket_from_host
from cloudlet.http import Request, Response
from cloudlet.services.s3.archive import ObjectSubresources
from cloudlet.services.s3.buckets import BucketOperations
from cloudlet.services.s3.configs import BucketConfigs
from cloudlet.services.s3.cors import Cors
from cloudlet.services.s3.lifecycle import Lifecycle
from cloudlet.services.s3.listing import Listing
from cloudlet.services.s3.locking import Locking
from cloudlet.services.s3.notifications import TOPIC, Notifications
from cloudlet.services.s3.post import PostObject
from cloudlet.services.s3.select.operation import Select
from cloudlet.services.s3.website import WEBSITE_HOST, Website

WEBSITE_PATH = "/_cloudlet/s3/website/"


def _bucket_and_resource(raw_path: str) -> tuple[str, str]:
    parts = raw_path.lstrip("/").split("/", 1)
    return parts[0], "OBJECT" if len(parts) > 1 and parts[1] else "BUCKET"


class S3Provider(PostObject, Notifications, Lifecycle, Locking, ObjectSubresources, Website, Cors, Select, Listing,
                 BucketConfigs, BucketOperations):
    """S3's operations; feature parts come first so their hooks override the defaults."""

    async def start(self) -> None:
        self.bodies.drain()  # garbage left by a stop between a commit and its cleanup
        self.runtime.bus.subscribe(TOPIC, self.deliver)
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
        self._buckets.clear()
        self.bodies.forget()
        for blob in blobs:
            self.bodies.release(blob)

    # --- HTTP that is not an operation --------------------------------------------------------

    async def intercept(self, ctx: RequestContext) -> Response | None:
        request = ctx.request
        website = WEBSITE_HOST.match(request.host)
        if website is not None:
            _, routed = s3_bucket_from_host(request)
            path = request.raw_path[len(routed) + 1:] if routed else request.raw_path
            if request.method == "OPTIONS":
                with self.runtime.db.transaction():
                    return self.preflight(ctx, website["bucket"], "OBJECT")
            return self.serve_website(ctx.request_id, request.method, request.host, website["bucket"], path or "/")
        if request.method == "OPTIONS":
            bucket, resource = _bucket_and_resource(request.raw_path)
            with self.runtime.db.transaction():
                return self.preflight(ctx, bucket, resource)
        if request.method == "POST" and request.content_type == "multipart/form-data":
            bucket, resource = _bucket_and_resource(request.raw_path)
            if resource == "BUCKET" and not request.query_string:
                return await self.post_object(ctx, bucket)
        return None

    def decorate(self, ctx: RequestContext, response: Response) -> None:
        request = ctx.request
        if request is None or "origin" not in request.headers or request.method == "OPTIONS":
            return
        website = WEBSITE_HOST.match(request.host)
        bucket = website["bucket"] if website is not None else _bucket_and_resource(request.raw_path)[0]
        with self.runtime.db.transaction():
            self.cors_headers(ctx, bucket, response)

    async def admin(self, request: Request, path: str) -> Response | None:
        if not request.raw_path.startswith(WEBSITE_PATH):
            return None
        bucket, _, key = request.raw_path[len(WEBSITE_PATH):].partition("/")
        return self.serve_website(new_request_id(), request.method, request.host, bucket, "/" + key)
