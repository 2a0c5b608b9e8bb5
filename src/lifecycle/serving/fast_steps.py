"""numpy code for each fitted transformer lifecycle.features builds, for the serving fast path.

Each step does what the transformer's own transform() does, with the same arithmetic, on a
(rows, columns) array cut from the service's numpy columns. A transformer (or a setting of
one) not reproduced here raises NotCompiled naming it, and the service serves the pipeline.
fastpath.compile_model still checks every compiled step bit for bit before using it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler

from lifecycle.features import CalendarFeatures, OpenCategories, calendar

Step = Callable[[np.ndarray], np.ndarray]  # (rows, columns) in -> (rows, outputs) out


class NotCompiled(Exception):
    """A fitted transformer the fast path does not reproduce; the message says which and why."""


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


def _positions(values: np.ndarray, categories: Sequence[Any]) -> np.ndarray:
    """Each value's index in `categories`, -1 when it is none of them (or missing)."""
    index = {c: i for i, c in enumerate(categories)}
    return np.fromiter((index.get(v, -1) for v in values.tolist()), np.intp, len(values))


def _hits(where: np.ndarray, width: int) -> np.ndarray:
    """One-hot float64 rows from category indices (-1: a row of zeros)."""
    out = np.zeros((len(where), width))
    found = np.flatnonzero(where >= 0)
    out[found, where[found]] = 1.0
    return out


def _one_hot(t: OneHotEncoder) -> Step:
    grouped = getattr(t, "_infrequent_enabled", False)
    if t.drop is not None or t.sparse_output or t.handle_unknown != "ignore" or grouped:
        raise NotCompiled("OneHotEncoder with drop, sparse output, infrequent groups or errors")
    categories = list(t.categories_)  # handle_unknown="ignore": unknown or missing: all zeros

    def encoded(x: np.ndarray) -> np.ndarray:
        if x.dtype != object:  # numbers: a comparison (NaN equals no category)
            return np.hstack(
                [
                    (x[:, [i]] == cats[None, :]).astype("float64")
                    for i, cats in enumerate(categories)
                ]
            )
        # text: a dict lookup per value, not one Python comparison per value and category
        return np.hstack(
            [
                _hits(_positions(x[:, i], cats.tolist()), len(cats))
                for i, cats in enumerate(categories)
            ]
        )

    return encoded


def _open(t: OpenCategories) -> Step:
    categories = [list(c) for c in t.categories_]

    def encoded(x: np.ndarray) -> np.ndarray:  # OpenCategories.transform, by lookup
        blocks = []
        for i, cats in enumerate(categories):
            where = _positions(x[:, i], cats)
            other = pd.notna(x[:, i]) & (where < 0)  # present, and not a learnt category
            blocks += [_hits(where, len(cats)), other[:, None].astype("float64")]
        return np.hstack(blocks) if blocks else np.empty((len(x), 0))

    return encoded


def _imputer(t: SimpleImputer) -> Step:
    gap = t.missing_values
    if not (isinstance(gap, float) and np.isnan(gap)):
        raise NotCompiled(f"SimpleImputer(missing_values={gap!r}): only NaN gaps are compiled")
    fill = np.asarray(t.statistics_, dtype="float64")
    if np.isnan(fill).any():  # a column empty in training: scikit-learn drops it or fills 0
        raise NotCompiled("SimpleImputer with a column that was empty in training")
    indicator = getattr(t, "indicator_", None)  # add_indicator=True
    flagged = None if indicator is None else np.asarray(indicator.features_)

    def imputed(x: np.ndarray) -> np.ndarray:
        x = x.astype("float64")
        gaps = np.isnan(x)
        filled = np.where(gaps, fill, x)
        # the "was missing" columns of the features that had gaps in training, as 1.0 / 0.0
        return filled if flagged is None else np.hstack([filled, gaps[:, flagged]])

    return imputed


def _chain(pipeline: Pipeline) -> Step:
    steps = [compile_step(t) for _, t in pipeline.steps if t is not None and t != "passthrough"]

    def chained(x: np.ndarray) -> np.ndarray:
        for step in steps:
            x = step(x)
        return x

    return chained


def compile_step(transformer: Any) -> Step:
    """numpy code for one fitted transformer (NotCompiled: not one reproduced here)."""
    kind = type(transformer)
    if kind is CalendarFeatures:
        return lambda x: calendar(x[:, 0].astype("datetime64[s]"))
    if kind is StandardScaler:
        return _scaler(transformer)
    if kind is FunctionTransformer and transformer.func is None:  # "passthrough"
        return lambda x: x.astype("float64")
    if kind is OneHotEncoder:
        return _one_hot(transformer)
    if kind is OpenCategories:
        return _open(transformer)
    if kind is SimpleImputer:
        return _imputer(transformer)
    if kind is Pipeline:
        return _chain(transformer)
    raise NotCompiled(f"{kind.__name__} has no numpy version here")
