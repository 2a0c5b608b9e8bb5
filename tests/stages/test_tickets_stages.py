"""Train and evaluate in-process on the event-level tickets table: text, gaps, bools, a category
the model never saw, and slices that name them (no MLflow store, no pipeline)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.pipeline import Pipeline

from lifecycle.columns import Column
from lifecycle.dataset import DatasetSpec, load_spec, model_frame
from lifecycle.metrics import MAX_SLICES, MISSING, OTHER, slice_values
from lifecycle.params import Params
from lifecycle.source import read_source
from lifecycle.stages.evaluate import evaluate, importance
from lifecycle.stages.ingest import arrived
from lifecycle.stages.split import Splits, split_by_time
from lifecycle.stages.train import fit_candidate, signature_example
from tests.helpers.params import ROOT, make_params
from tests.helpers.tickets import TICKETS


@pytest.fixture(scope="module")
def tickets_spec() -> DatasetSpec:
    loaded = load_spec(ROOT / TICKETS["data"]["dataset"])
    return loaded.model_copy(update={"source": ROOT / loaded.source})


@pytest.fixture(scope="module")
def tickets_params() -> Params:
    return make_params(**TICKETS)


@pytest.fixture(scope="module")
def tickets_splits(tickets_spec: DatasetSpec, tickets_params: Params) -> Splits:
    frame = arrived(read_source(tickets_spec), tickets_params.data.as_of)
    return split_by_time(frame, tickets_params)


@pytest.fixture(scope="module")
def ridge(tickets_spec: DatasetSpec, tickets_params: Params, tickets_splits: Splits) -> Pipeline:
    return fit_candidate("ridge", tickets_spec, tickets_params, tickets_splits.train)


def test_slices_name_text_gaps_bools_and_new_teams(
    ridge: Pipeline, tickets_spec: DatasetSpec, tickets_splits: Splits
) -> None:
    assert "payments" not in set(tickets_splits.train["team"])  # opens after training ends
    result = evaluate(ridge, tickets_splits.test, tickets_spec)
    by_slice = result.by_slice
    assert set(by_slice) == {"hour_band", "channel", "product", "tier", "team", "has_attachment"}
    assert set(by_slice["channel"]) == {"email", "chat", "phone"}
    assert MISSING in by_slice["product"] and set(by_slice["has_attachment"]) == {"true", "false"}
    assert by_slice["team"]["payments"]["rows"] > 50
    assert sum(s["rows"] for s in by_slice["team"].values()) == len(tickets_splits.test)
    assert result.overall["roc_auc"] > 0.7


def test_importance_covers_every_raw_input(
    ridge: Pipeline, tickets_spec: DatasetSpec, tickets_splits: Splits
) -> None:
    imp = importance(ridge, tickets_splits.val, tickets_spec, seed=0)
    assert set(imp.index) == set(tickets_spec.model_inputs) and imp.notna().all()
    assert imp.idxmax() in {"channel", "queue_length", "tier", "event_time"}


def test_unseen_and_empty_inputs_get_probabilities(
    ridge: Pipeline, tickets_spec: DatasetSpec, tickets_splits: Splits
) -> None:
    rows = model_frame(tickets_splits.test.head(3), tickets_spec)
    rows.loc[0, "team"] = "night_shift"  # a team no one has seen yet
    rows.loc[1, ["product", "team"]] = None
    rows.loc[2, ["queue_length", "customer_tenure_days"]] = np.nan  # the nullable numbers
    proba = ridge.predict_proba(rows)[:, 1]
    assert np.isfinite(proba).all() and ((proba > 0) & (proba < 1)).all()


def test_slice_values_keep_codes_and_name_gaps() -> None:
    codes = Column(dtype="int", values=[1, 2, 3], feature=True, kind="categorical")
    assert list(slice_values(pd.Series([1, 3, 2]), codes)) == ["1", "3", "2"]
    gappy = Column(dtype="int", values=[0, 1], max_missing=0.5, feature=True, kind="binary")
    assert list(slice_values(pd.Series([1.0, np.nan, 0.0]), gappy)) == ["1", MISSING, "0"]
    flag = Column(dtype="bool", max_missing=0.5, feature=True, kind="binary")
    flags = pd.Series([True, None, False], dtype=object)
    assert list(slice_values(flags, flag)) == ["true", MISSING, "false"]


def test_an_open_vocabulary_gets_at_most_max_slices() -> None:
    team = Column(dtype="str", unseen="other", max_missing=0.5, feature=True, kind="categorical")
    names = [f"team{i:02d}" for i in range(MAX_SLICES + 5) for _ in range(MAX_SLICES + 5 - i)]
    values = slice_values(pd.Series([*names, None], dtype="string"), team)
    assert values.nunique() == MAX_SLICES + 2  # the most frequent ones, OTHER and MISSING
    assert values.iloc[0] == "team00" and values.iloc[-2] == OTHER and values.iloc[-1] == MISSING


def test_signature_example_marks_every_nullable_feature_optional(
    tickets_spec: DatasetSpec, tickets_splits: Splits, spec: DatasetSpec, splits: Splits
) -> None:
    from mlflow.models import infer_signature

    full = tickets_splits.val.fillna({"queue_length": 3.0, "product": "web"})  # no gaps left
    example = signature_example(full, tickets_spec)
    assert len(example) == len(full) + 1
    optional = {c.name for c in infer_signature(example).inputs.inputs if not c.required}
    assert optional == {n for n, c in tickets_spec.features.items() if c.nullable}
    bike = signature_example(splits.val, spec)  # a table without gaps: the inputs as they were
    pd.testing.assert_frame_equal(bike, model_frame(splits.val, spec))
