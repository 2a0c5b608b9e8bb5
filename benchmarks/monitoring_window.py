"""Monitoring at scale: a decision on a million logged predictions (sampled, then unsampled for
comparison) and our report against a bare Evidently DataDriftPreset on the same rows.

Writes reports/bench/monitoring.json (ratios and seconds, measured in this run) and prints it.
The window defaults to the month after data.as_of: the champion's first month in service.

    python -m benchmarks.monitoring_window --rows 100000   # needs a champion (make repro)
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import pandas as pd

from benchmarks.monitoring_timings import measure_window
from lifecycle.entry import context, run
from lifecycle.files import write_json
from lifecycle.monitoring.window import Window, make_window


def monitoring_arguments(argv: list[str] | None) -> argparse.Namespace:
    """The benchmark's options: log size, window, repeats, output file."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000, help="logged predictions")
    parser.add_argument("--start", help="window start (default: data.as_of)")
    parser.add_argument("--end", help="window end (default: one month after the start)")
    parser.add_argument("--repeats", type=int, default=5, help="repeats of each timed report")
    parser.add_argument("--out", type=Path, default=Path("reports/bench/monitoring.json"))
    return parser.parse_args(argv)


def measure_and_write(args: argparse.Namespace) -> None:
    """Measure the window the options name, write the JSON and print it."""
    ctx = context()
    start = pd.Timestamp(args.start or ctx.params.data.as_of)
    end = pd.Timestamp(args.end) if args.end else start + pd.DateOffset(months=1)
    window: Window = make_window(start.isoformat(), end.isoformat())
    folder = ctx.settings.state / "bench" / "monitoring"  # the big log is built once, then reused
    result = measure_window(ctx, window, args.rows, folder, args.repeats)
    write_json(result, args.out)
    print(json.dumps(result, indent=2))


def main(argv: list[str] | None = None) -> int:
    """Measure, write reports/bench/monitoring.json and print it; run() reports known errors."""
    measure_and_write(monitoring_arguments(argv))
    return 0


if __name__ == "__main__":
    sys.exit(run("bench-monitoring", main))
