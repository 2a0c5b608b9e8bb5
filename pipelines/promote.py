"""Stage `promote`: the gate. Register the best candidate; it becomes champion only if it wins."""

import argparse
from pathlib import Path

from lifecycle.entry import context, run
from lifecycle.files import read_frame, write_json
from lifecycle.stages.promote import promote_best
from lifecycle.tracking import configure, data_hashes, git_commit, read_candidates


def main() -> None:
    """Judge the challenger against the champion on the newest labelled window; record why."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--candidates", required=True, type=Path)
    parser.add_argument("--test", required=True, type=Path)
    parser.add_argument("--decision", required=True, help="this run's decision (JSON)")
    args = parser.parse_args()
    ctx = context()
    client = configure(ctx.settings)
    lineage = {"git_commit": git_commit(), "data.as_of": str(ctx.params.data.as_of)}
    [test_md5] = data_hashes([args.test]).values()
    lineage[f"data.md5.{args.test.name}"] = test_md5
    decision = promote_best(
        client,
        read_candidates(args.candidates),
        read_frame(args.test),
        ctx.spec,
        ctx.params,
        ctx.settings,
        lineage,
    )
    print(f"  v{decision.version}: {decision.action.upper()} — {decision.reason}")
    write_json(decision.as_dict(), args.decision)


if __name__ == "__main__":
    run("promote", main)
