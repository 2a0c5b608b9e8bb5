"""The start-up and replay benchmarks compute their numbers right from what they measured."""

from __future__ import annotations

import time
from pathlib import Path

import pandas as pd
import pytest
import yaml

from benchmarks.replay_timings import result as replay_result
from benchmarks.replay_timings import timings
from benchmarks.stage_startup import TINY, result, shrink, stage_command, to_work_seconds
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
            "ingest": {"to_work_s": 0.4, "forced_s": 3.0, "dvc_noop_s": 1.0, "fixed_s": 2.0},
            "train": {"to_work_s": 2.0, "forced_s": 9.0, "dvc_noop_s": 1.0, "fixed_s": 8.0},
        },
    }
    res = result(measured)
    assert res["stages"]["ingest"]["ratio_to_budget"] == 0.1  # the target: to its own work
    assert res["stages"]["train"]["ratio_to_python_startup"] == 100.0
    assert res["stages"]["train"]["whole_stage_ratio_to_budget"] == 2.0
    assert res["worst_ratio_to_budget"] == 0.5


def test_a_stage_command_is_filled_in_as_dvc_fills_it() -> None:
    command = stage_command(ROOT, "train")
    assert command[:2] == ["python3", "pipelines/train.py"]
    assert "--train" in command and command[command.index("--train") + 1].endswith(".parquet")
    assert not any("${" in part for part in command)


def test_to_work_is_marked_at_the_first_read_of_an_input(tmp_path: Path) -> None:
    frame = tmp_path / "rows.parquet"
    pd.DataFrame({"x": [1, 2]}).to_parquet(frame)
    script = tmp_path / "stage.py"  # stamps the clock just before and just after its first read
    script.write_text(
        "import sys, time\nfrom pathlib import Path\nfrom lifecycle.files import read_frame\n"
        "Path(sys.argv[2]).write_text(repr(time.time()))\ntime.sleep(0.3)\n"
        "read_frame(sys.argv[1])\ntime.sleep(0.3)\nPath(sys.argv[3]).write_text(repr(time.time()))\n"
    )
    before, after = tmp_path / "before", tmp_path / "after"
    start = time.time()
    seconds = to_work_seconds(ROOT, ["python3", str(script), str(frame), str(before), str(after)])
    marked = start + seconds  # to_work_seconds starts its clock just after `start`
    assert float(before.read_text()) + 0.3 <= marked + 0.05
    assert marked <= float(after.read_text()) - 0.3


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
