"""The lifecycle replay: serve, monitor, retrain, promote and redeploy, month by month.

Plays the months of `replay` in params.yaml against a real `bentoml serve` process, in a git
working repository under state/replay/<policy>/ whose commits are the retrains. `--policy all`
plays every policy, one after the other, and compares them in reports/replay/comparison.md.
"""

import argparse
import sys
from pathlib import Path

from lifecycle.entry import context, run
from lifecycle.replay.comparison import publish_comparison
from lifecycle.replay.scoring import ReplayTerms
from lifecycle.replay.session import run_policy
from lifecycle.replay.timeline import Month, headline
from lifecycle.replay.timeline_page import headline_summary

POLICIES = ("drift", "scheduled", "shadow", "never")


def main(argv: list[str] | None = None) -> int:
    """Run the replay for one policy (or all of them) and print the headline numbers."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--policy", choices=[*POLICIES, "all", "params"], default="params")
    parser.add_argument("--out", default="reports/replay", type=Path)
    parser.add_argument("--work", default="state/replay", type=Path)
    args = parser.parse_args(argv)
    ctx = context()
    terms = ReplayTerms.of(ctx.spec.task, ctx.params.gate.metric)
    chosen: dict[str, list[str]] = {
        "params": [ctx.params.replay.policy],
        "all": list(POLICIES),
    }
    policies = chosen.get(args.policy, [args.policy])
    played: dict[str, list[Month]] = {}
    for policy in policies:
        out = args.out if len(policies) == 1 else args.out / policy
        replay = ctx.params.replay.model_copy(update={"policy": policy})
        args.work.mkdir(parents=True, exist_ok=True)
        try:
            months = run_policy(Path.cwd(), replay, (args.work / policy).resolve(), out)
            (args.work / "last").write_text(f"{policy}\n")  # what `make ui STATE=replay` opens
        except KeyboardInterrupt:
            (args.work / "last").write_text(f"{policy}\n")  # its months so far are worth a look
            print(
                f"\n[replay:{policy}] interrupted; server stopped, partial reports in {out}",
                file=sys.stderr,
            )
            return 1
        h = headline(months, terms)
        print(
            f"[replay:{policy}] {headline_summary(h)}; "
            f"retrains {h.retrains}, promotions {h.promotions} "
            f"({h.promotions_not_better} of {h.promotions_judged} not better on the next "
            f"month's labels), failed requests {h.failed_requests}"
            f"\n  reports: {out}/timeline.md, timeline.png, timeline.json; each month's "
            f"monitoring report: {out}/monitoring/<month>/report.html"
            "\n  its registry, monitored months and log: make ui STATE=replay, "
            "make monitor-ui STATE=replay, make monitor STATE=replay"
        )
        played[policy] = months
        if len(policies) > 1:  # rewritten after each policy: an interrupted run keeps the rest
            span = {"start": str(replay.start), "end": str(replay.end)}
            publish_comparison(played, terms, args.out, {"policies": list(played)} | span)
    if len(policies) > 1:
        print(f"[replay] policies compared: {args.out}/comparison.md, .json, .png")
    return 0


if __name__ == "__main__":
    sys.exit(run("replay", main))
