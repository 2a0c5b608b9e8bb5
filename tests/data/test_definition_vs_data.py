"""A dataset definition that does not match its table fails early, saying what to fix."""

from pathlib import Path

import pandas as pd
import pytest

from lifecycle.dataset import DatasetSpec
from lifecycle.source import SourceError, read_source
from lifecycle.stages.split import NotEnoughData, Splits, check_classes
from lifecycle.stages.validate import validate


@pytest.fixture(scope="module")
def table(class_spec: DatasetSpec) -> pd.DataFrame:
    return read_source(class_spec).head(300)


def lines(frame: pd.DataFrame, spec: DatasetSpec) -> str:
    return validate(frame, spec).message()


def write(frame: pd.DataFrame, tmp_path: Path, spec: DatasetSpec) -> DatasetSpec:
    path = tmp_path / "table.csv"
    frame.drop(columns="event_time", errors="ignore").to_csv(path, index=False)
    return spec.model_copy(update={"source": path})


def test_missing_target_and_declared_columns_are_named(
    table: pd.DataFrame, class_spec: DatasetSpec
) -> None:
    text = lines(table.drop(columns=["late", "orders"]), class_spec)
    assert "column 'late' breaks rule 'column is present'" in text
    assert "column 'orders' breaks rule 'column is present'" in text


def test_missing_time_column_stops_reading(
    table: pd.DataFrame, class_spec: DatasetSpec, tmp_path: Path
) -> None:
    spec = write(table.drop(columns="hour"), tmp_path, class_spec)
    with pytest.raises(SourceError, match=r"has no column \['hour'\], named under `time:`"):
        read_source(spec)


def test_time_column_that_never_parses_stops_reading(
    table: pd.DataFrame, class_spec: DatasetSpec, tmp_path: Path
) -> None:
    spec = write(table.assign(date="last tuesday"), tmp_path, class_spec)
    with pytest.raises(SourceError, match="no value of the time column `date` parses"):
        read_source(spec)


def test_a_few_bad_times_are_kept_for_validation_to_name(
    table: pd.DataFrame, class_spec: DatasetSpec, tmp_path: Path
) -> None:
    spec = write(
        table.assign(date=table["date"].where(table.index != 5, "2024-02-30")), tmp_path, class_spec
    )
    frame = read_source(spec)
    assert "row 5: '2024-02-30'" in lines(frame, class_spec)


def test_target_with_one_class(table: pd.DataFrame, class_spec: DatasetSpec) -> None:
    text = lines(table.assign(late=0), class_spec)
    assert "column 'late' breaks rule 'holds both classes 0 and 1" in text and "found 0" in text


def test_target_that_is_not_zero_or_one(table: pd.DataFrame, class_spec: DatasetSpec) -> None:
    frame = table.copy()
    frame.loc[7, "late"] = 2
    assert "column 'late' breaks rule 'value in [0, 1]' in 1 row(s) (row 7: 2" in lines(
        frame, class_spec
    )


def test_split_window_with_one_class_stops_before_training(class_splits: Splits) -> None:
    check_classes(class_splits, "late")
    calm = Splits(class_splits.train, class_splits.val.assign(late=0), class_splits.test)
    with pytest.raises(NotEnoughData, match=r"the val window holds only class \[0\] of `late`"):
        check_classes(calm, "late")
