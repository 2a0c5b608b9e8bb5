"""Traffic replay without the server: real rows of the source table for a period, predicted by
a registered model and written to the prediction log the way the service writes them.

Used by tests, `make simulate` and the benchmark. (The closed-loop replay sends the same rows to
the real service instead.) `latency_ms` here is in-process model time per row: no HTTP.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from lifecycle.dataset import EVENT_TIME, DatasetSpec, model_frame, row_keys
from lifecycle.monitoring.window import Window
from lifecycle.prediction_log import LoggedPrediction, PredictionLog
from lifecycle.predictions import Predictions, model_classes, predict_outputs

if TYPE_CHECKING:
    from mlflow import MlflowClient
    from sklearn.pipeline import Pipeline

    from lifecycle.store import Location

CHUNK = 20_000  # rows predicted per call (per-call overhead dominates small batches)


def period_rows(source: pd.DataFrame, window: Window) -> pd.DataFrame:
    """Source rows whose event time is in the window, oldest first."""
    when = source[EVENT_TIME]
    rows = source[(when >= window.start) & (when < window.end)]
    return rows.sort_values(EVENT_TIME, kind="stable").reset_index(drop=True)


def resample(frame: pd.DataFrame, rows: int, seed: int) -> pd.DataFrame:
    """`rows` real rows drawn with replacement (seeded), in event-time order: more traffic of
    the same kind, for load and scale tests."""
    picked = frame.sample(n=rows, replace=True, random_state=seed)
    return picked.sort_values(EVENT_TIME, kind="stable").reset_index(drop=True)


def predict_timed(model: Pipeline, inputs: pd.DataFrame) -> tuple[Predictions, np.ndarray]:
    """Predictions (a classifier's: P(positive) and label, as the service logs them) and per-row
    latency in milliseconds, predicting in chunks."""
    classes = model_classes(model)
    outs, latency = [], []
    for lo in range(0, len(inputs), CHUNK):
        chunk = inputs.iloc[lo : lo + CHUNK]
        began = time.perf_counter()
        outs.append(predict_outputs(model, chunk, classes))
        per_row = (time.perf_counter() - began) * 1000 / max(len(chunk), 1)
        latency.append(np.full(len(chunk), per_row))
    if not outs:
        return Predictions(np.empty(0)), np.empty(0)
    labels = np.concatenate([o.labels for o in outs if o.labels is not None]) if classes else None
    return Predictions(np.concatenate([o.prediction for o in outs]), labels), np.concatenate(
        latency
    )


def logged_rows(
    inputs: pd.DataFrame,
    preds: np.ndarray,
    latency: np.ndarray,
    model: tuple[str, str],
    rows_per_request: int = 1,
    labels: np.ndarray | None = None,
    keys: list[str] | None = None,
) -> list[LoggedPrediction]:
    """One LoggedPrediction per row; consecutive rows grouped into requests of that size.
    `keys` are the rows' keys as text (dataset.row_keys), None: sent without a key."""
    when = inputs[EVENT_TIME].dt.strftime("%Y-%m-%dT%H:%M:%S")
    # The record as the model received it (event time + features; a gap is null, text a
    # string), as the service logs it; 15 digits (pandas writes 10 by default: 1e-12 reads 0.0).
    records = inputs.assign(**{EVENT_TIME: when}).to_json(
        orient="records", lines=True, double_precision=15
    )
    lines, times = records.splitlines(), when.tolist()
    served_at = dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")
    requests = [uuid.uuid4().hex for _ in range(-(-len(inputs) // rows_per_request))]
    name, version = model
    return [
        LoggedPrediction(
            request_id=requests[i // rows_per_request],
            row=i % rows_per_request,
            served_at=served_at,
            event_time=times[i],
            inputs=lines[i],
            prediction=float(preds[i]),
            model_name=name,
            model_version=version,
            latency_ms=float(latency[i]),
            predicted_label=None if labels is None else int(labels[i]),
            row_key=None if keys is None else keys[i],
        )
        for i in range(len(inputs))
    ]


def replay(
    rows: pd.DataFrame,
    spec: DatasetSpec,
    model: Pipeline,
    served_as: tuple[str, str],
    log: Location,
    rows_per_request: int = 1,
) -> int:
    """Predict the rows with the model and append them to the prediction log, each with its
    row key as the service logs it (the client sends the key); returns the count."""
    inputs = model_frame(rows, spec)
    out, latency = predict_timed(model, inputs)
    keys = row_keys(rows, spec).tolist()
    writer = PredictionLog(log, batch_size=5000)
    try:
        writer.append(
            logged_rows(
                inputs, out.prediction, latency, served_as, rows_per_request, out.labels, keys
            )
        )
    finally:
        writer.close()  # drains the queue: every row is on disk when this returns
    return len(inputs)


def load_served(client: MlflowClient, name: str, version: str | None) -> tuple[str, Pipeline]:
    """A registered version (the champion when None) and its model, loaded by exact version."""
    from lifecycle.registry import current
    from lifecycle.tracking import load_model

    if version is None:
        champion = current(client, name)
        if champion is None:
            raise LookupError(f"model '{name}' has no champion: run `make repro` first")
        version = str(champion.version)
    return version, load_model(f"models:/{name}/{version}")
