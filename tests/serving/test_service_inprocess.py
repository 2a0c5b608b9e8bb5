"""The service in-process: BentoML's ASGI app under Starlette's TestClient, on the test registry."""

from __future__ import annotations

import logging
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from prometheus_client import REGISTRY
from pydantic import TypeAdapter

from lifecycle.dataset import model_frame
from lifecycle.prediction_log import read_predictions
from lifecycle.serving.client import records_from_frame
from lifecycle.serving.schemas import record_model, records_type
from lifecycle.settings import get_settings
from lifecycle.tracking import configure, load_model
from tests.helpers.bad_inputs import GOOD, Bad, bad_inputs
from tests.helpers.registry import Registry
from tests.helpers.serving import load_service

with warnings.catch_warnings():  # Starlette 1.x nudges towards httpx2; httpx works the same here
    warnings.simplefilter("ignore", UserWarning)
    from starlette.testclient import TestClient

TOKEN = "t0ken"


@pytest.fixture(scope="module")
def http(registry: Registry, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """One service instance for the module (BentoML's app can be built once per process)."""
    folder = tmp_path_factory.mktemp("inprocess")
    log = folder / "predictions.sqlite"
    with pytest.MonkeyPatch.context() as env:
        env.setenv("LIFECYCLE_PREDICTION_LOG", str(log))
        # The suite's registry, whatever registry another fixture of the package points at
        env.setenv("LIFECYCLE_STATE_DIR", str(registry.settings.state))
        env.delenv("MLFLOW_TRACKING_URI", raising=False)
        env.delenv("LIFECYCLE_DATABASE_URL", raising=False)
        env.setenv("LIFECYCLE_RELOAD_SECONDS", "0")  # the alias never moves here
        env.setenv("LIFECYCLE_ADMIN_TOKEN", TOKEN)
        env.delenv("LIFECYCLE_TRACE_PREDICT", raising=False)  # the default is under test
        client = TestClient(load_service(folder / "bentoml").ChampionService.to_asgi())
        client.__enter__()  # starts the service: it reads its settings now, inside the patch
    yield client
    client.__exit__(None, None, None)


def rejected(reason: str) -> float:
    return REGISTRY.get_sample_value("lifecycle_rejected_requests_total", {"reason": reason}) or 0


def test_one_record_and_many(http: TestClient, registry: Registry) -> None:
    [one] = http.post("/predict", json={"records": [GOOD]}).json()
    assert one["model_name"] == registry.model_name
    assert one["model_version"] == registry.champion_version and one["prediction"] >= 0
    rows = records_from_frame(registry.splits.test.head(5), registry.spec)
    many = http.post("/predict", json={"records": rows}).json()
    assert [p["row"] for p in many] == [0, 1, 2, 3, 4]
    assert len({p["request_id"] for p in many}) == 1 and many[0]["request_id"] != one["request_id"]


@pytest.mark.ml_test_score("Mo3")
def test_served_predictions_equal_the_offline_model(http: TestClient, registry: Registry) -> None:
    test = registry.splits.test
    half = len(test) // 2  # send half as event_time and half as date + hour
    records = records_from_frame(test.iloc[:half], registry.spec) + records_from_frame(
        test.iloc[half:], registry.spec, time_as="columns"
    )
    served = [p["prediction"] for p in http.post("/predict", json={"records": records}).json()]
    configure(registry.settings)
    model = load_model(f"models:/{registry.model_name}/{registry.champion_version}")
    offline = model.predict(model_frame(test, registry.spec))
    np.testing.assert_allclose(served, offline, rtol=1e-9)


@pytest.mark.parametrize(
    "bad", bad_inputs(get_settings().max_records, get_settings().max_body_bytes), ids=lambda b: b.id
)
def test_bad_input_gets_a_clear_4xx_one_log_line_and_a_count(
    http: TestClient, bad: Bad, caplog: pytest.LogCaptureFixture
) -> None:
    before = rejected(bad.reason)
    with caplog.at_level(logging.INFO):
        answer = http.post("/predict", content=bad.body, headers={"content-type": bad.content_type})
    body = answer.json()
    assert (answer.status_code, body["reason"]) == (bad.status, bad.reason)
    assert bad.names in body["error"]
    assert rejected(bad.reason) == before + 1
    ours = [r for r in caplog.records if r.name == "lifecycle.serving"]
    assert len(ours) == 1 and bad.reason in ours[0].getMessage()
    assert not [r for r in caplog.records if r.exc_info], "a rejected request logged a traceback"
    assert http.post("/predict", json={"records": [GOOD]}).status_code == 200  # still serving


def test_null_and_booleans_are_refused_naming_the_field(http: TestClient) -> None:
    null = http.post("/predict", json={"records": [GOOD, {**GOOD, "windspeed": None}]}).json()
    assert null["reason"] == "wrong_type"
    assert null["error"].startswith("records[1].windspeed: null is not allowed")
    flag = http.post("/predict", json={"records": [{**GOOD, "holiday": True}]})
    assert flag.status_code == 400 and flag.json()["error"].startswith("records[0].holiday: ")


def test_model_endpoint_reports_the_served_version_and_lineage(
    http: TestClient, registry: Registry
) -> None:
    info = http.get("/model").json()
    client = configure(registry.settings)
    version = client.get_model_version(registry.model_name, registry.champion_version)
    run = client.get_run(str(version.run_id))
    assert (info["name"], info["version"]) == (registry.model_name, registry.champion_version)
    assert info["run_id"] == version.run_id and info["git_commit"] == "test"
    assert info["validation"]["mae"] == run.data.metrics["val_mae"]
    assert info["trained_at"] and info["source"] == "registry"


def test_admin_reload_needs_the_token(http: TestClient, registry: Registry) -> None:
    assert http.post("/admin/reload").status_code == 401
    wrong = http.post("/admin/reload", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    ok = http.post("/admin/reload", headers={"Authorization": f"Bearer {TOKEN}"}).json()
    assert ok == {
        "reloaded": False,
        "version_before": registry.champion_version,
        "version_after": registry.champion_version,
        "detail": f"already serving v{registry.champion_version}",
        "workers": {},  # in-process: no other worker to tell
    }


def test_runtime_logs_every_record_it_predicts(registry: Registry, tmp_path: Path) -> None:
    from lifecycle.serving.champion import RegistrySource
    from lifecycle.serving.runtime import Runtime
    from lifecycle.settings import Settings

    log = tmp_path / "predictions.sqlite"
    settings = Settings(LIFECYCLE_PREDICTION_LOG=log, LIFECYCLE_RELOAD_SECONDS=0)
    source = RegistrySource(settings, registry.model_name, registry.spec)
    runtime = Runtime.start(settings, registry.spec, source)
    rows = records_from_frame(registry.splits.test.head(10), registry.spec)
    parse = TypeAdapter(records_type(record_model(registry.spec), 10)).validate_python
    served = [p for n in (1, 4, 10) for p in runtime.predict(parse(rows[:n]))]
    runtime.close()  # what graceful shutdown does: every queued row is written
    logged = read_predictions(log)
    assert sorted(
        logged[["request_id", "row", "prediction"]].itertuples(index=False, name=None)
    ) == sorted((p["request_id"], p["row"], p["prediction"]) for p in served)
    assert len(logged) == 15 and set(logged["model_version"]) == {registry.champion_version}


def test_predict_is_left_out_of_tracing_unless_asked(http: TestClient) -> None:
    service = sys.modules["champion_service"].ChampionService  # loaded by the `http` fixture
    assert service.config["tracing"] == {"excluded_urls": ["/predict"]}  # ~25% of throughput


def test_the_swagger_page_documents_the_service_offline(http: TestClient) -> None:
    doc = http.get("/docs.json")
    assert doc.status_code == 200  # a bad example in a schema makes BentoML answer 500 here
    spec = doc.json()
    assert spec["info"]["title"] == "lifecycle: the champion service"
    assert spec["info"]["version"] not in ("", "None")
    about = spec["info"]["description"]
    assert "BentoML" not in about and "http" not in about  # no boilerplate, no image to fetch
    assert "bike_sharing_hourly" in about and "`POST /predict_columns`" in about
    paths = set(spec["paths"])
    assert {"/predict", "/predict_columns", "/model", "/admin/reload"} <= paths

    def example(route: str, field: str) -> object:
        body = spec["paths"][route]["post"]["requestBody"]["content"]["application/json"]
        return body["schema"]["properties"][field]["example"]

    [record] = example("/predict", "records")  # type: ignore[misc]
    answered = http.post("/predict", json={"records": [record]})
    assert answered.status_code == 200, answered.text  # the example is a valid request
    columns = example("/predict_columns", "columns")
    assert http.post("/predict_columns", json={"columns": columns}).status_code == 200
    page = http.get("/")
    assert page.status_code == 200 and "<title>lifecycle: the champion service</title>" in page.text
    assert "./docs.json" in page.text and "googletagmanager" not in page.text
    assert "https://" not in page.text  # every file it loads is the service's own
    for asset in ("swagger-ui.css", "swagger-ui-bundle.js"):
        assert http.get(f"/static_content/{asset}").status_code == 200
