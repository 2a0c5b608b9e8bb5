"""The monitor's decision as Pushgateway gauges: what a run pushes, read back from a real
`prometheus-pushgateway`, and a push that fails as a clear error."""

from __future__ import annotations

from pathlib import Path

import pytest

from lifecycle.monitoring.drift import Quality
from lifecycle.monitoring.export import MonitorGauges, PushFailed, collect, push_decision
from lifecycle.monitoring.performance import PerformanceCheck
from lifecycle.monitoring.summary import MonitorSummary, RowCounts
from lifecycle.params import Params
from lifecycle.serving.process import free_port
from tests.helpers.prometheus import pushgateway, sample, samples, scrape

DECISION = "lifecycle_monitor_decision"


def summary(params: Params) -> MonitorSummary:
    """A labelled window that decided retrain: MAE 28.5 against 19 on validation."""
    perf = PerformanceCheck(
        metric="mae",
        rows=700,
        window=Quality(mae=28.5, rmse=40.0, r2=0.6),
        validation={"mae": 19.0},
        increase=0.5,
        slices={},
    )
    return MonitorSummary(
        window={"start": "2011-07-01T00:00:00", "end": "2011-08-01T00:00:00"},
        model_name="bike-demand",
        model_version="3",
        rows=RowCounts(logged=744, evaluated=744, monitored=744, labelled=700, reference=2000),
        drift_share=0.4,
        decision="retrain",
        reasons=["the error grew"],
        exit_code=10,
        performance=perf,
        thresholds=params.monitor,
    )


def exposition(gauges: MonitorGauges) -> str:
    """The gauges in Prometheus text format, as the push sends them."""
    from prometheus_client import generate_latest

    return generate_latest(collect(gauges)).decode()


def test_a_labelled_run_pushes_its_decision_one_hot_and_the_numbers_behind_it(
    params: Params,
) -> None:
    gauges = MonitorGauges.of(summary(params), "unused")
    text = exposition(gauges)
    assert {dict(k)["decision"]: v for k, v in samples(text, DECISION).items()} == {
        "ok": 0,
        "retrain": 1,
        "insufficient_data": 0,
    }
    assert sample(text, DECISION, decision="retrain", model_version="3") == 1
    assert sample(text, "lifecycle_monitor_drift_share") == 0.4
    assert sample(text, "lifecycle_monitor_metric", metric="mae") == 28.5
    assert sample(text, "lifecycle_monitor_error_increase") == 0.5
    assert sample(text, "lifecycle_monitor_rows", kind="labelled") == 700
    assert sample(text, "lifecycle_monitor_last_run_timestamp_seconds") == gauges.finished_at


def test_a_run_without_evidence_pushes_only_its_decision_and_rows() -> None:
    text = exposition(MonitorGauges("bike-demand", "insufficient_data"))
    assert sample(text, DECISION, decision="insufficient_data") == 1
    assert sample(text, DECISION, decision="retrain") == 0
    for absent in ("drift_share", "metric", "error_increase"):
        assert samples(text, f"lifecycle_monitor_{absent}") == {}
    assert sample(text, "lifecycle_monitor_rows", kind="monitored") == 0


def test_a_pushgateway_that_does_not_answer_is_a_clear_error() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(PushFailed, match=f"LIFECYCLE_PUSHGATEWAY_URL={url}: .*refused"):
        push_decision(url, MonitorGauges("bike-demand", "ok"), timeout=5)


@pytest.mark.slow
def test_each_push_replaces_the_models_group_on_a_real_pushgateway(
    params: Params, tmp_path: Path
) -> None:
    with pushgateway(tmp_path) as url:
        push_decision(url, MonitorGauges.of(summary(params), "unused"))
        push_decision(url, MonitorGauges("another-model", "ok"))
        text = scrape(url)
        group = {"job": "lifecycle_monitor", "model_name": "bike-demand"}
        assert sample(text, DECISION, decision="retrain", **group) == 1
        assert sample(text, "lifecycle_monitor_drift_share", **group) == 0.4
        assert sample(text, DECISION, decision="ok", model_name="another-model") == 1
        push_decision(url, MonitorGauges("bike-demand", "insufficient_data"))
        text = scrape(url)
        assert sample(text, DECISION, decision="insufficient_data", **group) == 1
        assert sample(text, DECISION, decision="retrain", **group) == 0
        assert sample(text, "lifecycle_monitor_drift_share", **group) is None  # not stale
        assert sample(text, DECISION, decision="ok", model_name="another-model") == 1
