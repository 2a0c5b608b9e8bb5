"""A short replay on the shipped classification table: months scored by ROC AUC and log loss.

Three months of tests/datasets/deliveries (April to June 2024) against a real `bentoml serve`,
retraining on a schedule after May so that one retrain, its gate and a redeploy happen.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.clone import clone_with_params, sh
from tests.helpers.params import CLASSIFICATION, SHRUNKEN, deep_merge

pytestmark = pytest.mark.slow

PARAMS: dict[str, Any] = deep_merge(
    deep_merge(SHRUNKEN, CLASSIFICATION),
    {
        "data": {"as_of": "2024-04-01"},
        "split": {"train_days": 60},  # the first champion has January to March only
        "train": {"candidates": ["ridge", "hgb"], "hgb": {"max_iter": 40}},
        "gate": {"min_roc_auc": 0.6},
        "replay": {
            "start": "2024-04-01",
            "end": "2024-07-01",
            "policy": "scheduled",
            "every_months": 2,  # one retrain, after May: June is served by what it promoted
            "clients": 8,
        },
    },
)


@pytest.fixture(scope="module")
def replayed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any], str]:
    """Run `pipelines/replay.py` on three months of deliveries in a fresh copy of the project."""
    dest = tmp_path_factory.mktemp("replay-classification")
    repo = clone_with_params(dest, "short classification replay", **PARAMS)
    done = sh(repo, sys.executable, "pipelines/replay.py", ok=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    timeline = json.loads((repo / "reports/replay/timeline.json").read_text())
    return repo, timeline, done.stdout


def test_months_are_scored_by_the_gate_metric_and_log_loss(
    replayed: tuple[Path, dict[str, Any], str],
) -> None:
    _, timeline, _ = replayed
    assert timeline["meta"]["task"] == "classification"
    assert timeline["meta"]["metrics"] == ["roc_auc", "log_loss"]
    months = timeline["months"]
    assert [m["month"] for m in months] == ["2024-04", "2024-05", "2024-06"]
    for m in months:
        assert m["requests"] == m["rows"] > 600 and m["failed_requests"] == 0
        for side in ("served", "counterfactual"):
            assert 0.5 < m[f"{side}_roc_auc"] <= 1 and 0 < m[f"{side}_log_loss"] < 1
        assert "served_mae" not in m
    # Until the first retrain the service serves the first champion: the same scores.
    april = months[0]
    assert april["served_roc_auc"] == pytest.approx(april["counterfactual_roc_auc"], abs=1e-9)


def test_the_retrain_is_gated_and_a_promotion_redeploys(
    replayed: tuple[Path, dict[str, Any], str],
) -> None:
    _, timeline, _ = replayed
    april, may, june = timeline["months"]
    assert april["retrain"] is None and june["retrain"] is None
    retrain = may["retrain"]
    assert retrain["as_of"] == "2024-06-01" and retrain["outcome"] in ("promote", "refuse")
    assert "roc_auc" in retrain["reason"]
    if retrain["outcome"] == "promote":
        assert may["switched_to"] == june["served_version"] == retrain["version"]
    else:
        assert june["served_version"] == may["served_version"]


def test_headline_speaks_roc_auc_and_never_of_error_saved(
    replayed: tuple[Path, dict[str, Any], str],
) -> None:
    repo, timeline, stdout = replayed
    head = timeline["headline"]
    assert head["metric"] == "roc_auc" and head["retrains"] == 1
    assert {"served_roc_auc", "counterfactual_roc_auc", "roc_auc_gain"} <= set(head)
    assert "error_saved" not in head and "served_mae" not in head
    page = (repo / "reports/replay/timeline.md").read_text()
    assert "| ROC AUC served | ROC AUC never retrained | log loss served |" in page
    assert "MAE" not in page and "error saved" not in page
    assert "served ROC AUC" in stdout and "error saved" not in stdout
    assert (repo / "reports/replay/timeline.png").stat().st_size > 5000
