"""Typed params: valid params load, bad ones stop with a message naming the key."""

from pathlib import Path

import pytest
import yaml

from lifecycle.params import ParamsError, load_params
from tests.helpers.params import ROOT, raw_params


def write(tmp_path: Path, raw: dict) -> Path:
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


def test_committed_params_are_valid() -> None:
    params = load_params(ROOT / "params.yaml")
    assert params.data.start < params.data.as_of
    assert set(params.train.candidates) == {"ridge", "hgb", "mlp"}


def test_unknown_key_is_rejected_by_name(tmp_path: Path) -> None:
    raw = raw_params()
    raw["train"]["hgb"]["max_depht"] = 3
    with pytest.raises(ParamsError, match=r"train\.hgb\.max_depht: Extra inputs"):
        load_params(write(tmp_path, raw))


def test_split_dates_out_of_order(tmp_path: Path) -> None:
    raw = raw_params(data={"start": "2011-06-01", "as_of": "2011-03-01"})
    with pytest.raises(ParamsError, match=r"data: .*must be before data.as_of"):
        load_params(write(tmp_path, raw))


def test_negative_learning_rate(tmp_path: Path) -> None:
    raw = raw_params(train={"mlp": {"learning_rate": -0.1}})
    with pytest.raises(ParamsError, match=r"train\.mlp\.learning_rate: Input should be greater"):
        load_params(write(tmp_path, raw))


def test_windows_that_leave_no_training_days(tmp_path: Path) -> None:
    raw = raw_params(data={"start": "2011-01-01", "as_of": "2011-01-20"})
    with pytest.raises(ParamsError, match="leave no training days"):
        load_params(write(tmp_path, raw))


def test_every_error_is_listed_at_once(tmp_path: Path) -> None:
    raw = raw_params(seed=-1, gate={"margin": 2})
    with pytest.raises(ParamsError) as err:
        load_params(write(tmp_path, raw))
    assert "seed:" in str(err.value) and "gate.margin:" in str(err.value)


def test_a_live_stage_without_shadow_or_canary_is_refused_naming_the_keys(tmp_path: Path) -> None:
    raw = raw_params(gate={"live": {"required": True}})
    with pytest.raises(
        ParamsError, match=r"rollout\.shadow is false and rollout\.canary_share is 0"
    ):
        load_params(write(tmp_path, raw))
