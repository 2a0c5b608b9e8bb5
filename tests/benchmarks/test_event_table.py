"""The event-table benchmark: ratios and verdicts from one run's numbers, a fixed-width table,
and a wide tickets table that its definition accepts, with the shipped columns unchanged."""

from __future__ import annotations

import importlib.util
import types
from pathlib import Path

import yaml

from benchmarks.event_report import BIG, SHIPPED, Step, events_result, table_lines
from benchmarks.event_steps import GENERATOR, merged
from benchmarks.event_table import TICKETS, WIDE
from lifecycle.dataset import load_spec
from lifecycle.source import read_source
from lifecycle.stages.validate import validate
from tests.helpers.params import ROOT


def make_tickets() -> types.ModuleType:
    """Import tests/datasets/make_tickets.py (a script, not a package module)."""
    where = importlib.util.spec_from_file_location("make_tickets", ROOT / GENERATOR)
    assert where is not None and where.loader is not None
    module = importlib.util.module_from_spec(where)
    where.loader.exec_module(module)
    return module


def test_ratios_and_verdicts_come_from_the_same_run() -> None:
    tables = {
        SHIPPED: {"cold_repro": Step(20_000, 50.0, 40.0), "decision": Step(4_000, 8.0, 8.0)},
        BIG: {"cold_repro": Step(300_000, 150.0, 140.0), "decision": Step(100_000, 24.0, 9.0)},
    }
    result = events_result(0.5, tables, {"machine": {"cpus": 2}}, Step(17_000, 40.0))
    rows = {(r["step"], r["table"]): r for r in result["results"]}
    assert list(rows) == [
        ("cold_repro", "bike"), ("cold_repro", SHIPPED), ("cold_repro", BIG),
        ("decision", SHIPPED), ("decision", BIG),
    ]  # fmt: skip
    big = rows[("cold_repro", BIG)]
    assert big["ratio_to_budget"] == 0.5 and big["ratio_to_dvc_startup"] == 300.0
    assert big["ratio_to_shipped"] == 3.0 and big["rows_vs_shipped"] == 15.0
    assert rows[("cold_repro", SHIPPED)]["budget_s"] is None  # budgets are the big table's
    assert rows[("cold_repro", "bike")]["cpu_s"] is None
    assert result["meets"] == {"cold_repro": True, "decision": False}  # wall clock decides
    assert result["dvc_startup_s"] == 0.5 and result["machine"] == {"cpus": 2}


def test_the_table_is_fixed_width_with_dashes_for_no_value() -> None:
    tables = {SHIPPED: {"validate": Step(18_856, 0.74, 0.73)}, BIG: {"validate": Step(1, 2, 2)}}
    lines = table_lines(events_result(0.12, tables, {})["results"])
    assert len(lines) == 3 and len({len(line) for line in lines}) == 1
    assert lines[1].split() == ["validate", SHIPPED, "18856", "0.74", "0.73", "-", "-", "6.2",
                                "1.0", "1.0"]  # fmt: skip


def test_params_merge_key_by_key() -> None:
    base = {"data": {"dataset": "a.yaml", "as_of": "2011-04-01"}, "seed": 42}
    got = merged(base, {"data": {"as_of": "2024-06-01"}})
    assert got == {"data": {"dataset": "a.yaml", "as_of": "2024-06-01"}, "seed": 42}
    assert base["data"]["as_of"] == "2011-04-01"


def test_wide_definition_keeps_every_shipped_rule() -> None:
    shipped = yaml.safe_load((ROOT / TICKETS).read_text())
    wide = yaml.safe_load((ROOT / WIDE).read_text())
    assert {k: v for k, v in wide.items() if k not in ("name", "source", "columns")} == {
        k: v for k, v in shipped.items() if k not in ("name", "source", "columns")
    }
    assert all(wide["columns"][name] == col for name, col in shipped["columns"].items())
    assert len(wide["columns"]) == 15


def test_wide_table_passes_its_definition_and_keeps_the_shipped_columns(tmp_path: Path) -> None:
    script = make_tickets()
    wide, plain = script.build(volume=1, wide=True), script.build()
    extra = len(script.WIDE.split(","))
    cut = plain[0].split(",").index("resolution_minutes")
    assert [",".join((f := ln.split(","))[:cut] + f[cut + extra :]) for ln in wide] == plain
    spec = load_spec(ROOT / WIDE)
    (tmp_path / spec.source).parent.mkdir(parents=True)
    (tmp_path / spec.source).write_text("\n".join(wide) + "\n")
    report = validate(read_source(spec, tmp_path), spec)
    assert report.ok, report.message()


def test_volume_multiplies_the_tickets() -> None:
    rows = len(make_tickets().build(volume=3)) - 1
    assert 3 * 18_000 <= rows <= 3 * 19_500
