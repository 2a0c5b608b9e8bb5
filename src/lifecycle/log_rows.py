"""The prediction log's rows as the service hands them over: one class per table.

Each class is a frozen dataclass whose fields are its table's columns (lifecycle.store) and
whose `kind` names that table. A `PackedPredictions` is one model call's records in one row,
column by column: what the service writes on the request path; readers see it expanded into
`LoggedPrediction`s (lifecycle.log_packing).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields
from typing import Any, ClassVar

from lifecycle import store

TABLE = store.PREDICTIONS.name  # "predictions"
SHADOW_TABLE = store.SHADOW.name  # "shadow_predictions"
PACKED_TABLE = store.PACKED.name  # "prediction_batches"


@dataclass(frozen=True)
class LoggedPrediction:
    """One served prediction (one row of a request; a batch request gives several)."""

    kind: ClassVar[str] = TABLE  # the table it goes to (a class attribute, not a column)
    request_id: str
    row: int  # position of the record in its request
    served_at: str  # ISO-8601 UTC, when the service answered
    event_time: str  # ISO-8601, the record's own time (what monitoring windows on)
    inputs: str  # the record's features as JSON, exactly as the model received them
    prediction: float  # classification: the probability of the positive class
    model_name: str
    model_version: str
    latency_ms: float
    predicted_label: int | None = None  # classification: the predicted class; None: regression
    row_key: str | None = None  # the record's row key as text (dataset.key_text); None: not sent
    variant: str = "champion"  # champion | canary: which model answered (NULL in older logs)


@dataclass(frozen=True)
class ShadowPrediction:
    """What the challenger predicted for a record the champion answered (never sent back)."""

    kind: ClassVar[str] = SHADOW_TABLE
    request_id: str  # with `row`: the answered record in `predictions`
    row: int
    served_at: str
    event_time: str
    prediction: float
    model_name: str
    model_version: str
    latency_ms: float  # the shadow model call itself, measured off the answer path
    predicted_label: int | None = None
    variant: str = "shadow"


@dataclass(frozen=True)
class PackedPredictions:
    """One model call's answered records as one row: what they share, and JSON columns."""

    kind: ClassVar[str] = PACKED_TABLE
    batch_id: str  # unique per model call: a retried write of it is skipped
    served_at: str
    model_name: str
    model_version: str
    variant: str
    records: int  # how many LoggedPredictions it expands to
    columns: str  # JSON object of lists, one value per record (lifecycle.log_packing)


Row = LoggedPrediction | ShadowPrediction | PackedPredictions
COLUMNS = [f.name for f in fields(LoggedPrediction)]
SHADOW_COLUMNS = [f.name for f in fields(ShadowPrediction)]
TYPES: dict[str, type[Row]] = {
    TABLE: LoggedPrediction,
    PACKED_TABLE: PackedPredictions,
    SHADOW_TABLE: ShadowPrediction,
}


def count(rows: Iterable[Any]) -> int:
    """How many records rows hold (a packed row holds many): what the log's counters count."""
    return sum(getattr(row, "records", 1) for row in rows)
