"""The dataset definition: a typed view of `data/datasets/*.yaml`, the model's input frame and
the row key (reading the source table is lifecycle.source)."""

from __future__ import annotations

import datetime as dt
import json
import zoneinfo
from pathlib import Path

import pandas as pd
import yaml
from pydantic import Field, model_validator

from lifecycle.columns import EVENT_TIME, Column, Kind, Strict, TimeSpec
from lifecycle.tasks import Task


class DatasetSpec(Strict):
    """Everything the pipeline, the service and monitoring need to know about the table."""

    name: str
    source: Path
    task: Task
    target: str
    time: TimeSpec
    # What makes a row unique, and what labels are joined on: column names, or [event_time]
    # for "one row per event time".
    # Required in effect: _check_key says what to write when it is missing or empty.
    key: list[str] = Field(default_factory=list)
    leaky: list[str] = Field(default_factory=list)
    columns: dict[str, Column]

    @model_validator(mode="after")
    def _check(self) -> DatasetSpec:
        if EVENT_TIME in self.columns:
            raise ValueError(f"`{EVENT_TIME}` is built from `time:`; no column may be named so")
        keys = [c for c in self.key if c != EVENT_TIME]  # checked before key_columns can be
        missing = [c for c in [self.target, *self.time.columns, *self.leaky, *keys]
                   if c not in self.columns]  # fmt: skip
        if missing:
            raise ValueError(f"columns named but not declared under `columns`: {missing}")
        bad = [c for c in [self.target, *self.leaky, *keys] if self.columns[c].feature]
        if bad:
            raise ValueError(f"the target, leaky and key columns cannot be features: {bad}")
        if not self.features:
            raise ValueError("no column is marked `feature: true`")
        self._check_time()
        self._check_key(keys)
        self._check_target()
        return self

    def _check_time(self) -> None:
        for name, dtype in self.time.dtypes().items():
            if self.columns[name].dtype != dtype:
                raise ValueError(
                    f"time column `{name}` must be declared `dtype: {dtype}`, "
                    f"not {self.columns[name].dtype}"
                )
            if self.columns[name].nullable:
                raise ValueError(f"time column `{name}` cannot be nullable (max_missing > 0)")

    def _check_key(self, keys: list[str]) -> None:
        if not self.key or len(set(self.key)) != len(self.key):
            raise ValueError(
                "`key` (required) must name one or more distinct columns that make a row unique "
                f"(e.g. [order_id]), or [{EVENT_TIME}] for one row per event time"
            )
        if self.key != [EVENT_TIME] and EVENT_TIME in self.key:
            raise ValueError(f"`{EVENT_TIME}` is a key on its own ([{EVENT_TIME}]) or not at all")
        odd = [c for c in keys if self.columns[c].dtype not in ("int", "str", "date")]
        if odd:
            raise ValueError(
                f"key columns must be int, str or date (for a time: [{EVENT_TIME}]): {odd}"
            )
        if self.keyed_by_time and _has_summer_time(self.time.zone):
            raise ValueError(
                f"key [{EVENT_TIME}] with `time.zone: {self.time.zone}`: when clocks go back, two "
                "different instants share one local time, so the key cannot be unique; key the "
                "rows by their own id, or read the times in a zone without summer time (UTC)"
            )
        nullable = [c for c in keys if self.columns[c].nullable]
        if nullable:
            raise ValueError(f"key columns cannot be nullable (max_missing > 0): {nullable}")

    def _check_target(self) -> None:
        """The target's declared type must fit the task (binary 0/1 labels for classification)."""
        col = self.columns[self.target]
        if col.nullable:
            raise ValueError(
                f"the target `{self.target}` cannot be nullable: a row without a label cannot be "
                "trained or judged on; drop such rows from the source (set max_missing: 0)"
            )
        if col.dtype not in ("int", "float"):
            raise ValueError(
                f"the target `{self.target}` is a {col.dtype}; it must be int or float"
            )
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

    @property
    def keyed_by_time(self) -> bool:
        """True when a row is identified by its event time alone (one row per event time)."""
        return self.key == [EVENT_TIME]

    @property
    def key_columns(self) -> list[str]:
        """The source columns a client sends as the row key (none when keyed by event time)."""
        return [] if self.keyed_by_time else list(self.key)


def _has_summer_time(zone: str | None) -> bool:
    """True when the zone's UTC offset changes over the year (local times repeat in autumn)."""
    if zone is None:
        return False
    tz = zoneinfo.ZoneInfo(zone)
    offsets = {dt.datetime(2024, month, 1, tzinfo=tz).utcoffset() for month in (1, 7)}
    return len(offsets) > 1


def load_spec(path: str | Path) -> DatasetSpec:
    """Read and validate a dataset definition file."""
    with open(path) as fh:
        raw = yaml.safe_load(fh)
    return DatasetSpec.model_validate(raw)


def model_frame(frame: pd.DataFrame, spec: DatasetSpec) -> pd.DataFrame:
    """Select the model inputs: numbers and bools as float64 (MLflow signatures want no ints),
    text as Python strings, gaps as NaN (numbers) or None (text)."""
    out = frame[spec.model_inputs].copy()
    for name, col in spec.features.items():
        if col.dtype == "str":
            out[name] = out[name].astype(object).where(out[name].notna(), None)
        else:
            out[name] = pd.to_numeric(out[name].astype(object), errors="coerce").astype("float64")
    return out.reset_index(drop=True)


def key_text(values: tuple[object, ...]) -> str:
    """One row key as text: the value itself for a one-column key, else a JSON array."""
    if len(values) == 1:
        return str(values[0])
    return json.dumps([v if isinstance(v, int | float | str) else str(v) for v in values])


def row_keys(frame: pd.DataFrame, spec: DatasetSpec) -> pd.Series:
    """Each row's key as text: what the prediction log stores and labels are joined on."""
    if spec.keyed_by_time:
        return frame[EVENT_TIME].dt.strftime("%Y-%m-%dT%H:%M:%S").rename("row_key")
    parts = frame[spec.key_columns].astype(object)
    for name in spec.key_columns:  # as a client's JSON value is read back by the service
        dtype = spec.columns[name].dtype
        if dtype == "date":  # ISO text, whatever the CSV wrote
            days = pd.to_datetime(frame[name], errors="coerce", format="mixed")
            parts[name] = days.dt.strftime("%Y-%m-%d").astype(object)
        elif dtype == "int":  # one blank cell makes pandas read the column as floats: 12, not 12.0
            whole = pd.to_numeric(frame[name], errors="coerce").astype("Int64")
            parts[name] = whole.astype(object).where(whole.notna(), None)
    texts = [  # a row missing part of its key has none (such a row fails validate anyway)
        None if any(pd.isna(v) for v in row) else key_text(tuple(row))
        for row in parts.itertuples(index=False)
    ]
    return pd.Series(texts, index=frame.index, name="row_key", dtype=object)
