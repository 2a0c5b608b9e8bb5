"""The prediction log's `predicted_label` column: written for classifiers, added to old logs."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from lifecycle.prediction_log import TABLE, LoggedPrediction, PredictionLog, read_predictions

# The table as the service wrote it before classifiers were served (no predicted_label).
OLD_SCHEMA = f"""
CREATE TABLE {TABLE} (
    request_id TEXT NOT NULL, row INTEGER NOT NULL, served_at TEXT NOT NULL,
    event_time TEXT NOT NULL, inputs TEXT NOT NULL, prediction REAL NOT NULL,
    model_name TEXT NOT NULL, model_version TEXT NOT NULL, latency_ms REAL NOT NULL,
    PRIMARY KEY (request_id, row)
);
"""


def row(request_id: str, prediction: float, label: int | None) -> LoggedPrediction:
    return LoggedPrediction(
        request_id=request_id,
        row=0,
        served_at="2024-05-01T00:00:00+00:00",
        event_time="2024-05-01T08:00:00",
        inputs='{"event_time": "2024-05-01T08:00:00", "orders": 12.0}',
        prediction=prediction,
        model_name="m",
        model_version="1",
        latency_ms=1.0,
        predicted_label=label,
    )


def test_an_old_log_stays_readable_and_gains_the_label_column(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    with sqlite3.connect(path) as conn:
        conn.executescript(OLD_SCHEMA)
        conn.execute(
            f"INSERT INTO {TABLE} VALUES ('old', 0, 's', '2024-05-01T07:00:00', "
            "'{\"orders\": 3.0}', 41.5, 'm', '1', 2.0)"
        )
    log = PredictionLog(path)  # opening it migrates it
    log.append([row("new", 0.83, 1)])
    log.close()
    frame = read_predictions(path)
    assert frame["request_id"].tolist() == ["old", "new"]
    assert frame["prediction"].tolist() == [41.5, 0.83]
    assert frame["predicted_label"].isna().tolist() == [True, False]
    assert frame["predicted_label"].iloc[1] == 1 and frame["orders"].tolist() == [3.0, 12.0]


def test_a_regression_row_has_no_label(tmp_path: Path) -> None:
    log = PredictionLog(tmp_path / "p.sqlite")
    log.append([row("r", 120.0, None)])
    log.close()
    assert read_predictions(tmp_path / "p.sqlite")["predicted_label"].isna().all()
