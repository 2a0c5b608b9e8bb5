"""The shared feature pipeline: raw records in, a numeric matrix out.

It lives inside every model pipeline, so the service sends raw records (event time + features as
a client has them) and training and serving compute features with the very same code.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from lifecycle.columns import EVENT_TIME, Kind
from lifecycle.dataset import DatasetSpec

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
        when = pd.DatetimeIndex(X[EVENT_TIME] if isinstance(X, pd.DataFrame) else X[:, 0])
        if when.tz is not None:  # the local wall-clock time, as pandas' .dt.hour reads it
            when = when.tz_localize(None)
        return calendar(when.to_numpy(dtype="datetime64[s]"))

    def get_feature_names_out(self, input_features: object = None) -> np.ndarray:
        """Names of the output columns, for feature-importance plots."""
        names = [f"{part}_{fn}" for part in CYCLES for fn in ("sin", "cos")]
        return np.array([*names, "is_weekend"], dtype=object)


def calendar(when: np.ndarray) -> np.ndarray:
    """CalendarFeatures on a datetime64 array, in numpy alone (the service calls it directly)."""
    # numpy date arithmetic instead of pandas' .dt accessors: same integers, and ~20x less
    # overhead per call, which is most of a one-row prediction's cost.
    day = when.astype("datetime64[D]")
    days = day.astype("int64")
    parts = {
        "hour": (when - day).astype("timedelta64[h]").astype("int64"),
        "weekday": (days + 3) % 7,  # 1970-01-01 was a Thursday; Monday is 0, as in pandas
        "month": when.astype("datetime64[M]").astype("int64") % 12,  # January is 0
    }
    missing = np.isnat(when)
    cols = []
    for name, period in CYCLES.items():
        part = np.where(missing, np.nan, parts[name].astype(float))
        angle = 2 * np.pi * part / period
        cols += [np.sin(angle), np.cos(angle)]
    cols.append((parts["weekday"] >= 5).astype(float))
    return np.column_stack(cols)


class OpenCategories(BaseEstimator, TransformerMixin):
    """One-hot text with categories learnt in fit, plus one "other" column per feature.

    For open-vocabulary columns (`unseen:` in the definition): a value never seen in training
    sets its feature's "other" column; a missing value sets none.
    """

    def fit(self, X: pd.DataFrame, y: object = None) -> OpenCategories:
        """Learn each column's categories, sorted, from its non-missing values."""
        frame = pd.DataFrame(X)
        self.columns_ = [str(c) for c in frame.columns]
        self.categories_ = [sorted({str(v) for v in frame[c].dropna()}) for c in frame.columns]
        return self

    def transform(self, X: pd.DataFrame) -> np.ndarray:
        """Return the one-hot matrix: each column's known categories, then its "other" flag."""
        frame = pd.DataFrame(X)
        blocks = []
        for i, cats in enumerate(self.categories_):
            values = frame.iloc[:, i].to_numpy(dtype=object)
            present = pd.notna(values)
            hits = values[:, None] == np.asarray(cats, dtype=object)[None, :]
            other = present & ~hits.any(axis=1)
            blocks += [hits.astype("float64"), other[:, None].astype("float64")]
        return np.hstack(blocks) if blocks else np.empty((len(frame), 0))

    def get_feature_names_out(self, input_features: object = None) -> np.ndarray:
        """`<column>_<category>` for each learnt category, then `<column>_other`."""
        names = [
            f"{col}_{name}"
            for col, cats in zip(self.columns_, self.categories_, strict=True)
            for name in [*cats, "other"]
        ]
        return np.array(names, dtype=object)


def _split(spec: DatasetSpec, kind: Kind) -> tuple[list[str], list[str]]:
    """Feature columns of one kind: those never missing, and those that may be (nullable)."""
    names = spec.features_of(kind)
    return [c for c in names if not spec.columns[c].nullable], [
        c for c in names if spec.columns[c].nullable
    ]


def _categories(values: list[int] | list[str]) -> list[float] | list[str]:
    """Declared values as the encoder sees them: codes as floats (model_frame), text as is."""
    return [float(v) for v in values if isinstance(v, int)] or [str(v) for v in values]


def _closed(spec: DatasetSpec, names: list[str]) -> OneHotEncoder:
    """One-hot over the declared values; an unknown or missing value maps to all zeros."""
    return OneHotEncoder(
        categories=[_categories(spec.columns[c].values or []) for c in names],
        handle_unknown="ignore",
        sparse_output=False,
    )


def build_features(spec: DatasetSpec) -> ColumnTransformer:
    """The feature transformer every candidate shares, derived from the dataset definition.

    Gaps (nullable columns) are imputed here, inside the model, so training and serving cannot
    disagree: the median (numbers) or the most frequent value (flags), plus a "was missing"
    indicator column for each column that had gaps in training. Text gets one-hot columns like
    integer categories.
    """
    numeric, numeric_gaps = _split(spec, "numeric")
    binary, binary_gaps = _split(spec, "binary")
    categorical = spec.features_of("categorical")
    codes = [c for c in categorical if spec.columns[c].dtype != "str"]
    text = [c for c in categorical if spec.columns[c].dtype == "str"]
    closed_text = [c for c in text if not spec.columns[c].open_vocabulary]
    open_text = [c for c in text if spec.columns[c].open_vocabulary]
    gaps = make_pipeline(SimpleImputer(strategy="median", add_indicator=True), StandardScaler())
    parts = [
        ("calendar", CalendarFeatures(), [EVENT_TIME]),
        ("numeric", StandardScaler(), numeric),
        ("binary", "passthrough", binary),
        ("categorical", _closed(spec, codes), codes),
        ("numeric_gaps", gaps, numeric_gaps),
        ("binary_gaps", SimpleImputer(strategy="most_frequent", add_indicator=True), binary_gaps),
        ("text", _closed(spec, closed_text), closed_text),
        ("open_text", OpenCategories(), open_text),
    ]
    # Empty groups are left out, so a table without gaps or text builds what it always built.
    return ColumnTransformer([part for part in parts if part[2]], verbose_feature_names_out=True)
