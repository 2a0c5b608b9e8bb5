"""The gate's pure decision rule."""

import pytest

from lifecycle.evidence import Comparison
from lifecycle.gate import judge
from lifecycle.metrics import Scores
from lifecycle.rollout import judge_live
from tests.helpers.params import make_params

GATE = make_params().gate  # margin 2 %, max_mae 150, min_r2 0.5


def s(mae: float, r2: float = 0.8) -> Scores:
    return Scores(mae=mae, rmse=mae * 1.5, r2=r2, rows=100)


def test_first_model_needs_only_the_floors() -> None:
    assert judge(s(40), None, GATE).promote
    assert not judge(s(400), None, GATE).promote
    assert "below the floor" in judge(s(40, r2=0.1), None, GATE).reason


@pytest.mark.ml_test_score("I4")
def test_challenger_must_beat_champion_by_the_margin() -> None:
    assert judge(s(97), s(100), GATE).promote  # 3 % better
    verdict = judge(s(99), s(100), GATE)  # 1 % better: not enough
    assert not verdict.promote and "needs <= 98.00" in verdict.reason


@pytest.mark.ml_test_score("I4")
def test_worse_challenger_is_refused() -> None:
    assert not judge(s(120), s(100), GATE).promote


def _evidence(improvement: float, low: float, high: float, rows: int = 336) -> Comparison:
    return Comparison(
        "mae", 100.0, 100 * (1 - improvement), improvement, low, high, 0.9, 0.03, rows, 14, True
    )


def test_an_interval_that_is_not_required_does_not_change_the_verdict() -> None:
    noisy = _evidence(0.03, -0.01, 0.07)
    assert judge(s(97), s(100), GATE, noisy) == judge(s(97), s(100), GATE)  # only reported
    assert "includes 0" in noisy.verdict() and "336 labelled rows over 14 days" in noisy.verdict()


def test_a_required_interval_refuses_a_margin_within_the_noise() -> None:
    sure = make_params(gate={"require_confident": True}).gate
    verdict = judge(s(97), s(100), sure, _evidence(0.03, -0.01, 0.07))
    assert not verdict.promote and "gate.require_confident" in verdict.reason
    assert judge(s(97), s(100), sure, _evidence(0.03, 0.01, 0.05)).promote


def test_too_few_test_rows_are_refused_when_a_minimum_is_set() -> None:
    few = make_params(gate={"min_rows": 500}).gate
    verdict = judge(s(90), s(100), few, _evidence(0.1, 0.05, 0.15, rows=336))
    assert not verdict.promote and "only 336 test rows (gate.min_rows: 500)" in verdict.reason


def test_the_live_gate_waits_promotes_and_refuses() -> None:
    live = make_params(gate={"live": {"min_rows": 200}}).gate
    assert judge_live(None, live).action == "wait"
    assert judge_live(_evidence(0.05, 0.02, 0.08, rows=150), live).action == "wait"
    assert judge_live(_evidence(0.05, 0.02, 0.08), live).action == "promote"
    assert judge_live(_evidence(0.01, 0.005, 0.02), live).action == "refuse"  # below the margin
    assert judge_live(_evidence(-0.05, -0.08, -0.02), live).action == "refuse"
    assert judge_live(_evidence(0.01, -0.02, 0.04, rows=300), live).action == "wait"
    assert judge_live(_evidence(0.01, -0.02, 0.04, rows=400), live).action == "refuse"  # 2x min


def test_the_live_gate_waits_while_the_rows_span_one_day() -> None:
    live = make_params(gate={"live": {"min_rows": 200}}).gate
    one_day = Comparison("mae", 100.0, 80.0, 0.2, 0.2, 0.2, 0.9, 0.0, 500, 1, True)
    verdict = judge_live(one_day, live)
    assert verdict.action == "wait" and "span 1 day" in verdict.reason
