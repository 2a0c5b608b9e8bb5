"""The start-up and replay benchmarks compute their numbers right from what they measured."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from benchmarks.replay_timings import result as replay_result
from benchmarks.replay_timings import timings
from benchmarks.stage_startup import TINY, result, shrink
from lifecycle.entry import StageFailed
from lifecycle.params import Params
from tests.helpers.imports import ROOT


def test_the_tiny_window_is_valid_params(tmp_path: Path) -> None:
    copy = tmp_path / "params.yaml"
    copy.write_text((ROOT / "params.yaml").read_text())
    shrink(copy)
    params = Params.model_validate(yaml.safe_load(copy.read_text()))
    assert params.split.train_days == TINY["split"]["train_days"]
    assert params.train.mlp.epochs == 1


def test_fixed_cost_ratios_and_the_worst_stage() -> None:
    measured = {
        "python_startup_s": 0.02,
        "stages": {
            "ingest": {"forced_s": 3.0, "dvc_noop_s": 1.0, "fixed_s": 2.0},
            "train": {"forced_s": 9.0, "dvc_noop_s": 1.0, "fixed_s": 8.0},
        },
    }
    res = result(measured)
    assert res["stages"]["ingest"]["ratio_to_budget"] == 0.5
    assert res["stages"]["train"]["ratio_to_python_startup"] == 400.0
    assert res["worst_ratio_to_budget"] == 2.0


def test_replay_timings_take_the_median_retrain() -> None:
    months = [{"retrain": {"seconds": s}} for s in (30.0, 10.0, 20.0)] + [{"retrain": None}]
    seconds = timings({"meta": {"seconds": 240}, "months": months})
    assert seconds == {"median_retrain_s": 20.0, "replay_s": 240.0}
    rows = replay_result(seconds, Path("t.json"))["results"]
    assert rows["median_retrain_s"]["ratio_to_budget"] == 1.0
    assert rows["replay_s"]["ratio_to_budget"] == 0.8


def test_a_replay_without_retrains_is_an_error() -> None:
    with pytest.raises(StageFailed, match="no retrain"):
        timings({"meta": {"seconds": 1}, "months": [{"retrain": None}]})
