"""The shared feature pipeline: raw records in, a numeric matrix out.

It lives inside every model pipeline, so the service sends raw records (event time + features as
a client has them) and training and serving compute features with the very same code.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.compose import ColumnTransformer
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from lifecycle.dataset import EVENT_TIME, DatasetSpec

# Calendar parts of the event time and their period, encoded as points on a circle so that
# hour 23 sits next to hour 0 and December next to January.
CYCLES = {"hour": 24, "weekday": 7, "month": 12}


class CalendarFeatures(BaseEstimator, TransformerMixin):
    """Turn an event-time column into sin/cos of hour, weekday and month, plus a weekend flag."""

    def fit(self, X: pd.DataFrame, y: object = None) -> CalendarFeatures:
        """Nothing to learn; present for the scikit-learn API."""
        return self

    def transform(self, X: pd.DataFrame) -> np.ndarray:
        """Return an (n, 7) float array of calendar features."""
        when = pd.to_datetime(X[EVENT_TIME] if isinstance(X, pd.DataFrame) else X[:, 0])
        parts = {
            "hour": when.dt.hour,
            "weekday": when.dt.dayofweek,
            "month": when.dt.month - 1,
        }
        cols = []
        for name, period in CYCLES.items():
            angle = 2 * np.pi * parts[name].to_numpy(dtype=float) / period
            cols += [np.sin(angle), np.cos(angle)]
        cols.append((when.dt.dayofweek >= 5).to_numpy(dtype=float))
        return np.column_stack(cols)

    def get_feature_names_out(self, input_features: object = None) -> np.ndarray:
        """Names of the output columns, for feature-importance plots."""
        names = [f"{part}_{fn}" for part in CYCLES for fn in ("sin", "cos")]
        return np.array([*names, "is_weekend"], dtype=object)


def build_features(spec: DatasetSpec) -> ColumnTransformer:
    """The feature transformer every candidate shares, derived from the dataset definition."""
    categories = [
        [float(v) for v in spec.features[c].values or []] or "auto"
        for c in spec.features_of("categorical")
    ]
    return ColumnTransformer(
        [
            ("calendar", CalendarFeatures(), [EVENT_TIME]),
            ("numeric", StandardScaler(), spec.features_of("numeric")),
            ("binary", "passthrough", spec.features_of("binary")),
            (
                "categorical",
                # Unknown categories at serving time map to all zeros instead of failing.
                OneHotEncoder(categories=categories, handle_unknown="ignore", sparse_output=False),
                spec.features_of("categorical"),
            ),
        ],
        verbose_feature_names_out=True,
    )
