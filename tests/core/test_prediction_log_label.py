"""The prediction log's later columns: `predicted_label` written for classifiers, and a log of
the first release (no predicted_label, row_key or variant) migrated in place, rows kept."""

from __future__ import annotations

import sqlalchemy as sa

from lifecycle import store
from lifecycle.prediction_log import TABLE, LoggedPrediction, PredictionLog, read_predictions

# The table as the first release wrote it (before classifiers, row keys and rollouts).
OLD_SCHEMA = [
    f"""CREATE TABLE {TABLE} (
    request_id TEXT NOT NULL, row INTEGER NOT NULL, served_at TEXT NOT NULL,
    event_time TEXT NOT NULL, inputs TEXT NOT NULL, prediction REAL NOT NULL,
    model_name TEXT NOT NULL, model_version TEXT NOT NULL, latency_ms REAL NOT NULL,
    PRIMARY KEY (request_id, row)
)""",
    f"CREATE INDEX {TABLE}_event_time ON {TABLE} (event_time)",
    f"INSERT INTO {TABLE} VALUES ('old', 0, 's', '2024-05-01T07:00:00', "
    "'{\"orders\": 3.0}', 41.5, 'm', '1', 2.0)",
]


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
        row_key="k1",
    )


def test_an_old_log_is_migrated_in_place_and_keeps_its_rows(location: store.Location) -> None:
    with store.engine(location).begin() as conn:
        for statement in OLD_SCHEMA:
            conn.execute(sa.text(statement))
    log = PredictionLog(location)  # opening it migrates it
    log.append([row("new", 0.83, 1)])
    log.close()
    frame = read_predictions(location)
    assert frame["request_id"].tolist() == ["old", "new"]
    assert frame["prediction"].tolist() == [41.5, 0.83]
    assert frame["predicted_label"].isna().tolist() == [True, False]
    assert frame["predicted_label"].iloc[1] == 1 and frame["orders"].tolist() == [3.0, 12.0]
    assert frame["row_key"].isna().tolist() == [True, False] and frame["row_key"].iloc[1] == "k1"
    assert frame["variant"].isna().tolist() == [True, False]  # NULL: logged before rollouts
    assert frame["variant"].iloc[1] == "champion"
    indexes = {i["name"] for i in sa.inspect(store.engine(location)).get_indexes(TABLE)}
    assert indexes == {"predictions_event_time"}  # the old one kept, none added twice


def test_a_regression_row_has_no_label(location: store.Location) -> None:
    log = PredictionLog(location)
    log.append([row("r", 120.0, None)])
    log.close()
    assert read_predictions(location)["predicted_label"].isna().all()
