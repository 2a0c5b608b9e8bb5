"""Packing a model call's records into one row of the log, and expanding it for the readers.

Why: one row per record cost the service more CPU than its model call (per 1,000 records,
~5 ms building row objects and ~12 ms of INSERTs on the writer thread, on the cores that
serve). So the service writes one `prediction_batches` row per model call, its columns as JSON
lists (`pack`: one to_json over whole columns, no per-record object). Readers never see it:
each calls `unpack` first, which moves the packed rows into `predictions`, so what they read is
exactly what the per-record log held. The service's writer thread also unpacks once it has been
idle a while, and at close.

Safe with any number of readers and writers at once: a packed row's records are inserted and
the packed row deleted in one transaction (PostgreSQL: the packed rows locked first, so a
second reader waits, then skips them); the inserts skip rows already there, so a packed row
expanded twice, or written again after a lost acknowledgement, still stores each record once.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import sqlalchemy as sa
from pydantic_core import to_json  # 3-4x faster than json.dumps

from lifecycle import store
from lifecycle.log_rows import LoggedPrediction, PackedPredictions
from lifecycle.log_spill import default_folder
from lifecycle.log_writer import Writer, insert

# What a packed row's JSON holds, one value per record (besides `done` and `inputs`).
PER_RECORD = ("request_id", "row", "received", "event_time", "prediction", "predicted_label")
CHUNK_RECORDS = 5_000  # records expanded per transaction: a reader waiting on it waits little
PACKED = store.PACKED


def pack(
    columns: Mapping[str, Any], served_at: str, model: tuple[str, str], variant: str
) -> PackedPredictions:
    """One model call's records as one row: `columns` holds PER_RECORD and row_key (lists;
    predicted_label may be None), `done` (time.perf_counter() when answered: latency counts
    from each record's `received`) and `inputs` (the model's input columns, as lists)."""
    # NaN kept as NaN (json.loads reads it back): a NaN prediction meets the database as before
    text = to_json(columns, inf_nan_mode="constants").decode()
    name, version = model
    return PackedPredictions(
        uuid.uuid4().hex, served_at, name, version, variant, len(columns["row"]), text
    )


def expand(packed: PackedPredictions) -> list[LoggedPrediction]:
    """The per-record rows a packed row stands for, as the per-record log wrote them."""
    data = json.loads(packed.columns)
    done, count = data["done"], packed.records
    labels = data["predicted_label"] or [None] * count  # regression: no label
    return [
        LoggedPrediction(
            request_id=request_id,
            row=row,
            served_at=packed.served_at,
            event_time=when,
            inputs=inputs,
            prediction=value,
            model_name=packed.model_name,
            model_version=packed.model_version,
            latency_ms=round((done - received) * 1000, 3),
            predicted_label=label,
            row_key=key,
            variant=packed.variant,
        )
        for request_id, row, received, when, value, label, key, inputs in zip(
            *(data[name] for name in PER_RECORD[:5]),
            labels,
            data["row_key"],
            json_objects(data["inputs"]),
            strict=True,
        )
    ]


def _tokens(values: list[Any]) -> list[str]:
    """Each value as JSON text; NaN and None as null."""
    if not values:
        return []
    if not any(isinstance(v, str) for v in values):
        # One to_json for the column, cut at its commas: numbers hold none, and this is a
        # fraction of the per-value cost. inf_nan_mode="null": NaN (a gap) is not valid JSON.
        return to_json(values, inf_nan_mode="null").decode()[1:-1].split(",")
    # Text may hold commas: one to_json per distinct value (categories repeat a lot).
    known = {v: to_json(v, inf_nan_mode="null").decode() for v in set(values)}
    return [known[v] for v in values]


def json_objects(columns: Mapping[str, list[Any]]) -> list[str]:
    """Each record's values of `columns` as one JSON object (gaps as null), column by column."""
    tokens = [_tokens(values) for values in columns.values()]
    keys = [to_json(name).decode().replace("%", "%%") for name in columns]
    template = "{" + ",".join(f"{key}:%s" for key in keys) + "}"
    return [template % row for row in zip(*tokens, strict=True)]


def unpack(location: store.Location, stop: Callable[[], bool] = lambda: False) -> int:
    """Expand every packed row present now into `predictions`; the records expanded. Every
    reader calls it first; `stop` (asked between transactions) lets the writer yield."""
    if PACKED.name not in store.tables(location):
        return 0  # a log of an older release, or none yet: nothing is created here
    with store.engine(location).connect() as conn:
        present = conn.execute(sa.select(PACKED.c.batch_id, PACKED.c.records)).all()
    expanded = 0
    for number, ids in enumerate(_chunks(sorted(present))):
        if number and stop():
            break
        expanded += _unpack(location, ids)
    return expanded


def _chunks(present: list[Any]) -> Iterator[list[str]]:
    """Batch ids in groups of about CHUNK_RECORDS records (at least one id each)."""
    ids: list[str] = []
    records = 0
    for batch_id, count in present:
        ids.append(batch_id)
        records += count
        if records >= CHUNK_RECORDS:
            yield ids
            ids, records = [], 0
    if ids:
        yield ids


def _unpack(location: store.Location, ids: list[str]) -> int:
    """Expand the packed rows `ids` that are still there, in one transaction."""
    chosen = PACKED.c.batch_id.in_(ids)
    # FOR UPDATE (PostgreSQL; SQLite has one writer anyway): a concurrent unpack of the same
    # rows waits for this one to commit, then finds them gone.
    query = sa.select(PACKED).where(chosen).order_by(PACKED.c.batch_id).with_for_update()
    try:
        with store.engine(location).begin() as conn:
            rows = [row for packed in _packed(conn, query) for row in expand(packed)]
            if rows:
                insert(conn, store.PREDICTIONS, rows)
            conn.execute(sa.delete(PACKED).where(chosen))
    except (sa.exc.IntegrityError, sa.exc.DataError):  # a record the database refuses
        return _salvage(location, ids)
    return len(rows)


def _packed(conn: sa.Connection, query: sa.Select) -> list[PackedPredictions]:
    return [PackedPredictions(**row._mapping) for row in conn.execute(query)]


def _salvage(location: store.Location, ids: list[str]) -> int:
    """Records the database refused some of: the writer stores all but those (each logged
    with its request id, as when records were written one by one), then the packed rows go."""
    chosen = PACKED.c.batch_id.in_(ids)
    with store.engine(location).connect() as conn:
        rows = [row for packed in _packed(conn, sa.select(PACKED).where(chosen)) for row in
                expand(packed)]  # fmt: skip
    writer = Writer(location, default_folder(location))
    writer.hold([store.PREDICTIONS], rows)
    if not writer.flush(wait=False):
        raise store.unavailable(location, writer.error or RuntimeError("unpack"))
    with store.engine(location).begin() as conn:
        conn.execute(sa.delete(PACKED).where(chosen))
    return writer.written
