"""What a model answers for a batch: a value (regression), or a label and class probabilities.

The task is read from the model itself (a classifier has `predict_proba` and `classes_`), so the
service and monitoring need only the registry, and check it against the dataset definition.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from lifecycle.dataset import DatasetSpec, model_frame


@dataclass(frozen=True)
class Predictions:
    """One batch's outputs, row-aligned with its input frame."""

    # Regression: the predicted value. Classification: the probability of the positive class
    # (the last of `classes`): the number the prediction histogram, the log and drift track.
    prediction: np.ndarray
    labels: np.ndarray | None = None  # classification: the most probable class
    probabilities: np.ndarray | None = None  # classification: rows x classes, rows sum to 1


def model_classes(model: Any) -> tuple[int, ...]:
    """The class labels of a classifier, in its probability columns' order; () for a regressor."""
    if not hasattr(model, "predict_proba"):
        return ()
    return tuple(int(c) for c in model.classes_)


def check_model_task(model: Any, spec: DatasetSpec, version: str) -> tuple[int, ...]:
    """The model's classes, after checking it does the dataset definition's task (binary only)."""
    classes = model_classes(model)
    task = "classification" if classes else "regression"
    if task != spec.task:
        raise ValueError(
            f"model v{version} is a {task} model, but the dataset definition '{spec.name}' "
            f"says task: {spec.task}"
        )
    if classes and len(classes) != 2:
        raise ValueError(f"model v{version} has classes {list(classes)}: only binary is served")
    return classes


def predict_outputs(model: Any, rows: Any, classes: tuple[int, ...]) -> Predictions:
    """Predict rows: values, or (for `classes`) probabilities and the most probable label.

    `rows` is whatever `model` takes: a frame for a pipeline, numpy columns for the service's
    fast path (lifecycle.serving.fastpath), which has the same predict / predict_proba.
    """
    if not classes:
        return Predictions(np.asarray(model.predict(rows), dtype="float64"))
    proba = np.asarray(model.predict_proba(rows), dtype="float64")
    # argmax, like a classifier's own predict(): a tie goes to the first class
    labels = np.asarray(classes)[proba.argmax(axis=1)]
    return Predictions(proba[:, -1], labels, proba)


def predict_frame(model: Any, frame: pd.DataFrame, spec: DatasetSpec) -> pd.Series:
    """Predictions for the rows of a frame, aligned with it: P(class 1) for classification."""
    inputs = model_frame(frame, spec)
    if spec.task == "classification":
        values = model.predict_proba(inputs)[:, 1]
    else:
        values = model.predict(inputs)
    return pd.Series(values, index=frame.index, name="prediction")
