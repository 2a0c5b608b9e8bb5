"""The columns monitoring compares, derived from the dataset definition, and their checks."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from lifecycle.columns import Column
from lifecycle.dataset import EVENT_TIME, DatasetSpec
from lifecycle.prediction_log import COLUMNS as LOG_COLUMNS

HOUR = "event_hour"  # hour of day of the event time: the part of it that can drift in a window
PREDICTION = "prediction"  # the model's output (a classifier's: P(positive)), log and reference
LABEL = "predicted_label"  # a classifier's predicted class, in the log and in the reference


@dataclass(frozen=True)
class Columns:
    """What the drift report looks at, by Evidently column type."""

    numerical: list[str]
    categorical: list[str]

    @property
    def features(self) -> list[str]:
        """Every monitored input column (the denominator of the drift share)."""
        return [*self.numerical, *self.categorical]

    def without(self, names: list[str]) -> Columns:
        """The same columns, less `names`."""
        return Columns(
            [c for c in self.numerical if c not in names],
            [c for c in self.categorical if c not in names],
        )


def monitored_columns(spec: DatasetSpec) -> Columns:
    """Numeric features are numerical; binary (bool too) and categorical ones (text too), plus
    the hour, categorical."""
    # The log's own columns (row_key, model_version, ...) would overwrite a feature of the name.
    taken = sorted(({HOUR, PREDICTION, LABEL} | set(LOG_COLUMNS)) & set(spec.columns))
    if taken:
        raise ValueError(
            f"the dataset defines {taken}: names monitoring and the prediction log use; rename "
            "the column(s)"
        )
    categorical = [*spec.features_of("binary"), *spec.features_of("categorical"), HOUR]
    return Columns(numerical=spec.features_of("numeric"), categorical=categorical)


def positive_class(spec: DatasetSpec) -> int | None:
    """A binary classifier's positive class (the target's last allowed value); None: regression."""
    if spec.task != "classification":
        return None
    # int: a classification target is declared `dtype: int, values: [0, 1]` (DatasetSpec checks)
    return int((spec.columns[spec.target].values or [0, 1])[-1])


def as_float(values: pd.Series) -> pd.Series:
    """Numbers and bools as float64; gaps and anything that is no number become NaN."""
    if isinstance(values.dtype, np.dtype) and values.dtype.kind in "fiub":
        return values.astype("float64")  # already numbers (the common case): no per-value work
    # via object: a nullable `boolean` or text column converts like a plain one
    return pd.to_numeric(values.astype(object), errors="coerce").astype("float64")


def as_text(values: pd.Series) -> pd.Series:
    """Text categories as Python strings, gaps as None (what Evidently compares as categories)."""
    text = values.astype(object)
    present = text.notna()
    text[present] = text[present].astype(str)
    return text.where(present, None)


def _broken(values: pd.Series, col: Column) -> int:
    """Rows of one feature that break the definition: a gap where none is allowed, or a value
    that is no number in a numeric or bool feature. Gaps of a nullable feature are fine."""
    gaps = values.isna()
    broken = 0 if col.nullable else int(gaps.sum())
    if col.dtype != "str":
        broken += int((as_float(values).isna() & ~gaps).sum())
    return broken


def schema_problems(frame: pd.DataFrame, spec: DatasetSpec, what: str) -> list[str]:
    """Why `frame` cannot be compared feature by feature (empty list when it can)."""
    needed = [EVENT_TIME, *spec.features]
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        return [f"the {what} has no column {missing} (the dataset definition's features)"]
    bad = {}
    if count := int(frame[EVENT_TIME].isna().sum()):
        bad[EVENT_TIME] = count
    for name, col in spec.features.items():
        if count := _broken(frame[name], col):
            bad[name] = count
    if bad:
        return [
            f"the {what} has missing or non-numeric values where the dataset definition allows "
            f"none (rows per column): {bad}"
        ]
    return []


def monitor_frame(frame: pd.DataFrame, spec: DatasetSpec) -> pd.DataFrame:
    """The frame Evidently sees: numbers and bools as float, text as strings (gaps NaN or None),
    the hour, prediction and target if present."""
    out = pd.DataFrame(index=frame.index)
    for name, col in spec.features.items():
        out[name] = as_text(frame[name]) if col.dtype == "str" else as_float(frame[name])
    out[HOUR] = pd.to_datetime(frame[EVENT_TIME]).dt.hour.astype("int64")
    for name in (PREDICTION, LABEL, spec.target):  # float: a label may be missing (NaN)
        if name in frame.columns:
            out[name] = as_float(frame[name])
    return out.reset_index(drop=True)


def empty_columns(columns: Columns, *frames: pd.DataFrame) -> list[str]:
    """Monitored columns without a single value in one of the frames: Evidently refuses to
    measure drift on an empty column (a nullable feature may be all gaps in a window)."""
    return [c for c in columns.features if any(f[c].isna().all() for f in frames)]


def compared_rows(current: pd.DataFrame, target: str | None, positive: int | None) -> pd.DataFrame:
    """The rows of the window the report compares: all of them, or a labelled classifier's
    labelled rows only."""
    if target is None or positive is None:
        return current
    # Evidently's classification metrics need integer classes on every row it sees, so a
    # classifier's window is compared on its labelled rows (monitor_window notes it).
    return current[current[target].notna()]


def sample(frame: pd.DataFrame, rows: int | None, seed: int) -> pd.DataFrame:
    """At most `rows` rows, drawn without replacement (the frame itself when it is small)."""
    if rows is None or len(frame) <= rows:
        return frame
    return frame.sample(n=rows, random_state=seed).sort_index()
