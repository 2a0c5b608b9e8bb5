"""Learning tasks and their metrics: which metrics a task reports and which way is better.

Kept free of heavy imports: params validation and the gate read it before any model code loads.
"""

from __future__ import annotations

from typing import Literal

Task = Literal["regression", "classification"]

# Everything a task's scores carry (the fields of metrics.Scores / ClassScores, minus `rows`).
METRICS: dict[str, tuple[str, ...]] = {
    "regression": ("mae", "rmse", "r2"),
    "classification": ("roc_auc", "log_loss", "f1", "brier", "ece"),
}
# What `gate.metric` may name for each task: a single number that ranks models sensibly.
GateMetric = Literal["mae", "rmse", "roc_auc", "log_loss", "f1", "brier"]
GATE_METRICS: dict[str, tuple[str, ...]] = {
    "regression": ("mae", "rmse"),
    "classification": ("roc_auc", "log_loss", "f1", "brier"),
}
# What `monitor.metric` may name per task (Evidently computes these on a labelled window). For
# ROC AUC and F1 (higher is better) the error that may increase is 1 - the metric.
MonitorMetric = Literal["mae", "rmse", "log_loss", "roc_auc", "f1"]
MONITOR_METRICS: dict[str, tuple[str, ...]] = {
    "regression": ("mae", "rmse"),
    "classification": ("log_loss", "roc_auc", "f1"),
}
HIGHER_IS_BETTER = frozenset({"r2", "roc_auc", "f1"})  # every other metric is an error or loss


def higher_is_better(metric: str) -> bool:
    """True for metrics where a bigger value means a better model (R², ROC AUC, F1)."""
    return metric in HIGHER_IS_BETTER


def rank_key(metric: str, value: float) -> float:
    """A sort key where smaller is always better, whatever the metric's direction."""
    return -value if higher_is_better(metric) else value
