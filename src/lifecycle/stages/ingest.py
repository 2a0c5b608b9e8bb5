"""Stage `ingest`: the source rows that have "arrived" by data.as_of (the simulated today)."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from lifecycle.dataset import EVENT_TIME


def arrived(frame: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    """Rows whose event time is before `as_of` (the simulated today), in time order.

    Rows whose time does not parse are kept, so that validation reports them instead of
    this step silently dropping them.
    """
    when = frame[EVENT_TIME]
    keep = (when < pd.Timestamp(as_of)) | when.isna()
    return frame[keep].sort_values(EVENT_TIME, kind="stable").reset_index(drop=True)
