"""An event-level table behind the service's runtime: text, gaps, a zoned timestamp, a row key.

Real pipelines from lifecycle.features on the `orders` table (tests/helpers/tables.py), served by
`Runtime` in-process: the numpy fast path equals the pipeline (or steps aside and says why), the
log holds row keys and valid JSON with nulls, and `unseen: refuse` follows the served champion.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from pydantic import TypeAdapter, ValidationError
from sklearn.linear_model import Ridge
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import MinMaxScaler

from lifecycle.dataset import EVENT_TIME, DatasetSpec, model_frame, row_keys
from lifecycle.prediction_log import read_predictions
from lifecycle.serving.batch import json_inputs, log_rows, to_batch
from lifecycle.serving.champion import Champion, champion_of, describe
from lifecycle.serving.client import records_from_frame
from lifecycle.serving.fastpath import columns_of, compile_model, probe
from lifecycle.serving.request_guard import describe_errors
from lifecycle.serving.runtime import Runtime
from lifecycle.serving.schemas import record_model, records_type
from lifecycle.serving.vocabulary import Vocabulary
from lifecycle.settings import Settings
from tests.helpers.tables import fit_table_model, table_frame, table_spec

NEW_SHOP = "taqueria"  # left out of v1's training rows, in v2's


@pytest.fixture(scope="module")
def spec() -> DatasetSpec:
    return table_spec()


@pytest.fixture(scope="module")
def frame(spec: DatasetSpec, tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    return table_frame(tmp_path_factory.mktemp("orders"), spec, rows=600)


@pytest.fixture(scope="module")
def models(spec: DatasetSpec, frame: pd.DataFrame) -> dict[str, Pipeline]:
    """v1 never saw NEW_SHOP; v2 did."""
    return {
        "1": fit_table_model(spec, frame[frame["shop"] != NEW_SHOP]),
        "2": fit_table_model(spec, frame),
    }


class Versions:
    """A ModelSource over fitted models; the test moves `version` by hand."""

    def __init__(self, models: dict[str, Pipeline], spec: DatasetSpec) -> None:
        self.models, self.spec, self.version = models, spec, "1"

    def latest(self) -> str:
        return self.version

    def load(self, version: str) -> Champion:
        info = describe("orders", version, "run", {}, {}, 0)
        return champion_of(self.models[version], info, self.spec)


@pytest.fixture
def served(
    tmp_path: Path, spec: DatasetSpec, models: dict[str, Pipeline]
) -> Iterator[tuple[Runtime, Versions, TypeAdapter[Any]]]:
    """A runtime on v1, and the request validator that checks against what it serves."""
    settings = Settings(
        LIFECYCLE_PREDICTION_LOG=tmp_path / "log.sqlite", LIFECYCLE_RELOAD_SECONDS=0
    )
    vocabulary, source = Vocabulary(), Versions(models, spec)
    runtime = Runtime.start(settings, spec, source, vocabulary=vocabulary)
    yield runtime, source, TypeAdapter(records_type(record_model(spec, vocabulary), 1000))
    runtime.close()


def test_client_records_are_json_with_nulls_bools_offsets_and_the_key(
    spec: DatasetSpec, frame: pd.DataFrame
) -> None:
    records = records_from_frame(frame, spec)
    text = json.dumps(records, allow_nan=False)  # NaN would raise: gaps must be null
    assert json.loads(text) == records
    first = records[0]
    assert first["order_id"] == "O000001" and first["placed_at"].endswith("+01:00")
    assert EVENT_TIME not in first and isinstance(first["member"], bool)
    assert type(first["items"]) is int and type(first["rush"]) is int
    for name in ("size", "coupon", "basket", "express"):
        assert any(r[name] is None for r in records), f"no gap in {name}: no test"
    summer = [r for r in records if r["placed_at"] >= "2024-04"]
    assert summer and all(r["placed_at"].endswith("+02:00") for r in summer)


def test_served_input_equals_the_offline_model_frame(
    spec: DatasetSpec, frame: pd.DataFrame
) -> None:
    parse = TypeAdapter(records_type(record_model(spec), 1000)).validate_json
    batch = to_batch(parse(json.dumps(records_from_frame(frame, spec))), spec)
    offline = model_frame(frame, spec)
    pd.testing.assert_frame_equal(batch.frame, offline, check_dtype=False)
    for name, col in spec.features.items():
        assert batch.frame[name].dtype == (object if col.dtype == "str" else "float64"), name
    assert batch.keys == row_keys(frame, spec).tolist()


@pytest.mark.parametrize("task", ["regression", "classification"])
def test_fast_path_equals_the_pipeline_on_text_gaps_and_flags(
    task: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    spec = table_spec(task=task)
    frame = table_frame(tmp_path, spec)
    learners = [None, Ridge()] if task == "regression" else [None]
    for learner in learners:
        model = fit_table_model(spec, frame, learner)
        with caplog.at_level(logging.INFO, logger="lifecycle.serving"):
            fast = compile_model(model, spec, "3")
        assert fast is not None
        said = [r.getMessage() for r in caplog.records if r.name == "lifecycle.serving"]
        assert "model v3: serving with the numpy fast path" in said[-1]
        assert "numeric_gaps" in said[-1] and "open_text" in said[-1]
        rows = model_frame(frame, spec)
        method = "predict" if task == "regression" else "predict_proba"
        for part in (rows.head(1), rows.iloc[10:43], rows):
            got = getattr(fast, method)(columns_of(part))
            np.testing.assert_array_equal(got, getattr(model, method)(part))


def test_probe_covers_text_gaps_flags_and_unseen_categories(spec: DatasetSpec) -> None:
    rows = probe(spec, vocabulary={"shop": ["bistro"]})
    assert set(rows["city"]) == {"Lyon", "Nantes", "Paris"}
    assert set(rows["shop"]) == {"bistro", "never-seen", "new, with a comma"}
    assert set(rows["member"]) == {0.0, 1.0}
    for name in ("size", "coupon"):  # text gaps are None, as the service holds them
        assert rows[name].dtype == object and rows.loc[0, name] is None
    for name in ("basket", "express"):
        assert np.isnan(rows.loc[0, name]) and rows[name].notna().sum() > len(rows) / 2


def test_an_unknown_step_falls_back_and_says_which(
    spec: DatasetSpec, frame: pd.DataFrame, caplog: pytest.LogCaptureFixture
) -> None:
    model = fit_table_model(spec, frame)
    features = model.steps[0][1]
    gaps = features.named_transformers_["numeric_gaps"]
    gaps.steps[-1] = (
        "scaler",
        MinMaxScaler().fit(gaps[:-1].transform(model_frame(frame, spec)[["basket"]])),
    )
    with caplog.at_level(logging.WARNING, logger="lifecycle.serving"):
        assert compile_model(model, spec, "4") is None
    [said] = [r.getMessage() for r in caplog.records if r.name == "lifecycle.serving"]
    assert said.startswith("model v4: serving without the numpy fast path")
    assert "group 'numeric_gaps': MinMaxScaler" in said


def test_log_rows_carry_row_keys_and_valid_json_with_nulls(
    served: tuple[Runtime, Versions, TypeAdapter[Any]], spec: DatasetSpec, frame: pd.DataFrame
) -> None:
    runtime, _, parse = served
    known = frame[frame["shop"] != NEW_SHOP].head(40)
    records = records_from_frame(known, spec)
    answers = runtime.predict(parse.validate_json(json.dumps(records)))
    runtime.close()
    offline = runtime.served.current.model.predict(model_frame(known, spec))
    np.testing.assert_array_equal([a["prediction"] for a in answers], offline)
    assert runtime.served.current.fast is not None  # what was served is the fast path
    log = read_predictions(runtime.log.path)
    assert log["row_key"].tolist() == known["order_id"].tolist()
    coupons = [None if pd.isna(c) else c for c in log["coupon"]]  # pandas reads null as NaN
    assert coupons == [r["coupon"] for r in records] and "VIP,GOLD" in coupons  # kept whole
    assert log["basket"].isna().sum() == sum(r["basket"] is None for r in records) > 0


def not_json(constant: str) -> None:
    """json.loads' hook for NaN and Infinity, which Python reads but JSON does not have."""
    raise AssertionError(f"{constant} in a logged input: not valid JSON")


def test_json_inputs_are_valid_json_for_any_text_and_gaps(spec: DatasetSpec) -> None:
    odd = ["a,b", 'quote " and \\ backslash', "%s %d", "é ü 東京", " ", None]  # "" is refused
    parse = TypeAdapter(records_type(record_model(spec), 10)).validate_python
    base = {"placed_at": "2024-03-01T08:00:00+01:00", "city": "Lyon", "shop": "bistro", "items": 2,
            "member": True, "rush": 0}  # fmt: skip
    records = parse([{**base, "coupon": text, "basket": None} for text in odd])
    batch = to_batch(records, spec)
    logged_rows = log_rows(batch, [1.0] * len(odd), describe("m", "1", "run", {}, {}, 0))
    assert [r.inputs for r in logged_rows] == json_inputs(batch)
    for text, row in zip(odd, json_inputs(batch), strict=True):
        logged = json.loads(row, parse_constant=not_json)
        assert logged["coupon"] == text and logged["basket"] is None and logged["size"] is None
        assert logged[EVENT_TIME] == "2024-03-01T08:00:00" and logged["member"] == 1.0


def test_unseen_refuse_names_the_field_follows_reloads_and_spares_the_batch(
    served: tuple[Runtime, Versions, TypeAdapter[Any]], spec: DatasetSpec, frame: pd.DataFrame
) -> None:
    runtime, source, parse = served
    good, new = (
        records_from_frame(frame[frame["shop"] == s].head(2), spec) for s in ("bistro", NEW_SHOP)
    )
    with pytest.raises(ValidationError) as caught:
        parse.validate_json(json.dumps([good[0], new[0]]))  # one request: refused whole
    [error] = caught.value.errors(include_url=False)
    assert error["type"] == "unseen_category" and error["loc"] == (1, "shop")
    reason, message = describe_errors([{**error, "loc": ["records", *error["loc"]]}])
    assert reason == "unseen_category"
    assert message.startswith(f"records[1].shop: '{NEW_SHOP}' was never seen in training by the "
                              "served model (v1): send one of bistro, burger-bar")  # fmt: skip
    # Other requests, parsed on their own, are merged into one model call and served.
    merged = [
        *parse.validate_json(json.dumps(good[:1])),
        *parse.validate_json(json.dumps(good[1:])),
    ]
    assert len(runtime.predict(merged)) == 2
    source.version = "2"
    assert runtime.served.refresh().reloaded
    [answer] = runtime.predict(parse.validate_json(json.dumps(new[:1])))  # v2 knows it
    assert answer["model_version"] == "2"
    runtime.close()
    log = read_predictions(runtime.log.path)
    assert sorted(log["shop"]) == ["bistro", "bistro", NEW_SHOP]  # nothing of the refused one


def test_unseen_other_goes_to_the_other_column(
    served: tuple[Runtime, Versions, TypeAdapter[Any]], spec: DatasetSpec, frame: pd.DataFrame
) -> None:
    runtime, _, parse = served
    [record] = records_from_frame(frame[frame["shop"] == "bistro"].head(1), spec)
    records = parse.validate_json(json.dumps([record, {**record, "coupon": "NEVER-SEEN"}]))
    answers = runtime.predict(records)
    model = runtime.served.current.model
    expected = model.predict(to_batch(records, spec).frame)
    np.testing.assert_array_equal([a["prediction"] for a in answers], expected)
    other = model.steps[0][1].transform(to_batch(records, spec).frame)
    names = list(model.steps[0][1].get_feature_names_out())
    assert other[:, names.index("open_text__coupon_other")].tolist() == [0.0, 1.0]
