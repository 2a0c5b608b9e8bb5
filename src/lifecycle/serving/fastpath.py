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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.pipeline import Pipeline

from lifecycle.dataset import EVENT_TIME, Column, DatasetSpec
from lifecycle.serving.fast_steps import NotCompiled, Step, compile_step
from lifecycle.serving.forest import SMALL, SmallBatches, same_predictions, small_batches
from lifecycle.serving.vocabulary import open_categories

log = logging.getLogger("lifecycle.serving")
Columns = Mapping[str, np.ndarray]  # event_time as datetime64, numbers as float64, text object
GAP_SHARE = 0.2  # of the probe's rows have a gap in each nullable column


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


def _feature_step(model: Any) -> ColumnTransformer:
    if not isinstance(model, Pipeline) or len(model.steps) < 2:
        raise NotCompiled(f"a {type(model).__name__}, not a Pipeline of features and a learner")
    features = model.steps[0][1]
    if type(features) is not ColumnTransformer:
        raise NotCompiled(
            f"its feature step is a {type(features).__name__}, not a ColumnTransformer"
        )
    if features.sparse_output_:
        raise NotCompiled("its feature step gives a sparse matrix")
    return features


def _compile(model: Any) -> tuple[FastModel, list[str]]:
    """The fast model and the names of its feature groups (NotCompiled: why not)."""
    parts, names = [], []
    for name, transformer, cols in _feature_step(model).transformers_:
        if (isinstance(transformer, str) and transformer == "drop") or len(cols) == 0:
            continue
        if not all(isinstance(c, str) for c in cols):
            raise NotCompiled(f"group {name!r} picks its columns by position")
        try:
            parts.append((list(cols), compile_step(transformer)))
        except NotCompiled as err:
            raise NotCompiled(f"group {name!r}: {err}") from None
        names.append(name)
    return FastModel(parts, model[1:]), names


def _differing_group(features: ColumnTransformer, got: np.ndarray, expected: np.ndarray) -> str:
    """The first feature group whose columns differ (ColumnTransformer.output_indices_)."""
    for name, where in getattr(features, "output_indices_", {}).items():
        if not np.array_equal(got[:, where], expected[:, where], equal_nan=True):
            return name
    return "?"


def _check_features(fast: FastModel, model: Pipeline, sample: pd.DataFrame) -> None:
    """NotCompiled unless the numpy features equal the pipeline's, bit for bit, on `sample`."""
    features = model.steps[0][1]
    for rows in (sample, sample.head(1)):  # one row and many take different numpy paths
        try:
            expected = features.transform(rows)
            got = fast.features(columns_of(rows))
        except Exception as err:  # any failure on the probe means: do not use it
            raise NotCompiled(f"the probe failed: {type(err).__name__}: {err}") from None
        if got.shape != expected.shape or not np.array_equal(got, expected, equal_nan=True):
            where = (
                _differing_group(features, got, expected) if got.shape == expected.shape else "?"
            )
            raise NotCompiled(f"its numpy features differ from the pipeline's (group {where!r})")


def compile_model(model: Any, spec: DatasetSpec, version: str = "?") -> FastModel | None:
    """The numpy fast path for `model`, or None if it would not give identical features; one
    log line says which path model v`version` is served by, and why.

    Its learner predicts small batches through a flat forest when that gives identical
    predictions on the probe too; otherwise it is the pipeline's own."""
    sample = probe(spec, vocabulary=open_categories(model))
    try:
        fast, names = _compile(model)
        _check_features(fast, model, sample)
    except NotCompiled as why:
        log.warning("model v%s: serving without the numpy fast path (the pipeline on a "
                    "DataFrame, slower): %s", version, why)  # fmt: skip
        return None
    learner = "the pipeline's learner"
    forest = small_batches(model[1:])
    if forest is not None:
        proba = hasattr(model, "predict_proba")
        if same_predictions(forest, fast.features(columns_of(sample)), proba):
            fast, learner = FastModel(fast.parts, forest), f"a flat forest up to {SMALL} rows"
        else:
            log.warning("flat-forest predictions differ from scikit-learn's: serving without them")
    log.info("model v%s: serving with the numpy fast path (features: %s; learner: %s)",
             version, ", ".join(names), learner)  # fmt: skip
    return fast


def _values(rng: np.random.Generator, col: Column, learnt: Sequence[str], rows: int) -> Any:
    """Probe values of one feature, no gaps yet: its values, range, or categories."""
    if col.dtype == "str":  # declared values, or the learnt ones plus some never seen
        pool = col.values or [*learnt, "never-seen", "new, with a comma"]
        return rng.choice(np.asarray(pool, dtype=object), rows)
    if col.dtype == "bool":
        return rng.choice([0.0, 1.0], rows)
    if col.values:
        return rng.choice(np.asarray(col.values, dtype="float64"), rows)
    low = 0.0 if col.min is None else float(col.min)
    high = low + 1.0 if col.max is None else float(col.max)
    return rng.uniform(low, high, rows)


def probe(
    spec: DatasetSpec, rows: int = 500, vocabulary: Mapping[str, Sequence[str]] | None = None
) -> pd.DataFrame:
    """Rows spanning each feature's allowed values or range, hours over several years, the
    categories of open-vocabulary text (`vocabulary`: learnt ones) plus unseen ones, and gaps
    in every nullable column (all of them in the first row)."""
    rng = np.random.default_rng(0)
    frame: dict[str, Any] = {
        EVENT_TIME: np.datetime64("2009-01-01T00:00:00")
        + rng.integers(0, 8 * 365 * 24, rows).astype("timedelta64[h]")
    }
    for name, col in spec.features.items():
        values = _values(rng, col, (vocabulary or {}).get(name, []), rows)
        if col.nullable:
            gaps = rng.random(rows) < GAP_SHARE
            gaps[0] = True
            values = np.where(gaps, None if values.dtype == object else np.nan, values)
        frame[name] = pd.Series(values, dtype=object) if values.dtype == object else values
    return pd.DataFrame(frame)[spec.model_inputs]


def columns_of(frame: pd.DataFrame) -> dict[str, np.ndarray]:
    """A frame as the service's numpy columns (text as objects, None for a gap)."""
    return {name: frame[name].to_numpy() for name in frame.columns}
