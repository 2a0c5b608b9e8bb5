"""The monitoring decision: a pure function of the evidence and the thresholds in params.yaml.

Exit codes (for schedulers and CI): 0 ok, 10 retrain, 20 insufficient data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from lifecycle.monitoring.drift import DriftSummary
from lifecycle.monitoring.performance import PerformanceCheck
from lifecycle.params import MonitorParams
from lifecycle.tasks import higher_is_better

Status = Literal["ok", "retrain", "insufficient_data"]
EXIT_CODES: dict[Status, int] = {"ok": 0, "retrain": 10, "insufficient_data": 20}


@dataclass(frozen=True)
class Evidence:
    """Everything the decision looks at for one window."""

    rows: int  # predictions of the served model in the window (before sampling)
    labelled: int  # of the evaluated predictions, how many have ground truth
    problems: tuple[str, ...] = ()  # reasons no comparison was possible (schema, registry…)
    drift: DriftSummary | None = None
    performance: PerformanceCheck | None = None


@dataclass(frozen=True)
class MonitorVerdict:
    """The decision, why, and the exit code that carries it."""

    decision: Status
    reasons: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        """0 ok, 10 retrain, 20 insufficient data."""
        return EXIT_CODES[self.decision]


def enough_rows(rows: int, limits: MonitorParams) -> bool:
    """Is a count of (labelled) predictions big enough to judge on?"""
    return rows >= limits.min_rows


def decide(evidence: Evidence, limits: MonitorParams) -> MonitorVerdict:
    """Retrain if any signal fires; ok only if every signal was checked and none fired.

    A signal that could not be checked (too few rows, no labels) never raises an alarm: the
    answer is then "insufficient_data", unless another signal fired on its own. Drift fires
    on its own only while the error cannot be checked, unless `retrain_on_drift` is "always".
    """
    if evidence.problems:
        return MonitorVerdict("insufficient_data", list(evidence.problems))
    if not enough_rows(evidence.rows, limits):
        return MonitorVerdict(
            "insufficient_data",
            [
                f"only {evidence.rows} predictions in the window; monitor.min_rows is "
                f"{limits.min_rows}"
            ],
        )
    perf = _performance(evidence, limits)
    checks = [_drift_decides(_drift(evidence.drift, limits), perf[0], limits), perf]
    reasons = [text for _, text in checks]
    if any(state == "fired" for state, _ in checks):
        return MonitorVerdict("retrain", reasons)
    if any(state == "unknown" for state, _ in checks):
        return MonitorVerdict("insufficient_data", reasons)
    return MonitorVerdict("ok", reasons)


State = Literal["fired", "quiet", "unknown"]
Check = tuple[State, str]


def _drift(drift: DriftSummary | None, limits: MonitorParams) -> Check:
    if drift is None:
        return "unknown", "data drift was not measured"
    total = len(drift.columns)
    what = f"{drift.count} of {total} features drifted (share {drift.share:.2f}"
    if drift.share >= limits.max_drift_share:
        names = ", ".join(drift.drifted)
        return "fired", f"{what} >= monitor.max_drift_share {limits.max_drift_share}): {names}"
    return "quiet", f"{what} < monitor.max_drift_share {limits.max_drift_share})"


def _drift_decides(drift: Check, performance: State, limits: MonitorParams) -> Check:
    """Drift is a proxy for harm; once labels show the error itself, the error decides.

    Inputs such as the weather drift between almost any two months of the year without the
    model getting worse, so with `retrain_on_drift: unlabelled` drift that fired while the
    error was checked is kept as a warning in the reasons instead of a retrain.
    """
    state, text = drift
    if state == "fired" and limits.retrain_on_drift == "unlabelled" and performance != "unknown":
        return "quiet", f"warning: {text}; the error was checked on labels and decides"
    return drift


def _performance(evidence: Evidence, limits: MonitorParams) -> Check:
    perf, metric = evidence.performance, limits.metric
    if perf is None or not enough_rows(evidence.labelled, limits):
        return "unknown", (
            f"performance not checked: {evidence.labelled} labelled predictions, "
            f"monitor.min_rows is {limits.min_rows} (deliver labels with `make feedback`)"
        )
    if perf.increase is None:
        return "unknown", f"performance not checked: the model has no validation {metric}"
    now, then = getattr(perf.window, metric), perf.validation[metric]
    # For ROC AUC and F1 the percentage is the change of the error 1 - score: say so.
    change = f"1 - {metric.upper()} " if higher_is_better(metric) else ""
    what = f"{metric.upper()} {now:.2f} vs validation {then:.2f} ({change}{perf.increase:+.0%}"
    if perf.increase > limits.max_error_increase:
        return "fired", f"{what} > +{limits.max_error_increase:.0%} allowed)"
    return "quiet", f"{what} <= +{limits.max_error_increase:.0%} allowed)"
