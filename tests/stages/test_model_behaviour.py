"""Model tests: quality floors on the holdout, behaviour a domain expert expects, determinism."""

import numpy as np
import pandas as pd
import pytest
from sklearn.pipeline import Pipeline

from lifecycle.dataset import DatasetSpec
from lifecycle.metrics import score
from lifecycle.params import Params
from lifecycle.predictions import predict_frame
from lifecycle.stages.split import Splits
from lifecycle.stages.train import fit_all, fit_candidate
from tests.helpers.params import make_params


@pytest.fixture(scope="module")
def hgb(spec: DatasetSpec, params: Params, splits: Splits) -> Pipeline:
    return fit_candidate("hgb", spec, params, splits.train)


@pytest.mark.ml_test_score("M5")
def test_every_candidate_beats_predicting_the_mean(
    spec: DatasetSpec, params: Params, splits: Splits
) -> None:
    for fitted in fit_all(spec, params, splits.train, splits.val):
        assert fitted.val.r2 > 0.1, fitted.name


def test_boosted_trees_pass_the_quality_floors_on_the_test_window(
    hgb: Pipeline, spec: DatasetSpec, params: Params, splits: Splits
) -> None:
    scores = score(splits.test[spec.target], predict_frame(hgb, splits.test, spec))
    assert scores.r2 >= params.gate.min_r2 and scores.mae <= params.gate.max_mae


def day(date: str, workingday: int, weathersit: int) -> pd.DataFrame:
    """24 hourly records of one mild day."""
    hours = pd.date_range(date, periods=24, freq="h")
    return pd.DataFrame(
        {
            "event_time": hours,
            "holiday": 0.0,
            "workingday": float(workingday),
            "weathersit": float(weathersit),
            "temp": 0.5,
            "atemp": 0.48,
            "hum": 0.5,
            "windspeed": 0.15,
        }
    )


@pytest.mark.ml_test_score("I2")
def test_working_day_rentals_peak_at_commute_hours(hgb: Pipeline) -> None:
    preds = hgb.predict(day("2011-03-09", workingday=1, weathersit=1))  # a Wednesday
    assert int(np.argmax(preds[:12])) in (7, 8, 9)  # morning peak
    assert int(np.argmax(preds[12:])) + 12 in (16, 17, 18, 19)  # evening peak
    assert min(preds[8], preds[17]) > 1.5 * preds[12]  # both peaks tower over midday
    assert preds[3] < preds[8] / 5  # the night is quiet


@pytest.mark.ml_test_score("I2")
def test_heavy_rain_lowers_predictions(hgb: Pipeline) -> None:
    clear = hgb.predict(day("2011-03-09", 1, weathersit=1))
    rain = hgb.predict(day("2011-03-09", 1, weathersit=3))
    daytime = slice(7, 20)
    assert rain[daytime].sum() < 0.85 * clear[daytime].sum()


@pytest.mark.ml_test_score("I1")
def test_same_seed_gives_identical_metrics(spec: DatasetSpec, splits: Splits) -> None:
    params = make_params(train={"candidates": ["hgb", "mlp"]})
    first = [f.val for f in fit_all(spec, params, splits.train, splits.val)]
    again = [f.val for f in fit_all(spec, params, splits.train, splits.val)]
    assert first == again


@pytest.mark.ml_test_score("Mo5")
@pytest.mark.ml_test_score("I2")
def test_predictions_are_never_negative(hgb: Pipeline, spec: DatasetSpec, splits: Splits) -> None:
    assert (predict_frame(hgb, splits.test, spec) >= 0).all()
