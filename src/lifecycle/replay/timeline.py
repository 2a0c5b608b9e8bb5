"""The replay's record: one row per simulated month, headline numbers, JSON and Markdown.

Scores are named after their metric (`served_mae`, `counterfactual_roc_auc`, ...): the months
carry the gate's metric and the task's headline metric (lifecycle.replay.scoring).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from lifecycle.replay.scoring import ReplayTerms, digits
from lifecycle.tasks import higher_is_better

Scored = dict[str, float | None]  # metric -> score (None: no answer, or undefined that month)


@dataclass
class Retrain:
    """What happened when the loop retrained after a month."""

    as_of: str  # the data snapshot the new candidates were trained on (exclusive end)
    outcome: str  # promote | refuse | failed
    version: str | None  # the registered challenger, if any
    reason: str
    commit: str = ""  # commit of params.yaml + dvc.lock in the replay's working repository
    seconds: float = 0.0
    cpu_seconds: float = 0.0  # CPU of `dvc repro` and its stage processes (wall time is noisy)


@dataclass
class Month:
    """One simulated month: what was served, how well, what monitoring said, what followed."""

    month: str  # YYYY-MM
    served_version: str
    requests: int
    failed_requests: int
    rows: int
    served: Scored  # scores of the predictions the service actually returned
    counterfactual: Scored  # what the first champion, never retrained, would have scored
    drift_share: float | None
    decision: str  # what monitoring said: ok | retrain | insufficient_data
    reasons: list[str] = field(default_factory=list)
    retrain: Retrain | None = None
    switched_to: str | None = None  # version the live server switched to after this month
    # Wall time of each phase, and CPU: `replay_cpu` is this process (the HTTP clients and
    # monitoring), `retrain_cpu` the retrain's processes. The server's CPU is not included.
    seconds: dict[str, float] = field(default_factory=dict)


def named_scores(served: Scored, counterfactual: Scored) -> dict[str, float | None]:
    """`served_<metric>` then `counterfactual_<metric>`, for each metric: the JSON keys."""
    out: dict[str, float | None] = {}
    for metric in served:
        out[f"served_{metric}"] = served[metric]
        out[f"counterfactual_{metric}"] = counterfactual.get(metric)
    return out


def month_record(m: Month) -> dict[str, Any]:
    """One month as timeline.json has it: its scores named after their metric."""
    body = asdict(m)
    scores = named_scores(body.pop("served"), body.pop("counterfactual"))
    head = {k: body.pop(k) for k in ("month", "served_version", "requests", "failed_requests")}
    return head | {"rows": body.pop("rows")} | scores | body


@dataclass
class Headline:
    """The numbers a reader wants first; every score is row-weighted over the months."""

    months: int
    metric: str  # the one the headline compares (see ReplayTerms.metric)
    served: Scored
    counterfactual: Scored
    # Losses and errors: the total avoided vs never retraining (rows x the month's mean loss;
    # for MAE, absolute error in target units). Scores where higher is better: the gain.
    error_saved: float | None
    error_saved_pct: float | None
    gain: float | None  # served - never retrained, in the metric's points
    shortfall_closed_pct: float | None  # how much of the never-retrained 1 - score it closes
    retrains: int
    promotions: int
    refusals: int
    failures: int
    failed_requests: int


def _weighted(months: list[Month], metric: str) -> tuple[float, float, int]:
    """Row-weighted sums of served and never-retrained `metric`, over the months with both."""
    pairs = [(m.served.get(metric), m.counterfactual.get(metric), m.rows) for m in months]
    scored = [(s, c, n) for s, c, n in pairs if s is not None and c is not None]
    rows = sum(n for *_, n in scored)
    return sum(s * n for s, _, n in scored), sum(c * n for _, c, n in scored), rows


def _mean(total: float, rows: int, metric: str) -> float | None:
    return round(total / rows, digits(metric)) if rows else None


def headline(months: list[Month], terms: ReplayTerms) -> Headline:
    """Aggregate the months into the headline numbers (row-weighted scores)."""
    served: Scored = {}
    never: Scored = {}
    for metric in terms.metrics:
        s, c, rows = _weighted(months, metric)
        served[metric], never[metric] = _mean(s, rows, metric), _mean(c, rows, metric)
    s, c, rows = _weighted(months, terms.metric)
    up = higher_is_better(terms.metric)
    # Higher is better: the gain in points, and the share of the shortfall from a perfect 1
    # it closes (the gate's view of such scores). Otherwise: the total loss avoided.
    # "+ 0.0": a difference of rounding noise must read 0.0, not -0.0 (IEEE: -0.0 + 0.0 = 0.0)
    gain = round((s - c) / rows, 4) + 0.0 if up and rows else None
    closed = round(100 * (s - c) / (rows - c), 1) + 0.0 if up and rows > c else None
    outcomes = [m.retrain.outcome for m in months if m.retrain]
    return Headline(
        months=len(months),
        metric=terms.metric,
        served=served,
        counterfactual=never,
        error_saved=None if up else round(c - s, 1),
        error_saved_pct=None if up else (round(100 * (c - s) / c, 1) if c else 0.0),
        gain=gain,
        shortfall_closed_pct=closed,
        retrains=len(outcomes),
        promotions=outcomes.count("promote"),
        refusals=outcomes.count("refuse"),
        failures=outcomes.count("failed"),
        failed_requests=sum(m.failed_requests for m in months),
    )


CHANGE_KEYS = ("error_saved", "error_saved_pct", "gain", "shortfall_closed_pct")


def headline_record(h: Headline) -> dict[str, Any]:
    """The headline as timeline.json has it: scores named after their metric, and the change
    as an error saved (losses and errors) or as a gain (scores where higher is better)."""
    counts = asdict(h)
    for key in ("months", "metric", "served", "counterfactual", *CHANGE_KEYS):
        counts.pop(key)
    if higher_is_better(h.metric):
        change = {f"{h.metric}_gain": h.gain, "shortfall_closed_pct": h.shortfall_closed_pct}
    else:
        change = {"error_saved": h.error_saved, "error_saved_pct": h.error_saved_pct}
    scores = named_scores(h.served, h.counterfactual)
    return {"months": h.months, "metric": h.metric} | scores | change | counts


def write_timeline_json(
    months: list[Month], meta: dict[str, Any], path: Path, terms: ReplayTerms
) -> None:
    """timeline.json: metadata, headline and every month."""
    path.parent.mkdir(parents=True, exist_ok=True)
    body = {
        "meta": meta | {"task": terms.task, "metrics": list(terms.metrics)},
        "headline": headline_record(headline(months, terms)),
        "months": [month_record(m) for m in months],
    }
    path.write_text(json.dumps(body, indent=2) + "\n")
