"""The monitoring decision: a pure function of typed evidence and the thresholds in params."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from lifecycle.monitoring.decision import Evidence, decide
from lifecycle.monitoring.drift import ClassQuality, ColumnDrift, DriftSummary, Quality
from lifecycle.monitoring.performance import PerformanceCheck, error_increase
from lifecycle.params import MonitorParams, Params
from tests.helpers.params import make_params

LIMITS = make_params(
    monitor={"min_rows": 100, "max_drift_share": 0.5, "max_error_increase": 0.5, "metric": "mae"}
).monitor


def drift(drifted: int, total: int = 8) -> DriftSummary:
    columns = [
        ColumnDrift(
            column=f"f{i}",
            method="wasserstein",
            threshold=0.2,
            score=0.5 if i < drifted else 0.01,
            drifted=i < drifted,
        )
        for i in range(total)
    ]
    return DriftSummary(share=drifted / total, count=drifted, columns=columns, prediction=None)


def perf(mae: float, val_mae: float = 20.0) -> PerformanceCheck:
    return PerformanceCheck(
        metric="mae",
        rows=500,
        window=Quality(mae=mae, rmse=mae * 1.5, r2=0.8),
        validation={"mae": val_mae, "rmse": 30.0},
        increase=mae / val_mae - 1,
        slices={},
    )


def evidence(rows: int = 500, labelled: int = 500, **kw: object) -> Evidence:
    base: dict[str, object] = {"drift": drift(1), "performance": perf(21.0)}
    return Evidence(rows=rows, labelled=labelled, **(base | kw))  # type: ignore[arg-type]


def test_quiet_signals_give_ok_with_a_reason_each() -> None:
    verdict = decide(evidence(), LIMITS)
    assert verdict.decision == "ok" and verdict.exit_code == 0
    assert len(verdict.reasons) == 2 and "1 of 8 features drifted" in verdict.reasons[0]


ALWAYS = LIMITS.model_copy(update={"retrain_on_drift": "always"})


@pytest.mark.parametrize(("drifted", "expected"), [(3, "ok"), (4, "retrain"), (8, "retrain")])
def test_drift_share_threshold_is_inclusive(drifted: int, expected: str) -> None:
    verdict = decide(evidence(drift=drift(drifted)), ALWAYS)
    assert verdict.decision == expected
    if expected == "retrain":
        assert verdict.exit_code == 10 and "f0" in verdict.reasons[0]


@pytest.mark.parametrize(("mae", "expected"), [(30.0, "ok"), (30.01, "retrain"), (80.0, "retrain")])
def test_error_increase_threshold_is_exclusive(mae: float, expected: str) -> None:
    verdict = decide(evidence(performance=perf(mae)), LIMITS)
    assert verdict.decision == expected
    assert "vs validation 20.00" in verdict.reasons[1]


def test_a_score_metric_reason_says_the_percentage_is_of_its_error() -> None:
    limits = LIMITS.model_copy(update={"metric": "roc_auc", "max_error_increase": 0.2})
    window = ClassQuality(
        accuracy=0.8, precision=0.6, recall=0.5, f1=0.55, roc_auc=0.85, log_loss=0.4
    )
    check = PerformanceCheck(
        metric="roc_auc",
        rows=500,
        window=window,
        validation={"roc_auc": 0.89},
        increase=error_increase(0.85, 0.89, "roc_auc"),  # 0.15 / 0.11 - 1
        slices={},
    )
    verdict = decide(evidence(performance=check), limits)
    assert verdict.decision == "retrain"
    assert "ROC_AUC 0.85 vs validation 0.89 (1 - ROC_AUC +36% > +20% allowed)" in verdict.reasons[1]


def test_too_few_rows_is_insufficient_even_with_alarming_numbers() -> None:
    verdict = decide(evidence(rows=99, drift=drift(8), performance=perf(500.0)), LIMITS)
    assert verdict.decision == "insufficient_data" and verdict.exit_code == 20
    assert "only 99 predictions" in verdict.reasons[0] and "min_rows is 100" in verdict.reasons[0]


def test_missing_labels_without_drift_is_insufficient_not_ok() -> None:
    verdict = decide(evidence(labelled=0, performance=None), LIMITS)
    assert verdict.decision == "insufficient_data"
    assert "0 labelled predictions" in verdict.reasons[1]


def test_too_few_labels_never_raise_an_alarm_on_their_own() -> None:
    verdict = decide(evidence(labelled=99, performance=perf(500.0)), LIMITS)
    assert verdict.decision == "insufficient_data"


@pytest.mark.ml_test_score("Mo4")
def test_drift_alone_fires_while_labels_are_late() -> None:
    verdict = decide(evidence(labelled=0, performance=None, drift=drift(6)), LIMITS)
    assert verdict.decision == "retrain"


def test_drift_is_a_warning_once_labels_show_the_error_is_fine() -> None:
    verdict = decide(evidence(drift=drift(8), performance=perf(21.0)), LIMITS)
    assert verdict.decision == "ok"
    assert verdict.reasons[0].startswith("warning: 8 of 8 features drifted")


def test_labelled_drift_with_a_worse_error_retrains_on_the_error() -> None:
    verdict = decide(evidence(drift=drift(8), performance=perf(80.0)), LIMITS)
    assert verdict.decision == "retrain" and "+300%" in verdict.reasons[1]


def test_problems_win_over_everything() -> None:
    verdict = decide(
        evidence(problems=("the prediction log has no column ['temp']",), drift=drift(8)), LIMITS
    )
    assert verdict.decision == "insufficient_data"
    assert verdict.reasons == ["the prediction log has no column ['temp']"]


def test_unknown_validation_error_is_not_compared() -> None:
    check = perf(25.0).model_copy(update={"increase": None})
    verdict = decide(evidence(performance=check), LIMITS)
    assert verdict.decision == "insufficient_data"
    assert "no validation mae" in verdict.reasons[1]


def test_monitor_params_reject_impossible_values(params: Params) -> None:
    raw = params.monitor.model_dump()
    with pytest.raises(ValidationError, match="sample_rows"):
        MonitorParams.model_validate(raw | {"sample_rows": 10, "min_rows": 100})
    with pytest.raises(ValidationError, match="num_method"):
        MonitorParams.model_validate(raw | {"drift": raw["drift"] | {"num_method": "ks"}})
    with pytest.raises(ValidationError, match="max_drift_share"):
        MonitorParams.model_validate(raw | {"max_drift_share": 0})
