"""The gate's pure decision rule."""

from lifecycle.gate import judge
from lifecycle.metrics import Scores
from tests.helpers.params import make_params

GATE = make_params().gate  # margin 2 %, max_mae 150, min_r2 0.5


def s(mae: float, r2: float = 0.8) -> Scores:
    return Scores(mae=mae, rmse=mae * 1.5, r2=r2, rows=100)


def test_first_model_needs_only_the_floors() -> None:
    assert judge(s(40), None, GATE).promote
    assert not judge(s(400), None, GATE).promote
    assert "below the floor" in judge(s(40, r2=0.1), None, GATE).reason


def test_challenger_must_beat_champion_by_the_margin() -> None:
    assert judge(s(97), s(100), GATE).promote  # 3 % better
    verdict = judge(s(99), s(100), GATE)  # 1 % better: not enough
    assert not verdict.promote and "needs <= 98.00" in verdict.reason


def test_worse_challenger_is_refused() -> None:
    assert not judge(s(120), s(100), GATE).promote
