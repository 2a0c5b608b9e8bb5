"""Metrics: regression scores here, classification in metrics_classification; per slice."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from sklearn.metrics import mean_absolute_error, mean_squared_error, r2_score

from lifecycle.columns import Column
from lifecycle.dataset import EVENT_TIME, DatasetSpec
from lifecycle.metrics_classification import ClassScores, score_classification


@dataclass(frozen=True)
class Scores:
    """MAE, RMSE and R² of one set of predictions."""

    mae: float
    rmse: float
    r2: float
    rows: int

    def as_dict(self) -> dict[str, float]:
        """Plain dict, for JSON and MLflow."""
        return asdict(self)


def score(y_true: np.ndarray | pd.Series, y_pred: np.ndarray | pd.Series) -> Scores:
    """Score predictions; R² is NaN-free (0.0) when the window is constant or has one row."""
    y_true, y_pred = np.asarray(y_true, float), np.asarray(y_pred, float)
    r2 = float(r2_score(y_true, y_pred)) if len(y_true) > 1 and np.ptp(y_true) > 0 else 0.0
    return Scores(
        mae=float(mean_absolute_error(y_true, y_pred)),
        rmse=float(np.sqrt(mean_squared_error(y_true, y_pred))),
        r2=r2,
        rows=len(y_true),
    )


AnyScores = Scores | ClassScores  # what `score_task` returns: one typed object per task


def score_task(
    task: str, y_true: np.ndarray | pd.Series, y_pred: np.ndarray | pd.Series
) -> AnyScores:
    """Score predictions for the dataset's task (for classification, y_pred is P(class 1))."""
    if task == "classification":
        return score_classification(y_true, y_pred)
    return score(y_true, y_pred)


def hour_band(hours: pd.Series) -> pd.Series:
    """Name the part of the day an hour falls in (commute peaks get their own band)."""
    bins = [-1, 5, 9, 15, 19, 23]
    labels = ["night", "morning_peak", "midday", "evening_peak", "evening"]
    return pd.cut(hours, bins=bins, labels=labels).astype(str)


MISSING = "(missing)"  # the slice of rows where a nullable feature is empty
OTHER = "(other)"  # the slice of an open vocabulary's rarer categories, beyond MAX_SLICES
MAX_SLICES = 20  # at most this many categories of an open-vocabulary feature get a slice


def slice_values(values: pd.Series, col: Column) -> pd.Series:
    """Each row's slice as text: the category, `true`/`false`, a code, or MISSING for a gap."""
    present = values.notna()
    if col.dtype == "str":
        text = values.astype(object).where(present, MISSING).astype(str)
        return _top_categories(text) if col.open_vocabulary else text
    if col.dtype == "bool":
        text = values.map({True: "true", False: "false"})
    else:  # int codes; a gap makes pandas read them as floats, so go through Int64
        text = pd.to_numeric(values.where(present), errors="coerce").astype("Int64").astype(str)
    return text.where(present, MISSING).astype(str)


def _top_categories(text: pd.Series) -> pd.Series:
    """Keep the MAX_SLICES most frequent categories (ties by name); lump the rest as OTHER."""
    counts = text[text != MISSING].value_counts()
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    keep = {name for name, _ in ranked[:MAX_SLICES]} | {MISSING}
    return text.where(text.isin(keep), OTHER)


def slices(frame: pd.DataFrame, spec: DatasetSpec) -> dict[str, pd.Series]:
    """The slices we report on: hour band plus every binary and categorical feature."""
    out = {"hour_band": hour_band(pd.to_datetime(frame[EVENT_TIME]).dt.hour)}
    for col in [*spec.features_of("binary"), *spec.features_of("categorical")]:
        out[col] = slice_values(frame[col], spec.columns[col])
    return out


def score_slices(
    frame: pd.DataFrame, spec: DatasetSpec, y_true: np.ndarray, y_pred: np.ndarray
) -> dict[str, dict[str, dict[str, float]]]:
    """Scores per value of every slice: {slice: {value: {metric: value, rows}}}.

    Metrics a slice cannot define (ROC AUC of a slice with one class) are left out.
    """
    result: dict[str, dict[str, dict[str, float]]] = {}
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    for name, keys in slices(frame, spec).items():
        groups = keys.to_numpy()
        result[name] = {
            str(value): _finite(
                score_task(spec.task, y_true[groups == value], y_pred[groups == value]).as_dict()
            )
            for value in sorted(set(groups))
        }
    return result


def _finite(scores: dict[str, float]) -> dict[str, float]:
    return {k: v for k, v in scores.items() if np.isfinite(v)}
