"""Benchmark an event-level table (issue 13): ~300,000 rows x 15 columns, on 2 cores.

Budgets: cold `dvc repro` <= 300 s, `validate` <= 20 s, a monitoring decision on a
100,000-row window <= 20 s. The table is the shipped support-tickets table from a desk 16 times
the size with four more columns (benchmarks/tickets_wide.yaml), written into a fresh copy of
the project by tests/datasets/make_tickets.py. Baselines from the same run: the bare start-up
of `dvc`, the same steps on the shipped 18,856-row tickets table (the scaling), and the bike
table's cold repro when benchmarks.pipeline_repro ran before (reports/bench/pipeline.json).

    python -m benchmarks.event_table   # about 10 minutes; writes reports/bench/events.json
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.event_report import BIG, SHIPPED, Step, events_result, table_lines
from benchmarks.event_steps import TableCase, measure_table, timed_command
from lifecycle.dataset import load_spec
from lifecycle.entry import run
from lifecycle.files import write_json
from lifecycle.params import load_params
from lifecycle.source import read_source

TICKETS = "tests/datasets/tickets.yaml"  # the shipped event-level table, 18,856 rows
WIDE = "benchmarks/tickets_wide.yaml"  # its big, wide variant, generated in the copy


def event_arguments(argv: list[str] | None) -> argparse.Namespace:
    """The benchmark's options: the big table's size, the window, repeats, files."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--volume", type=int, default=16, help="times the shipped ticket volume")
    parser.add_argument("--window-rows", type=int, default=100_000, help="monitored predictions")
    parser.add_argument("--repeats", type=int, default=2, help="runs of validate and a decision")
    parser.add_argument("--pipeline", type=Path, default=Path("reports/bench/pipeline.json"))
    parser.add_argument("--out", type=Path, default=Path("reports/bench/events.json"))
    return parser.parse_args(argv)


def cases(args: argparse.Namespace) -> list[TableCase]:
    """The shipped table as it is (its own month of predictions), then the big wide one."""
    big = ("--volume", str(args.volume), "--wide")
    return [TableCase(SHIPPED, TICKETS), TableCase(BIG, WIDE, big, args.window_rows)]


def bike_cold(path: Path) -> tuple[Step | None, dict[str, Any]]:
    """The bike table's cold repro from pipeline_repro's JSON, and how old that file is."""
    if not path.is_file():
        print(f"no {path}: run `python -m benchmarks.pipeline_repro` first for the bike row")
        return None, {}
    seconds = json.loads(path.read_text())["results"]["cold_repro"]["seconds"]
    age = round(time.time() - path.stat().st_mtime)
    rows = len(read_source(load_spec(load_params().data.dataset)))  # pipeline_repro's table
    return Step(rows, float(seconds)), {"file": str(path), "age_s": age}


def dvc_startup(root: Path) -> float:
    """The bare start-up of `dvc` (best of 3): the same-run baseline of every ratio."""
    return min(timed_command(["dvc", "--version"], root, 0).wall for _ in range(3))


def measure(root: Path, args: argparse.Namespace) -> dict[str, Any]:
    """Every table in its own fresh copy, then the JSON-ready result."""
    load_start = os.getloadavg()[0]
    startup = dvc_startup(root)
    tables, about = {}, {}
    for case in cases(args):
        with tempfile.TemporaryDirectory() as tmp:
            tables[case.name], about[case.name] = measure_table(root, Path(tmp), case, args.repeats)
    bike, bike_about = bike_cold(args.pipeline)
    machine = {"cpus": os.cpu_count(), "load_average_1m": [load_start, os.getloadavg()[0]]}
    what = {
        "validate": "python3 pipelines/validate.py on every row of the table (imports, Parquet "
        "read and write included); validate_call: the library validate() alone, in process",
        "decision": "python monitoring/monitor.py on the month after data.as_of, warm (best "
        "of --repeats); decision_first: the first run, which builds the reference cache",
    }
    extra = {"tables": about, "machine": machine, "measures": what, "bike": bike_about}
    return events_result(startup, tables, extra, bike)


def main(argv: list[str] | None = None) -> int:
    """Measure, print the table, write reports/bench/events.json; StageFailed: a step fails."""
    args = event_arguments(argv)
    result = measure(Path.cwd(), args)
    print("\n".join(table_lines(result["results"])))
    print("meets: " + ", ".join(f"{k} {'yes' if v else 'NO'}" for k, v in result["meets"].items()))
    write_json(result, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(run("bench-events", main))
