"""A challenger that answers malformed (wrong length or shape, NaN) costs nothing but its own
answers: the canary falls back for its records, the shadow counts a failure and goes on, and
neither its answers nor its log rows can take the champion's answered rows down."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from lifecycle.params import GuardrailParams, RolloutParams
from lifecycle.prediction_log import (
    LoggedPrediction,
    PredictionLog,
    ShadowPrediction,
    connect,
    read_predictions,
    read_shadow,
    write_rows,
)
from lifecycle.serving.batch import to_batch
from lifecycle.serving.canary import canary_rows
from lifecycle.serving.champion import Champion
from lifecycle.serving.prometheus import serving_metrics
from lifecycle.serving.runtime import Runtime
from lifecycle.serving.shadow import Shadow
from tests.helpers.registry import Altered
from tests.helpers.serving import counted, request
from tests.serving.fakes import Broken, Pair, as_version

MODES = ["short", "nan", "wide"]
STRICT = GuardrailParams(min_requests=1, max_error_rate=0.0, max_p99_ratio=1e6)


def pair(champion: Champion, challenger: Any) -> Pair:
    """Champion v1 (fast path), `challenger` as v2."""
    return Pair(as_version(champion.model, champion, "1", fast=True), **{"2": challenger})


@pytest.mark.parametrize("mode", MODES)
def test_a_malformed_canary_falls_back_and_is_rolled_back(
    mode: str,
    champion: Champion,
    start_pair: Callable[..., Runtime],
    spec: Any,
    parse: Any,
    records: list[dict[str, Any]],
) -> None:
    source = pair(champion, as_version(Broken(champion.model, mode), champion, "2"))
    name = champion.info.name
    fallbacks = counted("canary_answers", outcome="fallback")
    served = counted("predictions", model_name=name, model_version="2")
    runtime = start_pair(source, RolloutParams(canary_share=0.5, guardrails=STRICT))
    answers = runtime.predict(parse(records[:50]))  # no client key: the row keys split it
    chosen = canary_rows(to_batch(parse(records[:50]), spec), 0.5)
    assert 0 < len(chosen) < 50
    assert [a["row"] for a in answers] == list(range(50))
    assert {(a["variant"], a["model_version"]) for a in answers} == {("champion", "1")}
    state = runtime.model_info().rollout
    assert state is not None and state.canary_share == 0  # one failed call: stopped
    runtime.close()
    assert [v for v, _ in source.rolled_back] == ["2"]
    assert counted("canary_answers", outcome="fallback") - fallbacks == len(chosen)
    assert counted("predictions", model_name=name, model_version="2") == served  # none served
    log = read_predictions(runtime.log.path)
    assert len(log) == 50 and set(log["variant"]) == {"champion"}


@pytest.mark.parametrize("mode", MODES)
def test_a_malformed_shadow_answer_fails_alone_and_the_shadow_goes_on(
    mode: str,
    champion: Champion,
    start_pair: Callable[..., Runtime],
    parse: Any,
    records: list[dict[str, Any]],
) -> None:
    once = as_version(Broken(champion.model, mode, until=1), champion, "2")  # then fine
    failed = counted("shadow_predictions", outcome="failed")
    runtime = start_pair(pair(champion, once), RolloutParams(shadow=True))
    for record in records[:3]:
        request(runtime, parse, record)
        time.sleep(0.05)  # one shadow batch per request
    begin = time.perf_counter()
    runtime.close()
    assert time.perf_counter() - begin < 5  # the shadow thread was alive to finish its queue
    assert counted("shadow_predictions", outcome="failed") - failed == 1
    answered, shadow = read_predictions(runtime.log.path), read_shadow(runtime.log.path)
    assert len(answered) == 3  # the bad shadow row cost no answered row
    assert len(shadow) == 2 and set(shadow["request_id"]) < set(answered["request_id"])


def test_a_bad_shadow_row_costs_no_answered_row_in_the_same_write(tmp_path: Path) -> None:
    path = tmp_path / "log.sqlite"
    times = ("2024-05-01T00:00:00+00:00", "2024-05-01T00:00:00")
    good = LoggedPrediction("r1", 0, *times, "{}", 1.5, "m", "1", 2.0)
    bad = ShadowPrediction("r1", 0, *times, float("nan"), "m", "2", 2.0)  # NaN: NULL in SQLite
    conn = connect(path)
    write_rows(conn, [good, bad])
    conn.close()
    assert read_predictions(path)["prediction"].tolist() == [1.5]
    assert read_shadow(path).empty


def test_a_stuck_shadow_is_abandoned_at_close_and_writes_nothing_later(
    champion: Champion, spec: Any, parse: Any, records: list[dict[str, Any]], tmp_path: Path
) -> None:
    log = PredictionLog(tmp_path / "log.sqlite")
    shadow = Shadow(log, serving_metrics())
    slow = as_version(Altered(champion.model, "sleep", 0.5), champion, "2")
    batch = to_batch(parse(records[:10]), spec)
    abandoned = counted("shadow_predictions", outcome="abandoned")
    for _ in range(4):
        shadow.submit(slow, batch)
    begin = time.perf_counter()
    shadow.close(timeout=0.2)
    assert time.perf_counter() - begin < 0.5
    log.close()
    time.sleep(1.0)  # the call in flight returns after close: it must not log, only count
    assert counted("shadow_predictions", outcome="abandoned") - abandoned == 40
    assert read_shadow(log.path).empty
