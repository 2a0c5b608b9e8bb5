"""Time-based splitting: nothing from the future reaches training."""

import pandas as pd
import pytest

from lifecycle.dataset import EVENT_TIME
from lifecycle.stages.ingest import arrived
from lifecycle.stages.split import NotEnoughData, split_by_time, windows
from tests.helpers.params import make_params


def test_arrived_stops_before_as_of_but_keeps_unparsable_rows(source: pd.DataFrame) -> None:
    broken = source.copy()
    broken.loc[5, EVENT_TIME] = pd.NaT
    out = arrived(broken, pd.Timestamp("2011-02-01").date())
    assert out[EVENT_TIME].max() < pd.Timestamp("2011-02-01")
    assert out[EVENT_TIME].isna().sum() == 1


def test_windows_are_ordered_and_disjoint(source: pd.DataFrame) -> None:
    params = make_params(data={"as_of": "2011-09-01"}, split={"train_days": 60})
    splits = split_by_time(arrived(source, params.data.as_of), params)
    w = windows(params)
    assert splits.train[EVENT_TIME].max() < w.val_start <= splits.val[EVENT_TIME].min()
    assert splits.val[EVENT_TIME].max() < w.test_start <= splits.test[EVENT_TIME].min()
    assert splits.test[EVENT_TIME].max() < pd.Timestamp("2011-09-01")
    assert splits.train[EVENT_TIME].min() >= w.val_start - pd.Timedelta(days=60)


def test_too_little_training_data_stops_before_training(source: pd.DataFrame) -> None:
    params = make_params(split={"min_train_rows": 100_000})
    with pytest.raises(NotEnoughData, match=r"only \d+ training rows"):
        split_by_time(arrived(source, params.data.as_of), params)
