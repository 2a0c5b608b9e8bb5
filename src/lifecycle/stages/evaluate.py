"""Stage `evaluate`: every candidate on validation and test, overall and per slice.

Its plots are drawn by lifecycle.stages.evaluate_plots."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd
from sklearn.inspection import permutation_importance
from sklearn.pipeline import Pipeline

from lifecycle.dataset import EVENT_TIME, DatasetSpec, model_frame
from lifecycle.gate import best_candidate
from lifecycle.metrics import score_slices, score_task
from lifecycle.params import Params
from lifecycle.predictions import predict_frame
from lifecycle.tracking import LoggedModel, load_model, log_test_metrics


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


@dataclass(frozen=True)
class CandidatesReport:
    """Every candidate's scores, and what the plots show of the best one."""

    best: str  # the candidate promote will register: best on validation, on the gate metric
    metrics: dict[str, Any]  # {"best": name, name: {"val": {...}, "test": {...}}} (dvc metrics)
    slices: dict[str, Any]  # {name: {"val": by slice, "test": by slice}}
    predictions: pd.DataFrame  # the best candidate's test predictions
    importance: pd.Series  # the best candidate's permutation importance on validation


def evaluate_candidates(
    candidates: list[LoggedModel],
    val: pd.DataFrame,
    test: pd.DataFrame,
    spec: DatasetSpec,
    params: Params,
) -> CandidatesReport:
    """Score every candidate on validation and test; log its test scores to its MLflow run."""
    best = best_candidate(candidates, params)
    metrics: dict[str, Any] = {"best": best.name}
    slices: dict[str, Any] = {}
    for cand in candidates:
        model = load_model(cand.model_uri)
        scores = {"val": evaluate(model, val, spec), "test": evaluate(model, test, spec)}
        metrics[cand.name] = {split: ev.overall for split, ev in scores.items()}
        slices[cand.name] = {split: ev.by_slice for split, ev in scores.items()}
        log_test_metrics(cand.run_id, scores["test"].overall)
        if cand.name == best.name:
            preds = scores["test"].predictions
            imp = importance(model, val, spec, params.seed)
    return CandidatesReport(best.name, metrics, slices, preds, imp)
