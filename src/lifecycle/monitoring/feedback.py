"""Ground truth that arrives late: a small SQLite store of labels keyed by event time.

The truth for this dataset (rentals in an hour) belongs to the hour, not to a request: every
prediction made for that hour is judged against the same label, so labels join predictions on
event time. In the simulation, labels for a period are "delivered" from the source table.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from contextlib import closing
from pathlib import Path

import pandas as pd

from lifecycle.dataset import EVENT_TIME, DatasetSpec
from lifecycle.monitoring.window import Window, parse_times

TABLE = "labels"
_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS {TABLE} (
    event_time TEXT PRIMARY KEY,  -- ISO 8601, no offset: the hour the label is for
    label REAL NOT NULL,          -- the observed target
    delivered_at TEXT NOT NULL    -- when the label arrived (UTC)
);
"""
_ISO = "%Y-%m-%dT%H:%M:%S"


def _connect(path: Path) -> sqlite3.Connection:
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, timeout=30)
    conn.executescript(_SCHEMA)
    return conn


def store_labels(path: Path, event_times: pd.Series, labels: pd.Series) -> int:
    """Insert or replace labels (a re-delivery corrects earlier values); returns the count."""
    now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    rows = [
        (when.strftime(_ISO), float(value), now)
        for when, value in zip(pd.to_datetime(event_times), labels, strict=True)
    ]
    with closing(_connect(path)) as conn, conn:
        conn.executemany(f"INSERT OR REPLACE INTO {TABLE} VALUES (?, ?, ?)", rows)
    return len(rows)


def deliver_from_source(source: pd.DataFrame, spec: DatasetSpec, window: Window, path: Path) -> int:
    """Deliver the labels of every source row whose event time is in the window."""
    when = source[EVENT_TIME]
    rows = source[(when >= window.start) & (when < window.end)]
    rows = rows.dropna(subset=[EVENT_TIME, spec.target])
    return store_labels(path, rows[EVENT_TIME], rows[spec.target])


def read_labels(path: Path, window: Window) -> pd.Series:
    """Labels with event time in the window, indexed by event time (empty if none yet)."""
    if not Path(path).exists():
        return pd.Series(dtype="float64", index=pd.DatetimeIndex([], name=EVENT_TIME))
    query = f"SELECT event_time, label FROM {TABLE} WHERE event_time >= ? AND event_time < ?"
    with closing(_connect(path)) as conn:
        rows = conn.execute(query, (window.start.strftime(_ISO), window.end.strftime(_ISO)))
        frame = pd.DataFrame(rows.fetchall(), columns=[EVENT_TIME, "label"])
    index = pd.DatetimeIndex(parse_times(frame[EVENT_TIME]), name=EVENT_TIME)
    return pd.Series(frame["label"].to_numpy(dtype="float64"), index=index)


def attach_labels(frame: pd.DataFrame, labels: pd.Series, target: str) -> pd.DataFrame:
    """A copy of the predictions with a `target` column: the label of each row's event time."""
    out = frame.copy()
    out[target] = out[EVENT_TIME].map(labels) if len(labels) else float("nan")
    out[target] = out[target].astype("float64")
    return out
