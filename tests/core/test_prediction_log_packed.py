"""The service's packed rows (one per model call) read exactly as one row per record: every
reader expands them first, any number at once, each record stored once; the writer expands them
when idle and at close; a refused record costs only itself; a spill keeps them like any row."""

from __future__ import annotations

import logging
import math
import re
import threading
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from lifecycle import prediction_log, store
from lifecycle.log_packing import expand, pack, unpack
from lifecycle.log_spill import write_spill
from lifecycle.prediction_log import PackedPredictions, PredictionLog, connect, write_rows
from lifecycle.prediction_log import read_predictions as read

REFUSED = r"row (\d+) of request (\S+) refused, NOT written"


def packed(request: str, n: int, prediction: float = 1.5, variant: str = "champion") -> Any:
    """A model call of `n` records of one request, packed as the service packs it."""
    hours = [f"2011-01-01T{h % 24:02d}:00:00" for h in range(n)]
    columns = {
        "request_id": [request] * n,
        "row": list(range(n)),
        "received": [100.0 + i / 1000 for i in range(n)],
        "event_time": hours,
        "prediction": [prediction + i for i in range(n)],
        "predicted_label": None,
        "row_key": hours,
        "done": 100.5,
        "inputs": {
            "event_time": hours,
            "temp": [(0.5, math.nan)[i % 2] for i in range(n)],
            "city": ["a,b"] * n,
        },
    }
    return pack(columns, "2026-01-01T00:00:00+00:00", ("m", "3"), variant)


def raw(location: store.Location, table: str = "predictions") -> list[tuple[Any, ...]]:
    """Every row of a table as the database holds it, without expanding anything."""
    with store.engine(location).connect() as conn:
        return [tuple(r) for r in conn.execute(sa.text(f"SELECT * FROM {table}"))]


def test_a_packed_row_reads_as_its_records(location: store.Location) -> None:
    batch = packed("r", 3)
    conn = connect(location)
    write_rows(conn, [batch])
    conn.close()
    frame = read(location)
    assert frame["row"].tolist() == [0, 1, 2] and frame["prediction"].tolist() == [1.5, 2.5, 3.5]
    assert frame["latency_ms"].tolist() == [500.0, 499.0, 498.0]
    assert (frame["city"] == "a,b").all() and frame["variant"].eq("champion").all()
    assert raw(location, "prediction_batches") == []  # moved, not copied
    texts = sorted(r[4] for r in raw(location))
    assert texts == sorted(r.inputs for r in expand(batch))
    assert texts[:2] == [
        '{"event_time":"2011-01-01T00:00:00","temp":0.5,"city":"a,b"}',
        '{"event_time":"2011-01-01T01:00:00","temp":null,"city":"a,b"}',
    ]


def test_unpacking_is_idempotent_and_a_retried_packed_row_is_stored_once(
    location: store.Location,
) -> None:
    batch = packed("r", 4)
    conn = connect(location)
    write_rows(conn, [batch])
    assert unpack(location) == 4 and unpack(location) == 0
    write_rows(conn, [batch])  # written again after its acknowledgement was lost
    conn.close()
    assert len(read(location)) == 4 and raw(location, "prediction_batches") == []


def test_readers_unpacking_at_once_while_a_service_writes_store_each_record_once(
    location: store.Location,
) -> None:
    log = PredictionLog(location, flush_seconds=0.05)
    done, seen = threading.Event(), []

    def reader() -> None:
        while not done.is_set():
            seen.append(len(read(location)))

    readers = [threading.Thread(target=reader) for _ in range(3)]
    for thread in readers:
        thread.start()
    for i in range(60):
        log.append([packed(f"r{i}", 50)])
    log.close()
    done.set()
    for thread in readers:
        thread.join()
    frame = read(location)
    assert len(frame) == 3000 and not frame.duplicated(["request_id", "row"]).any()
    assert seen == sorted(seen)  # a reader never saw records vanish
    assert (log.written_rows(), log.pending_rows()) == (3000, 0)


def test_only_the_refused_record_of_a_packed_row_is_dropped(
    location: store.Location, caplog: pytest.LogCaptureFixture
) -> None:
    bad = packed("bad", 3)
    columns = bad.columns.replace('"prediction":[1.5,', '"prediction":[null,')
    conn = connect(location)
    write_rows(conn, [packed("ok", 2), PackedPredictions(**{**vars(bad), "columns": columns})])
    conn.close()
    with caplog.at_level(logging.ERROR, "lifecycle"):
        frame = read(location)
    assert sorted(zip(frame["request_id"], frame["row"], strict=True)) == [
        ("bad", 1), ("bad", 2), ("ok", 0), ("ok", 1),
    ]  # fmt: skip
    refused = [re.search(REFUSED, r.getMessage()) for r in caplog.records]
    assert [m.groups() for m in refused if m] == [("0", "bad")]
    assert raw(location, "prediction_batches") == []  # not retried forever


def test_the_writer_unpacks_when_idle_and_at_close(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(prediction_log, "IDLE_SECONDS", 0.2)
    location = tmp_path / "p.sqlite"
    log = PredictionLog(location, flush_seconds=0.05)
    log.append([packed("idle", 5)])
    deadline = threading.Event()
    for _ in range(100):  # up to 10 s: no reader calls unpack here
        if len(raw(location)) == 5:
            break
        deadline.wait(0.1)
    assert len(raw(location)) == 5
    log.append([packed("last", 2)])
    log.close()
    assert len(raw(location)) == 7 and raw(location, "prediction_batches") == []
    at_once = PredictionLog(tmp_path / "q.sqlite")  # appended and closed in one breath
    at_once.append([packed("only", 3)])
    at_once.close()
    assert len(raw(tmp_path / "q.sqlite")) == 3


def test_spilled_packed_rows_are_written_at_the_next_start(tmp_path: Path) -> None:
    here, spill = tmp_path / "here.sqlite", tmp_path / "spill"
    write_spill(spill, here, [packed("a", 3)])
    log = PredictionLog(here, spill_dir=spill)
    log.close()
    assert read(here)["request_id"].tolist() == ["a"] * 3
    assert log.written_rows() == 3  # records, not packed rows
