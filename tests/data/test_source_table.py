"""The committed table and the data contract: every kind of bad input is caught and named."""

import hashlib

import numpy as np
import pandas as pd
import pytest

from lifecycle.dataset import DatasetSpec
from lifecycle.source import event_time
from lifecycle.stages.validate import ValidationReport, validate
from tests.helpers.params import ROOT

SHA256 = "b03a2d02e8c10f435c43c7f0b358b7e34a003afea53dbc37f0183f2763295133"


def test_committed_table_is_the_uci_file() -> None:
    data = (ROOT / "data/raw/bike_sharing_hour.csv").read_bytes()
    assert hashlib.sha256(data).hexdigest() == SHA256


def test_attribution_ships_with_the_data() -> None:
    readme = (ROOT / "data/raw/README.md").read_text()
    assert "CC BY 4.0" in readme and "Fanaee-T" in readme


@pytest.mark.ml_test_score("D1")
def test_committed_table_passes_every_rule(source: pd.DataFrame, spec: DatasetSpec) -> None:
    report = validate(source, spec)
    assert report.ok, report.message()
    assert report.rows == 17379


def test_target_is_the_sum_of_the_leaky_columns(source: pd.DataFrame) -> None:
    # Why `casual` and `registered` are declared leaky: together they ARE the target.
    assert (source["casual"] + source["registered"] == source["cnt"]).all()


def failure(report: ValidationReport, column: str) -> str:
    lines = [f.line() for f in report.failures if f.column == column]
    assert lines, f"no failure for {column}: {report.message()}"
    return "\n".join(lines)


@pytest.fixture
def sample(source: pd.DataFrame) -> pd.DataFrame:
    return source.head(500).copy()


def test_missing_column(sample: pd.DataFrame, spec: DatasetSpec) -> None:
    report = validate(sample.drop(columns="hum"), spec)
    assert "column 'hum' breaks rule 'column is present'" in failure(report, "hum")


def test_wrong_dtype(sample: pd.DataFrame, spec: DatasetSpec) -> None:
    sample["temp"] = sample["temp"].astype(str)
    assert "dtype('float64')" in failure(validate(sample, spec), "temp")


@pytest.mark.ml_test_score("D1")
def test_out_of_range_values_name_the_rows(sample: pd.DataFrame, spec: DatasetSpec) -> None:
    sample.loc[[3, 7], "hum"] = 1.7
    line = failure(validate(sample, spec), "hum")
    assert "<= 1.0" in line and "row 3: 1.7" in line and "row 7: 1.7" in line


def test_unknown_category(sample: pd.DataFrame, spec: DatasetSpec) -> None:
    sample.loc[11, "weathersit"] = 5
    line = failure(validate(sample, spec), "weathersit")
    assert "value in [1, 2, 3, 4]" in line and "row 11: 5" in line


def test_duplicated_hours(sample: pd.DataFrame, spec: DatasetSpec) -> None:
    doubled = pd.concat([sample, sample.iloc[[20]]], ignore_index=True)
    line = failure(validate(doubled, spec), "event_time")
    assert "unique" in line and "row 20" in line


def test_nans(sample: pd.DataFrame, spec: DatasetSpec) -> None:
    sample.loc[42, "windspeed"] = np.nan
    line = failure(validate(sample, spec), "windspeed")
    assert "not_nullable" in line and "row 42" in line


def test_other_units_celsius_instead_of_normalised(sample: pd.DataFrame, spec: DatasetSpec) -> None:
    sample["temp"] = sample["temp"] * 47 - 8  # degrees Celsius, as a weather feed would send
    line = failure(validate(sample, spec), "temp")
    assert "rule '<= 1.0'" in line and "rule '>= 0.0'" in line


def test_unparsable_date(sample: pd.DataFrame, spec: DatasetSpec) -> None:
    sample.loc[9, "dteday"] = "2011-13-45"
    sample["event_time"] = event_time(sample, spec)
    report = validate(sample, spec)
    assert "row 9: '2011-13-45'" in failure(report, "dteday")


@pytest.mark.ml_test_score("D4")
def test_undeclared_leak_is_caught(sample: pd.DataFrame, spec: DatasetSpec) -> None:
    leaky = spec.model_copy(
        update={
            "columns": {**spec.columns, "hum": spec.columns["hum"].model_copy(update={"max": None})}
        }
    )
    sample["hum"] = sample["cnt"]  # a feature that is really the target
    assert "target-leaking" in failure(validate(sample, leaky), "hum")
