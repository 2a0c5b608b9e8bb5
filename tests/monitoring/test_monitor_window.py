"""monitor_window end to end on real components: a real registry champion, a prediction log
written by the traffic replay, late labels, real Evidently runs, files and a workspace."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from lifecycle.monitoring.feedback import deliver_from_source
from lifecycle.monitoring.monitor import MonitorResult, monitor_window
from lifecycle.monitoring.paths import MonitorPaths
from lifecycle.monitoring.simulate import period_rows, replay, resample
from lifecycle.monitoring.window import Window, make_window
from lifecycle.monitoring.workspace import list_runs
from lifecycle.params import Params
from lifecycle.prediction_log import LoggedPrediction, PredictionLog
from lifecycle.tracking import configure, load_model
from tests.helpers.params import ROOT, make_params
from tests.helpers.registry import Registry

JULY = make_window("2011-07-01", "2011-08-01")  # summer: far from the winter training data
FEBRUARY = make_window("2011-02-01", "2011-03-01")  # inside the champion's training period


@pytest.fixture(scope="module")
def traffic(
    registry: Registry, source: pd.DataFrame, tmp_path_factory: pytest.TempPathFactory
) -> MonitorPaths:
    """A log with the champion's predictions for February and July 2011 (no labels yet)."""
    tmp = tmp_path_factory.mktemp("monitor")
    paths = MonitorPaths(
        log=tmp / "predictions.sqlite",
        feedback=tmp / "feedback.sqlite",
        state=tmp / "state",
        reports=tmp / "reports",
        workspace=tmp / "evidently",
    )
    configure(registry.settings)
    model = load_model(f"models:/{registry.model_name}/{registry.champion_version}")
    served_as = (registry.model_name, registry.champion_version)
    for window in (FEBRUARY, JULY):
        replay(period_rows(source, window), registry.spec, model, served_as, paths.log)
    return paths


def monitor(
    registry: Registry,
    paths: MonitorPaths,
    window: Window = JULY,
    params: Params | None = None,
    **kw: bool,
) -> MonitorResult:
    return monitor_window(
        window, registry.spec, params or registry.params, registry.settings, paths, **kw
    )


@pytest.mark.ml_test_score("Mo7")
@pytest.mark.ml_test_score("Mo4")
def test_summer_window_with_labels_says_retrain_and_writes_every_output(
    registry: Registry, traffic: MonitorPaths, source: pd.DataFrame
) -> None:
    deliver_from_source(source, registry.spec, JULY, traffic.feedback)
    summary = monitor(registry, traffic).summary
    assert summary.decision == "retrain" and summary.exit_code == 10
    assert summary.rows.logged == summary.rows.labelled == 744 and not summary.sampled
    assert "temp" in summary.drifted_features and summary.performance_delta is not None
    assert summary.performance is not None and summary.performance.slices["hour_band"]
    assert len(summary.reasons) == 2 and all(
        "allowed" in r or "drifted" in r for r in summary.reasons
    )
    files = {k: Path(v) for k, v in summary.artifacts.items()}
    assert set(files) == {"html", "snapshot", "summary", "png"}
    assert all(f.stat().st_size > 0 for f in files.values())
    assert files["png"].read_bytes()[:4] == b"\x89PNG"
    assert traffic.reports is not None and traffic.workspace is not None
    latest = json.loads((traffic.reports / "latest.json").read_text())
    assert latest == json.loads(files["summary"].read_text())
    assert latest["decision"] == "retrain" and latest["workspace_run"] is not None
    assert list_runs(traffic.workspace, registry.model_name) == [latest["workspace_run"]]


def test_replay_logs_the_event_time_as_row_key_of_a_time_keyed_table(
    traffic: MonitorPaths,
) -> None:
    with sqlite3.connect(traffic.log) as conn:
        rows = conn.execute("SELECT COUNT(*), SUM(row_key = event_time) FROM predictions")
        (count, same) = rows.fetchone()
    assert count == same > 1300  # February and July 2011: every logged hour keyed by its time


def test_training_period_is_insufficient_without_labels_then_ok_with_them(
    registry: Registry, traffic: MonitorPaths, source: pd.DataFrame
) -> None:
    quiet = replace(traffic, reports=None, workspace=None)
    before = monitor(registry, quiet, FEBRUARY).summary
    assert before.decision == "insufficient_data" and before.drift_share is not None
    assert before.drift_share < registry.params.monitor.max_drift_share  # no false alarm
    assert "0 labelled predictions" in before.reasons[1]
    deliver_from_source(source, registry.spec, FEBRUARY, traffic.feedback)
    after = monitor(registry, quiet, FEBRUARY).summary
    assert after.decision == "ok" and after.exit_code == 0


@pytest.mark.parametrize(
    ("window", "message"),
    [
        (make_window("2011-05-01", "2011-06-01"), "no predictions logged"),
        (make_window("2011-07-01", "2011-07-04"), "only 72 predictions"),
    ],
)
def test_empty_and_small_windows_are_insufficient(
    registry: Registry, traffic: MonitorPaths, window: Window, message: str
) -> None:
    summary = monitor(registry, replace(traffic, reports=None), window).summary
    assert summary.decision == "insufficient_data" and summary.exit_code == 20
    assert message in summary.reasons[0] and summary.drift is None


def write_odd_log(path: Path, inputs: dict[str, float], version: str) -> None:
    when = pd.date_range("2011-07-01", periods=300, freq="h")
    log = PredictionLog(path)
    log.append(
        LoggedPrediction(
            f"r{i}",
            0,
            "2026-01-01T00:00:00",
            f"{t:%Y-%m-%dT%H:%M:%S}",
            json.dumps(inputs),
            100.0,
            "bike-demand",
            version,
            1.0,
        )
        for i, t in enumerate(when)
    )
    log.close()


def test_log_that_does_not_match_the_reference_is_insufficient(
    registry: Registry, traffic: MonitorPaths, tmp_path: Path
) -> None:
    features = {name: 0.5 for name in registry.spec.features if name != "hum"}
    write_odd_log(tmp_path / "odd.sqlite", features, registry.champion_version)
    summary = monitor(registry, replace(traffic, log=tmp_path / "odd.sqlite", reports=None)).summary
    assert summary.decision == "insufficient_data"
    assert "no column ['hum']" in summary.reasons[0]


def test_unknown_model_version_is_insufficient(
    registry: Registry, traffic: MonitorPaths, tmp_path: Path
) -> None:
    write_odd_log(tmp_path / "v99.sqlite", dict.fromkeys(registry.spec.features, 0.5), "99")
    summary = monitor(registry, replace(traffic, log=tmp_path / "v99.sqlite", reports=None)).summary
    assert summary.decision == "insufficient_data" and summary.model_version == "99"
    assert "not in the registry" in summary.reasons[0]


def test_sampled_decision_agrees_with_the_unsampled_one(
    registry: Registry, source: pd.DataFrame, traffic: MonitorPaths, tmp_path: Path
) -> None:
    configure(registry.settings)
    model = load_model(f"models:/{registry.model_name}/{registry.champion_version}")
    big = resample(period_rows(source, JULY), 12_000, seed=registry.params.seed)
    paths = replace(traffic, log=tmp_path / "big.sqlite", reports=None, workspace=None)
    replay(big, registry.spec, model, (registry.model_name, registry.champion_version), paths.log)
    params = make_params(monitor={"sample_rows": 3000})
    sampled = monitor(registry, paths, params=params).summary
    full = monitor(registry, paths, params=params, sample_large=False).summary
    assert sampled.sampled and sampled.rows.evaluated == 3000 and not full.sampled
    assert sampled.decision == full.decision == "retrain"
    assert sampled.drifted_features == full.drifted_features
    assert sampled.performance_delta == pytest.approx(full.performance_delta, rel=0.1)


@pytest.mark.slow
def test_cli_prints_json_and_exits_with_the_decision(
    registry: Registry, traffic: MonitorPaths, source: pd.DataFrame, tmp_path: Path
) -> None:
    deliver_from_source(source, registry.spec, JULY, traffic.feedback)
    args = [
        "--start",
        "2011-07-01",
        "--end",
        "2011-08-01",
        "--log",
        str(traffic.log),
        "--feedback",
        str(traffic.feedback),
        "--out",
        str(tmp_path / "out"),
        "--json",
    ]
    env = {**os.environ, "LIFECYCLE_STATE_DIR": str(registry.settings.state)}
    done = subprocess.run(
        [sys.executable, "monitoring/monitor.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 10, done.stderr
    assert json.loads(done.stdout)["decision"] == "retrain"
    bad = subprocess.run(
        [sys.executable, "monitoring/monitor.py", "--start", "2011-07-01"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert bad.returncode == 2 and "both --start and --end" in bad.stderr
