"""The feedback store: labels keyed by row key, joined to predictions by it, and a store of the
first release (keyed by event time) migrated on open without losing a label."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pandas as pd

from lifecycle.dataset import EVENT_TIME, DatasetSpec
from lifecycle.monitoring.feedback import (
    attach_labels,
    deliver_from_source,
    read_labels,
    store_labels,
    unkeyed,
)
from lifecycle.monitoring.window import make_window
from tests.helpers.drifting_orders import orders_spec

OLD_SCHEMA = """
CREATE TABLE labels (
    event_time TEXT PRIMARY KEY, label REAL NOT NULL, delivered_at TEXT NOT NULL
);
"""
JULY_1_2 = make_window("2011-07-01", "2011-07-03")


def old_store(path: Path, rows: pd.DataFrame, target: str) -> Path:
    """A feedback store as the first release wrote it: one label per event time."""
    with sqlite3.connect(path) as conn:
        conn.executescript(OLD_SCHEMA)
        conn.executemany(
            "INSERT INTO labels VALUES (?, ?, ?)",
            [
                (f"{when:%Y-%m-%dT%H:%M:%S}", float(label), "2026-01-01T00:00:00+00:00")
                for when, label in zip(rows[EVENT_TIME], rows[target], strict=True)
            ],
        )
    return path


def test_an_old_store_is_migrated_on_open_without_losing_a_label(
    tmp_path: Path, spec: DatasetSpec, source: pd.DataFrame
) -> None:
    rows = source[source[EVENT_TIME].between("2011-07-01", "2011-07-03", inclusive="left")]
    store = old_store(tmp_path / "feedback.sqlite", rows, spec.target)
    labels = read_labels(store, JULY_1_2)  # opening it migrates it
    assert len(labels) == len(rows) == 48
    joined = attach_labels(rows[[EVENT_TIME]], labels, spec)
    np.testing.assert_array_equal(joined[spec.target], rows[spec.target].astype(float))
    with sqlite3.connect(store) as conn:
        columns = [row[1] for row in conn.execute("PRAGMA table_info(labels)")]
        kept = {d for (d,) in conn.execute("SELECT delivered_at FROM labels")}
        keys = conn.execute("SELECT COUNT(*) FROM labels WHERE row_key = event_time").fetchone()
    assert columns[:2] == ["row_key", "event_time"] and keys == (48,)
    assert kept == {"2026-01-01T00:00:00+00:00"}  # the rows themselves, not re-deliveries
    # a re-delivery replaces the migrated labels (same keys), it does not add to them
    assert deliver_from_source(source, spec, JULY_1_2, store) == 48
    assert len(read_labels(store, make_window("2011-01-01", "2013-01-01"))) == 48


def orders_log(times: int, per_time: int) -> pd.DataFrame:
    """Predictions as read from the log: `per_time` orders at each of `times` hours."""
    when = pd.date_range("2024-03-01", periods=times, freq="h").repeat(per_time)
    keys = [f"o{i:03d}" for i in range(len(when))]
    return pd.DataFrame({EVENT_TIME: when, "row_key": pd.Series(keys, dtype=object)})


def test_labels_join_each_order_by_its_key_not_by_its_time(tmp_path: Path) -> None:
    spec = orders_spec(tmp_path / "orders.csv")
    logged = orders_log(times=3, per_time=4)
    truth = pd.Series(np.arange(len(logged)) % 2, dtype="float64")  # differs within each hour
    store = tmp_path / "feedback.sqlite"
    assert store_labels(store, logged["row_key"], logged[EVENT_TIME], truth) == 12
    labels = read_labels(store, make_window("2024-03-01", "2024-03-02"))
    assert labels.index.is_unique and len(labels) == 12
    logged.loc[[1, 6], "row_key"] = None  # two clients sent no key
    joined = attach_labels(logged, labels, spec)
    expected = truth.where(logged["row_key"].notna())
    np.testing.assert_array_equal(joined[spec.target].to_numpy(), expected.to_numpy())
    assert unkeyed(logged, spec) == 2
    # a log written before row_key existed: nothing can be joined, every row is unkeyed
    old = attach_labels(logged.drop(columns="row_key"), labels, spec)
    assert old[spec.target].isna().all() and unkeyed(logged.drop(columns="row_key"), spec) == 12


def test_a_time_keyed_table_joins_on_the_event_time_whatever_the_log_says(
    tmp_path: Path, spec: DatasetSpec, source: pd.DataFrame
) -> None:
    store = tmp_path / "feedback.sqlite"
    deliver_from_source(source, spec, JULY_1_2, store)
    rows = source[source[EVENT_TIME].between("2011-07-01", "2011-07-03", inclusive="left")]
    # an older log: no row_key at all; a newer one: a key per row (here deliberately wrong)
    for logged in (rows[[EVENT_TIME]], rows[[EVENT_TIME]].assign(row_key="x")):
        joined = attach_labels(logged, read_labels(store, JULY_1_2), spec)
        np.testing.assert_array_equal(joined[spec.target], rows[spec.target].astype(float))
        assert unkeyed(logged, spec) == 0
