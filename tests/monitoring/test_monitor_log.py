"""Reading a window of the prediction log, sampling it, and joining late labels to it."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lifecycle.dataset import EVENT_TIME, DatasetSpec
from lifecycle.monitoring.feedback import attach_labels, deliver_from_source, read_labels
from lifecycle.monitoring.frames import HOUR, monitor_frame, monitored_columns, schema_problems
from lifecycle.monitoring.window import (
    LogError,
    Window,
    default_window,
    make_window,
    read_window,
    resolve_window,
)
from lifecycle.prediction_log import LoggedPrediction, connect, write_rows


def log_rows(times: list[str], inputs: dict[str, float] | str, version: str = "1") -> list:
    text = inputs if isinstance(inputs, str) else json.dumps(inputs)
    return [
        LoggedPrediction(
            f"r{i}", 0, "2026-01-01T00:00:00+00:00", t, text, float(i), "bike-demand", version, 1.0
        )
        for i, t in enumerate(times)
    ]


def write_log(folder: Path, times: list[str], inputs: dict[str, float] | str | None = None) -> Path:
    """A prediction log `folder/p.sqlite` with one row at each of `times`, all with `inputs`
    (default: a temperature of 0.5)."""
    path = folder / "p.sqlite"
    conn = connect(path)
    write_rows(conn, log_rows(times, {"temp": 0.5} if inputs is None else inputs))
    conn.close()
    return path


def test_window_bounds_are_half_open_whatever_the_time_format(tmp_path: Path) -> None:
    times = [
        "2011-06-30T23:00:00",
        "2011-07-01 00:00:00",
        "2011-07-01T00:00:00+00:00",
        "2011-07-31T23:00:00",
        "2011-08-01T00:00:00",
    ]
    log = write_log(tmp_path, times)
    got = read_window(log, make_window("2011-07-01", "2011-08-01"))
    assert got.logged == 3 and not got.sampled
    assert list(got.frame["request_id"]) == ["r1", "r2", "r3"]
    assert got.frame["temp"].tolist() == [0.5] * 3  # inputs expanded into columns


def test_windows_that_do_not_start_at_midnight_are_cut_exactly(tmp_path: Path) -> None:
    times = [
        "2011-07-01 05:00:00",
        "2011-07-01T06:00:00",
        "2011-07-02T12:00:00",
        "2011-07-03 06:59:59",
        "2011-07-03T07:00:00+02:00",
        "2011-07-03T08:00:00",
    ]
    log = write_log(tmp_path, times)
    got = read_window(log, make_window("2011-07-01T05:30", "2011-07-03T07:00"))
    assert list(got.frame["request_id"]) == ["r1", "r2", "r3"]


def test_large_windows_are_sampled_uniformly_and_reproducibly(tmp_path: Path) -> None:
    times = [f"{t:%Y-%m-%dT%H:%M:%S}" for t in pd.date_range("2011-07-01", periods=2000, freq="h")]
    log = write_log(tmp_path, times)
    window = make_window("2011-07-01", "2011-10-01")
    first, again = read_window(log, window, 500, seed=7), read_window(log, window, 500, seed=7)
    assert first.logged == 2000 and len(first.frame) == 500 and first.sampled
    assert first.frame["request_id"].tolist() == again.frame["request_id"].tolist()
    other = read_window(log, window, 500, seed=8)
    assert set(first.frame["request_id"]) != set(other.frame["request_id"])
    # uniform: the sample's mean position is close to the window's (±3 standard errors)
    positions = first.frame["prediction"].to_numpy()
    assert abs(positions.mean() - 999.5) < 3 * 577 / np.sqrt(500)


def test_missing_log_is_an_empty_window_and_a_foreign_file_a_clear_error(tmp_path: Path) -> None:
    window = make_window("2011-07-01", "2011-08-01")
    assert read_window(tmp_path / "nothing.sqlite", window).frame.empty
    assert not (tmp_path / "nothing.sqlite").exists()  # reading never creates a log
    other = tmp_path / "other.sqlite"
    sqlite3.connect(other).execute("CREATE TABLE x (a)").connection.close()
    with pytest.raises(LogError, match="not a readable prediction log"):
        read_window(other, window)


def test_broken_inputs_json_becomes_missing_features(tmp_path: Path, spec: DatasetSpec) -> None:
    log = write_log(tmp_path, ["2011-07-01T01:00:00"], "{not json")
    got = read_window(log, make_window("2011-07-01", "2011-08-01"))
    frame = got.frame
    assert len(frame) == 1 and got.unreadable == 1  # nullable features must not take it for gaps
    (problem,) = schema_problems(frame, spec, "prediction log")
    assert "has no column" in problem and "temp" in problem


def test_default_window_is_the_newest_days_and_bounds_come_in_pairs(tmp_path: Path) -> None:
    log = write_log(tmp_path, ["2011-07-01T05:00:00", "2011-07-20T13:00:00"])
    assert default_window(log, 30) == Window(pd.Timestamp("2011-06-21"), pd.Timestamp("2011-07-21"))
    assert default_window(tmp_path / "none.sqlite", 30) is None
    with pytest.raises(ValueError, match="both --start and --end"):
        resolve_window("2011-07-01", None, log, 30)
    with pytest.raises(ValueError, match="must be before"):
        make_window("2011-08-01", "2011-07-01")


def test_labels_are_delivered_for_the_period_and_joined_on_event_time(
    tmp_path: Path, spec: DatasetSpec, source: pd.DataFrame
) -> None:
    store, window = tmp_path / "feedback.sqlite", make_window("2011-07-01", "2011-07-03")
    assert deliver_from_source(source, spec, window, store) == 48
    assert deliver_from_source(source, spec, window, store) == 48  # re-delivery replaces
    labels = read_labels(store, make_window("2011-07-02", "2011-08-01"))
    assert len(labels) == 24
    rows = source[source[EVENT_TIME].between("2011-07-01 22:00", "2011-07-02 01:00")]
    joined = attach_labels(rows[[EVENT_TIME]], labels, spec)
    expected = [np.nan, np.nan, *rows[spec.target].iloc[2:].astype(float)]
    np.testing.assert_array_equal(joined[spec.target].to_numpy(), expected)


@pytest.mark.ml_test_score("D6")
def test_monitored_columns_come_from_the_dataset_definition(
    spec: DatasetSpec, source: pd.DataFrame
) -> None:
    columns = monitored_columns(spec)
    assert columns.numerical == spec.features_of("numeric")
    assert set(columns.features) == {*spec.features, HOUR}
    frame = monitor_frame(source.head(30), spec)
    assert frame[HOUR].tolist() == source[EVENT_TIME].head(30).dt.hour.tolist()
    assert schema_problems(source.head(30), spec, "x") == []
    bad = source.head(30).assign(temp="warm")
    assert "non-numeric values" in schema_problems(bad, spec, "x")[0]
