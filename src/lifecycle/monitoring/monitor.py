"""Monitor one window of the prediction log: drift, performance, a decision, and its reports.

`monitor_window` is the in-process API (the replay loop calls it per month); the command line
around it is monitoring/monitor.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from lifecycle.dataset import DatasetSpec
from lifecycle.monitoring.decision import Evidence, MonitorVerdict, decide, enough_rows
from lifecycle.monitoring.drift import ReportSummary, run_report, summarize
from lifecycle.monitoring.frames import (
    Columns,
    compared_rows,
    empty_columns,
    monitor_frame,
    monitored_columns,
    positive_class,
    sample,
)
from lifecycle.monitoring.live import LiveEvidence
from lifecycle.monitoring.live_comparison import LiveComparison
from lifecycle.monitoring.observe import Observed, observe_live, observe_window
from lifecycle.monitoring.paths import MonitorPaths
from lifecycle.monitoring.performance import PerformanceCheck, check_performance
from lifecycle.monitoring.publish import publish_window
from lifecycle.monitoring.summary import MonitorSummary, RowCounts
from lifecycle.monitoring.window import Window
from lifecycle.params import MonitorParams, Params
from lifecycle.settings import Settings


@dataclass
class MonitorResult:
    """The typed summary, plus Evidently's snapshot when a report could be run."""

    summary: MonitorSummary
    snapshot: Any | None = None


def monitor_window(
    window: Window,
    spec: DatasetSpec,
    params: Params,
    settings: Settings,
    paths: MonitorPaths,
    sample_large: bool = True,
) -> MonitorResult:
    """Compare a window of logged predictions with the served model's reference and decide."""
    limits = params.monitor
    sample_rows = limits.sample_rows if sample_large else None
    obs = observe_window(window, spec, params, settings, paths, sample_rows)
    live = observe_live(window, spec, params, paths, obs)
    snapshot, report, perf = None, None, None
    if obs.model is not None and obs.reference is not None:
        snapshot, report, perf = evaluate_window(obs, window, spec, params, sample_large, live)
    labelled = int(obs.current[spec.target].notna().sum()) if spec.target in obs.current else 0
    drift = report.drift if report else None
    evidence = Evidence(len(obs.current), labelled, tuple(obs.problems), drift, perf)
    summary = _summary(window, obs, evidence, decide(evidence, limits), limits)
    summary = summary.model_copy(
        update={
            "notes": [*summary.notes, *live.notes],
            "variants": live.variants,
            "live": live.shadow,
            "canary": live.canary,
        }
    )
    if paths.reports is not None:
        summary = publish_window(summary, snapshot, window, paths, limits, settings.evidently_url)
    return MonitorResult(summary, snapshot)


def _summary(
    window: Window,
    obs: Observed,
    evidence: Evidence,
    verdict: MonitorVerdict,
    limits: MonitorParams,
) -> MonitorSummary:
    """The typed summary of a window: counts, drift, performance and the decision."""
    drift, perf = evidence.drift, evidence.performance
    return MonitorSummary(
        window=window.as_dict(),
        model_name=obs.served_as[0] if obs.served_as else None,
        model_version=obs.served_as[1] if obs.served_as else None,
        run_id=obs.model.run_id if obs.model else None,
        rows=RowCounts(
            logged=obs.logged.logged,
            evaluated=len(obs.logged.frame),
            monitored=evidence.rows,
            labelled=evidence.labelled,
            reference=0 if obs.reference is None else len(obs.reference),
        ),
        sampled=obs.logged.sampled,
        versions=obs.versions,
        drift_share=drift.share if drift else None,
        drifted_features=drift.drifted if drift else [],
        performance_delta=perf.increase if perf else None,
        decision=verdict.decision,
        reasons=verdict.reasons,
        notes=obs.notes,
        exit_code=verdict.exit_code,
        drift=drift,
        performance=perf,
        thresholds=limits,
    )


def evaluate_window(
    obs: Observed,
    window: Window,
    spec: DatasetSpec,
    params: Params,
    sample_large: bool,
    live: LiveEvidence | None = None,
) -> tuple[Any, ReportSummary, PerformanceCheck | None]:
    """Run the Evidently report on the window and read it back; add slices when labelled.
    The live comparisons, if any, go into the report as metrics of their own."""
    assert obs.model is not None and obs.reference is not None
    limits = params.monitor
    rows = limits.sample_rows if sample_large else None
    reference = sample(monitor_frame(obs.reference, spec), rows, params.seed)
    labelled = obs.current[obs.current[spec.target].notna()]
    target = spec.target if enough_rows(len(labelled), limits) else None
    if target and spec.task == "classification" and len(labelled) < len(obs.current):
        obs.notes.append(
            f"Evidently's classification metrics need a label on every row: the report "
            f"compared the {len(labelled)} labelled of {len(obs.current)} predictions"
        )
    current = monitor_frame(obs.current, spec)
    columns = _comparable(obs, current, reference, spec, target)
    meta = {
        "model": obs.model.name,
        "version": obs.model.version,
        "run_id": obs.model.run_id,
        **{f"window_{k}": v for k, v in window.as_dict().items()},
    }
    found = [c for c in (live.shadow, live.canary) if c] if live else []
    extra: list[Any] = []
    if found:
        from lifecycle.monitoring.live_report import live_metrics

        extra = list(live_metrics(found))
        meta |= _live_metadata(found)
    snapshot = run_report(
        current,
        reference,
        columns,
        limits,
        target,
        window.start.to_pydatetime(),
        meta,
        positive_class(spec),
        extra,
        [f"live:{c.variant}" for c in found],
    )
    report = summarize(snapshot.dict())
    perf = None
    if target is not None and report.quality is not None:
        perf = check_performance(
            report.quality, obs.model.validation, limits.metric, labelled, spec
        )
    return snapshot, report, perf


def _comparable(
    obs: Observed,
    current: pd.DataFrame,
    reference: pd.DataFrame,
    spec: DatasetSpec,
    target: str | None,
) -> Columns:
    """The monitored columns that hold values on both sides; the others are noted, left out."""
    columns = monitored_columns(spec)
    seen = compared_rows(current, target, positive_class(spec))
    empty = empty_columns(columns, seen, reference)
    if empty:
        obs.notes.append(
            f"no value at all for {empty} in the window or the reference (only gaps): "
            "left out of the drift comparison"
        )
    return columns.without(empty)


def _live_metadata(found: list[LiveComparison]) -> dict[str, str]:
    """The live comparisons as snapshot metadata (text): the workspace can filter runs by it."""
    meta = {}
    for live in found:
        key = f"live_{live.variant}"
        meta[f"{key}_challenger"] = live.challenger_version
        meta[f"{key}_improvement"] = f"{live.improvement:.4f}"
        meta[f"{key}_interval"] = f"{live.low:.4f} .. {live.high:.4f}"
        meta[f"{key}_rows"] = str(live.rows)
        meta[f"{key}_verdict"] = live.line()
    return meta
