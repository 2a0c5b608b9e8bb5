"""Read a window's live rows from the prediction log: answered rows (champion and canary) and
the challenger's shadow rows. Read-only: an older log is never migrated here.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from lifecycle.dataset import EVENT_TIME
from lifecycle.monitoring.window import LogError, Window, parse_times
from lifecycle.prediction_log import SHADOW_TABLE, TABLE

CHAMPION, CANARY = "champion", "canary"  # values of the answered rows' `variant`
_ANSWERED = ["request_id", "row", "event_time", "prediction", "model_name", "model_version"]
_SHADOW = ["request_id", "row", "event_time", "prediction", "model_name", "model_version"]


@dataclass
class LiveRows:
    """The window's answered rows (no inputs) and shadow rows, cut exactly to the window."""

    answered: pd.DataFrame  # _ANSWERED + row_key + variant ("champion" where the log has none)
    shadow: pd.DataFrame  # _SHADOW


def _columns(conn: sqlite3.Connection, table: str) -> set[str]:
    return {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}


def _day_bounds(window: Window) -> tuple[str, str]:
    """Whole-day text bounds around the window: a superset, cut exactly after parsing."""
    last = window.end.normalize() + pd.Timedelta(days=1)
    return f"{window.start.normalize():%Y-%m-%d}", f"{last:%Y-%m-%d}"


def _has_live_rows(conn: sqlite3.Connection, bounds: tuple[str, str]) -> bool:
    """Any shadow row, or any canary answer, near the window (cheap: the event_time indexes)."""
    where = "event_time >= ? AND event_time < ?"
    shadow = f"SELECT 1 FROM {SHADOW_TABLE} WHERE {where} LIMIT 1"
    if SHADOW_TABLE in _tables(conn) and conn.execute(shadow, bounds).fetchone():
        return True
    if "variant" not in _columns(conn, TABLE):
        return False
    query = f"SELECT 1 FROM {TABLE} WHERE {where} AND variant = ? LIMIT 1"
    return conn.execute(query, (*bounds, CANARY)).fetchone() is not None


def _tables(conn: sqlite3.Connection) -> set[str]:
    return {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}


def _read(
    conn: sqlite3.Connection,
    table: str,
    columns: list[str],
    bounds: tuple[str, str],
    window: Window,
) -> pd.DataFrame:
    query = f"SELECT {', '.join(columns)} FROM {table} WHERE event_time >= ? AND event_time < ?"
    frame = pd.read_sql_query(query, conn, params=bounds)
    frame[EVENT_TIME] = parse_times(frame[EVENT_TIME])
    inside = (frame[EVENT_TIME] >= window.start) & (frame[EVENT_TIME] < window.end)
    return frame[inside].reset_index(drop=True)


def read_live_rows(path: Path, window: Window) -> LiveRows | None:
    """The window's answered and shadow rows, or None when it has neither shadow nor canary
    rows (then monitoring is exactly what it was before the live stage existed). Read-only:
    an older log is never migrated here."""
    if not Path(path).exists():
        return None
    bounds = _day_bounds(window)
    with closing(sqlite3.connect(path, timeout=30)) as conn:
        try:
            if TABLE not in _tables(conn) or not _has_live_rows(conn, bounds):
                return None
            known = _columns(conn, TABLE)
            extra = [c for c in ("row_key", "variant") if c in known]
            answered = _read(conn, TABLE, [*_ANSWERED, *extra], bounds, window)
            shadow = (
                _read(conn, SHADOW_TABLE, _SHADOW, bounds, window)
                if SHADOW_TABLE in _tables(conn)
                else pd.DataFrame(columns=_SHADOW)
            )
        except (sqlite3.DatabaseError, pd.errors.DatabaseError) as err:
            raise LogError(f"{path} is not a readable prediction log: {err}") from None
    if "row_key" not in answered:
        answered["row_key"] = None
    variant = (
        answered["variant"] if "variant" in answered else pd.Series(None, index=answered.index)
    )
    answered["variant"] = variant.fillna(CHAMPION).astype(str)  # NULL: a log before canaries
    for frame in (answered, shadow):
        frame["model_version"] = frame["model_version"].astype(str)
    return LiveRows(answered, shadow)
