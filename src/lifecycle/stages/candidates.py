"""Stage `train`'s candidates: one shared feature pipeline, one predict interface, three learners.

The candidate names are the same for both tasks; the dataset's task picks the estimator:
  ridge -> Ridge(alpha)            | LogisticRegression with the same L2 penalty (C = 1 / alpha)
  hgb   -> HistGradientBoostingRegressor | HistGradientBoostingClassifier, same params
  mlp   -> TorchMLPRegressor (MSE) | TorchMLPClassifier (binary cross-entropy, sigmoid)
"""

from __future__ import annotations

from sklearn.base import BaseEstimator
from sklearn.compose import TransformedTargetRegressor
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import Pipeline

from lifecycle.dataset import DatasetSpec
from lifecycle.features import build_features
from lifecycle.mlp import TorchMLPClassifier, TorchMLPRegressor
from lifecycle.params import Candidate, Params
from lifecycle.target import clip_expm1, clip_log1p


def _learner(name: Candidate, params: Params, task: str = "regression") -> BaseEstimator:
    """The bare estimator for one candidate and task, seeded from params."""
    tp = params.train
    classify = task == "classification"
    if name == "ridge":
        if classify:
            # The same L2 penalty as Ridge's alpha; lbfgs is deterministic, so no seed needed.
            return LogisticRegression(C=1.0 / tp.ridge.alpha, max_iter=1000)
        return Ridge(alpha=tp.ridge.alpha)
    if name == "hgb":
        hgb = HistGradientBoostingClassifier if classify else HistGradientBoostingRegressor
        return hgb(
            max_iter=tp.hgb.max_iter,
            learning_rate=tp.hgb.learning_rate,
            max_leaf_nodes=tp.hgb.max_leaf_nodes,
            l2_regularization=tp.hgb.l2_regularization,
            early_stopping=False,  # no hidden random validation split: we validate by time
            random_state=params.seed,
        )
    mlp = TorchMLPClassifier if classify else TorchMLPRegressor
    return mlp(
        hidden=tuple(tp.mlp.hidden),
        epochs=tp.mlp.epochs,
        learning_rate=tp.mlp.learning_rate,
        batch_size=tp.mlp.batch_size,
        weight_decay=tp.mlp.weight_decay,
        seed=params.seed,
        progress=True,
    )


def build_candidate(name: Candidate, spec: DatasetSpec, params: Params) -> Pipeline:
    """A scikit-learn pipeline: raw records -> features -> learner (on log1p target if set).

    `train.log_target` is a regression setting; params validation refuses it for classification.
    """
    learner = _learner(name, params, spec.task)
    if params.train.log_target and spec.task == "regression":
        learner = TransformedTargetRegressor(
            regressor=learner, func=clip_log1p, inverse_func=clip_expm1, check_inverse=False
        )
    return Pipeline([("features", build_features(spec)), ("model", learner)])


def inner_learner(model: Pipeline) -> object:
    """The fitted learner inside a candidate pipeline (unwrapping the target transform)."""
    step = model.named_steps["model"]
    return getattr(step, "regressor_", step)
