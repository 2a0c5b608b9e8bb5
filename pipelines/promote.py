"""Stage `promote`: the gate. Register the best candidate; it becomes champion only if it wins."""

import argparse
import sys
from pathlib import Path

try:
    from lifecycle.entry import context, run
except ModuleNotFoundError as missing:  # not the project's Python (see _venv.py)
    from _venv import rerun_with_venv

    rerun_with_venv(missing)
from lifecycle.files import read_frame, write_json
from lifecycle.stages.promote import promote_best
from lifecycle.tracking import configure, lineage, read_candidates


def main(argv: list[str] | None = None) -> int:
    """Judge the challenger against the champion on the newest labelled window; record why."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--candidates", required=True, type=Path)
    parser.add_argument("--test", required=True, type=Path)
    parser.add_argument("--decision", required=True, help="this run's decision (JSON)")
    args = parser.parse_args(argv)
    ctx = context()
    client = configure(ctx.settings)
    decision = promote_best(
        client,
        read_candidates(args.candidates),
        read_frame(args.test),
        ctx.spec,
        ctx.params,
        ctx.settings,
        lineage(ctx.params.data.as_of, [args.test]),
    )
    print(f"  v{decision.version}: {decision.action.upper()} — {decision.reason}")
    if decision.evidence:  # how sure: the error cut on the test window, with its interval
        print(f"      test window: {decision.evidence['verdict']}")
    write_json(decision.as_dict(), args.decision)
    return 0


if __name__ == "__main__":
    sys.exit(run("promote", main))
