"""The data contract: a pandera schema derived from the dataset definition, and its report."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaErrors

from lifecycle.columns import EVENT_TIME, Column
from lifecycle.dataset import DatasetSpec, row_keys
from lifecycle.source import BOOL_TEXT, parse_timestamps

MAX_EXAMPLES = 5  # example rows per failed rule in the report
LEAK_CORRELATION = 0.95  # a feature this correlated with the target is almost surely a leak


def _checks(col: Column) -> list[pa.Check]:
    checks = []
    if col.values is not None:
        checks.append(pa.Check.isin(col.values, error=f"value in {col.values}"))
    # As numbers: a column with gaps has no dtype check, and text in it must fail the rule by
    # name (pandas would raise "Invalid comparison" inside pandera instead).
    if col.min is not None:
        low = col.min
        checks.append(
            pa.Check(lambda s: pd.to_numeric(s, errors="coerce") >= low, error=f">= {low}")
        )
    if col.max is not None:
        high = col.max
        checks.append(
            pa.Check(lambda s: pd.to_numeric(s, errors="coerce") <= high, error=f"<= {high}")
        )
    return checks


def _parses(col: Column, zone: str | None) -> pa.Check:
    """Dates parse as dates; timestamps parse, with an offset exactly when `time.zone` is set."""
    if col.dtype == "date":
        return pa.Check(
            lambda s: pd.to_datetime(s, errors="coerce", format="mixed").notna(),
            error="parses as a date",
        )
    rule = f"parses as a timestamp with a UTC offset (time.zone: {zone})" if zone else (
        "parses as a timestamp without a UTC offset (time.zone is not set)")  # fmt: skip
    return pa.Check(lambda s: parse_timestamps(s, zone).notna(), error=rule)


def _typed(col: Column) -> tuple[Any, list[pa.Check]]:
    """The pandera dtype and type checks of a column (gaps make pandas read ints as floats)."""
    if col.dtype == "int" and col.nullable:
        whole = pa.Check(
            lambda s: pd.to_numeric(s, errors="coerce").mod(1).eq(0), error="is a whole number"
        )
        return None, [whole]
    if col.dtype == "bool":
        spellings = "/".join(BOOL_TEXT)
        return None, [pa.Check.isin([True, False], error=f"is a bool ({spellings})")]
    return {"int": "int64", "float": "float64", "str": str}[col.dtype], []


def _column(col: Column, zone: str | None) -> pa.Column:
    nullable = col.nullable
    if col.dtype in ("date", "timestamp"):
        return pa.Column(str, checks=[_parses(col, zone)], nullable=nullable)
    dtype, checks = _typed(col)
    return pa.Column(dtype, checks=[*checks, *_checks(col)], nullable=nullable)


def build_schema(spec: DatasetSpec) -> pa.DataFrameSchema:
    """Every declared column with its dtype, rule and allowed gaps; the event time never empty
    (and unique when it is the row key)."""
    columns = {name: _column(col, spec.time.zone) for name, col in spec.columns.items()}
    columns[EVENT_TIME] = pa.Column("datetime64[ns]", nullable=False, unique=spec.keyed_by_time)
    return pa.DataFrameSchema(columns, strict=False, name=spec.name)


@dataclass
class Failure:
    """One broken rule: which column, which rule, how many rows, and a few examples."""

    column: str
    rule: str
    rows: int
    examples: list[dict[str, Any]] = field(default_factory=list)

    def line(self) -> str:
        """A human-readable one-liner."""
        head = f"column '{self.column}' breaks rule '{self.rule}'"
        rows = [e for e in self.examples if e["row"] is not None]
        if rows:
            shown = ", ".join(f"row {e['row']}: {e['value']!r}" for e in rows)
            more = ", ..." if self.rows > len(rows) else ""
            return f"{head} in {self.rows} row(s) ({shown}{more})"
        found = ", ".join(repr(e["value"]) for e in self.examples if e["value"] is not None)
        return f"{head} (found {found})" if found else head


@dataclass
class ValidationReport:
    """The outcome of validating a table against the dataset definition."""

    dataset: str
    rows: int
    failures: list[Failure]

    @property
    def ok(self) -> bool:
        """True when no rule was broken."""
        return not self.failures

    def as_dict(self) -> dict[str, Any]:
        """Plain dict for the JSON report."""
        return {"ok": self.ok, **asdict(self)}

    def message(self) -> str:
        """Multi-line summary naming each column, rule and example rows."""
        if self.ok:
            return f"{self.dataset}: {self.rows} rows pass every rule"
        head = f"{self.dataset}: {len(self.failures)} rule(s) broken in {self.rows} rows"
        return "\n".join([head, *(f"  - {f.line()}" for f in self.failures)])


def _leak_failures(frame: pd.DataFrame, spec: DatasetSpec) -> list[Failure]:
    """Features that track the target almost exactly are leaks (e.g. `registered` for `cnt`).

    The dataset definition already refuses declared leaky columns as features; this catches
    undeclared ones in the data itself.
    """
    if spec.target not in frame:
        return []
    target = pd.to_numeric(frame[spec.target], errors="coerce")
    out = []
    for col, declared in spec.features.items():
        if col in frame and declared.dtype != "str":  # text has no correlation to compute
            with np.errstate(invalid="ignore", divide="ignore"):  # constant columns: NaN
                corr = pd.to_numeric(frame[col], errors="coerce").corr(target)
            if pd.notna(corr) and abs(corr) >= LEAK_CORRELATION:
                rule = f"not a target-leaking feature (|corr| with {spec.target} = {abs(corr):.3f})"
                out.append(Failure(column=col, rule=rule, rows=len(frame)))
    return out


def _class_failures(frame: pd.DataFrame, spec: DatasetSpec) -> list[Failure]:
    """A classification target needs both labels in the data: one class cannot be learnt."""
    if spec.task != "classification" or spec.target not in frame:
        return []
    seen = sorted(pd.to_numeric(frame[spec.target], errors="coerce").dropna().unique())
    if set(seen) >= {0, 1}:
        return []  # values other than 0/1 are reported by the `values: [0, 1]` rule
    rule = "holds both classes 0 and 1 (a classification target)"
    return [
        Failure(
            column=spec.target,
            rule=rule,
            rows=len(frame),
            examples=[{"row": None, "value": _plain(v)} for v in seen[:MAX_EXAMPLES]],
        )
    ]


def _examples(frame: pd.DataFrame, rows: pd.Series, columns: list[str]) -> list[dict[str, Any]]:
    """The first few flagged rows, with the value (or key values) found there."""
    picked = frame.loc[rows[rows].index[:MAX_EXAMPLES], columns]
    values = picked.iloc[:, 0] if len(columns) == 1 else picked.astype(str).agg(", ".join, axis=1)
    return [{"row": int(i), "value": _plain(v)} for i, v in values.items()]


def _missing_failures(frame: pd.DataFrame, spec: DatasetSpec) -> list[Failure]:
    """Nullable columns may be empty, but only up to their declared share (`max_missing`)."""
    out = []
    for name, col in spec.columns.items():
        if not col.nullable or name not in frame or frame.empty:
            continue
        gaps = frame[name].isna()
        if gaps.mean() > col.max_missing:
            rule = f"missing share <= {col.max_missing:g} (found {gaps.mean():.3f})"
            examples = _examples(frame, gaps, [name])
            out.append(Failure(column=name, rule=rule, rows=int(gaps.sum()), examples=examples))
    return out


def _key_failures(frame: pd.DataFrame, spec: DatasetSpec) -> list[Failure]:
    """Two rows with the same key break the row key (labels could not find their row)."""
    keys = spec.key_columns
    if not keys or not set(keys) <= set(frame.columns):
        return []  # keyed by event time: pandera's uniqueness check on event_time reports it
    # On the key text the log and the label store use: 2024-1-1 and 2024-01-01 are one key.
    twice = row_keys(frame, spec).duplicated(keep=False)
    if not twice.any():
        return []
    rule = f"unique row key (key: {keys})"
    name = "+".join(keys)
    return [Failure(name, rule, int(twice.sum()), _examples(frame, twice, keys))]


def _failures(err: SchemaErrors) -> list[Failure]:
    cases = err.failure_cases.copy()
    # A missing column is reported against the schema; name the column itself instead.
    missing = cases["check"] == "column_in_dataframe"
    cases.loc[missing, "column"] = cases.loc[missing, "failure_case"]
    cases.loc[missing, "check"] = "column is present"
    cases.loc[missing, "failure_case"] = None
    cases.loc[missing, "index"] = None
    cases["column"] = cases["column"].fillna("<table>").astype(str)
    out = []
    for (column, rule), group in cases.groupby(["column", "check"], sort=False):
        examples = [
            {"row": None if pd.isna(i) else int(i), "value": _plain(v)}
            for i, v in zip(group["index"], group["failure_case"], strict=True)
        ][:MAX_EXAMPLES]
        out.append(Failure(column=str(column), rule=str(rule), rows=len(group), examples=examples))
    return out


def _plain(value: Any) -> Any:
    """JSON-friendly scalar (numpy and pandas scalars become Python ones)."""
    if pd.isna(value):
        return None
    return (
        value.item()
        if hasattr(value, "item")
        else str(value)
        if not isinstance(value, int | float | str)
        else value
    )


def validate(frame: pd.DataFrame, spec: DatasetSpec) -> ValidationReport:
    """Check a table against the dataset definition, collecting every failure (lazy)."""
    failures = _leak_failures(frame, spec) + _class_failures(frame, spec)
    failures += _missing_failures(frame, spec) + _key_failures(frame, spec)
    try:
        build_schema(spec).validate(frame, lazy=True)
    except SchemaErrors as err:
        failures += _failures(err)
    return ValidationReport(dataset=spec.name, rows=len(frame), failures=failures)
