"""Ground truth that arrives late: a store of labels keyed by row key (a SQLite file, or the
team's database: lifecycle.store's `labels` table).

A label belongs to one row of the table (`key:` in the dataset definition), so labels join
predictions on the row key the service logs. A table keyed by event time (the bike table: one
row per hour) has the event time as its row key: every prediction made for that hour is judged
against the hour's label, as before. In the simulation, labels for a period are "delivered"
from the source table.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import pandas as pd
import sqlalchemy as sa

from lifecycle import store
from lifecycle.dataset import EVENT_TIME, DatasetSpec, row_keys
from lifecycle.monitoring.window import Window
from lifecycle.store import LABELS

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Engine

ROW_KEY = "row_key"  # the prediction log's column, and the store's primary key
_ISO = "%Y-%m-%dT%H:%M:%S"  # also the row key of a table keyed by event time


def _open(location: store.Location) -> Engine:
    """The store's engine, a first-release SQLite store migrated first."""
    made = store.engine(location)
    if store.is_file(location) and store.exists(location):
        with made.connect() as conn:
            old = _needs_migration(conn)
        if old:
            _migrate(made)
    return made


def _needs_migration(conn: Connection) -> bool:
    """True for a store of the first release: labels keyed by event time, no row_key column.
    (Only a SQLite file can be one: the first release had no database server.)"""
    if not sa.inspect(conn).has_table(LABELS.name):
        return False
    return ROW_KEY not in store.columns(conn, LABELS.name)


def _migrate(engine: Engine) -> None:
    """Rebuild a first-release store keyed by row key, keeping every label: its event time text
    is exactly the row key of a table keyed by event time, the only kind it could hold."""
    # AUTOCOMMIT hands the transaction to us: BEGIN IMMEDIATE takes the write lock before the
    # check, so one process migrates and another waits, then finds it done
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("BEGIN IMMEDIATE")
        try:
            if _needs_migration(conn):
                _rebuild(conn)
            conn.exec_driver_sql("COMMIT")
        except BaseException:
            conn.exec_driver_sql("ROLLBACK")
            raise


def _rebuild(conn: Connection) -> None:
    """Copy the labels into a table keyed by row key, under the old table's name."""
    old = f"{LABELS.name}_by_event_time"
    conn.exec_driver_sql(f"ALTER TABLE {LABELS.name} RENAME TO {old}")
    conn.execute(sa.schema.CreateTable(LABELS))
    conn.exec_driver_sql(
        f"INSERT INTO {LABELS.name} ({ROW_KEY}, event_time, label, delivered_at) "
        f"SELECT event_time, event_time, label, delivered_at FROM {old}"
    )
    conn.exec_driver_sql(f"DROP TABLE {old}")  # and its indexes, whose names LABELS reuses
    for index in LABELS.indexes:
        conn.execute(sa.schema.CreateIndex(index))


def _upsert(conn: Connection) -> sa.Insert:
    """INSERT that replaces the label of a row key already stored (same SQL on both back ends:
    INSERT ... ON CONFLICT (row_key) DO UPDATE)."""
    from sqlalchemy.dialects import postgresql, sqlite

    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(LABELS)
    replaced = {name: stmt.excluded[name] for name in ("event_time", "label", "delivered_at")}
    return stmt.on_conflict_do_update(index_elements=[LABELS.c.row_key], set_=replaced)


def store_labels(
    location: store.Location, keys: pd.Series, event_times: pd.Series, labels: pd.Series
) -> int:
    """Insert or replace labels by row key (a re-delivery corrects earlier values); returns
    the count."""
    now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    times = pd.to_datetime(event_times)
    # one row per key, the last winning: PostgreSQL refuses a key twice in one statement
    rows = {
        str(key): {"row_key": str(key), "event_time": when.strftime(_ISO), "label": float(value)}
        for key, when, value in zip(keys, times, labels, strict=True)
    }
    _open(location)
    try:
        with store.ensure(location, LABELS).begin() as conn:
            if rows:
                conn.execute(_upsert(conn), [row | {"delivered_at": now} for row in rows.values()])
    except (sa.exc.OperationalError, sa.exc.InterfaceError) as err:
        raise store.unavailable(location, err) from None
    return len(rows)


def deliver_from_source(
    source: pd.DataFrame, spec: DatasetSpec, window: Window, location: store.Location
) -> int:
    """Deliver the labels of every source row whose event time is in the window."""
    when = source[EVENT_TIME]
    rows = source[(when >= window.start) & (when < window.end)]
    rows = rows.dropna(subset=[EVENT_TIME, spec.target, *spec.key_columns])
    return store_labels(location, row_keys(rows, spec), rows[EVENT_TIME], rows[spec.target])


def read_labels(location: store.Location, window: Window) -> pd.Series:
    """Labels of the rows with event time in the window, indexed by row key (empty if none)."""
    empty = pd.Series(dtype="float64", index=pd.Index([], dtype=object, name=ROW_KEY))
    if not store.exists(location):
        return empty
    bounds = (window.start.strftime(_ISO), window.end.strftime(_ISO))
    try:
        with _open(location).connect() as conn:
            if not sa.inspect(conn).has_table(LABELS.name):
                return empty
            between = (LABELS.c.event_time >= bounds[0]) & (LABELS.c.event_time < bounds[1])
            rows = conn.execute(sa.select(LABELS.c.row_key, LABELS.c.label).where(between)).all()
    except (sa.exc.OperationalError, sa.exc.InterfaceError) as err:
        raise store.unavailable(location, err) from None
    frame = pd.DataFrame(rows, columns=[ROW_KEY, "label"])
    index = pd.Index(frame[ROW_KEY].astype(object), dtype=object, name=ROW_KEY)
    return pd.Series(frame["label"].to_numpy(dtype="float64"), index=index)


def logged_keys(frame: pd.DataFrame, spec: DatasetSpec) -> pd.Series:
    """Each logged prediction's row key (a keyed table); None where the client sent no key."""
    if ROW_KEY not in frame.columns:  # a log written before row_key existed
        return pd.Series(None, index=frame.index, dtype=object)
    keys = frame[ROW_KEY].astype(object)
    return keys.where(keys.notna(), None)


def attach_labels(frame: pd.DataFrame, labels: pd.Series, spec: DatasetSpec) -> pd.DataFrame:
    """A copy of the predictions with a `target` column: the label of each row's key (NaN when
    it has not arrived, or the prediction has no row key).

    Keyed by event time, the key is the logged event time itself, so logs written before
    row_key existed, or with UTC offsets in event_time, join exactly as they always did."""
    out = frame.copy()
    if not len(labels):
        out[spec.target] = float("nan")
    elif spec.keyed_by_time:
        # the key is the event time: join as times (~50x faster than formatting every row)
        by_time = pd.Series(labels.to_numpy(), index=pd.to_datetime(labels.index, format=_ISO))
        out[spec.target] = pd.to_datetime(out[EVENT_TIME]).map(by_time)
    else:
        out[spec.target] = logged_keys(out, spec).map(labels)
    out[spec.target] = out[spec.target].astype("float64")
    return out


def unkeyed(frame: pd.DataFrame, spec: DatasetSpec) -> int:
    """Predictions logged without a row key: no label can ever be joined to them."""
    if spec.keyed_by_time:
        return 0  # every row has an event time (monitoring refuses a window that has not)
    return int(logged_keys(frame, spec).isna().sum())
