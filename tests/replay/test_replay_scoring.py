"""The replay's scores and pages in the task's terms (pure: no server, no registry).

A classifier's months are read by the gate's metric and the other of ROC AUC / log loss; a
score where higher is better is reported as a gain, never as a negative "error saved". The
regression pages keep exactly the wording and keys the bike replay has always had.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from lifecycle.replay.scoring import ReplayTerms, axis_label, score_month
from lifecycle.replay.timeline import Month, Retrain, headline, headline_record, month_record
from lifecycle.replay.timeline_page import (
    headline_summary,
    publish_timeline,
    timeline_markdown,
)
from lifecycle.replay.traffic import answered_value

AUC = ReplayTerms.of("classification", "roc_auc")
LOSS = ReplayTerms.of("classification", "log_loss")
MAE = ReplayTerms.of("regression", "mae")
META = {"policy": "drift", "seconds": 12, "load_average": [1.0, 1.0, 1.0]}


def month(name: str, rows: int, served: dict, never: dict, retrain: Retrain | None = None) -> Month:
    return Month(name, "1", rows, 0, rows, served, never, 0.25, "ok", [], retrain)


def test_terms_lead_with_the_gate_metric_for_a_classifier_and_with_mae_for_regression() -> None:
    assert AUC.metrics == ("roc_auc", "log_loss")
    assert LOSS.metrics == ("log_loss", "roc_auc")
    assert ReplayTerms.of("classification", "f1").metrics == ("f1", "roc_auc", "log_loss")
    assert MAE.metrics == ("mae",)
    assert ReplayTerms.of("regression", "rmse").metrics == ("mae", "rmse")


def test_a_month_with_one_class_has_no_roc_auc_but_a_log_loss() -> None:
    scores = score_month(AUC, np.zeros(4, int), np.array([0.1, 0.2, 0.1, 0.3]))
    assert scores["roc_auc"] is None and scores["log_loss"] == pytest.approx(0.1976, abs=1e-4)
    assert score_month(AUC, np.array([]), np.array([])) == {"roc_auc": None, "log_loss": None}


def test_a_higher_is_better_headline_is_a_gain_in_its_own_terms() -> None:
    months = [
        month(
            "2024-04", 100, {"roc_auc": 0.80, "log_loss": 0.40}, {"roc_auc": 0.80, "log_loss": 0.40}
        ),
        month(
            "2024-05", 300, {"roc_auc": 0.90, "log_loss": 0.30}, {"roc_auc": 0.70, "log_loss": 0.50}
        ),
        month(
            "2024-06", 100, {"roc_auc": None, "log_loss": 0.2}, {"roc_auc": None, "log_loss": 0.6}
        ),
    ]
    h = headline(months, AUC)
    # Row-weighted over the months that define it: (0.8 x 100 + 0.9 x 300) / 400.
    assert h.served["roc_auc"] == 0.875 and h.counterfactual["roc_auc"] == 0.725
    assert h.gain == 0.15 and h.shortfall_closed_pct == pytest.approx(54.5)
    assert h.error_saved is None and h.served["log_loss"] == 0.3
    record = headline_record(h)
    assert record["metric"] == "roc_auc" and record["roc_auc_gain"] == 0.15
    assert "error_saved" not in record and record["served_log_loss"] == 0.3
    assert headline_summary(h) == (
        "served ROC AUC 0.8750 vs never retrained 0.7250; "
        "ROC AUC +0.1500 (shortfall from a perfect 1 54.5 % smaller)"
    )


def test_a_worse_served_roc_auc_is_a_negative_gain_not_an_error_saved() -> None:
    months = [
        month("2024-05", 100, {"roc_auc": 0.7, "log_loss": 0.5}, {"roc_auc": 0.8, "log_loss": 0.4})
    ]
    text = headline_summary(headline(months, AUC))
    assert "ROC AUC -0.1000" in text and "50.0 % larger" in text and "saved" not in text


def test_a_loss_headline_reports_the_loss_saved_summed_over_rows() -> None:
    months = [
        month(
            "2024-05", 200, {"log_loss": 0.30, "roc_auc": 0.9}, {"log_loss": 0.40, "roc_auc": 0.8}
        )
    ]
    h = headline(months, LOSS)
    assert h.error_saved == 20.0 and h.error_saved_pct == 25.0 and h.gain is None
    assert headline_summary(h).endswith("log loss saved 20.0 (25.0 %)")
    page = timeline_markdown(months, META, LOSS)
    assert "- log loss saved vs never retraining: **20.0** summed over rows (25.0 %)" in page


def test_the_classification_page_names_its_columns_after_the_metrics() -> None:
    retrain = Retrain("2024-06-01", "refuse", "2", "hgb: roc_auc 0.81 does not beat")
    months = [
        month(
            "2024-05",
            700,
            {"roc_auc": 0.8123, "log_loss": 0.41},
            {"roc_auc": 0.8, "log_loss": 0.43},
            retrain,
        )
    ]
    page = timeline_markdown(months, META, AUC)
    assert (
        "| month | served | ROC AUC served | ROC AUC never retrained | log loss served | "
        "log loss never retrained | drift share | monitor | then |"
    ) in page
    assert "|---|---|---|---|---|---|---|---|---|" in page
    assert "| 2024-05 | v1 | 0.812 | 0.800 | 0.410 | 0.430 | 0.25 | ok |" in page
    assert "MAE" not in page and "error saved" not in page
    assert axis_label("roc_auc") == "ROC AUC (higher is better)"
    record = month_record(months[0])
    assert record["served_roc_auc"] == 0.8123 and record["counterfactual_log_loss"] == 0.43
    assert "served" not in record and "counterfactual" not in record


def test_the_regression_pages_keep_their_wording_and_keys(tmp_path: Path) -> None:
    months = [
        month("2011-04", 731, {"mae": 57.41234}, {"mae": 57.41234}),
        month("2011-05", 744, {"mae": 76.5321}, {"mae": 97.8123}),
    ]
    publish_timeline(months, META, tmp_path, MAE)
    page = (tmp_path / "timeline.md").read_text()
    assert "- MAE of served predictions: **67.06** vs never retraining: **77.79**" in page
    assert "- error saved vs never retraining: **15,832** (13.8 %)" in page
    assert "| month | served | MAE served | MAE never retrained | drift share |" in page
    assert "| 2011-05 | v1 | 76.5 | 97.8 | 0.25 | ok |  |" in page
    body = json.loads((tmp_path / "timeline.json").read_text())
    assert list(body["headline"]) == [
        "months", "metric", "served_mae", "counterfactual_mae", "error_saved", "error_saved_pct",
        "retrains", "promotions", "refusals", "failures", "failed_requests", "shadowed",
        "live_refusals", "promotions_judged", "promotions_not_better",
        "promotions_confidently_worse",
        "rows_to_detect_margin",
    ]  # fmt: skip
    assert body["headline"]["error_saved"] == 15832.5
    assert list(body["months"][0])[:7] == [
        "month", "served_version", "requests", "failed_requests", "rows", "served_mae",
        "counterfactual_mae",
    ]  # fmt: skip
    assert headline_summary(headline(months, MAE)) == (
        "served MAE 67.06 vs never retrained 77.79; error saved 15,832 (13.8 %)"
    )
    assert (tmp_path / "timeline.png").stat().st_size > 5000


def test_a_classifier_answer_scores_by_its_positive_class_probability() -> None:
    answer = {"label": 0, "probabilities": {"0": 0.7, "1": 0.3}, "model_version": "1"}
    assert answered_value(answer, 1) == 0.3
    assert answered_value({"prediction": 41.5}, None) == 41.5
