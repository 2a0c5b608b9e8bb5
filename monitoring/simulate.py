"""Replay a period of the source table through a registered model into the prediction log,
without the server: the traffic the service would have logged for those hours."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from lifecycle.entry import StageFailed, context, run
from lifecycle.monitoring.simulate import load_served, period_rows, replay, resample
from lifecycle.monitoring.window import add_window_args, window_arg
from lifecycle.source import read_source
from lifecycle.store import label
from lifecycle.tracking import configure


def main(argv: list[str] | None = None) -> int:
    """Predict the window's source rows with a registered model and log them as served."""
    parser = argparse.ArgumentParser(description=__doc__)
    add_window_args(parser)
    parser.add_argument("--version", help="registered version to serve (default: the champion)")
    parser.add_argument("--rows", type=int, help="resample the period to this many rows (seeded)")
    parser.add_argument("--log", type=Path, help="prediction log (default: settings)")
    parser.add_argument("--params", default="params.yaml")
    args = parser.parse_args(argv)
    window = window_arg(parser, args)
    ctx = context(args.params)
    name = ctx.params.registry.model_name
    try:
        version, model = load_served(configure(ctx.settings), name, args.version)
    except LookupError as err:
        raise StageFailed(str(err)) from None
    rows = period_rows(read_source(ctx.spec), window)
    if rows.empty:
        raise StageFailed(f"the source table has no rows in [{window.start}, {window.end})")
    if args.rows:
        rows = resample(rows, args.rows, ctx.params.seed)
    log = args.log or ctx.settings.prediction_log
    count = replay(rows, ctx.spec, model, (name, version), log)
    where = label(log)
    print(f"logged {count} predictions of {name} v{version} for {window.label} into {where}")
    return 0


if __name__ == "__main__":
    sys.exit(run("simulate", main))
