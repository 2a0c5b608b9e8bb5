"""The Evidently adapter on real Evidently runs: drift where there is drift, none where there is
none, and regression numbers that match our own metrics on a known labelled window."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest

from lifecycle.dataset import EVENT_TIME, DatasetSpec, model_frame
from lifecycle.metrics import score
from lifecycle.monitoring.drift import ReportSummary, run_report, summarize
from lifecycle.monitoring.frames import PREDICTION, monitor_frame, monitored_columns
from lifecycle.params import Params
from lifecycle.tracking import configure, load_model
from tests.helpers.registry import Registry


@pytest.fixture(scope="module")
def predicted(registry: Registry, source: pd.DataFrame) -> pd.DataFrame:
    """The source table with the champion's predictions (a few thousand rows are used)."""
    configure(registry.settings)
    model = load_model(f"models:/{registry.model_name}/{registry.champion_version}")
    rows = source[source[EVENT_TIME].between("2011-01-01", "2011-08-01", inclusive="left")]
    return rows.assign(**{PREDICTION: model.predict(model_frame(rows, registry.spec))})


def period(frame: pd.DataFrame, start: str, end: str) -> pd.DataFrame:
    return frame[frame[EVENT_TIME].between(start, end, inclusive="left")]


def winter(frame: pd.DataFrame) -> pd.DataFrame:
    """January and February 2011: the reference every seasonal comparison below starts from."""
    return period(frame, "2011-01-01", "2011-03-01")


def compare(
    current: pd.DataFrame,
    reference: pd.DataFrame,
    spec: DatasetSpec,
    params: Params,
    labelled: bool = False,
) -> tuple[ReportSummary, dict]:
    snapshot = run_report(
        monitor_frame(current, spec),
        monitor_frame(reference, spec),
        monitored_columns(spec),
        params.monitor,
        spec.target if labelled else None,
        dt.datetime(2011, 7, 1),
        {},
    )
    output = snapshot.dict()
    return summarize(output), output


def test_summer_drifts_away_from_winter(
    predicted: pd.DataFrame, spec: DatasetSpec, params: Params
) -> None:
    summer = period(predicted, "2011-07-01", "2011-08-01")
    summary, _ = compare(summer, winter(predicted), spec, params)
    assert summary.drift.share >= params.monitor.max_drift_share
    assert {"temp", "atemp"} <= set(summary.drift.drifted)
    assert summary.drift.prediction is not None and summary.drift.prediction.drifted
    assert summary.quality is None  # unlabelled: no regression section


def test_two_samples_of_one_window_do_not_drift(
    predicted: pd.DataFrame, spec: DatasetSpec, params: Params
) -> None:
    july = period(predicted, "2011-07-01", "2011-08-01")
    half = july.sample(frac=0.5, random_state=params.seed)
    summary, _ = compare(half, july.drop(half.index), spec, params)
    assert summary.drift.share == 0 and summary.drift.drifted == []
    assert summary.drift.prediction is not None and not summary.drift.prediction.drifted


def test_adapter_reads_evidently_output_and_its_saved_json(
    predicted: pd.DataFrame, spec: DatasetSpec, params: Params
) -> None:
    march = period(predicted, "2011-03-01", "2011-04-01")
    summary, output = compare(march, winter(predicted), spec, params, labelled=True)
    columns = monitored_columns(spec).features
    assert [c.column for c in summary.drift.columns] == columns  # each feature once, in order
    assert summary.drift.count == len(summary.drift.drifted)
    assert summary.drift.share == pytest.approx(summary.drift.count / len(columns))
    methods = {c.column: c.method for c in summary.drift.columns}
    assert methods["temp"] == params.monitor.drift.num_method
    assert methods["weathersit"] == params.monitor.drift.cat_method
    # what snapshot.json holds reads back to the very same summary
    assert summarize(json.loads(json.dumps(output, default=float))) == summary


def test_regression_numbers_match_our_metrics_on_a_labelled_window(
    predicted: pd.DataFrame, spec: DatasetSpec, params: Params
) -> None:
    july = period(predicted, "2011-07-01", "2011-08-01").copy()
    july.loc[july.index[::3], spec.target] = float("nan")  # labels for two thirds of the rows
    summary, _ = compare(july, winter(predicted), spec, params, labelled=True)
    known = july.dropna(subset=[spec.target])
    expected = score(known[spec.target], known[PREDICTION])
    assert summary.quality is not None
    assert summary.quality.mae == pytest.approx(expected.mae, rel=1e-9)
    assert summary.quality.rmse == pytest.approx(expected.rmse, rel=1e-9)
    assert summary.quality.r2 == pytest.approx(expected.r2, rel=1e-9)
