"""Monitored columns of a table with text, bool and gaps: text stays categorical strings, gaps
are allowed where declared, and every drift method of params works on them (real Evidently)."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest

from lifecycle.dataset import DatasetSpec, model_frame
from lifecycle.monitoring.drift import run_report, summarize
from lifecycle.monitoring.frames import (
    HOUR,
    PREDICTION,
    empty_columns,
    monitor_frame,
    monitored_columns,
    schema_problems,
)
from lifecycle.params import Params
from lifecycle.source import read_source
from tests.helpers.drifting_orders import orders, orders_spec, write_orders


@pytest.fixture(scope="module")
def table(tmp_path_factory: pytest.TempPathFactory) -> tuple[DatasetSpec, pd.DataFrame]:
    """Two days as trained on, then two shifted days (ids apart), read as the source."""
    path = tmp_path_factory.mktemp("orders") / "orders.csv"
    spec = orders_spec(
        write_orders(
            path, orders("2024-03-01", 2, 1), orders("2024-03-03", 2, 2, 10**5, shift=True)
        )
    )
    frame = read_source(spec)
    return spec, frame.assign(**{PREDICTION: np.linspace(0, 1, len(frame))})


def halves(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(reference, shifted current) rows of the table."""
    shifted = frame["order_id"] >= "o100000"
    return frame[~shifted], frame[shifted]


def test_text_is_categorical_bool_binary_and_declared_gaps_are_no_problem(
    table: tuple[DatasetSpec, pd.DataFrame],
) -> None:
    spec, frame = table
    columns = monitored_columns(spec)
    assert columns.numerical == ["distance"]
    assert columns.categorical == ["express", "channel", "city", HOUR]
    assert frame["channel"].isna().any() and frame["distance"].isna().any()
    assert schema_problems(frame, spec, "log") == []  # gaps in nullable features are fine
    seen = monitor_frame(frame, spec)
    assert seen["distance"].dtype == "float64" and set(seen["express"]) == {0.0, 1.0}
    text = seen["channel"].dropna()
    assert set(text) == {"web", "app", "phone"} and all(isinstance(v, str) for v in text)
    gaps = seen["channel"][seen["channel"].isna()]
    assert len(gaps) == frame["channel"].isna().sum() and all(v is None for v in gaps)


@pytest.mark.parametrize(
    ("column", "value", "rows"),
    [
        ("distance", "far", 1),  # no number, in a numeric feature (nullable or not)
        ("city", None, 2),  # a gap in a feature that declares none (max_missing 0)
        ("express", None, 2),
    ],
)
def test_what_breaks_the_definition_is_still_a_schema_problem(
    table: tuple[DatasetSpec, pd.DataFrame], column: str, value: object, rows: int
) -> None:
    spec, frame = table
    broken = frame.head(20).astype({column: object})
    broken.loc[broken.index[:rows], column] = value
    (problem,) = schema_problems(broken, spec, "log")
    assert f"'{column}': {rows}" in problem and "non-numeric" in problem


@pytest.mark.parametrize(
    ("num_method", "cat_method"),
    [
        ("wasserstein", "jensenshannon"),
        ("psi", "psi"),
        ("jensenshannon", "hellinger"),
        ("hellinger", "kl_div"),
        ("kl_div", "jensenshannon"),
    ],
)
def test_every_drift_method_of_params_works_on_text_and_gaps(
    table: tuple[DatasetSpec, pd.DataFrame], params: Params, num_method: str, cat_method: str
) -> None:
    spec, frame = table
    drift = params.monitor.drift.model_copy(
        update={"num_method": num_method, "cat_method": cat_method}
    )
    limits = params.monitor.model_copy(update={"drift": drift})
    reference, current = (monitor_frame(f, spec) for f in halves(frame))
    snapshot = run_report(
        current, reference, monitored_columns(spec), limits, None, dt.datetime(2024, 3, 3), {}
    )
    summary = summarize(snapshot.dict())
    found = {c.column: c for c in summary.drift.columns}
    assert {found[c].method for c in ("channel", "city", "express")} == {cat_method}
    assert found["distance"].method == num_method
    assert all(math.isfinite(c.score) for c in found.values())
    assert {"channel", "city", "distance"} <= set(summary.drift.drifted)
    assert not found["express"].drifted and not found[HOUR].drifted


def test_a_feature_empty_in_the_window_is_left_out_of_the_drift_report(
    table: tuple[DatasetSpec, pd.DataFrame], params: Params
) -> None:
    spec, frame = table
    reference, current = (monitor_frame(f, spec) for f in halves(frame))
    current["distance"] = np.nan  # Evidently refuses an empty column
    columns = monitored_columns(spec)
    empty = empty_columns(columns, current, reference)
    assert empty == ["distance"]
    snapshot = run_report(
        current,
        reference,
        columns.without(empty),
        params.monitor,
        None,
        dt.datetime(2024, 3, 3),
        {},
    )
    assert "distance" not in {c.column for c in summarize(snapshot.dict()).drift.columns}


def test_monitor_frame_of_the_log_matches_that_of_the_source(
    table: tuple[DatasetSpec, pd.DataFrame],
) -> None:
    """The log holds what the model read (bools as 1.0/0.0, gaps null): the same frame."""
    spec, frame = table
    as_logged = model_frame(frame, spec).assign(**{PREDICTION: frame[PREDICTION].to_numpy()})
    source = frame.drop(columns=spec.target)
    pd.testing.assert_frame_equal(monitor_frame(as_logged, spec), monitor_frame(source, spec))
