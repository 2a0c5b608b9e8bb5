"""Under a real `bentoml serve` (two workers, multi-process metrics): every service metric an
alert rule reads is on /metrics under that name, and the served version moves on a reload."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.helpers.imports import ROOT
from tests.helpers.prometheus import sample, samples, scrape
from tests.helpers.serving import start_server
from tests.serving.conftest import Challengers
from tests.serving.test_health_metrics import wait_for

pytestmark = pytest.mark.slow
RULES = ROOT / "monitoring/alerts/lifecycle.rules.yml"
INFO = "lifecycle_served_model_info"


def rule_metrics() -> set[str]:
    """The service's metric names the alert rules query (not the monitor's, nor `up`)."""
    groups = yaml.safe_load(RULES.read_text())["groups"]
    exprs = " ".join(rule["expr"] for group in groups for rule in group["rules"])
    return set(re.findall(r"(?<![\w\"])(bentoml_\w+|lifecycle_(?!monitor)\w+)", exprs))


def test_every_service_metric_of_the_alert_rules_is_exported_and_the_version_moves(
    challengers: Challengers, records: list[dict[str, Any]], tmp_path: Path
) -> None:
    c = challengers
    server = start_server(
        tmp_path,
        LIFECYCLE_STATE_DIR=str(c.settings.state),
        LIFECYCLE_RELOAD_SECONDS="0",
        LIFECYCLE_SERVE_WORKERS="2",
    )
    try:
        with httpx.Client(base_url=server.url, timeout=30) as http:
            for record in records[:20]:
                assert http.post("/predict", json={"records": [record]}).status_code == 200
            refused = http.post("/predict", json={"records": [{**records[0], "hum": 7}]})
            assert refused.status_code == 400
        written = "lifecycle_prediction_log_written_rows_total"
        wait_for(lambda: sample(scrape(server.url), written) == 20)  # the writer's next update
        text = scrape(server.url)
        exported = {name for name in rule_metrics() if samples(text, name)}
        assert exported == rule_metrics(), f"not on /metrics: {rule_metrics() - exported}"
        assert sample(text, "lifecycle_prediction_log_pending_rows") == 0
        assert sample(text, INFO, model_name=c.model_name, version=c.champion) == 1
        c.point(None, champion=c.shift)
        assert server.reload_to(c.shift) == c.shift
        text = scrape(server.url)  # both workers confirmed the reload before it answered
        assert sample(text, INFO, model_name=c.model_name, version=c.shift) == 1
        assert sample(text, INFO, model_name=c.model_name, version=c.champion) == 0
    finally:
        c.point(None)
        server.stop()
