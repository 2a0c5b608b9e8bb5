"""The prediction log: every served prediction, durable, written off the request path.

One SQLite file (WAL mode, so monitoring can read while the service writes). The service puts
rows on an in-memory queue and returns at once; a background thread writes them in batches
and `close()` drains the queue, so a graceful shutdown loses nothing.
"""

from __future__ import annotations

import json
import logging
import operator
import queue
import sqlite3
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from pathlib import Path

import pandas as pd

TABLE = "predictions"
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
"""
# Columns added after the first release, with their SQL type: older logs gain them (empty).
_ADDED = {"predicted_label": "INTEGER", "row_key": "TEXT"}


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


def write_rows(conn: sqlite3.Connection, rows: Sequence[LoggedPrediction]) -> None:
    """Insert rows in one transaction."""
    marks = ", ".join("?" * len(COLUMNS))
    # attrgetter, not dataclasses.astuple: astuple deep-copies every field (~80x slower), and
    # this runs on the service's writer thread for every row served.
    as_tuple = operator.attrgetter(*COLUMNS)
    with conn:
        conn.executemany(
            f"INSERT INTO {TABLE} ({', '.join(COLUMNS)}) VALUES ({marks})",
            [as_tuple(r) for r in rows],
        )


class PredictionLog:
    """Batched, thread-safe writer. `append` never touches the disk; a thread does."""

    def __init__(self, path: Path, batch_size: int = 500, flush_seconds: float = 0.5) -> None:
        self.path = path
        self._conn = connect(path)
        # One item per append() (a whole request's rows), not per row: a queue put costs ~2 us.
        self._queue: queue.Queue[list[LoggedPrediction] | None] = queue.Queue()
        self._batch_size, self._flush_seconds = batch_size, flush_seconds
        self._thread = threading.Thread(target=self._drain, name="prediction-log", daemon=True)
        self._thread.start()

    def append(self, rows: Iterable[LoggedPrediction]) -> None:
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

    def _write(self, batch: list[LoggedPrediction]) -> None:
        """Write one batch; a failure is reported and the writer goes on (it never dies)."""
        try:
            write_rows(self._conn, batch)
        except sqlite3.Error as err:  # e.g. disk full, or a duplicate (request_id, row)
            log.error("prediction log %s: %d rows NOT written: %s", self.path, len(batch), err)

    def _next_batch(self) -> tuple[list[LoggedPrediction], bool]:
        """Queued rows, batch_size or a little more; True once close()'s end marker is reached."""
        batch: list[LoggedPrediction] = []
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
