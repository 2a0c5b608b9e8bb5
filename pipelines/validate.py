"""Stage `validate`: check the arrived rows against the dataset definition's contract.

On any broken rule it writes the report, prints each column, rule and example rows, and exits 1,
so DVC stops here: nothing downstream runs and the registry's champion is untouched.
"""

import argparse
import sys

try:
    from lifecycle.entry import StageFailed, context, run
except ModuleNotFoundError as missing:  # not the project's Python (see _venv.py)
    from _venv import rerun_with_venv

    rerun_with_venv(missing)
from lifecycle.files import read_frame, write_frame, write_json
from lifecycle.stages.validate import validate


def main(argv: list[str] | None = None) -> int:
    """Validate, write the report, and pass the rows on only when every rule holds."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", required=True, help="arrived rows (Parquet)")
    parser.add_argument("--out", required=True, help="validated rows (Parquet)")
    parser.add_argument("--report", required=True, help="validation report (JSON)")
    args = parser.parse_args(argv)
    ctx = context()
    frame = read_frame(args.data)
    report = validate(frame, ctx.spec)
    write_json(report.as_dict(), args.report)
    if not report.ok:
        raise StageFailed(f"{report.message()}\n  full report: {args.report}")
    print(f"  {report.message()}")
    write_frame(frame, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(run("validate", main))
