"""The history of monitored windows (their summaries in reports/) and its PNG: drift share and
error over time, and the live error cut of a shadowed challenger where there is one; and the
PNG of one window's live comparison."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import pandas as pd
from pydantic import BaseModel, ConfigDict

from lifecycle.figures import figure
from lifecycle.monitoring.live_comparison import LiveComparison
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
    # the shadowed challenger's live error cut and its interval (None: no live comparison)
    live_improvement: float | None = None
    live_low: float | None = None
    live_high: float | None = None
    live_version: str | None = None


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
        live_improvement=summary.live.improvement if summary.live else None,
        live_low=summary.live.low if summary.live else None,
        live_high=summary.live.high if summary.live else None,
        live_version=summary.live.challenger_version if summary.live else None,
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
    """Two panels over the windows: share of drifted features, and error vs validation; a
    third with the live error cut once a window has a live (shadow) comparison."""
    live = any(e.live_improvement is not None for e in entries)
    rows, size = (3, (9, 8.5)) if live else (2, (9, 6))
    with figure(png, size, dpi=110, bbox_inches="tight", nrows=rows, sharex=True) as (fig, axes):
        _draw_drift(axes[0], entries, limits)
        _draw_error(axes[1], entries, limits)
        if live:
            _draw_live(axes[2], entries)
        for ax in axes:
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


def _draw_live(ax: Any, entries: list[HistoryEntry]) -> None:
    """The shadowed challenger's error cut per window, with its interval as an error bar."""
    shown = [e for e in entries if e.live_improvement is not None]
    when = [pd.Timestamp(e.window_start) for e in shown]
    cut = [float(e.live_improvement or 0.0) for e in shown]
    low = [c if e.live_low is None else e.live_low for c, e in zip(cut, shown, strict=True)]
    high = [c if e.live_high is None else e.live_high for c, e in zip(cut, shown, strict=True)]
    below = [c - lo for c, lo in zip(cut, low, strict=True)]
    above = [hi - c for c, hi in zip(cut, high, strict=True)]
    ax.errorbar(
        when,
        cut,
        yerr=[below, above],
        fmt="o",
        color="tab:purple",
        capsize=4,
        label="challenger's live error cut (shadow), with its interval",
    )
    for x, y, e in zip(when, cut, shown, strict=True):
        ax.annotate(
            f"v{e.live_version}", (x, y), textcoords="offset points", xytext=(6, 4), fontsize=7
        )
    ax.axhline(0, color="black", lw=0.8)
    ax.set(ylabel="1 - error(challenger) / error(champion)")


def plot_live(comparisons: list[LiveComparison], png: Path) -> Path:
    """One window's live comparisons, a panel each: the gate metric per day for the champion
    and the challenger, and the verdict with its interval as the title."""
    size = (9.0, 3.6 * len(comparisons))
    with figure(png, size, dpi=110, nrows=len(comparisons), squeeze=False) as (_, axes):
        for ax, live in zip(axes[:, 0], comparisons, strict=True):
            _draw_days(ax, live)
    return png


def _draw_days(ax: Any, live: LiveComparison) -> None:
    days = [pd.Timestamp(d.day) for d in live.per_day]
    champion = _series([d.champion for d in live.per_day])
    challenger = _series([d.challenger for d in live.per_day])
    ax.plot(days, champion, "o-", color="tab:blue", label=f"champion v{live.champion_version}")
    ax.plot(
        days,
        challenger,
        "s-",
        color="tab:orange",
        label=f"{live.variant} v{live.challenger_version}",
    )
    how = "same rows" if live.paired else "each on its own rows"
    ax.set(
        ylabel=f"{live.metric.upper()} per day",
        title=(
            f"{live.variant}: error cut {live.improvement:+.1%} "
            f"({live.confidence:.0%} interval {live.low:+.1%} .. {live.high:+.1%}; "
            f"{live.rows} rows, {live.days} days, {how})"
        ),
    )
    ax.title.set_fontsize(9)
    ax.legend(fontsize=8, loc="upper left")
    ax.grid(alpha=0.3)
    ax.tick_params(axis="x", labelrotation=30)
