"""Where the shared state lives: the prediction log, the feedback store and the promotion log.

A location is a file path (an embedded SQLite database, the default under `state/`) or a
SQLAlchemy URL (`LIFECYCLE_DATABASE_URL`, e.g. `postgresql+psycopg://user:pw@host/db`, which
every replica writes to and monitoring reads). One code path for both: SQLAlchemy Core, the
same tables, created and migrated the same way.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Engine

Location = str | Path  # a SQLite file, or a database URL
SETTING = "LIFECYCLE_DATABASE_URL"  # the setting that names a database server

# Text that is compared and sorted (ISO 8601 times, request ids): in byte order on PostgreSQL
# too (collation "C", as SQLite compares), whatever locale the server was initialised with.
ORDERED = sa.Text().with_variant(sa.Text(collation="C"), "postgresql")
metadata = sa.MetaData()
PREDICTIONS = sa.Table(
    "predictions",
    metadata,
    sa.Column("request_id", ORDERED, primary_key=True),
    sa.Column("row", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("served_at", sa.Text, nullable=False),
    sa.Column("event_time", ORDERED, nullable=False),
    sa.Column("inputs", sa.Text, nullable=False),
    sa.Column("prediction", sa.Double, nullable=False),
    sa.Column("model_name", sa.Text, nullable=False),
    sa.Column("model_version", sa.Text, nullable=False),
    sa.Column("latency_ms", sa.Double, nullable=False),
    sa.Column("predicted_label", sa.Integer),
    sa.Column("row_key", sa.Text),
    sa.Column("variant", sa.Text),
    # The name the releases before SQLAlchemy gave it: an old log keeps its index. (No index
    # on row_key: labels join in memory, and every index costs each insert.)
    sa.Index("predictions_event_time", "event_time"),
)
SHADOW = sa.Table(
    "shadow_predictions",
    metadata,
    sa.Column("request_id", ORDERED, primary_key=True),
    sa.Column("row", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("served_at", sa.Text, nullable=False),
    sa.Column("event_time", ORDERED, nullable=False),
    sa.Column("prediction", sa.Double, nullable=False),
    sa.Column("model_name", sa.Text, nullable=False),
    sa.Column("model_version", sa.Text, primary_key=True),
    sa.Column("latency_ms", sa.Double, nullable=False),
    sa.Column("predicted_label", sa.Integer),
    sa.Column("variant", sa.Text, nullable=False),
    sa.Index("shadow_predictions_event_time", "event_time"),
)
# One model call's answered records in one row, as JSON columns: one INSERT on the serving path
# instead of one per record. Every reader expands them into `predictions` first
# (lifecycle.log_packing.unpack), so only the writer and unpack ever see this table.
PACKED = sa.Table(
    "prediction_batches",
    metadata,
    sa.Column("batch_id", ORDERED, primary_key=True),
    sa.Column("served_at", sa.Text, nullable=False),
    sa.Column("model_name", sa.Text, nullable=False),
    sa.Column("model_version", sa.Text, nullable=False),
    sa.Column("variant", sa.Text, nullable=False),
    sa.Column("records", sa.Integer, nullable=False),
    sa.Column("columns", sa.Text, nullable=False),
)
LABELS = sa.Table(
    "labels",
    metadata,
    sa.Column("row_key", sa.Text, primary_key=True),  # the row the label is for
    sa.Column("event_time", ORDERED, nullable=False),  # ISO 8601, no offset
    sa.Column("label", sa.Double, nullable=False),  # the observed target
    sa.Column("delivered_at", sa.Text, nullable=False),  # when it arrived (UTC)
    sa.Index("labels_event_time", "event_time"),
)
PROMOTIONS = sa.Table(
    "promotions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),  # the log's order
    sa.Column("model_name", sa.Text, nullable=False),
    sa.Column("entry", sa.Text, nullable=False),  # the decision as JSON
    sa.Index("promotions_model_name", "model_name"),
)
# Columns added after the first release: older databases gain them, empty.
ADDED = {PREDICTIONS.name: ("predicted_label", "row_key", "variant")}
_LOCK = 7_215_301  # PostgreSQL advisory lock id: one process creates or migrates at a time
# libpq's timeouts (on TCP; a Unix socket has only the first): a server that is down or a
# network that drops packets fails a call within seconds, and the caller retries, instead of
# the call hanging for the kernel's many minutes.
_TIMEOUTS = {
    "connect_timeout": 5,  # s
    "keepalives_idle": 10,  # s idle before probing a connection, then every 5 s, 3 times
    "keepalives_interval": 5,
    "keepalives_count": 3,
    "tcp_user_timeout": 20_000,  # ms: data sent but never acknowledged
}


class StoreUnavailable(RuntimeError):
    """The database cannot be reached or refuses us (the message names the setting)."""


def url_of(location: Location) -> str:
    """The SQLAlchemy URL of a location (a path becomes an absolute sqlite:/// URL)."""
    if isinstance(location, Path):
        return f"sqlite:///{location.resolve()}"
    return location


def is_file(location: Location) -> bool:
    """True for an embedded SQLite file (a path, or a sqlite:/// URL)."""
    return isinstance(location, Path) or location.startswith("sqlite")


def label(location: Location) -> str:
    """The location for messages: a path as given, a URL with its password hidden."""
    if isinstance(location, Path):
        return str(location)
    return sa.engine.make_url(location).render_as_string(hide_password=True)


def engine(location: Location) -> Engine:
    """The process's engine for a location (one pool per URL and process: a forked worker
    never shares its parent's connections)."""
    return _engine(url_of(location), os.getpid())


@functools.cache
def _engine(url: str, pid: int) -> Engine:
    if url.startswith("sqlite"):
        path = sa.engine.make_url(url).database
        if path:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        made = sa.create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
        sa.event.listen(made, "connect", _sqlite_pragmas)
        return made
    # pre-ping: a connection the server dropped (a restart) is replaced, not handed out
    return sa.create_engine(url, pool_pre_ping=True, connect_args=_TIMEOUTS)


def _sqlite_pragmas(dbapi_conn: object, _record: object) -> None:
    cursor = dbapi_conn.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA journal_mode=WAL")  # readers never block the writer
    # No fsync per commit (WAL still syncs at checkpoints): a process crash loses no committed
    # row, an OS crash may lose the last commits. fsyncs were ~60% of the writer's CPU.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def exists(location: Location) -> bool:
    """False only for an embedded file not created yet (a server always exists)."""
    if isinstance(location, Path):
        return location.exists()
    database = sa.engine.make_url(location).database
    if location.startswith("sqlite") and database:
        return Path(database).exists()
    return True


def tables(location: Location) -> set[str]:
    """Names of the tables present (empty for a file not created yet); never creates any."""
    if not exists(location):
        return set()
    return set(sa.inspect(engine(location)).get_table_names())


def columns(conn: Connection, table: str) -> set[str]:
    """Names of a table's columns as the database has them (older logs lack the added ones)."""
    return {column["name"] for column in sa.inspect(conn).get_columns(table)}


def ensure(location: Location, *wanted: sa.Table) -> Engine:
    """Create the tables (and indexes) that are missing and add the columns older releases
    lacked; safe when several processes do it at once. Returns the engine."""
    made = engine(location)
    try:
        with made.begin() as conn:
            if conn.dialect.name == "postgresql":  # concurrent CREATE IF NOT EXISTS can clash
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(:id)"), {"id": _LOCK})
            for table in wanted:
                conn.execute(sa.schema.CreateTable(table, if_not_exists=True))
                _add_columns(conn, table)  # before the indexes: one may be on an added column
                for index in table.indexes:
                    conn.execute(sa.schema.CreateIndex(index, if_not_exists=True))
    except (sa.exc.OperationalError, sa.exc.InterfaceError) as err:
        raise unavailable(location, err) from None
    return made


def _add_columns(conn: Connection, table: sa.Table) -> None:
    """Migrate a table written by an older release: add the (empty) columns it lacks."""
    missing = [c for c in ADDED.get(table.name, ()) if c not in columns(conn, table.name)]
    for name in missing:
        column = table.c[name]
        sql_type = column.type.compile(dialect=conn.dialect)
        try:
            conn.execute(sa.text(f'ALTER TABLE {table.name} ADD COLUMN "{name}" {sql_type}'))
        except sa.exc.OperationalError as err:
            # SQLite: another worker added it between our look and ALTER (PostgreSQL cannot
            # race here: ensure() holds an advisory lock)
            if "duplicate column" not in str(err):
                raise


def unavailable(location: Location, err: Exception) -> StoreUnavailable:
    """A clear error for a database we cannot use: which setting, which URL, why."""
    reason = str(getattr(err, "orig", None) or err).strip().splitlines()[0]
    where = label(location)
    if is_file(location):
        return StoreUnavailable(f"cannot use the SQLite database {where}: {reason}")
    return StoreUnavailable(f"{SETTING}={where}: cannot connect or use the database: {reason}")


def check(location: Location) -> None:
    """Connect once and fail with a clear error (at start-up, before serving anything)."""
    try:
        with engine(location).connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except (sa.exc.OperationalError, sa.exc.InterfaceError) as err:
        raise unavailable(location, err) from None
