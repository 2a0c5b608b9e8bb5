"""The real thing: `bentoml serve` in a subprocess on 127.0.0.1, one server for the module."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import numpy as np
import pytest

from lifecycle.dataset import model_frame
from lifecycle.prediction_log import read_predictions
from lifecycle.serving.client import ServiceClient, ServiceError, records_from_frame
from lifecycle.settings import Settings
from lifecycle.tracking import configure, load_model
from tests.helpers.bad_inputs import GOOD, as_columns, bad_inputs, in_columns
from tests.helpers.imports import ROOT
from tests.helpers.registry import Registry
from tests.helpers.serving import ServerWithLog, start_server

pytestmark = pytest.mark.slow
LIMITS = Settings()  # the service runs with the default limits


@pytest.fixture(scope="module")
def server(registry: Registry, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerWithLog]:
    """One `bentoml serve` on the shared test registry (its champion never moves)."""
    running = start_server(tmp_path_factory.mktemp("server"), LIFECYCLE_RELOAD_SECONDS="0")
    yield running
    running.stop()


@pytest.fixture(scope="module")
def client(server: ServerWithLog) -> Iterator[ServiceClient]:
    with ServiceClient(server.url) as typed:
        yield typed


def metric(text: str, name: str, **labels: str) -> float:
    """The value of one sample in Prometheus text format (0 when absent)."""
    for line in text.splitlines():
        sample, _, value = line.rpartition(" ")
        if sample.startswith(name + "{") and all(f'{k}="{v}"' in sample for k, v in labels.items()):
            return float(value)
    return 0.0


def logged_rows(server: ServerWithLog, wanted: set[tuple]) -> set[tuple]:
    """(request_id, row, prediction) of the log, once it holds `wanted` (or after 10 s)."""
    deadline = time.monotonic() + 10  # the log writer flushes every 0.5 s
    while True:
        log = read_predictions(server.log_path)
        logged = set(log[["request_id", "row", "prediction"]].itertuples(index=False, name=None))
        if wanted <= logged or time.monotonic() > deadline:
            return logged
        time.sleep(0.25)


def test_one_record_and_a_batch(client: ServiceClient, registry: Registry) -> None:
    [one] = client.predict([GOOD])
    assert (one["model_name"], one["model_version"]) == (
        registry.model_name,
        registry.champion_version,
    )
    batch = client.predict(records_from_frame(registry.splits.test.head(100), registry.spec))
    assert [p["row"] for p in batch] == list(range(100)) and len(
        {p["request_id"] for p in batch}
    ) == 1
    assert client.model().version == registry.champion_version


def test_32_concurrent_clients_are_batched_and_never_refused(server: ServerWithLog) -> None:
    def one_client(_: int) -> list[int]:
        with httpx.Client(base_url=server.url, timeout=30) as http:
            return [http.post("/predict", json={"records": [GOOD]}).status_code for _ in range(15)]

    with ThreadPoolExecutor(32) as pool:
        statuses = [s for client in pool.map(one_client, range(32)) for s in client]
    assert statuses == [200] * 32 * 15
    text = httpx.get(f"{server.url}/metrics").text
    batches = metric(text, "bentoml_service_adaptive_batch_size_count", method_name="predict")
    singles = metric(text, "bentoml_service_adaptive_batch_size_bucket", le="1.0")
    assert batches > singles, "no two requests were ever merged into one model call"


def test_bad_input_is_refused_with_one_line_and_no_traceback(server: ServerWithLog) -> None:
    cases = bad_inputs(LIMITS.max_records, LIMITS.max_body_bytes)
    lines_before = server.text().count("rejected POST /predict")
    with httpx.Client(base_url=server.url, timeout=30) as http:
        for bad in cases:
            answer = http.post(
                "/predict", content=bad.body, headers={"content-type": bad.content_type}
            )
            assert (answer.status_code, answer.json()["reason"]) == (bad.status, bad.reason)
            assert bad.names in answer.json()["error"]
        assert http.post("/predict", json={"records": [GOOD]}).status_code == 200
    time.sleep(0.5)  # let the server's output reach the file
    assert server.text().count("rejected POST /predict") == lines_before + len(cases)
    assert "Traceback" not in server.text()


def test_bad_columns_are_refused_as_bad_records_are(server: ServerWithLog) -> None:
    cases = bad_inputs(LIMITS.max_records, LIMITS.max_body_bytes)
    lines_before = server.text().count("rejected POST /predict_columns")
    with httpx.Client(base_url=server.url, timeout=30) as http:
        for bad in cases:
            # the same records as columns; what the front door refuses unread stays as it is
            body = (as_columns(bad.body) if bad.status == 400 else None) or bad.body
            answer = http.post(
                "/predict_columns", content=body, headers={"content-type": bad.content_type}
            )
            assert (answer.status_code, answer.json()["reason"]) == (bad.status, bad.reason)
            assert in_columns(bad.names) in answer.json()["error"], bad.id
    time.sleep(0.5)  # let the server's output reach the file
    assert server.text().count("rejected POST /predict_columns") == lines_before + len(cases)
    assert "Traceback" not in server.text()


def test_columns_get_the_answers_records_get_and_are_logged(
    server: ServerWithLog, client: ServiceClient, registry: Registry
) -> None:
    records = records_from_frame(registry.splits.test.head(200), registry.spec)
    columns = {name: [r[name] for r in records] for name in records[0]}
    with httpx.Client(base_url=server.url, timeout=30) as http:
        answer = http.post("/predict_columns", json={"columns": columns})
    assert answer.status_code == 200, answer.text
    got = answer.json()
    served = client.predict(records)
    np.testing.assert_allclose(got["prediction"], [p["prediction"] for p in served], rtol=1e-9)
    assert got["model_version"] == [registry.champion_version] * 200
    assert got["variant"] == ["champion"] * 200
    ours = {(got["request_id"], row, value) for row, value in enumerate(got["prediction"])}
    assert ours <= logged_rows(server, ours)


def test_start_up_says_which_path_serves_the_model(
    server: ServerWithLog, registry: Registry
) -> None:
    said = f"model v{registry.champion_version}: serving with the numpy fast path"
    assert said in server.text()  # an INFO line: BentoML's default level would hide it


def test_typed_client_raises_with_the_service_message(client: ServiceClient) -> None:
    with pytest.raises(ServiceError) as refused:
        client.predict([{**GOOD, "hum": 1.7}])
    assert refused.value.status == 400 and "records[0].hum" in refused.value.message


def test_metrics_count_predictions_values_and_rejections(
    server: ServerWithLog, client: ServiceClient, registry: Registry
) -> None:
    client.predict([GOOD, GOOD])
    with pytest.raises(ServiceError):
        client.predict([{**GOOD, "weathersit": 5}])
    text = httpx.get(f"{server.url}/metrics").text
    version = {"model_name": registry.model_name, "model_version": registry.champion_version}
    assert metric(text, "lifecycle_predictions_total", **version) >= 2
    assert metric(text, "lifecycle_predicted_value_count", **version) >= 2
    assert metric(text, "lifecycle_predicted_value_bucket", le="+Inf", **version) >= 2
    assert metric(text, "lifecycle_rejected_requests_total", reason="out_of_range") >= 1
    assert re.search(r"^bentoml_service_request_total\{", text, re.MULTILINE)


@pytest.mark.ml_test_score("Mo3")
def test_served_equals_offline_and_every_record_is_logged(
    server: ServerWithLog, client: ServiceClient, registry: Registry
) -> None:
    test = registry.splits.test
    served = client.predict(records_from_frame(test, registry.spec))
    singles = [client.predict([r])[0] for r in records_from_frame(test.head(5), registry.spec)]
    configure(registry.settings)
    model = load_model(f"models:/{registry.model_name}/{registry.champion_version}")
    offline = model.predict(model_frame(test, registry.spec))
    np.testing.assert_allclose([p["prediction"] for p in served], offline, rtol=1e-9)
    np.testing.assert_allclose([p["prediction"] for p in singles], offline[:5], rtol=1e-9)
    ours = {(p["request_id"], p["row"], p["prediction"]) for p in [*served, *singles]}
    assert ours <= logged_rows(server, ours)


def test_make_traffic_sends_each_source_row_and_says_who_answered(
    server: ServerWithLog, registry: Registry
) -> None:
    import subprocess
    import sys

    args = ["--start", "2011-03-20", "--end", "2011-03-21", "--url", server.url]
    done = subprocess.run(
        [sys.executable, "serving/traffic.py", *args], cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    version = registry.champion_version
    assert f"sent 24 requests to {server.url}" in done.stdout
    assert f"0 failed; answered by champion v{version}: 24" in done.stdout
    down = subprocess.run(
        [sys.executable, "serving/traffic.py", *args[:4], "--url", "http://127.0.0.1:9"],
        cwd=ROOT, capture_output=True, text=True,
    )  # fmt: skip
    assert down.returncode == 1 and "/readyz: is `make serve` running?" in down.stderr
