"""Runtime settings (where state lives, which servers to talk to), read from the environment.

Params (params.yaml) say *what* to compute and are versioned with the data; settings say *where*
things run and differ per machine. Every field can be overridden by an environment variable of
the same name in upper case, e.g. `MLFLOW_TRACKING_URI=http://mlflow:5000`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Every tool we drive phones home unless told not to; the project keeps them all quiet.
TELEMETRY_OFF = {
    "MLFLOW_DISABLE_TELEMETRY": "true",
    "DO_NOT_TRACK": "1",
    "BENTOML_DO_NOT_TRACK": "true",
    "DVC_NO_ANALYTICS": "1",
    "ITERATIVE_DO_NOT_TRACK": "1",
}

SPILL_FOLDER = "prediction-log-spill"  # under the state folder, or next to an SQLite log
# Database URLs the shared state supports: PostgreSQL through psycopg 3, or SQLite.
SUPPORTED_DRIVERS = ("postgresql+psycopg", "sqlite", "sqlite+pysqlite")

# The settings that point the project at a team's servers (`source state/stack/env.sh` sets
# them): what runs on its own local state (the replay, the benchmarks) must not inherit them.
TEAM_SETTINGS = (
    "MLFLOW_TRACKING_URI",
    "LIFECYCLE_DATABASE_URL",
    "LIFECYCLE_PUSHGATEWAY_URL",
    "LIFECYCLE_EVIDENTLY_URL",
)


class Settings(BaseSettings):
    """Where state lives. Defaults keep everything inside the project, under `state/`."""

    # hide_input_in_errors: a refused value may hold a secret (a database password, a token)
    model_config = SettingsConfigDict(
        env_prefix="", extra="ignore", case_sensitive=False, hide_input_in_errors=True
    )

    project_root: Path = Field(default_factory=Path.cwd, alias="LIFECYCLE_ROOT")
    state_dir: Path = Field(default=Path("state"), alias="LIFECYCLE_STATE_DIR")
    mlflow_tracking_uri: str | None = None  # default: sqlite:///<state_dir>/mlflow.db
    mlflow_artifact_root: str | None = Field(default=None, alias="LIFECYCLE_ARTIFACT_ROOT")
    experiment_name: str = Field(default="lifecycle", alias="LIFECYCLE_EXPERIMENT")

    # Shared state for a team (chapter 8, `make stack`). Unset: embedded files under `state/`.
    # One SQLAlchemy URL for the prediction log, the feedback store and the promotion log, e.g.
    # postgresql+psycopg://lifecycle:secret@db:5432/lifecycle (every replica writes there).
    database_url: SecretStr | None = Field(default=None, alias="LIFECYCLE_DATABASE_URL")
    # On shutdown, how long the prediction log waits for an unreachable database before it
    # spills the rows it holds to a file under state/ (replayed by the next start).
    log_drain_seconds: float = Field(default=30.0, ge=0, alias="LIFECYCLE_LOG_DRAIN_SECONDS")
    # Prometheus Pushgateway the monitor pushes its decision to (an alert rule reads it).
    pushgateway_url: str | None = Field(default=None, alias="LIFECYCLE_PUSHGATEWAY_URL")
    # Evidently UI service whose workspace monitoring runs are added to, over HTTP.
    evidently_url: str | None = Field(default=None, alias="LIFECYCLE_EVIDENTLY_URL")

    # Serving (serving/service.py). Read when the service starts: change them, then restart it.
    port: int = Field(default=3000, ge=1, le=65535, alias="PORT")  # `make serve PORT=…`
    serve_workers: int = Field(default=2, ge=1, alias="LIFECYCLE_SERVE_WORKERS")  # processes
    prediction_log_path: Path | None = Field(default=None, alias="LIFECYCLE_PREDICTION_LOG")
    reload_seconds: float = Field(default=10.0, ge=0, alias="LIFECYCLE_RELOAD_SECONDS")  # 0: off
    admin_token: SecretStr | None = Field(default=None, alias="LIFECYCLE_ADMIN_TOKEN")
    max_records: int = Field(default=1000, ge=1, alias="LIFECYCLE_MAX_RECORDS")  # per request
    max_body_bytes: int = Field(default=1_048_576, ge=1024, alias="LIFECYCLE_MAX_BODY_BYTES")
    max_batch_size: int = Field(default=1000, ge=2, alias="LIFECYCLE_MAX_BATCH_SIZE")  # rows
    max_latency_ms: int = Field(default=2000, ge=1, alias="LIFECYCLE_MAX_LATENCY_MS")  # then 503
    trace_predict: bool = Field(default=False, alias="LIFECYCLE_TRACE_PREDICT")  # OTel spans
    model_source: Literal["registry", "bento"] = Field(
        default="registry", alias="LIFECYCLE_MODEL_SOURCE"
    )  # "bento": the model packed into a built Bento, no registry needed

    @field_validator("database_url", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        return None if value == "" else value  # `LIFECYCLE_DATABASE_URL=` (e.g. compose): unset

    @field_validator("database_url")
    @classmethod
    def _database_url_parses(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            check_database_url(value.get_secret_value())
        return value

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
    def artifact_root(self) -> str | None:
        """Where new experiments store artifacts (absolute, so the working directory is moot).

        None with a tracking server: the server decides (`--artifacts-destination`, proxied by
        `--serve-artifacts`), so clients need no credentials for the artifact store."""
        if self.mlflow_artifact_root:
            return self.mlflow_artifact_root
        if self.tracking_uri.startswith(("http://", "https://")):
            return None
        return (self.state / "mlartifacts").as_uri()

    @property
    def database(self) -> str | None:
        """LIFECYCLE_DATABASE_URL's value (None: the embedded files under state/)."""
        return self.database_url.get_secret_value() if self.database_url else None

    @property
    def database_label(self) -> str:
        """Where the shared state is, for messages (a URL with its password hidden)."""
        from lifecycle.store import label

        return label(self.database) if self.database else f"SQLite files in {self.state}"

    @property
    def promotion_log(self) -> str | Path:
        """Append-only log of every gate decision and rollback: the database's `promotions`
        table, or without one the JSON-lines file state/promotions.jsonl."""
        return self.database or self.state / "promotions.jsonl"

    @property
    def prediction_log(self) -> str | Path:
        """The served predictions: the database, or its SQLite file (LIFECYCLE_PREDICTION_LOG,
        default state/predictions.sqlite); monitoring reads what the service writes here."""
        file = self.prediction_log_path or self.state / "predictions.sqlite"
        return self.database or self._abs(file)

    @property
    def bentoml_home(self) -> Path:
        """BentoML's model and Bento store, kept inside the project (BentoML's default is ~)."""
        return self.state / "bentoml"

    @property
    def monitoring_state(self) -> Path:
        """Monitoring's own state: reference data (training rows + predictions) cached per run."""
        return self.state / "monitoring"

    @property
    def feedback_store(self) -> str | Path:
        """Ground-truth labels as they arrive (the database, or state/feedback.sqlite), joined
        to predictions by event time."""
        return self.database or self.state / "feedback.sqlite"

    @property
    def log_spill(self) -> Path:
        """Where the prediction log spills the rows a database outage kept it from writing."""
        return self.state / SPILL_FOLDER

    @property
    def evidently_workspace(self) -> Path:
        """The local Evidently workspace every monitoring run is added to (`make monitor-ui`)."""
        return self.state / "evidently"


def check_database_url(url: str) -> None:
    """Refuse a LIFECYCLE_DATABASE_URL that SQLAlchemy cannot parse or we do not support."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    setting = "LIFECYCLE_DATABASE_URL"
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError) as err:  # ValueError: e.g. a port that is not a number
        raise ValueError(
            f"{setting} is not a database URL ({err}); write e.g. "
            "postgresql+psycopg://user:password@host:5432/database"
        ) from None
    if parsed.drivername not in SUPPORTED_DRIVERS:
        raise ValueError(
            f"{setting} names the driver {parsed.drivername!r}; supported: "
            f"{', '.join(SUPPORTED_DRIVERS)} (a plain postgresql:// means psycopg2, not "
            "installed: write postgresql+psycopg://)"
        )


def quiet_telemetry() -> None:
    """Switch off every tool's telemetry in this process and its children (unless set)."""
    for key, value in TELEMETRY_OFF.items():
        os.environ.setdefault(key, value)


def get_settings() -> Settings:
    """Settings from the environment (cheap; call where needed rather than at import time)."""
    return Settings()
