"""Server settings, from the command line or the embedding code."""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass
class Config:
    host: str = "127.0.0.1"
    port: int = 4566
    data_dir: str = "./.cloudlet"
    ephemeral: bool = False
    strict_signatures: bool = False
    # Largest non-streaming request body accepted; streaming uploads (S3) are not bounded by it.
    max_body: int = 64 * 1024 * 1024
    # DynamoDB: throttle PROVISIONED tables (and their GSIs) at their provisioned throughput.
    dynamodb_throughput: bool = False

    @property
    def database_path(self) -> str | None:
        return None if self.ephemeral else os.path.join(self.data_dir, "state.db")

    @property
    def blob_dir(self) -> str | None:
        return None if self.ephemeral else os.path.join(self.data_dir, "blobs")
