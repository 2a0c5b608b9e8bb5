"""The HTTP contract without a server: request models from the spec, errors, frames, hot swap."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd
import pytest
from pydantic import SecretStr, TypeAdapter, ValidationError

from lifecycle.dataset import EVENT_TIME, DatasetSpec, model_frame
from lifecycle.serving.batch import log_rows, to_batch
from lifecycle.serving.champion import ServedModel, describe
from lifecycle.serving.client import records_from_frame
from lifecycle.serving.request_guard import describe_errors, field_path
from lifecycle.serving.runtime import AdminRefused, check_admin
from lifecycle.serving.schemas import ModelInfo, record_model, records_type
from tests.helpers.bad_inputs import BY_DATE, GOOD
from tests.helpers.serving import Versions


@pytest.fixture(scope="module")
def records_of(spec: DatasetSpec) -> TypeAdapter[Any]:
    """Validator of a request's `records` list (at most 3)."""
    return TypeAdapter(records_type(record_model(spec), max_records=3))


def errors(adapter: TypeAdapter[Any], records: list[dict[str, Any]]) -> list[Any]:
    with pytest.raises(ValidationError) as caught:
        adapter.validate_json(json.dumps(records))
    return list(caught.value.errors(include_url=False))


@pytest.mark.ml_test_score("D6")
def test_record_fields_come_from_the_dataset_definition(spec: DatasetSpec) -> None:
    schema = record_model(spec).model_json_schema()
    props = schema["properties"]
    assert set(props) == {EVENT_TIME, spec.time.date, spec.time.hour, *spec.features}
    assert schema["additionalProperties"] is False
    assert props["weathersit"]["enum"] == spec.features["weathersit"].values
    assert props["hum"]["maximum"] == spec.features["hum"].max
    assert props["temp"]["description"] == spec.features["temp"].doc
    assert props[spec.time.hour]["anyOf"][0]["maximum"] == 23


def test_event_time_or_date_and_hour_give_the_same_moment(records_of: TypeAdapter[Any]) -> None:
    by_time, by_date = records_of.validate_json(json.dumps([GOOD, BY_DATE]))
    assert by_time.when() == by_date.when() == pd.Timestamp("2012-06-01T08:00:00")
    assert by_time.stamp().request_id == by_date.stamp().request_id
    assert [by_time.stamp().row, by_date.stamp().row] == [0, 1]


@pytest.mark.parametrize(
    ("change", "kind", "where"),
    [
        ({"hr": 24}, "less_than_equal", ("hr",)),
        ({"hr": 8.0}, "int_type", ("hr",)),
        ({"hum": 1.7}, "less_than_equal", ("hum",)),
        ({"weathersit": 5}, "literal_error", ("weathersit",)),
        ({"temp": "0.5"}, "float_type", ("temp",)),
        ({"colour": "red"}, "extra_forbidden", ("colour",)),
        ({"dteday": "2012-13-01"}, "date_from_datetime_parsing", ("dteday",)),
    ],
)
@pytest.mark.ml_test_score("Mo2")
def test_each_bad_field_is_named(
    records_of: TypeAdapter[Any], change: dict[str, Any], kind: str, where: tuple[str, ...]
) -> None:
    [error] = errors(records_of, [{**BY_DATE, **change}])
    assert error["type"] == kind and error["loc"] == (0, *where)


def test_time_must_be_given_exactly_once(records_of: TypeAdapter[Any]) -> None:
    aware = errors(records_of, [{**GOOD, EVENT_TIME: "2012-06-01T08:00:00Z"}])
    assert aware[0]["type"] == "timezone_naive"
    [both] = errors(records_of, [{**GOOD, "hr": 8}])
    assert both["type"] == "event_time_conflict" and "not both" in both["msg"]
    [half] = errors(records_of, [{k: v for k, v in BY_DATE.items() if k != "hr"}])
    assert half["type"] == "missing" and "hr" in half["msg"]


def test_list_limits(records_of: TypeAdapter[Any]) -> None:
    assert errors(records_of, [])[0]["type"] == "too_short"
    assert errors(records_of, [GOOD] * 4)[0]["type"] == "too_long"


def test_error_messages_name_field_and_problem() -> None:
    detail = [{"type": "less_than_equal", "loc": ["records", 0, "hr"], "msg": "too big"}] * 5
    reason, message = describe_errors(detail)
    assert reason == "out_of_range"
    assert message.startswith("records[0].hr: too big; ") and message.endswith("(+2 more)")
    assert field_path([]) == "body" and field_path(["records", 3]) == "records[3]"


@pytest.mark.ml_test_score("D7")
def test_service_input_frame_equals_offline_model_frame(
    spec: DatasetSpec, source: pd.DataFrame, records_of: TypeAdapter[Any]
) -> None:
    rows = source.sample(3, random_state=0)
    records = records_of.validate_json(json.dumps(records_from_frame(rows, spec, "columns")))
    served = to_batch(records, spec).frame
    offline = model_frame(rows, spec)
    pd.testing.assert_frame_equal(served, offline, check_dtype=False)
    assert (served.dtypes.drop(EVENT_TIME) == "float64").all()


@pytest.mark.ml_test_score("I5")
def test_log_rows_hold_the_inputs_exactly_as_the_model_saw_them(
    spec: DatasetSpec, records_of: TypeAdapter[Any]
) -> None:
    records = records_of.validate_json(json.dumps([GOOD, BY_DATE]))
    info = describe("m", "7", "run", {}, {}, 0)
    rows = log_rows(to_batch(records, spec), [1.5, 2.5], info)
    assert [(r.row, r.prediction, r.model_version) for r in rows] == [(0, 1.5, "7"), (1, 2.5, "7")]
    logged = json.loads(rows[1].inputs)
    as_sent = {n: float(GOOD[n]) for n in spec.features}
    assert logged == {EVENT_TIME: "2012-06-01T08:00:00", **as_sent}
    assert rows[0].event_time == "2012-06-01T08:00:00" and rows[0].latency_ms >= 0


def test_describe_reads_lineage_from_tags_and_metrics() -> None:
    tags = {"git_commit": "abc", "data.md5.train.parquet": "f00", "other": "x"}
    info = describe("m", "3", "r1", tags, {"val_mae": 2.0, "test_mae": 9.0}, 1_700_000_000_000)
    assert info.data_hashes == {"train.parquet": "f00"} and info.validation == {"mae": 2.0}
    assert info.git_commit == "abc" and info.trained_at.startswith("2023-11-14T22:13:20")


def test_admin_needs_the_configured_bearer_token() -> None:
    check_admin(SecretStr("s3cret"), "Bearer s3cret")
    for token, header, status in [
        (None, "Bearer x", 403),
        (SecretStr("s3cret"), None, 401),
        (SecretStr("s3cret"), "Bearer nope", 401),
    ]:
        with pytest.raises(AdminRefused) as refused:
            check_admin(token, header)
        assert refused.value.status == status


def test_served_model_swaps_whole_and_only_when_the_version_moves() -> None:
    source, outcomes = Versions(), list[str]()
    served = ServedModel(source, outcomes.append)
    held = served.current  # what a batch in flight holds
    assert not served.refresh().reloaded and source.loads == 1
    source.version = "2"
    result = served.refresh()
    assert result.reloaded and (result.version_before, result.version_after) == ("1", "2")
    assert served.current.model == "model-2" and served.current.info.version == "2"
    assert held.model == "model-1" and outcomes == ["reloaded"]
    assert isinstance(served.current.info, ModelInfo)


def test_event_time_with_only_part_of_date_and_hour_is_refused(
    records_of: TypeAdapter[Any],
) -> None:
    [error] = errors(records_of, [{**GOOD, "dteday": "2012-06-01"}])
    assert error["type"] == "event_time_conflict" and "dteday" in error["msg"]
