"""The monitor's decision as Prometheus gauges on a Pushgateway, where alert rules read it.

A monitoring run is a batch job: Prometheus cannot scrape it, so it pushes its result to the
Pushgateway (LIFECYCLE_PUSHGATEWAY_URL), which Prometheus scrapes. One group per model:
job="lifecycle_monitor", model_name=<name>. Each push replaces the whole group (HTTP PUT), so a
gauge the newest run could not compute (no labels yet: no error) disappears rather than
showing the value of an older run. monitoring/alerts/lifecycle.rules.yml alerts on them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from lifecycle.monitoring.decision import EXIT_CODES, Status
from lifecycle.monitoring.summary import MonitorSummary

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry

JOB = "lifecycle_monitor"
PREFIX = "lifecycle_monitor"
DECISIONS: tuple[Status, ...] = tuple(EXIT_CODES)  # ok, retrain, insufficient_data


class PushFailed(RuntimeError):
    """The Pushgateway did not take the push (the message names the URL and the reason)."""


@dataclass(frozen=True)
class MonitorGauges:
    """What one monitoring run pushes: its decision and the numbers behind it."""

    model_name: str
    decision: Status
    model_version: str = ""  # "" when no served model could be identified
    drift_share: float | None = None
    metric: str | None = None  # monitor.metric, with its value on the window once labelled
    metric_value: float | None = None
    error_increase: float | None = None  # window error / validation error - 1
    monitored_rows: int = 0
    labelled_rows: int = 0
    finished_at: float = field(default_factory=time.time)  # Unix time of the run's end

    @classmethod
    def of(cls, summary: MonitorSummary, model_name: str) -> MonitorGauges:
        """The gauges of a run's summary; `model_name` when the summary names no model."""
        perf = summary.performance
        return cls(
            model_name=summary.model_name or model_name,
            decision=summary.decision,
            model_version=summary.model_version or "",
            drift_share=summary.drift_share,
            metric=perf.metric if perf else None,
            metric_value=float(getattr(perf.window, perf.metric)) if perf else None,
            error_increase=perf.increase if perf else None,
            monitored_rows=summary.rows.monitored,
            labelled_rows=summary.rows.labelled,
        )


def collect(gauges: MonitorGauges) -> CollectorRegistry:
    """A registry of its own holding the run's gauges (the process's default one is left out:
    it would push this process's own metrics too)."""
    from prometheus_client import CollectorRegistry, Gauge

    registry = CollectorRegistry()
    decision = Gauge(
        f"{PREFIX}_decision",
        "1 for the last run's decision, 0 for the others",
        ["decision", "model_version"],
        registry=registry,
    )
    for name in DECISIONS:
        decision.labels(name, gauges.model_version).set(int(name == gauges.decision))
    rows = Gauge(f"{PREFIX}_rows", "Rows of the last run's window", ["kind"], registry=registry)
    rows.labels("monitored").set(gauges.monitored_rows)
    rows.labels("labelled").set(gauges.labelled_rows)
    Gauge(f"{PREFIX}_last_run_timestamp_seconds", "When the last run ended", registry=registry).set(
        gauges.finished_at
    )
    _optional(gauges, registry)
    return registry


def _optional(gauges: MonitorGauges, registry: CollectorRegistry) -> None:
    """The gauges a run computes only with enough (labelled) rows."""
    from prometheus_client import Gauge

    if gauges.drift_share is not None:
        Gauge(
            f"{PREFIX}_drift_share", "Share of drifted features in the last run", registry=registry
        ).set(gauges.drift_share)
    if gauges.metric is not None and gauges.metric_value is not None:
        value = Gauge(
            f"{PREFIX}_metric",
            "The monitored metric (monitor.metric) on the last run's labelled rows",
            ["metric"],
            registry=registry,
        )
        value.labels(gauges.metric).set(gauges.metric_value)
    if gauges.error_increase is not None:
        Gauge(
            f"{PREFIX}_error_increase",
            "The last run's error relative to validation, minus 1 (0.5: 50 % worse)",
            registry=registry,
        ).set(gauges.error_increase)


def push_decision(url: str, gauges: MonitorGauges, timeout: float = 10.0) -> None:
    """Replace the model's group on the Pushgateway at `url` with these gauges.
    PushFailed when the gateway cannot be reached or refuses the push."""
    from prometheus_client import push_to_gateway

    key = {"model_name": gauges.model_name}
    try:
        push_to_gateway(url, JOB, collect(gauges), grouping_key=key, timeout=timeout)
    except (OSError, ValueError) as err:  # URLError, HTTPError and timeouts are OSErrors
        raise PushFailed(
            f"LIFECYCLE_PUSHGATEWAY_URL={url}: the decision was not pushed: {_reason(err)}"
        ) from None


def _reason(err: Exception) -> str:
    """urllib's errors say little in str(): take the HTTP status or the socket's reason."""
    from urllib.error import HTTPError, URLError

    if isinstance(err, HTTPError):
        return f"HTTP {err.code} {err.reason}"
    if isinstance(err, URLError):
        return str(err.reason)
    return str(err) or type(err).__name__
