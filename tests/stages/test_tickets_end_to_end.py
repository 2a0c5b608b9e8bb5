"""The event-level example end to end, on real components: a fork made of two files (the
tickets definition and tests/datasets/tickets.params.yaml), `dvc repro` in a temporary git
clone, the champion behind a real `bentoml serve` answering records with text, gaps and ticket
ids, the prediction log keyed by ticket, labels delivered by key, monitoring, and a short
classification replay."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import log_loss

from lifecycle.dataset import DatasetSpec, load_spec
from lifecycle.prediction_log import read_predictions
from lifecycle.serving.client import ServiceClient, records_from_frame
from lifecycle.source import read_source
from tests.helpers.clone import clone_with_params, registered_champion, set_params, sh
from tests.helpers.registry import clone_champion_proba
from tests.helpers.serving import serve_clone
from tests.helpers.tickets import MODEL, TICKETS_SHRUNKEN, deep_merge

pytestmark = pytest.mark.slow

SERVED = ("2024-06-01", "2024-06-15")  # after data.as_of: tickets the champion never saw
BATCH = 100  # records per request


def constant_log_loss(rate: float) -> float:
    """The log loss of always answering the window's own rate of class 1 (knowing no feature)."""
    return float(-(rate * np.log(rate) + (1 - rate) * np.log(1 - rate)))


@dataclass
class Served:
    """What one `bentoml serve` of the champion answered, refused and logged."""

    repo: Path
    spec: DatasetSpec
    rows: pd.DataFrame  # the source rows sent, in order
    answers: list[dict[str, Any]]
    refused: dict[str, httpx.Response]  # bad requests, by what was wrong
    log: Path


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A git clone of this working tree whose params.yaml has the tickets keys merged in."""
    return clone_with_params(tmp_path_factory.mktemp("clone"), "tickets", **TICKETS_SHRUNKEN)


@pytest.fixture(scope="module")
def reproduced(repo: Path) -> str:
    """`dvc repro` in the clone: the six stages on an event-level table."""
    return sh(repo, "dvc", "repro").stdout


def test_repro_registers_a_champion_for_tickets(repo: Path, reproduced: str) -> None:
    for stage in ("ingest", "validate", "split", "train", "evaluate", "promote"):
        assert f"Running stage '{stage}'" in reproduced
    assert "support_tickets: " in reproduced and "rows pass every rule" in reproduced
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


def bad_requests(good: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """One record per kind of bad input an event-level table adds, made from a good one."""
    return {
        "unknown category": {**good, "channel": "fax"},
        "null where never missing": {**good, "tier": None},
        "key of the wrong type": {**good, "ticket_id": 123},
        "bool for an int": {**good, "queue_length": True},
        "time without offset": {**good, "created_at": good["created_at"][:19]},
    }


def send(
    url: str, records: list[dict[str, Any]], bad: dict[str, dict[str, Any]]
) -> tuple[list[dict[str, Any]], dict[str, httpx.Response]]:
    """The good records in requests of BATCH, a bad one-record request before each of the first
    few: the answers, and the refusals by what was wrong."""
    answers: list[dict[str, Any]] = []
    refused: dict[str, httpx.Response] = {}
    with ServiceClient(url, timeout=60) as svc:  # the typed client users call
        for i, lo in enumerate(range(0, len(records), BATCH)):
            if i < len(bad):
                name, record = list(bad.items())[i]
                refused[name] = svc.http.post("/predict", json={"records": [record]})
            answers += map(dict, svc.predict(records[lo : lo + BATCH]))
    return answers, refused


@pytest.fixture(scope="module")
def served(
    repo: Path, reproduced: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Served]:
    """Serve the champion from the clone, send two weeks of June plus bad records, stop it."""
    tmp = tmp_path_factory.mktemp("serve")
    spec = load_spec(repo / TICKETS_SHRUNKEN["data"]["dataset"])
    source = read_source(spec, repo)
    when = source["event_time"]
    rows = source[(when >= SERVED[0]) & (when < SERVED[1])].reset_index(drop=True)
    records = records_from_frame(rows, spec)
    server = serve_clone(repo, tmp)
    try:
        answers, refused = send(server.url, records, bad_requests(records[0]))
    finally:
        assert server.stop() == 0, server.text()[-3000:]  # SIGTERM: the log is flushed
    yield Served(repo, spec, rows, answers, refused, tmp / "predictions.sqlite")


def test_answers_are_the_champions_on_text_gaps_and_unseen_teams(served: Served) -> None:
    rows, answers = served.rows, served.answers
    assert len(answers) == len(rows) > 1000 and {a["model_name"] for a in answers} == {MODEL}
    assert rows["product"].isna().any() and rows["customer_tenure_days"].isna().any()
    assert "payments" in set(rows["team"])  # never seen in training: its "other" column
    proba = np.array([a["probabilities"]["1"] for a in answers])
    champion = clone_champion_proba(served.repo, MODEL, rows, served.spec)
    np.testing.assert_allclose(proba, champion, rtol=1e-12)


def test_bad_records_are_refused_naming_the_field(served: Served) -> None:
    expected = {
        "unknown category": ("channel", "email"),  # the allowed values are listed
        "null where never missing": ("tier", "null"),
        "key of the wrong type": ("ticket_id", "string"),
        "bool for an int": ("queue_length", "integer"),
        "time without offset": ("created_at", "offset"),
    }
    for name, response in served.refused.items():
        field, hint = expected[name]
        assert 400 <= response.status_code < 500, (name, response.status_code)
        message = response.json()["error"]
        assert field in message and hint in message.lower(), (name, message)


def test_the_log_holds_the_served_rows_keyed_by_ticket(served: Served) -> None:
    log = read_predictions(served.log)
    assert len(log) == len(served.rows)  # nothing of the refused requests was logged
    assert list(log.sort_values("row_key")["row_key"]) == sorted(served.rows["ticket_id"])
    # The inputs as logged: gaps as null (valid JSON), text as text.
    assert log["product"].isna().sum() == served.rows["product"].isna().sum() > 0
    assert set(log["team"]) == set(served.rows["team"])


def test_labels_by_key_then_monitoring(served: Served) -> None:
    start, end = SERVED
    delivered = sh(served.repo, "python", "monitoring/feedback.py", "--start", start, "--end", end)
    assert f"delivered {len(served.rows)} labels" in delivered.stdout
    args = ["--start", start, "--end", end, "--log", str(served.log), "--json"]
    done = sh(served.repo, "python", "monitoring/monitor.py", *args, ok=False)
    assert done.returncode in (0, 10), done.stderr[-3000:]
    summary = json.loads(done.stdout)
    assert summary["rows"]["labelled"] == len(served.rows)
    truth = served.rows.set_index("ticket_id")[served.spec.target]
    proba = np.array([a["probabilities"]["1"] for a in served.answers])
    expected = log_loss(truth.loc[served.rows["ticket_id"]], proba)
    assert summary["performance"]["window"]["log_loss"] == pytest.approx(expected, rel=1e-9)
    assert summary["decision"] in ("ok", "retrain")


# May and June only, one scheduled retrain after May: the loop closes once, in about 2 min.
REPLAY = {"replay": {"start": "2024-05-01", "policy": "scheduled", "every_months": 1, "clients": 8}}


@pytest.fixture(scope="module")
def replayed(served: Served) -> tuple[Path, dict[str, Any], str]:
    """A short classification replay (May and June) in the same clone, one scheduled retrain."""
    set_params(served.repo, **deep_merge(TICKETS_SHRUNKEN, REPLAY))
    done = sh(served.repo, sys.executable, "pipelines/replay.py", ok=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    timeline = json.loads((served.repo / "reports/replay/timeline.json").read_text())
    return served.repo, timeline, done.stdout


def test_the_replay_scores_months_by_roc_auc_and_redeploys(
    replayed: tuple[Path, dict[str, Any], str],
) -> None:
    _, timeline, stdout = replayed
    assert timeline["meta"]["task"] == "classification"
    assert timeline["meta"]["metrics"] == ["roc_auc", "log_loss"]
    may, june = timeline["months"]
    assert (may["month"], june["month"]) == ("2024-05", "2024-06")
    for m in (may, june):
        assert m["requests"] == m["rows"] > 2000 and m["failed_requests"] == 0
        assert 0.6 < m["served_roc_auc"] <= 1 and 0 < m["served_log_loss"] < 1
    assert may["served_roc_auc"] == pytest.approx(may["counterfactual_roc_auc"], abs=1e-9)
    retrain = may["retrain"]
    assert retrain["as_of"] == "2024-06-01" and retrain["outcome"] in ("promote", "refuse")
    if retrain["outcome"] == "promote":
        assert may["switched_to"] == june["served_version"] == retrain["version"]
    head = timeline["headline"]
    assert head["metric"] == "roc_auc" and "error_saved" not in head
    assert "served ROC AUC" in stdout and "error saved" not in stdout


def test_the_replay_pages_speak_roc_auc_and_never_of_error_saved(
    replayed: tuple[Path, dict[str, Any], str],
) -> None:
    repo, timeline, _ = replayed
    assert {"served_roc_auc", "counterfactual_roc_auc", "roc_auc_gain"} <= set(timeline["headline"])
    page = (repo / "reports/replay/timeline.md").read_text()
    assert "| ROC AUC served | ROC AUC never retrained | log loss served |" in page
    assert "MAE" not in page and "error saved" not in page
    assert (repo / "reports/replay/timeline.png").stat().st_size > 5000
