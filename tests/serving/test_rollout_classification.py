"""The canary and the shadow of a classifier (tests/datasets/deliveries.yaml): label and class
probabilities from the model that answered, shadow rows with the challenger's label and
P(positive), and a challenger answering NaN probabilities answered for by the champion."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest
from pydantic import TypeAdapter
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.pipeline import Pipeline

from lifecycle.dataset import DatasetSpec, model_frame
from lifecycle.features import build_features
from lifecycle.params import GuardrailParams, RolloutParams
from lifecycle.prediction_log import read_predictions, read_shadow
from lifecycle.predictions import check_model_task
from lifecycle.serving.champion import Champion, describe
from lifecycle.serving.client import records_from_frame
from lifecycle.serving.fastpath import compile_model
from lifecycle.serving.runtime import Runtime
from lifecycle.serving.schemas import record_model, records_type
from lifecycle.source import read_source
from tests.helpers.serving import counted
from tests.serving.fakes import Broken, Pair, as_version

LENIENT = RolloutParams(
    shadow=True, canary_share=0.5, guardrails=GuardrailParams(max_p99_ratio=1e6)
)


def fitted(spec: DatasetSpec, rows: pd.DataFrame, iterations: int, version: str) -> Champion:
    """A small seeded classifier on January and February, served as `version`."""
    train = rows[rows["event_time"] < "2024-03-01"]
    learner = HistGradientBoostingClassifier(max_iter=iterations, random_state=0)
    model = Pipeline([("features", build_features(spec)), ("model", learner)])
    model.fit(model_frame(train, spec), train[spec.target].to_numpy())
    info = describe("late-hours", version, "run", {}, {}, 0)
    classes = check_model_task(model, spec, version)
    return Champion(model, info, classes, compile_model(model, spec))


@pytest.fixture(scope="module")
def rows(class_spec: DatasetSpec) -> pd.DataFrame:
    return read_source(class_spec)


@pytest.fixture(scope="module")
def models(class_spec: DatasetSpec, rows: pd.DataFrame) -> tuple[Champion, Champion]:
    return fitted(class_spec, rows, 20, "1"), fitted(class_spec, rows, 3, "2")


def may(rows: pd.DataFrame, spec: DatasetSpec) -> tuple[pd.DataFrame, Any]:
    """May's first 300 hours, and them parsed as one request."""
    frame = rows[rows["event_time"] >= "2024-05-01"].head(300)
    parse = TypeAdapter(records_type(record_model(spec), 1000)).validate_python
    return frame, parse(records_from_frame(frame, spec))


def test_a_classifier_canary_and_shadow_answer_and_log_as_their_model(
    models: tuple[Champion, Champion],
    class_spec: DatasetSpec,
    rows: pd.DataFrame,
    start_pair: Callable[..., Runtime],
) -> None:
    champion, challenger = models
    runtime = start_pair(Pair(champion, **{"2": challenger}), LENIENT, class_spec)
    frame, records = may(rows, class_spec)
    answers: list[Any] = runtime.predict(records)
    runtime.close()
    inputs = model_frame(frame, class_spec)
    proba = {v: m.model.predict_proba(inputs) for v, m in (("1", champion), ("2", challenger))}
    assert not np.array_equal(proba["1"], proba["2"])  # two models told apart
    assert [a["row"] for a in answers] == list(range(300))
    for n, answer in enumerate(answers):
        version = "2" if answer["variant"] == "canary" else "1"
        assert answer["model_version"] == version
        want = proba[version][n]
        assert [answer["probabilities"]["0"], answer["probabilities"]["1"]] == want.tolist()
        assert answer["label"] == int(want.argmax())
    assert {a["variant"] for a in answers} == {"champion", "canary"}
    shadow = read_shadow(runtime.log.path).sort_values("row")
    shadowed = [n for n, a in enumerate(answers) if a["variant"] == "champion"]
    assert shadow["row"].tolist() == shadowed
    np.testing.assert_array_equal(shadow["prediction"], proba["2"][shadowed, 1])
    labels = proba["2"][shadowed].argmax(axis=1)
    assert shadow["predicted_label"].astype(int).tolist() == labels.tolist()


def test_a_classifier_canary_with_nan_probabilities_is_answered_by_the_champion(
    models: tuple[Champion, Champion],
    class_spec: DatasetSpec,
    rows: pd.DataFrame,
    start_pair: Callable[..., Runtime],
) -> None:
    champion, challenger = models
    broken = as_version(Broken(challenger.model, "nan"), challenger, "2")
    fallbacks = counted("canary_answers", outcome="fallback")
    runtime = start_pair(Pair(champion, **{"2": broken}), LENIENT, class_spec)
    answers: list[Any] = runtime.predict(may(rows, class_spec)[1])
    runtime.close()
    assert {(a["variant"], a["model_version"]) for a in answers} == {("champion", "1")}
    assert counted("canary_answers", outcome="fallback") > fallbacks
    assert len(read_predictions(runtime.log.path)) == 300
    assert read_shadow(runtime.log.path).empty  # NaN in shadow too: failed, not logged
