"""Params for tests: params.yaml shrunken to train in seconds, and the classification overrides."""

from __future__ import annotations

import copy
from typing import Any

import yaml

from lifecycle.params import Params
from tests.helpers.imports import ROOT  # the repository root, defined once

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
