"""The Evidently adapter for a classifier, on a real Evidently run: classification quality of
the labelled rows equals scikit-learn's, and the error of ROC AUC is 1 - ROC AUC."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import accuracy_score, log_loss, roc_auc_score
from sklearn.pipeline import Pipeline

from lifecycle.dataset import EVENT_TIME, DatasetSpec, load_spec, model_frame
from lifecycle.features import build_features
from lifecycle.monitoring.drift import ClassQuality, run_report, summarize
from lifecycle.monitoring.frames import (
    LABEL,
    PREDICTION,
    monitor_frame,
    monitored_columns,
    positive_class,
)
from lifecycle.monitoring.performance import error_increase
from lifecycle.params import Params
from lifecycle.predictions import check_model_task, predict_outputs
from lifecycle.source import read_source
from tests.helpers.params import ROOT


@pytest.fixture(scope="module")
def deliveries() -> DatasetSpec:
    spec = load_spec(ROOT / "tests/datasets/deliveries.yaml")
    return spec.model_copy(update={"source": ROOT / spec.source})


def predicted(model: Pipeline, rows: pd.DataFrame, spec: DatasetSpec) -> pd.DataFrame:
    """Rows with the classifier's P(late) and label, as the log and the reference hold them."""
    out = predict_outputs(model, model_frame(rows, spec), check_model_task(model, spec, "1"))
    return rows.assign(**{PREDICTION: out.prediction, LABEL: out.labels})


def test_quality_of_the_labelled_rows_equals_sklearn(
    deliveries: DatasetSpec, params: Params
) -> None:
    rows = read_source(deliveries)
    train, may = rows[rows[EVENT_TIME] < "2024-03-01"], rows[rows[EVENT_TIME] >= "2024-05-01"]
    learner = HistGradientBoostingClassifier(max_iter=20, random_state=0)
    model = Pipeline([("features", build_features(deliveries)), ("model", learner)])
    model.fit(model_frame(train, deliveries), train[deliveries.target])
    current = predicted(model, may.head(600), deliveries).reset_index(drop=True)
    current.loc[400:, deliveries.target] = np.nan  # labels for the last 200 rows not yet in
    snapshot = run_report(
        monitor_frame(current, deliveries),
        monitor_frame(predicted(model, train, deliveries), deliveries),
        monitored_columns(deliveries),
        params.monitor,
        deliveries.target,
        dt.datetime(2024, 5, 1),
        {},
        positive_class(deliveries),
    )
    summary = summarize(snapshot.dict())
    assert isinstance(summary.quality, ClassQuality) and summary.drift.prediction is not None
    labelled = current.head(400)
    truth, proba = labelled[deliveries.target].astype(int), labelled[PREDICTION]
    assert summary.quality.log_loss == pytest.approx(log_loss(truth, proba), rel=1e-9)
    assert summary.quality.roc_auc == pytest.approx(roc_auc_score(truth, proba), rel=1e-9)
    assert summary.quality.accuracy == pytest.approx(accuracy_score(truth, labelled[LABEL]))


def test_the_error_of_roc_auc_is_one_minus_it() -> None:
    assert error_increase(0.8, 0.9, "roc_auc") == pytest.approx(1.0)  # 0.2 is twice 0.1
    assert error_increase(0.36, 0.3, "log_loss") == pytest.approx(0.2)
    assert error_increase(0.5, None, "log_loss") is None
