"""The event-table benchmark's steps, each timed as the command a user runs, in a fresh copy.

Every command runs in its own process with the copy as working directory, so imports, reading
and writing count, as they do for a user. Wall clock is what users wait for; CPU seconds of
the command's processes (all of them, children included) show how much of it was our work.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from benchmarks.event_report import Step
from lifecycle.dataset import EVENT_TIME, DatasetSpec, load_spec
from lifecycle.entry import StageFailed
from lifecycle.files import read_frame, write_frame
from lifecycle.monitoring.publish import LATEST
from lifecycle.params import load_params
from lifecycle.project_copy import commit_all, fresh_copy
from lifecycle.settings import TELEMETRY_OFF
from lifecycle.source import read_source

GENERATOR = "tests/datasets/make_tickets.py"  # writes the tickets table, bigger on request

# The keys of params.yaml that change for the tickets table, shipped as the file a fork writes
# (read, not imported: benchmarks import no tests). Training keeps params.yaml's defaults
# (ridge, hgb, mlp, full size), which is what users run. as_of 1 June: January to May arrive.
FORK_PARAMS = "tests/datasets/tickets.params.yaml"


@dataclass(frozen=True)
class TableCase:
    """One table to measure: its definition, how to make its CSV, how big a monitored window."""

    name: str
    dataset: str  # the dataset definition, relative to the repository root
    generate: tuple[str, ...] = ()  # make_tickets.py arguments; empty: the committed CSV
    window_rows: int | None = None  # resample the monitored month to this many rows (seeded)


def merged(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """`base` with `override` merged in, key by key at every depth (a new dict)."""
    out = dict(base)
    for key, value in override.items():
        both = isinstance(value, dict) and isinstance(out.get(key), dict)
        out[key] = merged(out[key], value) if both else value
    return out


def _env() -> dict[str, str]:
    """This environment for the copy's commands: the venv first on PATH, telemetry off, and no
    setting that would point the copy at another project's state or registry."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("LIFECYCLE_") and k != "MLFLOW_TRACKING_URI"
    }
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return {**TELEMETRY_OFF, **env}


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed_command(cmd: list[str], cwd: Path, rows: int, ok: tuple[int, ...] = (0,)) -> Step:
    """Run one command; its wall and CPU seconds. StageFailed: an exit code not in `ok`."""
    wall, cpu = time.perf_counter(), _children_cpu()
    done = subprocess.run(cmd, cwd=cwd, env=_env(), capture_output=True, text=True)
    step = Step(rows, time.perf_counter() - wall, _children_cpu() - cpu)
    if done.returncode not in ok:
        shown = f"{' '.join(cmd)} exited {done.returncode}"
        raise StageFailed(f"{shown}:\n{done.stdout}\n{done.stderr}")
    return step


def best_of(repeats: int, run: Callable[[], Step]) -> Step:
    """The fastest of `repeats` runs (the least disturbed by other work on the machine)."""
    return min((run() for _ in range(max(repeats, 1))), key=lambda s: s.wall)


def prepare_copy(root: Path, dest: Path, case: TableCase) -> Path:
    """A fresh copy of the project whose params.yaml names the case's table, committed."""
    repo = fresh_copy(root, dest)
    path = repo / "params.yaml"
    fork = yaml.safe_load((repo / FORK_PARAMS).read_text())
    raw = merged(yaml.safe_load(path.read_text()), fork)
    path.write_text(yaml.safe_dump(merged(raw, {"data": {"dataset": case.dataset}})))
    commit_all(repo, f"benchmark: {case.name} table")
    return repo


def make_table(repo: Path, case: TableCase) -> tuple[DatasetSpec, Step | None]:
    """The case's definition, after writing its CSV when it is generated (timed)."""
    spec = load_spec(repo / case.dataset)
    if not case.generate:
        return spec, None
    print(f"[{case.name}] make_tickets.py {' '.join(case.generate)} ...", flush=True)
    out = ["--out", str(spec.source)]
    step = timed_command([sys.executable, GENERATOR, *case.generate, *out], repo, 0)
    return spec, step


def month_after_as_of(repo: Path) -> tuple[str, str]:
    """The monitored window: the champion's first month in service, from data.as_of."""
    start = pd.Timestamp(load_params(repo / "params.yaml").data.as_of)
    return start.date().isoformat(), (start + pd.DateOffset(months=1)).date().isoformat()


def whole_table(frame: pd.DataFrame, path: Path) -> pd.DataFrame:
    """Every row of the table, as ingest hands them on (time order), written to `path`."""
    rows = frame.sort_values(EVENT_TIME, kind="stable").reset_index(drop=True)
    write_frame(rows, path)
    return read_frame(path)  # as the stage reads it: types after the Parquet round trip


def validate_steps(
    repo: Path, work: Path, spec: DatasetSpec, frame: pd.DataFrame, repeats: int
) -> dict[str, Step]:
    """`pipelines/validate.py` on every row of the table, and the library call inside it."""
    from lifecycle.stages.validate import validate

    rows = whole_table(frame, work / "all-rows.parquet")
    outs = ["--out", str(work / "validated.parquet"), "--report", str(work / "validate.json")]
    cmd = [sys.executable, "pipelines/validate.py", "--data", str(work / "all-rows.parquet")]
    stage = best_of(repeats, lambda: timed_command([*cmd, *outs], repo, len(rows)))
    wall, cpu = time.perf_counter(), time.process_time()
    report = validate(rows, spec)
    call = Step(len(rows), time.perf_counter() - wall, time.process_time() - cpu)
    checked = json.loads((work / "validate.json").read_text())["rows"]
    if not report.ok or checked != len(rows):  # the stage must have checked every row
        raise StageFailed(f"validate checked {checked} of {len(rows)} rows: {report.message()}")
    return {"validate": stage, "validate_call": call}


def monitoring_steps(
    repo: Path, work: Path, case: TableCase, frame: pd.DataFrame, repeats: int
) -> tuple[dict[str, Step], dict[str, Any]]:
    """Fill a prediction log for the month after data.as_of with the champion's predictions,
    deliver its labels by key, then time `monitoring/monitor.py` on it (first, then warm)."""
    start, end = month_after_as_of(repo)
    when = frame[EVENT_TIME]
    rows = case.window_rows or int(((when >= start) & (when < end)).sum())
    log, store = str(work / "predictions.sqlite"), str(work / "labels.sqlite")
    span = ["--start", start, "--end", end]
    resample = ["--rows", str(case.window_rows)] if case.window_rows else []
    simulate = [sys.executable, "monitoring/simulate.py", *span, "--log", log, *resample]
    feedback = [sys.executable, "monitoring/feedback.py", *span, "--store", store]
    outs = ["--out", str(work / "monitoring"), "--workspace", str(work / "evidently")]
    monitor = [sys.executable, "monitoring/monitor.py", *span, "--log", log, "--feedback", store]
    monitor += outs
    print(f"[{case.name}] simulate + feedback: {rows} predictions, {start}..{end}", flush=True)
    steps = {"simulate": timed_command(simulate, repo, rows)}
    steps["feedback"] = timed_command(feedback, repo, rows)
    print(f"[{case.name}] monitor.py (first, then warm x{repeats}) ...", flush=True)
    decide = (0, 10)  # ok or retrain: both are decisions; 20 (insufficient data) is not
    steps["decision_first"] = timed_command(monitor, repo, rows, decide)
    steps["decision"] = best_of(repeats, lambda: timed_command(monitor, repo, rows, decide))
    return steps, decided(work / "monitoring" / LATEST)


def decided(latest: Path) -> dict[str, Any]:
    """What the last decision saw and said (so the timing is known to be of a real decision)."""
    summary = json.loads(latest.read_text())
    keys = ("window", "model_version", "rows", "sampled", "drift_share", "performance_delta")
    return {"decision": summary["decision"], **{k: summary[k] for k in keys}}


def _show(case: TableCase, steps: dict[str, Step]) -> dict[str, Step]:
    """Print each step's time as it is measured (the benchmark runs for minutes)."""
    for name, step in steps.items():
        print(f"[{case.name}]   {name}: {step.wall:.2f} s ({step.rows} rows)", flush=True)
    return steps


def measure_table(
    root: Path, dest: Path, case: TableCase, repeats: int
) -> tuple[dict[str, Step], dict[str, Any]]:
    """Every step on one table in its own fresh copy: its timings and what was measured."""
    repo, work = prepare_copy(root, dest / "repo", case), dest / "work"
    spec, made = make_table(repo, case)
    frame = read_source(spec, repo)
    steps = _show(case, {"make_table": replace(made, rows=len(frame))} if made else {})
    print(f"[{case.name}] cold dvc repro, {len(frame)} rows x {len(spec.columns)} ...", flush=True)
    steps |= _show(case, {"cold_repro": timed_command(["dvc", "repro"], repo, len(frame))})
    print(f"[{case.name}] validate, every row ...", flush=True)
    steps |= _show(case, validate_steps(repo, work, spec, frame, repeats))
    monitored, seen = monitoring_steps(repo, work, case, frame, repeats)
    steps |= _show(case, monitored)
    about = {"dataset": case.dataset, "rows": len(frame), "columns": len(spec.columns),
             "features": len(spec.features), "monitored": seen}  # fmt: skip
    print(f"[{case.name}] done ({dt.datetime.now():%H:%M:%S})", flush=True)
    return steps, about
