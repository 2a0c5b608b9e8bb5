"""Benchmark the pipeline: cold `dvc repro` and no-op `dvc repro` in a fresh copy of the project.

Reported as ratios to their budgets (cold <= 180 s, no-op <= 2 s on 2 cores) and to a baseline
measured in the same run: the bare start-up of the `dvc` command.
"""

import argparse
import subprocess
import tempfile
import time
from pathlib import Path

from lifecycle.files import write_json
from lifecycle.project_copy import fresh_copy

BUDGET = {"cold_repro": 180.0, "noop_repro": 2.0}


def timed(cmd: list[str], cwd: Path) -> float:
    """Wall-clock seconds of one command, which must succeed."""
    start = time.perf_counter()
    done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{done.stdout}\n{done.stderr}")
    return seconds


def main() -> None:
    """Measure, print the table, write reports/bench/pipeline.json."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", default="reports/bench/pipeline.json")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        repo = fresh_copy(Path.cwd(), Path(tmp))
        baseline = min(timed(["dvc", "--version"], repo) for _ in range(3))
        print("cold dvc repro (default params) ...", flush=True)
        seconds = {"cold_repro": timed(["dvc", "repro"], repo)}
        seconds["noop_repro"] = min(timed(["dvc", "repro"], repo) for _ in range(3))
    rows = {
        name: {
            "seconds": round(s, 2),
            "budget_s": BUDGET[name],
            "ratio_to_budget": round(s / BUDGET[name], 3),
            "ratio_to_dvc_startup": round(s / baseline, 1),
        }
        for name, s in seconds.items()
    }
    result = {"dvc_startup_s": round(baseline, 3), "results": rows}
    print(f"{'what':<12}{'seconds':>9}{'budget':>8}{'x budget':>10}{'x dvc start':>13}")
    for name, r in rows.items():
        print(
            f"{name:<12}{r['seconds']:>9}{r['budget_s']:>8}{r['ratio_to_budget']:>10}"
            f"{r['ratio_to_dvc_startup']:>13}"
        )
    write_json(result, args.out)


if __name__ == "__main__":
    main()
