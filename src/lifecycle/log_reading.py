"""Reading the prediction log: its answered and its shadow rows in a window of event time.

Each read first expands the packed rows (lifecycle.log_packing.unpack), so it sees every record
the service logged, one row each, whichever way the service wrote them.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pandas as pd
import sqlalchemy as sa

from lifecycle import store
from lifecycle.log_packing import unpack
from lifecycle.log_rows import COLUMNS, SHADOW_COLUMNS, SHADOW_TABLE, TABLE

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection


def read_predictions(
    location: store.Location, start: str | None = None, end: str | None = None
) -> pd.DataFrame:
    """Logged predictions with event_time in [start, end), oldest first; empty if no log yet.

    The `inputs` JSON is expanded into one column per feature.
    """
    unpack(location)
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
