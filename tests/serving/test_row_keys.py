"""The row key a service logs equals the one labels are stored under, for keys the shipped
tables do not have: an int id read from a CSV with a blank cell, and [store, day] on a daily
table whose day is also the time column."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
from pydantic import TypeAdapter

from lifecycle.dataset import DatasetSpec, row_keys
from lifecycle.serving.client import records_from_frame
from lifecycle.serving.schemas import record_model, records_type
from lifecycle.source import read_source


def daily(tmp_path: Path, key: list[str]) -> DatasetSpec:
    """Sales per store and day: the day is the time column and part of the key."""
    return DatasetSpec.model_validate(
        {
            "name": "sales",
            "source": str(tmp_path / "sales.csv"),
            "task": "regression",
            "target": "sold",
            "time": {"date": "day"},
            "key": key,
            "columns": {
                "store": {"dtype": "int"},
                "day": {"dtype": "date"},
                "price": {"dtype": "float", "feature": True, "kind": "numeric"},
                "sold": {"dtype": "float"},
            },
        }
    )


def served_keys(spec: DatasetSpec, records: list[dict[str, Any]]) -> list[str | None]:
    """The row keys the service would log for these records."""
    parsed = TypeAdapter(records_type(record_model(spec), 100)).validate_python(records)
    return [r.row_key() for r in parsed]


def test_store_and_day_keys_match_whichever_way_the_time_is_sent(tmp_path: Path) -> None:
    (tmp_path / "sales.csv").write_text(
        "store,day,price,sold\n7,2024-1-2,3.5,10\n8,2024-01-02,4,12\n"
    )
    spec = daily(tmp_path, ["store", "day"])
    frame = read_source(spec)
    offline = row_keys(frame, spec).tolist()
    assert offline == ['[7, "2024-01-02"]', '[8, "2024-01-02"]']
    assert served_keys(spec, records_from_frame(frame, spec)) == offline  # as event_time
    as_columns = records_from_frame(frame, spec, time_as="columns")
    assert served_keys(spec, as_columns) == offline


def test_an_int_key_read_with_a_blank_cell_keeps_its_digits(tmp_path: Path) -> None:
    (tmp_path / "sales.csv").write_text(
        "store,day,price,sold\n12,2024-01-02,3.5,10\n,2024-01-03,4,1\n"
    )
    spec = daily(tmp_path, ["store"])
    frame = read_source(spec)
    assert frame["store"].dtype == "float64"  # what pandas does with the blank
    assert row_keys(frame, spec).tolist()[0] == "12"  # not "12.0": the service logs "12"
    assert served_keys(spec, [{"day": "2024-01-02", "price": 3.5, "store": 12}]) == ["12"]
    assert pd.isna(row_keys(frame, spec).tolist()[1])
