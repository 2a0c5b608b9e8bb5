"""The replay's record: one row per simulated month, headline numbers, JSON and Markdown.

Scores are named after their metric (`served_mae`, `counterfactual_roc_auc`, ...): the months
carry the gate's metric and the task's headline metric (lifecycle.replay.scoring).
"""

from __future__ import annotations

import json
import statistics
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
    outcome: str  # promote | refuse | failed | shadow (passed offline, waits for live evidence)
    version: str | None  # the registered challenger, if any
    reason: str
    commit: str = ""  # commit of params.yaml + dvc.lock in the replay's working repository
    seconds: float = 0.0
    cpu_seconds: float = 0.0  # CPU of `dvc repro` and its stage processes (wall time is noisy)


@dataclass
class LiveStage:
    """A month the champion answered while a challenger predicted every request in shadow, and
    what the live gate made of the month's labelled shadow rows (lifecycle.rollout.decide_live)."""

    version: str  # the challenger in shadow: its predictions were logged, never sent back
    champion: str  # the champion that answered meanwhile
    action: str  # promote | refuse | wait (too few labelled shadow rows yet)
    reason: str
    # The live evidence, evidence.Comparison.as_dict(): improvement, low, high, rows, verdict
    evidence: dict[str, Any] | None = None
    shadow_rows: int = 0  # rows the challenger predicted in shadow this month (the log's table)


@dataclass
class Hindsight:
    """A promotion judged by the month after it: the new champion against the one it replaced,
    on every labelled row of that month (lifecycle.replay.hindsight)."""

    month: str  # the month whose labels judged it
    promoted: str
    replaced: str
    stage: str  # offline (the gate's test window) | live (the shadow month)
    metric: str  # the gate's
    promoted_score: float  # the metric of each on the month's rows
    replaced_score: float
    improvement: float  # 1 - error(promoted) / error(replaced): > 0 is better
    low: float  # its interval at `confidence` (day-block bootstrap)
    high: float
    confidence: float
    rows: int
    days: int
    better: bool  # improvement > 0: the month bore the promotion out
    confident: bool | None  # True: better at `confidence`; False: worse; None: can't tell
    verdict: str
    # Labelled rows this month's noise needs to tell the gate's margin from no change (one-sided
    # at `confidence`, 80 % power; lifecycle.evidence.rows_to_detect). None: no noise estimate.
    rows_to_detect_margin: int | None = None


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
    live: LiveStage | None = None  # a challenger was in shadow this month (policy shadow)
    hindsight: Hindsight | None = None  # this month's promotion, judged by the next month
    # Wall time of each phase, and CPU: `replay_cpu` is this process (the HTTP clients and
    # monitoring), `retrain_cpu` the retrain's processes. The server's CPU is not included.
    seconds: dict[str, float] = field(default_factory=dict)
    answered_by: dict[str, int] = field(default_factory=dict)  # answers per "variant vN"
    report: str | None = None  # the month's monitoring report (HTML), relative to timeline.md


@dataclass(frozen=True)
class Promoted:
    """A promotion made after a month: who became champion, whom it replaced, at which stage."""

    version: str
    replaced: str
    stage: str  # offline | live


def promoted_in(m: Month) -> Promoted | None:
    """The promotion made after month `m`, if any (the live gate's, or the retrain's)."""
    if m.live and m.live.action == "promote":
        return Promoted(m.live.version, m.live.champion, "live")
    if m.retrain and m.retrain.outcome == "promote" and m.retrain.version:
        return Promoted(m.retrain.version, m.served_version, "offline")
    return None


@dataclass(frozen=True)
class PromotionTally:
    """How the promotions fared on the next month's labels."""

    promotions: int  # all, at either stage
    judged: int  # those with a next month to judge them (the last month's has none)
    not_better: int  # the next month's error was not lower (improvement <= 0)
    confidently_worse: int  # ... and worse beyond the noise (the interval below 0)
    confidently_better: int  # better beyond the noise (the interval above 0)
    rows_to_detect_margin: int | None = None  # the median of the judged months' estimates


def tally_promotions(months: list[Month]) -> PromotionTally:
    """Count the promotions and what the month after each showed."""
    judged = [m.hindsight for m in months if promoted_in(m) and m.hindsight]
    return PromotionTally(
        promotions=sum(1 for m in months if promoted_in(m)),
        judged=len(judged),
        not_better=sum(1 for h in judged if not h.better),
        confidently_worse=sum(1 for h in judged if h.confident is False),
        confidently_better=sum(1 for h in judged if h.confident is True),
        rows_to_detect_margin=_median([h.rows_to_detect_margin for h in judged]),
    )


def _median(values: list[int | None]) -> int | None:
    """The median of the known values, as a whole number; None when there is none."""
    known = sorted(v for v in values if v is not None)
    return int(statistics.median(known)) if known else None


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
    shadowed: int = 0  # retrains that passed offline and went into shadow (gate.live.required)
    live_refusals: int = 0  # shadowed challengers the live gate refused
    promotions_judged: int = 0  # promotions with a next month to judge them
    promotions_not_better: int = 0  # ... whose next month's labels showed no lower error
    promotions_confidently_worse: int = 0  # ... worse beyond the interval
    rows_to_detect_margin: int | None = None  # median over those months (Hindsight's)


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
    live = [m.live.action for m in months if m.live]
    tally = tally_promotions(months)
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
        promotions=tally.promotions,
        refusals=outcomes.count("refuse"),
        failures=outcomes.count("failed"),
        failed_requests=sum(m.failed_requests for m in months),
        shadowed=outcomes.count("shadow"),
        live_refusals=live.count("refuse"),
        promotions_judged=tally.judged,
        promotions_not_better=tally.not_better,
        promotions_confidently_worse=tally.confidently_worse,
        rows_to_detect_margin=tally.rows_to_detect_margin,
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
