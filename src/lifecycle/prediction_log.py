"""The prediction log: every served prediction, durable, written off the request path.

The log is an SQLite file (the default, under state/) or the team's database
(LIFECYCLE_DATABASE_URL: every replica writes there, monitoring reads it), with the same tables
either way (lifecycle.store). The service puts rows on an in-memory queue and returns at once;
a background thread writes them in batches (lifecycle.log_writer: a retried batch never doubles
a row, a database outage is waited out with the rows held) and `close()` drains the queue, so
a graceful shutdown loses nothing.

Two tables: `predictions`, the answers clients got (`variant` champion or canary: which model
answered), and `shadow_predictions`, what the challenger would have answered for the same
records (rollout.shadow), joined to them by (request_id, row).
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

import pandas as pd
import sqlalchemy as sa

from lifecycle import store
from lifecycle.log_spill import default_folder, replay_spills
from lifecycle.log_writer import Writer, insert
from lifecycle.settings import get_settings

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

TABLE = store.PREDICTIONS.name  # "predictions"
SHADOW_TABLE = store.SHADOW.name  # "shadow_predictions"
VARIANTS = ("champion", "canary", "shadow")  # which role the model that made a row played
_TABLES = (store.PREDICTIONS, store.SHADOW)  # written in this order: the answers first
_GRACE = 15.0  # s close() waits past its deadline for a call in flight (connect_timeout: 5 s)
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LoggedPrediction:
    """One served prediction (one row of a request; a batch request gives several)."""

    kind: ClassVar[str] = TABLE  # the table it goes to (a class attribute, not a column)
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

    kind: ClassVar[str] = SHADOW_TABLE
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


Row = LoggedPrediction | ShadowPrediction
COLUMNS = [f.name for f in fields(LoggedPrediction)]
SHADOW_COLUMNS = [f.name for f in fields(ShadowPrediction)]
_TYPES: dict[str, type[Row]] = {TABLE: LoggedPrediction, SHADOW_TABLE: ShadowPrediction}


def connect(location: store.Location) -> Connection:
    """Open the log, creating its tables (or migrating an older log's): a connection."""
    return store.ensure(location, *_TABLES).connect()


def write_rows(conn: Connection, rows: Sequence[Row]) -> None:
    """Insert rows, each into its table, skipping any already there: the answered rows in one
    transaction, then the shadow rows in their own, so a bad shadow row (the challenger's:
    evidence, not an answer) can never cost the answered rows. sqlalchemy.exc.DBAPIError: the
    answered rows were not written (a shadow failure is only logged: those rows are dropped,
    the answered ones are in). `conn` has no transaction open (as connect() gives it)."""
    answered = [r for r in rows if isinstance(r, LoggedPrediction)]
    shadow = [r for r in rows if isinstance(r, ShadowPrediction)]
    try:
        if answered:
            _commit(conn, store.PREDICTIONS, answered)
    finally:  # written whatever became of the answered rows
        if shadow:
            _write_shadow(conn, shadow)


def _write_shadow(conn: Connection, rows: list[ShadowPrediction]) -> None:
    """The shadow rows in a transaction of their own; a failure is logged, never raised."""
    try:
        _commit(conn, store.SHADOW, rows)
    except sa.exc.DBAPIError as err:  # e.g. a NaN prediction (NOT NULL in SQLite)
        log.error("prediction log: %d shadow rows NOT written: %s", len(rows), err.orig)


def _commit(conn: Connection, table: sa.Table, rows: Sequence[Row]) -> None:
    try:
        insert(conn, table, rows)
        conn.commit()
    except BaseException:
        conn.rollback()
        raise


class PredictionLog:
    """Batched, thread-safe writer. `append` never touches the database; a thread does."""

    def __init__(
        self,
        location: store.Location,
        batch_size: int = 500,
        flush_seconds: float = 0.5,
        spill_dir: Path | None = None,
    ) -> None:
        """Open the log (store.StoreUnavailable: the database cannot be used), write the rows
        an earlier process spilled for it, and start the writer thread. `spill_dir`: where
        rows an outage kept from the database go at close (default: next to an SQLite file,
        else the state folder's prediction-log-spill/)."""
        self.location = location
        store.ensure(location, *_TABLES)
        self._writer = Writer(location, spill_dir or default_folder(location))
        replay_spills(self._writer, _TABLES, _TYPES)
        # One item per append() (a whole request's rows), not per row: a queue put costs ~2 us.
        self._queue: queue.Queue[list[Row] | None] = queue.Queue()
        self._batch_size, self._flush_seconds = batch_size, flush_seconds
        self._lock = threading.Lock()  # append vs close: nothing is queued after the end marker
        self._closed = False
        self._thread = threading.Thread(target=self._drain, name="prediction-log", daemon=True)
        self._thread.start()

    @property
    def path(self) -> store.Location:
        """The log's location (the name from when the log was always an SQLite file)."""
        return self.location

    def append(self, rows: Iterable[Row]) -> None:
        """Queue rows for writing (cheap: safe to call on the request path)."""
        batch = list(rows)
        if not batch:
            return
        with self._lock:
            if self._closed:
                raise RuntimeError(f"prediction log {self._writer.where}: appended after close()")
            self._writer.expect(len(batch))
            self._queue.put(batch)

    def pending_rows(self) -> int:
        """Rows appended but not committed yet: queued, or held through a database outage."""
        return self._writer.pending()

    def written_rows(self) -> int:
        """Rows committed since this log was opened (with any replayed from a spill file)."""
        return self._writer.written

    def _drain(self) -> None:
        while True:
            batch, closing = self._next_batch()
            self._writer.hold(_TABLES, batch)
            if not self._writer.flush():  # closing, and the database still unreachable
                self._writer.spill(self._queued())
                return
            if closing:
                return

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

    def _queued(self) -> list[Row]:
        """Take every row still queued (up to close()'s end marker)."""
        rows: list[Row] = []
        try:
            while (item := self._queue.get_nowait()) is not None:
                rows.extend(item)
        except queue.Empty:
            pass
        return rows

    def close(self, timeout_s: float | None = None) -> None:
        """Write everything appended, then stop. Rows an unreachable database still cannot take
        when the deadline passes (`timeout_s`, default LIFECYCLE_LOG_DRAIN_SECONDS) are spilled
        to a file (its path logged at ERROR), which the next PredictionLog here writes."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            wait = get_settings().log_drain_seconds if timeout_s is None else timeout_s
            self._writer.close_by(time.monotonic() + wait)
            self._queue.put(None)
        self._thread.join(wait + _GRACE)
        if self._thread.is_alive():  # stuck in a call the database never answers
            self._writer.spill(self._queued())
            self._queue.put(None)  # if that call ever returns, the thread ends
            return
        # Pooled connections closed: an SQLite log is then whole in its main file (its WAL
        # checkpointed), so a plain file copy holds every row. Other users simply reconnect.
        store.engine(self._writer.location).dispose()


def read_predictions(
    location: store.Location, start: str | None = None, end: str | None = None
) -> pd.DataFrame:
    """Logged predictions with event_time in [start, end), oldest first; empty if no log yet.

    The `inputs` JSON is expanded into one column per feature.
    """
    if TABLE not in store.tables(location):
        return pd.DataFrame(columns=[c for c in COLUMNS if c != "inputs"])
    with store.engine(location).connect() as conn:
        frame = pd.read_sql_query(_window(conn, store.PREDICTIONS, start, end), conn)
    frame["event_time"] = pd.to_datetime(frame["event_time"])
    inputs = pd.DataFrame([json.loads(text) for text in frame.pop("inputs")], index=frame.index)
    return pd.concat([frame, inputs.drop(columns="event_time", errors="ignore")], axis=1)


def read_shadow(
    location: store.Location, start: str | None = None, end: str | None = None
) -> pd.DataFrame:
    """The challenger's shadow predictions with event_time in [start, end), oldest first."""
    if SHADOW_TABLE not in store.tables(location):
        return pd.DataFrame(columns=SHADOW_COLUMNS)
    with store.engine(location).connect() as conn:
        frame = pd.read_sql_query(_window(conn, store.SHADOW, start, end), conn)
    frame["event_time"] = pd.to_datetime(frame["event_time"])
    return frame


def _window(conn: Connection, table: sa.Table, start: str | None, end: str | None) -> sa.Select:
    """The table's rows in [start, end), oldest first: the columns this database has (a log
    of an older release lacks the later ones)."""
    present = store.columns(conn, table.name)
    query = sa.select(*[column for column in table.c if column.name in present])
    if start:
        query = query.where(table.c.event_time >= start)
    if end:
        query = query.where(table.c.event_time < end)
    return query.order_by(table.c.event_time, table.c.request_id, table.c.row)
