"""The prediction log: every served prediction, durable, written off the request path.

The log is an SQLite file (the default, under state/) or the team's database
(LIFECYCLE_DATABASE_URL: every replica writes there, monitoring reads it), with the same tables
either way (lifecycle.store). The service puts rows on an in-memory queue and returns at once;
a background thread writes them in batches (lifecycle.log_writer: a retried batch never doubles
a row, a database outage is waited out with the rows held) and `close()` drains the queue, so
a graceful shutdown loses nothing.

What readers see, two tables: `predictions`, one row per answer a client got (`variant`
champion or canary: which model answered), and `shadow_predictions`, what the challenger would
have answered for the same records (rollout.shadow), joined to them by (request_id, row).

What the service writes: one `prediction_batches` row per model call, its records packed as
JSON columns, because one INSERT per record cost more CPU than the model call. Every reader
expands the packed rows into `predictions` before it reads (lifecycle.log_packing.unpack;
lifecycle.log_reading), and so does the writer thread once the service has been idle a while,
and at close. A packed row is in the database, or spilled, exactly when its records would have
been: durability is the same as one row per record.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa

from lifecycle import store
from lifecycle.log_packing import unpack
from lifecycle.log_reading import read_predictions, read_shadow
from lifecycle.log_rows import (
    COLUMNS,
    PACKED_TABLE,
    SHADOW_COLUMNS,
    SHADOW_TABLE,
    TABLE,
    TYPES,
    LoggedPrediction,
    PackedPredictions,
    Row,
    ShadowPrediction,
    count,
)
from lifecycle.log_spill import default_folder, replay_spills
from lifecycle.log_writer import Writer, insert, reason
from lifecycle.settings import get_settings

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

VARIANTS = ("champion", "canary", "shadow")  # which role the model that made a row played
# Written in this order: the answers first (one row per record, or packed per model call).
_TABLES = (store.PREDICTIONS, store.PACKED, store.SHADOW)
_GRACE = 15.0  # s close() waits past its deadline for a call in flight (connect_timeout: 5 s)
IDLE_SECONDS = 2.0  # without a row for this long, the writer thread expands the packed rows
log = logging.getLogger(__name__)
__all__ = [  # the rows' classes live in lifecycle.log_rows; callers import them from here
    "COLUMNS",
    "SHADOW_COLUMNS",
    "SHADOW_TABLE",
    "TABLE",
    "LoggedPrediction",
    "PackedPredictions",
    "PredictionLog",
    "ShadowPrediction",
    "connect",
    "read_predictions",
    "read_shadow",
    "unpack",
    "write_rows",
]  # fmt: skip


def connect(location: store.Location) -> Connection:
    """Open the log, creating its tables (or migrating an older log's): a connection."""
    return store.ensure(location, *_TABLES).connect()


def write_rows(conn: Connection, rows: Sequence[Row]) -> None:
    """Insert rows, each into its table, skipping any already there: the answered rows in one
    transaction, then the shadow rows in their own, so a bad shadow row (the challenger's:
    evidence, not an answer) can never cost the answered rows. sqlalchemy.exc.DBAPIError: the
    answered rows were not written (a shadow failure is only logged: those rows are dropped,
    the answered ones are in). `conn` has no transaction open (as connect() gives it)."""
    answered = [r for r in rows if not isinstance(r, ShadowPrediction)]  # per record or packed
    shadow = [r for r in rows if isinstance(r, ShadowPrediction)]
    try:
        if answered:
            _commit(conn, answered)
    finally:  # written whatever became of the answered rows
        if shadow:
            _write_shadow(conn, shadow)


def _write_shadow(conn: Connection, rows: list[ShadowPrediction]) -> None:
    """The shadow rows in a transaction of their own; a failure is logged, never raised."""
    try:
        _commit(conn, rows)
    except sa.exc.DBAPIError as err:  # e.g. a NaN prediction (NOT NULL in SQLite)
        log.error("prediction log: %d shadow rows NOT written: %s", len(rows), err.orig)


def _commit(conn: Connection, rows: Sequence[Row]) -> None:
    try:
        for table in _TABLES:
            if part := [row for row in rows if row.kind == table.name]:
                insert(conn, table, part)
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
        replay_spills(self._writer, _TABLES, TYPES)
        # One item per append() (a whole request's rows), not per row: a queue put costs ~2 us.
        self._queue: queue.Queue[list[Row] | None] = queue.Queue()
        self._batch_size, self._flush_seconds = batch_size, flush_seconds
        self._lock = threading.Lock()  # append vs close: nothing is queued after the end marker
        self._closed = False
        self._packed = False  # packed rows written that the writer has not expanded yet
        self._deadline = float("inf")  # close()'s, for expanding the last packed rows
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
            self._writer.expect(count(batch))
            self._queue.put(batch)

    def pending_rows(self) -> int:
        """Rows appended but not committed yet: queued, or held through a database outage."""
        return self._writer.pending()

    def written_rows(self) -> int:
        """Rows committed since this log was opened (with any replayed from a spill file)."""
        return self._writer.written

    def _drain(self) -> None:
        idle_since = time.monotonic()
        while True:
            batch, closing = self._next_batch()
            self._writer.hold(_TABLES, batch)
            if not self._writer.flush():  # closing, and the database still unreachable
                self._writer.spill(self._queued())
                return
            if batch:
                idle_since = time.monotonic()
                self._packed = self._packed or any(r.kind == PACKED_TABLE for r in batch)
            if closing:  # readers would expand them; now the file alone (a copy) holds them all
                if self._packed:
                    self._expand(lambda: time.monotonic() > self._deadline)
                return
            if not batch and self._packed and time.monotonic() - idle_since > IDLE_SECONDS:
                self._expand(lambda: not self._queue.empty())  # yields to new rows at once

    def _expand(self, stop: Callable[[], bool]) -> None:
        """Expand the log's packed rows (this replica's and any other's) until `stop`; a failure
        is only logged: the rows are safe in their packed form, and every reader expands them."""
        try:
            unpack(self.location, stop)
        except Exception as err:  # this thread never dies: it writes the log
            log.warning("prediction log %s: packed rows left for the readers to expand: %s",
                        self._writer.where, reason(err))  # fmt: skip
        self._packed = stop()  # stopped early: some may be left

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
            self._deadline = time.monotonic() + wait
            self._writer.close_by(self._deadline)
            self._queue.put(None)
        self._thread.join(wait + _GRACE)
        if self._thread.is_alive():  # stuck in a call the database never answers
            self._writer.spill(self._queued())
            self._queue.put(None)  # if that call ever returns, the thread ends
            return
        # Pooled connections closed: an SQLite log is then whole in its main file (its WAL
        # checkpointed), so a plain file copy holds every row. Other users simply reconnect.
        store.engine(self._writer.location).dispose()
