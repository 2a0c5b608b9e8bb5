"""Every class of bad input the service must refuse, shared by the in-process and server tests."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

GOOD: dict[str, Any] = {
    "event_time": "2012-06-01T08:00:00",
    "holiday": 0,
    "workingday": 1,
    "weathersit": 1,
    "temp": 0.62,
    "atemp": 0.59,
    "hum": 0.55,
    "windspeed": 0.19,
}
BY_DATE = {**{k: v for k, v in GOOD.items() if k != "event_time"}, "dteday": "2012-06-01", "hr": 8}


@dataclass(frozen=True)
class Bad:
    """A request that must be refused with `status`, `reason`, and a message naming `names`."""

    id: str
    body: bytes
    status: int
    reason: str
    names: str  # what the error message must mention (the field, or the limit)
    content_type: str = "application/json"


def _records(*records: dict[str, Any]) -> bytes:
    return json.dumps({"records": list(records)}).encode()


def _with(**changes: Any) -> dict[str, Any]:
    return {**GOOD, **changes}


def _without(name: str) -> dict[str, Any]:
    return {k: v for k, v in GOOD.items() if k != name}


def bad_inputs(max_records: int, max_body_bytes: int) -> list[Bad]:
    """One case per class of bad input, for the given limits."""
    mark = 0.123456789  # a number no other field has, replaced by the literal in the JSON text
    nan = _records(_with(temp=mark)).replace(str(mark).encode(), b"NaN")
    inf = _records(_with(hum=mark)).replace(str(mark).encode(), b"Infinity")
    padding = b" " * (max_body_bytes + 1)
    return [
        Bad("missing-field", _records(_without("temp")), 400, "missing_field", "records[0].temp"),
        Bad("missing-time", _records(_without("event_time")), 400, "missing_field", "dteday"),
        Bad("unknown-field", _records(_with(colour="red")), 400, "unknown_field", "colour"),
        Bad("wrong-type", _records(_with(temp="warm")), 400, "wrong_type", "records[0].temp"),
        Bad("hour-24", _records({**BY_DATE, "hr": 24}), 400, "out_of_range", "records[0].hr"),
        Bad("humidity-1.7", _records(_with(hum=1.7)), 400, "out_of_range", "records[0].hum"),
        Bad("weather-5", _records(_with(weathersit=5)), 400, "out_of_range", "weathersit"),
        Bad("nan", nan, 400, "not_finite", "records[0].temp"),
        Bad("infinity", inf, 400, "not_finite", "records[0].hum"),
        Bad("null", _records(_with(windspeed=None)), 400, "wrong_type", "records[0].windspeed"),
        Bad(
            "time-twice",
            _records({**GOOD, "dteday": "2012-06-01"}),
            400,
            "conflicting_fields",
            "event_time",
        ),
        Bad("empty-list", _records(), 400, "empty_batch", "records"),
        Bad(
            "too-many",
            _records(*[GOOD] * (max_records + 1)),
            400,
            "too_many_records",
            str(max_records),
        ),
        Bad("malformed-json", b'{"records": [', 400, "malformed_json", "Invalid JSON"),
        Bad(
            "wrong-content-type",
            _records(GOOD),
            415,
            "wrong_content_type",
            "application/json",
            content_type="text/plain",
        ),
        Bad(
            "body-too-large",
            _records(GOOD)[:-1] + padding + b"}",
            413,
            "body_too_large",
            str(max_body_bytes),
        ),
    ]


def as_columns(body: bytes) -> bytes | None:
    """A /predict body's records as a /predict_columns body (None: no list of records in it)."""
    try:
        records = json.loads(body)["records"]
    except (ValueError, KeyError, TypeError):
        return None
    names = list(dict.fromkeys(name for record in records for name in record))
    columns = {name: [record.get(name) for record in records] for name in names}
    return json.dumps({"columns": columns}).encode()


def in_columns(message: str) -> str:
    """A /predict error message as /predict_columns words it: records[3].hr -> columns.hr[3]."""
    message = re.sub(r"records\[(\d+)\]\.(\w+)", r"columns.\2[\1]", message)
    return re.sub(r"\brecords\b", "columns", message)
