"""Classification metrics, metric directions, and the gate on a higher-is-better metric."""

import numpy as np
import pytest

from lifecycle.gate import judge
from lifecycle.metrics import Scores, score_task
from lifecycle.metrics_classification import ClassScores, expected_calibration_error
from lifecycle.tasks import higher_is_better, rank_key
from tests.helpers.params import CLASSIFICATION, make_params

GATE = make_params(**CLASSIFICATION).gate  # roc_auc, margin 2 %, min_roc_auc 0.75, max_log_loss 0.5


def c(roc_auc: float, log_loss: float = 0.4) -> ClassScores:
    return ClassScores(roc_auc, log_loss, f1=0.6, brier=0.1, ece=0.03, positive_rate=0.2, rows=99)


def test_perfect_and_useless_probabilities() -> None:
    y = np.array([0, 0, 1, 1, 0, 1])
    perfect = score_task("classification", y, y.astype(float))
    assert isinstance(perfect, ClassScores)
    assert perfect.roc_auc == 1 and perfect.f1 == 1 and perfect.brier == 0 and perfect.ece == 0
    coin = score_task("classification", y, np.full(6, 0.5))
    assert coin.roc_auc == 0.5 and coin.log_loss == pytest.approx(np.log(2))
    assert coin.positive_rate == 0.5 and coin.rows == 6


def test_regression_still_gets_regression_scores() -> None:
    assert isinstance(score_task("regression", [1.0, 2.0], [1.5, 2.5]), Scores)


def test_one_class_window_has_no_roc_auc_but_other_scores() -> None:
    scores = score_task("classification", np.zeros(4), np.array([0.1, 0.2, 0.3, 0.9]))
    assert np.isnan(scores.roc_auc) and np.isfinite(scores.log_loss) and scores.f1 == 0


def test_calibration_error_is_the_gap_per_bin() -> None:
    # 10 rows at p=0.8 of which half are positive: every row is 0.3 off
    y, p = np.array([1] * 5 + [0] * 5), np.full(10, 0.8)
    assert expected_calibration_error(y, p) == pytest.approx(0.3)


def test_metric_directions() -> None:
    assert higher_is_better("roc_auc") and higher_is_better("f1") and higher_is_better("r2")
    assert not any(higher_is_better(m) for m in ("mae", "rmse", "log_loss", "brier", "ece"))
    assert sorted([0.7, 0.9, 0.8], key=lambda v: rank_key("roc_auc", v))[0] == 0.9
    assert sorted([0.7, 0.9, 0.8], key=lambda v: rank_key("log_loss", v))[0] == 0.7


def test_classification_floors() -> None:
    assert judge(c(0.85), None, GATE).promote
    low = judge(c(0.70), None, GATE)
    assert not low.promote and "test ROC AUC 0.7000 is below the floor 0.75" in low.reason
    lossy = judge(c(0.85, log_loss=0.6), None, GATE)
    assert not lossy.promote and "log loss 0.6000 is above the floor 0.5" in lossy.reason
    assert not judge(c(float("nan")), None, GATE).promote


def test_higher_auc_must_cut_the_champions_shortfall_by_the_margin() -> None:
    # The margin applies to 1 - AUC: 0.84 leaves 0.16 to a perfect model, 2 % less is 0.1568.
    assert judge(c(0.845), c(0.84), GATE).promote  # shortfall 0.155: 3.1 % less
    verdict = judge(c(0.842), c(0.84), GATE)  # shortfall 0.158: 1.25 % less, not enough
    assert not verdict.promote and "needs >= 0.8432" in verdict.reason
    assert not judge(c(0.80), c(0.84), GATE).promote


def test_a_near_perfect_champion_can_still_be_beaten() -> None:
    # A margin on the score itself would need AUC >= 0.99 x 1.02 > 1: no challenger could win.
    assert judge(c(0.995), c(0.99), GATE).promote


def test_lower_log_loss_must_beat_the_champion_by_the_margin() -> None:
    gate = GATE.model_copy(update={"metric": "log_loss"})
    assert judge(c(0.85, log_loss=0.38), c(0.85, log_loss=0.40), gate).promote
    assert not judge(c(0.85, log_loss=0.395), c(0.85, log_loss=0.40), gate).promote
