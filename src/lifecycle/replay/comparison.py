"""The policies side by side (`make replay POLICY=all`): comparison.md, .json and .png.

Per policy: the served error (the headline metric, row-weighted over the months), how often it
retrained and promoted, how many promotions the next month's labels showed not better, and the
requests that failed. Pure but for the files: the months come from each policy's replay.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from lifecycle.figures import figure
from lifecycle.replay.scoring import ReplayTerms, axis_label, digits, metric_label
from lifecycle.replay.timeline import Month, headline


@dataclass(frozen=True)
class PolicyResult:
    """One policy's replay in the numbers the comparison shows."""

    policy: str
    months: int
    metric: str  # the headline metric (regression: MAE)
    served: float | None  # of the predictions the service returned
    counterfactual: float | None  # the first champion, never retrained, on the same months
    retrains: int
    promotions: int
    promotions_judged: int  # with a next month to judge them
    promotions_not_better: int  # the next month's labels showed no lower error
    promotions_confidently_worse: int
    shadowed: int  # retrains that went into shadow first (policy shadow)
    live_refusals: int
    failed_requests: int


def policy_results(results: dict[str, list[Month]], terms: ReplayTerms) -> list[PolicyResult]:
    """Each policy's headline, in the order the policies were played."""
    rows = []
    for policy, months in results.items():
        h = headline(months, terms)
        rows.append(
            PolicyResult(
                policy=policy,
                months=h.months,
                metric=terms.metric,
                served=h.served[terms.metric],
                counterfactual=h.counterfactual[terms.metric],
                retrains=h.retrains,
                promotions=h.promotions,
                promotions_judged=h.promotions_judged,
                promotions_not_better=h.promotions_not_better,
                promotions_confidently_worse=h.promotions_confidently_worse,
                shadowed=h.shadowed,
                live_refusals=h.live_refusals,
                failed_requests=h.failed_requests,
            )
        )
    return rows


def _num(value: float | None, metric: str) -> str:
    return "–" if value is None else f"{value:.{digits(metric)}f}"


def comparison_markdown(rows: list[PolicyResult], terms: ReplayTerms) -> str:
    """One table row per policy."""
    label = metric_label(terms.metric)
    lines = [
        "# Lifecycle replay: the policies compared",
        "",
        f"{label} of the predictions each policy's service returned, row-weighted over the "
        "months; a promotion is *not better* when the next month's labels gave the new champion "
        "no lower error than the one it replaced (confidently worse: the whole interval of the "
        "error cut below 0).",
        "",
        f"| policy | months | {label} served | {label} never retrained | retrains | promotions "
        "| not better next month | confidently worse | failed requests |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        shadow = f" ({r.shadowed} via shadow, {r.live_refusals} refused live)" if r.shadowed else ""
        lines.append(
            f"| {r.policy} | {r.months} | {_num(r.served, r.metric)} | "
            f"{_num(r.counterfactual, r.metric)} | {r.retrains}{shadow} | {r.promotions} | "
            f"{r.promotions_not_better} of {r.promotions_judged} | "
            f"{r.promotions_confidently_worse} | {r.failed_requests} |"
        )
    return "\n".join(lines) + "\n"


def plot_policies(rows: list[PolicyResult], path: Path, terms: ReplayTerms) -> None:
    """Served error per policy (bars), and retrains, promotions and the not-better ones."""
    names = [r.policy for r in rows]
    x = list(range(len(rows)))
    with figure(path, (10, 4), ncols=2) as (_, (left, right)):
        left.bar(x, [r.served or 0 for r in rows], color="tab:blue")
        left.set_xticks(x, names)
        left.set(ylabel=axis_label(terms.metric), title="served")
        width = 0.27
        for shift, (label, values, color) in zip(
            (-width, 0.0, width),
            (
                ("retrains", [r.retrains for r in rows], "gray"),
                ("promotions", [r.promotions for r in rows], "green"),
                ("not better next month", [r.promotions_not_better for r in rows], "red"),
            ),
            strict=True,
        ):
            right.bar([i + shift for i in x], values, width, label=label, color=color)
        right.set_xticks(x, names)
        right.set(title="retrains and promotions")
        right.legend(fontsize="small")


def publish_comparison(
    results: dict[str, list[Month]], terms: ReplayTerms, out: Path, meta: dict[str, Any]
) -> list[PolicyResult]:
    """Write comparison.json, comparison.md and comparison.png into `out`."""
    rows = policy_results(results, terms)
    out.mkdir(parents=True, exist_ok=True)
    body = {
        "meta": meta | {"task": terms.task, "metric": terms.metric},
        "policies": [asdict(r) for r in rows],
    }
    (out / "comparison.json").write_text(json.dumps(body, indent=2) + "\n")
    (out / "comparison.md").write_text(comparison_markdown(rows, terms))
    if rows:
        plot_policies(rows, out / "comparison.png", terms)
    return rows
