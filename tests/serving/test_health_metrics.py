"""The metrics the alert rules read besides requests, in-process: the version each process
serves (lifecycle_served_model_info), and the prediction log's backlog and written rows."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from lifecycle.params import RolloutParams
from lifecycle.prediction_log import LoggedPrediction, PredictionLog
from lifecycle.serving.champion import Champion
from lifecycle.serving.prometheus import LogGauges, serving_metrics
from lifecycle.serving.runtime import Runtime
from tests.helpers.postgres import Postgres, own_postgres  # noqa: F401 (fixture)
from tests.serving.fakes import Pair, as_version

INFO = "lifecycle_served_model_info"
PENDING = "lifecycle_prediction_log_pending_rows"
WRITTEN = "lifecycle_prediction_log_written_rows_total"


class Moving(Pair):
    """A source whose champion the test moves (`version`), with no challenger."""

    def __init__(self, champion: Champion, **others: Champion) -> None:
        super().__init__(champion, **others)
        self.alias, self.version = None, "1"

    def latest(self) -> str:
        """The version the test set last."""
        return self.version


def value(name: str, **labels: str) -> float | None:
    """A sample of this process's registry (None: no such series)."""
    from prometheus_client import REGISTRY

    return REGISTRY.get_sample_value(name, labels)


def rows(request: str, n: int) -> list[LoggedPrediction]:
    """`n` logged predictions of one request."""
    stamp = "2026-01-01T00:00:00+00:00"
    return [LoggedPrediction(request, i, stamp, stamp, "{}", 1.0, "m", "1", 0.1) for i in range(n)]


def wait_for(condition: Callable[[], bool], seconds: float = 60) -> None:
    """Poll until `condition()` holds; fail after `seconds`."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


def test_served_model_info_is_1_for_the_champion_and_moves_on_a_reload(
    start_pair: Callable[..., Runtime], champion: Any
) -> None:
    source = Moving(
        as_version(champion.model, champion, "1"),
        **{"2": as_version(champion.model, champion, "2")},
    )
    runtime = start_pair(source, RolloutParams())
    name = champion.info.name
    assert value(INFO, model_name=name, version="1") == 1
    source.version = "2"
    assert runtime.reload(timeout=10).reloaded
    assert value(INFO, model_name=name, version="2") == 1
    assert value(INFO, model_name=name, version="1") == 0  # kept at 0: count by version sees 1
    assert not runtime.reload(timeout=10).reloaded  # a check that changes nothing
    assert value(INFO, model_name=name, version="2") == 1


def test_log_gauges_count_every_row_written_and_end_with_no_backlog(tmp_path: Path) -> None:
    log = PredictionLog(tmp_path / "log.sqlite")
    before = value(WRITTEN) or 0.0
    gauges = LogGauges(log, serving_metrics(), seconds=0.05).start()
    for n in range(5):
        log.append(rows(f"r{n}", 60))
    wait_for(lambda: (value(WRITTEN) or 0.0) - before == 300)
    wait_for(lambda: value(PENDING) == 0)
    log.close()
    gauges.stop()
    assert (value(WRITTEN) or 0.0) - before == 300 and value(PENDING) == 0


@pytest.mark.slow
def test_log_gauges_show_the_backlog_of_a_database_outage_until_it_is_written(
    own_postgres: Postgres,  # noqa: F811 (the fixture imported above)
) -> None:
    log = PredictionLog(own_postgres.create_database())
    gauges = LogGauges(log, serving_metrics(), seconds=0.05).start()
    try:
        before = value(WRITTEN) or 0.0
        own_postgres.stop()
        log.append(rows("outage", 250))
        wait_for(lambda: value(PENDING) == 250)  # held, not lost: the alert's backlog
        assert (value(WRITTEN) or 0.0) == before
        own_postgres.start()
        wait_for(lambda: value(PENDING) == 0)
        assert (value(WRITTEN) or 0.0) - before == 250
    finally:
        log.close()
        gauges.stop()
