"""The stack's MLflow tracking server and registry: metadata in PostgreSQL, artifacts in S3.

`--serve-artifacts` makes the server the artifact proxy: clients send artifacts to the server,
which writes them to `--artifacts-destination` in the object store, so clients need the server's
URL and no storage credentials. The backend URI holds the database password, so it goes in the
environment (MLFLOW_BACKEND_STORE_URI), not on the command line where `ps` would show it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lifecycle.stack.daemon import Daemon, python_module
from lifecycle.stack.objectstore import MLFLOW_ARTIFACTS


@dataclass(kw_only=True)
class MlflowServer(Daemon):
    """`mlflow server` on the stack's PostgreSQL database `mlflow` and its bucket."""

    name: str = "mlflow"
    health_path: str = "/health"
    backend_uri: str = field(repr=False)  # with the password
    s3_endpoint: str
    s3_env: dict[str, str] = field(repr=False)  # the object store's credentials

    def command(self) -> list[str]:
        """One uvicorn worker (2 cores here); Host headers it answers to, with the port."""
        port = str(self.port)
        return python_module(
            "mlflow",
            "server",
            *("--artifacts-destination", MLFLOW_ARTIFACTS, "--serve-artifacts"),
            *("--host", "127.0.0.1", "--port", port, "--workers", "1"),
            # MLflow 3 refuses other Host headers (DNS-rebinding protection): name them all.
            *("--allowed-hosts", f"127.0.0.1:{port},localhost:{port}"),
        )

    def environment(self) -> dict[str, str]:
        """The backend store (secret), and how the server reaches the object store."""
        return {
            "MLFLOW_BACKEND_STORE_URI": self.backend_uri,
            "MLFLOW_S3_ENDPOINT_URL": self.s3_endpoint,
            **self.s3_env,
        }
