"""The canary's guardrails and its merge: a hung canary is cut at its deadline, a much slower
one breaks the p99 guardrail, a breach seen by two batches at once stops it once, and the
answers of a split batch come back in the order the records came."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

from lifecycle.params import GuardrailParams, RolloutParams
from lifecycle.prediction_log import PredictionLog
from lifecycle.serving.batch import Batch
from lifecycle.serving.canary import Breach, Guardrails, bucket, canary_rows
from lifecycle.serving.prometheus import serving_metrics
from lifecycle.serving.schemas import Stamp
from lifecycle.serving.variants import Rollout
from tests.helpers.serving import Versions, counted, request
from tests.serving.conftest import Challengers, Start

LENIENT = GuardrailParams(max_p99_ratio=1e6)


def keys(canary: bool, count: int, share: float = 0.5) -> list[str]:
    """`count` client keys on the canary's side of `share` (or the champion's)."""
    found = (f"client-{n}" for n in range(10_000))
    return [k for k in found if (bucket(k) < share) == canary][:count]


def test_a_hung_canary_is_cut_at_its_deadline_and_the_champion_answers(
    challengers: Challengers, start: Start, parse: Any, records: list[dict[str, Any]]
) -> None:
    c = challengers
    c.point(c.sleeping)  # 0.3 s a call
    guard = GuardrailParams(
        min_requests=4, max_error_rate=0.5, max_p99_ratio=1e6, max_canary_seconds=0.05
    )
    fallbacks = counted("canary_answers", outcome="fallback")
    rollbacks = counted("canary_rollbacks", guardrail="error_rate")
    runtime = start(RolloutParams(canary_share=1.0, guardrails=guard))
    timed = []
    for n in range(6):
        begin = time.perf_counter()
        answer = request(runtime, parse, records[n], f"k{n}")
        timed.append((answer, time.perf_counter() - begin))
    assert {(a["variant"], a["model_version"]) for a, _ in timed} == {("champion", c.champion)}
    assert max(seconds for _, seconds in timed) < 0.2  # no answer waited for the 0.3 s call
    assert counted("canary_answers", outcome="fallback") - fallbacks == 4  # then it stopped
    assert counted("canary_rollbacks", guardrail="error_rate") == rollbacks + 1


def test_a_much_slower_canary_breaks_the_p99_guardrail_and_rolls_back(
    challengers: Challengers, start: Start, parse: Any, records: list[dict[str, Any]]
) -> None:
    c = challengers
    c.point(c.sleeping)
    guard = GuardrailParams(min_requests=5, max_p99_ratio=3.0, max_canary_seconds=5.0)
    rollbacks = counted("canary_rollbacks", guardrail="p99_ratio")
    runtime = start(RolloutParams(canary_share=0.5, guardrails=guard))
    for n, key in enumerate(keys(False, 30)):  # the champion's records first: its p99
        assert request(runtime, parse, records[n], key)["variant"] == "champion"
    variants = [
        request(runtime, parse, records[n], k)["variant"] for n, k in enumerate(keys(True, 8))
    ]
    assert variants == ["canary"] * 5 + ["champion"] * 3  # judged at min_requests: stopped
    runtime.close()  # waits for the rollback thread
    assert counted("canary_rollbacks", guardrail="p99_ratio") == rollbacks + 1
    last = json.loads(c.settings.promotion_log.read_text().splitlines()[-1])
    assert (last["action"], last["version"]) == ("rollback", c.sleeping)
    assert "p99" in last["reason"] and "per record" in last["reason"]


def test_latency_is_judged_per_record_not_per_model_call() -> None:
    guard = Guardrails(GuardrailParams(min_requests=5, max_p99_ratio=3.0))
    for _ in range(10):  # calls of 50 records that each waited 10 ms
        guard.champion([0.010] * 50)
    assert all(guard.canary("2", [0.020] * 2) is None for _ in range(5))  # 2x: within
    breach = guard.canary("3", [0.011] * 4 + [0.050])  # a new version: new window
    assert breach is None  # 1 call of 5 so far
    for _ in range(4):
        breach = guard.canary("3", [0.011] * 4 + [0.050])
    assert breach is not None and breach.guardrail == "p99_ratio"  # its slow fifth records


def test_a_breach_seen_by_two_batches_at_once_stops_the_canary_once(tmp_path: Any) -> None:
    class Slow(str):
        """A version whose comparison takes a while: widens any check-then-set race."""

        __hash__ = str.__hash__

        def __eq__(self, other: object) -> bool:
            time.sleep(0.01)
            return str.__eq__(self, other)

    rolled: list[str] = []
    log = PredictionLog(tmp_path / "log.sqlite")
    params = RolloutParams(canary_share=0.5)
    rollout = Rollout(params, None, log, serving_metrics(), lambda v, r: rolled.append(v))
    held = Versions().load("2")
    held = held.__class__(held.model, held.info.model_copy(update={"version": Slow("2")}))
    before = counted("canary_rollbacks", guardrail="race")
    gate = threading.Barrier(8)

    def judge() -> None:
        gate.wait()
        rollout._judged(held, Breach("race", "a test"))

    threads = [threading.Thread(target=judge) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    rollout.close()
    log.close()
    assert rolled == ["2"]
    assert counted("canary_rollbacks", guardrail="race") == before + 1


def test_a_split_batch_is_answered_in_the_records_order(
    challengers: Challengers, start: Start, parse: Any, records: list[dict[str, Any]]
) -> None:
    c = challengers
    c.point(c.shift)  # answers champion + 1: each answer says which model made it
    alone = start(RolloutParams()).predict(parse(records[:100]))
    split = start(RolloutParams(canary_share=0.5, guardrails=LENIENT)).predict(parse(records[:100]))
    assert [a["row"] for a in split] == list(range(100))
    variants = [a["variant"] for a in split]
    assert {"champion", "canary"} == set(variants)
    for mine, theirs in zip(split, alone, strict=True):
        shift = 1.0 if mine["variant"] == "canary" else 0.0
        assert mine["prediction"] == theirs["prediction"] + shift  # type: ignore[typeddict-item]


def test_without_a_client_or_row_key_the_request_id_decides() -> None:
    ids = [f"request-{n}" for n in range(400)]
    stamps = [Stamp(request_id, 0, 0.0) for request_id in ids]
    batch = Batch(stamps, [""] * 400, {}, [None] * 400)
    expected = [n for n, request_id in enumerate(ids) if bucket(request_id) < 0.5]
    assert canary_rows(batch, 0.5).tolist() == expected
    assert 100 < len(expected) < 300
    keyed = Batch([s._replace(client="one-client") for s in stamps], [""] * 400, {}, ids)
    assert len(canary_rows(keyed, 0.5)) in (0, 400)  # the client key wins over all
