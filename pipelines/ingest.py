"""Stage `ingest`: the source rows that have "arrived" by data.as_of (the simulated today)."""

import argparse
import sys

try:
    from lifecycle.entry import context, run
except ModuleNotFoundError as missing:  # not the project's Python (see _venv.py)
    from _venv import rerun_with_venv

    rerun_with_venv(missing)
from lifecycle.files import write_frame
from lifecycle.source import read_source
from lifecycle.stages.ingest import arrived


def main(argv: list[str] | None = None) -> int:
    """Read the source table and keep the rows before data.as_of."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", required=True, help="Parquet file of the arrived rows")
    args = parser.parse_args(argv)
    ctx = context()
    frame = arrived(read_source(ctx.spec), ctx.params.data.as_of)
    print(f"  {len(frame)} rows arrived before {ctx.params.data.as_of}")
    write_frame(frame, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(run("ingest", main))
