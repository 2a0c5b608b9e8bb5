"""Classification candidates on the shipped dataset: they learn, give probabilities, repeat."""

import numpy as np
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression

from lifecycle.dataset import DatasetSpec
from lifecycle.metrics import score_task
from lifecycle.metrics_classification import ClassScores
from lifecycle.mlp import TorchMLPClassifier
from lifecycle.params import Params
from lifecycle.predictions import predict_frame
from lifecycle.stages.candidates import build_candidate, inner_learner
from lifecycle.stages.split import Splits
from lifecycle.stages.train import Fitted, fit_all
from tests.helpers.params import CLASSIFICATION, deep_merge, make_params

# A model that learnt nothing ranks at 0.5; the shipped data gives ~0.8-0.9 on validation.
MIN_AUC = {"ridge": 0.8, "hgb": 0.8, "mlp": 0.7}  # the 5-epoch test MLP learns the least


@pytest.fixture(scope="module")
def fitted(class_spec: DatasetSpec, class_params: Params, class_splits: Splits) -> list[Fitted]:
    return fit_all(class_spec, class_params, class_splits.train, class_splits.val)


def test_the_task_picks_classifiers_under_the_same_names(
    class_spec: DatasetSpec, class_params: Params
) -> None:
    learners = {
        name: inner_learner(build_candidate(name, class_spec, class_params))
        for name in ("ridge", "hgb", "mlp")
    }
    assert isinstance(learners["ridge"], LogisticRegression)
    assert learners["ridge"].get_params()["C"] == 1 / class_params.train.ridge.alpha
    assert isinstance(learners["hgb"], HistGradientBoostingClassifier)
    assert isinstance(learners["mlp"], TorchMLPClassifier)


def test_every_candidate_ranks_late_hours_well_above_chance(fitted: list[Fitted]) -> None:
    for f in fitted:
        assert isinstance(f.val, ClassScores)
        assert f.val.roc_auc > MIN_AUC[f.name], (f.name, f.val)
        assert f.val.log_loss < np.log(2), f.name  # better than always saying 50 %


def test_predictions_are_probabilities(
    fitted: list[Fitted], class_spec: DatasetSpec, class_splits: Splits
) -> None:
    for f in fitted:
        p = predict_frame(f.model, class_splits.test, class_spec)
        assert p.between(0, 1).all() and p.nunique() > 10, f.name
        labels = f.model.predict(class_splits.test[class_spec.model_inputs])
        assert set(np.unique(labels)) <= {0, 1}


def test_boosted_trees_pass_the_gate_floors_on_the_test_window(
    fitted: list[Fitted], class_spec: DatasetSpec, class_params: Params, class_splits: Splits
) -> None:
    hgb = next(f.model for f in fitted if f.name == "hgb")
    test = class_splits.test
    scores = score_task(
        "classification", test[class_spec.target], predict_frame(hgb, test, class_spec)
    )
    gate = class_params.gate
    assert gate.min_roc_auc is not None and gate.max_log_loss is not None
    assert scores.roc_auc >= gate.min_roc_auc and scores.log_loss <= gate.max_log_loss


def test_more_load_per_courier_means_more_risk(
    fitted: list[Fitted], class_spec: DatasetSpec, class_splits: Splits
) -> None:
    hgb = next(f.model for f in fitted if f.name == "hgb")
    rows = class_splits.val.head(48).copy()
    calm = predict_frame(hgb, rows.assign(orders=10, couriers=6), class_spec)
    rushed = predict_frame(hgb, rows.assign(orders=40, couriers=6), class_spec)
    assert rushed.mean() > calm.mean() + 0.2


def test_same_seed_gives_identical_scores(class_spec: DatasetSpec, class_splits: Splits) -> None:
    quick = {"train": {"candidates": ["mlp"]}}  # the new code path; hgb/ridge are sklearn's
    params = make_params(**deep_merge(CLASSIFICATION, quick))
    first = [f.val for f in fit_all(class_spec, params, class_splits.train, class_splits.val)]
    again = [f.val for f in fit_all(class_spec, params, class_splits.train, class_splits.val)]
    assert first == again
