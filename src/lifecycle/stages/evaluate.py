"""Stage `evaluate`: every candidate on validation and test, overall and per slice.

Its plots are drawn by lifecycle.stages.evaluate_plots."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd
from sklearn.inspection import permutation_importance
from sklearn.pipeline import Pipeline

from lifecycle.dataset import EVENT_TIME, DatasetSpec, model_frame
from lifecycle.metrics import score_slices, score_task
from lifecycle.predictions import predict_frame


@dataclass
class Evaluation:
    """Scores of one candidate on one window, overall and by slice, plus its predictions."""

    overall: dict[str, float]
    by_slice: dict[str, dict[str, dict[str, float]]]
    predictions: pd.DataFrame  # event_time, actual, predicted (a probability for classification)


def evaluate(model: Pipeline, frame: pd.DataFrame, spec: DatasetSpec) -> Evaluation:
    """Score a model on a labelled frame."""
    y_true = frame[spec.target].to_numpy(dtype=float)
    y_pred = predict_frame(model, frame, spec).to_numpy()  # P(class 1) for classification
    preds = pd.DataFrame({EVENT_TIME: frame[EVENT_TIME], "actual": y_true, "predicted": y_pred})
    return Evaluation(
        overall=score_task(spec.task, y_true, y_pred).as_dict(),
        by_slice=score_slices(frame, spec, y_true, y_pred),
        predictions=preds,
    )


# What permutation importance measures, per task: the scorer and the axis label of its plot.
IMPORTANCE = {
    "regression": ("neg_mean_absolute_error", "MAE increase when shuffled"),
    "classification": ("roc_auc", "ROC AUC decrease when shuffled"),
}


def importance(model: Pipeline, frame: pd.DataFrame, spec: DatasetSpec, seed: int) -> pd.Series:
    """Permutation importance of each raw input (how much worse the score gets when shuffled)."""
    dtype = int if spec.task == "classification" else float
    result: Any = permutation_importance(
        model,
        model_frame(frame, spec),
        frame[spec.target].to_numpy(dtype=dtype),
        scoring=IMPORTANCE[spec.task][0],
        n_repeats=5,
        random_state=seed,
    )
    names = spec.model_inputs
    return pd.Series(result.importances_mean, index=names, name="importance").sort_values()
