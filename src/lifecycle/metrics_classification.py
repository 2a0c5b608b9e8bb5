"""Binary classification metrics: ranking, probability quality, a thresholded F1 and calibration."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from sklearn.metrics import brier_score_loss, f1_score, log_loss, roc_auc_score

THRESHOLD = 0.5  # probability at or above which a row is labelled positive (for F1)
ECE_BINS = 10  # equal-width probability bins for the expected calibration error


@dataclass(frozen=True)
class ClassScores:
    """Scores of predicted probabilities of the positive class (1) against 0/1 labels."""

    roc_auc: float  # ranking: P(random positive outranks random negative); NaN with one class
    log_loss: float  # probability quality: mean negative log-likelihood (lower is better)
    f1: float  # labels at THRESHOLD: harmonic mean of precision and recall
    brier: float  # mean squared error of the probability (lower is better)
    ece: float  # calibration: mean |predicted - observed rate| over probability bins
    positive_rate: float  # share of label 1 in the window (the base rate)
    rows: int

    def as_dict(self) -> dict[str, float]:
        """Plain dict, for JSON and MLflow."""
        return asdict(self)


def expected_calibration_error(y_true: np.ndarray, p: np.ndarray, bins: int = ECE_BINS) -> float:
    """Row-weighted mean gap between the mean probability and the observed rate, per bin."""
    which = np.minimum((p * bins).astype(int), bins - 1)
    gaps = [
        abs(p[which == b].mean() - y_true[which == b].mean()) * (which == b).sum()
        for b in range(bins)
        if (which == b).any()
    ]
    return float(sum(gaps) / len(p)) if len(p) else 0.0


def score_classification(
    y_true: np.ndarray | pd.Series, proba: np.ndarray | pd.Series
) -> ClassScores:
    """Score probabilities of class 1; ROC AUC is NaN when the window holds only one class."""
    y, p = np.asarray(y_true, dtype=int), np.clip(np.asarray(proba, dtype=float), 0.0, 1.0)
    both = len(np.unique(y)) == 2
    return ClassScores(
        roc_auc=float(roc_auc_score(y, p)) if both else float("nan"),
        log_loss=float(log_loss(y, p, labels=[0, 1])) if len(y) else float("nan"),
        f1=float(f1_score(y, (p >= THRESHOLD).astype(int), zero_division=0)),
        brier=float(brier_score_loss(y, p, pos_label=1)) if len(y) else float("nan"),
        ece=expected_calibration_error(y, p),
        positive_rate=float(y.mean()) if len(y) else float("nan"),
        rows=len(y),
    )
