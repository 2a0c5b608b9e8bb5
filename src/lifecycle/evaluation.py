"""Evaluate candidates on validation and test: overall, per slice, and as plots."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.inspection import permutation_importance
from sklearn.pipeline import Pipeline

from lifecycle.dataset import EVENT_TIME, DatasetSpec, model_frame
from lifecycle.metrics import score_slices, score_task
from lifecycle.training import predict


@dataclass
class Evaluation:
    """Scores of one candidate on one window, overall and by slice, plus its predictions."""

    overall: dict[str, float]
    by_slice: dict[str, dict[str, dict[str, float]]]
    predictions: pd.DataFrame  # event_time, actual, predicted (a probability for classification)


def evaluate(model: Pipeline, frame: pd.DataFrame, spec: DatasetSpec) -> Evaluation:
    """Score a model on a labelled frame."""
    y_true = frame[spec.target].to_numpy(dtype=float)
    y_pred = predict(model, frame, spec).to_numpy()  # P(class 1) for classification
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


def _figure(path: Path):  # type: ignore[no-untyped-def]
    """Matplotlib's pyplot on the file-only Agg backend, with the PNG's folder created."""
    import matplotlib

    matplotlib.use("Agg")  # files only: no display needed
    import matplotlib.pyplot as plt

    path.parent.mkdir(parents=True, exist_ok=True)
    return plt


def plot_predicted_vs_actual(preds: pd.DataFrame, title: str, path: Path) -> None:
    """Scatter of predicted against actual, with the identity line."""
    plt = _figure(path)
    fig, ax = plt.subplots(figsize=(5, 5))
    ax.scatter(preds["actual"], preds["predicted"], s=6, alpha=0.5)
    top = float(np.nanmax(preds[["actual", "predicted"]].to_numpy())) * 1.05
    ax.plot([0, top], [0, top], color="black", linewidth=1)
    ax.set(xlabel="actual", ylabel="predicted", title=title, xlim=(0, top), ylim=(0, top))
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def plot_residuals_by_hour(preds: pd.DataFrame, title: str, path: Path) -> None:
    """Box plot of residuals (actual − predicted) for each hour of the day."""
    plt = _figure(path)
    hours = pd.to_datetime(preds[EVENT_TIME]).dt.hour
    resid = preds["actual"] - preds["predicted"]
    groups = [resid[hours == h].to_numpy() for h in range(24)]
    fig, ax = plt.subplots(figsize=(9, 4))
    ax.boxplot(groups, positions=range(24), showfliers=False)
    ax.axhline(0, color="black", linewidth=1)
    ax.set(xlabel="hour of day", ylabel="actual − predicted", title=title)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def plot_importance(
    imp: pd.Series, title: str, path: Path, xlabel: str = IMPORTANCE["regression"][1]
) -> None:
    """Horizontal bars of permutation importance."""
    plt = _figure(path)
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.barh(imp.index, imp.to_numpy())
    ax.set(xlabel=xlabel, title=title)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def plot_timeline(preds: pd.DataFrame, title: str, path: Path) -> None:
    """Actual and predicted over time on the window."""
    plt = _figure(path)
    fig, ax = plt.subplots(figsize=(10, 3.5))
    ax.plot(preds[EVENT_TIME], preds["actual"], label="actual", linewidth=1)
    ax.plot(preds[EVENT_TIME], preds["predicted"], label="predicted", linewidth=1)
    ax.set(ylabel="target", title=title)
    ax.legend()
    fig.autofmt_xdate()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
