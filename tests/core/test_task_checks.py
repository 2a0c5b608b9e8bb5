"""Definitions and params that do not fit the task stop at the start, naming what to fix."""

from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from lifecycle.dataset import DatasetSpec
from lifecycle.params import ParamsError, check_params_task, load_params
from tests.helpers.params import CLASSIFICATION, ROOT, deep_merge, make_params


def raw_deliveries() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "tests/datasets/deliveries.yaml").read_text())


def test_shipped_definitions_and_params_fit_their_tasks() -> None:
    assert DatasetSpec.model_validate(raw_deliveries()).task == "classification"
    check_params_task(load_params(ROOT / "params.yaml"), "regression")
    check_params_task(make_params(**CLASSIFICATION), "classification")


def test_classification_target_must_be_declared_binary() -> None:
    raw = raw_deliveries()
    raw["columns"]["late"] = {"dtype": "int", "values": [0, 1, 2]}
    with pytest.raises(ValidationError, match=r"`dtype: int, values: \[0, 1\]`.*`late`"):
        DatasetSpec.model_validate(raw)
    raw["columns"]["late"] = {"dtype": "float", "min": 0.0}
    with pytest.raises(ValidationError, match="classification target"):
        DatasetSpec.model_validate(raw)


def test_target_cannot_be_a_date() -> None:
    raw = raw_deliveries()
    raw["target"] = "date"
    with pytest.raises(ValidationError, match="the target `date` is a date"):
        DatasetSpec.model_validate(raw)


def test_regression_params_on_a_classification_dataset_name_every_key() -> None:
    with pytest.raises(ParamsError) as err:
        check_params_task(make_params(), "classification")
    text = str(err.value)
    assert "classification task" in text
    assert "gate.metric: 'mae' does not fit; use roc_auc | log_loss | f1 | brier" in text
    assert "gate.max_mae: a floor on mae does not fit" in text and "gate.min_r2:" in text
    assert "train.log_target: applies to regression only" in text


def test_classification_metric_on_a_regression_dataset() -> None:
    params = make_params(gate={"metric": "roc_auc", "min_roc_auc": 0.7})
    with pytest.raises(ParamsError) as err:
        check_params_task(params, "regression")
    assert "regression task" in str(err.value)
    assert "gate.metric: 'roc_auc' does not fit; use mae | rmse" in str(err.value)
    assert "gate.min_roc_auc: a floor on roc_auc does not fit" in str(err.value)


def test_unknown_gate_metric_is_rejected_when_params_load(tmp_path: Any) -> None:
    from tests.helpers.params import raw_params

    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(deep_merge(raw_params(), {"gate": {"metric": "accuracy"}})))
    with pytest.raises(ParamsError, match=r"gate\.metric: Input should be"):
        load_params(path)
