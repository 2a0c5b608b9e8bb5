"""Shadow and canary under a real `bentoml serve` (two workers): the X-Client-Key header keeps
a client on one variant in every worker, and each answer, log row and shadow row says which."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from lifecycle.prediction_log import read_predictions, read_shadow
from tests.helpers.serving import rollout_root, start_server
from tests.serving.conftest import Challengers

pytestmark = pytest.mark.slow
KEYS, ROUNDS = 60, 3


def test_canary_and_shadow_under_bentoml_serve(
    challengers: Challengers, records: list[dict[str, Any]], tmp_path: Path
) -> None:
    c = challengers
    c.point(c.shift)
    root = rollout_root(tmp_path, shadow=True, canary_share=0.5)
    server = start_server(
        tmp_path,
        LIFECYCLE_ROOT=str(root),
        LIFECYCLE_STATE_DIR=str(c.settings.state),
        LIFECYCLE_RELOAD_SECONDS="0",
        LIFECYCLE_SERVE_WORKERS="2",
    )

    def send(n: int) -> tuple[str, dict[str, Any]]:
        key = f"client-{n % KEYS}"
        with httpx.Client(base_url=server.url, timeout=30) as http:  # a new connection each:
            answer = http.post(  # the requests of one key reach both workers
                "/predict", json={"records": [records[n % 300]]}, headers={"X-Client-Key": key}
            )
        assert answer.status_code == 200, answer.text
        return key, answer.json()[0]

    def send_columns(n: int) -> tuple[str, list[str]]:
        """Two records as columns (POST /predict_columns): the variants of both."""
        key, two = f"client-{n}", records[n : n + 2]
        columns = {name: [r[name] for r in two] for name in two[0]}
        with httpx.Client(base_url=server.url, timeout=30) as http:
            answer = http.post(
                "/predict_columns", json={"columns": columns}, headers={"X-Client-Key": key}
            )
        assert answer.status_code == 200, answer.text
        return key, answer.json()["variant"]

    try:
        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(send, range(KEYS * ROUNDS)))
            by_columns = list(pool.map(send_columns, range(KEYS)))
        info = httpx.get(f"{server.url}/model", timeout=10).json()
    finally:
        assert server.stop() == 0
    variants: dict[str, set[str]] = {}
    for key, answer in answers:
        variants.setdefault(key, set()).add(answer["variant"])
        expected = c.shift if answer["variant"] == "canary" else c.champion
        assert answer["model_version"] == expected
    assert all(len(seen) == 1 for seen in variants.values()), "a key changed variant"
    assert {key: set(said) for key, said in by_columns} == variants  # the same, as columns
    assert {v for seen in variants.values() for v in seen} == {"champion", "canary"}
    rollout = info["rollout"]
    assert (rollout["challenger"], rollout["shadow"], rollout["canary_share"]) == (
        c.shift,
        True,
        0.5,
    )
    log, shadow = read_predictions(server.log_path), read_shadow(server.log_path)
    column_answers = [{"variant": v} for _, said in by_columns for v in said]
    counts = _counts([*(a for _, a in answers), *column_answers])
    assert log["variant"].value_counts().to_dict() == counts
    champion_rows = log[log["variant"] == "champion"][["request_id", "row"]]
    assert len(shadow) == len(champion_rows)  # no drop at this load
    assert set(shadow["request_id"]) == set(champion_rows["request_id"])


def _counts(answers: list[dict[str, Any]]) -> dict[str, int]:
    out: dict[str, int] = {}
    for answer in answers:
        out[answer["variant"]] = out.get(answer["variant"], 0) + 1
    return out
