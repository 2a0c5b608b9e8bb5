"""Shared fixtures: shrunken params, the real data, and a real (temporary) MLflow registry.

Fixtures only; the helpers they use, and tests import, are in tests/helpers/.
"""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd
import pytest

from lifecycle.dataset import DatasetSpec, load_spec
from lifecycle.params import Params
from lifecycle.settings import quiet_telemetry
from lifecycle.source import read_source
from lifecycle.stages.ingest import arrived
from lifecycle.stages.split import Splits, split_by_time
from tests.helpers.params import CLASSIFICATION, ROOT, make_params
from tests.helpers.registry import Registry, state_env, train_and_register


@pytest.fixture(scope="session", autouse=True)
def _quiet() -> None:
    quiet_telemetry()


@pytest.fixture(scope="session")
def spec() -> DatasetSpec:
    """The bike sharing dataset definition, with an absolute source path."""
    loaded = load_spec(ROOT / "data/datasets/bike_sharing.yaml")
    return loaded.model_copy(update={"source": ROOT / loaded.source})


@pytest.fixture(scope="session")
def source(spec: DatasetSpec) -> pd.DataFrame:
    """The committed source table, read once per session (tests must not modify it)."""
    return read_source(spec)


@pytest.fixture(scope="session")
def params() -> Params:
    """Shrunken default params."""
    return make_params()


@pytest.fixture(scope="session")
def splits(source: pd.DataFrame, params: Params) -> Splits:
    """Train/val/test of the default (shrunken) params."""
    return split_by_time(arrived(source, params.data.as_of), params)


@pytest.fixture(scope="session")
def class_spec() -> DatasetSpec:
    """The shipped classification dataset definition, with an absolute source path."""
    loaded = load_spec(ROOT / CLASSIFICATION["data"]["dataset"])
    return loaded.model_copy(update={"source": ROOT / loaded.source})


@pytest.fixture(scope="session")
def class_params() -> Params:
    """Shrunken params for the classification dataset (validated against its task)."""
    from lifecycle.params import check_params_task

    params = make_params(**CLASSIFICATION)
    check_params_task(params, "classification")
    return params


@pytest.fixture(scope="session")
def class_splits(class_spec: DatasetSpec, class_params: Params) -> Splits:
    """Train/val/test of the classification dataset."""
    frame = read_source(class_spec)
    return split_by_time(arrived(frame, class_params.data.as_of), class_params)


@pytest.fixture(scope="session")
def registry(
    tmp_path_factory: pytest.TempPathFactory, spec: DatasetSpec, splits: Splits
) -> Iterator[Registry]:
    """A real SQLite MLflow registry in a temp folder, with an HGB champion (shared, read-only)."""
    params = make_params(train={"candidates": ["hgb"]})
    tmp = tmp_path_factory.mktemp("registry")
    with state_env(tmp / "state") as settings:
        version = train_and_register(settings, spec, params, splits, tmp)
        yield Registry(settings, params, spec, splits, params.registry.model_name, version)
