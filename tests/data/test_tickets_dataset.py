"""The shipped event-level dataset: reproducible from its script, valid, and really event-level
(shared timestamps, text, gaps, DST offsets, new categories later), with a drifting label rate."""

import importlib.util
import types
import zoneinfo

import pandas as pd
import pytest
from pandas.api.typing import DataFrameGroupBy

from lifecycle.dataset import DatasetSpec, load_spec
from lifecycle.source import read_source
from lifecycle.stages.validate import validate
from tests.helpers.params import ROOT
from tests.helpers.tickets import DATASET

FOLDER = ROOT / "tests/datasets"


def generator() -> types.ModuleType:
    """Import tests/datasets/make_tickets.py (a script, not a package module)."""
    location = importlib.util.spec_from_file_location("make_tickets", FOLDER / "make_tickets.py")
    assert location is not None and location.loader is not None
    module = importlib.util.module_from_spec(location)
    location.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def tickets() -> tuple[DatasetSpec, pd.DataFrame]:
    spec = load_spec(ROOT / DATASET)
    return spec, read_source(spec, ROOT)


def by_month(frame: pd.DataFrame) -> DataFrameGroupBy:
    return frame.groupby(frame["event_time"].dt.month)


def test_committed_csv_is_exactly_what_the_script_writes() -> None:
    expected = "\n".join(generator().build()) + "\n"
    assert (FOLDER / "tickets.csv").read_text() == expected


def test_definition_is_event_level_and_the_table_passes_it(
    tickets: tuple[DatasetSpec, pd.DataFrame],
) -> None:
    spec, frame = tickets
    assert spec.task == "classification" and spec.key == ["ticket_id"]
    assert spec.time.timestamp == "created_at" and spec.time.zone == "Europe/Berlin"
    assert spec.columns["team"].open_vocabulary and not spec.columns["channel"].open_vocabulary
    report = validate(frame, spec)
    assert report.ok, report.message()
    assert 15_000 <= len(frame) <= 25_000 and frame["ticket_id"].is_unique


def test_many_tickets_share_a_minute(tickets: tuple[DatasetSpec, pd.DataFrame]) -> None:
    _, frame = tickets
    per_time = frame.groupby("event_time").size()
    shared = frame["event_time"].map(per_time) > 1
    assert shared.mean() > 0.25 and per_time.max() >= 10  # the mail poller and the outages


def test_offsets_follow_berlin_summer_time(tickets: tuple[DatasetSpec, pd.DataFrame]) -> None:
    _, frame = tickets
    berlin = zoneinfo.ZoneInfo("Europe/Berlin")
    local = frame["event_time"].dt.to_pydatetime()
    offsets = frame["created_at"].str[-6:]
    expected = [t.replace(tzinfo=berlin).isoformat()[-6:] for t in local]
    assert (offsets == expected).all()
    assert set(offsets) == {"+01:00", "+02:00"}


def test_gaps_have_their_declared_shares(tickets: tuple[DatasetSpec, pd.DataFrame]) -> None:
    spec, frame = tickets
    shares = {c: frame[c].isna().mean() for c, col in spec.columns.items() if col.nullable}
    assert set(shares) == {"product", "queue_length", "customer_tenure_days"}
    assert 0.01 < shares["queue_length"] < shares["product"] < shares["customer_tenure_days"]
    assert all(share < spec.columns[c].max_missing for c, share in shares.items())


def test_new_teams_appear_later_in_time(tickets: tuple[DatasetSpec, pd.DataFrame]) -> None:
    _, frame = tickets
    first = frame.groupby("team")["event_time"].min()
    assert first["mobile"] >= pd.Timestamp("2024-03-01")
    assert first["payments"] >= pd.Timestamp("2024-05-01")
    assert frame.loc[frame["event_time"] >= "2024-04-01", "team"].ne("apps").all()


def test_the_mix_and_the_breach_rate_drift(tickets: tuple[DatasetSpec, pd.DataFrame]) -> None:
    spec, frame = tickets
    rate = by_month(frame)[spec.target].mean()
    assert rate.min() > 0.1 and rate.max() < 0.4  # imbalanced, never trivial
    assert rate[3] > rate[1] + 0.08 and rate[4] < rate[3] - 0.04 and rate[6] > rate[4] + 0.08
    chat = by_month(frame)["channel"].apply(lambda s: (s == "chat").mean())
    assert chat[6] > chat[1] + 0.15
    assert by_month(frame).size()[6] > 1.2 * by_month(frame).size()[1]
