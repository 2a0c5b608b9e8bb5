"""Read one window of the prediction log by event time, sampled (seeded) when it is large."""

from __future__ import annotations

import argparse
import json
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lifecycle.dataset import EVENT_TIME
from lifecycle.prediction_log import COLUMNS, TABLE


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


_OFFSET = r"(Z|[+-]\d{2}:?\d{2})$"  # a UTC offset at the end of an ISO 8601 timestamp


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


def parse_times(text: pd.Series) -> pd.Series:
    """Parse logged event times ('T' or ' ' separator, optional offset) as naive wall-clock time."""
    try:
        when = pd.to_datetime(text, format="ISO8601", errors="coerce")
    except ValueError:  # offsets on some rows only: drop them all, keep the wall-clock time
        when = pd.to_datetime(
            text.str.replace(_OFFSET, "", regex=True), format="ISO8601", errors="coerce"
        )
    if isinstance(when.dtype, pd.DatetimeTZDtype):
        when = when.dt.tz_localize(None)  # the data's event time is local wall-clock time
    return when


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
    path: Path, window: Window, sample_rows: int | None = None, seed: int = 0
) -> LoggedWindow:
    """Predictions with event time in the window; at most `sample_rows` of them, drawn uniformly.

    Only the sampled rows are fetched and decoded, so a window of a million predictions costs
    about as much as one of `sample_rows`.
    """
    if not Path(path).exists():
        return LoggedWindow(_empty(), 0)
    with closing(sqlite3.connect(path, timeout=30)) as conn:
        try:
            rowids = _rowids(conn, window)
            logged = len(rowids)
            if sample_rows is not None and logged > sample_rows:
                rng = np.random.default_rng(seed)
                rowids = np.sort(rng.choice(rowids, size=sample_rows, replace=False))
            frame, unreadable = _fetch(conn, rowids)
        except sqlite3.DatabaseError as err:
            raise LogError(f"{path} is not a readable prediction log: {err}") from None
    return LoggedWindow(frame, logged, unreadable)


def _rowids(conn: sqlite3.Connection, window: Window) -> np.ndarray:
    """Row ids in the window, sorted. Whole days inside the window are selected by the index
    alone (fast: plain string bounds); the days holding `start` and `end` are parsed and cut
    exactly, because the text of event_time may vary ('T' or ' ', offsets)."""
    one_day = pd.Timedelta(days=1)
    first, last = window.start.normalize(), window.end.normalize()
    parts = []
    if first + one_day < last:
        parts.append(_ids_between(conn, first + one_day, last))
    for day in sorted({first, last}):
        rows = conn.execute(
            f"SELECT rowid, event_time FROM {TABLE} WHERE event_time >= ? AND event_time < ?",
            (f"{day:%Y-%m-%d}", f"{day + one_day:%Y-%m-%d}"),
        )
        edge = pd.DataFrame(rows.fetchall(), columns=["rowid", EVENT_TIME])
        when = parse_times(edge[EVENT_TIME])
        parts.append(edge["rowid"][(when >= window.start) & (when < window.end)].to_numpy())
    return np.sort(np.concatenate(parts).astype(np.int64))


def _ids_between(conn: sqlite3.Connection, lo: pd.Timestamp, hi: pd.Timestamp) -> np.ndarray:
    """Row ids of the whole days from `lo` up to (not including) `hi`."""
    query = f"SELECT rowid FROM {TABLE} WHERE event_time >= ? AND event_time < ?"
    rows = conn.execute(query, (f"{lo:%Y-%m-%d}", f"{hi:%Y-%m-%d}"))
    return np.fromiter((rowid for (rowid,) in rows), dtype=np.int64)


def _fetch(conn: sqlite3.Connection, rowids: np.ndarray) -> tuple[pd.DataFrame, int]:
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS pick (id INTEGER PRIMARY KEY)")
    conn.execute("DELETE FROM pick")
    conn.executemany("INSERT INTO pick VALUES (?)", ((int(i),) for i in rowids))
    query = (
        f"SELECT p.* FROM {TABLE} p JOIN pick ON p.rowid = pick.id "
        "ORDER BY p.event_time, p.request_id, p.row"
    )
    frame = pd.read_sql_query(query, conn)
    return _expand(frame)


def _decode(text: Any) -> dict[str, Any]:
    """One record's inputs; a row whose JSON is broken gets no features (reported later)."""
    try:
        value = json.loads(text)
    except (TypeError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def _expand(frame: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """Parse event_time and expand the `inputs` JSON into columns (log columns win on clashes);
    also the count of rows whose inputs could not be read."""
    frame[EVENT_TIME] = parse_times(frame[EVENT_TIME])
    records = [_decode(t) for t in frame.pop("inputs")]
    inputs = pd.DataFrame(records, index=frame.index)
    inputs = inputs.drop(columns=[c for c in inputs if c in frame], errors="ignore")
    return pd.concat([frame, inputs], axis=1), sum(1 for r in records if not r)


def _empty() -> pd.DataFrame:
    frame = pd.DataFrame(columns=[c for c in COLUMNS if c != "inputs"])
    frame[EVENT_TIME] = pd.to_datetime(frame[EVENT_TIME])
    return frame


def newest_event_time(path: Path) -> pd.Timestamp | None:
    """The newest event time in the log, or None when there is no log or it is empty."""
    if not Path(path).exists():
        return None
    with closing(sqlite3.connect(path, timeout=30)) as conn:
        try:
            (text,) = conn.execute(f"SELECT MAX(event_time) FROM {TABLE}").fetchone()
        except sqlite3.DatabaseError as err:
            raise LogError(f"{path} is not a readable prediction log: {err}") from None
    when = parse_times(pd.Series([text]))[0] if text else None
    return None if when is None or pd.isna(when) else pd.Timestamp(when)


def default_window(path: Path, days: int) -> Window | None:
    """The newest `days` whole days of logged event time (None when nothing is logged)."""
    newest = newest_event_time(path)
    if newest is None:
        return None
    end = newest.normalize() + pd.Timedelta(days=1)
    return Window(end - pd.Timedelta(days=days), end)


def resolve_window(start: str | None, end: str | None, log: Path, days: int) -> Window | None:
    """The window a user asked for; both bounds or neither (then the newest `days` days)."""
    if start and end:
        return make_window(start, end)
    if start or end:
        raise ValueError("give both --start and --end, or neither (the newest days of the log)")
    return default_window(log, days)
