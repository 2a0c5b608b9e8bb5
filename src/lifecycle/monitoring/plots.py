"""The history of monitored windows (their summaries in reports/) and its PNG: drift share and
error over time."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import pandas as pd
from pydantic import BaseModel, ConfigDict

from lifecycle.figures import figure
from lifecycle.monitoring.summary import MonitorSummary
from lifecycle.params import MonitorParams
from lifecycle.tasks import higher_is_better

SUMMARY = "summary.json"  # one per window folder


class HistoryEntry(BaseModel):
    """One monitored window, as the plot needs it."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    window_start: str
    window_end: str
    model_version: str | None
    drift_share: float | None
    metric: str
    error: float | None  # the window's error on `metric` (None without labels)
    validation_error: float | None
    decision: str
    created_at: str


def history_entry(summary: MonitorSummary) -> HistoryEntry:
    """The few numbers of a window's summary that the plot needs."""
    perf, metric = summary.performance, summary.thresholds.metric
    return HistoryEntry(
        window_start=summary.window["start"],
        window_end=summary.window["end"],
        model_version=summary.model_version,
        drift_share=summary.drift_share,
        metric=metric,
        error=getattr(perf.window, metric) if perf else None,
        validation_error=perf.validation.get(metric) if perf else None,
        decision=summary.decision,
        created_at=summary.created_at,
    )


def read_history(reports: Path) -> list[HistoryEntry]:
    """Every monitored window so far, oldest first, from the `*/summary.json` files under
    `reports` (one per window: monitoring a window again replaces its summary)."""
    entries = []
    for path in sorted(reports.glob(f"*/{SUMMARY}")):
        try:
            entries.append(history_entry(MonitorSummary.model_validate_json(path.read_text())))
        except ValueError as err:  # pydantic's ValidationError is a ValueError
            warnings.warn(
                f"{path} is not a monitoring summary, left out of the plot: {err}", stacklevel=2
            )
    return sorted(entries, key=lambda e: (e.window_start, e.window_end))


# Point colour = the window's decision.
COLORS = {"ok": "tab:green", "retrain": "tab:red", "insufficient_data": "tab:grey"}
TITLE = "Monitored windows by start (green ok, red retrain, grey insufficient data)"


def plot_history(entries: list[HistoryEntry], limits: MonitorParams, png: Path) -> Path:
    """Two panels over the windows: share of drifted features, and error vs validation."""
    with figure(png, (9, 6), dpi=110, bbox_inches="tight", nrows=2, sharex=True) as (fig, axes):
        top, bottom = axes
        _draw_drift(top, entries, limits)
        _draw_error(bottom, entries, limits)
        for ax in (top, bottom):
            ax.legend(fontsize=8, loc="upper left")
            ax.grid(alpha=0.3)
        fig.autofmt_xdate()
    return png


def _series(values: list[float | None]) -> list[float]:
    """None becomes NaN: a window without that number leaves a gap in the line."""
    return [float("nan") if v is None else v for v in values]


def _points(
    ax: Any, when: list[pd.Timestamp], values: list[float], entries: list[HistoryEntry], label: str
) -> None:
    """A faint line through the windows, each window a dot coloured by its decision."""
    ax.plot(when, values, "-", color="tab:blue", alpha=0.5)
    colors = [COLORS.get(e.decision, "grey") for e in entries]
    ax.scatter(when, values, c=colors, zorder=3, label=label)


def _draw_drift(ax: Any, entries: list[HistoryEntry], limits: MonitorParams) -> None:
    when = [pd.Timestamp(e.window_start) for e in entries]
    share = _series([e.drift_share for e in entries])
    _points(ax, when, share, entries, "share of drifted features")
    ax.axhline(limits.max_drift_share, color="red", ls="--", label="monitor.max_drift_share")
    ax.set(ylabel="drift share", ylim=(-0.02, 1.02), title=TITLE)


def _allowed(validation: float | None, limits: MonitorParams) -> float | None:
    """The worst value the decision accepts (for ROC AUC and F1 the error is 1 - the metric)."""
    if validation is None:
        return None
    factor = 1 + limits.max_error_increase
    if higher_is_better(limits.metric):
        return 1 - (1 - validation) * factor
    return validation * factor


def _draw_error(ax: Any, entries: list[HistoryEntry], limits: MonitorParams) -> None:
    when = [pd.Timestamp(e.window_start) for e in entries]
    error = _series([e.error for e in entries])
    allowed = _series([_allowed(e.validation_error, limits) for e in entries])
    _points(ax, when, error, entries, f"window {limits.metric.upper()}")
    ax.plot(
        when,
        allowed,
        "r_",
        markersize=18,
        mew=2,
        label="allowed: validation error × (1 + monitor.max_error_increase)",
    )
    ax.set(ylabel=limits.metric.upper(), ylim=(0, None))
