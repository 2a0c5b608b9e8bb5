"""Stage `evaluate`: every candidate on validation and test, overall and per slice, with plots."""

import argparse
import sys
from pathlib import Path

try:
    from lifecycle.entry import context, run
except ModuleNotFoundError as missing:  # not the project's Python (see _venv.py)
    from _venv import rerun_with_venv

    rerun_with_venv(missing)
from lifecycle.files import read_frame, write_json
from lifecycle.stages.evaluate import evaluate_candidates
from lifecycle.stages.evaluate_plots import plot_evaluation
from lifecycle.tracking import configure, read_candidates


def main(argv: list[str] | None = None) -> int:
    """Score each candidate; draw the plots for the best one (the one promote will register)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--candidates", required=True, type=Path)
    parser.add_argument("--val", required=True)
    parser.add_argument("--test", required=True)
    parser.add_argument("--metrics", required=True, help="metrics.json for `dvc metrics`")
    parser.add_argument("--slices", required=True, help="per-slice scores (JSON)")
    parser.add_argument("--pngs", required=True, type=Path, help="folder for the PNG plots")
    parser.add_argument("--predictions", required=True, help="test predictions (CSV plot data)")
    parser.add_argument("--importance", required=True, help="feature importance (CSV plot data)")
    args = parser.parse_args(argv)
    ctx = context()
    configure(ctx.settings)
    val, test = read_frame(args.val), read_frame(args.test)
    candidates = read_candidates(args.candidates)
    report = evaluate_candidates(candidates, val, test, ctx.spec, ctx.params)
    write_json(report.metrics, args.metrics)
    write_json(report.slices, args.slices)
    report.predictions.to_csv(args.predictions, index=False)
    report.importance.rename_axis("feature").reset_index().to_csv(args.importance, index=False)
    plot_evaluation(report, ctx.spec.task, args.pngs)
    return 0


if __name__ == "__main__":
    sys.exit(run("evaluate", main))
