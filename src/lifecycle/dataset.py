"""The dataset definition: a typed view of `data/datasets/*.yaml`, plus reading the source."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from lifecycle.tasks import Task

EVENT_TIME = "event_time"  # the column every layer uses for "when did this row happen"

Dtype = Literal["int", "float", "date"]
Kind = Literal["numeric", "binary", "categorical"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Column(_Strict):
    """One source column and the rule it must follow."""

    dtype: Dtype
    min: float | None = None
    max: float | None = None
    values: list[int] | None = None
    feature: bool = False
    kind: Kind | None = None
    doc: str = ""

    @model_validator(mode="after")
    def _check(self) -> Column:
        if self.feature and self.kind is None:
            raise ValueError("a feature column needs a `kind` (numeric, binary or categorical)")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min {self.min} is above max {self.max}")
        return self


class TimeSpec(_Strict):
    """Which columns make up a row's event time."""

    date: str
    hour: str | None = None


class DatasetSpec(_Strict):
    """Everything the pipeline, the service and monitoring need to know about the table."""

    name: str
    source: Path
    task: Task
    target: str
    time: TimeSpec
    leaky: list[str] = Field(default_factory=list)
    columns: dict[str, Column]

    @model_validator(mode="after")
    def _check(self) -> DatasetSpec:
        named = [self.target, self.time.date, *([self.time.hour] if self.time.hour else [])]
        missing = [c for c in [*named, *self.leaky] if c not in self.columns]
        if missing:
            raise ValueError(f"columns named but not declared under `columns`: {missing}")
        bad = [c for c in [self.target, *self.leaky] if self.columns[c].feature]
        if bad:
            raise ValueError(f"the target and leaky columns cannot be features: {bad}")
        if not self.features:
            raise ValueError("no column is marked `feature: true`")
        self._check_target()
        return self

    def _check_target(self) -> None:
        """The target's declared type must fit the task (binary 0/1 labels for classification)."""
        col = self.columns[self.target]
        if col.dtype == "date":
            raise ValueError(f"the target `{self.target}` is a date; it must be int or float")
        if self.task == "classification" and (col.dtype != "int" or col.values != [0, 1]):
            raise ValueError(
                f"a classification target must be declared `dtype: int, values: [0, 1]` "
                f"(binary labels, 1 = the positive class); `{self.target}` has "
                f"dtype {col.dtype} and values {col.values}"
            )

    @property
    def features(self) -> dict[str, Column]:
        """The columns a client sends and the model reads, in declared order."""
        return {name: col for name, col in self.columns.items() if col.feature}

    def features_of(self, kind: Kind) -> list[str]:
        """Names of the feature columns of one kind."""
        return [name for name, col in self.features.items() if col.kind == kind]

    @property
    def model_inputs(self) -> list[str]:
        """The columns of a model input frame: event time first, then the features."""
        return [EVENT_TIME, *self.features]


def load_spec(path: str | Path) -> DatasetSpec:
    """Read and validate a dataset definition file."""
    with open(path) as fh:
        raw = yaml.safe_load(fh)
    return DatasetSpec.model_validate(raw)


def event_time(frame: pd.DataFrame, spec: DatasetSpec) -> pd.Series:
    """Build the event time from the date (and hour) columns; unparsable dates become NaT."""
    when = pd.to_datetime(frame[spec.time.date], errors="coerce", format="mixed")
    if spec.time.hour:
        hours = pd.to_numeric(frame[spec.time.hour], errors="coerce")
        when = when + pd.to_timedelta(hours, unit="h")
    return when.rename(EVENT_TIME)


class SourceError(ValueError):
    """The source table cannot be read as the dataset definition says (e.g. no time column)."""


def read_source(spec: DatasetSpec, root: Path = Path(".")) -> pd.DataFrame:
    """Read the source table as it is on disk, with an added event-time column.

    Without a usable time there is nothing to split or validate, so a missing time column, or
    one where no value parses, stops here. Single bad rows are kept for validation to report.
    """
    path = root / spec.source
    frame = pd.read_csv(path)
    missing = [c for c in (spec.time.date, spec.time.hour) if c and c not in frame.columns]
    if missing:
        raise SourceError(
            f"{path} has no column {missing}, named under `time:` in the dataset definition; "
            f"columns found: {list(frame.columns)}"
        )
    frame[EVENT_TIME] = event_time(frame, spec)
    if len(frame) and frame[EVENT_TIME].isna().all():
        example = frame[spec.time.date].iloc[0]
        raise SourceError(
            f"{path}: no value of the time column `{spec.time.date}` parses as a date "
            f"(first value {example!r}); fix `time:` in the dataset definition or the column"
        )
    return frame


def model_frame(frame: pd.DataFrame, spec: DatasetSpec) -> pd.DataFrame:
    """Select the model inputs, with features as float64 (MLflow signatures want no ints)."""
    out = frame[spec.model_inputs].copy()
    feats = list(spec.features)
    out[feats] = out[feats].astype("float64")
    return out.reset_index(drop=True)
