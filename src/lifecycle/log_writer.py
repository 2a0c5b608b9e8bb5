"""Writing the prediction log's rows so that a database outage loses none of them.

Rows are frozen dataclasses whose fields are their table's columns. A batch is held as chunks,
one per table (the answered rows first, then the shadow rows: a shadow row the database
refuses never costs an answered row), and the writer works through them in order:

- committed: done. The INSERT skips rows already there (ON CONFLICT DO NOTHING on the primary
  key), so a chunk retried after a commit whose acknowledgement was lost is not written twice;
- the database unreachable (stopped, restarting, the network down): the chunk stays held and
  is retried with backoff, while the service goes on queueing rows in memory;
- refused (a row breaks a constraint): the chunk is halved until the refused rows are alone,
  and only those are dropped, each logged with its request id.

If the drain deadline passes with the database still unreachable, the rows held are spilled to
a file, which the next writer of the same location replays at start (lifecycle.log_spill).
"""

from __future__ import annotations

import functools
import logging
import operator
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from lifecycle import store
from lifecycle.log_rows import count
from lifecycle.log_spill import write_spill

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Dialect

log = logging.getLogger("lifecycle.prediction_log")
FIRST_RETRY, LAST_RETRY = 0.2, 5.0  # seconds between attempts: doubling from first to last
Chunk = tuple[sa.Table, list[Any]]  # rows bound for one table, written in one transaction


def insert(conn: Connection, table: sa.Table, rows: Sequence[Any]) -> None:
    """Insert rows (dataclasses named like the columns), skipping those already there."""
    # The statement compiled once, its parameters handed straight to the driver's executemany:
    # SQLAlchemy's own processing of each row's parameters (conn.execute(statement, dicts))
    # took longer than SQLite's writing them, on the service's writer thread. The columns are
    # text and numbers, which need no conversion.
    sql, parameters = _compiled(conn.dialect, table)
    conn.exec_driver_sql(sql, [parameters(row) for row in rows])


@functools.cache
def _compiled(dialect: Dialect, table: sa.Table) -> tuple[str, Callable[[Any], Any]]:
    """The INSERT as the driver's SQL, and what turns a row into its parameters."""
    keys = [column.name for column in table.c]
    compiled = _statement(dialect.name, table).compile(dialect=dialect, column_keys=keys)
    if compiled.positional:  # e.g. SQLite's `?`: a tuple in the statement's order
        # attrgetter, not dataclasses.astuple: astuple deep-copies every field (~80x slower)
        return compiled.string, operator.attrgetter(*compiled.positiontup or ())
    return compiled.string, vars  # named (psycopg's %(name)s): the row's own field dict


@functools.cache
def _statement(dialect: str, table: sa.Table) -> sa.Insert:
    keys = [column.name for column in table.primary_key]
    if dialect == "postgresql":
        from sqlalchemy.dialects import postgresql

        return postgresql.insert(table).on_conflict_do_nothing(index_elements=keys)
    if dialect == "sqlite":
        from sqlalchemy.dialects import sqlite

        return sqlite.insert(table).on_conflict_do_nothing(index_elements=keys)
    raise ValueError(f"{store.SETTING}: {dialect} is not supported (PostgreSQL or SQLite)")


def _named(row: Any) -> str:
    """A row for messages: its request and position, or the packed row and its records."""
    if hasattr(row, "request_id"):
        return f"row {row.row} of request {row.request_id}"
    return f"batch {row.batch_id} ({row.records} records)"


def unreachable(err: BaseException) -> bool:
    """True if the rows could not be written now (try again later), False if the database
    refused them. Only a row's own fault refuses it (a constraint, a value of the wrong kind, or
    an error before the database saw it); anything else the database says (down, read-only after
    a failover, a revoked grant, a pool timeout) holds every row until it is fixed: the pending
    rows gauge and its alert show the backlog, and nothing is lost meanwhile."""
    if isinstance(err, sa.exc.IntegrityError | sa.exc.DataError):
        return False
    return isinstance(err, sa.exc.SQLAlchemyError)


def reason(err: BaseException) -> str:
    """The first line of the driver's message (SQLAlchemy appends the SQL and parameters)."""
    return str(getattr(err, "orig", None) or err).strip().split("\n", 1)[0]


@dataclass
class Outage:
    """One stretch of the database being unreachable, until the rows it held are written."""

    since: float  # time.monotonic() of the first failure
    settled: int  # rows settled when it began
    seconds: float | None = None  # how long it lasted, once a write went through again
    until: int | None = None  # rows appended by then: the backlog is written once all are


class Writer:
    """Commits chunks of rows to one location, holding them through an outage: one thread
    writes (`flush`); any thread may count rows in (`expect`) and read the counters."""

    def __init__(self, location: store.Location, spill_dir: Path) -> None:
        self.location, self.spill_dir = location, spill_dir
        self.where = store.label(location)
        self.held: deque[Chunk] = deque()
        self.appended = self.written = self.dropped = self.spilled = 0
        self._lock = threading.Lock()  # the counters and `held`, between threads
        self._outage: Outage | None = None
        self._delay = FIRST_RETRY
        self._deadline: float | None = None  # close()'s: past it, stop waiting for the database
        self._woken = threading.Event()
        self.error: Exception | None = None  # the last failure to reach the database

    def expect(self, count: int) -> None:
        """Count rows appended (pending until written, dropped or spilled)."""
        with self._lock:
            self.appended += count

    def pending(self) -> int:
        """Rows appended but not yet settled: queued, or held through an outage."""
        return self.appended - self.written - self.dropped - self.spilled

    def hold(self, tables: Sequence[sa.Table], rows: Sequence[Any]) -> None:
        """Hold a batch as one chunk per table, in the order given (a row's `kind` is the name
        of its table)."""
        for table in tables:
            part = [row for row in rows if row.kind == table.name]
            if part:
                with self._lock:
                    self.held.append((table, part))

    def close_by(self, deadline: float) -> None:
        """Stop waiting for an unreachable database at `deadline` (time.monotonic())."""
        self._deadline = deadline
        self._woken.set()

    def flush(self, wait: bool = True) -> bool:
        """Write every chunk held; False if the database is unreachable and the deadline has
        passed (or `wait` is False: no retrying, e.g. at start)."""
        while True:
            with self._lock:  # close() may spill the chunks meanwhile
                if not self.held:
                    return True
                table, rows = self.held[0]
            try:
                with store.engine(self.location).begin() as conn:
                    insert(conn, table, rows)
            except Exception as err:  # the writer never dies: any error is one of the two
                if unreachable(err):
                    self.error = err
                    if not (wait and self._wait(err)):
                        return False
                    continue
                self._refused(table, rows, err)
            else:
                self._settle(rows)

    def _take(self, rows: list[Any]) -> bool:
        """Remove the chunk being written; False if close() spilled it meanwhile."""
        with self._lock:
            if self.held and self.held[0][1] is rows:
                self.held.popleft()
                return True
            return False

    def _settle(self, rows: list[Any]) -> None:
        if not self._take(rows):
            return
        with self._lock:
            self.written += count(rows)  # records: a packed row counts all it holds
        self._delay = FIRST_RETRY
        outage = self._outage
        if outage is not None and outage.until is None:  # the first write since it began
            outage.seconds, outage.until = time.monotonic() - outage.since, self.appended
        if outage is not None and outage.until is not None and self._settled() >= outage.until:
            self._outage = None
            log.info(
                "prediction log %s: the database is back after %.1f s; the %d rows appended "
                "meanwhile are written",
                self.where, outage.seconds, outage.until - outage.settled,
            )  # fmt: skip

    def _settled(self) -> int:
        return self.written + self.dropped + self.spilled

    def _wait(self, err: BaseException) -> bool:
        """Wait before the next attempt; False once close()'s deadline has passed."""
        if self._outage is None:
            self._outage = Outage(time.monotonic(), self._settled())
            log.warning(
                "prediction log %s: the database is unreachable (%s); holding %d rows and "
                "retrying, new rows wait in memory",
                self.where, reason(err), sum(count(rows) for _, rows in self.held),
            )  # fmt: skip
        self._outage.until = None  # down again while the backlog was being written: one outage
        now = time.monotonic()
        if self._deadline is not None and now >= self._deadline:
            return False
        if self._deadline is None:
            self._woken.wait(self._delay)  # close() wakes it: its deadline counts from now
        else:
            time.sleep(min(self._delay, self._deadline - now))
        self._delay = min(self._delay * 2, LAST_RETRY)
        return True

    def _refused(self, table: sa.Table, rows: list[Any], err: BaseException) -> None:
        """Halve a refused chunk until the rows refused are alone; drop (and log) only those."""
        if not self._take(rows):
            return
        with self._lock:
            if len(rows) > 1:
                half = len(rows) // 2
                self.held.extendleft([(table, rows[half:]), (table, rows[:half])])
                return
            self.dropped += count(rows)
        (row,) = rows
        log.error(
            "prediction log %s: %s %s refused, NOT written: %s",
            self.where, table.name, _named(row), reason(err),
        )  # fmt: skip

    def spill(self, more: Sequence[Any] = ()) -> Path | None:
        """Write the rows held (and `more`, still queued) to a new spill file; its path."""
        with self._lock:
            rows = [row for _, chunk in self.held for row in chunk] + list(more)
            self.held.clear()
        if not rows:
            return None
        try:
            path = write_spill(self.spill_dir, self.location, rows)
        except OSError:
            log.exception("prediction log %s: %d rows LOST: no spill file", self.where, len(rows))
            raise
        with self._lock:
            self.spilled += count(rows)
        log.error(
            "prediction log %s: the database is still unreachable; %d rows spilled to %s "
            "(written when the service next starts)",
            self.where, count(rows), path,
        )  # fmt: skip
        return path
