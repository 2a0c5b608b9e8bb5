"""Reading the source table as its definition says: text kept as text, gaps where the
definition allows them, bools and floats typed, and the event time built from the time columns."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from lifecycle.columns import EVENT_TIME
from lifecycle.dataset import DatasetSpec

# Spellings a bool column may use in the source (read as text, so nothing is guessed).
BOOL_TEXT = {"true": True, "false": False, "1": True, "0": False}
# A time of day followed by a UTC offset: Z, UTC or GMT, or +HH, +HHMM, +HH:MM (a date alone
# such as 2024-01-01 must not read as an offset of -01).
_OFFSET = r"(?i)\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(?:Z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)$"
# What pandas reads as a gap in a number column by default; a text column keeps all of these
# as text (a country code NA, a product called None) and only an empty cell is a gap.
NUMBER_GAPS = [
    "",
    "#N/A",
    "#N/A N/A",
    "#NA",
    "-1.#IND",
    "-1.#QNAN",
    "-NaN",
    "-nan",
    "1.#IND",
    "1.#QNAN",
    "<NA>",
    "N/A",
    "NA",
    "NULL",
    "NaN",
    "None",
    "n/a",
    "nan",
    "null",
]


def parse_timestamps(text: pd.Series, zone: str | None) -> pd.Series:
    """Timestamps as naive wall-clock times; NaT where a value breaks the zone rule or is no time.

    With a zone, every value must carry a UTC offset and is converted to that zone; without
    one, no value may carry an offset. A mix of both is a data error, never guessed around.
    """
    raw = text.astype("string").str.strip()
    offset = raw.str.contains(_OFFSET, regex=True, na=False)
    if zone is None:
        return pd.to_datetime(raw.where(~offset), errors="coerce", format="mixed")
    aware = pd.to_datetime(raw.where(offset), errors="coerce", format="mixed", utc=True)
    return aware.dt.tz_convert(zone).dt.tz_localize(None)


def event_time(frame: pd.DataFrame, spec: DatasetSpec) -> pd.Series:
    """Build the event time from the time columns; values that do not parse become NaT."""
    if spec.time.timestamp is not None:
        return parse_timestamps(frame[spec.time.timestamp], spec.time.zone).rename(EVENT_TIME)
    when = pd.to_datetime(frame[spec.time.date], errors="coerce", format="mixed")
    if spec.time.hour:
        hours = pd.to_numeric(frame[spec.time.hour], errors="coerce")
        when = when + pd.to_timedelta(hours, unit="h")
    return when.rename(EVENT_TIME)


class SourceError(ValueError):
    """The source table cannot be read as the dataset definition says (e.g. no time column)."""


_TEXT = ("str", "bool", "date", "timestamp")


def _text_columns(spec: DatasetSpec) -> dict[str, type]:
    """Columns read as text, so that codes like '007' or 'True' are not guessed into numbers."""
    return {name: str for name, col in spec.columns.items() if col.dtype in _TEXT}


def _gap_values(spec: DatasetSpec) -> dict[str, list[str]]:
    """Per column, the cells that count as a gap: only the empty cell in text columns."""
    return {n: [""] if c.dtype in _TEXT else NUMBER_GAPS for n, c in spec.columns.items()}


def _bools(frame: pd.DataFrame, spec: DatasetSpec, path: Path) -> None:
    """Turn bool columns into True/False; a value that is no bool stops here, named, because a
    column of flags and stray text could not even be stored for validate to report it."""
    for name, col in spec.columns.items():
        if col.dtype == "bool" and name in frame:
            lowered = frame[name].str.strip().str.lower()
            odd = frame[name].notna() & ~lowered.isin(BOOL_TEXT)
            if odd.any():
                shown = ", ".join(
                    f"row {i}: {v!r}" for i, v in frame.loc[odd, name].head(5).items()
                )
                raise SourceError(
                    f"{path}: bool column `{name}` has {int(odd.sum())} value(s) that are not "
                    f"{'/'.join(BOOL_TEXT)} ({shown}); fix the data, or declare it `dtype: str`"
                )
            frame[name] = lowered.map(BOOL_TEXT).astype(object)


def _floats(frame: pd.DataFrame, spec: DatasetSpec) -> None:
    """A float column of whole numbers (euros, say) reads as int64: make it the float it is."""
    for name, col in spec.columns.items():
        if col.dtype == "float" and name in frame and pd.api.types.is_integer_dtype(frame[name]):
            frame[name] = frame[name].astype("float64")


def read_source(spec: DatasetSpec, root: Path = Path(".")) -> pd.DataFrame:
    """Read the source table as it is on disk, with an added event-time column.

    Without a usable time there is nothing to split or validate, so a missing time column, or
    one where no value parses, stops here. Single bad rows are kept for validation to report.
    """
    path = root / spec.source
    frame = pd.read_csv(
        path, dtype=_text_columns(spec), keep_default_na=False, na_values=_gap_values(spec)
    )
    missing = [c for c in spec.time.columns if c not in frame.columns]
    if missing:
        raise SourceError(
            f"{path} has no column {missing}, named under `time:` in the dataset definition; "
            f"columns found: {list(frame.columns)}"
        )
    _bools(frame, spec, path)
    _floats(frame, spec)
    try:
        frame[EVENT_TIME] = event_time(frame, spec)
    except (ValueError, TypeError) as err:  # e.g. pandas' "Mixed timezones detected"
        raise SourceError(f"{path}: the time columns {list(spec.time.columns)}: {err}") from err
    if len(frame) and frame[EVENT_TIME].isna().all():
        raise SourceError(_no_time_message(path, frame, spec))
    return frame


def _no_time_message(path: Path, frame: pd.DataFrame, spec: DatasetSpec) -> str:
    name = spec.time.columns[0]
    example = str(frame[name].iloc[0])
    if spec.time.timestamp is not None:
        has_offset = bool(pd.Series([example]).str.contains(_OFFSET, regex=True).iloc[0])
        if has_offset and spec.time.zone is None:
            return (
                f"{path}: `{name}` values carry a UTC offset (first value {example!r}) but "
                "the definition sets no `time.zone`; add e.g. `zone: UTC` under `time:`"
            )
        if not has_offset and spec.time.zone is not None:
            return (
                f"{path}: `{name}` values have no UTC offset (first value {example!r}) but "
                f"`time.zone` is {spec.time.zone!r}; remove `zone` for local times"
            )
    return (
        f"{path}: no value of the time column `{name}` parses as a date or time "
        f"(first value {example!r}); fix `time:` in the dataset definition or the column"
    )
