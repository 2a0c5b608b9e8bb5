"""A classifier behind the service's runtime: label and class probabilities out, both logged.

Fast: a small real classifier on the shipped classification dataset, no registry or HTTP (the
whole path with `bentoml serve` is tests/stages/test_classification_path.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from pydantic import TypeAdapter
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.pipeline import Pipeline

from lifecycle.dataset import DatasetSpec, model_frame
from lifecycle.features import build_features
from lifecycle.prediction_log import read_predictions
from lifecycle.predictions import check_model_task
from lifecycle.serving.champion import Champion, champion_of
from lifecycle.serving.client import records_from_frame
from lifecycle.serving.fastpath import compile_model
from lifecycle.serving.runtime import Runtime
from lifecycle.serving.schemas import ModelInfo, record_model, records_type
from lifecycle.settings import Settings
from lifecycle.source import read_source

INFO = ModelInfo(
    name="late-hours",
    version="1",
    source="registry",
    run_id="run",
    git_commit="test",
    data_hashes={},
    trained_at="2024-05-01T00:00:00+00:00",
    validation={},
    loaded_at="2024-05-01T00:00:00+00:00",
)


@pytest.fixture(scope="module")
def rows(class_spec: DatasetSpec) -> pd.DataFrame:
    return read_source(class_spec)


@pytest.fixture(scope="module")
def classifier(class_spec: DatasetSpec, rows: pd.DataFrame) -> Pipeline:
    """A small seeded classifier fitted on January and February."""
    train = rows[rows["event_time"] < "2024-03-01"]
    learner = HistGradientBoostingClassifier(max_iter=20, random_state=0)
    model = Pipeline([("features", build_features(class_spec)), ("model", learner)])
    return model.fit(model_frame(train, class_spec), train[class_spec.target].to_numpy())


class FittedSource:
    """A ModelSource holding one fitted model (what RegistrySource does after loading)."""

    def __init__(self, model: Pipeline, spec: DatasetSpec) -> None:
        self.model, self.spec = model, spec

    def latest(self) -> str:
        return INFO.version

    def load(self, version: str) -> Champion:
        classes = check_model_task(self.model, self.spec, version)
        return Champion(self.model, INFO, classes, compile_model(self.model, self.spec))


@pytest.fixture
def runtime(tmp_path: Path, classifier: Pipeline, class_spec: DatasetSpec) -> Iterator[Runtime]:
    settings = Settings(
        LIFECYCLE_PREDICTION_LOG=str(tmp_path / "log.sqlite"), LIFECYCLE_RELOAD_SECONDS=0
    )
    running = Runtime.start(settings, class_spec, FittedSource(classifier, class_spec))
    yield running
    running.close()


def test_label_and_probabilities_equal_the_model_and_are_logged(
    runtime: Runtime, classifier: Pipeline, class_spec: DatasetSpec, rows: pd.DataFrame
) -> None:
    assert runtime.served.current.fast is not None  # the numpy fast path is what is tested
    may = rows[rows["event_time"] >= "2024-05-01"].head(300)
    parse = TypeAdapter(records_type(record_model(class_spec), 1000)).validate_python
    answers: list[Any] = runtime.predict(parse(records_from_frame(may, class_spec)))
    runtime.close()  # drains the log
    proba = classifier.predict_proba(model_frame(may, class_spec))
    served = np.array([[a["probabilities"]["0"], a["probabilities"]["1"]] for a in answers])
    np.testing.assert_array_equal(served, proba)
    labels = [a["label"] for a in answers]
    assert labels == classifier.predict(model_frame(may, class_spec)).tolist()
    assert 0 < sum(labels) < len(labels), "a classifier that always says the same is no test"
    assert all("prediction" not in a and a["model_version"] == "1" for a in answers)
    log = read_predictions(runtime.log.path)
    np.testing.assert_array_equal(log["prediction"], proba[:, 1])
    assert log["predicted_label"].astype(int).tolist() == labels


def test_a_model_of_the_other_task_is_refused(class_spec: DatasetSpec, rows: pd.DataFrame) -> None:
    learner = HistGradientBoostingRegressor(max_iter=5)
    regressor = Pipeline([("features", build_features(class_spec)), ("model", learner)])
    regressor.fit(model_frame(rows.head(200), class_spec), rows.head(200)[class_spec.target])
    with pytest.raises(ValueError, match=r"v7 is a regression model.*says task: classification$"):
        check_model_task(regressor, class_spec, "7")
    # The service adds what to do about it (promote, which shares the check, says its own)
    with pytest.raises(ValueError, match=r"says task: classification: serve the params.yaml"):
        champion_of(regressor, INFO, class_spec)
