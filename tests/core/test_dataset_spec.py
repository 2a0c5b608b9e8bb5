"""The dataset definition refuses inconsistent declarations before any work."""

from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from lifecycle.dataset import DatasetSpec
from tests.helpers.params import ROOT


def raw_spec() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "data/datasets/bike_sharing.yaml").read_text())


@pytest.mark.ml_test_score("D6")
def test_bike_sharing_features_are_client_inputs_only() -> None:
    spec = DatasetSpec.model_validate(raw_spec())
    assert list(spec.features) == [
        "holiday",
        "workingday",
        "weathersit",
        "temp",
        "atemp",
        "hum",
        "windspeed",
    ]
    assert spec.model_inputs[0] == "event_time"
    assert not set(spec.features) & {"casual", "registered", "cnt"}


@pytest.mark.ml_test_score("D4")
def test_leaky_column_cannot_be_a_feature() -> None:
    raw = raw_spec()
    raw["columns"]["registered"].update(feature=True, kind="numeric")
    with pytest.raises(ValidationError, match="cannot be features: \\['registered'\\]"):
        DatasetSpec.model_validate(raw)


def test_feature_needs_a_kind() -> None:
    raw = raw_spec()
    del raw["columns"]["temp"]["kind"]
    with pytest.raises(ValidationError, match="needs a `kind`"):
        DatasetSpec.model_validate(raw)


def test_target_must_be_declared() -> None:
    raw = raw_spec()
    raw["target"] = "rentals"
    with pytest.raises(ValidationError, match="not declared under `columns`: \\['rentals'\\]"):
        DatasetSpec.model_validate(raw)


def test_unknown_rule_key_is_rejected() -> None:
    raw = raw_spec()
    raw["columns"]["hum"]["maximum"] = 1
    with pytest.raises(ValidationError, match="maximum"):
        DatasetSpec.model_validate(raw)
