"""Performance of the served model on a labelled window, against its own validation scores."""

from __future__ import annotations

import pandas as pd
from pydantic import BaseModel, ConfigDict

from lifecycle.dataset import DatasetSpec
from lifecycle.metrics import score_slices
from lifecycle.monitoring.drift import ClassQuality, Quality
from lifecycle.monitoring.frames import PREDICTION, as_float
from lifecycle.tasks import MonitorMetric, higher_is_better


class PerformanceCheck(BaseModel):
    """The window's error next to the model's validation error."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    metric: MonitorMetric
    rows: int  # labelled predictions the numbers are computed on
    window: Quality | ClassQuality
    validation: dict[str, float]  # the served model's validation scores (from its MLflow run)
    increase: float | None  # window error / validation error - 1; None if validation unknown
    slices: dict[str, dict[str, dict[str, float]]]  # {slice: {value: {metric: value, rows}}}


def error_increase(window: float, validation: float | None, metric: str = "") -> float | None:
    """Relative change of the error: +0.5 means 50 % worse than on validation. For ROC AUC
    and F1 the error is 1 - the metric."""
    if validation is None:
        return None
    if higher_is_better(metric):
        window, validation = 1 - window, 1 - validation
    if validation <= 0:
        return None
    return window / validation - 1


def check_performance(
    quality: Quality | ClassQuality,
    validation: dict[str, float],
    metric: MonitorMetric,
    labelled: pd.DataFrame,
    spec: DatasetSpec,
) -> PerformanceCheck:
    """Compare Evidently's window scores with validation; add the error of every slice."""
    y, p = labelled[spec.target].to_numpy(), labelled[PREDICTION].to_numpy()
    return PerformanceCheck(
        metric=metric,
        rows=len(labelled),
        window=quality,
        validation=validation,
        increase=error_increase(getattr(quality, metric), validation.get(metric), metric),
        slices=score_slices(_flags(labelled, spec), spec, y, p),  # a classifier's p: P(positive)
    )


def _flags(frame: pd.DataFrame, spec: DatasetSpec) -> pd.DataFrame:
    """Bool features as True/False (None for a gap), as the source holds them: the log holds
    them as the model reads them (1.0/0.0), and the slices name them true/false."""
    out = frame.copy()
    for name in (n for n, col in spec.features.items() if col.dtype == "bool"):
        numbers = as_float(out[name])
        out[name] = (numbers == 1).astype(object).where(numbers.notna(), None)
    return out
