"""A real (temporary) MLflow registry for tests: point the settings at it, log and register."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from lifecycle.dataset import DatasetSpec, model_frame
from lifecycle.params import Params
from lifecycle.settings import Settings
from lifecycle.stages.split import Splits

if TYPE_CHECKING:
    from lifecycle.tracking import LoggedModel


@dataclass
class Registry:
    """A temporary MLflow store with a registered model whose `champion` is an HGB model."""

    settings: Settings
    params: Params
    spec: DatasetSpec
    splits: Splits
    model_name: str
    champion_version: str


@contextmanager
def state_env(state: Path) -> Iterator[Settings]:
    """Point LIFECYCLE_STATE_DIR (and so MLflow's SQLite store) at a folder for a while."""
    saved = {k: os.environ.get(k) for k in ("LIFECYCLE_STATE_DIR", "MLFLOW_TRACKING_URI")}
    os.environ["LIFECYCLE_STATE_DIR"] = str(state)
    os.environ.pop("MLFLOW_TRACKING_URI", None)
    try:
        yield Settings()
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def log_fitted(
    settings: Settings, spec: DatasetSpec, params: Params, splits: Splits, tmp: Path
) -> list[LoggedModel]:
    """Fit `params.train.candidates` and log each as an MLflow run with its reference data."""
    from lifecycle.files import write_frame
    from lifecycle.stages.train import fit_all
    from lifecycle.tracking import configure, log_candidate

    configure(settings)
    reference = tmp / "train.parquet"
    write_frame(splits.train, reference)
    return [
        log_candidate(
            f.name,
            f.model,
            model_frame(splits.val, spec),
            {"seed": params.seed},
            f.val,
            {"git_commit": "test"},
            reference,
        )
        for f in fit_all(spec, params, splits.train, splits.val)
    ]


def train_and_register(
    settings: Settings, spec: DatasetSpec, params: Params, splits: Splits, tmp: Path
) -> str:
    """Fit one HGB candidate, log it with its reference data, and run the real gate on it."""
    from lifecycle.stages.promote import promote_best
    from lifecycle.tracking import configure

    logged = log_fitted(settings, spec, params, splits, tmp)
    decision = promote_best(
        configure(settings), logged, splits.test, spec, params, settings, {"git_commit": "test"}
    )
    return decision.champion_after or ""


def clone_champion_proba(repo: Path, model_name: str, rows: pd.DataFrame, spec: DatasetSpec) -> Any:
    """P(class 1) of a clone's registry champion, loaded in this process, on source rows."""
    from lifecycle.tracking import configure, load_model

    with state_env(repo / "state") as settings:
        configure(settings)
        model = load_model(f"models:/{model_name}@champion")
    return model.predict_proba(model_frame(rows, spec))[:, 1]


# Set by a test's teardown so that closing drains a sleeping challenger's queue at once,
# instead of 0.3 s per queued batch; a sleep ends early, the prediction is still made.
WAKE_SLEEPERS = threading.Event()


class Altered:
    """A registered champion that misbehaves on purpose, to serve as a challenger in tests.

    `mode`: "raise" (every predict raises), "sleep" (waits `seconds`, then answers), "shift"
    (answers the champion's value + 1, so its answers are told apart), "schema" (claims other
    input columns: the service must refuse it). No fast path compiles for it: it is no Pipeline.
    """

    def __init__(self, inner: Any, mode: str, seconds: float = 0.0) -> None:
        self.inner, self.mode, self.seconds = inner, mode, seconds
        names = list(inner.feature_names_in_)
        self.feature_names_in_ = names[::-1] if mode == "schema" else names

    def predict(self, frame: pd.DataFrame) -> Any:
        """The champion's predictions, altered as `mode` says."""
        if self.mode == "raise":
            raise RuntimeError("a deliberately broken challenger")
        if self.mode == "sleep":
            WAKE_SLEEPERS.wait(self.seconds)
        out = self.inner.predict(frame)
        return out + 1.0 if self.mode == "shift" else out


def register_altered(
    settings: Settings, name: str, version: str, mode: str, seconds: float = 0.0
) -> str:
    """Register `version` of `name`, altered (see Altered), as a new version; no alias moves.

    Pickled (cloudpickle), not skops: skops loads only the types the project trusts."""
    import mlflow

    from lifecycle.tracking import configure, load_model

    configure(settings)
    model = Altered(load_model(f"models:/{name}/{version}"), mode, seconds)
    with mlflow.start_run(run_name=f"altered-{mode}", tags={"git_commit": "test"}):
        info = mlflow.sklearn.log_model(
            model,
            name="model",
            pip_requirements=["scikit-learn"],
            serialization_format=mlflow.sklearn.SERIALIZATION_FORMAT_CLOUDPICKLE,
        )
    return str(mlflow.register_model(info.model_uri, name).version)
