"""Column-at-a-time checks for POST /predict_columns: each says "certainly valid" or "unsure".

A check returns the column as the model reads it (numbers as float64 with NaN for null, text as
objects with None, times as datetime64) when every value is certainly one that the record model
(schemas.record_model) accepts, and None when it is unsure. It may be unsure of a valid value (the
record model then decides, row by row: serving.columnar); it must never pass a value the record
model refuses. So only the plain, common forms are taken here: a JSON number of the right kind in
range, a known category, an ISO date or time written the way Python writes it back.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable
from typing import Any, Literal

import numpy as np
import pandas as pd

from lifecycle.columns import Column

Values = list[Any]
Check = Callable[[Any], Any]  # an extra check on one value (vocabulary.Vocabulary.checker)
EXACT = 2.0**53  # above this a float64 no longer holds every int: compare in Python instead
FIRST_DAY = np.datetime64("0001-01-01")  # numpy reads earlier (negative) years; Python cannot
# A timestamp with its UTC offset, whole seconds, as Python's isoformat() writes it (or Z)
OFFSET_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:Z|[+-](?:0\d|1[0-4]):[0-5]\d)")
NONE = type(None)
# Years whose zone offsets pandas gives as zoneinfo does (its datetime64[ns] range is 1677-2262;
# before it pandas applied Paris's standard offset where zoneinfo has local mean time)
PANDAS_YEARS = ("1700", "2200")
ISO_LENGTH = {"D": len("2012-06-01"), "s": len("2012-06-01T08:00:00")}


def _types(values: Values) -> set[type]:
    return set(map(type, values))


def _number_types(col: Column) -> set[type]:
    """The JSON value types a strict field of `col` takes (bool is not an int here)."""
    if col.dtype == "bool":
        return {bool}
    if col.dtype == "int" or col.values:  # allowed values: compared as ints, like Literal
        return {int}
    return {int, float}


def _in_rule(present: np.ndarray, col: Column) -> bool:
    """Every value is one of `col.values`, or within [min, max]."""
    if not len(present):
        return True
    if col.values is not None:
        return bool(np.isin(present, np.asarray(col.values, dtype="float64")).all())
    low, high = present.min(), present.max()
    return (col.min is None or low >= col.min) and (col.max is None or high <= col.max)


def number(values: Values, col: Column) -> np.ndarray | None:
    """An int, float or bool column as float64 (NaN where null was sent); None: unsure."""
    allowed = _number_types(col) | ({NONE} if col.nullable else set())
    if not _types(values) <= allowed:
        return None
    try:
        x = np.array(values, dtype="float64")
    except OverflowError:  # an int beyond any float: the record model says what it makes of it
        return None
    gaps = np.isnan(x)
    if int(gaps.sum()) != values.count(None):  # a NaN that was sent as a number: not finite
        return None
    present = x[~gaps]
    if not np.isfinite(present).all() or (len(present) and np.abs(present).max() >= EXACT):
        return None
    return x if _in_rule(present, col) else None


def text(values: Values, col: Column, check: Check | None = None) -> np.ndarray | None:
    """A text column as objects (None where null was sent); None: unsure."""
    if not _types(values) <= ({str, NONE} if col.nullable else {str}):
        return None
    distinct = set(values) - {None}
    if col.values is not None and not distinct <= set(col.values):
        return None
    if "" in distinct:  # an empty string is no category (record_fields: min_length 1)
        return None
    if check is not None:
        try:
            for value in distinct:
                check(value)
        except ValueError:  # PydanticCustomError is one: the record model gives the message
            return None
    return np.array(values, dtype=object)


def _iso(values: Values, unit: Literal["D", "s"]) -> np.ndarray | None:
    """ISO dates (unit D) or naive times to the second (unit s), written as Python writes them."""
    if _types(values) != {str} or set(map(len, values)) != {ISO_LENGTH[unit]}:
        return None
    try:
        with warnings.catch_warnings():  # numpy warns of (and reads) a Z or an offset
            warnings.simplefilter("ignore")
            moments = np.array(values, dtype=f"datetime64[{unit}]")
    except ValueError:
        return None
    if np.isnat(moments).any() or (moments < FIRST_DAY).any():  # "NaT" would parse as NaT
        return None
    written = np.datetime_as_string(moments, unit=unit)
    return moments if bool((written == np.asarray(values)).all()) else None


def dates(values: Values) -> np.ndarray | None:
    """A date column (YYYY-MM-DD) as datetime64[D]; None: unsure."""
    return _iso(values, "D")


def naive_times(values: Values) -> np.ndarray | None:
    """Local times without UTC offset (YYYY-MM-DDTHH:MM:SS) as datetime64[s]; None: unsure."""
    return _iso(values, "s")


def zoned_times(values: Values, zone: str) -> np.ndarray | None:
    """Times with their UTC offset, as the naive wall-clock time in `zone` (datetime64[s]), as
    record_fields.wall_clock turns them; None: unsure."""
    if _types(values) != {str} or not all(OFFSET_TIME.fullmatch(v) for v in values):
        return None
    if min(values)[:4] < PANDAS_YEARS[0] or max(values)[:4] > PANDAS_YEARS[1]:
        return None  # outside pandas' nanosecond range its zone rules are not zoneinfo's
    try:
        moments = pd.to_datetime(pd.Series(values), format="ISO8601", utc=True)
    except (ValueError, OverflowError):
        return None
    local = moments.dt.tz_convert(zone).dt.tz_localize(None)
    return local.to_numpy(dtype="datetime64[s]")
