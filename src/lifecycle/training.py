"""Fit every candidate on the training window and score it on validation."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from sklearn.pipeline import Pipeline
from tqdm.auto import tqdm

from lifecycle.dataset import DatasetSpec, model_frame
from lifecycle.metrics import Scores, score
from lifecycle.models import build_candidate
from lifecycle.params import Candidate, Params


@dataclass
class Fitted:
    """A fitted candidate and its validation scores."""

    name: Candidate
    model: Pipeline
    val: Scores


def fit_candidate(
    name: Candidate, spec: DatasetSpec, params: Params, train: pd.DataFrame
) -> Pipeline:
    """Build and fit one candidate pipeline on the training rows."""
    model = build_candidate(name, spec, params)
    return model.fit(model_frame(train, spec), train[spec.target].to_numpy(dtype=float))


def predict(model: Pipeline, frame: pd.DataFrame, spec: DatasetSpec) -> pd.Series:
    """Predictions for the rows of a frame, aligned with it."""
    return pd.Series(model.predict(model_frame(frame, spec)), index=frame.index, name="prediction")


def fit_all(
    spec: DatasetSpec, params: Params, train: pd.DataFrame, val: pd.DataFrame
) -> list[Fitted]:
    """Fit every candidate named in params, in order, printing a line per candidate."""
    fitted = []
    for name in params.train.candidates:
        model = fit_candidate(name, spec, params, train)
        val_scores = score(val[spec.target], predict(model, val, spec))
        tqdm.write(f"  {name:<6} val MAE {val_scores.mae:8.2f}  R² {val_scores.r2:6.3f}")
        fitted.append(Fitted(name, model, val_scores))
    return fitted
