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
# A classifier's probability of the positive class: finer at both ends, where confidence lives.
PROBABILITY_BUCKETS = (0.01, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99, 1.0)


@dataclass(frozen=True)
class ServingMetrics:
    """Counters and histograms the service updates; read them on GET /metrics."""

    predictions: Counter
    predicted_value: Histogram
    predicted_probability: Histogram
    rejected: Counter
    reloads: Counter
    # rows, by outcome: predicted | failed (raised or malformed) | dropped (queue full) |
    # abandoned (still queued or in flight when close() gave up on a stuck challenger)
    shadow: Counter
    canary: Counter  # rows, by outcome: answered | fallback (raised, malformed or too late)
    rollbacks: Counter  # canary stops, by the guardrail that broke
    challenger_refused: Counter  # challengers that do not fit the service

    def served(
        self, model_name: str, version: str, values: np.ndarray, probability: bool = False
    ) -> None:
        """Count predictions by model version and add their values (or probabilities) to a
        histogram."""
        self.predictions.labels(model_name, version).inc(len(values))
        kind = self.predicted_probability if probability else self.predicted_value
        observe_all(kind.labels(model_name, version), values)

    def rejection(self, reason: str) -> None:
        """Count one rejected request."""
        self.rejected.labels(reason).inc()

    def reload(self, outcome: str) -> None:
        """Count one registry check that changed the model (`reloaded`) or failed (`failed`)."""
        self.reloads.labels(outcome).inc()


def observe_all(histogram: Histogram, values: np.ndarray) -> None:
    """histogram.observe(v) for every v, with one counter update per bucket instead of per value."""
    # prometheus_client has no bulk observe, and one observe() per row cost ~4 us, 10-15% of a
    # 1,000-row request. Its own per-value path stays as the fallback should its internals move.
    bounds = getattr(histogram, "_upper_bounds", None)
    if bounds is None or not hasattr(histogram, "_buckets") or not hasattr(histogram, "_sum"):
        for value in values.tolist():
            histogram.observe(value)
        return
    # observe() puts a value in the first bucket whose bound is >= it: side="left"
    index = np.searchsorted(np.asarray(bounds, dtype="float64"), values, side="left")
    for bucket, count in zip(*np.unique(index, return_counts=True), strict=True):
        if bucket < len(bounds):  # NaN sorts past +Inf: observe() counts it in no bucket
            histogram._buckets[bucket].inc(int(count))
    histogram._sum.inc(float(values.sum()))


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
        predicted_probability=Histogram(
            f"{PREFIX}_predicted_probability",
            "Distribution of the positive class's probability (classifiers), by model version",
            ["model_name", "model_version"],
            buckets=PROBABILITY_BUCKETS,
        ),
        rejected=Counter(
            f"{PREFIX}_rejected_requests", "Requests answered 4xx or 503, by reason", ["reason"]
        ),
        reloads=Counter(
            f"{PREFIX}_model_reloads",
            "Registry checks that swapped the model or failed",
            ["outcome"],
        ),
        **_rollout_metrics(),
    )


def _rollout_metrics() -> dict[str, Counter]:
    """The challenger's counters: shadow rows, canary answers, rollbacks, refusals."""
    from prometheus_client import Counter

    return {
        "shadow": Counter(
            f"{PREFIX}_shadow_predictions",
            "Rows the challenger predicted in shadow, failed on, dropped (queue full) or abandoned",
            ["outcome"],
        ),
        "canary": Counter(
            f"{PREFIX}_canary_answers",
            "Rows the challenger answered as canary, or that fell back to the champion",
            ["outcome"],
        ),
        "rollbacks": Counter(
            f"{PREFIX}_canary_rollbacks",
            "Canaries this worker stopped, by the guardrail that broke",
            ["guardrail"],
        ),
        "challenger_refused": Counter(
            f"{PREFIX}_challenger_refused",
            "Challenger versions refused: another task, input columns or classes",
        ),
    }


def count_rejection(reason: str) -> None:
    """Count one rejected request (for code that holds no ServingMetrics, e.g. middleware)."""
    serving_metrics().rejection(reason)
