"""The shared feature pipeline: calendar encoding and shape."""

import numpy as np
import pandas as pd
import pytest

from lifecycle.dataset import DatasetSpec
from lifecycle.features import CalendarFeatures, build_features


def frame(times: list[str]) -> pd.DataFrame:
    return pd.DataFrame({"event_time": pd.to_datetime(times)})


@pytest.mark.ml_test_score("D7")
def test_hour_23_sits_next_to_hour_0() -> None:
    enc = CalendarFeatures().fit_transform(
        frame(["2011-01-03 23:00", "2011-01-04 00:00", "2011-01-04 12:00"])
    )
    hour = enc[:, :2]
    assert np.linalg.norm(hour[0] - hour[1]) < np.linalg.norm(hour[1] - hour[2])


@pytest.mark.ml_test_score("D7")
def test_weekend_flag() -> None:
    enc = CalendarFeatures().fit_transform(frame(["2011-01-01 10:00", "2011-01-03 10:00"]))
    assert list(enc[:, -1]) == [1.0, 0.0]  # Saturday, Monday


def test_feature_matrix_has_one_column_per_output_name(
    spec: DatasetSpec, source: pd.DataFrame
) -> None:
    from lifecycle.dataset import model_frame

    x = model_frame(source.head(200), spec)
    features = build_features(spec).fit(x)
    out = features.transform(x)
    assert out.shape == (200, len(features.get_feature_names_out()))
    assert np.isfinite(out).all()


@pytest.mark.ml_test_score("D7")
def test_unknown_weather_category_does_not_crash(spec: DatasetSpec, source: pd.DataFrame) -> None:
    from lifecycle.dataset import model_frame

    x = model_frame(source.head(50), spec)
    features = build_features(spec).fit(x)
    odd = x.head(1).assign(weathersit=9.0)
    assert np.isfinite(features.transform(odd)).all()
