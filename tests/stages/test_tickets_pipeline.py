"""`dvc repro` on the event-level tickets table, in a temporary git clone with shrunken params:
text, gaps, bools, a zoned timestamp and a ticket-id key go through all six stages."""

import json
from pathlib import Path

import numpy as np
import pytest

from tests.helpers.clone import clone_with_params, registered_champion, sh
from tests.helpers.tickets import MODEL, TICKETS_SHRUNKEN

pytestmark = pytest.mark.slow


def constant_log_loss(rate: float) -> float:
    """The log loss of always answering the window's own rate of class 1 (knowing no feature)."""
    return float(-(rate * np.log(rate) + (1 - rate) * np.log(1 - rate)))


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return clone_with_params(tmp_path_factory.mktemp("clone"), "tickets", **TICKETS_SHRUNKEN)


def test_repro_registers_a_champion_for_tickets(repo: Path) -> None:
    out = sh(repo, "dvc", "repro").stdout
    for stage in ("ingest", "validate", "split", "train", "evaluate", "promote"):
        assert f"Running stage '{stage}'" in out
    assert "support_tickets: " in out and "rows pass every rule" in out
    champion = registered_champion(repo, MODEL)
    assert champion["version"] == "1" and "gate.challenger.roc_auc" in champion["tags"]
    metrics = json.loads((repo / "reports/evaluate/metrics.json").read_text())
    assert set(metrics) == {"best", "ridge", "hgb", "mlp"}
    for name in ("ridge", "hgb", "mlp"):
        for split in ("val", "test"):
            scores = metrics[name][split]
            assert scores["roc_auc"] > 0.7, (name, split)  # chance is 0.5
            assert scores["log_loss"] < constant_log_loss(scores["positive_rate"]), (name, split)
    assert champion["metrics"]["test_roc_auc"] == metrics[metrics["best"]]["test"]["roc_auc"]
    slices = json.loads((repo / "reports/evaluate/slices.json").read_text())
    test = slices[metrics["best"]]["test"]
    assert "payments" in test["team"] and "(missing)" in test["product"]
    for png in ("roc_curve", "calibration", "timeline", "feature_importance"):
        assert (repo / f"reports/evaluate/png/{png}.png").stat().st_size > 5000, png
