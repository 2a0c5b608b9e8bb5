"""One model call on a batch, and the answers and log rows it makes, named by variant.

Shared by the champion's path and the challenger's (canary answers, shadow rows), so both
predict exactly the same way: the numpy fast path when it compiled, the pipeline otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from lifecycle.predictions import predict_outputs
from lifecycle.serving.batch import Batch
from lifecycle.serving.champion import Champion
from lifecycle.serving.schemas import ClassPrediction, Prediction, Variant

Answer = Prediction | ClassPrediction


@dataclass(frozen=True)
class Outputs:
    """What one model call gave: values (P(positive) for a classifier), labels, probabilities."""

    values: np.ndarray  # float64
    labels: list[int] | None = None
    probabilities: list[list[float]] | None = None

    @cached_property
    def listed(self) -> list[float]:
        """The values as Python floats (what the answers and the log hold), made once."""
        return list(self.values.tolist())


def call(model: Champion, batch: Batch) -> Outputs:
    """Predict the batch with one model (whatever the model raises, this raises)."""
    fast = model.fast  # the same model on numpy columns: no pandas on the request path
    if not model.classes:
        found = fast.predict(batch.columns) if fast else model.model.predict(batch.frame)
        return Outputs(np.asarray(found, dtype="float64"))
    runner, rows = (fast, batch.columns) if fast else (model.model, batch.frame)
    out = predict_outputs(runner, rows, model.classes)
    assert out.labels is not None and out.probabilities is not None  # a classifier's outputs
    return Outputs(out.prediction, out.labels.tolist(), out.probabilities.tolist())


def check_outputs(out: Outputs, size: int, classes: tuple[int, ...]) -> Outputs:
    """`out` if it answers `size` records in the champion's shape; ValueError otherwise.

    For a challenger's outputs (canary and shadow): the champion's are trusted, but another
    model's wrong length, NaN or unknown label must fail its own call, not the batch's answers
    (strict zips) or the log's flush (`prediction REAL NOT NULL`)."""
    values = out.values
    if values.shape != (size,):
        raise ValueError(f"{values.shape} values for {size} records")
    if not np.isfinite(values).all():
        raise ValueError(f"{int((~np.isfinite(values)).sum())} values are not finite")
    if not classes:
        return out
    if out.labels is None or out.probabilities is None or len(out.labels) != size:
        raise ValueError(f"no label per record for {size} records")
    if not set(out.labels) <= set(classes):
        raise ValueError(f"labels {sorted(set(out.labels) - set(classes))} not in {classes}")
    proba = np.asarray(out.probabilities, dtype="float64")
    if proba.shape != (size, len(classes)) or not np.isfinite(proba).all():
        raise ValueError(f"probabilities {proba.shape}, not ({size}, {len(classes)}) finite values")
    return out


def answers(model: Champion, batch: Batch, out: Outputs, variant: Variant) -> list[Answer]:
    """The client's answer per record, naming the model that made it and its variant."""
    info = model.info
    if out.labels is None:
        return [
            Prediction(
                request_id=stamp.request_id,
                row=stamp.row,
                prediction=value,
                model_name=info.name,
                model_version=info.version,
                variant=variant,
            )
            for stamp, value in zip(batch.stamps, out.listed, strict=True)
        ]
    assert out.probabilities is not None
    keys = [str(c) for c in model.classes]
    return [
        ClassPrediction(
            request_id=stamp.request_id,
            row=stamp.row,
            label=label,
            probabilities=dict(zip(keys, probs, strict=True)),
            model_name=info.name,
            model_version=info.version,
            variant=variant,
        )
        for stamp, label, probs in zip(batch.stamps, out.labels, out.probabilities, strict=True)
    ]


def merge(parts: list[tuple[np.ndarray, list[Answer]]], size: int) -> list[Answer]:
    """Answers of sub-batches put back at their records' positions (BentoML splits by order)."""
    merged: list[Answer | None] = [None] * size
    for index, found in parts:
        for at, answer in zip(index.tolist(), found, strict=True):
            merged[at] = answer
    assert all(a is not None for a in merged), "a record was left without an answer"
    return merged  # type: ignore[return-value]  # checked just above
