"""A small typed client for the service.

from lifecycle.serving.client import ServiceClient
with ServiceClient("http://127.0.0.1:3000") as svc:
    [answer] = svc.predict([{"event_time": "2012-06-01T08:00:00", "holiday": 0, ...}])
    print(answer["prediction"], answer["model_version"], answer["request_id"])
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import Any

import httpx
import pandas as pd
from pydantic import TypeAdapter

from lifecycle.dataset import EVENT_TIME, Column, DatasetSpec
from lifecycle.serving.schemas import ClassPrediction, ModelInfo, Prediction, ReloadResult

Record = Mapping[str, Any]
Answer = Prediction | ClassPrediction  # a value (regression), or a label and probabilities
_PREDICTIONS = TypeAdapter(list[Answer])


class ServiceError(Exception):
    """The service said no: HTTP status, the reason label, and the message naming the field."""

    def __init__(self, status: int, reason: str, message: str) -> None:
        super().__init__(f"HTTP {status} {reason}: {message}")
        self.status, self.reason, self.message = status, reason, message


def _json_values(values: pd.Series, col: Column) -> list[Any]:
    """One column as JSON-ready Python values: null for a gap, ints as ints, flags as bools."""
    if col.dtype == "date":
        dates = pd.to_datetime(values, format="mixed")
        return [None if pd.isna(d) else d.strftime("%Y-%m-%d") for d in dates]
    kind = {"int": int, "float": float, "bool": bool, "str": str}[col.dtype]
    return [None if pd.isna(v) else kind(v) for v in values.astype(object)]


def _time_values(frame: pd.DataFrame, spec: DatasetSpec) -> dict[str, list[Any]]:
    """The table's own time columns: date (and hour), or the timestamp, ISO 8601 (with its UTC
    offset in the definition's zone when it has one)."""
    name, zone = spec.time.timestamp, spec.time.zone
    if name is None:
        return {n: _json_values(frame[n], spec.columns[n]) for n in spec.time.columns}
    stamps = pd.to_datetime(frame[name], format="mixed", utc=zone is not None)
    if zone is not None:
        stamps = stamps.dt.tz_convert(zone)
    return {name: [None if pd.isna(t) else t.isoformat() for t in stamps]}


def records_from_frame(
    frame: pd.DataFrame, spec: DatasetSpec, time_as: str | None = None
) -> list[dict[str, Any]]:
    """Request records from rows of the source table: time, features and row-key columns.

    `time_as`: EVENT_TIME, or "columns" for the table's own time columns; by default those of a
    timestamp-timed table when the frame has them, else event_time. Row-key columns are sent
    when the frame has them. Gaps become null, ints ints, flags JSON booleans, text stays text.
    """
    own = spec.time.timestamp is not None and spec.time.timestamp in frame
    if time_as == "columns" or (time_as is None and own):
        parts = _time_values(frame, spec)
    else:
        parts = {EVENT_TIME: frame[EVENT_TIME].dt.strftime("%Y-%m-%dT%H:%M:%S").tolist()}
    keys = [c for c in spec.key_columns if c in frame and c not in spec.time.columns]
    for name in [*spec.features, *keys]:  # a time column of the key comes with the time
        parts.setdefault(name, _json_values(frame[name], spec.columns[name]))
    names = list(parts)
    return [dict(zip(names, row, strict=True)) for row in zip(*parts.values(), strict=True)]


def _check(response: httpx.Response) -> httpx.Response:
    """Raise ServiceError for a non-2xx answer, with the service's own message."""
    if response.is_success:
        return response
    try:
        body = response.json()
    except ValueError:
        body = {}
    body = body if isinstance(body, dict) else {}
    message = body.get("error") or body.get("detail") or response.text[:200]
    raise ServiceError(response.status_code, body.get("reason", "other"), str(message))


class ServiceClient:
    """Calls POST /predict, GET /model, POST /admin/reload and GET /readyz."""

    def __init__(self, base_url: str = "http://127.0.0.1:3000", timeout: float = 30.0) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=timeout)

    def predict(self, records: Sequence[Record]) -> list[Answer]:
        """Predictions for one or more records, in order."""
        answer = _check(self.http.post("/predict", json={"records": list(records)}))
        return _PREDICTIONS.validate_python(answer.json())

    def model(self) -> ModelInfo:
        """What the service is serving."""
        return ModelInfo.model_validate(_check(self.http.get("/model")).json())

    def reload(self, token: str) -> ReloadResult:
        """Ask the service to check the registry now."""
        answer = self.http.post("/admin/reload", headers={"Authorization": f"Bearer {token}"})
        return ReloadResult.model_validate(_check(answer).json())

    def ready(self) -> bool:
        """True once the service answers /readyz (model loaded)."""
        try:
            return self.http.get("/readyz").is_success
        except httpx.TransportError:
            return False

    def close(self) -> None:
        """Close the connection pool."""
        self.http.close()

    def __enter__(self) -> ServiceClient:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, err: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
