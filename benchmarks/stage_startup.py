"""Benchmark each DVC stage's fixed cost: what a stage process costs before it has work to do.

In a fresh copy of the project the pipeline runs once on a tiny window (three weeks of training
rows, two days each of validation and test, a few boosting rounds, one MLP epoch), so each stage's
own work is close to nothing. Then, per stage, two numbers:

- to work (the target, issue 17's "process start to first line of its own work"): from spawning
  the stage's command to its first read of an input (benchmarks.first_work marks it), i.e. the
  interpreter, the imports, params and dataset checks, and MLflow's store for the stages that log;
- whole stage on the tiny window: wall(dvc repro --force --single-item STAGE) minus
  wall(dvc repro --single-item STAGE) (a no-op), i.e. all of the above plus the tiny work itself
  and what it costs whatever the rows (train: importing torch for the MLP, three MLflow model
  logs with MLflow's dependency check; evaluate: loading three models, drawing the plots).

Reported against the budget (4 s) and against `python -c pass` measured in the same run.

    python -m benchmarks.stage_startup   # writes reports/bench/stage_startup.json
"""

from __future__ import annotations

import argparse
import re
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

from benchmarks.pipeline_repro import wall_seconds
from lifecycle.entry import StageFailed, run
from lifecycle.files import write_json
from lifecycle.project_copy import commit_all, fresh_copy

BUDGET_S = 4.0  # fixed cost per stage (issue 17)
REPEATS = 3  # the median of this many forced runs per stage
# Shrink the work, not the code path: every stage still runs every step on real rows.
TINY: dict[str, Any] = {
    "split": {"test_days": 2, "val_days": 2, "train_days": 21, "min_train_rows": 100},
    "train": {"hgb": {"max_iter": 5}, "mlp": {"epochs": 1}},
}


def shrink(params_file: Path) -> None:
    """Write the tiny window into the copy's params.yaml (keys merged one level deep)."""
    raw = yaml.safe_load(params_file.read_text())
    for section, values in TINY.items():
        for key, value in values.items():
            if isinstance(value, dict):
                raw[section][key].update(value)
            else:
                raw[section][key] = value
    params_file.write_text(yaml.safe_dump(raw, sort_keys=False))


def stage_names(repo: Path) -> list[str]:
    """The stages of dvc.yaml, in file order (which is pipeline order here)."""
    return list(yaml.safe_load((repo / "dvc.yaml").read_text())["stages"])


def stage_command(repo: Path, stage: str) -> list[str]:
    """A stage's `cmd`, its ${...} filled in from dvc.yaml's vars and params.yaml as dvc does."""
    pipeline = yaml.safe_load((repo / "dvc.yaml").read_text())
    values: dict[str, Any] = yaml.safe_load((repo / "params.yaml").read_text())
    for entry in pipeline.get("vars", []):
        values |= entry

    def lookup(match: re.Match[str]) -> str:
        found: Any = values
        for key in match.group(1).split("."):
            found = found[key]
        return str(found)

    return shlex.split(re.sub(r"\$\{([^}]+)\}", lookup, pipeline["stages"][stage]["cmd"]))


def to_work_seconds(repo: Path, command: list[str]) -> float:
    """Seconds from spawning a stage's command to its first read of an input (its own work)."""
    if command[0] != "python3":
        raise ValueError(f"a stage command starts with `python3`, not {command[0]!r}")
    with tempfile.TemporaryDirectory() as tmp:
        mark = Path(tmp) / "mark"
        start = time.time()  # wall clock on both sides: the mark is the child's time.time()
        cmd = [sys.executable, "-m", "benchmarks.first_work", str(mark), *command[1:]]
        done = subprocess.run(cmd, cwd=repo, capture_output=True, text=True)
        if done.returncode != 0 or not mark.is_file():
            why = "failed" if done.returncode else "never read an input (read_frame/read_source)"
            raise StageFailed(f"{' '.join(command)} {why}:\n{done.stdout}\n{done.stderr}")
        return float(mark.read_text()) - start


def fixed_cost(repo: Path, stage: str) -> dict[str, float]:
    """Median seconds to a stage's own work, its forced and no-op dvc runs, and their difference."""
    command = stage_command(repo, stage)
    to_work = statistics.median(to_work_seconds(repo, command) for _ in range(REPEATS))
    forced = [wall_seconds(["dvc", "repro", "-f", "-s", stage], repo) for _ in range(REPEATS)]
    noop = min(wall_seconds(["dvc", "repro", "-s", stage], repo) for _ in range(REPEATS))
    fixed = statistics.median(forced) - noop
    return {
        "to_work_s": to_work,
        "forced_s": statistics.median(forced),
        "dvc_noop_s": noop,
        "fixed_s": fixed,
    }


def measure(root: Path) -> dict[str, Any]:
    """Python's start-up and every stage's fixed cost, in a fresh copy of `root`."""
    with tempfile.TemporaryDirectory() as tmp:
        repo = fresh_copy(root, Path(tmp))
        shrink(repo / "params.yaml")
        commit_all(repo, "tiny window")
        python = min(wall_seconds([sys.executable, "-c", "pass"], repo) for _ in range(5))
        print("dvc repro on a tiny window ...", flush=True)
        wall_seconds(["dvc", "repro"], repo)
        stages = {}
        for stage in stage_names(repo):
            stages[stage] = fixed_cost(repo, stage)
            to_work, whole = stages[stage]["to_work_s"], stages[stage]["fixed_s"]
            print(f"  {stage:<10} to work {to_work:5.2f} s, whole {whole:5.2f} s", flush=True)
    return {"python_startup_s": python, "stages": stages}


def result(measured: dict[str, Any]) -> dict[str, Any]:
    """The benchmark's JSON: per stage its seconds, the budget, and both ratios."""
    python = measured["python_startup_s"]
    rows = {
        stage: {
            **{k: round(v, 2) for k, v in m.items()},
            "budget_s": BUDGET_S,
            "ratio_to_budget": round(m["to_work_s"] / BUDGET_S, 2),  # the target
            "ratio_to_python_startup": round(m["to_work_s"] / python, 1),
            "whole_stage_ratio_to_budget": round(m["fixed_s"] / BUDGET_S, 2),
        }
        for stage, m in measured["stages"].items()
    }
    worst = max(rows.values(), key=lambda r: r["to_work_s"])
    return {
        "python_startup_s": round(python, 3),
        "worst_ratio_to_budget": worst["ratio_to_budget"],
        "stages": rows,
    }


def print_table(res: dict[str, Any]) -> None:
    """Print each stage's fixed cost (to its own work; the whole tiny stage) as a table."""
    print(f"python -c pass: {res['python_startup_s']} s")
    heads = ("stage", "to work s", "budget", "x budget", "x python", "whole s", "x budget")
    print(f"{heads[0]:<10}" + "".join(f"{h:>10}" for h in heads[1:]))
    for stage, r in res["stages"].items():
        cells = ["to_work_s", "budget_s", "ratio_to_budget", "ratio_to_python_startup"]
        cells += ["fixed_s", "whole_stage_ratio_to_budget"]
        print(f"{stage:<10}" + "".join(f"{r[c]:>10}" for c in cells))


def main(argv: list[str] | None = None) -> int:
    """Measure, print the table, write reports/bench/stage_startup.json."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", default="reports/bench/stage_startup.json")
    args = parser.parse_args(argv)
    res = result(measure(Path.cwd()))
    print_table(res)
    write_json(res, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(run("bench-stage-startup", main))
