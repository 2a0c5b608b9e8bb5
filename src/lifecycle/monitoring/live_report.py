"""The live comparison inside Evidently's own report: a custom Evidently metric.

Evidently 0.7 computes metrics from the report's datasets; the live comparison is computed
from other rows (shadow predictions, canary answers) by lifecycle.evidence, so this metric
carries the finished comparison in and shows it: counters (error cut, interval, rows, days)
and the verdict as text in report.html, and a by-label value (improvement, low, high) that
the workspace stores as points, so its dashboard can draw the live error cut per window.

The metric's config (what identifies a series in the workspace) is who is compared and how:
variant, both versions, metric, confidence. The numbers ride in a private attribute: in the
config they would make every window a series of its own.

Evidently is imported at the top: import this module only where a report is built.
"""

from __future__ import annotations

from typing import Any

from evidently.core.metric_types import ByLabelCalculation, ByLabelMetric, ByLabelValue
from evidently.legacy.renderers.html_widgets import CounterData, counter, text_widget

from lifecycle.monitoring.live_comparison import LiveComparison

LABELS = ("improvement", "low", "high")  # the value's labels: the dashboard's three lines


class LiveErrorCut(ByLabelMetric):
    """The gate's live error cut of a challenger (shadow or canary) against the champion."""

    variant: str
    challenger_version: str
    champion_version: str
    metric: str
    confidence: float
    _live: dict[str, Any]

    def __init__(self, live: LiveComparison, **data: Any) -> None:
        super().__init__(
            variant=live.variant,
            challenger_version=live.challenger_version,
            champion_version=live.champion_version,
            metric=live.metric,
            confidence=live.confidence,
            **data,
        )
        object.__setattr__(self, "_live", live.model_dump())


class LiveErrorCutCalculation(ByLabelCalculation[LiveErrorCut]):
    """Shows the comparison it was given (no computation on the report's datasets)."""

    def calculate(self, context: Any, current_data: Any, reference_data: Any) -> ByLabelValue:
        live = LiveComparison.model_validate(self.metric._live)
        result = self.result({label: getattr(live, label) for label in LABELS})
        span = f"{live.low:+.1%} .. {live.high:+.1%}"
        result.widget = [
            counter(
                title=self.display_name(),
                counters=[
                    CounterData("error cut (> 0: challenger better)", f"{live.improvement:+.1%}"),
                    CounterData(f"{live.confidence:.0%} interval", span),
                    CounterData(f"{live.metric.upper()} champion", f"{live.champion_metric:.4g}"),
                    CounterData(
                        f"{live.metric.upper()} {live.variant}", f"{live.challenger_metric:.4g}"
                    ),
                    CounterData("labelled rows", str(live.rows)),
                    CounterData("days", str(live.days)),
                ],
            ),
            text_widget(title=f"Live verdict ({live.method})", text=live.line()),
        ]
        return result

    def display_name(self) -> str:
        m = self.metric
        how = "paired" if m.variant == "shadow" else "unpaired"
        return (
            f"Live {m.metric.upper()} error cut: {m.variant} v{m.challenger_version} vs "
            f"champion v{m.champion_version} ({how})"
        )


def live_metrics(comparisons: list[LiveComparison]) -> list[LiveErrorCut]:
    """One report metric per live comparison of the window."""
    return [LiveErrorCut(live) for live in comparisons]
