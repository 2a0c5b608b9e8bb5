"""Read a window's live rows from the prediction log: answered rows (champion and canary) and
the challenger's shadow rows. An older log is never migrated here; the packed rows are
expanded first (lifecycle.log_packing.unpack), as for every read of the log.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd
import sqlalchemy as sa

from lifecycle import store
from lifecycle.dataset import EVENT_TIME
from lifecycle.log_packing import unpack
from lifecycle.monitoring.log_query import between, day_bounds, frame_of, parse_times
from lifecycle.monitoring.window import Window, unreadable
from lifecycle.store import PREDICTIONS, SHADOW

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

CHAMPION, CANARY = "champion", "canary"  # values of the answered rows' `variant`
_ANSWERED = ["request_id", "row", "event_time", "prediction", "model_name", "model_version"]
_SHADOW = ["request_id", "row", "event_time", "prediction", "model_name", "model_version"]


@dataclass
class LiveRows:
    """The window's answered rows (no inputs) and shadow rows, cut exactly to the window."""

    answered: pd.DataFrame  # _ANSWERED + row_key + variant ("champion" where the log has none)
    shadow: pd.DataFrame  # _SHADOW


def _has_live_rows(conn: Connection, tables: set[str], bounds: tuple[str, str]) -> bool:
    """Any shadow row, or any canary answer, near the window (cheap: the event_time indexes)."""
    if SHADOW.name in tables:
        shadow = sa.select(sa.literal(1)).where(between(SHADOW, bounds)).limit(1)
        if conn.execute(shadow).first():
            return True
    if "variant" not in store.columns(conn, PREDICTIONS.name):
        return False
    canary = between(PREDICTIONS, bounds) & (PREDICTIONS.c.variant == CANARY)
    return conn.execute(sa.select(sa.literal(1)).where(canary).limit(1)).first() is not None


def _read(
    conn: Connection, table: sa.Table, columns: list[str], bounds: tuple[str, str], window: Window
) -> pd.DataFrame:
    query = sa.select(*[table.c[name] for name in columns]).where(between(table, bounds))
    frame = frame_of(conn.execute(query))
    frame[EVENT_TIME] = parse_times(frame[EVENT_TIME])
    inside = (frame[EVENT_TIME] >= window.start) & (frame[EVENT_TIME] < window.end)
    return frame[inside].reset_index(drop=True)


def read_live_rows(log: store.Location, window: Window) -> LiveRows | None:
    """The window's answered and shadow rows, or None when it has neither shadow nor canary
    rows (then monitoring is exactly what it was before the live stage existed). Read-only:
    an older log is never migrated here."""
    if not store.exists(log):
        return None
    bounds = day_bounds(window)
    try:
        unpack(log)
        with store.engine(log).connect() as conn:
            tables = set(sa.inspect(conn).get_table_names())
            if PREDICTIONS.name not in tables or not _has_live_rows(conn, tables, bounds):
                return None
            known = store.columns(conn, PREDICTIONS.name)
            extra = [c for c in ("row_key", "variant") if c in known]
            answered = _read(conn, PREDICTIONS, [*_ANSWERED, *extra], bounds, window)
            shadow = (
                _read(conn, SHADOW, _SHADOW, bounds, window)
                if SHADOW.name in tables
                else pd.DataFrame(columns=_SHADOW)
            )
    except sa.exc.DBAPIError as err:
        raise unreadable(log, err) from None
    if "row_key" not in answered:
        answered["row_key"] = None
    variant = (
        answered["variant"] if "variant" in answered else pd.Series(None, index=answered.index)
    )
    answered["variant"] = variant.fillna(CHAMPION).astype(str)  # NULL: a log before canaries
    for frame in (answered, shadow):
        frame["model_version"] = frame["model_version"].astype(str)
    return LiveRows(answered, shadow)
