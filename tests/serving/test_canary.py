"""Canary: a share of client keys answered by the challenger, sticky; a bad one rolls back.

In-process (Runtime.predict, the client key bound as RequestGuard binds X-Client-Key), on the
serving tests' own registry (conftest.challengers), whose aliases these tests move.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from lifecycle.params import GuardrailParams, ParamsError, RolloutParams, load_params
from lifecycle.prediction_log import read_predictions
from lifecycle.registry import CHALLENGER, CHAMPION, current
from lifecycle.serving.batch import to_batch
from lifecycle.serving.canary import bucket, canary_rows
from lifecycle.tracking import configure
from tests.helpers.serving import counted, request, rollout_root
from tests.serving.conftest import Challengers, Start

# The altered challengers run the pandas pipeline, the champion its numpy fast path: several
# times slower, which is not what the share and logging tests are about.
LENIENT = GuardrailParams(max_p99_ratio=1e6)


@pytest.mark.ml_test_score("I6")
def test_canary_share_is_within_3_points_and_sticky_per_key(
    challengers: Challengers, start: Start, parse: Any, records: list[dict[str, Any]]
) -> None:
    keys = [f"client-{n}" for n in range(2000)]
    share = sum(bucket(k) < 0.3 for k in keys) / len(keys)  # the rule alone, on many keys
    assert abs(share - 0.3) <= 0.03, share
    challengers.point(challengers.shift)
    runtime = start(RolloutParams(canary_share=0.3, guardrails=LENIENT))
    sent = keys[:300]  # the service follows the rule, for each key, and again the same way
    first = {k: request(runtime, parse, records[n], k)["variant"] for n, k in enumerate(sent)}
    assert all((bucket(k) < 0.3) == (v == "canary") for k, v in first.items())
    assert {"champion", "canary"} == set(first.values())
    again = {k: request(runtime, parse, records[7], k)["variant"] for k in sent[:100]}
    assert again == {k: first[k] for k in sent[:100]}  # the same key, the same variant


def test_log_rows_per_variant_equal_the_answers_per_variant(
    challengers: Challengers, start: Start, parse: Any, records: list[dict[str, Any]]
) -> None:
    c = challengers
    c.point(c.shift)
    runtime = start(RolloutParams(canary_share=0.5, guardrails=LENIENT))
    answers = [request(runtime, parse, r, f"k{n}") for n, r in enumerate(records)]
    many = runtime.predict(parse(records[:50]))  # one request, no client key: row keys decide
    runtime.close()
    answers += many
    log = read_predictions(runtime.log.path)
    served = pd.Series([a["variant"] for a in answers]).value_counts().sort_index()
    assert log["variant"].value_counts().sort_index().to_dict() == served.to_dict()
    assert {"champion", "canary"} == set(served.index)
    by_variant = log.groupby("variant")["model_version"].unique()
    assert list(by_variant["canary"]) == [c.shift] and list(by_variant["champion"]) == [c.champion]
    assert {a["variant"] for a in many} == {"champion", "canary"}  # split within one request
    sent = {(a["request_id"], a["row"]): a["prediction"] for a in answers}
    keys = zip(log["request_id"], log["row"], strict=True)
    assert dict(zip(keys, log["prediction"], strict=True)) == sent


def test_without_a_client_key_the_row_key_then_the_request_decides(
    spec: Any, parse: Any, records: list[dict[str, Any]]
) -> None:
    batch = to_batch(parse(records[:200]), spec)
    chosen = canary_rows(batch, 0.5)
    assert chosen.tolist() == [n for n, key in enumerate(batch.keys) if bucket(str(key)) < 0.5]


def test_a_raising_canary_falls_back_and_is_rolled_back_in_the_registry(
    challengers: Challengers, start: Start, parse: Any, records: list[dict[str, Any]]
) -> None:
    c = challengers
    c.point(c.raising)
    guard = GuardrailParams(min_requests=20, max_error_rate=0.02)
    rollbacks = counted("canary_rollbacks", guardrail="error_rate")
    fallbacks = counted("canary_answers", outcome="fallback")
    runtime = start(RolloutParams(canary_share=0.5, guardrails=guard))
    answers = [request(runtime, parse, records[n % 300], f"u{n}") for n in range(200)]
    assert {(a["variant"], a["model_version"]) for a in answers} == {("champion", c.champion)}
    state = runtime.model_info().rollout
    assert state is not None and state.canary_share == 0 and "guardrail" in state.detail
    runtime.close()  # waits for the rollback thread
    client = configure(c.settings)
    assert current(client, c.model_name, CHALLENGER) is None
    assert str(current(client, c.model_name, CHAMPION).version) == c.champion  # type: ignore[union-attr]
    last = json.loads(c.settings.promotion_log.read_text().splitlines()[-1])
    assert (last["action"], last["stage"], last["version"]) == ("rollback", "canary", c.raising)
    assert "error rate" in last["reason"] and last["champion_after"] == c.champion
    assert counted("canary_rollbacks", guardrail="error_rate") == rollbacks + 1
    assert counted("canary_answers", outcome="fallback") - fallbacks == 20  # then it stopped
    assert len(read_predictions(runtime.log.path)) == 200  # every request answered and logged


def test_a_canary_share_outside_0_1_is_refused_naming_the_key(tmp_path: Path) -> None:
    with pytest.raises(ParamsError, match=r"rollout\.canary_share: .*less than or equal to 1"):
        load_params(rollout_root(tmp_path, canary_share=1.5) / "params.yaml")
    assert (
        load_params(rollout_root(tmp_path, canary_share=1) / "params.yaml").rollout.canary_share
        == 1
    )
