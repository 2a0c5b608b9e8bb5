"""The stack's Evidently UI service: the monitor adds each window's report over HTTP.

`evidently ui` serves a workspace folder under the stack's folder; with LIFECYCLE_EVIDENTLY_URL
set, monitoring writes to this service instead of a local workspace, so every team member sees
the same dashboards. Importing Evidently takes several seconds: it is the slowest to answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from lifecycle.stack.daemon import Daemon, python_module


@dataclass(kw_only=True)
class EvidentlyUI(Daemon):
    """`evidently ui` on 127.0.0.1 with a workspace in the stack's folder."""

    name: str = "evidently"
    health_path: str = "/api/version"

    @property
    def workspace(self) -> Path:
        """The folder the service keeps projects and snapshots in."""
        return self.home / "evidently"

    def command(self) -> list[str]:
        """`python -m evidently.cli ui` (the `evidently` command, with this interpreter)."""
        return python_module(
            "evidently.cli",
            "ui",
            *("--workspace", str(self.workspace)),
            *("--host", "127.0.0.1", "--port", str(self.port)),
        )
