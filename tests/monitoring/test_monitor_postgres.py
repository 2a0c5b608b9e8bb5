"""The readers of the shared state on both back ends: the same rows in a SQLite file and in a
real PostgreSQL give the same window (the same seeded sample), the same live rows, the same
labels and the same monitoring decision; and the promotion log in a file or in the database."""

from __future__ import annotations

import json
import socket
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from lifecycle import store
from lifecycle.monitoring.feedback import deliver_from_source, read_labels, store_labels
from lifecycle.monitoring.live_rows import read_live_rows
from lifecycle.monitoring.monitor import monitor_window
from lifecycle.monitoring.paths import MonitorPaths
from lifecycle.monitoring.window import default_window, make_window, newest_event_time, read_window
from lifecycle.registry import Decision, append_log, read_log
from lifecycle.replay.shadowing import wait_for_shadow_rows
from lifecycle.store import PREDICTIONS, SHADOW
from tests.helpers.live_log import champion_log
from tests.helpers.params import make_params
from tests.helpers.registry import Registry

HOURS = pd.date_range("2011-06-30", "2011-07-10", freq="h", inclusive="left")
# how the service may have received the event time: 'T' or ' ', with or without an offset
FORMATS = ["%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S+02:00"]
CUT = make_window("2011-07-01T05:30", "2011-07-08T07:00")  # not at midnight: edges are cut


def answered_rows() -> list[dict[str, object]]:
    """Two records per request, one request per hour; ids in mixed case, which a locale's
    collation would sort differently from bytes."""
    return [
        {
            "request_id": f"{'aB'[i % 2]}{i:05d}",
            "row": row,
            "served_at": "2026-01-01T00:00:00+00:00",
            "event_time": when.strftime(FORMATS[i % 3]),
            "inputs": json.dumps({"temp": round(i / 240, 4), "hum": row}),
            "prediction": float(i),
            "model_name": "bike-demand",
            "model_version": "1",
            "latency_ms": 1.0,
            "row_key": f"{when:%Y-%m-%dT%H:%M:%S}",
            "variant": "canary" if i % 5 == 0 else "champion",
        }
        for i, when in enumerate(HOURS)
        for row in (0, 1)
    ]


def shadow_rows(answered: list[dict[str, object]]) -> list[dict[str, object]]:
    """The challenger's shadow predictions of every third answered record."""
    keep = ("request_id", "row", "served_at", "event_time", "model_name", "latency_ms")
    return [
        {k: r[k] for k in keep} | {"prediction": 1.5, "model_version": "2", "variant": "shadow"}
        for r in answered[::3]
    ]


def write(location: store.Location, table: sa.Table, rows: list[dict[str, object]]) -> None:
    """Insert rows as they are (the writer's own tests are tests/core/test_prediction_log*)."""
    with store.ensure(location, PREDICTIONS, SHADOW).begin() as conn:
        conn.execute(table.insert(), rows)


def both_logs(tmp_path: Path, url: str) -> tuple[Path, str]:
    """The same answered and shadow rows in a SQLite file and in PostgreSQL, in another order."""
    answered = answered_rows()
    file = tmp_path / "predictions.sqlite"
    write(file, PREDICTIONS, answered)
    write(file, SHADOW, shadow_rows(answered))
    shuffled = list(np.random.default_rng(3).permutation(answered))
    write(url, PREDICTIONS, shuffled)
    write(url, SHADOW, shadow_rows(answered)[::-1])
    return file, url


@pytest.mark.slow
def test_the_same_rows_give_the_same_window_and_sample_on_both(tmp_path: Path, pg_url: str) -> None:
    file, url = both_logs(tmp_path, pg_url)
    inside = 2 * int(HOURS.to_series().between(CUT.start, CUT.end, inclusive="left").sum())
    whole = read_window(url, CUT).frame  # read in one query; a sample's rows by their keys
    pd.testing.assert_frame_equal(whole, read_window(url, CUT, inside, seed=11).frame)
    for sample_rows in (None, 100):
        lite, pg = (read_window(log, CUT, sample_rows, seed=11) for log in (file, url))
        assert lite.logged == pg.logged == inside
        assert len(pg.frame) == (sample_rows or inside) and pg.sampled == bool(sample_rows)
        pd.testing.assert_frame_equal(lite.frame, pg.frame)
    other = read_window(url, CUT, 100, seed=12).frame
    assert set(other["request_id"]) != set(pg.frame["request_id"])  # the seed draws the sample
    assert pg.frame["event_time"].between(CUT.start, CUT.end, inclusive="left").all()
    assert newest_event_time(url) == newest_event_time(file) == HOURS[-1]
    newest_week = make_window("2011-07-03", "2011-07-10")
    assert default_window(url, 7) == default_window(file, 7) == newest_week


@pytest.mark.slow
def test_live_rows_and_shadow_counts_are_the_same_on_both(tmp_path: Path, pg_url: str) -> None:
    file, url = both_logs(tmp_path, pg_url)
    lite, pg = read_live_rows(file, CUT), read_live_rows(url, CUT)
    assert lite is not None and pg is not None
    order = ["request_id", "row"]
    for a, b in ((lite.answered, pg.answered), (lite.shadow, pg.shadow)):
        sort = (a.sort_values(order, ignore_index=True), b.sort_values(order, ignore_index=True))
        pd.testing.assert_frame_equal(*sort)
    assert set(pg.answered["variant"]) == {"champion", "canary"} and len(pg.shadow) > 0
    month = (pd.Timestamp("2011-07-01"), pd.Timestamp("2011-08-01"))
    lo, hi = (when.isoformat() for when in month)  # counted as text, as the replay counts them
    shadowed = sum(1 for r in shadow_rows(answered_rows()) if lo <= str(r["event_time"]) < hi)
    assert wait_for_shadow_rows(url, *month, answered=shadowed) == shadowed


@pytest.mark.slow
def test_labels_are_upserted_and_read_the_same_on_both(tmp_path: Path, pg_url: str) -> None:
    window = make_window("2024-03-01", "2024-03-02")
    times = pd.Series(pd.date_range("2024-03-01", periods=6, freq="h"))
    keys = pd.Series([f"o{i}" for i in range(6)])
    stores: list[store.Location] = [tmp_path / "feedback.sqlite", pg_url]
    for location in stores:
        assert read_labels(location, window).empty  # nothing delivered yet: no table
        assert store_labels(location, keys, times, pd.Series(np.arange(6.0))) == 6
        # a re-delivery corrects values, a key twice in one delivery keeps the last
        again = pd.Series(["o1", "o2", "o2"])
        assert store_labels(location, again, times[:3], pd.Series([10.0, 20.0, 21.0])) == 2
    lite, pg = (read_labels(location, window).sort_index() for location in stores)
    pd.testing.assert_series_equal(lite, pg)
    assert pg.to_dict() == {"o0": 0.0, "o1": 10.0, "o2": 21.0, "o3": 3.0, "o4": 4.0, "o5": 5.0}


@pytest.mark.slow
def test_an_empty_database_is_an_empty_window_not_an_error(pg_url: str) -> None:
    window = make_window("2011-07-01", "2011-08-01")
    got = read_window(pg_url, window)
    assert got.frame.empty and got.logged == 0
    assert newest_event_time(pg_url) is None and read_live_rows(pg_url, window) is None
    assert read_log(pg_url, "bike-demand") == []
    assert store.tables(pg_url) == set()  # reading creates nothing


def test_an_unreachable_database_is_a_clear_error_without_its_password() -> None:
    with socket.socket() as sock:  # a free port: nothing listens there
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"postgresql+psycopg://lifecycle:s3cret@127.0.0.1:{port}/lifecycle"
    window = make_window("2011-07-01", "2011-08-01")
    for read in (read_window, read_labels, read_live_rows):
        with pytest.raises(store.StoreUnavailable, match=store.SETTING) as err:
            read(url, window)
        assert "s3cret" not in str(err.value) and f"127.0.0.1:{port}" in str(err.value)


def decision(model: str, version: int) -> Decision:
    return Decision("promote", model, str(version), f"v{version} is better", None, str(version))


@pytest.fixture(params=["file", pytest.param("postgres", marks=pytest.mark.slow)])
def promotion_log(request: pytest.FixtureRequest, tmp_path: Path) -> store.Location:
    """The promotion log as a JSON-lines file, or as the database's table."""
    if request.param == "file":
        return tmp_path / "promotions.jsonl"
    return str(request.getfixturevalue("pg_url"))


def test_the_promotion_log_keeps_its_order_per_model(promotion_log: store.Location) -> None:
    assert read_log(promotion_log, "bike-demand") == []
    written = [decision("bike-demand" if i % 3 else "other", i) for i in range(1, 8)]
    for entry in written:
        append_log(promotion_log, entry)
    bikes = [d.as_dict() for d in written if d.model_name == "bike-demand"]
    assert read_log(promotion_log, "bike-demand") == bikes and len(bikes) == 5
    assert [e["version"] for e in read_log(promotion_log, "other")] == ["3", "6"]


@pytest.mark.slow
def test_monitoring_decides_the_same_on_both(
    registry: Registry, source: pd.DataFrame, tmp_path: Path, pg_url: str
) -> None:
    july = make_window("2011-07-01", "2011-08-01")
    log = champion_log(registry, source, july, tmp_path / "predictions.sqlite").path
    with store.engine(log).connect() as conn:  # the champion's rows, copied as they are
        rows = [dict(r._mapping) for r in conn.execute(sa.select(PREDICTIONS))]
    write(pg_url, PREDICTIONS, rows)
    files = MonitorPaths(log, tmp_path / "feedback.sqlite", tmp_path / "state")
    for location in (files.feedback, pg_url):
        deliver_from_source(source, registry.spec, july, location)
    params = make_params(monitor={"sample_rows": 500})  # 744 hours: a seeded sample is compared
    lite, pg = (
        monitor_window(july, registry.spec, params, registry.settings, paths).summary
        for paths in (files, replace(files, log=pg_url, feedback=pg_url))
    )
    assert pg.decision == lite.decision == "retrain" and pg.sampled
    assert pg.rows == lite.rows and pg.rows.evaluated == 500 and pg.rows.labelled == 500
    assert pg.drift_share == lite.drift_share and pg.drifted_features == lite.drifted_features
    assert pg.performance_delta == lite.performance_delta
