"""Stage `train`: fit every candidate on the training window, score it on validation, log it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.pipeline import Pipeline
from tqdm.auto import tqdm

from lifecycle.dataset import DatasetSpec, model_frame
from lifecycle.metrics import AnyScores, Scores, score_task
from lifecycle.params import Candidate, Params
from lifecycle.predictions import predict_frame
from lifecycle.stages.candidates import build_candidate
from lifecycle.tracking import LoggedModel, log_candidate


@dataclass
class Fitted:
    """A fitted candidate and its validation scores."""

    name: Candidate
    model: Pipeline
    val: AnyScores


def fit_candidate(
    name: Candidate, spec: DatasetSpec, params: Params, train: pd.DataFrame
) -> Pipeline:
    """Build and fit one candidate pipeline on the training rows."""
    model = build_candidate(name, spec, params)
    dtype = int if spec.task == "classification" else float
    return model.fit(model_frame(train, spec), train[spec.target].to_numpy(dtype=dtype))


def _line(name: str, val: AnyScores) -> str:
    if isinstance(val, Scores):
        return f"  {name:<6} val MAE {val.mae:8.2f}  R² {val.r2:6.3f}"
    return f"  {name:<6} val ROC AUC {val.roc_auc:6.3f}  log loss {val.log_loss:6.3f}"


def fit_all(
    spec: DatasetSpec, params: Params, train: pd.DataFrame, val: pd.DataFrame
) -> list[Fitted]:
    """Fit every candidate named in params, in order, printing a line per candidate."""
    fitted = []
    for name in params.train.candidates:
        model = fit_candidate(name, spec, params, train)
        val_scores = score_task(spec.task, val[spec.target], predict_frame(model, val, spec))
        tqdm.write(_line(name, val_scores))
        fitted.append(Fitted(name, model, val_scores))
    return fitted


def run_params(name: Candidate, params: Params, train_rows: int) -> dict[str, Any]:
    """What a candidate's MLflow run records as params: seed, target transform, rows, hypers."""
    fixed = {"seed": params.seed, "log_target": params.train.log_target, "train_rows": train_rows}
    return fixed | getattr(params.train, name).model_dump()


def signature_example(val: pd.DataFrame, spec: DatasetSpec) -> pd.DataFrame:
    """Validation inputs for the MLflow signature, with a gap in every nullable feature.

    MLflow marks a column optional only if the example has an empty cell in it; one row with
    every nullable feature empty makes the signature follow `max_missing`, not the window.
    """
    example = model_frame(val, spec)
    nullable = [name for name, col in spec.features.items() if col.nullable]
    if all(example[name].isna().any() for name in nullable):
        return example  # also when there is none: tables without gaps log what they always did
    gap = example.tail(1).copy()
    for name in nullable:
        gap[name] = None if spec.columns[name].dtype == "str" else np.nan
    return pd.concat([example, gap], ignore_index=True)


def train_and_log(
    spec: DatasetSpec,
    params: Params,
    train: pd.DataFrame,
    val: pd.DataFrame,
    tags: dict[str, str],
    reference: Path,
) -> list[LoggedModel]:
    """Fit every candidate and log each as an MLflow run (`reference`: its training rows)."""
    return [
        log_candidate(
            fitted.name,
            fitted.model,
            signature_example(val, spec),
            run_params(fitted.name, params, len(train)),
            fitted.val,
            tags,
            reference,
        )
        for fitted in fit_all(spec, params, train, val)
    ]
