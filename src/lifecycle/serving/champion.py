"""Which model the service serves, where it comes from, and how it is swapped while serving.

Two sources: the MLflow registry (`make serve`: follows the `champion` alias, hot reload) and a
built Bento (`make bento`: the champion copied into the Bento at build time, no registry).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from lifecycle.dataset import DatasetSpec
from lifecycle.predictions import check_model_task
from lifecycle.registry import CHALLENGER, CHAMPION, current
from lifecycle.serving.schemas import ModelInfo, ReloadResult
from lifecycle.serving.vocabulary import Learnt, learnt_vocabulary
from lifecycle.settings import Settings

if TYPE_CHECKING:
    from sklearn.pipeline import Pipeline

    from lifecycle.serving.fastpath import FastModel

log = logging.getLogger("lifecycle.serving")
BENTO_INFO = "model_info"  # Bento model metadata key holding the ModelInfo as JSON
# The service checks the registry on its own schedule (LIFECYCLE_RELOAD_SECONDS): a tracking
# server that is down should cost one failed check in seconds, not MLflow's default of 7
# retries with exponential backoff (~4 min of a blocked follower). Set them to override.
REGISTRY_HTTP = {
    "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "1",
    "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": "1",
    "MLFLOW_HTTP_REQUEST_TIMEOUT": "15",
}


class RegistryUnavailable(RuntimeError):
    """The tracking server cannot be reached at start-up (the message names the setting)."""


@dataclass(frozen=True)
class Champion:
    """A loaded model and what GET /model says about it. Immutable: swapped whole, never edited."""

    model: Pipeline
    info: ModelInfo
    classes: tuple[int, ...] = ()  # a classifier's classes (lifecycle.predictions); () regression
    fast: FastModel | None = None  # the same model on numpy columns (see serving.fastpath)
    # What it learnt for `unseen: refuse` columns; requests are checked against it (vocabulary)
    vocabulary: Learnt | None = None


class ModelSource(Protocol):
    """Where models come from: which version to serve now, and how to load one."""

    def latest(self) -> str:
        """The version that should be served now."""
        ...

    def load(self, version: str) -> Champion:
        """Load one version with its lineage."""
        ...


def now_iso() -> str:
    """The current UTC time, ISO 8601 to the second."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def describe(
    name: str,
    version: str,
    run_id: str,
    tags: Mapping[str, str],
    metrics: Mapping[str, float],
    started_ms: int,
) -> ModelInfo:
    """GET /model's answer from a version's and its run's tags and metrics (pure)."""
    prefix = "data.md5."
    return ModelInfo(
        name=name,
        version=version,
        source="registry",
        run_id=run_id,
        git_commit=tags.get("git_commit", "unknown"),
        data_hashes={k.removeprefix(prefix): v for k, v in tags.items() if k.startswith(prefix)},
        trained_at=dt.datetime.fromtimestamp(started_ms / 1000, dt.UTC).isoformat(
            timespec="seconds"
        ),
        validation={k.removeprefix("val_"): v for k, v in metrics.items() if k.startswith("val_")},
        loaded_at=now_iso(),
    )


def check_inputs(model: Any, spec: DatasetSpec, version: str) -> None:
    """Refuse a model whose input columns differ from what the request schema builds."""
    expected = spec.model_inputs
    found = list(getattr(model, "feature_names_in_", expected))
    if found != expected:
        raise ValueError(f"model v{version} reads columns {found}, the service sends {expected}")


def champion_of(model: Any, info: ModelInfo, spec: DatasetSpec) -> Champion:
    """A loaded model checked against the definition (ValueError if it does not fit), with
    its fast path and its learnt vocabulary: what every source serves."""
    from lifecycle.serving.fastpath import compile_model  # scikit-learn: only once serving

    check_inputs(model, spec, info.version)
    try:
        classes = check_model_task(model, spec, info.version)
    except ValueError as err:  # the service was started with another table's params
        raise ValueError(f"{err}: serve the params.yaml the model was trained with") from err
    vocabulary = learnt_vocabulary(model, spec, info.version)
    return Champion(model, info, classes, compile_model(model, spec, info.version), vocabulary)


class RegistrySource:
    """Follows the `champion` alias of a registered model in MLflow."""

    def __init__(self, settings: Settings, name: str, spec: DatasetSpec) -> None:
        from lifecycle.tracking import configure

        for key, value in REGISTRY_HTTP.items():
            os.environ.setdefault(key, value)
        self.where, self.promotion_log = settings.tracking_uri, settings.promotion_log
        try:
            self.client = configure(settings)
        except Exception as err:  # MlflowException, or the HTTP client's own errors
            raise RegistryUnavailable(
                f"MLFLOW_TRACKING_URI={self.where}: cannot reach the tracking server: "
                f"{str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__}"
            ) from None
        self.name, self.spec = name, spec

    def latest(self) -> str:
        """The version the alias points at now."""
        version = current(self.client, self.name, CHAMPION)
        if version is None:
            raise LookupError(
                f"model '{self.name}' has no '{CHAMPION}' in {self.where}: "
                "run `make repro` (or `make demo`) first"
            )
        return str(version.version)

    def describe(self, version: str) -> ModelInfo:
        """A version's lineage from the registry: its tags, its run's tags and metrics."""
        mv = self.client.get_model_version(self.name, version)
        if mv.run_id is None:
            raise LookupError(f"'{self.name}' v{version} has no MLflow run: no lineage to show")
        run = self.client.get_run(mv.run_id)
        tags = {**run.data.tags, **mv.tags}  # the version's own tags win
        return describe(self.name, version, mv.run_id, tags, run.data.metrics, run.info.start_time)

    def load(self, version: str) -> Champion:
        """Load `models:/<name>/<version>` (a number, not the alias: we report what we load)."""
        from lifecycle.tracking import load_model

        model = load_model(f"models:/{self.name}/{version}")
        return champion_of(model, self.describe(version), self.spec)

    def challenger(self) -> str | None:
        """The version the `challenger` alias points at now (None: no challenger)."""
        version = current(self.client, self.name, CHALLENGER)
        return None if version is None else str(version.version)

    def roll_back(self, version: str, reason: str) -> object:
        """Remove `challenger` from a canary that broke a guardrail (None: it had moved)."""
        from lifecycle.rollout import roll_back_canary  # the registry's side of a rollout

        return roll_back_canary(self.client, self.name, version, reason, self.promotion_log)


class BentoSource:
    """The one model packed into a built Bento (see lifecycle.serving.bento)."""

    def __init__(self, bento_model: Any, spec: DatasetSpec) -> None:
        self.bento_model, self.spec = bento_model, spec
        self.info = ModelInfo.model_validate_json(bento_model.info.metadata[BENTO_INFO])

    def latest(self) -> str:
        """Always the packed version: a Bento is immutable."""
        return self.info.version

    def load(self, version: str) -> Champion:
        """Load the packed MLflow model as its scikit-learn pipeline."""
        from lifecycle.tracking import without_torch_shim

        without_torch_shim()  # before skops is imported
        import mlflow.sklearn

        model = mlflow.sklearn.load_model(self.bento_model.path_of("mlflow_model"))
        info = self.info.model_copy(update={"source": "bento", "loaded_at": now_iso()})
        return champion_of(model, info, self.spec)


class ServedModel:
    """The champion being served, swapped whole when the source says so.

    Readers take `self.current` once per batch and use only that object: a swap is one reference
    assignment, so a batch already running finishes on the model it started with.
    """

    def __init__(self, source: ModelSource, on_outcome: Callable[[str], None]) -> None:
        self.source, self.on_outcome = source, on_outcome
        self.current: Champion = source.load(source.latest())
        self._lock = threading.Lock()  # one check at a time (follower and admin endpoint)
        # Told the champion after every check: the challenger follows its alias on the same
        # checks (serving.variants), so the poll and /admin/reload move both.
        self.followers: list[Callable[[Champion], None]] = []

    def refresh(self) -> ReloadResult:
        """Ask the source which version to serve; load and swap in a new one (slow, off-path)."""
        with self._lock:
            before = self.current.info.version
            version = self.source.latest()
            if version != before:
                self.current = self.source.load(version)
            for follow in self.followers:
                follow(self.current)
        if version == before:
            return ReloadResult(
                reloaded=False,
                version_before=before,
                version_after=before,
                detail=f"already serving v{before}",
            )
        log.warning("model reloaded: %s v%s -> v%s", self.current.info.name, before, version)
        self.on_outcome("reloaded")
        return ReloadResult(
            reloaded=True,
            version_before=before,
            version_after=version,
            detail=f"now serving v{version}",
        )


def bento_metadata(info: ModelInfo) -> dict[str, str]:
    """What to store with a model imported into the Bento store (metadata must be flat)."""
    return {
        BENTO_INFO: info.model_dump_json(),
        "version": info.version,
        "run_id": info.run_id,
        "git_commit": info.git_commit,
        "trained_at": info.trained_at,
        "validation": json.dumps(info.validation),
    }
