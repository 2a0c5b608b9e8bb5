"""The whole path for a `task: classification` dataset, on real components: `dvc repro` in a
temporary git clone pointed at the shipped classification dataset, its champion served by a real
`bentoml serve`, requests over HTTP, the prediction log, delivered labels, and monitoring."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import log_loss, roc_auc_score

from lifecycle.dataset import DatasetSpec, load_spec
from lifecycle.prediction_log import read_predictions
from lifecycle.serving.client import ServiceClient, records_from_frame
from lifecycle.source import read_source
from tests.helpers.clone import clone_with_params, registered_champion, set_params, sh
from tests.helpers.params import CLASSIFICATION, deep_merge
from tests.helpers.registry import clone_champion_proba
from tests.helpers.serving import serve_clone

pytestmark = pytest.mark.slow

SERVED = ("2024-05-01", "2024-06-01")  # the month after data.as_of: traffic the model never saw
# The shipped classification dataset (CLASSIFICATION), shrunken: two cheap candidates.
PARAMS: dict[str, Any] = deep_merge(
    CLASSIFICATION,
    {
        "data": {"as_of": SERVED[0]},
        "split": {"train_days": 60},
        "train": {"candidates": ["ridge", "hgb"], "hgb": {"max_iter": 40}},
        "gate": {"min_roc_auc": 0.6},
    },
)
MODEL = PARAMS["registry"]["model_name"]


@dataclass
class Served:
    """What one `bentoml serve` of the champion answered, and what it logged."""

    repo: Path
    spec: DatasetSpec
    rows: pd.DataFrame  # the source rows sent, in order
    answers: list[dict[str, Any]]
    log: Path
    metrics: str  # GET /metrics after the traffic


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A git clone of this working tree with params for the classification dataset."""
    dest = tmp_path_factory.mktemp("clone")
    return clone_with_params(dest, "classification dataset, shrunken", **PARAMS)


@pytest.fixture(scope="module")
def reproduced(repo: Path) -> str:
    """`dvc repro` in the clone: the same six stages train, evaluate and gate a classifier."""
    return sh(repo, "dvc", "repro").stdout


def test_repro_trains_and_promotes_a_classifier(repo: Path, reproduced: str) -> None:
    for stage in ("ingest", "validate", "split", "train", "evaluate", "promote"):
        assert f"Running stage '{stage}'" in reproduced
    assert "val ROC AUC" in reproduced and "PROMOTE" in reproduced
    champion = registered_champion(repo, MODEL)
    assert champion["version"] == "1"
    metrics = champion["metrics"]
    for split in ("val", "test"):
        for name in ("roc_auc", "log_loss", "f1", "brier", "ece"):
            assert f"{split}_{name}" in metrics, f"{split}_{name}"
    assert metrics["test_roc_auc"] >= PARAMS["gate"]["min_roc_auc"]
    assert "gate.challenger.roc_auc" in champion["tags"]
    for png in ("roc_curve", "confusion_matrix", "calibration", "timeline", "feature_importance"):
        assert (repo / f"reports/evaluate/png/{png}.png").stat().st_size > 5000, png
    shown = sh(repo, "dvc", "metrics", "show").stdout
    assert "hgb.test.roc_auc" in shown and "ridge.val.log_loss" in shown
    summary = sh(repo, "lifecycle", "summary").stdout
    assert "test AUC" in summary and "PROMOTED to champion" in summary


@pytest.fixture(scope="module")
def served(
    repo: Path, reproduced: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Served]:
    """Serve the champion from the clone, send May in requests of 100 records, stop the server."""
    tmp = tmp_path_factory.mktemp("serve")
    spec = load_spec(repo / PARAMS["data"]["dataset"])
    source = read_source(spec, repo)
    when = source["event_time"]
    rows = source[(when >= SERVED[0]) & (when < SERVED[1])].reset_index(drop=True)
    server = serve_clone(repo, tmp)
    try:
        answers: list[dict[str, Any]] = []
        with ServiceClient(server.url, timeout=60) as svc:  # the typed client users call
            for lo in range(0, len(rows), 100):
                answers += map(
                    dict, svc.predict(records_from_frame(rows.iloc[lo : lo + 100], spec))
                )
            metrics = svc.http.get("/metrics").text
    finally:
        assert server.stop() == 0, server.text()[-3000:]  # SIGTERM: the log is flushed
    yield Served(repo, spec, rows, answers, tmp / "predictions.sqlite", metrics)


def test_answers_are_the_champions_labels_and_probabilities(served: Served) -> None:
    answers = served.answers
    assert len(answers) == len(served.rows) == 31 * 24
    assert {a["model_name"] for a in answers} == {MODEL} and "prediction" not in answers[0]
    served_proba = np.array([[a["probabilities"]["0"], a["probabilities"]["1"]] for a in answers])
    assert ((served_proba >= 0) & (served_proba <= 1)).all()
    np.testing.assert_allclose(served_proba.sum(axis=1), 1.0, rtol=1e-12)
    champion = clone_champion_proba(served.repo, MODEL, served.rows, served.spec)
    np.testing.assert_allclose(served_proba[:, 1], champion, rtol=1e-12)
    labels = np.array([a["label"] for a in answers])
    np.testing.assert_array_equal(labels, served_proba.argmax(axis=1))
    assert 0 < labels.sum() < len(labels), "the champion predicts one class only"
    count = f'lifecycle_predicted_probability_count{{model_name="{MODEL}",model_version="1"}}'
    assert f"{count} {float(len(answers))}" in served.metrics


def test_the_log_holds_exactly_the_served_rows(served: Served) -> None:
    log = read_predictions(served.log)
    key = ["request_id", "row"]
    sent = pd.DataFrame(served.answers)
    merged = log.merge(sent, on=key, how="outer", validate="one_to_one", indicator=True)
    assert (merged["_merge"] == "both").all() and len(merged) == len(sent)
    np.testing.assert_array_equal(merged["prediction"], merged["probabilities"].str["1"])
    np.testing.assert_array_equal(merged["predicted_label"].astype(int), merged["label"])


def test_feedback_then_monitoring_judges_classification_quality(served: Served) -> None:
    start, end = SERVED
    delivered = sh(served.repo, "python", "monitoring/feedback.py", "--start", start, "--end", end)
    assert f"delivered {len(served.rows)} labels" in delivered.stdout
    args = ["--start", start, "--end", end, "--log", str(served.log), "--json"]
    done = sh(served.repo, "python", "monitoring/monitor.py", *args, ok=False)
    assert done.returncode in (0, 10), done.stderr[-3000:]
    summary = json.loads(done.stdout)
    assert summary["decision"] in ("ok", "retrain") and summary["rows"]["labelled"] == 744
    quality, truth = summary["performance"]["window"], served.rows[served.spec.target]
    proba = np.array([a["probabilities"]["1"] for a in served.answers])
    assert quality["log_loss"] == pytest.approx(log_loss(truth, proba), rel=1e-9)
    assert quality["roc_auc"] == pytest.approx(roc_auc_score(truth, proba), rel=1e-9)
    assert 0.5 < quality["roc_auc"] <= 1 and 0 <= quality["accuracy"] <= 1
    assert any(reason.startswith("LOG_LOSS") for reason in summary["reasons"])
    artifacts = {name: served.repo / path for name, path in summary["artifacts"].items()}
    assert artifacts["html"].stat().st_size > 100_000  # Evidently's report, for people
    assert "LogLoss" in artifacts["snapshot"].read_text()  # its JSON, for machines


def test_regression_gate_metric_stops_the_run_and_keeps_the_champion(served: Served) -> None:
    # Runs last: it edits the clone's params. The task check fails before any stage does work.
    set_params(served.repo, gate={"metric": "mae"})
    bad = sh(served.repo, "dvc", "repro", ok=False)
    assert bad.returncode != 0
    assert "gate.metric: 'mae' does not fit; use roc_auc" in bad.stderr
    assert "classification task" in bad.stderr
    assert registered_champion(served.repo, MODEL)["version"] == "1"
