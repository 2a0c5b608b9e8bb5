"""How sure is a comparison of two models? A day-block bootstrap of the gate metric (pure).

Hourly rows are not independent: neighbouring hours share the weather, the weekday and the
model's mistakes, so resampling single rows would make an interval several times too narrow.
Days are the unit that is close to independent here, so the bootstrap resamples whole days
(a block bootstrap with blocks of one calendar day; Künsch 1989, "cluster bootstrap" in
econometrics): the same days for both models when their rows are paired (shadow: both predicted
the same requests), each side's own days when they are not (canary / A/B: different requests).

The number compared is the gate's: the relative cut of the error, 1 - error(challenger) /
error(champion), where the error is the metric itself (MAE, RMSE, log loss, Brier) or its
shortfall 1 - metric (ROC AUC, F1). +0.05 means the challenger's error is 5 % lower.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from statistics import NormalDist
from typing import Any

import numpy as np
import pandas as pd

from lifecycle.tasks import higher_is_better

# An interval from one day block is zero-width: no evidence at all. Decisions need this many.
MIN_DAYS = 2
RESAMPLES = 2000  # bootstrap draws: the interval's ends move by < 0.1 point between seeds here
# Metrics that are a mean (or the root of a mean) of per-row losses: their bootstrap is a
# weighted sum of per-day totals, no loop. The others (ROC AUC, F1) are recomputed per draw.
_ADDITIVE = frozenset({"mae", "rmse", "log_loss", "brier"})
_EPS = 1e-15  # probabilities are clipped to [eps, 1 - eps] for the log loss, as scikit-learn


@dataclass(frozen=True)
class Comparison:
    """Champion against challenger on the gate metric, with a confidence interval."""

    metric: str
    champion: float  # the metric of each model on these rows
    challenger: float
    improvement: float  # 1 - error(challenger) / error(champion): > 0 is better
    low: float  # the interval of `improvement` at `confidence`
    high: float
    confidence: float
    standard_error: float  # the bootstrap's standard deviation of `improvement`
    rows: int  # labelled rows compared (each side, when paired)
    days: int  # calendar days they span: the bootstrap's blocks
    paired: bool  # True: the same rows scored by both models (shadow); False: A/B rows
    method: str = f"day-block bootstrap, {RESAMPLES} draws, widened percentile interval"

    @property
    def better(self) -> bool | None:
        """True: the challenger is better at this confidence; False: worse; None: can't tell."""
        if self.low > 0:
            return True
        if self.high < 0:
            return False
        return None

    def verdict(self) -> str:
        """The comparison in one plain sentence."""
        span = f"{self.confidence:.0%} interval {self.low:+.1%} .. {self.high:+.1%}"
        where = f"{self.rows} labelled rows over {self.days} days"
        side = "lower" if self.improvement >= 0 else "higher"
        cut = f"its {self.metric} error is {abs(self.improvement):.1%} {side}"
        if self.better is True:
            return f"the challenger is better: {cut} ({span}, {where})"
        if self.better is False:
            return f"the challenger is worse: {cut} ({span}, {where})"
        return f"no clear difference: {cut}, but the {span} includes 0 ({where})"

    def as_dict(self) -> dict[str, Any]:
        """Plain dict for JSON, with the verdict."""
        return asdict(self) | {"better": self.better, "verdict": self.verdict()}


def error_of(metric: str, value: float) -> float:
    """The error the gate compares: the metric, or 1 - metric when higher is better."""
    return 1.0 - value if higher_is_better(metric) else value


def metric_value(metric: str, y: np.ndarray, p: np.ndarray) -> float:
    """The gate metric of predictions `p` (a classifier's: P(class 1)) against labels `y`."""
    if metric in _ADDITIVE:
        loss = row_losses(metric, y, p)
        return float(np.sqrt(loss.mean()) if metric == "rmse" else loss.mean())
    if metric == "roc_auc":
        return _roc_auc(y, p)
    if metric == "f1":
        return _f1(y, p)
    raise ValueError(f"no paired comparison for metric '{metric}'")


def row_losses(metric: str, y: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Per-row losses whose mean is the metric (RMSE: its square)."""
    if metric == "mae":
        return np.abs(y - p)
    if metric in ("rmse", "brier"):
        return (y - p) ** 2
    q = np.clip(p, _EPS, 1 - _EPS)  # log_loss
    return -(y * np.log(q) + (1 - y) * np.log(1 - q))


def _roc_auc(y: np.ndarray, p: np.ndarray) -> float:
    """ROC AUC by the rank-sum formula (ties count half); NaN with one class."""
    positives = y == 1
    n_pos, n_neg = int(positives.sum()), int((~positives).sum())
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    order = np.argsort(p, kind="mergesort")
    ranks = np.empty(len(p))
    ranks[order] = np.arange(1, len(p) + 1)
    sorted_p = p[order]  # average the ranks of tied scores
    _, first, counts = np.unique(sorted_p, return_index=True, return_counts=True)
    mean_rank = first + (counts + 1) / 2
    ranks[order] = np.repeat(mean_rank, counts)
    return float((ranks[positives].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def _f1(y: np.ndarray, p: np.ndarray) -> float:
    """F1 of the labels at probability 0.5 (as metrics_classification.THRESHOLD)."""
    hit = p >= 0.5
    tp = float((hit & (y == 1)).sum())
    denominator = float(hit.sum() + (y == 1).sum())
    return 2 * tp / denominator if denominator else 0.0


def _day_codes(days: np.ndarray) -> tuple[np.ndarray, int]:
    """Each row's day as 0..D-1, and D. Times with a zone count by their wall-clock day."""
    when = pd.DatetimeIndex(pd.to_datetime(np.asarray(days)))
    if when.tz is not None:  # numpy would silently take the UTC day
        when = when.tz_localize(None)
    _, codes = np.unique(when.to_numpy().astype("datetime64[D]"), return_inverse=True)
    return codes.ravel(), int(codes.max()) + 1 if len(codes) else 0


def _draw_weights(days: int, resamples: int, rng: np.random.Generator) -> np.ndarray:
    """How often each day is drawn in each resample (resamples x days; rows sum to days)."""
    return rng.multinomial(days, np.full(days, 1.0 / days), size=resamples)


def _additive_errors(
    metric: str, y: np.ndarray, p: np.ndarray, codes: np.ndarray, weights: np.ndarray
) -> np.ndarray:
    """The error of every resample at once, from per-day loss totals."""
    days = weights.shape[1]
    totals = np.bincount(codes, weights=row_losses(metric, y, p), minlength=days)
    counts = np.bincount(codes, minlength=days).astype(float)
    means = (weights @ totals) / (weights @ counts)
    return np.sqrt(means) if metric == "rmse" else means


def _looped_errors(
    metric: str, y: np.ndarray, p: np.ndarray, codes: np.ndarray, weights: np.ndarray
) -> np.ndarray:
    """The error of every resample, recomputing a metric that is no mean of row losses."""
    rows_of = [np.flatnonzero(codes == d) for d in range(weights.shape[1])]
    out = np.empty(len(weights))
    for i, drawn in enumerate(weights):
        rows = np.concatenate([rows_of[d] for d in np.repeat(np.arange(len(drawn)), drawn)])
        out[i] = error_of(metric, metric_value(metric, y[rows], p[rows]))
    return out


def resampled_errors(
    metric: str, y: np.ndarray, p: np.ndarray, codes: np.ndarray, weights: np.ndarray
) -> np.ndarray:
    """The gate error of predictions `p` under each day-resample in `weights`."""
    if metric in _ADDITIVE:
        return _additive_errors(metric, y, p, codes, weights)
    return _looped_errors(metric, y, p, codes, weights)


def _interval(draws: np.ndarray, confidence: float, days: int) -> tuple[float, float, float]:
    """Percentile interval and standard deviation of finite bootstrap draws, widened by
    sqrt(D / (D - 1)): resampling D blocks underestimates the spread by that factor, which
    matters at 14 days (A/A trials flagged 14 % instead of 10 % without it)."""
    finite = draws[np.isfinite(draws)]
    if len(finite) == 0:
        return float("nan"), float("nan"), float("nan")
    tail = (1 - confidence) / 2
    low, mid, high = np.quantile(finite, [tail, 0.5, 1 - tail])
    widen = np.sqrt(days / (days - 1)) if days > 1 else 1.0
    spread = float(finite.std(ddof=1)) * widen if len(finite) > 1 else 0.0
    return float(mid + (low - mid) * widen), float(mid + (high - mid) * widen), spread


def _relative_cut(champion: np.ndarray | float, challenger: np.ndarray | float) -> Any:
    """1 - challenger / champion, elementwise; NaN where the champion's error is 0."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return 1.0 - np.asarray(challenger, float) / np.asarray(champion, float)


def paired(
    metric: str,
    y: np.ndarray,
    champion: np.ndarray,
    challenger: np.ndarray,
    days: np.ndarray,
    confidence: float,
    seed: int = 0,
    resamples: int = RESAMPLES,
) -> Comparison:
    """Both models on the same labelled rows (`days`: each row's event time or date)."""
    y, a, b = (np.asarray(v, dtype=float) for v in (y, champion, challenger))
    if not len(y) == len(a) == len(b) == len(days):
        raise ValueError("labels, both predictions and days must have one value per row")
    if len(y) == 0:
        raise ValueError("no labelled rows to compare")
    codes, n_days = _day_codes(days)
    weights = _draw_weights(n_days, resamples, np.random.default_rng(seed))
    draws = _relative_cut(
        resampled_errors(metric, y, a, codes, weights),
        resampled_errors(metric, y, b, codes, weights),
    )
    ours, theirs = metric_value(metric, y, b), metric_value(metric, y, a)
    low, high, se = _interval(draws, confidence, n_days)
    cut = float(_relative_cut(error_of(metric, theirs), error_of(metric, ours)))
    return Comparison(metric, theirs, ours, cut, low, high, confidence, se, len(y), n_days, True)


@dataclass(frozen=True)
class Side:
    """One model's own labelled rows (an A/B comparison: the rows differ between the sides)."""

    y: np.ndarray
    p: np.ndarray
    days: np.ndarray


def unpaired(
    metric: str,
    champion: Side,
    challenger: Side,
    confidence: float,
    seed: int = 0,
    resamples: int = RESAMPLES,
) -> Comparison:
    """Each model on its own rows (canary): each side's days are resampled independently."""
    rng = np.random.default_rng(seed)
    errors, values = [], []
    for side in (champion, challenger):
        y, p = np.asarray(side.y, float), np.asarray(side.p, float)
        if len(y) == 0:
            raise ValueError("no labelled rows to compare on one side")
        codes, n_days = _day_codes(side.days)
        weights = _draw_weights(n_days, resamples, rng)
        errors.append(resampled_errors(metric, y, p, codes, weights))
        values.append(metric_value(metric, y, p))
    rows = min(len(champion.y), len(challenger.y))
    n_days = min(_day_codes(champion.days)[1], _day_codes(challenger.days)[1])
    low, high, se = _interval(_relative_cut(errors[0], errors[1]), confidence, n_days)
    cut = float(_relative_cut(error_of(metric, values[0]), error_of(metric, values[1])))
    return Comparison(
        metric, values[0], values[1], cut, low, high, confidence, se, rows, n_days, False
    )


def rows_to_detect(found: Comparison, effect: float, power: float = 0.8) -> int:
    """Labelled rows needed to tell an `effect` (e.g. 0.02) from 0 with this comparison's noise.

    The gates decide on the lower end of a two-sided interval at `confidence` (a one-sided test
    at (1 + confidence) / 2). The bootstrap's standard error shrinks as 1 / sqrt(days), so the
    days needed are days x ((z_(1+c)/2 + z_power) x se / effect)², in rows at its rows per day.
    """
    if effect <= 0 or not np.isfinite(found.standard_error):
        raise ValueError("effect must be > 0 and the comparison's standard error finite")
    normal = NormalDist()
    z = normal.inv_cdf((1 + found.confidence) / 2) + normal.inv_cdf(power)
    days = found.days * (z * found.standard_error / effect) ** 2
    return int(np.ceil(days * found.rows / found.days))
