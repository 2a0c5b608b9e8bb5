"""The service's own Prometheus metrics, exported next to BentoML's on GET /metrics.

prometheus_client is imported on first use, not at import time: BentoML tells it where the
shared multi-process files live (PROMETHEUS_MULTIPROC_DIR) only when a worker starts, and metrics
created before that would never reach /metrics. In that mode a gauge says how the values of a
server's worker processes combine (`multiprocess_mode`); the `live` modes drop a process's value
once it is marked dead. The alert rules built on these are monitoring/alerts/lifecycle.rules.yml.
"""

from __future__ import annotations

import functools
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

if TYPE_CHECKING:
    from prometheus_client import Counter, Gauge, Histogram

    from lifecycle.serving.champion import Champion

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
    served_model: Gauge  # 1 for the (name, version) a process serves now, 0 for one it replaced
    log_pending: Gauge  # prediction-log rows appended, not yet committed (queued or held)
    log_written: Counter  # prediction-log rows committed

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
        **_health_metrics(),
    )


def _rollout_metrics() -> dict[str, Any]:
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


def _health_metrics() -> dict[str, Any]:
    """What the fleet's alerts read besides requests: the model served, the log's backlog."""
    from prometheus_client import Counter, Gauge

    return {
        # livemax: a server's value is 1 while any of its live workers serves that version,
        # so `count by (version)` over the fleet is the number of versions served right now.
        "served_model": Gauge(
            f"{PREFIX}_served_model_info",
            "1 for the model version a server serves now; 0 for a version it served before",
            ["model_name", "version"],
            multiprocess_mode="livemax",
        ),
        "log_pending": Gauge(
            f"{PREFIX}_prediction_log_pending_rows",
            "Prediction-log rows not yet committed (queued, or held while the database is down)",
            multiprocess_mode="livesum",
        ),
        "log_written": Counter(
            f"{PREFIX}_prediction_log_written_rows",
            "Prediction-log rows committed to the database",
        ),
    }


class ServedInfo:
    """A follower of the registry checks: lifecycle_served_model_info names the version served.

    A replaced version is set to 0, not removed: in multi-process mode the value lives in a
    file shared with /metrics, which remove() would not touch."""

    def __init__(self, metrics: ServingMetrics, champion: Champion) -> None:
        self.gauge = metrics.served_model
        self.serving = (champion.info.name, champion.info.version)
        self.gauge.labels(*self.serving).set(1)

    def __call__(self, champion: Champion) -> None:
        """After each check (ServedModel.refresh): move the 1 if the champion changed."""
        now = (champion.info.name, champion.info.version)
        if now != self.serving:
            self.gauge.labels(*now).set(1)  # first: a scrape in between sees both, never none
            self.gauge.labels(*self.serving).set(0)
            self.serving = now


class CountedLog(Protocol):
    """What LogGauges reads from the prediction log."""

    def pending_rows(self) -> int:
        """Rows appended but not yet committed."""
        ...

    def written_rows(self) -> int:
        """Rows committed since the log was opened."""
        ...


@dataclass
class LogGauges:
    """A thread copying the prediction log's backlog and written rows to the metrics.

    The log's writer knows nothing of Prometheus; reading it every `seconds` (cheap: two
    counters) keeps the backlog gauge true while no request arrives, e.g. after an outage."""

    log: CountedLog
    metrics: ServingMetrics
    seconds: float = 1.0
    _written: int = field(default=0, init=False)  # the log's count at the last update
    _stop: threading.Event = field(default_factory=threading.Event, init=False)
    _thread: threading.Thread | None = field(default=None, init=False)

    def start(self) -> LogGauges:
        """Update now, then every `seconds` until stop()."""
        self.update()
        self._thread = threading.Thread(target=self._run, name="log-gauges", daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(self.seconds):
            self.update()

    def update(self) -> None:
        """Set the backlog gauge and add the rows written since the last update."""
        self.metrics.log_pending.set(self.log.pending_rows())
        written = self.log.written_rows()
        self.metrics.log_written.inc(max(written - self._written, 0))
        self._written = written

    def stop(self) -> None:
        """Stop the thread, after one last update (call after the log's close: all written)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self.update()


def count_rejection(reason: str) -> None:
    """Count one rejected request (for code that holds no ServingMetrics, e.g. middleware)."""
    serving_metrics().rejection(reason)
