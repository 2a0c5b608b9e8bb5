"""POST /predict_columns in process: columns give the batch records give, or the errors they give.

The column checks (serving.column_checks) only decide how fast a request is read. So on every
table kind here (bike: date and hour; orders: zoned timestamps, text, flags, gaps, a row key;
deliveries: a classification table) and on seeded random damage to good requests, the column
path must accept exactly what the record path accepts, build the same batch, and refuse with
the same errors, located in the columns.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from pydantic import TypeAdapter, ValidationError
from pydantic_core import from_json, to_json

from lifecycle.dataset import DatasetSpec
from lifecycle.serving.batch import Batch, to_batch
from lifecycle.serving.client import records_from_frame
from lifecycle.serving.columnar import ColumnForm, ColumnsRefused, fast_columns
from lifecycle.serving.request_guard import describe_errors
from lifecycle.serving.schemas import record_model, records_type
from lifecycle.serving.vocabulary import Learnt, Vocabulary
from tests.helpers.bad_inputs import as_columns, bad_inputs, in_columns
from tests.helpers.tables import table_frame, table_spec

MAX_RECORDS = 1000
Case = tuple[DatasetSpec, list[dict[str, Any]]]
# Values a client might send by mistake (or not): every JSON kind, edge numbers, near-ISO text
POOL: list[Any] = [
    None, True, False, 0, 1, 2, 3, 23, 24, -1, 0.0, 0.5, 1.0, 1.5, 499.5, 501, 2**60, 1e300,
    float("nan"), float("inf"), "x", "", "0.5", "Lyon", "M", "bistro", "never-seen", "VIP,GOLD",
    "2012-06-01", "2012-6-1", "NaT", "2012-06-01T08:00:00", "2012-06-01T08:00:00.5",
    "2012-06-01 08:00:00", "2012-06-01T08:00:00Z", "2024-03-31T03:30:00+02:00",
    "2024-03-31T02:30:00+01:00", "2024-10-27T02:30:00+01:00", "2024-03-31T03:30:00+25:00",
    "0000-01-01", "-001-01-01T00:00:00", "1500-01-01T00:00:00Z", "1677-09-21T00:00:00+00:00",
    "2300-01-01T00:00:00+01:00", "0001-01-01T00:30:00+01:00", 10**400, -(10**400), [], [1], {},
]  # fmt: skip


def columns_of(records: list[dict[str, Any]]) -> dict[str, list[Any]]:
    """The records as a client sends them to /predict_columns, read back as BentoML reads JSON."""
    body = as_columns(to_json({"records": records}))
    assert body is not None
    return from_json(body)["columns"]


def by_records(form: ColumnForm, records: list[dict[str, Any]]) -> Batch | list[Any]:
    """What /predict makes of the records: a batch, or its errors located in the columns."""
    adapter = TypeAdapter(records_type(form.record, MAX_RECORDS))
    try:
        return to_batch(adapter.validate_json(to_json(records)), form.spec)
    except ValidationError as invalid:
        errors = invalid.errors(include_url=False, include_context=False, include_input=False)
        return [{**e, "loc": ["columns", *e["loc"][1:], *e["loc"][:1]]} for e in errors]


def by_columns(form: ColumnForm, columns: dict[str, list[Any]]) -> Batch | list[Any]:
    """What /predict_columns makes of the columns: a batch, or its errors."""
    try:
        return form.batch(columns)
    except ColumnsRefused as refused:
        return refused.errors


def assert_same(got: Batch | list[Any], expected: Batch | list[Any]) -> None:
    """The same errors, or batches with the same times, keys and model columns."""
    if isinstance(expected, list) or isinstance(got, list):
        assert got == expected
        return
    assert (got.times, got.keys) == (expected.times, expected.keys)
    assert [s.row for s in got.stamps] == [s.row for s in expected.stamps]
    assert len({s.request_id for s in got.stamps}) == 1
    assert list(got.columns) == list(expected.columns)
    for name, values in expected.columns.items():
        assert got.columns[name].dtype == values.dtype, name
        if values.dtype == object:
            assert got.columns[name].tolist() == values.tolist(), name
        else:
            assert np.array_equal(got.columns[name], values, equal_nan=True), name


@pytest.fixture(scope="module")
def cases(
    spec: DatasetSpec, source: pd.DataFrame, class_spec: DatasetSpec, tmp_path_factory: Any
) -> dict[str, Case]:
    """Good records of each table kind, as a client sends them."""
    folder: Path = tmp_path_factory.mktemp("columnar")
    orders = table_spec()
    naive = table_spec(time={"zone": None}, source="naive.csv")
    frame = table_frame(folder, orders, rows=300)
    rows = source.sample(300, random_state=0)
    return {
        "bike": (spec, records_from_frame(rows, spec)),
        "bike-date-hour": (spec, records_from_frame(rows, spec, time_as="columns")),
        "orders": (orders, records_from_frame(frame, orders)),
        "orders-no-key": (orders, records_from_frame(frame.drop(columns="order_id"), orders)),
        "orders-naive": (naive, records_from_frame(table_frame(folder, naive, 300), naive)),
        "deliveries": (class_spec, records_from_frame(class_spec_rows(class_spec), class_spec)),
    }


def class_spec_rows(class_spec: DatasetSpec) -> pd.DataFrame:
    """Rows of the shipped classification table."""
    from lifecycle.source import read_source

    return read_source(class_spec).sample(300, random_state=0)


@pytest.mark.parametrize(
    "name", ["bike", "bike-date-hour", "orders", "orders-no-key", "orders-naive", "deliveries"]
)
def test_good_columns_take_the_fast_path_to_the_batch_records_give(
    cases: dict[str, Case], name: str
) -> None:
    spec, records = cases[name]
    form = ColumnForm(spec, record_model(spec), MAX_RECORDS)
    columns = columns_of(records)
    assert fast_columns(columns, len(records), form) is not None  # checked as columns
    assert_same(form.batch(columns), by_records(form, records))


@pytest.mark.parametrize("name", ["bike", "orders", "orders-naive"])
def test_damaged_columns_get_what_damaged_records_get(cases: dict[str, Case], name: str) -> None:
    spec, good = cases[name]
    vocabulary = Vocabulary()  # `unseen: refuse` columns: the shops of the good rows, less one
    shops = {r.get("shop") for r in good} - {None, "taqueria"}
    vocabulary.follow(lambda: Learnt("7", {"shop": frozenset(shops)}))
    form = ColumnForm(spec, record_model(spec, vocabulary), MAX_RECORDS, vocabulary)
    rng = random.Random(name)
    paths = {"fast": 0, "refused": 0, "slow": 0}
    for _ in range(300):
        records = damaged(rng, good[rng.randrange(0, 290) :][:4])
        columns = columns_of(records)
        expected = by_records(form, records)
        assert_same(by_columns(form, columns), expected)
        fast = fast_columns(columns, len(records), form) is not None
        paths["fast" if fast else "refused" if isinstance(expected, list) else "slow"] += 1
    assert paths["fast"] >= 30 and paths["refused"] >= 30, paths  # both really taken


@pytest.mark.parametrize(
    ("name", "value"),
    [("event_time", "2012-06-01T08:00:00.5"), ("event_time", "2012-06-01 08:00:00"), ("temp", 1)],
)
def test_valid_values_the_column_check_is_unsure_of_are_served_the_slow_way(
    cases: dict[str, Case], name: str, value: Any
) -> None:
    spec, good = cases["bike"]
    records = [{**r, name: value} for r in good[:3]]
    form = ColumnForm(spec, record_model(spec), MAX_RECORDS)
    expected = by_records(form, records)
    assert isinstance(expected, Batch)  # valid: /predict serves it
    assert_same(form.batch(columns_of(records)), expected)


@pytest.mark.parametrize(
    ("name", "value"),
    [("placed_at", "1500-01-01T00:00:00Z"), ("placed_at", "1677-09-21T00:00:00+00:00")],
)
def test_zoned_times_outside_pandas_range_keep_zoneinfo_offsets(
    cases: dict[str, Case], name: str, value: Any
) -> None:
    spec, good = cases["orders"]  # Europe/Paris: local mean time (+00:09:21) before 1891
    records = [{**r, name: value} for r in good[:2]]
    form = ColumnForm(spec, record_model(spec), MAX_RECORDS)
    expected = by_records(form, records)
    assert isinstance(expected, Batch)
    assert_same(form.batch(columns_of(records)), expected)


def test_an_int_beyond_any_float_is_judged_by_the_record_model(cases: dict[str, Case]) -> None:
    spec = table_spec(columns={"order_id": {"dtype": "int"}})  # an unbounded int key
    records = [{**r, "order_id": 10**400} for r in cases["orders"][1][:2]]
    form = ColumnForm(spec, record_model(spec), MAX_RECORDS)
    expected = by_records(form, records)
    assert isinstance(expected, Batch)  # /predict serves it, with that key
    assert_same(form.batch(columns_of(records)), expected)


def damaged(rng: random.Random, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Copies of `records` with one or two values replaced from POOL, or one field dropped or
    set in every record (then the column check sees a whole column of it)."""
    out = [dict(r) for r in records]
    names = list(out[0])
    roll = rng.random()
    if roll < 0.2:
        return out  # some stay good
    name, value = rng.choice(names), rng.choice(POOL)
    if roll < 0.3:
        for record in out:
            record.pop(name)
    elif roll < 0.5:
        for record in out:
            record[name] = value
    else:
        for _ in range(rng.choice([1, 2])):
            rng.choice(out)[rng.choice(names)] = rng.choice(POOL)
    return out


def test_every_bad_input_gets_the_reason_and_message_of_predict(spec: DatasetSpec) -> None:
    form = ColumnForm(spec, record_model(spec), MAX_RECORDS)
    checked = 0
    for bad in bad_inputs(MAX_RECORDS, 10_000_000):
        body = as_columns(bad.body)
        if bad.status != 400 or body is None:
            continue  # refused before any parsing (size, content type, malformed JSON)
        records, columns = from_json(bad.body)["records"], from_json(body)["columns"]
        expected = by_records(form, records)
        assert isinstance(expected, list), bad.id
        errors = by_columns(form, columns)
        assert isinstance(errors, list), bad.id
        reason, message = describe_errors(errors, {"columns": columns})
        wanted = describe_errors(
            [{**e, "loc": ["records", *e["loc"][-1:], *e["loc"][1:-1]]} for e in expected]
            if bad.id not in ("empty-list", "too-many")  # located at the list itself
            else [{**e, "loc": ["records"]} for e in expected],
            {"records": records},
        )
        # an unknown field is one error for its column, not one per record
        said = in_columns(wanted[1]).replace("[0]:", ":") if bad.id == "unknown-field" else None
        assert (reason, message) == (wanted[0], said or in_columns(wanted[1])), bad.id
        checked += 1
    assert checked >= 10


@pytest.mark.parametrize(
    ("change", "reason", "names"),
    [
        (lambda c: c.update(hum=c["hum"][:-1]), "unequal_columns", "columns.hum"),
        (lambda c: c.update(colour=["red"] * 3), "unknown_field", "columns.colour"),
        (lambda c: c.clear(), "empty_batch", "columns"),
    ],
)
def test_columns_that_make_no_records_are_refused_as_columns(
    spec: DatasetSpec,
    cases: dict[str, Case],
    change: Callable[[dict], None],
    reason: str,
    names: str,
) -> None:
    columns = columns_of(cases["bike"][1][:3])
    change(columns)
    errors = by_columns(ColumnForm(spec, record_model(spec), MAX_RECORDS), columns)
    assert isinstance(errors, list)
    got, message = describe_errors(errors, {"columns": columns})
    assert got == reason and message.startswith(names)


def test_answers_become_columns_in_record_order() -> None:
    from lifecycle.serving.column_answers import to_columns

    def answer(row: int, **value: Any) -> dict[str, Any]:
        shared = {"request_id": "r", "row": row, "model_name": "m", "variant": "champion"}
        return {**shared, "model_version": str(row + 1), **value}

    values = [answer(0, prediction=1.5), answer(1, prediction=2.5)]
    assert to_columns(values, "r") == {
        "request_id": "r",
        "prediction": [1.5, 2.5],
        "model_name": ["m", "m"],
        "model_version": ["1", "2"],
        "variant": ["champion", "champion"],
    }
    classes = [
        answer(0, label=1, probabilities={"0": 0.2, "1": 0.8}),
        answer(1, label=0, probabilities={"0": 0.9, "1": 0.1}),
    ]
    got = to_columns(classes, "r")
    assert (got["label"], got["probabilities"]) == ([1, 0], {"0": [0.2, 0.9], "1": [0.8, 0.1]})
    assert "prediction" not in got and got["model_version"] == ["1", "2"]
