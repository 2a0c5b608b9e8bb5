"""Stage `split`: train / validation / test windows by event time, counted back from as_of."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from lifecycle.dataset import EVENT_TIME
from lifecycle.entry import StageFailed
from lifecycle.params import Params


def _ts(day: dt.date) -> pd.Timestamp:
    return pd.Timestamp(day)


@dataclass(frozen=True)
class Windows:
    """Half-open [start, end) time windows of one split."""

    train_start: pd.Timestamp
    val_start: pd.Timestamp
    test_start: pd.Timestamp
    end: pd.Timestamp


def windows(params: Params) -> Windows:
    """Compute the windows from params: test is the newest, validation before it, then train."""
    end = _ts(params.data.as_of)
    test_start = end - pd.Timedelta(days=params.split.test_days)
    val_start = test_start - pd.Timedelta(days=params.split.val_days)
    train_start = _ts(params.data.start)
    if params.split.train_days is not None:
        train_start = max(train_start, val_start - pd.Timedelta(days=params.split.train_days))
    return Windows(train_start, val_start, test_start, end)


@dataclass(frozen=True)
class Splits:
    """The three time-ordered parts of the arrived data."""

    train: pd.DataFrame
    val: pd.DataFrame
    test: pd.DataFrame


class NotEnoughData(StageFailed):
    """A split is too small to train or judge a model on."""


def split_by_time(frame: pd.DataFrame, params: Params) -> Splits:
    """Split by event time; nothing at or after the validation start reaches training."""
    w = windows(params)
    when = frame[EVENT_TIME]

    def part(lo: pd.Timestamp, hi: pd.Timestamp) -> pd.DataFrame:
        return frame[(when >= lo) & (when < hi)].reset_index(drop=True)

    splits = Splits(
        part(w.train_start, w.val_start), part(w.val_start, w.test_start), part(w.test_start, w.end)
    )
    if len(splits.train) < params.split.min_train_rows:
        raise NotEnoughData(
            f"only {len(splits.train)} training rows between {w.train_start:%Y-%m-%d} and "
            f"{w.val_start:%Y-%m-%d}; split.min_train_rows is {params.split.min_train_rows}"
        )
    for name in ("val", "test"):
        if getattr(splits, name).empty:
            raise NotEnoughData(f"the {name} window has no rows; check data.as_of and split.*")
    return splits


def check_classes(splits: Splits, target: str) -> None:
    """Every split of a classification task must hold both labels, or it cannot be scored.

    A window with one class has no ROC AUC and teaches nothing about the other class.
    """
    for name in ("train", "val", "test"):
        labels = {int(v) for v in getattr(splits, name)[target].unique()}
        if not {0, 1} <= labels:
            raise NotEnoughData(
                f"the {name} window holds only class {sorted(labels)} of `{target}`; "
                "widen split.*_days or move data.as_of so that both classes occur"
            )
