"""The request path's shortcuts give exactly what the slow, obvious code gives.

The numpy feature path must reproduce the pipeline bit for bit (or not be used), the log's
column-wise JSON must equal one to_json per record, and the bulk histogram update must leave
the same counts as one observe() per value. Fast: small real models, no registry or HTTP.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from prometheus_client import CollectorRegistry, Histogram
from pydantic import TypeAdapter
from pydantic_core import to_json
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.linear_model import Ridge
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import MinMaxScaler

from lifecycle.dataset import EVENT_TIME, DatasetSpec, model_frame
from lifecycle.features import build_features
from lifecycle.serving.batch import json_inputs, log_rows, to_batch
from lifecycle.serving.champion import describe
from lifecycle.serving.client import records_from_frame
from lifecycle.serving.fastpath import columns_of, compile_model
from lifecycle.serving.prometheus import VALUE_BUCKETS, observe_all
from lifecycle.serving.schemas import record_model, records_type


@pytest.fixture(scope="module")
def rows(source: pd.DataFrame) -> pd.DataFrame:
    return source.iloc[::7].head(3000)  # every 7th hour: all hours, weekdays and months


def fitted(spec: DatasetSpec, rows: pd.DataFrame, features: ColumnTransformer) -> Pipeline:
    learner = HistGradientBoostingRegressor(max_iter=20)
    model = Pipeline([("features", features), ("model", learner)])
    return model.fit(model_frame(rows, spec), rows[spec.target].to_numpy())


@pytest.mark.parametrize("learner", [HistGradientBoostingRegressor(max_iter=20), Ridge()])
def test_fast_path_predicts_exactly_what_the_pipeline_predicts(
    spec: DatasetSpec, rows: pd.DataFrame, learner: object
) -> None:
    model = Pipeline([("features", build_features(spec)), ("model", learner)])
    model.fit(model_frame(rows, spec), rows[spec.target].to_numpy())
    fast = compile_model(model, spec)
    assert fast is not None
    frame = model_frame(rows, spec)
    for part in (frame.head(1), frame.iloc[100:133], frame):
        np.testing.assert_array_equal(fast.predict(columns_of(part)), model.predict(part))


def test_a_feature_step_it_does_not_know_falls_back_to_the_pipeline(
    spec: DatasetSpec, rows: pd.DataFrame
) -> None:
    numeric = spec.features_of("numeric")
    model = fitted(spec, rows, ColumnTransformer([("numeric", MinMaxScaler(), numeric)]))
    assert compile_model(model, spec) is None


def test_log_inputs_and_batch_columns_match_the_per_record_code(
    spec: DatasetSpec, rows: pd.DataFrame
) -> None:
    adapter = TypeAdapter(records_type(record_model(spec), 5000))
    as_time = records_from_frame(rows.head(500), spec)
    as_columns = records_from_frame(rows.tail(20), spec, time_as="columns")
    records = adapter.validate_python(as_time + as_columns)
    batch = to_batch(records, spec)
    whens = [r.when() for r in records]
    assert batch.times == [w.isoformat() for w in whens]
    assert batch.frame[EVENT_TIME].tolist() == whens
    for name in spec.features:
        assert batch.frame[name].dtype == "float64"
        assert batch.frame[name].tolist() == [float(getattr(r, name)) for r in records]
    expected = [
        to_json({EVENT_TIME: when, **{n: float(getattr(r, n)) for n in spec.features}}).decode()
        for r, when in zip(records, batch.times, strict=True)
    ]
    assert json_inputs(batch) == expected
    logged = log_rows(batch, [1.0] * len(records), describe("m", "1", "run", {}, {}, 0))
    assert [r.inputs for r in logged] == expected and [r.row_key for r in logged] == batch.keys


def test_bulk_histogram_update_counts_like_one_observe_per_value() -> None:
    def samples(registry: CollectorRegistry) -> dict[str, float]:
        return {
            f"{s.name}{sorted(s.labels.items())}": s.value
            for metric in registry.collect()
            for s in metric.samples
            if not s.name.endswith("_created")
        }

    values = np.concatenate(
        [np.random.default_rng(0).uniform(-5, 9000, 2000), [0.0, 1.0, 5000.0, 5000.5]]
    )
    one, bulk = CollectorRegistry(), CollectorRegistry()
    by_one = Histogram("v", "v", ["m"], buckets=VALUE_BUCKETS, registry=one).labels("x")
    by_bulk = Histogram("v", "v", ["m"], buckets=VALUE_BUCKETS, registry=bulk).labels("x")
    for value in values.tolist():
        by_one.observe(value)
    observe_all(by_bulk, values)
    got, expected = samples(bulk), samples(one)
    assert got.keys() == expected.keys()
    for key, value in expected.items():
        assert got[key] == pytest.approx(value, rel=1e-12)  # the sum adds in another order
