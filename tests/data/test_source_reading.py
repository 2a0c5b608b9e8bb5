"""Reading tables the shipped examples do not have: odd bool spellings, text that looks like a
gap, whole-number floats, offsets written Z/UTC/-05, and definitions that cannot work."""

from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from pydantic import ValidationError

from lifecycle.dataset import DatasetSpec, row_keys
from lifecycle.source import SourceError, parse_timestamps, read_source
from lifecycle.stages.validate import validate


def definition(tmp_path: Path, **changes: Any) -> DatasetSpec:
    """A small event table: a text key, a zoned timestamp, a country code, a flag, a price."""
    raw: dict[str, Any] = {
        "name": "shop",
        "source": str(tmp_path / "shop.csv"),
        "task": "regression",
        "target": "price",
        "time": {"timestamp": "at", "zone": "UTC"},
        "key": ["order"],
        "columns": {
            "order": {"dtype": "str"},
            "at": {"dtype": "timestamp"},
            "country": {"dtype": "str", "values": ["NA", "EU"], "feature": True,
                        "kind": "categorical"},
            "gift": {"dtype": "bool", "feature": True, "kind": "binary"},
            "price": {"dtype": "float", "min": 0.0},
        },
    }  # fmt: skip
    raw.update(changes)
    return DatasetSpec.model_validate(raw)


def write(tmp_path: Path, rows: list[str]) -> None:
    (tmp_path / "shop.csv").write_text("order,at,country,gift,price\n" + "\n".join(rows) + "\n")


GOOD = [
    "o1,2024-03-01T10:00:00Z,NA,true,12",
    "o2,2024-03-01T10:00:00 UTC,EU,FALSE,30",
    "o4,2024-03-01T10:30:00+00:00,EU,1,31",
]


def test_text_that_looks_like_a_gap_stays_text_and_floats_stay_floats(tmp_path: Path) -> None:
    write(tmp_path, GOOD)
    spec = definition(tmp_path)
    frame = read_source(spec)
    assert list(frame["country"]) == ["NA", "EU", "EU"]  # Namibia, not a gap
    assert list(frame["gift"]) == [True, False, True]
    assert frame["price"].dtype == "float64"  # whole euros are still a float column
    assert frame["event_time"].notna().all()
    assert validate(frame, spec).ok, validate(frame, spec).message()


def test_a_bool_that_is_no_bool_stops_reading_naming_it(tmp_path: Path) -> None:
    write(tmp_path, [*GOOD, "o3,2024-03-01T11:00:00Z,EU,yes,5"])
    with pytest.raises(SourceError, match=r"bool column `gift` has 1 value.*row 3: 'yes'"):
        read_source(definition(tmp_path))


@pytest.mark.parametrize(
    "text", ["2024-03-01T10:00:00Z", "2024-03-01 10:00 UTC", "2024-03-01T05:00:00-05"]
)
def test_every_offset_pandas_reads_counts_as_one(text: str) -> None:
    when = parse_timestamps(pd.Series([text]), "UTC")
    assert when.iloc[0] == pd.Timestamp("2024-03-01T10:00:00")
    assert parse_timestamps(pd.Series([text]), None).isna().all()  # no zone: an offset is wrong


def test_a_date_alone_is_not_read_as_an_offset() -> None:
    assert parse_timestamps(pd.Series(["2024-01-01"]), None).iloc[0] == pd.Timestamp("2024-01-01")


def test_duplicate_keys_are_found_on_the_key_text(tmp_path: Path) -> None:
    write(tmp_path, [*GOOD, "o1,2024-03-01T12:00:00Z,EU,true,5"])
    spec = definition(tmp_path)
    frame = read_source(spec)
    assert row_keys(frame, spec).tolist() == ["o1", "o2", "o4", "o1"]
    assert "unique row key (key: ['order'])" in validate(frame, spec).message()


def test_an_hourly_key_in_a_zone_with_summer_time_is_refused(tmp_path: Path) -> None:
    time = {"timestamp": "at", "zone": "Europe/Berlin"}
    with pytest.raises(ValidationError, match="when clocks go back, two different instants"):
        definition(tmp_path, time=time, key=["event_time"])
    assert definition(tmp_path, key=["event_time"]).keyed_by_time  # UTC has no summer time


def test_int_categories_need_their_values_and_unseen_is_for_text(tmp_path: Path) -> None:
    spec = definition(tmp_path)
    columns = {n: c.model_dump(exclude_defaults=True) for n, c in spec.columns.items()}
    columns["store"] = {"dtype": "int", "feature": True, "kind": "categorical"}
    with pytest.raises(ValidationError, match="int categorical feature needs its `values`"):
        definition(tmp_path, columns=columns)
    columns["store"] = {"dtype": "int", "unseen": "other"}
    with pytest.raises(ValidationError, match=r"`unseen` applies to text \(dtype: str\)"):
        definition(tmp_path, columns=columns)
