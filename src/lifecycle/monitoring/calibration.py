"""Calibrate the drift threshold on monitored windows whose labels say whether drift mattered.

A drift alarm is worth something only if it fires when the model got worse and stays quiet
when it did not. Every monitored window with labels is such a test: its summary holds each
feature's drift distance (which does not depend on the threshold) and the error increase over
validation (which says whether a retrain was needed: `monitor.max_error_increase`). Replaying
the drift rule (`monitor.max_drift_share` of the features at or over a threshold) for a range
of thresholds gives, for each, the false-alarm rate (alarms on windows that needed no retrain)
and the detection rate (alarms on windows that did).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
from pydantic import BaseModel, ConfigDict

from lifecycle.figures import figure
from lifecycle.monitoring.summary import MonitorSummary
from lifecycle.params import MonitorParams


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class LabelledWindow(_Frozen):
    """What calibration needs of one monitored window: its drift distances and its verdict."""

    label: str  # the window, e.g. 2011-05-01 .. 2011-06-01
    scores: dict[str, float]  # feature -> drift distance against the served model's reference
    needed_retrain: bool  # the error rose more than monitor.max_error_increase


class ThresholdRates(_Frozen):
    """The drift rule replayed with one threshold on every labelled window."""

    threshold: float
    alarms: int
    false_alarms: int  # alarms on windows that needed no retrain
    detected: int  # alarms on windows that needed one
    false_alarm_rate: float | None  # of the windows that needed no retrain; None: there were none
    detection_rate: float | None  # of the windows that needed one; None: there were none


class Calibration(_Frozen):
    """The sweep, the configured threshold's rates, and the lowest threshold within budget."""

    windows: int
    needed_retrain: int
    max_drift_share: float
    max_false_alarm_rate: float
    configured: ThresholdRates
    lowest_within_budget: ThresholdRates | None  # None: no threshold tried keeps to the budget
    natural: dict[str, float]  # feature -> its largest distance on windows that needed no retrain
    sweep: list[ThresholdRates]


def labelled_window(summary: MonitorSummary, limits: MonitorParams) -> LabelledWindow | None:
    """The window's evidence; None when it has no drift scores or no error increase (labels)."""
    perf, drift = summary.performance, summary.drift
    if drift is None or not drift.columns or perf is None or perf.increase is None:
        return None
    return LabelledWindow(
        label=f"{summary.window['start'][:10]} .. {summary.window['end'][:10]}",
        scores={c.column: c.score for c in drift.columns},
        needed_retrain=perf.increase > limits.max_error_increase,
    )


def read_windows(folder: Path, limits: MonitorParams) -> list[LabelledWindow]:
    """Every labelled window under `folder` (`*/summary.json`, as monitoring writes them)."""
    found = []
    for path in sorted(folder.glob("*/summary.json")):
        try:
            summary = MonitorSummary.model_validate_json(path.read_text())
        except ValueError as err:  # pydantic's ValidationError is a ValueError
            warnings.warn(f"{path} is not a monitoring summary, left out: {err}", stacklevel=2)
            continue
        if (window := labelled_window(summary, limits)) is not None:
            found.append(window)
    return found


def rates(windows: Sequence[LabelledWindow], threshold: float, share: float) -> ThresholdRates:
    """The drift rule with `threshold` replayed on each window."""
    fired = [_fires(w.scores, threshold, share) for w in windows]
    bad = [w.needed_retrain for w in windows]
    false_alarms = sum(f and not b for f, b in zip(fired, bad, strict=True))
    detected = sum(f and b for f, b in zip(fired, bad, strict=True))
    fine, needed = bad.count(False), bad.count(True)
    return ThresholdRates(
        threshold=threshold,
        alarms=sum(fired),
        false_alarms=false_alarms,
        detected=detected,
        false_alarm_rate=false_alarms / fine if fine else None,
        detection_rate=detected / needed if needed else None,
    )


def _fires(scores: dict[str, float], threshold: float, share: float) -> bool:
    drifted = sum(score >= threshold for score in scores.values())
    return drifted / len(scores) >= share


def thresholds(windows: Iterable[LabelledWindow], configured: float) -> list[float]:
    """Thresholds worth trying: log-spaced over the distances seen, and the configured one."""
    seen = [s for w in windows for s in w.scores.values()]
    high = max([*seen, configured]) * 1.1
    # From a twentieth of the configured threshold: below that every feature of every window
    # drifts (a public holiday more or less already moves a category's distance by 0.1)
    grid = np.geomspace(configured / 20, high, num=40)
    return sorted({round(float(t), 4) for t in grid} | {configured})


def calibrate(
    windows: Sequence[LabelledWindow], limits: MonitorParams, max_false_alarm_rate: float
) -> Calibration:
    """Sweep the threshold over the windows; ValueError if none of them has labels."""
    if not windows:
        raise ValueError("no monitored window with labels and drift scores to calibrate on")
    share, configured = limits.max_drift_share, limits.drift.threshold
    sweep = [rates(windows, t, share) for t in thresholds(windows, configured)]
    within = [r for r in sweep if (r.false_alarm_rate or 0.0) <= max_false_alarm_rate]
    fine = [w for w in windows if not w.needed_retrain]
    features = sorted({f for w in windows for f in w.scores})
    return Calibration(
        windows=len(windows),
        needed_retrain=sum(w.needed_retrain for w in windows),
        max_drift_share=share,
        max_false_alarm_rate=max_false_alarm_rate,
        configured=rates(windows, configured, share),
        lowest_within_budget=min(within, key=lambda r: r.threshold) if within else None,
        natural={f: max((w.scores.get(f, 0.0) for w in fine), default=0.0) for f in features},
        sweep=sweep,
    )


def _rate(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0%}"


def _line(what: str, r: ThresholdRates) -> str:
    return (
        f"  {what} {r.threshold:<7g} false alarms {r.false_alarms} "
        f"({_rate(r.false_alarm_rate)}), detected {r.detected} ({_rate(r.detection_rate)})"
    )


def calibration_text(found: Calibration) -> str:
    """The calibration as a few lines of text, for the terminal."""
    fine = found.windows - found.needed_retrain
    lines = [
        f"{found.windows} labelled windows: {found.needed_retrain} needed a retrain, "
        f"{fine} did not",
        _line("configured threshold", found.configured),
    ]
    if found.lowest_within_budget:
        budget = f"<= {found.max_false_alarm_rate:.0%} false alarms"
        lines.append(_line(f"lowest with {budget}:", found.lowest_within_budget))
    else:
        lines.append(f"  no threshold tried keeps false alarms <= {found.max_false_alarm_rate:.0%}")
    natural = ", ".join(f"{f} {s:.2f}" for f, s in found.natural.items())
    return "\n".join([*lines, f"  largest distance on windows that needed no retrain: {natural}"])


def plot_threshold_sweep(found: Calibration, png: Path) -> Path:
    """False-alarm and detection rate against the threshold, configured and chosen marked."""
    xs = [r.threshold for r in found.sweep]
    with figure(png, (8, 4.5), dpi=110) as (_, ax):
        for key, colour, name in (
            ("false_alarm_rate", "tab:red", "false alarms (of windows that needed no retrain)"),
            ("detection_rate", "tab:green", "detected (of windows that needed a retrain)"),
        ):
            ys = [getattr(r, key) for r in found.sweep]
            ys = [np.nan if y is None else y for y in ys]
            ax.plot(xs, ys, color=colour, label=name, drawstyle="steps-post")
        ax.axvline(found.configured.threshold, color="black", ls="--", label="configured")
        if found.lowest_within_budget:
            chosen = found.lowest_within_budget.threshold
            ax.axvline(chosen, color="tab:blue", ls=":", label="lowest within the budget")
        ax.axhline(found.max_false_alarm_rate, color="tab:red", ls=":", lw=0.8)
        ax.set(xscale="log", xlabel="drift threshold (distance)", ylabel="share of windows")
        ax.set_title(f"Drift rule replayed on {found.windows} labelled windows")
        ax.legend(fontsize=8)
        ax.grid(alpha=0.3)
    return png
