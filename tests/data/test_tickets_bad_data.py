"""Bad event-level data and bad definitions fail fast, naming the column, the rule and the rows.

Fast: `validate()` on a slice of the tickets table, and `DatasetSpec.model_validate` on its
definition; no pipeline runs.
"""

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml
from pydantic import ValidationError

from lifecycle.dataset import DatasetSpec, load_spec
from lifecycle.source import SourceError, event_time, read_source
from lifecycle.stages.validate import validate
from tests.helpers.params import ROOT
from tests.helpers.tickets import DATASET


@pytest.fixture(scope="module")
def spec() -> DatasetSpec:
    loaded = load_spec(ROOT / DATASET)
    return loaded.model_copy(update={"source": ROOT / loaded.source})


@pytest.fixture
def rows(spec: DatasetSpec) -> pd.DataFrame:
    """The first 400 tickets, as read from the source (a fresh copy per test)."""
    return read_source(spec).head(400).copy()


def message(frame: pd.DataFrame, spec: DatasetSpec) -> str:
    """validate()'s message after rebuilding the event time from the (edited) time column."""
    report = validate(frame.assign(event_time=event_time(frame, spec)), spec)
    assert not report.ok
    return report.message()


def raw() -> dict[str, Any]:
    return yaml.safe_load((ROOT / DATASET).read_text())


def test_a_category_outside_the_closed_set(rows: pd.DataFrame, spec: DatasetSpec) -> None:
    rows.loc[[3, 17], "channel"] = "fax"
    text = message(rows, spec)
    assert "column 'channel' breaks rule 'value in ['email', 'chat', 'phone']'" in text
    assert "in 2 row(s) (row 3: 'fax', row 17: 'fax')" in text


def test_a_new_team_is_fine_in_an_open_vocabulary(rows: pd.DataFrame, spec: DatasetSpec) -> None:
    rows.loc[3, "team"] = "night_shift"
    assert validate(rows, spec).ok


def test_more_gaps_than_declared(rows: pd.DataFrame, spec: DatasetSpec) -> None:
    rows.loc[rows.index[:100], "product"] = np.nan  # max_missing: 0.15, now well above
    text = message(rows, spec)
    assert "column 'product' breaks rule 'missing share <= 0.15 (found 0." in text
    assert "(row 0: None, row 1: None" in text


def test_a_gap_where_none_is_allowed(rows: pd.DataFrame, spec: DatasetSpec) -> None:
    rows.loc[12, "team"] = np.nan
    assert "column 'team' breaks rule 'not_nullable' in 1 row(s) (row 12: None)" in message(
        rows, spec
    )


def test_a_duplicated_ticket_id(rows: pd.DataFrame, spec: DatasetSpec) -> None:
    rows.loc[9, "ticket_id"] = rows.loc[8, "ticket_id"]
    text = message(rows, spec)
    assert "column 'ticket_id' breaks rule 'unique row key (key: ['ticket_id'])'" in text
    assert "(row 8: 'T000009', row 9: 'T000009')" in text


def test_tickets_may_share_a_timestamp(rows: pd.DataFrame, spec: DatasetSpec) -> None:
    rows["created_at"] = rows["created_at"].iloc[0]
    assert validate(rows.assign(event_time=event_time(rows, spec)), spec).ok


def test_a_timestamp_that_does_not_parse(rows: pd.DataFrame, spec: DatasetSpec) -> None:
    rows.loc[5, "created_at"] = "2024-01-32T10:00:00+01:00"
    rows.loc[6, "created_at"] = "soon"
    text = message(rows, spec)
    rule = "parses as a timestamp with a UTC offset (time.zone: Europe/Berlin)"
    assert f"column 'created_at' breaks rule '{rule}' in 2 row(s)" in text
    assert "(row 5: '2024-01-32T10:00:00+01:00', row 6: 'soon')" in text


def test_some_timestamps_without_their_offset(rows: pd.DataFrame, spec: DatasetSpec) -> None:
    rows.loc[[10, 11], "created_at"] = rows.loc[[10, 11], "created_at"].str[:19]  # cut "+01:00"
    text = message(rows, spec)
    assert "column 'created_at' breaks rule 'parses as a timestamp with a UTC offset" in text
    assert "(row 10: '2024-01-01T08:30:00', row 11: '2024-01-01T08:38:00')" in text


def test_offsets_where_the_definition_sets_no_zone(rows: pd.DataFrame, spec: DatasetSpec) -> None:
    naive = spec.model_copy(update={"time": spec.time.model_copy(update={"zone": None})})
    rows.loc[[10, 11], "created_at"] = rows.loc[[10, 11], "created_at"].str[:19]
    rule = "parses as a timestamp without a UTC offset (time.zone is not set)"
    assert f"column 'created_at' breaks rule '{rule}' in 398 row(s)" in message(rows, naive)


def test_no_offset_at_all_stops_reading(
    rows: pd.DataFrame, spec: DatasetSpec, tmp_path: Path
) -> None:
    path = tmp_path / "tickets.csv"
    rows.assign(created_at=rows["created_at"].str[:19]).drop(columns="event_time").to_csv(
        path, index=False
    )
    with pytest.raises(SourceError, match=r"have no UTC offset .* remove `zone` for local times"):
        read_source(spec.model_copy(update={"source": path}))


def test_a_text_feature_needs_values_or_unseen() -> None:
    definition = raw()
    del definition["columns"]["team"]["unseen"]
    with pytest.raises(ValidationError, match=r"a text feature needs `values: \[\.\.\.\]`"):
        DatasetSpec.model_validate(definition)


def test_values_and_unseen_exclude_each_other() -> None:
    definition = raw()
    definition["columns"]["channel"]["unseen"] = "other"
    with pytest.raises(ValidationError, match="`unseen` is for open-vocabulary text"):
        DatasetSpec.model_validate(definition)


def test_the_target_cannot_have_gaps() -> None:
    definition = raw()
    definition["columns"]["breached"]["max_missing"] = 0.1
    with pytest.raises(ValidationError, match="the target `breached` cannot be nullable"):
        DatasetSpec.model_validate(definition)


def test_a_key_cannot_be_a_feature() -> None:
    definition = raw()
    definition["key"] = ["ticket_id", "channel"]
    with pytest.raises(ValidationError, match=r"key columns cannot be features: \['channel'\]"):
        DatasetSpec.model_validate(definition)


def test_the_zone_must_exist() -> None:
    definition = raw()
    definition["time"]["zone"] = "Europe/Berlinn"
    with pytest.raises(ValidationError, match="'Europe/Berlinn' is not a time zone"):
        DatasetSpec.model_validate(definition)


@pytest.mark.parametrize("key", [None, [], ["ticket_id", "ticket_id"]])
def test_the_key_must_be_declared(key: list[str] | None) -> None:
    definition = raw()
    if key is None:
        del definition["key"]
    else:
        definition["key"] = key
    with pytest.raises(ValidationError, match=r"`key` \(required\) must name one or more"):
        DatasetSpec.model_validate(definition)


CHAPTER = ROOT / "docs/tutorial/bring-your-own-table.md"


def test_chapter_10_pastes_what_validate_really_says(spec: DatasetSpec) -> None:
    # The two blocks under "When the data is wrong", remade here on the whole table.
    whole = read_source(spec)
    broken = whole.copy()
    broken.loc[[5, 7], "channel"] = ["fax", "sms"]
    broken.loc[broken.index[:3000], "queue_length"] = np.nan
    broken.loc[11, "ticket_id"] = broken.loc[10, "ticket_id"]
    stamps = whole.copy()
    stamps.loc[3, "created_at"] = "2024-01-01T09:00:00"
    stamps.loc[4, "created_at"] = "yesterday"
    page = CHAPTER.read_text()
    for frame in (broken, stamps):
        for line in message(frame, spec).splitlines()[1:]:
            assert line in page, f"chapter 10 lacks or misquotes:\n{line}"
    assert message(broken, spec).splitlines()[0] in page


def _no_key(d: dict[str, Any]) -> None:
    del d["key"]


# Rows of chapter 10's "When the definition is wrong" table, and how to make each mistake.
MISTAKES: dict[str, Any] = {
    "no `key`": _no_key,
    "a text feature without `values` or `unseen`": lambda d: d["columns"]["team"].pop("unseen"),
    "a nullable target": lambda d: d["columns"]["breached"].update(max_missing=0.1),
    "a key, the target or a leaky column marked `feature: true`": lambda d: d.update(
        key=["channel"]
    ),
    "a zone that does not exist": lambda d: d["time"].update(zone="Berlin"),
    "a classification target without `values: [0, 1]`": lambda d: d["columns"]["breached"].pop(
        "values"
    ),
    "a feature without `kind`, or one its dtype cannot be": lambda d: d["columns"]["team"].update(
        kind="numeric"
    ),
}


def chapter_table() -> dict[str, str]:
    """The table's rows: mistake -> the message as printed (backticks and escapes removed)."""
    page = CHAPTER.read_text().split("## When the definition is wrong")[1].split("\n## ")[0]
    rows = [line.split(" | ") for line in page.splitlines() if line.startswith("| ")][2:]
    return {r[0].lstrip("| "): r[1].replace("`", "").replace("\\|", "|").strip() for r in rows}


@pytest.mark.parametrize("mistake", list(MISTAKES))
def test_chapter_10_quotes_the_real_definition_errors(mistake: str) -> None:
    quoted = chapter_table()[mistake]
    definition = raw()
    MISTAKES[mistake](definition)
    with pytest.raises(ValidationError) as caught:
        DatasetSpec.model_validate(definition)
    errors = caught.value.errors()
    said = " ".join(
        ".".join(map(str, e["loc"])) + ": " + e["msg"].removeprefix("Value error, ") for e in errors
    ).replace("`", "")
    for part in quoted.split("…"):  # the page shortens long messages with an ellipsis
        part = part.strip(" ()")
        assert part in said, f"chapter 10 says {part!r}; the definition says {said!r}"
