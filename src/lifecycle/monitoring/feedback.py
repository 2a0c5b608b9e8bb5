"""Ground truth that arrives late: a small SQLite store of labels keyed by row key.

A label belongs to one row of the table (`key:` in the dataset definition), so labels join
predictions on the row key the service logs. A table keyed by event time (the bike table: one
row per hour) has the event time as its row key: every prediction made for that hour is judged
against the hour's label, as before. In the simulation, labels for a period are "delivered"
from the source table.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from contextlib import closing
from pathlib import Path

import pandas as pd

from lifecycle.dataset import EVENT_TIME, DatasetSpec, row_keys
from lifecycle.monitoring.window import Window

TABLE = "labels"
ROW_KEY = "row_key"  # the prediction log's column, and the store's primary key
_COLUMNS = f"""
    {ROW_KEY} TEXT PRIMARY KEY,  -- the row the label is for (dataset.row_keys)
    event_time TEXT NOT NULL,    -- ISO 8601, no offset: that row's event time (windows use it)
    label REAL NOT NULL,         -- the observed target
    delivered_at TEXT NOT NULL   -- when the label arrived (UTC)
"""
_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS {TABLE} ({_COLUMNS});
CREATE INDEX IF NOT EXISTS {TABLE}_event_time ON {TABLE} (event_time);
"""
_ISO = "%Y-%m-%dT%H:%M:%S"  # also the row key of a table keyed by event time


def _connect(path: Path) -> sqlite3.Connection:
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, timeout=30)
    if _needs_migration(conn):
        _migrate(conn)
    conn.executescript(_SCHEMA)
    return conn


def _needs_migration(conn: sqlite3.Connection) -> bool:
    """True for a store of the first release: labels keyed by event time, no row_key column."""
    known = {row[1] for row in conn.execute(f"PRAGMA table_info({TABLE})")}
    return bool(known) and ROW_KEY not in known


def _migrate(conn: sqlite3.Connection) -> None:
    """Rebuild a first-release store keyed by row key, keeping every label: its event time text
    is exactly the row key of a table keyed by event time, the only kind it could hold."""
    conn.execute("BEGIN IMMEDIATE")  # one process migrates; another waits, then finds it done
    try:
        if _needs_migration(conn):
            old = f"{TABLE}_by_event_time"
            conn.execute(f"ALTER TABLE {TABLE} RENAME TO {old}")
            conn.execute(f"CREATE TABLE {TABLE} ({_COLUMNS})")
            conn.execute(
                f"INSERT INTO {TABLE} ({ROW_KEY}, event_time, label, delivered_at) "
                f"SELECT event_time, event_time, label, delivered_at FROM {old}"
            )
            conn.execute(f"DROP TABLE {old}")
        conn.commit()
    except BaseException:
        conn.rollback()
        raise


def store_labels(path: Path, keys: pd.Series, event_times: pd.Series, labels: pd.Series) -> int:
    """Insert or replace labels by row key (a re-delivery corrects earlier values); returns
    the count."""
    now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    rows = [
        (str(key), when.strftime(_ISO), float(value), now)
        for key, when, value in zip(keys, pd.to_datetime(event_times), labels, strict=True)
    ]
    insert = f"INSERT OR REPLACE INTO {TABLE} ({ROW_KEY}, event_time, label, delivered_at)"
    with closing(_connect(path)) as conn, conn:
        conn.executemany(f"{insert} VALUES (?, ?, ?, ?)", rows)
    return len(rows)


def deliver_from_source(source: pd.DataFrame, spec: DatasetSpec, window: Window, path: Path) -> int:
    """Deliver the labels of every source row whose event time is in the window."""
    when = source[EVENT_TIME]
    rows = source[(when >= window.start) & (when < window.end)]
    rows = rows.dropna(subset=[EVENT_TIME, spec.target, *spec.key_columns])
    return store_labels(path, row_keys(rows, spec), rows[EVENT_TIME], rows[spec.target])


def read_labels(path: Path, window: Window) -> pd.Series:
    """Labels of the rows with event time in the window, indexed by row key (empty if none)."""
    if not Path(path).exists():
        return pd.Series(dtype="float64", index=pd.Index([], dtype=object, name=ROW_KEY))
    query = f"SELECT {ROW_KEY}, label FROM {TABLE} WHERE event_time >= ? AND event_time < ?"
    with closing(_connect(path)) as conn:
        rows = conn.execute(query, (window.start.strftime(_ISO), window.end.strftime(_ISO)))
        frame = pd.DataFrame(rows.fetchall(), columns=[ROW_KEY, "label"])
    index = pd.Index(frame[ROW_KEY].astype(object), dtype=object, name=ROW_KEY)
    return pd.Series(frame["label"].to_numpy(dtype="float64"), index=index)


def logged_keys(frame: pd.DataFrame, spec: DatasetSpec) -> pd.Series:
    """Each logged prediction's row key (a keyed table); None where the client sent no key."""
    if ROW_KEY not in frame.columns:  # a log written before row_key existed
        return pd.Series(None, index=frame.index, dtype=object)
    keys = frame[ROW_KEY].astype(object)
    return keys.where(keys.notna(), None)


def attach_labels(frame: pd.DataFrame, labels: pd.Series, spec: DatasetSpec) -> pd.DataFrame:
    """A copy of the predictions with a `target` column: the label of each row's key (NaN when
    it has not arrived, or the prediction has no row key).

    Keyed by event time, the key is the logged event time itself, so logs written before
    row_key existed, or with UTC offsets in event_time, join exactly as they always did."""
    out = frame.copy()
    if not len(labels):
        out[spec.target] = float("nan")
    elif spec.keyed_by_time:
        # the key is the event time: join as times (~50x faster than formatting every row)
        by_time = pd.Series(labels.to_numpy(), index=pd.to_datetime(labels.index, format=_ISO))
        out[spec.target] = pd.to_datetime(out[EVENT_TIME]).map(by_time)
    else:
        out[spec.target] = logged_keys(out, spec).map(labels)
    out[spec.target] = out[spec.target].astype("float64")
    return out


def unkeyed(frame: pd.DataFrame, spec: DatasetSpec) -> int:
    """Predictions logged without a row key: no label can ever be joined to them."""
    if spec.keyed_by_time:
        return 0  # every row has an event time (monitoring refuses a window that has not)
    return int(logged_keys(frame, spec).isna().sum())
