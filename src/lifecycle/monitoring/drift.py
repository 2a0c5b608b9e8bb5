"""The Evidently adapter: build the report from typed settings, read its output into types.

Everything Evidently-specific lives here. The rest of monitoring sees `ReportSummary`, never
Evidently's dicts, so an Evidently upgrade that moves a field breaks one function, loudly.
"""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd
from pydantic import BaseModel, ConfigDict

from lifecycle.monitoring.frames import LABEL, PREDICTION, Columns, compared_rows
from lifecycle.params import MonitorParams

if TYPE_CHECKING:
    from evidently import DataDefinition, Report
    from evidently.core.report import Snapshot


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ColumnDrift(_Frozen):
    """One column's drift test, as Evidently ran it."""

    column: str
    method: str
    threshold: float
    score: float
    drifted: bool


class DriftSummary(_Frozen):
    """Data drift over the monitored features, and drift of the prediction."""

    share: float  # drifted features / monitored features
    count: int
    columns: list[ColumnDrift]
    prediction: ColumnDrift | None

    @property
    def drifted(self) -> list[str]:
        """Names of the drifted features, in report order."""
        return [c.column for c in self.columns if c.drifted]


class Quality(_Frozen):
    """Regression quality of the window, as Evidently computed it (labelled rows only)."""

    mae: float
    rmse: float
    r2: float


class ClassQuality(_Frozen):
    """Binary classification quality of the window (labelled rows; label = most probable)."""

    accuracy: float
    precision: float
    recall: float
    f1: float
    roc_auc: float
    log_loss: float


class ReportSummary(_Frozen):
    """What monitoring needs from one Evidently snapshot."""

    drift: DriftSummary
    quality: Quality | ClassQuality | None


def data_definition(
    columns: Columns, target: str | None, positive: int | None = None
) -> DataDefinition:
    """Column types and the task, from the monitored columns (never re-listed). `positive`
    (the positive class) makes it binary classification: PREDICTION holds its probability."""
    from evidently import BinaryClassification, DataDefinition, Regression

    if positive is None or target is None:
        numerical = [*columns.numerical, PREDICTION, *([target] if target else [])]
        regression = [Regression(target=target, prediction=PREDICTION)] if target else None
        return DataDefinition(
            numerical_columns=numerical,
            categorical_columns=columns.categorical,
            regression=regression,
        )
    binary = BinaryClassification(
        target=target,
        prediction_labels=LABEL,
        prediction_probas=PREDICTION,
        pos_label=positive,  # typed str in Evidently, but any label value works
    )
    return DataDefinition(
        numerical_columns=[*columns.numerical, PREDICTION],
        categorical_columns=[*columns.categorical, LABEL, target],
        classification=[binary],
    )


def build_report(
    columns: Columns,
    limits: MonitorParams,
    labelled: bool,
    classification: bool = False,
    extra: Sequence[Any] = (),
) -> Report:
    """Feature drift (one preset), prediction drift, and model quality when labelled; `extra`
    metrics after them (the live comparison, lifecycle.monitoring.live_report)."""
    from evidently import Report
    from evidently.metrics import ValueDrift
    from evidently.presets import ClassificationQuality, DataDriftPreset, RegressionQuality

    drift = limits.drift
    items: list[Any] = [
        DataDriftPreset(
            columns=columns.features,
            drift_share=limits.max_drift_share,
            num_method=drift.num_method,
            cat_method=drift.cat_method,
            threshold=drift.threshold,
        ),
        ValueDrift(column=PREDICTION, method=drift.num_method, threshold=drift.threshold),
    ]
    if labelled and classification:
        # The small classification preset: accuracy, precision, recall, F1, ROC AUC, log loss,
        # TPR/TNR/FPR/FNR (ClassificationPreset adds plots and per-class tables on top).
        items.append(ClassificationQuality())
    elif labelled:
        # The small regression preset (MAE, RMSE, R², mean error, MAPE, max error). Its optional
        # plots (RegressionPreset has three) cost more than the whole drift preset here.
        items.append(RegressionQuality())
    items.extend(extra)
    # include_tests: each drift metric then carries Evidently's own drifted / not drifted
    # verdict, which the adapter reads instead of re-deriving it from the score.
    return Report(items, include_tests=True)


def run_report(
    current: pd.DataFrame,
    reference: pd.DataFrame,
    columns: Columns,
    limits: MonitorParams,
    target: str | None,
    timestamp: dt.datetime,
    metadata: dict[str, str],
    positive: int | None = None,
    extra: Sequence[Any] = (),
    tags: Sequence[str] = (),
) -> Snapshot:
    """Run the report (current first, as Evidently wants it) and return the snapshot.
    `positive` (a classifier's positive class) adds classification quality when labelled;
    `extra` metrics and `tags` go into the report as they are."""
    from evidently import Dataset

    definition = data_definition(columns, target, positive)
    keep = [*columns.features, PREDICTION, *([target] if target else [])]
    if target and positive is not None:
        current = _classes_as_int(compared_rows(current, target, positive), target)
        reference = _classes_as_int(reference, target)
        keep.append(LABEL)
    cur = Dataset.from_pandas(current[keep], data_definition=definition)
    ref = Dataset.from_pandas(reference[keep], data_definition=definition)
    report = build_report(columns, limits, target is not None, positive is not None, extra)
    with warnings.catch_warnings():
        # Evidently bins the target and scores each bin; a one-row bin makes sklearn warn that
        # R² is undefined there. Harmless for us: the overall scores are unaffected.
        warnings.filterwarnings("ignore", message="R\\^2 score is not well-defined")
        return report.run(
            cur, ref, timestamp=timestamp, metadata=dict(metadata), tags=list(tags) or None
        )


def _classes_as_int(frame: pd.DataFrame, target: str) -> pd.DataFrame:
    return frame.astype({target: "int64", LABEL: "int64"})


class _Metric(BaseModel):
    """One entry of `snapshot.dict()["metrics"]` (only the fields we read)."""

    id: str
    config: dict[str, Any]
    value: Any

    @property
    def kind(self) -> str:
        return str(self.config["type"]).rsplit(":", 1)[-1]


class _Test(BaseModel):
    id: str
    status: str
    metric_config: dict[str, Any]


def summarize(output: dict[str, Any]) -> ReportSummary:
    """Read Evidently's real output (`snapshot.dict()`) into a ReportSummary."""
    metrics = [_Metric.model_validate(m) for m in output["metrics"]]
    tests = [_Test.model_validate(t) for t in output["tests"]]
    failed = {t.metric_config["metric_id"]: t.status == "FAIL" for t in tests if t.id == "drift"}
    by_kind: dict[str, list[_Metric]] = {}
    for metric in metrics:
        by_kind.setdefault(metric.kind, []).append(metric)
    drifts = [_column_drift(m, failed) for m in by_kind.get("ValueDrift", [])]
    count = _one(by_kind, "DriftedColumnsCount")
    drift = DriftSummary(
        share=float(count.value["share"]),
        count=int(count.value["count"]),
        columns=[d for d in drifts if d.column != PREDICTION],
        prediction=next((d for d in drifts if d.column == PREDICTION), None),
    )
    return ReportSummary(drift=drift, quality=_quality(by_kind))


def _one(by_kind: dict[str, list[_Metric]], kind: str) -> _Metric:
    """The single metric of a kind; anything else means the report is not the one we built."""
    found = by_kind.get(kind, [])
    if len(found) != 1:
        raise ValueError(f"the Evidently output has {len(found)} {kind} metrics, expected 1")
    return found[0]


def _column_drift(metric: _Metric, failed: dict[str, bool]) -> ColumnDrift:
    if metric.id not in failed:
        raise ValueError(f"no drift test for {metric.config['column']}: run with include_tests")
    return ColumnDrift(
        column=metric.config["column"],
        method=metric.config["method"],
        threshold=float(metric.config["threshold"]),
        score=float(metric.value),
        drifted=failed[metric.id],
    )


def _quality(by_kind: dict[str, list[_Metric]]) -> Quality | ClassQuality | None:
    if "LogLoss" in by_kind:
        return _class_quality(by_kind)
    if "MAE" not in by_kind:
        return None
    mae, rmse, r2 = (_one(by_kind, kind) for kind in ("MAE", "RMSE", "R2Score"))
    return Quality(mae=float(mae.value["mean"]), rmse=float(rmse.value), r2=float(r2.value))


# Evidently metric kind -> ClassQuality field (each value is one float)
CLASS_METRICS = {
    "Accuracy": "accuracy",
    "Precision": "precision",
    "Recall": "recall",
    "F1Score": "f1",
    "RocAuc": "roc_auc",
    "LogLoss": "log_loss",
}


def _class_quality(by_kind: dict[str, list[_Metric]]) -> ClassQuality:
    values = {field: float(_one(by_kind, kind).value) for kind, field in CLASS_METRICS.items()}
    return ClassQuality(**values)
