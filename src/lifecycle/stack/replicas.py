"""Replicas of the service: N `bentoml serve` processes on their own ports, one shared state.

Each replica is one process with one worker (LIFECYCLE_SERVE_WORKERS=1: several replicas are
the scale-out here) and its own BentoML home; all of them load the champion from the stack's
MLflow server and write the one prediction log in PostgreSQL (LIFECYCLE_DATABASE_URL).
Prometheus scrapes each one's /metrics with the label `replica`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from lifecycle.params import load_params
from lifecycle.registry import CHAMPION
from lifecycle.stack.daemon import Daemon, StackError, python_module
from lifecycle.stack.process_groups import family, signal_family

SERVICE = "serving.service:ChampionService"  # serving/service.py, run from the project root


class NoChampion(StackError):
    """The registry has no champion to serve yet."""


def champion_version(tracking_uri: str, model_name: str) -> str | None:
    """The version the `champion` alias points to in a tracking server (None: no champion)."""
    response = httpx.get(
        f"{tracking_uri}/api/2.0/mlflow/registered-models/alias",
        params={"name": model_name, "alias": CHAMPION},
        timeout=30,
    )
    if response.status_code == 404:  # no such model, or no such alias
        return None
    response.raise_for_status()
    return str(response.json()["model_version"]["version"])


def require_champion(tracking_uri: str, project_root: Path, env_file: Path) -> str:
    """The champion's version, or NoChampion saying how to register one in the stack."""
    model_name = load_params(project_root / "params.yaml").registry.model_name
    version = champion_version(tracking_uri, model_name)
    if version is None:
        raise NoChampion(
            f"the MLflow server {tracking_uri} has no champion for {model_name!r} yet, so a "
            "replica would have nothing to serve: point the project at the stack and register "
            f"one first (`source {env_file} && make repro`), then start the replicas"
        )
    return version


@dataclass(kw_only=True)
class Replica(Daemon):
    """One `bentoml serve` of serving/service.py, from the project root."""

    name: str = ""  # replica-<number>
    health_path: str = "/readyz"
    number: int
    project_root: Path
    reload_seconds: float = 10.0
    env: dict[str, str] = field(default_factory=dict, repr=False)  # the stack's, and extras

    def __post_init__(self) -> None:
        self.name = self.name or f"replica-{self.number}"

    def command(self) -> list[str]:
        """`python -m bentoml serve serving.service:ChampionService` on its port."""
        return python_module(
            "bentoml", "serve", SERVICE, "--host", "127.0.0.1", "--port", str(self.port)
        )

    def environment(self) -> dict[str, str]:
        """The stack's settings, one worker, its own port and BentoML home."""
        return {
            "PORT": str(self.port),
            "LIFECYCLE_SERVE_WORKERS": "1",
            "LIFECYCLE_RELOAD_SECONDS": str(self.reload_seconds),
            "BENTOML_HOME": str(self.home / "replicas" / str(self.number) / "bentoml"),
            **self.env,
        }

    def popen_options(self) -> dict[str, Any]:
        """From the project root, where params.yaml and serving/ are."""
        return {"cwd": self.project_root}

    def kill(self, sig: int) -> None:
        """Send a signal to the replica and its workers (a fault: SIGKILL, SIGSTOP, ...):
        BentoML's workers run in sessions of their own, so its group alone is not all of it."""
        if self.pid is None or not self.alive():
            raise StackError(f"{self.name} ({self.url}) is not running")
        signal_family(family(self.pid), sig)

    def record(self) -> dict[str, Any]:
        """What stack.json keeps of it."""
        return {**super().record(), "number": self.number, "reload_seconds": self.reload_seconds}
