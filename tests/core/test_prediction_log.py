"""The prediction log loses nothing under concurrent writers and flushes on close."""

import json
import threading
from pathlib import Path

from lifecycle.prediction_log import LoggedPrediction, PredictionLog, read_predictions


def row(request: str, hour: int) -> LoggedPrediction:
    inputs = json.dumps({"temp": 0.5, "hum": 0.4})
    return LoggedPrediction(
        request,
        0,
        "2026-01-01T00:00:00+00:00",
        f"2011-01-01T{hour:02d}:00:00",
        inputs,
        12.5,
        "m",
        "3",
        1.2,
    )


def test_concurrent_appends_are_all_written(tmp_path: Path) -> None:
    log = PredictionLog(tmp_path / "p.sqlite", batch_size=64)

    def writer(n: int) -> None:
        for i in range(500):
            log.append([row(f"{n}-{i}", i % 24)])

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    log.close()
    frame = read_predictions(tmp_path / "p.sqlite")
    assert len(frame) == 2000 and frame["request_id"].is_unique
    assert {"temp", "hum", "prediction", "model_version"} <= set(frame.columns)


def test_window_by_event_time(tmp_path: Path) -> None:
    log = PredictionLog(tmp_path / "p.sqlite")
    log.append(row(f"r{h}", h) for h in range(24))
    log.close()
    window = read_predictions(tmp_path / "p.sqlite", "2011-01-01T06:00", "2011-01-01T09:00")
    assert list(window["event_time"].dt.hour) == [6, 7, 8]


def test_missing_log_reads_as_empty(tmp_path: Path) -> None:
    assert read_predictions(tmp_path / "nothing.sqlite").empty
