"""The promotion gate (pure: no registry): which candidate challenges, and does it beat the
champion? Absolute floors first, then a margin over the champion."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from lifecycle.evidence import Comparison
from lifecycle.metrics import AnyScores
from lifecycle.params import GateParams, Params
from lifecycle.tasks import higher_is_better, rank_key

if TYPE_CHECKING:
    from lifecycle.tracking import LoggedModel


@dataclass(frozen=True)
class GateVerdict:
    """The gate's answer for one challenger."""

    promote: bool
    reason: str


# How each metric reads in a gate reason: its label and number format.
LABELS = {
    "mae": ("MAE", ".2f"),
    "rmse": ("RMSE", ".2f"),
    "r2": ("R²", ".3f"),
    "roc_auc": ("ROC AUC", ".4f"),
    "log_loss": ("log loss", ".4f"),
}


def _show(metric: str, value: float) -> str:
    fmt = LABELS.get(metric, (metric, ".4f"))[1]
    return f"{value:{fmt}}"


def _floor_failure(challenger: AnyScores, gate: GateParams) -> str | None:
    """The first absolute floor the challenger breaks, as a reason; None when all hold."""
    for key, metric, bound in gate.floors():
        value = getattr(challenger, metric)
        broken = value > bound if key.startswith("max_") else value < bound
        if broken or value != value:  # NaN (e.g. ROC AUC of one class) never passes a floor
            side = "above" if key.startswith("max_") else "below"
            label = LABELS.get(metric, (metric.replace("_", " "), ""))[0]
            return f"test {label} {_show(metric, value)} is {side} the floor {bound}"
    return None


def judge(
    challenger: AnyScores,
    champion: AnyScores | None,
    gate: GateParams,
    evidence: Comparison | None = None,
) -> GateVerdict:
    """Apply the absolute floors, then the margin over the champion (pure: no registry).

    The metric says which way is better: errors and losses must drop to at most
    (1 - margin) x the champion's; for ROC AUC / F1 the shortfall from a perfect 1 must drop
    the same way. `evidence` (both models on the same test rows, evidence.paired) adds how sure
    the margin is, and decides when `gate.require_confident` or `gate.min_rows` ask (the
    interval itself is recorded with the decision: registry.Decision.evidence).
    """
    failure = _floor_failure(challenger, gate)
    if failure:
        return GateVerdict(False, failure)
    if champion is None:
        return GateVerdict(True, "no champion yet and the floors pass")
    verdict = _margin(challenger, champion, gate)
    if evidence is None:
        return verdict
    noise = _noise_refusal(evidence, gate) if verdict.promote else None
    return GateVerdict(False, verdict.reason + noise) if noise else verdict


def _margin(challenger: AnyScores, champion: AnyScores, gate: GateParams) -> GateVerdict:
    """Does the challenger beat the champion's metric by the margin (point estimates)?"""
    metric = gate.metric
    ours, theirs = getattr(challenger, metric), getattr(champion, metric)
    up = higher_is_better(metric)
    # Scores that top out at 1 take the margin on their shortfall 1 - score, like an error: a
    # margin on the score itself would ask a champion of AUC 0.99 to be beaten by more than 1.
    needed = 1 - (1 - theirs) * (1 - gate.margin) if up else theirs * (1 - gate.margin)
    if (ours >= needed) if up else (ours <= needed):
        return GateVerdict(
            True,
            f"{metric} {_show(metric, ours)} beats the champion's {_show(metric, theirs)} "
            f"by more than {gate.margin:.0%}",
        )
    return GateVerdict(
        False,
        f"{metric} {_show(metric, ours)} does not beat the champion's {_show(metric, theirs)} "
        f"by {gate.margin:.0%} (needs {'>=' if up else '<='} {_show(metric, needed)})",
    )


def _noise_refusal(evidence: Comparison, gate: GateParams) -> str | None:
    """Why a margin that holds is still not enough evidence; None when it is."""
    if evidence.rows < gate.min_rows:
        return f", but only {evidence.rows} test rows (gate.min_rows: {gate.min_rows})"
    if gate.require_confident and not evidence.low > 0:
        return (
            f", but not beyond the test window's noise (gate.require_confident: the "
            f"{evidence.confidence:.0%} interval's lower end {evidence.low:+.1%} is not above 0)"
        )
    return None


def best_candidate(candidates: list[LoggedModel], params: Params) -> LoggedModel:
    """The candidate with the best validation score on the gate's metric (its direction)."""
    metric = params.gate.metric
    return min(candidates, key=lambda c: rank_key(metric, c.val[metric]))
