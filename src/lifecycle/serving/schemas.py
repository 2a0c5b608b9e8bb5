"""The HTTP contract, derived from the dataset definition: a record, a request, a prediction.

Field names, types, ranges, allowed values and docs all come from `data/datasets/*.yaml`, so a
new column there is a new, validated request field here, with no second list to keep in sync.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import Callable
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

from lifecycle.dataset import EVENT_TIME, DatasetSpec, key_text
from lifecycle.serving import client_key
from lifecycle.serving.record_fields import feature_field, key_fields, time_fields
from lifecycle.serving.vocabulary import Vocabulary, refused_columns


class Stamp(NamedTuple):
    """Where a record came from: its request, its position in it, and when it was parsed."""

    request_id: str
    row: int
    received: float  # time.perf_counter() when its request was parsed
    client: str | None = None  # the X-Client-Key header, if sent (serving.client_key)


class RecordBase(BaseModel):
    """What every record shares; the feature fields are added from the dataset definition."""

    # Unknown fields, NaN and Infinity are errors, not silently dropped or passed to the model.
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    event_time: NaiveDatetime | None = None  # EVENT_TIME; record_model() adds its description
    # From the dataset definition: the date (and hour) columns, or the timestamp column.
    time_parts: ClassVar[tuple[str, ...]]
    key_parts: ClassVar[tuple[str, ...]] = ()  # the row-key columns, in the definition's order
    # The key columns that are not time columns (those come with the time): all or none sent.
    id_parts: ClassVar[tuple[str, ...]] = ()
    keyed_by_time: ClassVar[bool] = False  # the row key is the event time

    # Stamped once per request by the request validator (see records_type): the batcher merges
    # records of many requests into one model call, and each must still know where it came from.
    # A plain slot, not a pydantic PrivateAttr: those triple the parsing cost of a record.
    __slots__ = ("_stamp",)

    @model_validator(mode="after")
    def _one_event_time(self) -> RecordBase:
        """Exactly one way of saying when (event_time, or the time columns); all of the row
        key or none of it."""
        given = [name for name in self.time_parts if getattr(self, name) is not None]
        by_time = self.event_time is not None
        if not ((by_time and not given) or (not by_time and len(given) == len(self.time_parts))):
            self._time_error(given, by_time)  # the usual case skips it: this runs per record
        if self.id_parts:
            self._check_key()
        return self

    def _time_error(self, given: list[str], by_time: bool) -> None:
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

    def _check_key(self) -> None:
        missing = [name for name in self.id_parts if getattr(self, name) is None]
        if missing and len(missing) < len(self.id_parts):
            raise PydanticCustomError(
                "missing",
                f"Field required: {', '.join(missing)} (the row key is "
                f"{', '.join(self.id_parts)}: send all of it, or none)",
            )

    def stamp(self) -> Stamp:
        """Which request this record came in, at which position, and when."""
        return self._stamp  # type: ignore[attr-defined]  # the slot declared above

    def when(self) -> dt.datetime:
        """The record's event time, to the second (the log and the model see the same value)."""
        moment = self.event_time
        if moment is None:
            first, *hour = (getattr(self, name) for name in self.time_parts)
            if isinstance(first, dt.datetime):  # a timestamp, already naive wall-clock time
                moment = first
            else:  # a date, and maybe an hour
                moment = dt.datetime.combine(first, dt.time(*hour))
        return moment.replace(microsecond=0)

    def row_key(self) -> str | None:
        """The record's row key as dataset.key_text writes it; None when none was sent."""
        if self.keyed_by_time:
            return self.when().isoformat()
        if self.id_parts and getattr(self, self.id_parts[0]) is None:  # all or none (checked)
            return None
        return key_text(tuple(self._key_value(name) for name in self.key_parts))

    def _key_value(self, name: str) -> object:
        """One key part; a date or hour column of the key comes from the event time, however
        the client sent it (event_time, or the date and hour columns)."""
        if name not in self.time_parts:
            return getattr(self, name)
        moment = self.when()
        return moment.date().isoformat() if name == self.time_parts[0] else moment.hour


def record_model(spec: DatasetSpec, vocabulary: Vocabulary | None = None) -> type[RecordBase]:
    """The pydantic model of one record as a client has it: time, features, row key.

    With `vocabulary`, `unseen: refuse` columns refuse a category the served model never saw."""
    checks = (
        {name: vocabulary.checker(name) for name in refused_columns(spec)} if vocabulary else {}
    )
    features = {name: feature_field(col, checks.get(name)) for name, col in spec.features.items()}
    times = time_fields(spec)
    model = create_model(  # type: ignore[call-overload]  # field names only known at run time
        "Record",
        __base__=RecordBase,
        __doc__=f"One row of '{spec.name}' to predict {spec.target} for.",
        **times,
        **features,
        **key_fields(spec, set(times) | set(features)),
    )
    model.time_parts = spec.time.columns
    model.key_parts = tuple(spec.key_columns)
    model.id_parts = tuple(c for c in spec.key_columns if c not in spec.time.columns)
    model.keyed_by_time = spec.keyed_by_time
    return model


def _stamp(records: list[RecordBase]) -> list[RecordBase]:
    """Give the records of one request their request id, position, arrival time and client."""
    request_id, now, client = uuid.uuid4().hex, time.perf_counter(), client_key.bound()
    for row, record in enumerate(records):
        stamp = Stamp(request_id, row, now, client)
        object.__setattr__(record, "_stamp", stamp)  # a slot, not a field
    return records


def records_type(
    record: type[RecordBase],
    max_records: int,
    schema_extra: Callable[[dict[str, Any]], None] | None = None,
) -> Any:
    """The request body's `records` field: 1..max_records records, stamped as one request.
    `schema_extra`: a hook that adds to its JSON schema (the OpenAPI document's example)."""
    return Annotated[
        list[record],  # type: ignore[valid-type]
        Field(
            min_length=1,
            max_length=max_records,
            description=f"One record, or up to {max_records} in one request.",
            json_schema_extra=schema_extra,
        ),
        AfterValidator(_stamp),
    ]


Variant = Literal["champion", "canary"]
VARIANT_DOC = (
    "Which model answered: the champion, or the challenger as a canary (rollout.canary_share)."
)


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
    variant: Annotated[Variant, Field(description=VARIANT_DOC)]


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
    variant: Annotated[Variant, Field(description=VARIANT_DOC)]


def answer_type(spec: DatasetSpec) -> type:
    """What /predict answers per record: a value (regression) or a class and probabilities."""
    return ClassPrediction if spec.task == "classification" else Prediction


class RolloutState(BaseModel):
    """What this worker does with the registry's `challenger` (params.yaml `rollout`)."""

    challenger: str | None = Field(
        default=None, description="The challenger version held; null: none, or refused."
    )
    shadow: bool = Field(
        default=False,
        description="The challenger also predicts every champion-answered record, off the "
        "answer path; its predictions go to the log's shadow table, never to the client.",
    )
    canary_share: float = Field(
        default=0.0,
        description="Share of client keys the challenger answers now (0: no canary, or stopped).",
    )
    detail: str = Field(default="", description="Why, in words.")


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
    rollout: RolloutState | None = Field(
        default=None, description="What the challenger does in the worker that answered."
    )


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
