"""Was a promotion right? The month after it answers, on its own labels (pure).

The gate promotes on evidence from before the switch: the 14-day test window and a 2 % margin
(offline), or a month of shadow rows (live). Whether the new champion really is better shows on
the rows it goes on to serve. So after every promotion the replay scores the new champion and
the champion it replaced on every labelled row of the next month, with the same day-block
bootstrap the gate reports (lifecycle.evidence.paired), and counts the promotions that month
did not bear out: how often does the rule promote a model that was not better?
"""

from __future__ import annotations

import numpy as np

from lifecycle.evidence import MIN_DAYS, paired, rows_to_detect
from lifecycle.replay.timeline import Hindsight, Promoted


def judge_in_hindsight(
    month: str,
    promotion: Promoted,
    metric: str,
    y: np.ndarray,
    replaced: np.ndarray,
    promoted: np.ndarray,
    days: np.ndarray,
    confidence: float,
    seed: int = 0,
    margin: float = 0.02,
) -> Hindsight:
    """The promoted model against the one it replaced on one month's labelled rows.

    `replaced` and `promoted` are each model's predictions of the rows (a classifier's:
    P(positive)); `days` each row's event time, the bootstrap's day blocks. `margin`: the
    gate's, for how many labelled rows this month's noise would need to detect it.
    """
    found = paired(metric, y, replaced, promoted, days, confidence, seed=seed)
    noisy = found.days >= MIN_DAYS and found.standard_error > 0 and margin > 0
    return Hindsight(
        month=month,
        promoted=promotion.version,
        replaced=promotion.replaced,
        stage=promotion.stage,
        metric=metric,
        promoted_score=round(found.challenger, 6),
        replaced_score=round(found.champion, 6),
        improvement=round(found.improvement, 6),
        low=round(found.low, 6),
        high=round(found.high, 6),
        confidence=confidence,
        rows=found.rows,
        days=found.days,
        better=bool(found.improvement > 0),
        confident=found.better,
        verdict=found.verdict().replace("the challenger", f"v{promotion.version}"),
        rows_to_detect_margin=rows_to_detect(found, margin) if noisy else None,
    )
