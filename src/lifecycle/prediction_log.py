"""The prediction log: every served prediction, durable, written off the request path.

One SQLite file (WAL mode, so monitoring can read while the service writes). The service puts
rows on an in-memory queue and returns at once; a background thread writes them in batches
and `close()` drains the queue, so a graceful shutdown loses nothing.

Two tables: `predictions`, the answers clients got (`variant` champion or canary: which model
answered), and `shadow_predictions`, what the challenger would have answered for the same
records (rollout.shadow), joined to them by (request_id, row).
"""

from __future__ import annotations

import json
import logging
import operator
import queue
import sqlite3
import threading
from collections.abc import Iterable, Sequence
from contextlib import closing
from dataclasses import dataclass, fields
from pathlib import Path

import pandas as pd

TABLE = "predictions"
SHADOW_TABLE = "shadow_predictions"
VARIANTS = ("champion", "canary", "shadow")  # which role the model that made a row played
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LoggedPrediction:
    """One served prediction (one row of a request; a batch request gives several)."""

    request_id: str
    row: int  # position of the record in its request
    served_at: str  # ISO-8601 UTC, when the service answered
    event_time: str  # ISO-8601, the record's own time (what monitoring windows on)
    inputs: str  # the record's features as JSON, exactly as the model received them
    prediction: float  # classification: the probability of the positive class
    model_name: str
    model_version: str
    latency_ms: float
    predicted_label: int | None = None  # classification: the predicted class; None: regression
    row_key: str | None = None  # the record's row key as text (dataset.key_text); None: not sent
    variant: str = "champion"  # champion | canary: which model answered (NULL in older logs)


@dataclass(frozen=True)
class ShadowPrediction:
    """What the challenger predicted for a record the champion answered (never sent back)."""

    request_id: str  # with `row`: the answered record in `predictions`
    row: int
    served_at: str
    event_time: str
    prediction: float
    model_name: str
    model_version: str
    latency_ms: float  # the shadow model call itself, measured off the answer path
    predicted_label: int | None = None
    variant: str = "shadow"


COLUMNS = [f.name for f in fields(LoggedPrediction)]
_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS {TABLE} (
    request_id TEXT NOT NULL, row INTEGER NOT NULL, served_at TEXT NOT NULL,
    event_time TEXT NOT NULL, inputs TEXT NOT NULL, prediction REAL NOT NULL,
    model_name TEXT NOT NULL, model_version TEXT NOT NULL, latency_ms REAL NOT NULL,
    predicted_label INTEGER, row_key TEXT,
    PRIMARY KEY (request_id, row)
);
CREATE INDEX IF NOT EXISTS {TABLE}_event_time ON {TABLE} (event_time);
CREATE TABLE IF NOT EXISTS {SHADOW_TABLE} (
    request_id TEXT NOT NULL, row INTEGER NOT NULL, served_at TEXT NOT NULL,
    event_time TEXT NOT NULL, prediction REAL NOT NULL, model_name TEXT NOT NULL,
    model_version TEXT NOT NULL, latency_ms REAL NOT NULL, predicted_label INTEGER,
    variant TEXT NOT NULL,
    PRIMARY KEY (request_id, row, model_version)
);
CREATE INDEX IF NOT EXISTS {SHADOW_TABLE}_event_time ON {SHADOW_TABLE} (event_time);
"""
SHADOW_COLUMNS = [f.name for f in fields(ShadowPrediction)]
# Columns added after the first release, with their SQL type: older logs gain them (empty).
_ADDED = {"predicted_label": "INTEGER", "row_key": "TEXT", "variant": "TEXT"}


def connect(path: Path) -> sqlite3.Connection:
    """Open (and create if needed) the log database."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, check_same_thread=False, timeout=30)
    conn.execute("PRAGMA journal_mode=WAL")  # readers never block the writer
    # No fsync per commit (WAL still syncs at checkpoints): a process crash loses no committed
    # row, an OS crash may lose the last commits. fsyncs were ~60% of the writer's CPU (sys time).
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.executescript(_SCHEMA)
    for name, sql_type in _ADDED.items():
        _add_column(conn, name, sql_type)
    return conn


def _add_column(conn: sqlite3.Connection, name: str, sql_type: str) -> None:
    """Migrate a log written by an older release: add one (empty) column it lacks."""
    known = {row[1] for row in conn.execute(f"PRAGMA table_info({TABLE})")}
    if name not in known:
        try:
            with conn:
                conn.execute(f"ALTER TABLE {TABLE} ADD COLUMN {name} {sql_type}")
        except sqlite3.OperationalError:
            # Another worker process migrated the same log between our check and ALTER.
            known = {row[1] for row in conn.execute(f"PRAGMA table_info({TABLE})")}
            if name not in known:
                raise


Row = LoggedPrediction | ShadowPrediction


def write_rows(conn: sqlite3.Connection, rows: Sequence[Row]) -> None:
    """Insert rows, each into its table: the answered rows in one transaction, then the shadow
    rows in their own, so a bad shadow row (the challenger's: evidence, not an answer) can
    never cost the answered rows. sqlite3.Error: the answered rows were not written (a shadow
    failure is only logged: those rows are dropped, the answered ones are in)."""
    answered = [r for r in rows if isinstance(r, LoggedPrediction)]
    shadow = [r for r in rows if isinstance(r, ShadowPrediction)]
    try:
        if answered:
            with conn:
                _insert(conn, TABLE, COLUMNS, answered)
    finally:  # written whatever became of the answered rows
        if shadow:
            _write_shadow(conn, shadow)


def _write_shadow(conn: sqlite3.Connection, rows: list[ShadowPrediction]) -> None:
    """The shadow rows in a transaction of their own; a failure is logged, never raised."""
    try:
        with conn:
            _insert(conn, SHADOW_TABLE, SHADOW_COLUMNS, rows)
    except sqlite3.Error as err:  # e.g. a NaN prediction (NOT NULL), a duplicate
        log.error("prediction log: %d shadow rows NOT written: %s", len(rows), err)


def _insert(conn: sqlite3.Connection, table: str, columns: list[str], rows: Sequence[Row]) -> None:
    marks = ", ".join("?" * len(columns))
    # attrgetter, not dataclasses.astuple: astuple deep-copies every field (~80x slower), and
    # this runs on the service's writer thread for every row served.
    as_tuple = operator.attrgetter(*columns)
    conn.executemany(
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})",
        [as_tuple(r) for r in rows],
    )


class PredictionLog:
    """Batched, thread-safe writer. `append` never touches the disk; a thread does."""

    def __init__(self, path: Path, batch_size: int = 500, flush_seconds: float = 0.5) -> None:
        self.path = path
        self._conn = connect(path)
        # One item per append() (a whole request's rows), not per row: a queue put costs ~2 us.
        self._queue: queue.Queue[list[Row] | None] = queue.Queue()
        self._batch_size, self._flush_seconds = batch_size, flush_seconds
        self._thread = threading.Thread(target=self._drain, name="prediction-log", daemon=True)
        self._thread.start()

    def append(self, rows: Iterable[Row]) -> None:
        """Queue rows for writing (cheap: safe to call on the request path)."""
        batch = list(rows)
        if batch:
            self._queue.put(batch)

    def _drain(self) -> None:
        while True:
            batch, closing = self._next_batch()
            if batch:
                self._write(batch)
            if closing:
                return

    def _write(self, batch: list[Row]) -> None:
        """Write one batch; a failure is reported and the writer goes on (it never dies)."""
        try:
            write_rows(self._conn, batch)
        except sqlite3.Error as err:  # e.g. disk full, or a duplicate (request_id, row)
            log.error("prediction log %s: %d rows NOT written: %s", self.path, len(batch), err)

    def _next_batch(self) -> tuple[list[Row], bool]:
        """Queued rows, batch_size or a little more; True once close()'s end marker is reached."""
        batch: list[Row] = []
        try:
            item = self._queue.get(timeout=self._flush_seconds)
            while item is not None:
                batch.extend(item)
                if len(batch) >= self._batch_size:
                    return batch, False
                item = self._queue.get_nowait()
        except queue.Empty:
            return batch, False
        return batch, True  # the queue is FIFO: every row appended before close() is written

    def close(self) -> None:
        """Write everything still queued, then close the database."""
        self._queue.put(None)
        self._thread.join()
        self._conn.close()


def read_predictions(path: Path, start: str | None = None, end: str | None = None) -> pd.DataFrame:
    """Logged predictions with event_time in [start, end), oldest first; empty if no log yet.

    The `inputs` JSON is expanded into one column per feature.
    """
    if not Path(path).exists():
        return pd.DataFrame(columns=[c for c in COLUMNS if c != "inputs"])
    query = f"SELECT * FROM {TABLE} WHERE 1=1"
    args: list[str] = []
    if start:
        query, args = query + " AND event_time >= ?", [*args, start]
    if end:
        query, args = query + " AND event_time < ?", [*args, end]
    with sqlite3.connect(path) as conn:
        frame = pd.read_sql_query(
            query + " ORDER BY event_time, request_id, row", conn, params=args
        )
    frame["event_time"] = pd.to_datetime(frame["event_time"])
    inputs = pd.DataFrame([json.loads(text) for text in frame.pop("inputs")], index=frame.index)
    return pd.concat([frame, inputs.drop(columns="event_time", errors="ignore")], axis=1)


def read_shadow(path: Path, start: str | None = None, end: str | None = None) -> pd.DataFrame:
    """The challenger's shadow predictions with event_time in [start, end), oldest first."""
    if not Path(path).exists():
        return pd.DataFrame(columns=SHADOW_COLUMNS)
    query, args = f"SELECT * FROM {SHADOW_TABLE} WHERE 1=1", list[str]()
    if start:
        query, args = query + " AND event_time >= ?", [*args, start]
    if end:
        query, args = query + " AND event_time < ?", [*args, end]
    with closing(connect(path)) as conn:  # connect: an older log gains the table (empty)
        frame = pd.read_sql_query(
            query + " ORDER BY event_time, request_id, row", conn, params=args
        )
    frame["event_time"] = pd.to_datetime(frame["event_time"])
    return frame
