"""The request record of an event-level table: text, flags, gaps, a zoned timestamp, a row key.

On the `orders` table of tests/helpers/tables.py; no model, no server. What BentoML answers is
pydantic's error list, rewritten by the request guard: both are checked here.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from pydantic import TypeAdapter, ValidationError

from lifecycle.dataset import EVENT_TIME, DatasetSpec
from lifecycle.serving.request_guard import describe_errors
from lifecycle.serving.schemas import record_model, records_type
from tests.helpers.bad_inputs import BY_DATE as BIKE_BY_DATE
from tests.helpers.bad_inputs import GOOD as BIKE
from tests.helpers.tables import table_spec

GOOD: dict[str, Any] = {
    "order_id": "O000042",
    "placed_at": "2024-03-31T03:30:00+02:00",  # the first hour of summer time in Paris
    "city": "Lyon",
    "size": "M",
    "shop": "bistro",
    "coupon": "VIP,GOLD",
    "basket": 31.5,
    "items": 3,
    "express": True,
    "member": False,
    "rush": 1,
}


def parse(spec: DatasetSpec, *records: dict[str, Any]) -> list[Any]:
    """The records of one request, validated from JSON as BentoML does."""
    adapter = TypeAdapter(records_type(record_model(spec), 10))
    return list(adapter.validate_json(json.dumps(list(records))))


def refused(spec: DatasetSpec, record: dict[str, Any]) -> list[Any]:
    """pydantic's errors for one record, with the `records` prefix BentoML's detail has."""
    with pytest.raises(ValidationError) as caught:
        parse(spec, record)
    return [{**e, "loc": ["records", *e["loc"]]} for e in caught.value.errors(include_url=False)]


def test_fields_types_and_enums_come_from_the_definition() -> None:
    schema = record_model(table_spec()).model_json_schema()
    props, required = schema["properties"], set(schema["required"])
    assert required == {"city", "shop", "items", "member", "rush"}  # time and key: either way
    assert props["city"]["enum"] == ["Lyon", "Nantes", "Paris"]
    assert props["rush"] == {**props["rush"], "type": "integer", "enum": [0, 1, 2]}
    assert props["size"]["anyOf"][0]["enum"] == ["S", "M", "L"] and props["size"]["default"] is None
    assert props["shop"]["type"] == "string" and props["member"]["type"] == "boolean"
    assert "UTC offset" in props["placed_at"]["description"]
    assert props["order_id"]["default"] is None  # the row key is optional


def test_a_zoned_timestamp_becomes_wall_clock_time_like_event_time() -> None:
    spec = table_spec()
    as_time = {k: v for k, v in GOOD.items() if k != "placed_at"}
    by_stamp, by_time = parse(spec, GOOD, {**as_time, EVENT_TIME: "2024-03-31T03:30:00"})
    assert by_stamp.placed_at == dt.datetime(2024, 3, 31, 3, 30)  # naive, Paris wall clock
    assert by_stamp.when() == by_time.when() == dt.datetime(2024, 3, 31, 3, 30)
    [utc] = parse(spec, {**GOOD, "placed_at": "2024-03-31T01:30:00Z"})  # the same instant
    assert utc.when() == by_stamp.when()


def test_gaps_are_null_or_left_out_only_where_the_definition_allows() -> None:
    spec = table_spec()
    sparse = {k: v for k, v in GOOD.items() if k not in ("size", "coupon", "basket", "express")}
    left_out, null = parse(spec, sparse, {**GOOD, "basket": None})
    assert (left_out.size, left_out.coupon, left_out.basket, left_out.express) == (None,) * 4
    assert null.basket is None and null.express is True
    [error] = refused(spec, {**GOOD, "member": None})
    assert error["loc"] == ["records", 0, "member"] and error["type"] == "bool_type"
    request = {"records": [{**GOOD, "member": None}]}
    reason, message = describe_errors([error], request)
    assert reason == "wrong_type"
    assert message.startswith(
        "records[0].member: null is not allowed (this field is never missing)"
    )


@pytest.mark.parametrize(
    ("change", "kind", "field", "says"),
    [
        ({"city": "Lille"}, "literal_error", "city", "'Lyon', 'Nantes' or 'Paris'"),
        ({"size": "XL"}, "literal_error", "size", "'S', 'M' or 'L'"),
        ({"items": True}, "int_type", "items", "valid integer"),
        ({"rush": True}, "int_type", "rush", "valid integer"),
        ({"rush": 1.0}, "int_type", "rush", "valid integer"),
        ({"rush": 3}, "literal_error", "rush", "0, 1 or 2"),
        ({"member": 1}, "bool_type", "member", "valid boolean"),
        ({"express": "true"}, "bool_type", "express", "valid boolean"),
        ({"shop": 7}, "string_type", "shop", "valid string"),
        ({"order_id": 42}, "string_type", "order_id", "valid string"),
        ({"basket": "31.5"}, "float_type", "basket", "valid number"),
        ({"placed_at": "2024-03-31T03:30:00"}, "timezone_aware", "placed_at", "UTC offset"),
        # year 1 at +01:00 is before the first day Python knows once read in Paris
        ({"placed_at": "0001-01-01T00:30:00+01:00"}, "datetime_out_of_range", "placed_at", "range"),
    ],
)
def test_each_bad_field_is_named_with_what_to_send(
    change: dict[str, Any], kind: str, field: str, says: str
) -> None:
    [error] = refused(table_spec(), {**GOOD, **change})
    assert (error["type"], error["loc"]) == (kind, ["records", 0, field])
    _, message = describe_errors([error])
    assert message.startswith(f"records[0].{field}: ") and says in message


def test_a_time_out_of_range_in_the_zone_is_counted_as_out_of_range() -> None:
    [error] = refused(table_spec(), {**GOOD, "placed_at": "0001-01-01T00:30:00+01:00"})
    assert describe_errors([error])[0] == "out_of_range"


def test_an_hour_column_without_bounds_still_takes_only_0_to_23(spec: DatasetSpec) -> None:
    hour = spec.columns["hr"].model_copy(update={"min": None, "max": None})
    unbounded = spec.model_copy(update={"columns": {**spec.columns, "hr": hour}})
    [error] = refused(unbounded, {**BIKE_BY_DATE, "hr": 24})
    assert (error["type"], error["loc"]) == ("less_than_equal", ["records", 0, "hr"])
    assert len(parse(unbounded, {**BIKE_BY_DATE, "hr": 23})) == 1


def test_a_naive_table_refuses_an_offset() -> None:
    spec = table_spec(time={"zone": None})
    [record] = parse(spec, {**GOOD, "placed_at": "2024-03-31T03:30:00"})
    assert record.when() == dt.datetime(2024, 3, 31, 3, 30)
    [error] = refused(spec, GOOD)
    assert error["type"] == "timezone_naive" and "without UTC offset" in error["msg"]


def test_row_key_is_the_key_text_all_of_it_or_none() -> None:
    [one, none] = parse(table_spec(), GOOD, {k: v for k, v in GOOD.items() if k != "order_id"})
    assert (one.row_key(), none.row_key()) == ("O000042", None)
    two = table_spec(
        key=["order_id", "day"], columns={"day": {"dtype": "date", "doc": "Day of the order."}}
    )
    [both] = parse(two, {**GOOD, "day": "2024-03-31"})
    assert both.row_key() == '["O000042", "2024-03-31"]'
    [half] = refused(two, GOOD)
    assert half["type"] == "missing" and "day" in half["msg"] and "row key" in half["msg"]
    no_id = {k: v for k, v in GOOD.items() if k != "order_id"}  # not a field when not the key
    # Keyed by event time only in a zone without summer time (a repeated autumn hour would
    # give two instants one key): the same instant read in UTC.
    utc = {**no_id, "placed_at": "2024-03-31T01:30:00+00:00"}
    [by_time] = parse(table_spec(key=["event_time"], time={"zone": "UTC"}), utc)
    assert by_time.row_key() == "2024-03-31T01:30:00"


def test_bike_ints_refuse_booleans_and_floats(spec: DatasetSpec) -> None:
    bike = spec  # the shipped bike definition (tests/conftest.py)
    for change in ({"holiday": True}, {"weathersit": 1.0}, {"workingday": False}):
        [error] = refused(bike, {**BIKE, **change})
        assert error["type"] == "int_type"
    [record] = parse(bike, BIKE)
    assert record.holiday == 0 and record.row_key() == "2012-06-01T08:00:00"


def test_an_empty_string_is_no_category() -> None:
    # In the source an empty cell is a gap; a client says so with null, not "".
    [error] = refused(table_spec(), {**GOOD, "coupon": ""})
    assert error["loc"][-1] == "coupon" and error["type"] == "string_too_short"
    assert parse(table_spec(), {**GOOD, "coupon": None})
