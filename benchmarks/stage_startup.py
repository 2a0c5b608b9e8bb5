"""Benchmark each DVC stage's fixed cost: what a stage process costs before it has work to do.

In a fresh copy of the project the pipeline runs once on a tiny window (three weeks of training
rows, two days each of validation and test, a few boosting rounds, one MLP epoch), so each stage's
own work is close to nothing. Then, per stage, the fixed cost is

    wall(dvc repro --force --single-item STAGE) - wall(dvc repro --single-item STAGE)  (a no-op)

i.e. the stage process itself: interpreter, imports, MLflow's store, skops, per-model logging.
Reported against the budget (4 s) and against `python -c pass` measured in the same run.

    python -m benchmarks.stage_startup   # writes reports/bench/stage_startup.json
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml

from benchmarks.pipeline_repro import wall_seconds
from lifecycle.entry import run
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


def fixed_cost(repo: Path, stage: str) -> dict[str, float]:
    """Median forced wall time of one stage, dvc's own no-op time, and their difference."""
    forced = [wall_seconds(["dvc", "repro", "-f", "-s", stage], repo) for _ in range(REPEATS)]
    noop = min(wall_seconds(["dvc", "repro", "-s", stage], repo) for _ in range(REPEATS))
    fixed = statistics.median(forced) - noop
    return {"forced_s": statistics.median(forced), "dvc_noop_s": noop, "fixed_s": fixed}


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
            print(f"  {stage:<10} fixed {stages[stage]['fixed_s']:6.2f} s", flush=True)
    return {"python_startup_s": python, "stages": stages}


def result(measured: dict[str, Any]) -> dict[str, Any]:
    """The benchmark's JSON: per stage its seconds, the budget, and both ratios."""
    python = measured["python_startup_s"]
    rows = {
        stage: {
            **{k: round(v, 2) for k, v in m.items()},
            "budget_s": BUDGET_S,
            "ratio_to_budget": round(m["fixed_s"] / BUDGET_S, 2),
            "ratio_to_python_startup": round(m["fixed_s"] / python, 1),
        }
        for stage, m in measured["stages"].items()
    }
    worst = max(rows.values(), key=lambda r: r["fixed_s"])
    return {
        "python_startup_s": round(python, 3),
        "worst_ratio_to_budget": worst["ratio_to_budget"],
        "stages": rows,
    }


def print_table(res: dict[str, Any]) -> None:
    """Print each stage's fixed cost as a fixed-width table."""
    print(f"python -c pass: {res['python_startup_s']} s")
    print(f"{'stage':<10}{'fixed s':>9}{'budget':>8}{'x budget':>10}{'x python':>10}")
    for stage, r in res["stages"].items():
        print(
            f"{stage:<10}{r['fixed_s']:>9}{r['budget_s']:>8}{r['ratio_to_budget']:>10}"
            f"{r['ratio_to_python_startup']:>10}"
        )


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
