"""Stage `split`: train / validation / test by time, counted back from data.as_of."""

import argparse
import sys

try:
    from lifecycle.entry import context, run
except ModuleNotFoundError as missing:  # not the project's Python (see _venv.py)
    from _venv import rerun_with_venv

    rerun_with_venv(missing)
from lifecycle.files import read_frame, write_frame
from lifecycle.stages.split import check_classes, split_by_time, windows


def main(argv: list[str] | None = None) -> int:
    """Cut the validated rows into three time windows; test is the newest."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", required=True, help="validated rows (Parquet)")
    parser.add_argument("--train", required=True)
    parser.add_argument("--val", required=True)
    parser.add_argument("--test", required=True)
    args = parser.parse_args(argv)
    ctx = context()
    splits = split_by_time(read_frame(args.data), ctx.params)
    if ctx.spec.task == "classification":
        check_classes(splits, ctx.spec.target)
    w = windows(ctx.params)
    for name, start, end in [
        ("train", w.train_start, w.val_start),
        ("val", w.val_start, w.test_start),
        ("test", w.test_start, w.end),
    ]:
        part = getattr(splits, name)
        print(f"  {name:<5} {start:%Y-%m-%d} .. {end:%Y-%m-%d}  {len(part):6d} rows")
        write_frame(part, getattr(args, name))
    return 0


if __name__ == "__main__":
    sys.exit(run("split", main))
