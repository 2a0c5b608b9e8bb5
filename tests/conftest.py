"""Shared fixtures: shrunken params, the real data, and a real (temporary) MLflow registry."""

from __future__ import annotations

import copy
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import pytest
import yaml

from lifecycle.dataset import DatasetSpec, load_spec, model_frame, read_source
from lifecycle.params import Params
from lifecycle.settings import Settings, quiet_telemetry
from lifecycle.stages.ingest import arrived
from lifecycle.stages.split import Splits, split_by_time

if TYPE_CHECKING:
    from lifecycle.tracking import LoggedModel

ROOT = Path(__file__).resolve().parents[1]

# Smaller and faster than params.yaml, same shape: a test run trains in seconds.
SHRUNKEN: dict[str, Any] = {
    "train": {"hgb": {"max_iter": 60}, "mlp": {"epochs": 5, "hidden": [16]}},
}


# Everything that changes when the pipeline runs on the shipped classification dataset
# (tests/datasets/deliveries.yaml): its dates, a classification gate metric and floors (the
# regression floors switched off), no log target, a classification monitoring metric.
CLASSIFICATION: dict[str, Any] = {
    "data": {
        "dataset": "tests/datasets/deliveries.yaml",
        "start": "2024-01-01",
        "as_of": "2024-06-01",
    },
    "split": {"test_days": 14, "val_days": 14, "train_days": 90},
    "train": {"log_target": False},
    "gate": {
        "metric": "roc_auc",
        "max_mae": None,
        "min_r2": None,
        "min_roc_auc": 0.75,
        "max_log_loss": 0.5,
    },
    "monitor": {"metric": "log_loss"},
    "registry": {"model_name": "depot-late-hours"},
}


def deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """A copy of `base` with `override` merged in, key by key at every depth."""
    out = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def raw_params(**override: Any) -> dict[str, Any]:
    """params.yaml as a dict, shrunken, with overrides merged in (paths made absolute)."""
    raw = yaml.safe_load((ROOT / "params.yaml").read_text())
    raw = deep_merge(deep_merge(raw, SHRUNKEN), override)
    raw["data"]["dataset"] = str(ROOT / raw["data"]["dataset"])
    return raw


def make_params(**override: Any) -> Params:
    """Validated shrunken params with overrides, e.g. make_params(data={"as_of": "2011-06-01"})."""
    return Params.model_validate(raw_params(**override))


@pytest.fixture(scope="session", autouse=True)
def _quiet() -> None:
    quiet_telemetry()


@pytest.fixture(scope="session")
def spec() -> DatasetSpec:
    """The bike sharing dataset definition, with an absolute source path."""
    loaded = load_spec(ROOT / "data/datasets/bike_sharing.yaml")
    return loaded.model_copy(update={"source": ROOT / loaded.source})


@pytest.fixture(scope="session")
def source(spec: DatasetSpec) -> pd.DataFrame:
    """The committed source table, read once per session (tests must not modify it)."""
    return read_source(spec)


@pytest.fixture(scope="session")
def params() -> Params:
    """Shrunken default params."""
    return make_params()


@pytest.fixture(scope="session")
def splits(source: pd.DataFrame, params: Params) -> Splits:
    """Train/val/test of the default (shrunken) params."""
    return split_by_time(arrived(source, params.data.as_of), params)


@pytest.fixture(scope="session")
def class_spec() -> DatasetSpec:
    """The shipped classification dataset definition, with an absolute source path."""
    loaded = load_spec(ROOT / CLASSIFICATION["data"]["dataset"])
    return loaded.model_copy(update={"source": ROOT / loaded.source})


@pytest.fixture(scope="session")
def class_params() -> Params:
    """Shrunken params for the classification dataset (validated against its task)."""
    from lifecycle.params import check_params_task

    params = make_params(**CLASSIFICATION)
    check_params_task(params, "classification")
    return params


@pytest.fixture(scope="session")
def class_splits(class_spec: DatasetSpec, class_params: Params) -> Splits:
    """Train/val/test of the classification dataset."""
    frame = read_source(class_spec)
    return split_by_time(arrived(frame, class_params.data.as_of), class_params)


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


@pytest.fixture(scope="session")
def registry(
    tmp_path_factory: pytest.TempPathFactory, spec: DatasetSpec, splits: Splits
) -> Iterator[Registry]:
    """A real SQLite MLflow registry in a temp folder, with an HGB champion (shared, read-only)."""
    params = make_params(train={"candidates": ["hgb"]})
    tmp = tmp_path_factory.mktemp("registry")
    with state_env(tmp / "state") as settings:
        version = train_and_register(settings, spec, params, splits, tmp)
        yield Registry(settings, params, spec, splits, params.registry.model_name, version)
