"""Performance of the served model on a labelled window, against its own validation scores."""

from __future__ import annotations

from typing import Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict

from lifecycle.dataset import DatasetSpec
from lifecycle.metrics import score_slices
from lifecycle.monitoring.drift import Quality
from lifecycle.monitoring.frames import PREDICTION


class PerformanceCheck(BaseModel):
    """The window's error next to the model's validation error."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    metric: Literal["mae", "rmse"]
    rows: int  # labelled predictions the numbers are computed on
    window: Quality
    validation: dict[str, float]  # the served model's validation scores (from its MLflow run)
    increase: float | None  # window error / validation error - 1; None if validation unknown
    slices: dict[str, dict[str, dict[str, float]]]  # {slice: {value: {mae, rmse, r2, rows}}}


def error_increase(window: float, validation: float | None) -> float | None:
    """Relative change of the error: +0.5 means 50 % worse than on validation."""
    if validation is None or validation <= 0:
        return None
    return window / validation - 1


def check_performance(
    quality: Quality,
    validation: dict[str, float],
    metric: Literal["mae", "rmse"],
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
        increase=error_increase(getattr(quality, metric), validation.get(metric)),
        slices=score_slices(labelled, spec, y, p),
    )
