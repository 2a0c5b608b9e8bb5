"""The lifecycle replay: serve, monitor, retrain, promote and redeploy, month by month.

Plays the months of `replay` in params.yaml against a real `bentoml serve` process, in a git
working repository under state/replay/<policy>/ whose commits are the retrains.
"""

import argparse
import os
import shutil
import sys
import time
from pathlib import Path
from typing import Any

from lifecycle.entry import StageFailed, context, run
from lifecycle.replay.loop import World, play
from lifecycle.replay.timeline import Month, headline, publish_timeline
from lifecycle.replay.workrepo import WorkRepo
from lifecycle.serving import process

POLICIES = ("drift", "scheduled", "never")


def run_policy(policy: str, work: Path, out: Path) -> list[Month]:
    """One full replay with one policy; reports are rewritten after every month."""
    clock = time.perf_counter()
    replay = context().params.replay.model_copy(update={"policy": policy})
    shutil.rmtree(work, ignore_errors=True)
    repo = WorkRepo.create(Path.cwd(), work)
    repo.set_as_of(replay.start)
    first = repo.repro()
    if not first.ok:
        raise StageFailed(f"the first champion could not be trained:\n{first.stderr[-2000:]}")
    repo.commit(f"first champion, data to {replay.start}")
    world = World.open(repo)
    env = {
        "LIFECYCLE_STATE_DIR": str(world.settings.state),
        "MLFLOW_TRACKING_URI": world.settings.tracking_uri,  # the working repo's own registry
        "LIFECYCLE_RELOAD_SECONDS": "0",  # the loop redeploys explicitly via /admin/reload
    }
    print(f"[replay:{policy}] starting bentoml serve ...", flush=True)
    server = process.start(repo.path, repo.path / "state/server.out", env)
    months: list[Month] = []
    meta: dict[str, Any] = {
        "policy": policy,
        "work_repo": str(repo.path),
        "start": str(replay.start),
        "end": str(replay.end),
    }

    def after(month: Month) -> None:
        months.append(month)
        meta["seconds"] = round(time.perf_counter() - clock)  # so far, set-up included
        meta["load_average"] = [round(n, 2) for n in os.getloadavg()]  # 1, 5, 15 min
        publish_timeline(months, meta, out)

    try:
        play(world, server, replay, after)
    finally:  # also on Ctrl-C: the months played so far are already in the reports
        server.stop()  # SIGTERM: the service flushes its prediction log before exiting
    return months


def main(argv: list[str] | None = None) -> int:
    """Run the replay for one policy (or all three) and print the headline numbers."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--policy", choices=[*POLICIES, "all", "params"], default="params")
    parser.add_argument("--out", default="reports/replay", type=Path)
    parser.add_argument("--work", default="state/replay", type=Path)
    args = parser.parse_args(argv)
    ctx = context()
    if ctx.spec.task != "regression":  # months are scored by MAE, the counterfactual too
        raise StageFailed(
            f"the replay is regression-only for now; the dataset says task: {ctx.spec.task}"
        )
    chosen: dict[str, list[str]] = {
        "params": [ctx.params.replay.policy],
        "all": list(POLICIES),
    }
    policies = chosen.get(args.policy, [args.policy])
    for policy in policies:
        out = args.out if len(policies) == 1 else args.out / policy
        try:
            h = headline(run_policy(policy, (args.work / policy).resolve(), out))
        except KeyboardInterrupt:
            sys.exit(f"\n[replay:{policy}] interrupted; server stopped, partial reports in {out}")
        print(
            f"[replay:{policy}] served MAE {h.served_mae} vs never retrained "
            f"{h.counterfactual_mae}; error saved {h.error_saved:,.0f} ({h.error_saved_pct} %); "
            f"retrains {h.retrains}, promotions {h.promotions}, failed requests "
            f"{h.failed_requests}\n  reports: {out}/timeline.md, timeline.png, timeline.json"
        )
    return 0


if __name__ == "__main__":
    sys.exit(run("replay", main))
