"""Stage `evaluate`: every candidate on validation and test, overall and per slice, with plots."""

import argparse
from pathlib import Path
from typing import Any

from lifecycle.entry import context, run
from lifecycle.files import read_frame, write_json
from lifecycle.gate import best_candidate
from lifecycle.stages.evaluate import IMPORTANCE, evaluate, importance
from lifecycle.stages.evaluate_plots import (
    plot_classification,
    plot_importance,
    plot_predicted_vs_actual,
    plot_residuals_by_hour,
    plot_timeline,
)
from lifecycle.tracking import configure, load_model, log_test_metrics, read_candidates


def main() -> None:
    """Score each candidate; draw the plots for the best one (the one promote will register)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--candidates", required=True, type=Path)
    parser.add_argument("--val", required=True)
    parser.add_argument("--test", required=True)
    parser.add_argument("--metrics", required=True, help="metrics.json for `dvc metrics`")
    parser.add_argument("--slices", required=True, help="per-slice scores (JSON)")
    parser.add_argument("--pngs", required=True, type=Path, help="folder for the PNG plots")
    parser.add_argument("--predictions", required=True, help="test predictions (CSV plot data)")
    parser.add_argument("--importance", required=True, help="feature importance (CSV plot data)")
    args = parser.parse_args()
    ctx = context()
    configure(ctx.settings)
    candidates = read_candidates(args.candidates)
    best = best_candidate(candidates, ctx.params)
    val, test = read_frame(args.val), read_frame(args.test)
    metrics: dict[str, Any] = {"best": best.name}
    slices: dict[str, Any] = {}
    for cand in candidates:
        model = load_model(cand.model_uri)
        scores = {"val": evaluate(model, val, ctx.spec), "test": evaluate(model, test, ctx.spec)}
        metrics[cand.name] = {split: ev.overall for split, ev in scores.items()}
        slices[cand.name] = {split: ev.by_slice for split, ev in scores.items()}
        log_test_metrics(cand.run_id, scores["test"].overall)
        if cand.name == best.name:
            preds = scores["test"].predictions
            imp = importance(model, val, ctx.spec, ctx.params.seed)
    write_json(metrics, args.metrics)
    write_json(slices, args.slices)
    preds.to_csv(args.predictions, index=False)
    imp.rename_axis("feature").reset_index().to_csv(args.importance, index=False)
    title = f"{best.name} on the test window"
    if ctx.spec.task == "classification":
        plot_classification(preds, title, args.pngs)
    else:
        plot_predicted_vs_actual(preds, title, args.pngs / "predicted_vs_actual.png")
        plot_residuals_by_hour(preds, title, args.pngs / "residuals_by_hour.png")
        plot_timeline(preds, title, args.pngs / "timeline.png")
    plot_importance(
        imp,
        f"{best.name}: permutation importance (validation)",
        args.pngs / "feature_importance.png",
        xlabel=IMPORTANCE[ctx.spec.task][1],
    )


if __name__ == "__main__":
    run("evaluate", main)
