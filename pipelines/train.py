"""Stage `train`: fit every candidate, log each as an MLflow run, hand the list on."""

import argparse
from pathlib import Path

from lifecycle.dataset import model_frame
from lifecycle.entry import context, run
from lifecycle.files import read_frame, write_json
from lifecycle.stages.train import fit_all
from lifecycle.tracking import configure, data_hashes, git_commit, log_candidate


def main() -> None:
    """Fit, score on validation, and log every candidate with its lineage."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--train", required=True, type=Path)
    parser.add_argument("--val", required=True, type=Path)
    parser.add_argument("--out", required=True, help="candidates hand-over file (JSON)")
    args = parser.parse_args()
    ctx = context()
    configure(ctx.settings)
    train, val = read_frame(args.train), read_frame(args.val)
    hashes = data_hashes([args.train, args.val])
    tags = {
        "git_commit": git_commit(),
        "dataset": ctx.spec.name,
        "data.as_of": str(ctx.params.data.as_of),
    }
    tags |= {f"data.md5.{Path(path).name}": md5 for path, md5 in hashes.items()}
    logged = []
    for fitted in fit_all(ctx.spec, ctx.params, train, val):
        hyper = getattr(ctx.params.train, fitted.name).model_dump()
        params = {
            "seed": ctx.params.seed,
            "log_target": ctx.params.train.log_target,
            "train_rows": len(train),
            **hyper,
        }
        logged.append(
            log_candidate(
                fitted.name,
                fitted.model,
                model_frame(val, ctx.spec),
                params,
                fitted.val,
                tags,
                args.train,
            )
        )
    write_json({"candidates": [m.as_dict() for m in logged]}, args.out)


if __name__ == "__main__":
    run("train", main)
