"""Benchmark the pipeline: cold `dvc repro` and no-op `dvc repro` in a fresh copy of the project.

Reported as ratios to their budgets (cold <= 180 s, no-op <= 2 s on 2 cores) and to a baseline
measured in the same run: the bare start-up of the `dvc` command.

    python -m benchmarks.pipeline_repro   # writes reports/bench/pipeline.json
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from lifecycle.entry import StageFailed, run
from lifecycle.files import write_json
from lifecycle.project_copy import fresh_copy

BUDGET = {"cold_repro": 180.0, "noop_repro": 2.0}


def wall_seconds(cmd: list[str], cwd: Path) -> float:
    """Wall-clock seconds of one command, which must succeed."""
    start = time.perf_counter()
    done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise StageFailed(f"{' '.join(cmd)} failed:\n{done.stdout}\n{done.stderr}")
    return seconds


def measure_repro(root: Path) -> tuple[float, dict[str, float]]:
    """The `dvc` start-up and the cold and no-op `dvc repro` seconds, in a fresh copy of `root`."""
    with tempfile.TemporaryDirectory() as tmp:
        repo = fresh_copy(root, Path(tmp))
        startup = min(wall_seconds(["dvc", "--version"], repo) for _ in range(3))
        print("cold dvc repro (default params) ...", flush=True)
        seconds = {"cold_repro": wall_seconds(["dvc", "repro"], repo)}
        seconds["noop_repro"] = min(wall_seconds(["dvc", "repro"], repo) for _ in range(3))
    return startup, seconds


def repro_result(startup: float, seconds: dict[str, float]) -> dict[str, Any]:
    """The benchmark's JSON: each timing with its budget and both ratios."""
    rows = {
        name: {
            "seconds": round(s, 2),
            "budget_s": BUDGET[name],
            "ratio_to_budget": round(s / BUDGET[name], 3),
            "ratio_to_dvc_startup": round(s / startup, 1),
        }
        for name, s in seconds.items()
    }
    return {"dvc_startup_s": round(startup, 3), "results": rows}


def print_repro_table(rows: dict[str, dict[str, float]]) -> None:
    """Print the timings as a fixed-width table."""
    print(f"{'what':<12}{'seconds':>9}{'budget':>8}{'x budget':>10}{'x dvc start':>13}")
    for name, r in rows.items():
        print(
            f"{name:<12}{r['seconds']:>9}{r['budget_s']:>8}{r['ratio_to_budget']:>10}"
            f"{r['ratio_to_dvc_startup']:>13}"
        )


def main(argv: list[str] | None = None) -> int:
    """Measure, print the table, write reports/bench/pipeline.json; StageFailed: a command fails."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", default="reports/bench/pipeline.json")
    args = parser.parse_args(argv)
    startup, seconds = measure_repro(Path.cwd())
    result = repro_result(startup, seconds)
    print_repro_table(result["results"])
    write_json(result, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(run("bench-pipeline", main))
