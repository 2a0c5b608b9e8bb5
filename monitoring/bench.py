"""Monitoring at scale: a decision on a million logged predictions (sampled, then unsampled for
comparison) and our report against a bare Evidently DataDriftPreset on the same rows.

Writes reports/bench/monitoring.json (ratios and seconds, measured in this run) and prints it.
The window defaults to the month after data.as_of: the champion's first month in service.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pandas as pd

from lifecycle.entry import context, run
from lifecycle.files import write_json
from lifecycle.monitoring.bench import run_bench
from lifecycle.monitoring.window import Window, make_window


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000, help="logged predictions")
    parser.add_argument("--start", help="window start (default: data.as_of)")
    parser.add_argument("--end", help="window end (default: one month after the start)")
    parser.add_argument("--repeats", type=int, default=5, help="repeats of each timed report")
    parser.add_argument("--out", type=Path, default=Path("reports/bench/monitoring.json"))
    args = parser.parse_args()

    def bench() -> None:
        ctx = context()
        start = pd.Timestamp(args.start or ctx.params.data.as_of)
        end = pd.Timestamp(args.end) if args.end else start + pd.DateOffset(months=1)
        window: Window = make_window(start.isoformat(), end.isoformat())
        folder = ctx.settings.state / "bench" / "monitoring"
        result = run_bench(ctx, window, args.rows, folder, args.repeats)
        write_json(result, args.out)
        print(json.dumps(result, indent=2))

    run("bench-monitoring", bench)


if __name__ == "__main__":
    main()
