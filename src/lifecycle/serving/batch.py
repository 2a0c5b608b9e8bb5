"""One model call's records as columns: what the model reads, and what the prediction log keeps
(one packed row per model call, lifecycle.log_packing).

Per-record work is the cost on the request path, so records are read once and everything after
works on whole columns: numbers and flags as float64 (NaN for a gap), text as Python objects
(None for a gap), as dataset.model_frame lays out training.
"""

from __future__ import annotations

import operator
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from lifecycle.dataset import EVENT_TIME, DatasetSpec
from lifecycle.log_packing import expand, json_objects, pack
from lifecycle.prediction_log import LoggedPrediction, PackedPredictions, ShadowPrediction
from lifecycle.serving.champion import now_iso
from lifecycle.serving.schemas import ModelInfo, RecordBase, Stamp


@dataclass(frozen=True)
class Batch:
    """The records of one model call, column by column: what the model reads, what is logged."""

    stamps: list[Stamp]  # request id, position and arrival of each record
    times: list[str]  # event times, ISO 8601 to the second (sorts as text in the log)
    columns: dict[str, np.ndarray]  # the model's inputs: event_time, then the features
    keys: list[str | None]  # each record's row key (dataset.key_text), None when not sent

    @cached_property
    def frame(self) -> pd.DataFrame:
        """The model's input, laid out as dataset.model_frame lays out training."""
        # An explicit object Series: pandas 3 would turn an object array of text into its str
        # dtype (None -> NaN), which is not what the model was trained on.
        return pd.DataFrame(
            {
                n: pd.Series(v, dtype=object) if v.dtype == object else v
                for n, v in self.columns.items()
            }
        )

    def take(self, index: np.ndarray) -> Batch:
        """The records at positions `index` (ints, in order), as a batch of their own."""
        at = index.tolist()
        return Batch(
            [self.stamps[i] for i in at],
            [self.times[i] for i in at],
            {name: values[index] for name, values in self.columns.items()},
            [self.keys[i] for i in at],
        )


def _getter(names: list[str]) -> Callable[[Any], tuple[Any, ...]]:
    """A function giving a record's values of `names` as a tuple (attrgetter, ~3x a loop)."""
    if len(names) == 1:
        return lambda r: (getattr(r, names[0]),)
    return operator.attrgetter(*names)


def _column_values(records: Sequence[RecordBase], names: list[str], dtype: str) -> list[np.ndarray]:
    """The records' values of `names`, one array per name (None -> NaN for float64)."""
    if not names:
        return []
    values = _getter(names)
    rows = [values(r) for r in records]
    return list(np.array(rows, dtype=dtype).reshape(len(records), len(names)).T.copy())


def to_batch(records: Sequence[RecordBase], spec: DatasetSpec) -> Batch:
    """Turn validated records into the model's input columns (numbers as float64, text as str)."""
    features = spec.features
    text = [n for n, c in features.items() if c.dtype == "str"]
    numbers = [n for n in features if n not in text]
    values = dict(zip(numbers, _column_values(records, numbers, "float64"), strict=True))
    values.update(zip(text, _column_values(records, text, "object"), strict=True))
    when = np.array([r.when() for r in records], dtype="datetime64[s]")
    columns = {EVENT_TIME: when.astype("datetime64[ns]"), **{n: values[n] for n in features}}
    iso = np.datetime_as_string(when, unit="s").tolist()  # = datetime.isoformat(), whole seconds
    keys = list(iso) if spec.keyed_by_time else [r.row_key() for r in records]
    return Batch([r.stamp() for r in records], iso, columns, keys)


def _input_lists(batch: Batch) -> dict[str, list[Any]]:
    """The model's input columns as lists, the event time as the logged ISO text."""
    first, *features = batch.columns
    return {first: batch.times, **{name: batch.columns[name].tolist() for name in features}}


def json_inputs(batch: Batch) -> list[str]:
    """Each record's model input as a JSON object (gaps as null), built column by column."""
    return json_objects(_input_lists(batch))


def packed_rows(
    batch: Batch,
    values: list[float],
    info: ModelInfo,
    labels: list[int] | None = None,
    variant: str = "champion",
) -> PackedPredictions:
    """The prediction log's row for one model call: its records as columns (whole lists, no
    per-record object: this runs on the request path), inputs as the model received them."""
    done, served_at = time.perf_counter(), now_iso()
    request_ids, rows, received, _ = map(list, zip(*batch.stamps, strict=True))
    columns = {
        "request_id": request_ids,
        "row": rows,
        "received": received,
        "event_time": batch.times,
        "prediction": values,
        "predicted_label": labels,
        "row_key": batch.keys,
        "done": done,
        "inputs": _input_lists(batch),
    }
    return pack(columns, served_at, (info.name, info.version), variant)


def log_rows(
    batch: Batch,
    values: list[float],
    info: ModelInfo,
    labels: list[int] | None = None,
    variant: str = "champion",
) -> list[LoggedPrediction]:
    """One prediction-log row per record, as readers see them (the packed row, expanded)."""
    return expand(packed_rows(batch, values, info, labels, variant))


def shadow_rows(
    batch: Batch, values: list[float], info: ModelInfo, seconds: float, labels: list[int] | None
) -> list[ShadowPrediction]:
    """One shadow-table row per record: what the challenger predicted, in `seconds` a call."""
    served_at, latency = now_iso(), round(seconds * 1000, 3)
    classes = labels if labels is not None else [None] * len(values)
    return [
        ShadowPrediction(
            request_id=stamp.request_id,
            row=stamp.row,
            served_at=served_at,
            event_time=when,
            prediction=value,
            model_name=info.name,
            model_version=info.version,
            latency_ms=latency,
            predicted_label=label,
        )
        for stamp, when, value, label in zip(
            batch.stamps, batch.times, values, classes, strict=True
        )
    ]
