"""One column of the dataset definition, and the event-time declaration: typed, checked once."""

from __future__ import annotations

import zoneinfo
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

EVENT_TIME = "event_time"  # the column every layer uses for "when did this row happen"

Dtype = Literal["int", "float", "bool", "str", "date", "timestamp"]
Kind = Literal["numeric", "binary", "categorical"]
# What an open-vocabulary text feature does with a category its model never saw in training.
Unseen = Literal["other", "refuse"]
KINDS: dict[str, tuple[str, ...]] = {  # which kinds of feature each dtype can be
    "int": ("numeric", "binary", "categorical"),
    "float": ("numeric",),
    "bool": ("binary",),
    "str": ("categorical",),
    "date": (),
    "timestamp": (),
}


class Strict(BaseModel):
    """Unknown keys are errors, and a definition never changes once read."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Column(Strict):
    """One source column and the rule it must follow."""

    dtype: Dtype
    min: float | None = None
    max: float | None = None
    values: list[int] | list[str] | None = None
    unseen: Unseen | None = None
    # Share of rows that may be empty; 0 (the default) = never. The model imputes the gaps.
    max_missing: float = Field(0.0, ge=0.0, le=1.0)
    feature: bool = False
    kind: Kind | None = None
    doc: str = ""

    @property
    def nullable(self) -> bool:
        """True when the column may be empty in some rows (and a request may send null)."""
        return self.max_missing > 0

    @property
    def open_vocabulary(self) -> bool:
        """A text feature whose categories are learnt from the data, not declared."""
        return self.dtype == "str" and self.values is None and self.unseen is not None

    @model_validator(mode="after")
    def _check(self) -> Column:
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min {self.min} is above max {self.max}")
        if (self.min is not None or self.max is not None) and self.dtype not in ("int", "float"):
            raise ValueError(f"`min`/`max` apply to int and float columns, not {self.dtype}")
        self._check_values()
        if self.feature:
            self._check_feature()
        return self

    def _check_values(self) -> None:
        if self.unseen is not None and self.dtype != "str":
            raise ValueError(f"`unseen` applies to text (dtype: str) columns, not {self.dtype}")
        if self.values is None:
            return
        wanted = {"int": int, "str": str}.get(self.dtype)
        if wanted is None:
            raise ValueError(f"`values` apply to int and str columns, not {self.dtype}")
        if not self.values or not all(type(v) is wanted for v in self.values):
            raise ValueError(
                f"`values` of a {self.dtype} column must be a list of {self.dtype}s (YAML reads "
                "yes, no, on, off as bools and 001 as a number: quote them, e.g. ['yes', 'no'])"
            )
        if self.unseen is not None:
            raise ValueError(
                "`unseen` is for open-vocabulary text (no `values`); with `values` the set is "
                "closed and any other value is refused"
            )

    def _check_feature(self) -> None:
        if self.kind is None:
            raise ValueError("a feature column needs a `kind` (numeric, binary or categorical)")
        if self.kind not in KINDS[self.dtype]:
            allowed = ", ".join(KINDS[self.dtype]) or "none: use it as the event time instead"
            raise ValueError(f"a {self.dtype} feature cannot be kind {self.kind} ({allowed})")
        if self.kind == "categorical" and self.dtype == "int" and self.values is None:
            raise ValueError(
                "an int categorical feature needs its `values` (the codes it may take); for an "
                "open set of labels, declare it `dtype: str` with `unseen: other | refuse`"
            )
        if self.dtype == "str" and self.values is None and self.unseen is None:
            raise ValueError(
                "a text feature needs `values: [...]` (a closed set) or `unseen: other | refuse` "
                "(open vocabulary: categories learnt from training; an unseen one goes to an "
                "'other' bucket, or is refused by the service)"
            )


class TimeSpec(Strict):
    """Which columns make up a row's event time: a date (plus an hour), or one timestamp."""

    date: str | None = None
    hour: str | None = None
    timestamp: str | None = None
    # IANA zone (e.g. UTC, Europe/Paris) when the timestamps carry UTC offsets: the event time is
    # then their wall-clock time in that zone. Unset: timestamps must have no offset.
    zone: str | None = None

    @model_validator(mode="after")
    def _check(self) -> TimeSpec:
        if (self.date is None) == (self.timestamp is None):
            raise ValueError("`time` needs either `date` (plus an optional `hour`) or `timestamp`")
        if self.hour is not None and self.date is None:
            raise ValueError("`time.hour` goes with `time.date`, not with `time.timestamp`")
        if self.zone is not None:
            if self.timestamp is None:
                raise ValueError("`time.zone` goes with `time.timestamp`")
            try:
                zoneinfo.ZoneInfo(self.zone)
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                raise ValueError(
                    f"`time.zone` {self.zone!r} is not a time zone (e.g. UTC, Europe/Paris)"
                ) from None
        return self

    @property
    def columns(self) -> tuple[str, ...]:
        """The source columns the event time is built from, in the order a client sends them."""
        return tuple(c for c in (self.date, self.hour, self.timestamp) if c is not None)

    def dtypes(self) -> dict[str, Dtype]:
        """The dtype each time column must be declared with."""
        wanted: dict[str, Dtype] = {}
        if self.date is not None:
            wanted[self.date] = "date"
        if self.hour is not None:
            wanted[self.hour] = "int"
        if self.timestamp is not None:
            wanted[self.timestamp] = "timestamp"
        return wanted
