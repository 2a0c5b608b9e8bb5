"""Candidate models: one shared feature pipeline, one predict interface, three learners."""

from __future__ import annotations

import numpy as np
from sklearn.base import RegressorMixin
from sklearn.compose import TransformedTargetRegressor
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.linear_model import Ridge
from sklearn.pipeline import Pipeline

from lifecycle.dataset import DatasetSpec
from lifecycle.features import build_features
from lifecycle.mlp import TorchMLPRegressor
from lifecycle.params import Candidate, Params


def _learner(name: Candidate, params: Params) -> RegressorMixin:
    """The bare estimator for one candidate, seeded from params."""
    tp = params.train
    if name == "ridge":
        return Ridge(alpha=tp.ridge.alpha)
    if name == "hgb":
        return HistGradientBoostingRegressor(
            max_iter=tp.hgb.max_iter,
            learning_rate=tp.hgb.learning_rate,
            max_leaf_nodes=tp.hgb.max_leaf_nodes,
            l2_regularization=tp.hgb.l2_regularization,
            early_stopping=False,  # no hidden random validation split: we validate by time
            random_state=params.seed,
        )
    return TorchMLPRegressor(
        hidden=tuple(tp.mlp.hidden),
        epochs=tp.mlp.epochs,
        learning_rate=tp.mlp.learning_rate,
        batch_size=tp.mlp.batch_size,
        weight_decay=tp.mlp.weight_decay,
        seed=params.seed,
        progress=True,
    )


def _clip_log1p(y: np.ndarray) -> np.ndarray:
    return np.log1p(np.clip(y, 0, None))


def _clip_expm1(z: np.ndarray) -> np.ndarray:
    # Counts cannot be negative; clip so a linear model never predicts -3 rentals.
    return np.clip(np.expm1(z), 0, None)


def build_candidate(name: Candidate, spec: DatasetSpec, params: Params) -> Pipeline:
    """A scikit-learn pipeline: raw records -> features -> learner (on log1p target if set)."""
    learner = _learner(name, params)
    if params.train.log_target:
        learner = TransformedTargetRegressor(
            regressor=learner, func=_clip_log1p, inverse_func=_clip_expm1, check_inverse=False
        )
    return Pipeline([("features", build_features(spec)), ("model", learner)])


def inner_learner(model: Pipeline) -> object:
    """The fitted learner inside a candidate pipeline (unwrapping the target transform)."""
    step = model.named_steps["model"]
    return getattr(step, "regressor_", step)
