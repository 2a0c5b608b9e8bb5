"""The day-block bootstrap of the gate's error cut, against computations done another way."""

import itertools

import numpy as np
import pytest
from sklearn.metrics import f1_score, log_loss, roc_auc_score

from lifecycle.evidence import Comparison, Side, metric_value, paired, rows_to_detect, unpaired

DAYS = np.repeat(np.arange(3), 4).astype("datetime64[D]")  # 3 days of 4 rows


def test_the_interval_matches_an_exact_enumeration_of_day_resamples() -> None:
    """With 3 days there are 27 equally likely draws: the bootstrap must reproduce them."""
    y = np.full(12, 10.0)
    champion = y + np.repeat([2.0, 4.0, 6.0], 4)  # per-day absolute errors 2, 4, 6
    challenger = y + np.repeat([1.0, 4.0, 3.0], 4)  # 1, 4, 3
    exact = []
    for draw in itertools.product(range(3), repeat=3):
        a = np.mean([[2.0, 4.0, 6.0][d] for d in draw])
        b = np.mean([[1.0, 4.0, 3.0][d] for d in draw])
        exact.append(1 - b / a)
    found = paired("mae", y, champion, challenger, DAYS, 0.8, seed=1, resamples=20000)
    assert found.improvement == pytest.approx(1 - 8 / 12)
    widen = np.sqrt(3 / 2)  # D / (D - 1): the small-sample correction the interval applies
    assert found.standard_error == pytest.approx(np.std(exact, ddof=0) * widen, rel=0.03)
    low, mid, high = np.quantile(exact, [0.1, 0.5, 0.9])
    assert found.low == pytest.approx(mid + (low - mid) * widen, abs=0.02)
    assert found.high == pytest.approx(mid + (high - mid) * widen, abs=0.02)
    assert (found.rows, found.days, found.paired) == (12, 3, True)


def test_days_not_rows_are_the_unit() -> None:
    """Rows that move together within a day must not narrow the interval: 24 copies of a
    day's rows carry one day's information, not 24 rows'."""
    rng = np.random.default_rng(0)
    per_day = rng.normal(0.0, 1.0, 20)  # the challenger's edge changes from day to day
    days = np.repeat(np.arange(20), 24).astype("datetime64[D]")
    y = np.zeros(480)
    champion = np.full(480, 5.0)
    challenger = 5.0 - np.repeat(per_day, 24)
    blocked = paired("mae", y, champion, challenger, days, 0.9)
    one_row_per_day = paired("mae", y[::24], champion[::24], challenger[::24], days[::24], 0.9)
    assert blocked.standard_error == pytest.approx(one_row_per_day.standard_error, rel=0.1)


def test_a_constant_cut_has_no_noise() -> None:
    y = np.arange(1.0, 13.0)
    found = paired("mae", y, y + 10, y + 9, DAYS, 0.9)
    assert found.improvement == pytest.approx(0.1)
    assert found.low == pytest.approx(0.1) and found.high == pytest.approx(0.1)
    assert found.better is True and "is better" in found.verdict()


@pytest.mark.parametrize("metric", ["roc_auc", "log_loss", "f1"])
def test_classification_metrics_agree_with_scikit_learn(metric: str) -> None:
    rng = np.random.default_rng(3)
    y = (rng.random(300) < 0.4).astype(float)
    p = np.clip(0.3 * y + 0.7 * rng.random(300), 0.01, 0.99)
    reference = {
        "roc_auc": roc_auc_score(y, p),
        "log_loss": log_loss(y, p),
        "f1": f1_score(y, p >= 0.5),
    }[metric]
    assert metric_value(metric, y, p) == pytest.approx(reference)


def test_a_higher_is_better_metric_is_cut_on_its_shortfall() -> None:
    y = np.tile([0.0, 1.0], 6)
    perfect, coin = y.copy(), np.where(np.arange(12) % 4 < 2, y, 1 - y)
    found = paired("roc_auc", y, coin, perfect, DAYS, 0.9, resamples=200)
    assert found.improvement == pytest.approx(1.0)  # the shortfall drops to 0


def _false_alarms(compare: object, trials: int = 400) -> float:
    """The share of A/A trials (two equally good models) the 90 % interval calls different."""
    rng = np.random.default_rng(5)
    days = np.repeat(np.arange(20), 24).astype("datetime64[D]")
    hits = 0
    for seed in range(trials):
        # Errors share a per-day part (weather): rows within a day are correlated.
        day_part = np.repeat(rng.normal(0, 20, (2, 20)), 24, axis=1)
        errors = np.abs(day_part + rng.normal(0, 5, (2, 480)))
        found = compare(errors, days, seed)  # type: ignore[operator]
        hits += found.better is not None
    return hits / trials


def test_unpaired_intervals_of_equal_models_hold_their_confidence() -> None:
    def compare(errors: np.ndarray, days: np.ndarray, seed: int) -> object:
        y = np.zeros(240)
        return unpaired(
            "mae",
            Side(y, errors[0, :240], days[:240]),
            Side(y, errors[1, 240:], days[240:]),
            0.9,
            seed=seed,
            resamples=500,
        )

    assert 0.05 <= _false_alarms(compare) <= 0.16  # 0.1 expected


def test_paired_intervals_of_equal_models_hold_their_confidence() -> None:
    def compare(errors: np.ndarray, days: np.ndarray, seed: int) -> object:
        return paired("mae", np.zeros(480), errors[0], errors[1], days, 0.9, seed, 500)

    assert 0.05 <= _false_alarms(compare) <= 0.16


def test_rows_to_detect_follow_the_normal_approximation_of_the_gates_test() -> None:
    """Promotion needs the lower end of a two-sided 90 % interval above 0: a one-sided test
    at 95 %. With 80 % power: days = D x ((1.645 + 0.842) x se / effect)²."""
    found = Comparison("mae", 100.0, 95.0, 0.05, -0.03, 0.13, 0.9, 0.05, 720, 30, True)
    days = 30 * ((1.6449 + 0.8416) * 0.05 / 0.02) ** 2
    assert rows_to_detect(found, 0.02) == pytest.approx(days * 24, rel=0.001)


def test_rows_to_detect_grow_with_the_square_of_the_precision() -> None:
    y = np.zeros(480)
    days = np.repeat(np.arange(20), 24).astype("datetime64[D]")
    edge = np.repeat(np.random.default_rng(1).normal(0.5, 1.0, 20), 24)
    found = paired("mae", y, np.full(480, 5.0), 5.0 - edge, days, 0.9)
    assert rows_to_detect(found, 0.01) == pytest.approx(4 * rows_to_detect(found, 0.02), rel=0.01)


def test_mismatched_lengths_are_refused() -> None:
    with pytest.raises(ValueError, match="one value per row"):
        paired("mae", np.zeros(3), np.zeros(3), np.zeros(2), DAYS[:3], 0.9)


def test_resampling_rows_instead_of_days_would_cry_wolf() -> None:
    """Why days: the same A/A data with each row its own block flags most trials as different."""

    def compare(errors: np.ndarray, days: np.ndarray, seed: int) -> object:
        each_row = np.arange(480).astype("datetime64[D]")
        return paired("mae", np.zeros(480), errors[0], errors[1], each_row, 0.9, seed, 500)

    assert _false_alarms(compare) > 0.4  # 0.735 here: the interval is far too narrow


def test_times_with_a_zone_count_by_their_wall_clock_day() -> None:
    import pandas as pd

    # 18:00 .. 23:00 in New York on 1 May is 22:00 .. 03:00 UTC: two UTC days, one local day.
    local = pd.date_range("2011-05-01 18:00", periods=6, freq="h", tz="America/New_York")
    y = np.zeros(6)
    assert paired("mae", y, y + 2, y + 1, local, 0.9).days == 1
