"""The service's own Prometheus metrics, exported next to BentoML's on GET /metrics.

prometheus_client is imported on first use, not at import time: BentoML tells it where the
shared multi-process files live (PROMETHEUS_MULTIPROC_DIR) only when a worker starts, and metrics
created before that would never reach /metrics.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from prometheus_client import Counter, Histogram

PREFIX = "lifecycle"
# Predicted values are counts here; a 1-2-5 series covers any count-like target in 13 buckets.
VALUE_BUCKETS = (0, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000)


@dataclass(frozen=True)
class ServingMetrics:
    """Counters and histograms the service updates; read them on GET /metrics."""

    predictions: Counter
    predicted_value: Histogram
    rejected: Counter
    reloads: Counter

    def served(self, model_name: str, version: str, values: np.ndarray) -> None:
        """Count predictions by model version and add their values to the histogram."""
        self.predictions.labels(model_name, version).inc(len(values))
        histogram = self.predicted_value.labels(model_name, version)
        for value in values.tolist():
            histogram.observe(value)

    def rejection(self, reason: str) -> None:
        """Count one rejected request."""
        self.rejected.labels(reason).inc()

    def reload(self, outcome: str) -> None:
        """Count one registry check that changed the model (`reloaded`) or failed (`failed`)."""
        self.reloads.labels(outcome).inc()


@functools.cache
def serving_metrics() -> ServingMetrics:
    """The process's metrics, created once (a second registration would raise)."""
    from prometheus_client import Counter, Histogram

    return ServingMetrics(
        predictions=Counter(
            f"{PREFIX}_predictions",
            "Predictions served (rows), by model version",
            ["model_name", "model_version"],
        ),
        predicted_value=Histogram(
            f"{PREFIX}_predicted_value",
            "Distribution of predicted values, by model version",
            ["model_name", "model_version"],
            buckets=VALUE_BUCKETS,
        ),
        rejected=Counter(
            f"{PREFIX}_rejected_requests", "Requests answered 4xx or 503, by reason", ["reason"]
        ),
        reloads=Counter(
            f"{PREFIX}_model_reloads",
            "Registry checks that swapped the model or failed",
            ["outcome"],
        ),
    )


def count_rejection(reason: str) -> None:
    """Count one rejected request (for code that holds no ServingMetrics, e.g. middleware)."""
    serving_metrics().rejection(reason)
