"""Read one window of the prediction log by event time, sampled (seeded) when it is large.

The log is a SQLite file or a database server (lifecycle.store): one code path, SQLAlchemy Core.
Every read expands the log's packed rows first (lifecycle.log_packing.unpack): the rows read are
one per record, however the service wrote them.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import sqlalchemy as sa

from lifecycle import store
from lifecycle.dataset import EVENT_TIME
from lifecycle.log_packing import unpack
from lifecycle.monitoring.log_query import fetch_rows, parse_times, window_keys, window_rows
from lifecycle.store import PREDICTIONS

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection


class LogError(ValueError):
    """The file is not a prediction log (or cannot be read as one)."""


@dataclass(frozen=True)
class Window:
    """A half-open [start, end) interval of event time."""

    start: pd.Timestamp
    end: pd.Timestamp

    def __post_init__(self) -> None:
        if not self.start < self.end:
            raise ValueError(f"window start {self.start} must be before its end {self.end}")

    @property
    def label(self) -> str:
        """A file-name-safe name, e.g. 2011-07-01_2011-08-01."""
        fmt = "%Y-%m-%d" if _midnight(self.start) and _midnight(self.end) else "%Y-%m-%dT%H%M"
        return f"{self.start.strftime(fmt)}_{self.end.strftime(fmt)}"

    def as_dict(self) -> dict[str, str]:
        """ISO start and end, for JSON."""
        return {"start": self.start.isoformat(), "end": self.end.isoformat()}


def _midnight(when: pd.Timestamp) -> bool:
    return when == when.normalize()


def make_window(start: str, end: str) -> Window:
    """Parse two dates or timestamps (ISO 8601) into a Window; bad text raises ValueError."""
    return Window(pd.Timestamp(start), pd.Timestamp(end))


def add_window_args(parser: argparse.ArgumentParser) -> None:
    """The --start/--end pair of the commands that need an explicit window."""
    parser.add_argument("--start", required=True, help="first event time, inclusive (ISO)")
    parser.add_argument("--end", required=True, help="last event time, exclusive (ISO)")


def window_arg(parser: argparse.ArgumentParser, args: argparse.Namespace) -> Window:
    """The window --start/--end name; a bad pair is a usage error (exit 2), as argparse does."""
    try:
        return make_window(args.start, args.end)
    except ValueError as err:
        parser.error(str(err))


@dataclass(frozen=True)
class LoggedWindow:
    """The predictions of one window (a seeded sample of them when the window is large)."""

    frame: pd.DataFrame  # one row per prediction, `inputs` expanded into one column per key
    logged: int  # predictions in the window before sampling
    # rows of `frame` whose inputs are no JSON object: they have no features at all, which a
    # feature that may have gaps would otherwise take for gaps
    unreadable: int = 0

    @property
    def sampled(self) -> bool:
        """True when `frame` holds a sample rather than the whole window."""
        return len(self.frame) < self.logged


def read_window(
    log: store.Location, window: Window, sample_rows: int | None = None, seed: int = 0
) -> LoggedWindow:
    """Predictions with event time in the window; at most `sample_rows` of them, drawn uniformly.

    Only the sampled rows are fetched and decoded, so a window of a million predictions costs
    little more than one of `sample_rows`; the same rows and seed draw the same sample from
    SQLite and from PostgreSQL.
    """
    if not store.exists(log):
        return LoggedWindow(_empty(), 0)
    try:
        unpack(log)
        with store.engine(log).begin() as conn:
            if not _holds_log(conn, log):
                return LoggedWindow(_empty(), 0)  # a database nothing was logged to yet
            columns = store.columns(conn, PREDICTIONS.name)
            if sample_rows is None:
                frame = window_rows(conn, window, columns)
                logged = len(frame)
            else:
                keys = window_keys(conn, window)
                logged = len(keys)
                if logged > sample_rows:
                    rng = np.random.default_rng(seed)
                    # rebound: the window's million keys go now, before the rows are built
                    # (the garbage collector would walk every one of them, again and again)
                    keys = [keys[i] for i in np.sort(rng.choice(logged, sample_rows, False))]
                frame = fetch_rows(conn, keys, columns)
    except sa.exc.DBAPIError as err:
        raise unreadable(log, err) from None
    frame, broken = _expand(frame)
    return LoggedWindow(frame, logged, broken)


def _holds_log(conn: Connection, log: store.Location) -> bool:
    """Whether the database has the log's table; a file without it is no prediction log."""
    if sa.inspect(conn).has_table(PREDICTIONS.name):
        return True
    if store.is_file(log):
        where = store.label(log)
        raise LogError(f"{where} is not a readable prediction log: it has no table predictions")
    return False


def unreadable(log: store.Location, err: sa.exc.DBAPIError) -> Exception:
    """The error for a failed read: a server we cannot reach, or a log we cannot read."""
    if not store.is_file(log) and isinstance(err, sa.exc.OperationalError | sa.exc.InterfaceError):
        return store.unavailable(log, err)
    reason = str(err.orig).strip().splitlines()[0]
    return LogError(f"{store.label(log)} is not a readable prediction log: {reason}")


def _decode(text: Any) -> dict[str, Any]:
    """One record's inputs; a row whose JSON is broken gets no features (reported later)."""
    try:
        value = json.loads(text)
    except (TypeError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def _expand(frame: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """Expand the `inputs` JSON into columns (log columns win on clashes);
    also the count of rows whose inputs could not be read."""
    records = [_decode(t) for t in frame.pop("inputs")]
    inputs = pd.DataFrame(records, index=frame.index)
    inputs = inputs.drop(columns=[c for c in inputs if c in frame], errors="ignore")
    return pd.concat([frame, inputs], axis=1), sum(1 for r in records if not r)


def _empty() -> pd.DataFrame:
    frame = pd.DataFrame(columns=[c.name for c in PREDICTIONS.c if c.name != "inputs"])
    frame[EVENT_TIME] = pd.to_datetime(frame[EVENT_TIME])
    return frame


def newest_event_time(log: store.Location) -> pd.Timestamp | None:
    """The newest event time in the log, or None when there is no log or it is empty."""
    if not store.exists(log):
        return None
    try:
        unpack(log)
        with store.engine(log).connect() as conn:
            if not _holds_log(conn, log):
                return None
            text = conn.execute(sa.select(sa.func.max(PREDICTIONS.c.event_time))).scalar()
    except sa.exc.DBAPIError as err:
        raise unreadable(log, err) from None
    when = parse_times(pd.Series([text]))[0] if text else None
    return None if when is None or pd.isna(when) else pd.Timestamp(when)


def default_window(log: store.Location, days: int) -> Window | None:
    """The newest `days` whole days of logged event time (None when nothing is logged)."""
    newest = newest_event_time(log)
    if newest is None:
        return None
    end = newest.normalize() + pd.Timedelta(days=1)
    return Window(end - pd.Timedelta(days=days), end)


def resolve_window(
    start: str | None, end: str | None, log: store.Location, days: int
) -> Window | None:
    """The window a user asked for; both bounds or neither (then the newest `days` days)."""
    if start and end:
        return make_window(start, end)
    if start or end:
        raise ValueError("give both --start and --end, or neither (the newest days of the log)")
    return default_window(log, days)
