"""Timings of monitoring at scale: a decision on a window of a million logged predictions.

Measures, in one run on this machine: (1) the decision on the sampled window, from a cold
process and warm in-process; (2) the unsampled decision on the same window, which the sampled
one must match; (3) ratios of our report against a bare Evidently DataDriftPreset run on the
same sampled rows (median of interleaved repeats). Other processes on the machine slow the
wall clock down, so every timing is given as wall-clock and as CPU seconds of our own process
(the ratios use CPU time, which background load barely moves), with the load average.
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import pandas as pd

from lifecycle.entry import Context, StageFailed
from lifecycle.monitoring.drift import run_report, summarize
from lifecycle.monitoring.feedback import deliver_from_source
from lifecycle.monitoring.frames import monitor_frame, monitored_columns, sample
from lifecycle.monitoring.monitor import evaluate_window, monitor_window
from lifecycle.monitoring.observe import Observed, observe_window
from lifecycle.monitoring.paths import MonitorPaths
from lifecycle.monitoring.publish import publish_window
from lifecycle.monitoring.simulate import load_served, period_rows, replay, resample
from lifecycle.monitoring.summary import MonitorSummary
from lifecycle.monitoring.window import Window
from lifecycle.source import read_source
from lifecycle.tracking import configure


@dataclass(frozen=True)
class Timing:
    """Wall-clock and CPU seconds of one measured call."""

    wall: float
    cpu: float


def timed(fn: Callable[[], Any]) -> tuple[Timing, Any]:
    """Time one call in this process; returns its timing and its result."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn()
    return Timing(time.perf_counter() - wall, time.process_time() - cpu), result


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def build_log(ctx: Context, window: Window, rows: int, folder: Path) -> MonitorPaths:
    """A log of `rows` real rows of the window resampled (seeded), served by the champion,
    plus the window's labels; reused when it already exists for the same champion."""
    name = ctx.params.registry.model_name
    version, model = load_served(configure(ctx.settings), name, None)
    stem = f"v{version}-{window.label}-{rows}-seed{ctx.params.seed}"
    log = folder / f"{stem}.sqlite"
    paths = MonitorPaths(
        log=log,
        feedback=folder / f"{stem}-labels.sqlite",
        state=ctx.settings.monitoring_state,
        reports=folder / "reports",
        workspace=folder / "evidently",
    )
    if not log.exists():
        print(f"building a {rows}-row prediction log for {window.label} (once)...", flush=True)
        source = read_source(ctx.spec)
        big = resample(period_rows(source, window), rows, ctx.params.seed)
        replay(big, ctx.spec, model, (name, version), log.with_suffix(".tmp"))
        log.with_suffix(".tmp").rename(log)  # only a complete log is ever reused
        deliver_from_source(source, ctx.spec, window, paths.feedback)
    return paths


def cold_decision(paths: MonitorPaths, window: Window) -> tuple[Timing, int]:
    """Timing and exit code of `monitoring/monitor.py` in a fresh process (imports included)."""
    assert paths.reports is not None and paths.workspace is not None
    options = {
        "--start": window.start.isoformat(), "--end": window.end.isoformat(),
        "--log": str(paths.log), "--feedback": str(paths.feedback),
        "--out": str(paths.reports), "--workspace": str(paths.workspace),
    }  # fmt: skip
    args = [part for pair in options.items() for part in pair]
    wall, cpu = time.perf_counter(), _children_cpu()
    done = subprocess.run([sys.executable, "monitoring/monitor.py", *args], capture_output=True)
    return Timing(time.perf_counter() - wall, _children_cpu() - cpu), done.returncode


def stage_timings(
    ctx: Context, window: Window, paths: MonitorPaths, summary: MonitorSummary
) -> tuple[dict[str, Timing], Observed]:
    """Where a sampled decision spends its time: reading, Evidently + adapter, writing."""
    limits = ctx.params.monitor
    read, obs = timed(
        lambda: observe_window(
            window, ctx.spec, ctx.params, ctx.settings, paths, limits.sample_rows
        )
    )
    evaluated, (snapshot, _, _) = timed(
        lambda: evaluate_window(obs, window, ctx.spec, ctx.params, True)
    )
    written, _ = timed(lambda: publish_window(summary, snapshot, window, paths, limits))
    stages = {"stage_read_window": read, "stage_evaluate": evaluated, "stage_publish": written}
    return stages, obs


def report_timings(ctx: Context, obs: Observed, repeats: int) -> dict[str, Timing]:
    """Median timings of a bare DataDriftPreset and of our reports on the same sampled rows."""
    from evidently import DataDefinition, Dataset, Report
    from evidently.presets import DataDriftPreset

    assert obs.reference is not None
    limits, columns, target = ctx.params.monitor, monitored_columns(ctx.spec), ctx.spec.target
    current = monitor_frame(obs.current, ctx.spec)
    reference = sample(monitor_frame(obs.reference, ctx.spec), limits.sample_rows, ctx.params.seed)
    definition = DataDefinition(
        numerical_columns=columns.numerical, categorical_columns=columns.categorical
    )
    feats, when = columns.features, pd.Timestamp(0).to_pydatetime()

    def bare() -> Any:
        """Evidently's DataDriftPreset alone on the feature columns, no adapter."""
        cur = Dataset.from_pandas(current[feats], data_definition=definition)
        ref = Dataset.from_pandas(reference[feats], data_definition=definition)
        return Report([DataDriftPreset()]).run(cur, ref)

    def ours(labelled: bool) -> Any:
        """Our report and its summary, with the regression section when `labelled`."""
        label = target if labelled else None
        return summarize(run_report(current, reference, columns, limits, label, when, {}).dict())

    runs: dict[str, Callable[[], Any]] = {
        "bare_drift_preset": bare,
        "our_drift_report": lambda: ours(False),
        "our_labelled_report": lambda: ours(True),
    }
    times: dict[str, list[Timing]] = {key: [] for key in runs}
    for _ in range(repeats):  # interleaved, so background load hits every variant alike
        for key, fn in runs.items():
            times[key].append(timed(fn)[0])
    return {key: _median(values) for key, values in times.items()}


def _median(values: list[Timing]) -> Timing:
    return Timing(
        statistics.median(t.wall for t in values), statistics.median(t.cpu for t in values)
    )


def measure_window(
    ctx: Context, window: Window, rows: int, folder: Path, repeats: int = 5
) -> dict[str, Any]:
    """Every measurement, as one JSON-ready dict."""
    paths = build_log(ctx, window, rows, folder)
    print("warm-up (imports, reference cache)...", flush=True)
    first = monitor_window(window, ctx.spec, ctx.params, ctx.settings, replace(paths, reports=None))
    if first.snapshot is None:  # nothing was compared: there is nothing to time
        raise StageFailed("cannot benchmark this window: " + "; ".join(first.summary.reasons))
    cold, exit_code = cold_decision(paths, window)
    warm, sampled = timed(lambda: monitor_window(window, ctx.spec, ctx.params, ctx.settings, paths))
    print("unsampled decision (slow: the whole window through Evidently)...", flush=True)
    unsampled = replace(paths, reports=None)
    full_t, full = timed(
        lambda: monitor_window(window, ctx.spec, ctx.params, ctx.settings, unsampled, False)
    )
    stages, obs = stage_timings(ctx, window, paths, sampled.summary)
    timings = {
        "decision_cold_process": cold,
        "decision_in_process": warm,
        "decision_unsampled": full_t,
        **stages,
        **report_timings(ctx, obs, repeats),
    }
    result = window_result(rows, window, ctx, sampled.summary, full.summary, timings)
    result["decision"]["cli_exit_code"] = exit_code
    return result


def window_result(
    rows: int,
    window: Window,
    ctx: Context,
    sampled: MonitorSummary,
    full: MonitorSummary,
    timings: dict[str, Timing],
) -> dict[str, Any]:
    """The benchmark's JSON: timings, CPU-time ratios, and whether the decisions agree."""
    cpu = {key: t.cpu for key, t in timings.items()}
    bare = cpu["bare_drift_preset"]
    agree = sampled.decision == full.decision and sampled.drifted_features == full.drifted_features
    ratios = {
        "drift_report_vs_bare_preset": cpu["our_drift_report"] / bare,
        "labelled_report_vs_bare_preset": cpu["our_labelled_report"] / bare,
        "evaluate_stage_vs_bare_preset": cpu["stage_evaluate"] / bare,
        "monitor_window_vs_bare_preset": cpu["decision_in_process"] / bare,
        "unsampled_vs_sampled_decision": cpu["decision_unsampled"] / cpu["decision_in_process"],
    }
    cold = timings["decision_cold_process"]
    return {
        "window": window.as_dict(),
        "logged_rows": rows,
        "sample_rows": sampled.rows.evaluated,
        "seed": ctx.params.seed,
        "load_average_1m": os.getloadavg()[0],
        "cpus": os.cpu_count(),
        "decision": {"sampled": sampled.decision, "unsampled": full.decision, "agree": agree},
        "drifted_features": {
            "sampled": sampled.drifted_features,
            "unsampled": full.drifted_features,
        },
        "drift_share": {"sampled": sampled.drift_share, "unsampled": full.drift_share},
        "performance_delta": {
            "sampled": sampled.performance_delta,
            "unsampled": full.performance_delta,
        },
        "seconds": {key: asdict(t) for key, t in timings.items()},
        "ratios_cpu": ratios,
        "targets": {"decision_seconds": 20.0, "drift_report_vs_bare_preset": 1.5},
        "meets": {
            "decision_seconds_wall": cold.wall <= 20.0,
            "decision_seconds_cpu": cold.cpu <= 20.0,
            "drift_report_vs_bare_preset": ratios["drift_report_vs_bare_preset"] <= 1.5,
            "sampled_agrees": agree,
        },
    }
