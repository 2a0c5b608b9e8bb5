"""POST /predict_columns: the records of one request sent column by column, checked as columns.

`{"columns": {"dteday": [...], "hr": [...], "temp": [...], ...}}`: the same fields as a record of
POST /predict, each a list with one value per record. One request is one model call (no batcher:
it is a batch already). Each column is checked at once (serving.column_checks); a column that
check is unsure of sends the whole request through the record model instead, row by row, so a
request gets exactly the answers /predict would give it, or exactly its errors, located as
`columns.<field>[<row>]`. The checks only decide how fast that happens, never what is accepted.
"""

from __future__ import annotations

import functools
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from pydantic import TypeAdapter, ValidationError
from pydantic_core import InitErrorDetails, PydanticCustomError, to_json

from lifecycle.columns import Column
from lifecycle.dataset import EVENT_TIME, DatasetSpec, key_text
from lifecycle.serving import column_checks as checks
from lifecycle.serving.batch import Batch, to_batch
from lifecycle.serving.schemas import RecordBase, Stamp
from lifecycle.serving.vocabulary import Vocabulary, refused_columns

Columns = Mapping[str, list[Any]]
Error = dict[str, Any]  # one error as pydantic's errors() gives it: type, loc, msg


class ColumnsRefused(ValueError):
    """The request's columns are not valid records: `errors` in pydantic's form, located in
    the request body (["columns", field, row])."""

    def __init__(self, errors: list[Error]) -> None:
        super().__init__(f"{len(errors)} errors in the request's columns")
        self.errors = errors

    def validation_error(self) -> ValidationError:
        """The errors as a pydantic ValidationError (BentoML answers it 400 with this list)."""
        details = [
            InitErrorDetails(
                type=PydanticCustomError(e["type"], e["msg"]), loc=tuple(e["loc"]), input=None
            )
            for e in self.errors
        ]
        return ValidationError.from_exception_data("columns", details)


@dataclass(frozen=True)
class ColumnForm:
    """What a column request is checked against: the dataset, its record model, the limits."""

    spec: DatasetSpec
    record: type[RecordBase]
    max_records: int
    vocabulary: Vocabulary | None = None

    def batch(self, columns: Columns, client: str | None = None) -> Batch:
        """The request's records as one batch, stamped as one request (ColumnsRefused: why
        not). `client`: the X-Client-Key header, if sent."""
        rows = _rows(columns, self.record, self.max_records)
        stamps = _stamps(rows, client)
        fast = fast_columns(columns, rows, self)
        if fast is not None:
            return Batch(stamps, *fast)
        records = _by_records(columns, rows, self.record)
        for stamp, record in zip(stamps, records, strict=True):
            object.__setattr__(record, "_stamp", stamp)  # the slot of RecordBase
        return to_batch(records, self.spec)


def _refuse(kind: str, loc: list[Any], msg: str) -> ColumnsRefused:
    return ColumnsRefused([{"type": kind, "loc": loc, "msg": msg}])


def _rows(columns: Columns, record: type[RecordBase], max_records: int) -> int:
    """The number of records: the columns' common length (ColumnsRefused: no such number)."""
    unknown = [name for name in columns if name not in record.model_fields]
    if unknown:
        extra = "Extra inputs are not permitted"  # pydantic's words, as /predict says it
        raise ColumnsRefused(
            [{"type": "extra_forbidden", "loc": ["columns", n], "msg": extra} for n in unknown]
        )
    lengths = {name: len(values) for name, values in columns.items()}
    if len(set(lengths.values())) > 1:
        first, *others = lengths.items()
        name, size = next(item for item in others if item[1] != first[1])
        raise _refuse(
            "columns_length",
            ["columns", name],
            f"{size} values, but {first[0]} has {first[1]}: send one value per record in "
            "every column",
        )
    rows = next(iter(lengths.values()), 0)
    if rows < 1:
        raise _refuse(
            "too_short", ["columns"], "List should have at least 1 item after validation, not 0"
        )
    if rows > max_records:
        raise _refuse(
            "too_long",
            ["columns"],
            f"List should have at most {max_records} items after validation, not {rows}",
        )
    return rows


def _stamps(rows: int, client: str | None) -> list[Stamp]:
    request_id, now = uuid.uuid4().hex, time.perf_counter()
    return [Stamp(request_id, row, now, client) for row in range(rows)]


def _by_records(columns: Columns, rows: int, record: type[RecordBase]) -> list[RecordBase]:
    """The record model's own verdict, row by row, as /predict parses (from JSON)."""
    names = list(columns)
    listed = [dict(zip(names, row, strict=True)) for row in zip(*columns.values(), strict=True)]
    try:
        return _adapter(record).validate_json(to_json(listed))
    except ValidationError as invalid:
        errors = invalid.errors(include_url=False, include_context=False, include_input=False)
        raise ColumnsRefused([_in_columns(e) for e in errors]) from None


@functools.cache
def _adapter(record: type[RecordBase]) -> TypeAdapter[list[RecordBase]]:
    """The validator of a list of records (built once per record model: ~ms to build)."""
    return TypeAdapter(list[record])  # type: ignore[valid-type]


def _in_columns(error: Any) -> Error:
    """A record error (loc: row, field...) located in the columns: ["columns", field, row]."""
    row, *field = error["loc"]
    return {**error, "loc": ["columns", *field, row]}


def fast_columns(
    columns: Columns, rows: int, form: ColumnForm
) -> tuple[list[str], dict[str, np.ndarray], list[str | None]] | None:
    """(times, model columns, row keys) when every column is certainly valid; None: unsure."""
    when = _event_times(columns, form)
    if when is None:
        return None
    model: dict[str, np.ndarray] = {EVENT_TIME: when.astype("datetime64[ns]")}
    vocabulary = form.vocabulary
    refused = set(refused_columns(form.spec)) if vocabulary else set()
    for name, col in form.spec.features.items():
        if name not in columns:
            if not col.nullable:
                return None  # required: the record model says so, for each row
            # nullable and not sent: null in every record, as the record model defaults it
            text = col.dtype == "str"
            model[name] = np.full(rows, None, object) if text else np.full(rows, np.nan)
            continue
        check = vocabulary.checker(name) if vocabulary and name in refused else None
        found = _feature(columns[name], col, check)
        if found is None:
            return None
        model[name] = found
    iso = np.datetime_as_string(when, unit="s").tolist()
    keys = _keys(columns, form, when, iso, rows)
    return None if keys is None else (iso, model, keys)


def _feature(values: list[Any], col: Column, check: checks.Check | None) -> np.ndarray | None:
    """One feature column as the model reads it; None: unsure."""
    if col.dtype == "str":
        return checks.text(values, col, check)
    if col.dtype == "date":  # not a feature dtype lifecycle.features builds: the record path
        return None
    return checks.number(values, col)


def _event_times(columns: Columns, form: ColumnForm) -> np.ndarray | None:
    """The records' event times (datetime64[s]), sent one way only; None: unsure."""
    time_spec = form.spec.time
    sent = [name for name in time_spec.columns if name in columns]
    if EVENT_TIME in columns:
        return checks.naive_times(columns[EVENT_TIME]) if not sent else None
    if len(sent) != len(time_spec.columns):
        return None
    if time_spec.timestamp is not None:
        values = columns[time_spec.timestamp]
        if time_spec.zone is None:
            return checks.naive_times(values)
        return checks.zoned_times(values, time_spec.zone)
    assert time_spec.date is not None  # TimeSpec: a date or a timestamp
    days = checks.dates(columns[time_spec.date])
    if days is None:
        return None
    moments = days.astype("datetime64[s]")
    if time_spec.hour is None:
        return moments
    hours = checks.number(columns[time_spec.hour], form.spec.columns[time_spec.hour])
    # the record model's hour field takes 0-23 whatever the column declares (record_fields)
    if hours is None or not ((hours >= 0) & (hours <= 23)).all():
        return None
    return moments + hours.astype("timedelta64[h]")


def _keys(
    columns: Columns, form: ColumnForm, when: np.ndarray, iso: list[str], rows: int
) -> list[str | None] | None:
    """Each record's row key as RecordBase.row_key gives it; None: unsure."""
    spec, record = form.spec, form.record
    if spec.keyed_by_time:
        return list(iso)
    ids = record.id_parts
    sent = [name for name in ids if name in columns]
    if ids and not sent:
        return [None] * rows  # no row key sent (all or none: checked per row otherwise)
    if len(sent) != len(ids):
        return None
    parts = [_key_part(name, columns, form, when) for name in spec.key_columns]
    if any(part is None for part in parts):
        return None
    return [key_text(values) for values in zip(*parts, strict=True)]


def _key_part(name: str, columns: Columns, form: ColumnForm, when: np.ndarray) -> list[Any] | None:
    """One key column's values as the record model holds them (None: unsure)."""
    spec = form.spec
    if name in spec.time.columns:  # from the event time, however it was sent (_key_value)
        if name == spec.time.columns[0]:
            return np.datetime_as_string(when, unit="D").tolist()
        return (when.astype("datetime64[h]") - when.astype("datetime64[D]")).astype(int).tolist()
    values, col = columns[name], spec.columns[name]
    if col.dtype == "str":
        return None if checks.text(values, col) is None else list(values)
    if col.dtype == "date":
        return None if checks.dates(values) is None else list(values)
    found = checks.number(values, col)
    if found is None:
        return None
    cast = {"int": int, "bool": bool}.get(col.dtype, float)
    return [cast(v) for v in values]
