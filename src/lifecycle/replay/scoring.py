"""How the replay scores a month and names the scores: the gate's metric plus the task's headline
metric, for the served predictions and for the never-retrained first champion."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from lifecycle.metrics import score_task
from lifecycle.tasks import higher_is_better

# The metric every month of a task is scored by, whatever the gate ranks by. Regression keeps
# MAE (its headline since the first replay); a classifier is read by ranking and by
# probability quality.
HEADLINE_METRICS: dict[str, tuple[str, ...]] = {
    "regression": ("mae",),
    "classification": ("roc_auc", "log_loss"),
}
LABELS = {
    "mae": "MAE",
    "rmse": "RMSE",
    "roc_auc": "ROC AUC",
    "log_loss": "log loss",
    "f1": "F1",
    "brier": "Brier score",
}
ERROR_UNITS = frozenset({"mae", "rmse"})  # in target units: fewer digits, "error saved"


@dataclass(frozen=True)
class ReplayTerms:
    """What a replay's months are scored by: the task and its metrics, the headline's first."""

    task: str
    metrics: tuple[str, ...]

    @classmethod
    def of(cls, task: str, gate_metric: str) -> ReplayTerms:
        """The terms for a task: regression leads with MAE, classification with the gate metric."""
        headline = HEADLINE_METRICS[task]
        first = headline[0] if task == "regression" else gate_metric
        rest = [m for m in (gate_metric, *headline) if m != first]
        return cls(task, tuple(dict.fromkeys([first, *rest])))

    @property
    def metric(self) -> str:
        """The metric the headline compares served and never-retrained predictions by."""
        return self.metrics[0]


def metric_label(metric: str) -> str:
    """How a metric reads in a sentence or a column name (`roc_auc` -> `ROC AUC`)."""
    return LABELS.get(metric, metric.replace("_", " "))


def digits(metric: str, table: bool = False) -> int:
    """Decimals to show: target-unit errors 2 (1 in a table), probability metrics 4 (3)."""
    return (2 if metric in ERROR_UNITS else 4) - (1 if table else 0)


def score_month(
    terms: ReplayTerms, y_true: pd.Series | np.ndarray, y_pred: pd.Series | np.ndarray
) -> dict[str, float | None]:
    """Each metric of `terms` on one month's predictions (P(positive) for a classifier).

    None where the month cannot define it: no rows, or ROC AUC of a month with one class.
    """
    if len(y_true) == 0:
        return dict.fromkeys(terms.metrics)
    scores = score_task(terms.task, y_true, y_pred)
    values = {m: float(getattr(scores, m)) for m in terms.metrics}
    return {m: v if math.isfinite(v) else None for m, v in values.items()}


def axis_label(metric: str) -> str:
    """The y axis of the timeline plot for `metric`."""
    if metric == "mae":
        return "MAE (rentals/hour)"  # kept as the bike replay has always shown it
    return f"{metric_label(metric)} ({'higher' if higher_is_better(metric) else 'lower'} is better)"
