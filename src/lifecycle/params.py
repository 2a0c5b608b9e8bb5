"""Typed `params.yaml`: validated once, unknown keys and impossible values rejected."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, PositiveInt, ValidationError, model_validator

from lifecycle.tasks import GATE_METRICS, METRICS, MONITOR_METRICS, GateMetric, MonitorMetric

Candidate = Literal["ridge", "hgb", "mlp"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DataParams(_Strict):
    """Which table, and how much of it has 'arrived' so far."""

    dataset: Path
    start: dt.date
    as_of: dt.date

    @model_validator(mode="after")
    def _ordered(self) -> DataParams:
        if self.start >= self.as_of:
            raise ValueError(f"data.start ({self.start}) must be before data.as_of ({self.as_of})")
        return self


class SplitParams(_Strict):
    """Time windows counted back from `data.as_of`: test is newest, then validation."""

    val_days: PositiveInt
    test_days: PositiveInt
    train_days: PositiveInt | None = None
    min_train_rows: PositiveInt = 500


class RidgeParams(_Strict):
    alpha: float = Field(gt=0)


class HgbParams(_Strict):
    max_iter: PositiveInt
    learning_rate: float = Field(gt=0, le=1)
    max_leaf_nodes: PositiveInt
    l2_regularization: float = Field(ge=0)


class MlpParams(_Strict):
    hidden: list[PositiveInt] = Field(min_length=1)
    epochs: PositiveInt
    learning_rate: float = Field(gt=0)
    batch_size: PositiveInt
    weight_decay: float = Field(ge=0)


class TrainParams(_Strict):
    """Which candidates to fit and their hyper-parameters."""

    candidates: list[Candidate] = Field(min_length=1)
    log_target: bool
    ridge: RidgeParams
    hgb: HgbParams
    mlp: MlpParams


class LiveGateParams(_Strict):
    """The live stage of the gate: promotion waits for the challenger's live evidence."""

    required: bool = False  # true: a challenger that passes the offline gate waits as
    # `challenger` (shadowed or canaried: rollout) and is promoted only when its labelled live
    # rows show it better (lifecycle.rollout)
    min_rows: PositiveInt = 200  # labelled live rows needed before the live gate decides
    confidence: float = Field(default=0.9, gt=0.5, lt=1)  # interval of the live error cut


class GateParams(_Strict):
    """The promotion gate: absolute floors plus a margin over the current champion.

    Floors are named `max_<metric>` or `min_<metric>`; null switches one off. Which metrics
    (and so which floors) are allowed depends on the dataset's task: see `check_params_task`.
    """

    metric: GateMetric
    margin: float = Field(ge=0, lt=1)
    max_mae: float | None = Field(default=None, gt=0)
    min_r2: float | None = Field(default=None, le=1)
    min_roc_auc: float | None = Field(default=None, ge=0, le=1)
    max_log_loss: float | None = Field(default=None, gt=0)
    # How sure the margin is: a day-block bootstrap interval of the error cut (lifecycle.evidence)
    confidence: float = Field(default=0.9, gt=0.5, lt=1)
    require_confident: bool = False  # also need the interval's lower end above 0 to promote
    min_rows: PositiveInt = 1  # fewer paired test rows than this: refuse (a champion to beat)
    live: LiveGateParams = Field(default_factory=lambda: LiveGateParams())

    def floors(self) -> list[tuple[str, str, float]]:
        """The floors that are set, as (params key, metric, bound)."""
        named = {m for metrics in METRICS.values() for m in metrics}  # min_rows is no floor
        keys = [k for k in type(self).model_fields if k[:4] in ("max_", "min_") and k[4:] in named]
        return [(k, k[4:], getattr(self, k)) for k in keys if getattr(self, k) is not None]


class RegistryParams(_Strict):
    model_name: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")


# Evidently stat tests whose score is a distance (drifted when score >= threshold). Distances do
# not turn "significant" just because a window is big, so a sampled window gives the same answer.
NumDriftMethod = Literal["wasserstein", "psi", "jensenshannon", "hellinger", "kl_div"]
CatDriftMethod = Literal["jensenshannon", "psi", "hellinger", "kl_div"]


class DriftParams(_Strict):
    """How one feature's drift is measured (Evidently method names)."""

    num_method: NumDriftMethod
    cat_method: CatDriftMethod
    threshold: float = Field(gt=0)


class MonitorParams(_Strict):
    """When is the served model no longer trusted? Thresholds of the monitoring decision."""

    window_days: PositiveInt
    min_rows: PositiveInt
    max_drift_share: float = Field(gt=0, le=1)
    # When drift alone may trigger a retrain: always, or only while labels are too few to
    # check the error (with labels, the error is the direct evidence; drift is then a warning).
    retrain_on_drift: Literal["always", "unlabelled"] = "unlabelled"
    metric: MonitorMetric  # which ones fit depends on the dataset's task: see `check_params_task`
    max_error_increase: float = Field(ge=0)
    sample_rows: PositiveInt
    drift: DriftParams

    @model_validator(mode="after")
    def _sample_big_enough(self) -> MonitorParams:
        if self.sample_rows < self.min_rows:
            raise ValueError(
                f"monitor.sample_rows ({self.sample_rows}) is below monitor.min_rows "
                f"({self.min_rows}): a sampled window could never be judged"
            )
        return self


class ReplayParams(_Strict):
    """The closed loop (make replay): which months to play and when to retrain."""

    start: dt.date
    end: dt.date
    policy: Literal["drift", "scheduled", "shadow", "never"]
    every_months: PositiveInt
    clients: PositiveInt

    @model_validator(mode="after")
    def _ordered(self) -> ReplayParams:
        if self.start.day != 1 or self.end.day != 1:
            raise ValueError("replay.start and replay.end must be first days of a month")
        if self.start >= self.end:
            raise ValueError(f"replay.start ({self.start}) must be before replay.end ({self.end})")
        return self


class GuardrailParams(_Strict):
    """When a canary rolls itself back (lifecycle.serving.variants, lifecycle.rollout)."""

    min_requests: PositiveInt = 100  # canary calls seen before error rate and latency are judged
    max_error_rate: float = Field(default=0.02, ge=0, le=1)  # share of canary calls that raised
    max_p99_ratio: float = Field(default=3.0, gt=1)  # canary p99 latency / champion p99 latency
    # a canary call still running after this many seconds is answered by the champion (an error)
    max_canary_seconds: float = Field(default=1.0, gt=0)
    # live error once labels are in: roll back when the canary's error exceeds the champion's
    # by more than this fraction (confidently: the interval's upper end of the cut is below -it)
    max_error_increase: float = Field(default=0.05, ge=0)


class RolloutParams(_Strict):
    """How a challenger meets live traffic before it may become champion."""

    shadow: bool = False  # every request is also predicted by the challenger, off the answer
    canary_share: float = Field(default=0.0, ge=0, le=1)  # share of client keys it answers
    guardrails: GuardrailParams = Field(default_factory=lambda: GuardrailParams())


class Params(_Strict):
    """The whole of params.yaml."""

    seed: int = Field(ge=0)
    data: DataParams
    split: SplitParams
    train: TrainParams
    gate: GateParams
    registry: RegistryParams
    monitor: MonitorParams
    replay: ReplayParams
    rollout: RolloutParams = Field(default_factory=lambda: RolloutParams())

    @model_validator(mode="after")
    def _live_evidence_can_come(self) -> Params:
        if self.gate.live.required and not (self.rollout.shadow or self.rollout.canary_share):
            raise ValueError(
                "gate.live.required waits for live evidence, but rollout.shadow is false and "
                "rollout.canary_share is 0: no challenger would ever meet traffic. Turn one on"
            )
        return self

    @model_validator(mode="after")
    def _windows_fit(self) -> Params:
        days = (self.data.as_of - self.data.start).days
        held_out = self.split.val_days + self.split.test_days
        if held_out >= days:
            raise ValueError(
                f"split.val_days + split.test_days ({held_out}) leave no training days "
                f"between data.start and data.as_of ({days} days)"
            )
        return self


class ParamsError(ValueError):
    """params.yaml is invalid; the message names every bad key."""


def check_params_task(params: Params, task: str) -> None:
    """Refuse params that do not fit the dataset's task (it lives in the dataset definition)."""
    where = f"the dataset {params.data.dataset} is a {task} task"
    problems = []
    if params.gate.metric not in GATE_METRICS[task]:
        allowed = " | ".join(GATE_METRICS[task])
        problems.append(f"gate.metric: '{params.gate.metric}' does not fit; use {allowed}")
    for key, metric, _ in params.gate.floors():
        if metric not in METRICS[task]:
            problems.append(f"gate.{key}: a floor on {metric} does not fit; set it to null")
    if params.monitor.metric not in MONITOR_METRICS[task]:
        allowed = " | ".join(MONITOR_METRICS[task])
        problems.append(f"monitor.metric: '{params.monitor.metric}' does not fit; use {allowed}")
    if task == "classification" and params.train.log_target:
        problems.append("train.log_target: applies to regression only; set it to false")
    if problems:
        raise ParamsError(f"params do not fit the data ({where}):\n  " + "\n  ".join(problems))


def load_params(path: str | Path = "params.yaml") -> Params:
    """Read params.yaml and validate it, raising ParamsError with one line per problem."""
    with open(path) as fh:
        raw = yaml.safe_load(fh) or {}
    try:
        return Params.model_validate(raw)
    except ValidationError as err:
        lines = [f"  {'.'.join(map(str, e['loc'])) or '<root>'}: {e['msg']}" for e in err.errors()]
        raise ParamsError(f"{path} is invalid:\n" + "\n".join(lines)) from None
