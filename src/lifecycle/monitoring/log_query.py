"""Queries on the prediction log that read the same on SQLite and PostgreSQL: event times as
text, a window's keys in one order on every back end, and the full rows of some keys only."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

import pandas as pd
import sqlalchemy as sa

from lifecycle.dataset import EVENT_TIME
from lifecycle.store import PREDICTIONS

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, CursorResult


class Span(Protocol):
    """A half-open [start, end) of event time (lifecycle.monitoring.window.Window)."""

    @property
    def start(self) -> pd.Timestamp:
        """First event time, inclusive."""

    @property
    def end(self) -> pd.Timestamp:
        """Last event time, exclusive."""


Key = tuple[str, int]  # (request_id, row): one logged prediction
_OFFSET = r"(Z|[+-]\d{2}:?\d{2})$"  # a UTC offset at the end of an ISO 8601 timestamp


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


def day_bounds(window: Span) -> tuple[str, str]:
    """Whole-day text bounds around the window: a superset, cut exactly after parsing."""
    last = window.end.normalize() + pd.Timedelta(days=1)
    return f"{window.start.normalize():%Y-%m-%d}", f"{last:%Y-%m-%d}"


def between(table: sa.Table, bounds: tuple[str, str]) -> sa.ColumnElement[bool]:
    """event_time in [lo, hi) compared as text: what the event_time index answers."""
    return sa.and_(table.c.event_time >= bounds[0], table.c.event_time < bounds[1])


def frame_of(result: CursorResult[Any]) -> pd.DataFrame:
    """A query's rows as a frame, one column per selected column."""
    return pd.DataFrame(result.all(), columns=list(result.keys()))


def driver_rows(conn: Connection, query: sa.Select[Any]) -> list[Any]:
    """A query's rows as the driver's plain tuples, for the million small rows of a large
    window (SQLAlchemy's Row objects cost about a microsecond each: as much as the query)."""
    sql = str(query.compile(conn, compile_kwargs={"literal_binds": True}))  # our own bounds
    dbapi = conn.dialect.loaded_dbapi
    cursor = conn.connection.cursor()
    try:
        cursor.execute(sql)
        return list(cursor.fetchall())
    except dbapi.Error as err:  # raised as any other query's error is: SQLAlchemy's
        raise sa.exc.DBAPIError.instance(sql, None, err, dbapi.Error) from err
    finally:
        cursor.close()


def window_keys(conn: Connection, window: Span) -> list[Key]:
    """The keys of every prediction in the window, in one order on every back end: by
    event_time, request_id, row, as text compared bytewise (so a seeded sample is the same).

    Whole days inside the window are selected by the index alone (plain text bounds); the days
    holding `start` and `end` are parsed and cut exactly, because the text of event_time may
    vary ('T' or ' ', offsets). Each text starts with its date: the parts follow each other."""
    one_day = pd.Timedelta(days=1)
    first, last = window.start.normalize(), window.end.normalize()
    edges = [_edge_keys(conn, day, window) for day in sorted({first, last})]
    inner: list[Key] = []
    if first + one_day < last:
        inner = _inner_keys(conn, (f"{first + one_day:%Y-%m-%d}", f"{last:%Y-%m-%d}"))
    return [*edges[0], *inner, *(edges[1] if len(edges) > 1 else [])]


def _edge_keys(conn: Connection, day: pd.Timestamp, window: Span) -> list[Key]:
    """The keys of one day's predictions that are inside the window, in the window's order."""
    bounds = (f"{day:%Y-%m-%d}", f"{day + pd.Timedelta(days=1):%Y-%m-%d}")
    c = PREDICTIONS.c
    query = sa.select(c.event_time, c.request_id, c.row).where(between(PREDICTIONS, bounds))
    rows = driver_rows(conn, query)
    when = parse_times(pd.Series([text for text, _, _ in rows], dtype=object))
    inside = ((when >= window.start) & (when < window.end)).to_numpy()
    # Python compares text by code point, as SQLite and PostgreSQL's "C" collation do
    return [
        (rid, row)
        for _, rid, row in sorted(r for r, keep in zip(rows, inside, strict=True) if keep)
    ]


def _inner_keys(conn: Connection, bounds: tuple[str, str]) -> list[Key]:
    """The keys of whole days, sorted by the database."""
    c = PREDICTIONS.c
    query = sa.select(c.request_id, c.row).where(between(PREDICTIONS, bounds))
    return driver_rows(conn, query.order_by(*_in_key_order(conn)))


def _in_key_order(conn: Connection) -> list[sa.ColumnElement[Any]]:
    """ORDER BY event_time, request_id, row, text compared bytewise as Python compares it
    (PostgreSQL: collation "C", whatever the database's locale; SQLite compares bytes)."""
    c = PREDICTIONS.c
    postgres = conn.dialect.name == "postgresql"
    return [
        *(sa.collate(col, "C") if postgres else col for col in (c.event_time, c.request_id)),
        c.row,
    ]


def window_rows(conn: Connection, window: Span, columns: set[str]) -> pd.DataFrame:
    """Every prediction of the window, in the order of its keys (what fetch_rows gives for
    all of window_keys, read in one query: the whole-day rows in order, then cut exactly)."""
    selected = [col for col in PREDICTIONS.c if col.name in columns]
    query = sa.select(*selected).where(between(PREDICTIONS, day_bounds(window)))
    rows = driver_rows(conn, query.order_by(*_in_key_order(conn)))
    frame = pd.DataFrame(rows, columns=[col.name for col in selected])
    frame[EVENT_TIME] = parse_times(frame[EVENT_TIME])
    inside = (frame[EVENT_TIME] >= window.start) & (frame[EVENT_TIME] < window.end)
    return frame[inside].reset_index(drop=True)


# The keys of the sampled rows, joined to the log to fetch only those rows; `n` keeps the order.
_PICK = sa.Table(
    "window_pick",
    sa.MetaData(),
    sa.Column("n", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("request_id", sa.Text, nullable=False),
    sa.Column("row", sa.Integer, nullable=False),
    prefixes=["TEMPORARY"],  # the connection's own: concurrent readers never meet
)


def fetch_rows(conn: Connection, keys: list[Key], columns: set[str]) -> pd.DataFrame:
    """The full rows of `keys`, in their order (`columns`: those the log has; an older
    release's log lacks some)."""
    conn.execute(sa.schema.CreateTable(_PICK, if_not_exists=True))
    conn.execute(_PICK.delete())  # a pooled connection keeps its temporary table
    if keys:
        picks = [{"n": n, "request_id": rid, "row": row} for n, (rid, row) in enumerate(keys)]
        conn.execute(_PICK.insert(), picks)
    p, k = PREDICTIONS.c, _PICK.c
    query = (
        sa.select(*[col for col in PREDICTIONS.c if col.name in columns])
        .join(_PICK, sa.and_(p.request_id == k.request_id, p.row == k.row))
        .order_by(k.n)
    )
    frame = frame_of(conn.execute(query))
    frame[EVENT_TIME] = parse_times(frame[EVENT_TIME])
    return frame
