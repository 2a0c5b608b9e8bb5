"""The stack's S3-compatible object store: moto's standalone server on loopback.

A stand-in for S3, SeaweedFS or MinIO that needs neither Docker nor an account: the real S3 HTTP
API, so boto3, MLflow and DVC talk to it as to any S3 endpoint. Moto keeps every object in
memory: when it stops, the bucket and its contents are gone (the stack re-creates the empty
bucket when it starts again). One bucket, `lifecycle`: MLflow's artifacts under `mlartifacts/`,
the DVC remote under `dvc/`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lifecycle.stack.daemon import Daemon, python_module

BUCKET = "lifecycle"
MLFLOW_ARTIFACTS = f"s3://{BUCKET}/mlartifacts"
DVC_REMOTE = f"s3://{BUCKET}/dvc"
# Fixed credentials: moto accepts any, and a real store would get its own from the team's vault.
ACCESS_KEY = "lifecycle-stack"
SECRET_KEY = "lifecycle-stack-secret"
REGION = "us-east-1"
IN_MEMORY = "moto keeps objects in memory: they are gone when it stops"


@dataclass(kw_only=True)
class ObjectStore(Daemon):
    """moto's S3 server, and the bucket the stack uses."""

    name: str = "s3"

    def command(self) -> list[str]:
        """`python -m moto.server` on 127.0.0.1."""
        return python_module("moto.server", "-H", "127.0.0.1", "-p", str(self.port))

    def credentials(self) -> dict[str, str]:
        """The environment an S3 client (boto3, MLflow, DVC) needs for this store."""
        return {
            "AWS_ACCESS_KEY_ID": ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
            "AWS_DEFAULT_REGION": REGION,
        }

    def client(self) -> Any:
        """A boto3 S3 client for this store."""
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.url,
            region_name=REGION,
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
        )

    def after_ready(self) -> None:
        """Create the bucket (it never survives a restart: moto's objects live in memory)."""
        client = self.client()
        names = {b["Name"] for b in client.list_buckets().get("Buckets", [])}
        if BUCKET not in names:
            client.create_bucket(Bucket=BUCKET)

    def keys(self, prefix: str = "") -> list[str]:
        """Every object key in the bucket under `prefix` (all pages)."""
        pages = (
            self.client().get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=prefix)
        )
        return [obj["Key"] for page in pages for obj in page.get("Contents", [])]
