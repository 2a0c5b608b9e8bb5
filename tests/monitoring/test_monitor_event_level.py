"""monitor_window on an event-level table (tests/helpers/drifting_orders.py): many orders per
timestamp, text categories (one open), gaps, a text row key. Simulated traffic is logged with
row keys, labels are delivered by key, a real Evidently run compares text columns with nulls,
and the decision follows. The registry is the one part stood in for: the model is fitted here."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import log_loss
from sklearn.pipeline import Pipeline

from lifecycle.dataset import DatasetSpec, model_frame
from lifecycle.features import build_features
from lifecycle.monitoring import observe as observe_module
from lifecycle.monitoring.feedback import deliver_from_source
from lifecycle.monitoring.frames import LABEL, PREDICTION
from lifecycle.monitoring.monitor import monitor_window
from lifecycle.monitoring.paths import MonitorPaths
from lifecycle.monitoring.reference import MonitoredModel
from lifecycle.monitoring.simulate import period_rows, replay
from lifecycle.monitoring.summary import MonitorSummary
from lifecycle.monitoring.window import Window, make_window
from lifecycle.prediction_log import read_predictions
from lifecycle.predictions import model_classes, predict_outputs
from lifecycle.settings import Settings
from lifecycle.source import read_source
from tests.helpers.drifting_orders import orders, orders_spec, write_orders
from tests.helpers.params import make_params

TRAIN, VAL = make_window("2024-03-01", "2024-03-09"), make_window("2024-03-09", "2024-03-11")
QUIET = make_window("2024-03-11", "2024-03-14")  # the training period's distribution
SHIFTED = make_window("2024-03-14", "2024-03-17")  # drifted inputs, and the model is wrong
PARAMS = make_params(monitor={"metric": "log_loss", "min_rows": 100})
SERVED_AS = ("orders-late", "1")
Monitor = Callable[..., MonitorSummary]  # monitor(window, reports=None) -> its summary


@dataclass
class World:
    """The table, the served model, its reference, and a log with labels delivered by key."""

    spec: DatasetSpec
    source: pd.DataFrame
    model: MonitoredModel
    reference: pd.DataFrame
    paths: MonitorPaths


def fitted(spec: DatasetSpec, source: pd.DataFrame) -> tuple[Pipeline, float]:
    """A small classifier on the training period, and its validation log loss."""
    train, val = period_rows(source, TRAIN), period_rows(source, VAL)
    learner = HistGradientBoostingClassifier(max_iter=40, random_state=0)
    model = Pipeline([("features", build_features(spec)), ("model", learner)])
    model.fit(model_frame(train, spec), train[spec.target])
    proba = model.predict_proba(model_frame(val, spec))[:, 1]
    return model, float(log_loss(val[spec.target], proba))


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    tmp = tmp_path_factory.mktemp("orders")
    parts = [
        orders("2024-03-01", 10, seed=1),
        orders("2024-03-11", 3, seed=2, first_id=100_000),
        orders("2024-03-14", 3, seed=3, first_id=200_000, shift=True),
    ]
    spec = orders_spec(write_orders(tmp / "orders.csv", *parts))
    source = read_source(spec)
    model, val_loss = fitted(spec, source)
    train = period_rows(source, TRAIN)
    out = predict_outputs(model, model_frame(train, spec), model_classes(model))
    reference = train.assign(**{PREDICTION: out.prediction, LABEL: out.labels})
    paths = MonitorPaths(tmp / "predictions.sqlite", tmp / "feedback.sqlite", tmp / "state")
    for window in (QUIET, SHIFTED):
        replay(period_rows(source, window), spec, model, SERVED_AS, paths.log)
        deliver_from_source(source, spec, window, paths.feedback)
    with sqlite3.connect(paths.log) as conn:  # clients that sent no key: a tenth of QUIET
        conn.execute(
            "UPDATE predictions SET row_key = NULL WHERE rowid % 10 = 0 AND event_time < ?",
            (f"{SHIFTED.start:%Y-%m-%d}",),
        )
    served = MonitoredModel(*SERVED_AS, run_id="run-1", validation={"log_loss": val_loss})
    return World(spec, source, served, reference, paths)


@pytest.fixture
def monitor(world: World, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Monitor:
    """monitor_window with the registry look-ups answered by the world's model."""
    monkeypatch.setattr("lifecycle.tracking.configure", lambda settings: None)
    monkeypatch.setattr(observe_module, "lookup_model", lambda client, name, version: world.model)
    monkeypatch.setattr(observe_module, "reference_frame", lambda *args: world.reference)

    def run(window: Window, reports: Path | None = None) -> MonitorSummary:
        paths = MonitorPaths(world.paths.log, world.paths.feedback, tmp_path, reports)
        return monitor_window(window, world.spec, PARAMS, Settings(), paths).summary

    return run


def test_replay_logs_row_keys_and_text_and_gaps_as_the_service_does(world: World) -> None:
    logged = read_predictions(world.paths.log, "2024-03-14", "2024-03-17")
    rows = world.source.set_index("order_id").loc[logged["row_key"]]
    assert len(logged) == 720 and logged["row_key"].is_unique
    assert logged["channel"].isna().tolist() == rows["channel"].isna().tolist()
    assert logged["channel"].dropna().tolist() == rows["channel"].dropna().tolist()
    assert logged["distance"].isna().tolist() == rows["distance"].isna().tolist()
    with sqlite3.connect(world.paths.log) as conn:
        texts = [t for (t,) in conn.execute("SELECT inputs FROM predictions")]
    record = json.loads(next(t for t in texts if '"channel":null' in t))
    assert record["channel"] is None and isinstance(record["city"], str)
    assert record["express"] in (0.0, 1.0)  # a bool as the model reads it


def test_quiet_window_is_ok_and_rows_without_a_key_stay_unlabelled(
    world: World, monitor: Monitor, tmp_path: Path
) -> None:
    summary = monitor(QUIET, reports=tmp_path / "reports")
    assert summary.decision == "ok", summary.reasons
    assert summary.rows.logged == summary.rows.monitored == 720
    assert summary.rows.labelled == 720 - 72  # every tenth was logged without a row key
    assert any("72 of 720 predictions were logged without a row key" in n for n in summary.notes)
    assert summary.drift is not None and summary.drift.drifted == []
    methods = {c.column: c.method for c in summary.drift.columns}
    assert methods["city"] == methods["channel"] == PARAMS.monitor.drift.cat_method
    assert methods["distance"] == PARAMS.monitor.drift.num_method
    assert Path(summary.artifacts["html"]).stat().st_size > 0


def test_labels_join_by_key_where_many_orders_share_a_timestamp(
    world: World, monitor: Monitor
) -> None:
    summary = monitor(QUIET)
    assert summary.performance is not None
    # the log loss of the keyed predictions against their own order's label: a join on event
    # time would hand each order the label of one of the ten placed at the same time
    logged = read_predictions(world.paths.log, "2024-03-11", "2024-03-14").dropna(
        subset=["row_key"]
    )
    truth = world.source.set_index("order_id").loc[logged["row_key"], "late"]
    expected = log_loss(truth.to_numpy(), logged[PREDICTION].to_numpy())
    assert summary.performance.window.log_loss == pytest.approx(expected, rel=1e-9)


def test_shifted_window_drifts_in_text_and_gaps_and_retrains_on_its_error(
    monitor: Monitor,
) -> None:
    summary = monitor(SHIFTED)
    assert summary.decision == "retrain" and summary.exit_code == 10
    assert summary.rows.labelled == 720 and summary.performance_delta is not None
    assert summary.performance_delta > PARAMS.monitor.max_error_increase
    assert {"channel", "city", "distance"} <= set(summary.drifted_features)
