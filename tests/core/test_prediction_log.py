"""The prediction log loses nothing under concurrent writers, flushes on close, never doubles a
row, and drops only the rows the database refuses (on SQLite and on PostgreSQL)."""

from __future__ import annotations

import json
import logging
import re
import threading
from pathlib import Path

import pytest
import sqlalchemy as sa

from lifecycle import store
from lifecycle.log_spill import write_spill
from lifecycle.prediction_log import (
    LoggedPrediction,
    PredictionLog,
    ShadowPrediction,
    connect,
    read_predictions,
    read_shadow,
    write_rows,
)

# SQLite: NOT NULL constraint failed; PostgreSQL: null value in column "prediction" violates...
REFUSED = r"row 0 of request (\S+) refused, NOT written: .*(NOT NULL|null value)"


def row(request: str, hour: int, prediction: float | None = 12.5) -> LoggedPrediction:
    inputs = json.dumps({"temp": 0.5, "hum": 0.4})
    return LoggedPrediction(
        request,
        0,
        "2026-01-01T00:00:00+00:00",
        f"2011-01-01T{hour:02d}:00:00",
        inputs,
        prediction,  # type: ignore[arg-type]  # None: a row the database refuses
        "m",
        "3",
        1.2,
    )


def shadow(request: str, prediction: float | None = 13.0) -> ShadowPrediction:
    return ShadowPrediction(
        request, 0, "2026-01-01T00:00:00+00:00", "2011-01-01T05:00:00",
        prediction, "m", "4", 2.0,  # type: ignore[arg-type]
    )  # fmt: skip


def test_concurrent_appends_are_all_written(location: store.Location) -> None:
    log = PredictionLog(location, batch_size=64)

    def writer(n: int) -> None:
        for i in range(500):
            log.append([row(f"{n}-{i}", i % 24)])

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    log.close()
    frame = read_predictions(location)
    assert len(frame) == 2000 and frame["request_id"].is_unique
    assert {"temp", "hum", "prediction", "model_version"} <= set(frame.columns)
    assert (log.written_rows(), log.pending_rows()) == (2000, 0)


def test_window_by_event_time(location: store.Location) -> None:
    log = PredictionLog(location)
    log.append(row(f"r{h}", h) for h in range(24))
    log.close()
    window = read_predictions(location, "2011-01-01T06:00", "2011-01-01T09:00")
    assert list(window["event_time"].dt.hour) == [6, 7, 8]


def test_missing_log_reads_as_empty(location: store.Location) -> None:
    assert read_predictions(location).empty and read_shadow(location).empty


def test_a_batch_written_twice_is_stored_once(location: store.Location) -> None:
    rows = [row("a", 1), row("b", 2), shadow("a")]
    conn = connect(location)
    try:
        write_rows(conn, rows)
        write_rows(conn, rows)  # a retry after a commit whose acknowledgement was lost
    finally:
        conn.close()
    log = PredictionLog(location)
    log.append([row("a", 1), row("c", 3)])  # the writer thread's inserts skip them too
    log.close()
    assert read_predictions(location)["request_id"].tolist() == ["a", "b", "c"]
    assert read_shadow(location)["request_id"].tolist() == ["a"]


def test_only_the_rows_the_database_refuses_are_dropped(
    location: store.Location, caplog: pytest.LogCaptureFixture
) -> None:
    answered = [row(f"ok{i}", i) for i in range(7)]
    answered[2], answered[5] = row("bad2", 2, None), row("bad5", 5, None)  # NOT NULL
    log = PredictionLog(location, batch_size=1000)
    with caplog.at_level(logging.ERROR, "lifecycle"):
        log.append([*answered, shadow("ok0"), shadow("ok1", None)])
        log.close()
    written = read_predictions(location)["request_id"].tolist()
    assert written == ["ok0", "ok1", "ok3", "ok4", "ok6"]
    assert read_shadow(location)["request_id"].tolist() == ["ok0"]
    refused = [re.search(REFUSED, r.getMessage()) for r in caplog.records]
    assert sorted(m.group(1) for m in refused if m) == ["bad2", "bad5", "ok1"]  # each logged
    assert (log.written_rows(), log.pending_rows()) == (6, 0)


def test_rows_appended_after_close_are_refused_not_lost(location: store.Location) -> None:
    log = PredictionLog(location)
    log.close()
    with pytest.raises(RuntimeError, match="after close"):
        log.append([row("late", 1)])


def test_spilled_rows_are_written_at_start_for_their_location_only(tmp_path: Path) -> None:
    here, elsewhere, spill = tmp_path / "here.sqlite", tmp_path / "other.sqlite", tmp_path / "s"
    rows = [row("a", 1), shadow("a"), row("b", 2)]
    first = write_spill(spill, here, rows)
    PredictionLog(elsewhere, spill_dir=spill).close()
    assert first.exists() and read_predictions(elsewhere).empty  # not its rows
    again = write_spill(spill, here, rows[:1])  # the same row spilled twice: written once
    log = PredictionLog(here, spill_dir=spill)
    log.close()
    assert not first.exists() and not again.exists()
    assert read_predictions(here)["request_id"].tolist() == ["a", "b"]
    assert read_shadow(here)["model_version"].tolist() == ["4"]
    assert log.written_rows() == 4  # replayed rows count as written


def test_a_file_log_is_created_with_its_folder_and_the_current_schema(tmp_path: Path) -> None:
    path = tmp_path / "new" / "state" / "p.sqlite"
    PredictionLog(path).close()
    names = set(sa.inspect(store.engine(path)).get_table_names())
    assert {"predictions", "shadow_predictions"} <= names
