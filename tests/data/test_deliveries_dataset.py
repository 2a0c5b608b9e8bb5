"""The shipped classification dataset: reproducible from its script, valid, learnable, drifting."""

import importlib.util
import types

import pandas as pd
import pytest

from lifecycle.dataset import DatasetSpec, load_spec
from lifecycle.source import read_source
from lifecycle.stages.validate import validate
from tests.helpers.params import ROOT

FOLDER = ROOT / "tests/datasets"


def generator() -> types.ModuleType:
    """Import tests/datasets/make_deliveries.py (a script, not a package module)."""
    location = importlib.util.spec_from_file_location(
        "make_deliveries", FOLDER / "make_deliveries.py"
    )
    assert location is not None and location.loader is not None
    module = importlib.util.module_from_spec(location)
    location.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def deliveries() -> tuple[DatasetSpec, pd.DataFrame]:
    spec = load_spec(FOLDER / "deliveries.yaml")
    return spec, read_source(spec, ROOT)


def test_committed_csv_is_exactly_what_the_script_writes() -> None:
    expected = "\n".join(generator().build()) + "\n"
    assert (FOLDER / "deliveries.csv").read_text() == expected


def test_definition_is_a_classification_task_and_the_table_passes_it(
    deliveries: tuple[DatasetSpec, pd.DataFrame],
) -> None:
    spec, frame = deliveries
    assert spec.task == "classification" and spec.source.as_posix().startswith("tests/datasets/")
    report = validate(frame, spec)
    assert report.ok, report.message()
    assert set(frame[spec.target].unique()) == {0, 1}


def test_late_hours_become_more_common_as_demand_outgrows_the_roster(
    deliveries: tuple[DatasetSpec, pd.DataFrame],
) -> None:
    spec, frame = deliveries
    by_month = frame.groupby(frame["event_time"].dt.month)[spec.target].mean()
    assert by_month.min() > 0.1 and by_month.max() < 0.4  # imbalanced, never trivial
    assert by_month[3] > by_month[1] + 0.04 and by_month[6] > by_month[4] + 0.08
    assert (
        frame[frame["event_time"].dt.month == 6]["orders"].mean()
        > 1.25 * frame[frame["event_time"].dt.month == 1]["orders"].mean()
    )
