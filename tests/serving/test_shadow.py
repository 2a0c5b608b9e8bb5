"""Shadow: the challenger predicts every answered record off the answer path, in-process.

The answers are the champion's, byte for byte, whatever the challenger does (answers, raises,
sleeps); its predictions land in the log's shadow table; reload follows the `challenger` alias.
"""

from __future__ import annotations

import json
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pytest

from lifecycle.params import RolloutParams
from lifecycle.prediction_log import read_predictions, read_shadow
from lifecycle.serving.prometheus import ServingMetrics, serving_metrics
from lifecycle.serving.runtime import Runtime
from lifecycle.serving.variants import start_rollout
from tests.helpers.serving import Versions, counted, request
from tests.serving.conftest import Challengers, Start

SHADOW = RolloutParams(shadow=True)
REQUESTS, CLIENTS = 300, 8


def load(runtime: Runtime, parse: Any, records: list[dict[str, Any]]) -> list[tuple[Any, float]]:
    """Every record as its own request, from CLIENTS threads: (answer, seconds) in order."""

    def one(record: dict[str, Any]) -> tuple[Any, float]:
        begin = time.perf_counter()
        answer = request(runtime, parse, record)
        return answer, time.perf_counter() - begin

    with ThreadPoolExecutor(CLIENTS) as pool:
        return list(pool.map(one, records))


def without_ids(answers: list[tuple[Any, float]]) -> list[bytes]:
    """Each answer as JSON bytes, without its (random) request id."""
    return [
        json.dumps({k: v for k, v in a.items() if k != "request_id"}).encode() for a, _ in answers
    ]


def test_shadow_answers_equal_champion_only_answers_byte_for_byte(
    challengers: Challengers, start: Start, parse: Any, records: list[dict[str, Any]]
) -> None:
    challengers.point(challengers.shift)
    alone = start(RolloutParams())
    expected = without_ids(load(alone, parse, records))
    alone.close()
    dropped = counted("shadow_predictions", outcome="dropped")
    shadowed = start(SHADOW)
    assert shadowed.model_info().rollout.challenger == challengers.shift  # type: ignore[union-attr]
    served = load(shadowed, parse, records)
    shadowed.close()  # drains the shadow queue, then the log
    assert without_ids(served) == expected
    answered = read_predictions(shadowed.log.path)
    shadow = read_shadow(shadowed.log.path)
    lost = counted("shadow_predictions", outcome="dropped") - dropped
    assert len(answered) == REQUESTS and len(shadow) + lost == REQUESTS
    assert set(shadow["model_version"]) == {challengers.shift}
    joined = answered.merge(shadow, on=["request_id", "row"], suffixes=("", "_shadow"))
    assert len(joined) == len(shadow)  # every shadow row is an answered record
    np.testing.assert_allclose(joined["prediction_shadow"], joined["prediction"] + 1.0)
    assert set(answered["variant"]) == {"champion"}


@pytest.mark.parametrize("mode", ["raising", "sleeping"])
def test_a_raising_or_sleeping_challenger_changes_no_answer(
    challengers: Challengers,
    start: Start,
    parse: Any,
    records: list[dict[str, Any]],
    mode: str,
) -> None:
    challengers.point(getattr(challengers, mode))
    expected = without_ids(load(start(RolloutParams()), parse, records[:100]))
    outcome = "failed" if mode == "raising" else "dropped"
    before = counted("shadow_predictions", outcome=outcome)
    served = load(start(SHADOW), parse, records[:100])
    assert without_ids(served) == expected
    # the sleeping challenger takes 0.3 s a call: no answer waited for it
    assert max(seconds for _, seconds in served) < 0.25
    assert counted("shadow_predictions", outcome=outcome) > before


def test_reload_follows_the_challenger_alias(
    challengers: Challengers,
    start: Start,
    parse: Any,
    records: list[dict[str, Any]],
    caplog: pytest.LogCaptureFixture,
) -> None:
    c = challengers
    c.point(None)
    runtime = start(SHADOW)

    def held_after_reload() -> str | None:
        runtime.reload(timeout=10)
        state = runtime.model_info().rollout
        assert state is not None
        return state.challenger

    assert held_after_reload() is None  # no alias: idle
    c.point(c.shift)
    assert held_after_reload() == c.shift  # set: shadowed
    c.point(None)
    assert held_after_reload() is None  # removed: not shadowed
    c.point(c.champion)
    assert held_after_reload() is None  # the challenger is the champion
    refused = counted("challenger_refused")
    c.point(c.schema)
    with caplog.at_level(logging.WARNING, logger="lifecycle.serving"):
        assert held_after_reload() is None
    assert counted("challenger_refused") == refused + 1
    assert f"challenger v{c.schema} refused" in caplog.text and "reads columns" in caplog.text
    c.point(c.shift)
    assert held_after_reload() == c.shift
    c.point(None, champion=c.shift)  # the challenger promoted, its alias removed
    assert held_after_reload() is None and runtime.served.current.info.version == c.shift
    assert request(runtime, parse, records[0])["model_version"] == c.shift


def test_a_source_without_a_challenger_leaves_rollout_off(
    caplog: pytest.LogCaptureFixture, tmp_path: Any
) -> None:
    from lifecycle.prediction_log import PredictionLog

    metrics: ServingMetrics = serving_metrics()
    log = PredictionLog(tmp_path / "log.sqlite")
    with caplog.at_level(logging.INFO, logger="lifecycle.serving"):
        rollout = start_rollout(RolloutParams(shadow=True), Versions(), log, metrics)
    log.close()
    assert rollout.challenger is None and "holds no challenger" in caplog.text
    assert "holds no challenger" in rollout.state(Versions().load("1")).detail
