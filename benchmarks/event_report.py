"""The event-table benchmark's verdict: rows of timings with their ratios, and the printed table.

Pure functions of the measured numbers (tests/benchmarks/test_event_table.py), no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# Issue 13, on a 300,000-row, 15-column table and 2 cores: budgets of the big table's steps.
BUDGET = {"cold_repro": 300.0, "validate": 20.0, "decision": 20.0, "decision_first": 20.0}
BIG, SHIPPED, BIKE = "events", "shipped", "bike"  # the tables, as the rows name them
# The steps in the order a user meets them; `validate_call` is the library call inside the
# stage, `decision_first` the first decision of a new champion (it builds the reference cache).
ORDER = ("make_table", "cold_repro", "validate", "validate_call", "simulate", "feedback",
         "decision_first", "decision")  # fmt: skip


@dataclass(frozen=True)
class Step:
    """One timed step: the rows it handled, wall-clock and CPU seconds (its processes)."""

    rows: int
    wall: float
    cpu: float | None = None  # None: not measured (the bike row, read from pipeline.json)


def _ratio(value: float, base: float | None, digits: int = 2) -> float | None:
    return round(value / base, digits) if base else None


def step_rows(
    startup: float, tables: dict[str, dict[str, Step]], bike_cold: Step | None = None
) -> list[dict[str, Any]]:
    """One row per (step, table): seconds, and ratios to the budget (the big table only), to
    `dvc` start-up and to the same step on the shipped table (the scaling)."""
    measured = {**({BIKE: {"cold_repro": bike_cold}} if bike_cold else {}), **tables}
    shipped = tables.get(SHIPPED, {})
    rows = []
    for step in ORDER:
        for table, steps in measured.items():
            if step not in steps:
                continue
            got, base = steps[step], shipped.get(step)
            rows.append(
                {
                    "step": step,
                    "table": table,
                    "rows": got.rows,
                    "seconds": round(got.wall, 2),
                    "cpu_s": None if got.cpu is None else round(got.cpu, 2),
                    "budget_s": BUDGET.get(step) if table == BIG else None,
                    "ratio_to_budget": _ratio(got.wall, BUDGET.get(step), 3)
                    if table == BIG
                    else None,
                    "ratio_to_dvc_startup": _ratio(got.wall, startup, 1),
                    "ratio_to_shipped": _ratio(got.wall, base.wall) if base else None,
                    "rows_vs_shipped": _ratio(got.rows, base.rows, 1) if base else None,
                }
            )
    return rows


def verdicts(rows: list[dict[str, Any]]) -> dict[str, bool]:
    """Which of the big table's budgets were met (wall clock, as users wait)."""
    return {
        r["step"]: r["ratio_to_budget"] <= 1.0
        for r in rows
        if r["table"] == BIG and r["ratio_to_budget"] is not None
    }


def events_result(
    startup: float,
    tables: dict[str, dict[str, Step]],
    about: dict[str, Any],
    bike_cold: Step | None = None,
) -> dict[str, Any]:
    """The benchmark's JSON: every row, the verdicts, the baseline and what was measured."""
    rows = step_rows(startup, tables, bike_cold)
    return {"dvc_startup_s": round(startup, 3), "results": rows, "meets": verdicts(rows), **about}


def _cell(value: Any) -> str:
    return "-" if value is None else str(value)


def table_lines(rows: list[dict[str, Any]]) -> list[str]:
    """The rows as a fixed-width table (one line per step and table)."""
    head = (
        f"{'step':<15}{'table':<9}{'rows':>8}{'seconds':>9}{'cpu s':>8}{'budget':>8}"
        f"{'x budget':>10}{'x dvc start':>13}{'x shipped':>11}{'rows x':>8}"
    )
    lines = [head]
    for r in rows:
        lines.append(
            f"{r['step']:<15}{r['table']:<9}{r['rows']:>8}{r['seconds']:>9}{_cell(r['cpu_s']):>8}"
            f"{_cell(r['budget_s']):>8}{_cell(r['ratio_to_budget']):>10}"
            f"{_cell(r['ratio_to_dvc_startup']):>13}{_cell(r['ratio_to_shipped']):>11}"
            f"{_cell(r['rows_vs_shipped']):>8}"
        )
    return lines
