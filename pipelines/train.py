"""Stage `train`: fit every candidate, log each as an MLflow run, hand the list on."""

import argparse
import sys
from pathlib import Path

try:
    from lifecycle.entry import context, run
except ModuleNotFoundError as missing:  # not the project's Python (see _venv.py)
    from _venv import rerun_with_venv

    rerun_with_venv(missing)
from lifecycle.files import read_frame, write_json
from lifecycle.stages.train import train_and_log
from lifecycle.tracking import configure, lineage


def main(argv: list[str] | None = None) -> int:
    """Fit, score on validation, and log every candidate with its lineage."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--train", required=True, type=Path)
    parser.add_argument("--val", required=True, type=Path)
    parser.add_argument("--out", required=True, help="candidates hand-over file (JSON)")
    args = parser.parse_args(argv)
    ctx = context()
    configure(ctx.settings)
    train, val = read_frame(args.train), read_frame(args.val)
    tags = {"dataset": ctx.spec.name} | lineage(ctx.params.data.as_of, [args.train, args.val])
    logged = train_and_log(ctx.spec, ctx.params, train, val, tags, args.train)
    write_json({"candidates": [m.as_dict() for m in logged]}, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(run("train", main))
