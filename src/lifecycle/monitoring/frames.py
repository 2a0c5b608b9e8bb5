"""The columns monitoring compares, derived from the dataset definition, and their checks."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from lifecycle.dataset import EVENT_TIME, DatasetSpec

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


def monitored_columns(spec: DatasetSpec) -> Columns:
    """Numeric features are numerical; binary and categorical ones, plus the hour, categorical."""
    if {HOUR, PREDICTION, LABEL} & set(spec.columns):
        raise ValueError(
            f"the dataset defines '{HOUR}', '{PREDICTION}' or '{LABEL}', names monitoring uses"
        )
    categorical = [*spec.features_of("binary"), *spec.features_of("categorical"), HOUR]
    return Columns(numerical=spec.features_of("numeric"), categorical=categorical)


def positive_class(spec: DatasetSpec) -> int | None:
    """A binary classifier's positive class (the target's last allowed value); None: regression."""
    if spec.task != "classification":
        return None
    return (spec.columns[spec.target].values or [0, 1])[-1]


def schema_problems(frame: pd.DataFrame, spec: DatasetSpec, what: str) -> list[str]:
    """Why `frame` cannot be compared feature by feature (empty list when it can)."""
    needed = [EVENT_TIME, *spec.features]
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        return [f"the {what} has no column {missing} (the dataset definition's features)"]
    bad = {}
    for col in [EVENT_TIME, *spec.features]:
        values = frame[col] if col == EVENT_TIME else pd.to_numeric(frame[col], errors="coerce")
        if count := int(values.isna().sum()):
            bad[col] = count
    if bad:
        return [f"the {what} has missing or non-numeric values (rows per column): {bad}"]
    return []


def monitor_frame(frame: pd.DataFrame, spec: DatasetSpec) -> pd.DataFrame:
    """The frame Evidently sees: features as float, the hour, prediction and target if present."""
    out = pd.DataFrame(index=frame.index)
    for col in spec.features:
        out[col] = pd.to_numeric(frame[col], errors="coerce").astype("float64")
    out[HOUR] = pd.to_datetime(frame[EVENT_TIME]).dt.hour.astype("int64")
    for col in (PREDICTION, LABEL, spec.target):  # float: a label may be missing (NaN)
        if col in frame.columns:
            out[col] = pd.to_numeric(frame[col], errors="coerce").astype("float64")
    return out.reset_index(drop=True)


def sample(frame: pd.DataFrame, rows: int | None, seed: int) -> pd.DataFrame:
    """At most `rows` rows, drawn without replacement (the frame itself when it is small)."""
    if rows is None or len(frame) <= rows:
        return frame
    return frame.sample(n=rows, random_state=seed).sort_index()
