"""The last replay's times against their budgets: median retrain <= 20 s, whole replay <= 5 min.

The replay takes minutes, so `make bench` does not run it: this reads the timeline that the
last `make demo` or `make replay` wrote (reports/replay/timeline.json) and says so. A retrain's
seconds are the wall time of its `dvc repro` (six stage processes); the replay's include set-up.

    python -m benchmarks.replay_timings   # writes reports/bench/replay_timings.json
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path
from typing import Any

from lifecycle.entry import StageFailed, run
from lifecycle.files import write_json

BUDGET = {"median_retrain_s": 20.0, "replay_s": 300.0}


def timings(timeline: dict[str, Any]) -> dict[str, float]:
    """Median retrain wall seconds and the whole replay's seconds, from timeline.json."""
    retrains = [m["retrain"]["seconds"] for m in timeline["months"] if m.get("retrain")]
    if not retrains:
        raise StageFailed("the timeline has no retrain: nothing to time")
    return {
        "median_retrain_s": statistics.median(retrains),
        "replay_s": float(timeline["meta"]["seconds"]),
    }


def result(seconds: dict[str, float], source: Path) -> dict[str, Any]:
    """The benchmark's JSON: each time with its budget and ratio."""
    rows = {
        name: {"seconds": round(s, 1), "budget_s": b, "ratio_to_budget": round(s / b, 2)}
        for name, s in seconds.items()
        for b in [BUDGET[name]]
    }
    return {"source": str(source), "results": rows}


def main(argv: list[str] | None = None) -> int:
    """Read the timeline, print the table, write reports/bench/replay_timings.json."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--timeline", default="reports/replay/timeline.json", type=Path)
    parser.add_argument("--out", default="reports/bench/replay_timings.json")
    args = parser.parse_args(argv)
    if not args.timeline.exists():
        print(f"no {args.timeline}: run `make demo` or `make replay` first; skipped")
        return 0
    res = result(timings(json.loads(args.timeline.read_text())), args.timeline)
    print(f"from {args.timeline} (the last replay)")
    for name, r in res["results"].items():
        budget = f"budget {r['budget_s']:>5} s  x {r['ratio_to_budget']}"
        print(f"  {name:<18}{r['seconds']:>8} s  {budget}")
    write_json(res, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(run("bench-replay", main, banner=False))
