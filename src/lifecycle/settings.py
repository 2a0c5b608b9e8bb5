"""Runtime settings (where state lives, which servers to talk to), read from the environment.

Params (params.yaml) say *what* to compute and are versioned with the data; settings say *where*
things run and differ per machine. Every field can be overridden by an environment variable of
the same name in upper case, e.g. `MLFLOW_TRACKING_URI=http://mlflow:5000`.
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

# Every tool we drive phones home unless told not to; the project keeps them all quiet.
TELEMETRY_OFF = {
    "MLFLOW_DISABLE_TELEMETRY": "true",
    "DO_NOT_TRACK": "1",
    "BENTOML_DO_NOT_TRACK": "true",
    "DVC_NO_ANALYTICS": "1",
    "ITERATIVE_DO_NOT_TRACK": "1",
}


class Settings(BaseSettings):
    """Where state lives. Defaults keep everything inside the project, under `state/`."""

    model_config = SettingsConfigDict(env_prefix="", extra="ignore", case_sensitive=False)

    project_root: Path = Field(default_factory=Path.cwd, alias="LIFECYCLE_ROOT")
    state_dir: Path = Field(default=Path("state"), alias="LIFECYCLE_STATE_DIR")
    mlflow_tracking_uri: str | None = None  # default: sqlite:///<state_dir>/mlflow.db
    mlflow_artifact_root: str | None = Field(default=None, alias="LIFECYCLE_ARTIFACT_ROOT")
    experiment_name: str = Field(default="lifecycle", alias="LIFECYCLE_EXPERIMENT")

    def _abs(self, path: Path) -> Path:
        return path if path.is_absolute() else (self.project_root / path).resolve()

    @property
    def state(self) -> Path:
        """Absolute path of the state folder (created on first use)."""
        path = self._abs(self.state_dir)
        path.mkdir(parents=True, exist_ok=True)
        return path

    @property
    def tracking_uri(self) -> str:
        """MLflow tracking and registry URI: an explicit setting wins over the local SQLite."""
        return self.mlflow_tracking_uri or f"sqlite:///{self.state / 'mlflow.db'}"

    @property
    def artifact_root(self) -> str:
        """Where new experiments store artifacts (absolute, so the working directory is moot)."""
        return self.mlflow_artifact_root or (self.state / "mlartifacts").as_uri()

    @property
    def promotion_log(self) -> Path:
        """Append-only JSON-lines log of every gate decision and rollback."""
        return self.state / "promotions.jsonl"


def quiet_telemetry() -> None:
    """Switch off every tool's telemetry in this process and its children (unless set)."""
    for key, value in TELEMETRY_OFF.items():
        os.environ.setdefault(key, value)


def get_settings() -> Settings:
    """Settings from the environment (cheap; call where needed rather than at import time)."""
    return Settings()
