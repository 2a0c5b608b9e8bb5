"""The HTTP contract, derived from the dataset definition: a record, a request, a prediction.

Field names, types, ranges, allowed values and docs all come from `data/datasets/*.yaml`, so a
new column there is a new, validated request field here, with no second list to keep in sync.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from typing import Annotated, Any, ClassVar, Literal, NamedTuple

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    NaiveDatetime,
    create_model,
    model_validator,
)
from pydantic_core import PydanticCustomError
from typing_extensions import TypedDict  # pydantic needs this one on Python < 3.12

from lifecycle.dataset import EVENT_TIME, Column, DatasetSpec

PYTHON_TYPES: dict[str, type] = {"int": int, "float": float, "date": dt.date}


class Stamp(NamedTuple):
    """Where a record came from: its request, its position in it, and when it was parsed."""

    request_id: str
    row: int
    received: float  # time.perf_counter() when its request was parsed


class RecordBase(BaseModel):
    """What every record shares; the feature fields are added from the dataset definition."""

    # Unknown fields, NaN and Infinity are errors, not silently dropped or passed to the model.
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    event_time: NaiveDatetime | None = None  # EVENT_TIME; record_model() adds its description
    time_parts: ClassVar[tuple[str, ...]]  # the date column (and hour column), from the dataset

    # Stamped once per request by the request validator (see records_type): the batcher merges
    # records of many requests into one model call, and each must still know where it came from.
    # A plain slot, not a pydantic PrivateAttr: those triple the parsing cost of a record.
    __slots__ = ("_stamp",)

    @model_validator(mode="after")
    def _one_event_time(self) -> RecordBase:
        """Exactly one way of saying when: event_time, or the date (and hour) columns."""
        given = [name for name in self.time_parts if getattr(self, name) is not None]
        by_time = self.event_time is not None
        if (by_time and not given) or (not by_time and len(given) == len(self.time_parts)):
            return self  # the usual case, kept cheap: this runs for every record
        both = " and ".join(self.time_parts)
        if by_time:
            raise PydanticCustomError(
                "event_time_conflict",
                f"send either {EVENT_TIME} or {both}, not both (got {', '.join(given)} too)",
            )
        missing = [name for name in self.time_parts if name not in given]
        raise PydanticCustomError(
            "missing", f"Field required: {', '.join(missing)} (send {EVENT_TIME}, or {both})"
        )

    def stamp(self) -> Stamp:
        """Which request this record came in, at which position, and when."""
        return self._stamp  # type: ignore[attr-defined]  # the slot declared above

    def when(self) -> dt.datetime:
        """The record's event time, to the second (the log and the model see the same value)."""
        moment = self.event_time
        if moment is None:
            date, *hour = (getattr(self, name) for name in self.time_parts)
            moment = dt.datetime.combine(date, dt.time(*hour))
        return moment.replace(microsecond=0)


def _feature_type(col: Column) -> Any:
    """One feature's type: its allowed values, or its dtype and range; its doc as description."""
    if col.values:
        return Annotated[Literal[tuple(col.values)], Field(description=col.doc)]
    # strict: "0.5" (a string) is a wrong type, not a number; dates still parse from ISO strings.
    return Annotated[
        PYTHON_TYPES[col.dtype],
        Field(strict=col.dtype != "date", ge=col.min, le=col.max, description=col.doc),
    ]


def _time_fields(spec: DatasetSpec) -> dict[str, Any]:
    """event_time, or the date column plus the hour column (with the hour's range)."""
    date_col = spec.columns[spec.time.date]
    when = " and ".join(name for name in (spec.time.date, spec.time.hour) if name)
    fields: dict[str, Any] = {
        EVENT_TIME: (
            NaiveDatetime | None,
            Field(
                None,
                description="When the event happens, local time, ISO 8601 "
                f"(e.g. 2012-06-01T08:00:00). Or send {when} instead.",
            ),
        ),
        spec.time.date: (dt.date | None, Field(None, description=date_col.doc)),
    }
    if spec.time.hour:
        hour = spec.columns[spec.time.hour]
        hour_type = Annotated[int, Field(strict=True, ge=hour.min, le=hour.max)]
        fields[spec.time.hour] = (hour_type | None, Field(None, description=hour.doc))
    return fields


def record_model(spec: DatasetSpec) -> type[RecordBase]:
    """The pydantic model of one record as a client has it: event time plus the features."""
    features = {name: (_feature_type(col), ...) for name, col in spec.features.items()}
    model = create_model(  # type: ignore[call-overload]  # field names only known at run time
        "Record",
        __base__=RecordBase,
        __doc__=f"One row of '{spec.name}' to predict {spec.target} for.",
        **_time_fields(spec),
        **features,
    )
    model.time_parts = tuple(name for name in (spec.time.date, spec.time.hour) if name)
    return model


def _stamp(records: list[RecordBase]) -> list[RecordBase]:
    """Give the records of one request their request id, position and arrival time."""
    request_id, now = uuid.uuid4().hex, time.perf_counter()
    for row, record in enumerate(records):
        object.__setattr__(record, "_stamp", Stamp(request_id, row, now))  # a slot, not a field
    return records


def records_type(record: type[RecordBase], max_records: int) -> Any:
    """The request body's `records` field: 1..max_records records, stamped as one request."""
    return Annotated[
        list[record],  # type: ignore[valid-type]
        Field(
            min_length=1,
            max_length=max_records,
            description=f"One record, or up to {max_records} in one request.",
        ),
        AfterValidator(_stamp),
    ]


class Prediction(TypedDict):
    """One record's prediction, and exactly which model made it.

    A TypedDict rather than a model: the service builds thousands per second, and plain dicts
    are what it serialises fastest; pydantic still validates and documents the shape.
    """

    request_id: Annotated[str, Field(description="Shared by the records of one request.")]
    row: Annotated[int, Field(description="Position of the record in its request.")]
    prediction: float
    model_name: str
    model_version: str


class ClassPrediction(TypedDict):
    """One record's predicted class and class probabilities (a `task: classification` dataset)."""

    request_id: Annotated[str, Field(description="Shared by the records of one request.")]
    row: Annotated[int, Field(description="Position of the record in its request.")]
    label: Annotated[int, Field(description="The predicted class: the most probable one.")]
    probabilities: Annotated[
        dict[str, float],
        Field(description='Probability of each class, keyed by class (e.g. {"0": 0.8, "1": 0.2}).'),
    ]
    model_name: str
    model_version: str


def answer_type(spec: DatasetSpec) -> type:
    """What /predict answers per record: a value (regression) or a class and probabilities."""
    return ClassPrediction if spec.task == "classification" else Prediction


class ModelInfo(BaseModel):
    """What GET /model answers: the served model and its lineage."""

    name: str
    version: str
    source: Literal["registry", "bento"]
    run_id: str
    git_commit: str
    data_hashes: dict[str, str] = Field(description="MD5 of the data it was trained on.")
    trained_at: str = Field(description="Start of the training run, ISO 8601 UTC.")
    validation: dict[str, float] = Field(description="Metrics on the validation window.")
    loaded_at: str = Field(description="When this process loaded it, ISO 8601 UTC.")


class ReloadResult(BaseModel):
    """The answer of one registry check: did the served model change?"""

    reloaded: bool = Field(description="This worker loaded a new version.")
    version_before: str = Field(description="This worker's version before the check.")
    version_after: str = Field(description="This worker's version after the check.")
    detail: str
    workers: dict[str, str] = Field(
        default_factory=dict,
        description="Every worker process (1..N) and the version it serves after the reload.",
    )
