"""Prometheus and its Pushgateway for the stack (Debian's packages: `make stack-deps`).

Prometheus scrapes every replica's /metrics (job `lifecycle`, one target per replica, label
`replica`; the list is a file_sd file the stack rewrites as replicas start and stop), the
Pushgateway (where the monitor pushes its decision; `honor_labels` keeps the pushed job and
instance labels) and itself, and evaluates the project's alert rules,
`monitoring/alerts/*.rules.yml` (an empty glob is fine: no rules yet).
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import yaml

from lifecycle.stack.daemon import Daemon, MissingTool

RULES_GLOB = "monitoring/alerts/*.rules.yml"  # under the project root
INSTALL = (
    "install Prometheus and the Pushgateway: `make stack-deps` (as root), or on Debian/Ubuntu "
    "`sudo apt-get install prometheus prometheus-pushgateway`, or put both on PATH"
)


def tool_path(program: str) -> str:
    """The absolute path of a program on PATH, or MissingTool saying how to install it."""
    found = shutil.which(program)
    if found is None:
        raise MissingTool(f"`{program}` is not on PATH: {INSTALL}")
    return found


def duration(seconds: float) -> str:
    """Seconds as a Prometheus duration, in milliseconds (`1500ms`): exact for any float."""
    if seconds <= 0:
        raise ValueError(f"scrape_seconds must be positive, got {seconds}")
    return f"{round(seconds * 1000)}ms"


def write_atomically(path: Path, text: str) -> None:
    """Write a file whole (rename over the old one): Prometheus never reads half of it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_text(text)
    os.replace(partial, path)


@dataclass(kw_only=True)
class Pushgateway(Daemon):
    """prometheus-pushgateway; its metrics are saved to a file, so a restart keeps them."""

    name: str = "pushgateway"
    health_path: str = "/-/ready"

    def command(self) -> list[str]:
        """Listening on 127.0.0.1, persisting under the stack's folder."""
        return [
            tool_path("prometheus-pushgateway"),
            f"--web.listen-address=127.0.0.1:{self.port}",
            f"--persistence.file={self.home / 'pushgateway' / 'metrics'}",
        ]

    def prepare(self) -> None:
        """Its folder."""
        (self.home / "pushgateway").mkdir(parents=True, exist_ok=True)


@dataclass(kw_only=True)
class Prometheus(Daemon):
    """Prometheus with a generated configuration (see the module's docstring)."""

    name: str = "prometheus"
    health_path: str = "/-/ready"
    project_root: Path
    pushgateway_port: int
    scrape_seconds: float = 15.0

    @property
    def folder(self) -> Path:
        """Its configuration, targets file and time-series database."""
        return self.home / "prometheus"

    @property
    def targets_file(self) -> Path:
        """The replicas' file_sd targets (rewritten by `set_replicas`)."""
        return self.folder / "replicas.json"

    def command(self) -> list[str]:
        """`--web.enable-lifecycle`: `curl -X POST …/-/reload` re-reads the rule files."""
        return [
            tool_path("prometheus"),
            f"--config.file={self.folder / 'prometheus.yml'}",
            f"--storage.tsdb.path={self.folder / 'data'}",
            f"--web.listen-address=127.0.0.1:{self.port}",
            "--web.enable-lifecycle",
        ]

    def prepare(self) -> None:
        """Write the configuration, and an empty target list unless replicas are listed."""
        text = yaml.safe_dump(self.config(), sort_keys=False)
        write_atomically(self.folder / "prometheus.yml", text)
        if not self.targets_file.exists():
            self.set_replicas({})

    def config(self) -> dict[str, object]:
        """prometheus.yml as a dict."""
        every = duration(self.scrape_seconds)
        replicas = {"files": [str(self.targets_file)], "refresh_interval": every}
        return {
            "global": {"scrape_interval": every, "evaluation_interval": every},
            "rule_files": [str(self.project_root.resolve() / RULES_GLOB)],
            "scrape_configs": [
                {"job_name": "lifecycle", "file_sd_configs": [replicas]},
                {"job_name": "pushgateway", "honor_labels": True, "static_configs": [
                    {"targets": [f"127.0.0.1:{self.pushgateway_port}"]}
                ]},
                {"job_name": "prometheus", "static_configs": [
                    {"targets": [f"127.0.0.1:{self.port}"]}
                ]},
            ],
        }  # fmt: skip

    def set_replicas(self, ports: dict[int, int]) -> None:
        """Scrape these replicas (replica number -> port) from now on (file_sd is re-read)."""
        targets = [
            {"targets": [f"127.0.0.1:{port}"], "labels": {"replica": str(number)}}
            for number, port in sorted(ports.items())
        ]
        write_atomically(self.targets_file, json.dumps(targets, indent=2) + "\n")
