"""The Evidently adapter: build the report from typed settings, read its output into types.

Everything Evidently-specific lives here. The rest of monitoring sees `ReportSummary`, never
Evidently's dicts, so an Evidently upgrade that moves a field breaks one function, loudly.
"""

from __future__ import annotations

import datetime as dt
import warnings
from typing import TYPE_CHECKING, Any

import pandas as pd
from pydantic import BaseModel, ConfigDict

from lifecycle.monitoring.frames import PREDICTION, Columns
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


class ReportSummary(_Frozen):
    """What monitoring needs from one Evidently snapshot."""

    drift: DriftSummary
    quality: Quality | None


def data_definition(columns: Columns, target: str | None) -> DataDefinition:
    """Column types and the regression task, from the monitored columns (never re-listed)."""
    from evidently import DataDefinition, Regression

    numerical = [*columns.numerical, PREDICTION, *([target] if target else [])]
    regression = [Regression(target=target, prediction=PREDICTION)] if target else None
    return DataDefinition(
        numerical_columns=numerical,
        categorical_columns=columns.categorical,
        regression=regression,
    )


def build_report(columns: Columns, limits: MonitorParams, labelled: bool) -> Report:
    """Feature drift (one preset), prediction drift, and regression quality when labelled."""
    from evidently import Report
    from evidently.metrics import ValueDrift
    from evidently.presets import DataDriftPreset, RegressionQuality

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
    if labelled:
        # The small regression preset (MAE, RMSE, R², mean error, MAPE, max error). Its optional
        # plots (RegressionPreset has three) cost more than the whole drift preset here.
        items.append(RegressionQuality())
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
) -> Snapshot:
    """Run the report (current first, as Evidently wants it) and return the snapshot."""
    from evidently import Dataset

    definition = data_definition(columns, target)
    keep = [*columns.features, PREDICTION, *([target] if target else [])]
    cur = Dataset.from_pandas(current[keep], data_definition=definition)
    ref = Dataset.from_pandas(reference[keep], data_definition=definition)
    report = build_report(columns, limits, labelled=target is not None)
    with warnings.catch_warnings():
        # Evidently bins the target and scores each bin; a one-row bin makes sklearn warn that
        # R² is undefined there. Harmless for us: the overall scores are unaffected.
        warnings.filterwarnings("ignore", message="R\\^2 score is not well-defined")
        return report.run(cur, ref, timestamp=timestamp, metadata=dict(metadata))


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


def _quality(by_kind: dict[str, list[_Metric]]) -> Quality | None:
    if "MAE" not in by_kind:
        return None
    mae, rmse, r2 = (_one(by_kind, kind) for kind in ("MAE", "RMSE", "R2Score"))
    return Quality(mae=float(mae.value["mean"]), rmse=float(rmse.value), r2=float(r2.value))
