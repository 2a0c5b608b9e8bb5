"""`lifecycle` command: small operations around the pipeline (summary, rollback)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from lifecycle.entry import StageFailed, context, run
from lifecycle.pipeline_paths import pipeline_paths


def _read(path: Path) -> dict[str, Any]:
    """A report the pipeline wrote, or a FileNotFoundError that says how to get it."""
    if not path.exists():
        raise FileNotFoundError(f"{path} does not exist yet: run `make repro` first")
    data: dict[str, Any] = json.loads(path.read_text())
    return data


# The summary's columns per task: (split, metric, header, width, number format).
COLUMNS = {
    "regression": [
        ("val", "mae", "val MAE", 10, ".2f"),
        ("val", "r2", "val R²", 9, ".3f"),
        ("test", "mae", "test MAE", 10, ".2f"),
        ("test", "rmse", "test RMSE", 11, ".2f"),
        ("test", "r2", "test R²", 9, ".3f"),
    ],
    "classification": [
        ("val", "roc_auc", "val AUC", 10, ".3f"),
        ("val", "log_loss", "val logloss", 12, ".3f"),
        ("test", "roc_auc", "test AUC", 10, ".3f"),
        ("test", "log_loss", "test logloss", 13, ".3f"),
        ("test", "f1", "test F1", 9, ".3f"),
    ],
}


def summary_table(metrics: dict[str, Any], decision: dict[str, Any]) -> str:
    """The candidates' scores and the gate's decision as a plain-text table."""
    first = metrics[metrics["best"]]["val"]
    columns = COLUMNS["regression" if "mae" in first else "classification"]
    lines = [f"{'candidate':<10}" + "".join(f"{head:>{width}}" for _, _, head, width, _ in columns)]
    for name, scores in metrics.items():
        if name == "best":
            continue
        mark = "  <- best on validation" if name == metrics["best"] else ""
        cells = "".join(f"{scores[s][m]:>{w}{fmt}}" for s, m, _, w, fmt in columns)
        lines.append(f"{name:<10}{cells}{mark}")
    lines += [
        "",
        f"gate: {decision['model_name']} v{decision['version']} "
        f"{VERBS.get(decision['action'], decision['action'])}",
        f"why:  {decision['reason']}",
    ]
    if evidence := decision.get("evidence"):  # how sure: the test window's interval
        lines.append(f"sure: {evidence['verdict']}")
    return "\n".join([*lines, f"champion now: v{decision['champion_after']}"])


VERBS = {
    "promote": "PROMOTED to champion",
    "refuse": "REFUSED (champion unchanged)",
    "shadow": "in SHADOW: passed offline, the live gate decides (champion unchanged)",
}


def _summary(_: argparse.Namespace) -> None:
    """`lifecycle summary`: print the summary table of the last pipeline run."""
    paths = pipeline_paths()
    print(summary_table(_read(paths.metrics), _read(paths.decision)))


def _rollback(args: argparse.Namespace) -> None:
    """`lifecycle rollback`: move the champion alias back to the previous champion."""
    from lifecycle.registry import rollback
    from lifecycle.tracking import configure, git_commit

    ctx = context(args.params)
    client = configure(ctx.settings)
    name = ctx.params.registry.model_name
    decision = rollback(client, name, ctx.settings.promotion_log, git_commit())
    print(f"{name}: champion moved from v{decision.champion_before} back to v{decision.version}")


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `lifecycle` command; returns its exit code (0 ok, 1 failed)."""
    parser = argparse.ArgumentParser(prog="lifecycle", description=__doc__)
    sub = parser.add_subparsers(required=True)
    sub.add_parser("summary", help="print candidates and the last gate decision").set_defaults(
        func=_summary
    )
    rb = sub.add_parser("rollback", help="move champion back to the previous champion")
    rb.add_argument("--params", default="params.yaml")
    rb.set_defaults(func=_rollback)
    args = parser.parse_args(argv)
    return run("lifecycle", lambda _: _dispatch(args), banner=False)


def _dispatch(args: argparse.Namespace) -> int:
    """Run the chosen subcommand; no champion to roll back (a LookupError) is the user's to fix."""
    try:
        args.func(args)
    except LookupError as err:
        raise StageFailed(str(err)) from err
    return 0
