"""The served model's feature step, compiled to plain numpy for the request path.

A fitted ColumnTransformer spends ~70% of a one-row prediction in pandas indexing and input
checks. The service already holds each batch as numpy columns, so for the transformers this
project builds (lifecycle.features) it computes the same matrix directly and hands it to the
rest of the pipeline. The compiled step is used only if it reproduces the pipeline's own
feature matrix bit for bit on a probe covering the dataset definition's ranges; any other
model keeps the plain `model.predict(frame)` path.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler

from lifecycle.dataset import EVENT_TIME, DatasetSpec
from lifecycle.features import CalendarFeatures, calendar
from lifecycle.serving.forest import SmallBatches, same_predictions, small_batches

log = logging.getLogger("lifecycle.serving")
Columns = Mapping[str, np.ndarray]  # event_time as datetime64, features as float64
Step = Callable[[np.ndarray], np.ndarray]  # (rows, columns) in -> (rows, outputs) out


@dataclass(frozen=True)
class FastModel:
    """The fitted pipeline's own learner, fed by its feature step recompiled to numpy."""

    parts: list[tuple[list[str], Step]]  # input columns and what to do with them, in order
    learner: Pipeline | SmallBatches  # the fitted steps after the feature step, or the same
    # steps with small batches through a flat forest (lifecycle.serving.forest)

    def features(self, columns: Columns) -> np.ndarray:
        """The feature matrix, as the pipeline's ColumnTransformer would compute it."""
        blocks = [step(np.column_stack([columns[c] for c in cols])) for cols, step in self.parts]
        return np.hstack(blocks)

    def predict(self, columns: Columns) -> np.ndarray:
        """What `pipeline.predict(frame)` returns for the same rows."""
        return np.asarray(self.learner.predict(self.features(columns)))

    def predict_proba(self, columns: Columns) -> np.ndarray:
        """What `pipeline.predict_proba(frame)` returns for the same rows (classifiers)."""
        return np.asarray(self.learner.predict_proba(self.features(columns)))


def _scaler(t: StandardScaler) -> Step:
    mean, scale = t.mean_ if t.with_mean else None, t.scale_ if t.with_std else None

    def scaled(x: np.ndarray) -> np.ndarray:  # StandardScaler.transform's own arithmetic
        x = x.astype("float64")  # a copy: the input columns stay as the log shows them
        if mean is not None:
            x -= mean
        if scale is not None:
            x /= scale
        return x

    return scaled


def _one_hot(t: OneHotEncoder) -> Step:
    categories = list(t.categories_)  # handle_unknown="ignore": an unknown value is all zeros
    return lambda x: np.hstack(
        [(x[:, [i]] == cats[None, :]).astype("float64") for i, cats in enumerate(categories)]
    )


def _step(transformer: Any) -> Step | None:
    """numpy code for one fitted transformer, or None if it is not one we know exactly."""
    kind = type(transformer)
    if kind is CalendarFeatures:
        return lambda x: calendar(x[:, 0].astype("datetime64[s]"))
    if kind is StandardScaler:
        return _scaler(transformer)
    if kind is FunctionTransformer and transformer.func is None:  # "passthrough"
        return lambda x: x.astype("float64")
    if kind is OneHotEncoder and _plain_one_hot(transformer):
        return _one_hot(transformer)
    return None


def _plain_one_hot(t: OneHotEncoder) -> bool:
    """Dense, nothing dropped, no infrequent-category grouping, unknown values ignored."""
    grouped = getattr(t, "_infrequent_enabled", False)
    return t.drop is None and not t.sparse_output and t.handle_unknown == "ignore" and not grouped


def _compile(model: Any) -> FastModel | None:
    if not isinstance(model, Pipeline) or len(model.steps) < 2:
        return None
    features = model.steps[0][1]
    if type(features) is not ColumnTransformer or features.sparse_output_:
        return None
    parts = []
    for _, transformer, cols in features.transformers_:
        if transformer == "drop" or len(cols) == 0:
            continue
        step = _step(transformer)
        if step is None or not all(isinstance(c, str) for c in cols):
            return None
        parts.append((list(cols), step))
    return FastModel(parts, model[1:])


def probe(spec: DatasetSpec, rows: int = 500) -> pd.DataFrame:
    """Rows spanning each feature's allowed values or range, and hours over several years."""
    rng = np.random.default_rng(0)
    frame: dict[str, Any] = {
        EVENT_TIME: np.datetime64("2009-01-01T00:00:00")
        + rng.integers(0, 8 * 365 * 24, rows).astype("timedelta64[h]")
    }
    for name, col in spec.features.items():
        if col.values:
            frame[name] = rng.choice(np.asarray(col.values, dtype="float64"), rows)
        else:
            low = 0.0 if col.min is None else float(col.min)
            high = low + 1.0 if col.max is None else float(col.max)
            frame[name] = rng.uniform(low, high, rows)
    return pd.DataFrame(frame)[spec.model_inputs]


def compile_model(model: Any, spec: DatasetSpec) -> FastModel | None:
    """The numpy fast path for `model`, or None if it would not give identical features.

    Its learner predicts small batches through a flat forest when that gives identical
    predictions on the probe too; otherwise it is the pipeline's own."""
    fast = _compile(model)
    if fast is None:
        return None
    sample = probe(spec)
    for rows in (sample, sample.head(1)):  # one row and many take different numpy paths
        columns = columns_of(rows)
        expected = model.steps[0][1].transform(rows)
        if not np.array_equal(fast.features(columns), expected, equal_nan=True):
            log.warning("feature fast path differs from the pipeline: serving without it")
            return None
    forest = small_batches(model[1:])
    if forest is None:
        return fast
    proba = hasattr(model, "predict_proba")
    if not same_predictions(forest, fast.features(columns_of(sample)), proba):
        log.warning("flat-forest predictions differ from scikit-learn's: serving without them")
        return fast
    return FastModel(fast.parts, forest)


def columns_of(frame: pd.DataFrame) -> dict[str, np.ndarray]:
    """A frame as the service's numpy columns."""
    return {name: frame[name].to_numpy() for name in frame.columns}
