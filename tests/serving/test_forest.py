"""The flat forest adds up exactly the leaves scikit-learn adds, or it is not used.

Fast: small HGB models fitted on random numbers; one bike pipeline for the fallback.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import TransformedTargetRegressor
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.linear_model import Ridge
from sklearn.pipeline import Pipeline

from lifecycle.dataset import DatasetSpec, model_frame
from lifecycle.features import build_features
from lifecycle.serving import forest
from lifecycle.serving.fastpath import compile_model
from lifecycle.serving.forest import SMALL, Forest, SmallBatches, small_batches

SIZES = (1, 7, SMALL, SMALL + 1, 300)  # the flat forest, and scikit-learn's loop above SMALL


def random_rows(rows: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Features with missing values (so splits learn where NaN goes) and a target."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(rows, 5))
    x[rng.random(x.shape) < 0.1] = np.nan
    y = np.nan_to_num(x[:, 0]) * 3 + np.nan_to_num(x[:, 1]) ** 2 + rng.normal(size=rows)
    return x, y


def test_flat_forest_gives_scikit_learns_raw_scores_bit_for_bit() -> None:
    x, y = random_rows(2000, seed=0)
    model = HistGradientBoostingRegressor(max_iter=60, random_state=0).fit(x, y)
    flat = Forest.of(model)
    test, _ = random_rows(300, seed=1)
    assert np.isnan(test).any() and not model._predictors[0][0].nodes["missing_go_to_left"].all()
    for size in SIZES:
        np.testing.assert_array_equal(flat.raw(test[:size]), model._raw_predict(test[:size]))


def test_target_transform_and_classifier_probabilities_match_exactly() -> None:
    x, y = random_rows(2000, seed=2)
    regressor = TransformedTargetRegressor(
        HistGradientBoostingRegressor(max_iter=40), func=np.arcsinh, inverse_func=np.sinh
    )
    classifier = HistGradientBoostingClassifier(max_iter=40)
    test, _ = random_rows(300, seed=3)
    cases = [(regressor, y, ["predict"]), (classifier, y > 1, ["predict_proba", "predict"])]
    for estimator, target, methods in cases:
        learner = Pipeline([("model", estimator)]).fit(x, target)
        fast = small_batches(learner)
        assert isinstance(fast, SmallBatches)
        for size, method in itertools.product(SIZES, methods):
            rows = test[:size]
            expected = getattr(learner, method)(rows)
            np.testing.assert_array_equal(getattr(fast, method)(rows), expected)


def test_models_it_cannot_flatten_keep_scikit_learns_path() -> None:
    x, y = random_rows(600, seed=4)
    x[:, 4] = np.floor(np.abs(np.nan_to_num(x[:, 4])) * 3)  # a small-integer column
    categorical = HistGradientBoostingRegressor(max_iter=5, categorical_features=[4])
    three_classes = HistGradientBoostingClassifier(max_iter=5)
    assert small_batches(Pipeline([("model", categorical.fit(x, y))])) is None
    assert (
        small_batches(Pipeline([("model", three_classes.fit(x, np.digitize(y, [0, 2])))])) is None
    )
    assert small_batches(Pipeline([("model", Ridge().fit(np.nan_to_num(x), y))])) is None


def test_a_forest_that_disagrees_at_load_is_not_used(
    spec: DatasetSpec, source: pd.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = source.iloc[::7].head(3000)
    learner = HistGradientBoostingRegressor(max_iter=30)
    model = Pipeline([("features", build_features(spec)), ("model", learner)])
    model.fit(model_frame(rows, spec), rows[spec.target].to_numpy())
    used = compile_model(model, spec)
    assert used is not None and isinstance(used.learner, SmallBatches)
    right = forest.Forest.raw
    monkeypatch.setattr(forest.Forest, "raw", lambda self, x: right(self, x) + 1e-12)
    fallback = compile_model(model, spec)
    assert fallback is not None  # the features stay fast, the trees do not
    assert isinstance(fallback.learner, Pipeline)
