"""Prediction logs with a live stage, for tests: the champion's real answers (replayed through
the registry's model), plus shadow predictions of a challenger or canary answers, written as
the service writes them (lifecycle.prediction_log); and a registry whose challenger waits."""

from __future__ import annotations

import shutil
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import sqlalchemy as sa

from lifecycle.dataset import EVENT_TIME
from lifecycle.monitoring.simulate import period_rows, replay
from lifecycle.monitoring.window import Window
from lifecycle.prediction_log import ShadowPrediction, connect, write_rows
from lifecycle.settings import Settings
from lifecycle.store import PREDICTIONS
from tests.helpers.registry import Registry, state_env


@dataclass(frozen=True)
class ChampionLog:
    """A log of the champion's answers for a window, and those rows with their true labels."""

    path: Path
    rows: pd.DataFrame  # request_id, row, event_time (Timestamp), prediction, model_version, y

    def copy(self, to: Path) -> Path:
        """A copy of the log to add live rows to (the original stays champion-only)."""
        to.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(self.path, to)
        return to


def champion_log(
    registry: Registry, source: pd.DataFrame, window: Window, path: Path
) -> ChampionLog:
    """Replay the window's source rows through the champion into a new log at `path`."""
    from lifecycle.tracking import configure, load_model

    configure(registry.settings)
    model = load_model(f"models:/{registry.model_name}/{registry.champion_version}")
    period = period_rows(source, window)
    replay(period, registry.spec, model, (registry.model_name, registry.champion_version), path)
    with sqlite3.connect(path) as conn:
        query = "SELECT request_id, row, event_time, prediction, model_version FROM predictions"
        rows = pd.read_sql_query(query + " ORDER BY event_time", conn)
    rows[EVENT_TIME] = pd.to_datetime(rows[EVENT_TIME])
    truth = period.set_index(EVENT_TIME)[registry.spec.target]
    rows["y"] = rows[EVENT_TIME].map(truth).astype(float)
    return ChampionLog(path, rows)


def write_shadow(path: Path, rows: pd.DataFrame, predictions: np.ndarray, version: str) -> None:
    """The challenger `version`'s shadow predictions for `rows` (answered rows of the log)."""
    shadow = [
        ShadowPrediction(
            request_id=str(r.request_id),
            row=int(r.row),
            served_at="2026-01-01T00:00:00+00:00",
            event_time=f"{r.event_time:%Y-%m-%dT%H:%M:%S}",
            prediction=float(p),
            model_name="bike-demand",
            model_version=version,
            latency_ms=1.0,
        )
        for r, p in zip(rows.itertuples(), predictions, strict=True)
    ]
    conn = connect(path)
    try:
        write_rows(conn, shadow)
    finally:
        conn.close()


def make_canary(path: Path, rows: pd.DataFrame, predictions: np.ndarray, version: str) -> None:
    """Turn answered `rows` of the log into a canary's answers: variant canary, `version`,
    `predictions` (the inputs stay the records' own, as the service logs them)."""
    update = (
        sa.update(PREDICTIONS)
        .where(
            PREDICTIONS.c.request_id == sa.bindparam("r"), PREDICTIONS.c.row == sa.bindparam("n")
        )
        .values(variant="canary", model_version=sa.bindparam("v"), prediction=sa.bindparam("p"))
    )
    changes = [
        {"r": str(r.request_id), "n": int(r.row), "v": version, "p": float(p)}
        for r, p in zip(rows.itertuples(), predictions, strict=True)
    ]
    with connect(path) as conn:  # connect: the log gains the variant column if it lacks it
        conn.execute(update, changes)
        conn.commit()


def waiting_registry(state: Path, name: str, action: str = "shadow") -> Settings:
    """A fresh MLflow store: `name` v1 champion, v2 challenger tagged gate.action=`action`
    (shadow: it waits for live evidence). The versions hold no model: the live gates only
    move aliases and write tags. Call `configure` on the suite's registry afterwards."""
    from lifecycle.registry import CHALLENGER, CHAMPION
    from lifecycle.tracking import configure

    source = state / "no-model"
    source.mkdir(parents=True, exist_ok=True)
    with state_env(state) as settings:
        client = configure(settings)
        client.create_registered_model(name)
        for _ in range(2):
            client.create_model_version(name, source=str(source), run_id=None)
        client.set_registered_model_alias(name, CHAMPION, "1")
        client.set_registered_model_alias(name, CHALLENGER, "2")
        client.set_model_version_tag(name, "2", "gate.action", action)
    return settings
