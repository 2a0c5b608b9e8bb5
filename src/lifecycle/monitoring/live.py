"""Live evidence from the prediction log: the challenger against the champion on live traffic.

Shadow: the challenger predicted the same records the champion answered (the log's
`shadow_predictions`, joined to the answered rows by (request_id, row)), so both are scored on
the same labelled rows: a paired comparison. Canary: the challenger answered some clients
itself (`variant` canary), so each model is scored on its own labelled rows: an unpaired one.
Both are the gate's number, the relative cut of the error with a day-block bootstrap interval
(lifecycle.evidence); this module reads the rows and turns the result into a typed summary.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict

from lifecycle.dataset import EVENT_TIME, DatasetSpec
from lifecycle.evidence import Comparison, Side, metric_value, paired, unpaired
from lifecycle.monitoring.feedback import attach_labels
from lifecycle.monitoring.window import LogError, Window, parse_times
from lifecycle.params import Params
from lifecycle.prediction_log import SHADOW_TABLE, TABLE

LiveVariant = Literal["shadow", "canary"]
CHAMPION, CANARY = "champion", "canary"  # values of the answered rows' `variant`
KEY = ["request_id", "row"]  # joins a shadow row to the answered row of the same record
_ANSWERED = ["request_id", "row", "event_time", "prediction", "model_name", "model_version"]
_SHADOW = ["request_id", "row", "event_time", "prediction", "model_name", "model_version"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class DayErrors(_Frozen):
    """One calendar day of a live comparison: each side's labelled rows and gate metric."""

    day: str
    champion_rows: int
    challenger_rows: int
    champion: float | None  # None: no rows that day, or the metric is undefined on them
    challenger: float | None


class LiveComparison(_Frozen):
    """The challenger (shadow or canary) against the champion on one window's labelled rows."""

    variant: LiveVariant
    model_name: str
    challenger_version: str
    champion_version: str
    metric: str
    champion_metric: float  # the gate metric of each model on its compared rows
    challenger_metric: float
    improvement: float  # 1 - error(challenger) / error(champion): > 0, the challenger is better
    low: float  # the interval of `improvement` at `confidence`
    high: float
    confidence: float
    standard_error: float
    rows: int  # labelled rows compared (each side when paired; the smaller side when not)
    days: int
    paired: bool
    method: str
    better: bool | None  # True better, False worse, None no clear difference (at `confidence`)
    verdict: str
    per_day: list[DayErrors] = []

    @classmethod
    def of(
        cls,
        found: Comparison,
        variant: LiveVariant,
        name: str,
        versions: tuple[str, str],
        per_day: list[DayErrors],
    ) -> LiveComparison:
        """From lifecycle.evidence's Comparison; `versions` is (challenger, champion)."""
        return cls(
            variant=variant,
            model_name=name,
            challenger_version=versions[0],
            champion_version=versions[1],
            metric=found.metric,
            champion_metric=found.champion,
            challenger_metric=found.challenger,
            improvement=found.improvement,
            low=found.low,
            high=found.high,
            confidence=found.confidence,
            standard_error=found.standard_error,
            rows=found.rows,
            days=found.days,
            paired=found.paired,
            method=found.method,
            better=found.better,
            verdict=found.verdict(),
            per_day=per_day,
        )

    def comparison(self) -> Comparison:
        """Back to lifecycle.evidence's Comparison (what lifecycle.rollout decides on)."""
        return Comparison(
            metric=self.metric,
            champion=self.champion_metric,
            challenger=self.challenger_metric,
            improvement=self.improvement,
            low=self.low,
            high=self.high,
            confidence=self.confidence,
            standard_error=self.standard_error,
            rows=self.rows,
            days=self.days,
            paired=self.paired,
            method=self.method,
        )

    def line(self) -> str:
        """One line for the terminal: who against whom, and the verdict."""
        who = f"{self.variant} v{self.challenger_version} vs champion v{self.champion_version}"
        if self.variant == "canary":
            said = self.verdict.replace("the challenger", "the canary")
            return f"live {who} (unpaired, each on its own rows): {said}"
        return f"live {who} (paired, the same rows): {self.verdict}"


@dataclass
class LiveRows:
    """The window's answered rows (no inputs) and shadow rows, cut exactly to the window."""

    answered: pd.DataFrame  # _ANSWERED + row_key + variant ("champion" where the log has none)
    shadow: pd.DataFrame  # _SHADOW


@dataclass
class LiveEvidence:
    """What the live rows of a window show: the comparisons, notes, and rows per variant."""

    shadow: LiveComparison | None = None
    canary: LiveComparison | None = None
    notes: list[str] = field(default_factory=list)
    variants: dict[str, int] = field(default_factory=dict)  # rows in the window per variant


def _columns(conn: sqlite3.Connection, table: str) -> set[str]:
    return {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}


def _day_bounds(window: Window) -> tuple[str, str]:
    """Whole-day text bounds around the window: a superset, cut exactly after parsing."""
    last = window.end.normalize() + pd.Timedelta(days=1)
    return f"{window.start.normalize():%Y-%m-%d}", f"{last:%Y-%m-%d}"


def _has_live_rows(conn: sqlite3.Connection, bounds: tuple[str, str]) -> bool:
    """Any shadow row, or any canary answer, near the window (cheap: the event_time indexes)."""
    where = "event_time >= ? AND event_time < ?"
    shadow = f"SELECT 1 FROM {SHADOW_TABLE} WHERE {where} LIMIT 1"
    if SHADOW_TABLE in _tables(conn) and conn.execute(shadow, bounds).fetchone():
        return True
    if "variant" not in _columns(conn, TABLE):
        return False
    query = f"SELECT 1 FROM {TABLE} WHERE {where} AND variant = ? LIMIT 1"
    return conn.execute(query, (*bounds, CANARY)).fetchone() is not None


def _tables(conn: sqlite3.Connection) -> set[str]:
    return {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}


def _read(
    conn: sqlite3.Connection,
    table: str,
    columns: list[str],
    bounds: tuple[str, str],
    window: Window,
) -> pd.DataFrame:
    query = f"SELECT {', '.join(columns)} FROM {table} WHERE event_time >= ? AND event_time < ?"
    frame = pd.read_sql_query(query, conn, params=bounds)
    frame[EVENT_TIME] = parse_times(frame[EVENT_TIME])
    inside = (frame[EVENT_TIME] >= window.start) & (frame[EVENT_TIME] < window.end)
    return frame[inside].reset_index(drop=True)


def read_live_rows(path: Path, window: Window) -> LiveRows | None:
    """The window's answered and shadow rows, or None when it has neither shadow nor canary
    rows (then monitoring is exactly what it was before the live stage existed). Read-only:
    an older log is never migrated here."""
    if not Path(path).exists():
        return None
    bounds = _day_bounds(window)
    with closing(sqlite3.connect(path, timeout=30)) as conn:
        try:
            if TABLE not in _tables(conn) or not _has_live_rows(conn, bounds):
                return None
            known = _columns(conn, TABLE)
            extra = [c for c in ("row_key", "variant") if c in known]
            answered = _read(conn, TABLE, [*_ANSWERED, *extra], bounds, window)
            shadow = (
                _read(conn, SHADOW_TABLE, _SHADOW, bounds, window)
                if SHADOW_TABLE in _tables(conn)
                else pd.DataFrame(columns=_SHADOW)
            )
        except (sqlite3.DatabaseError, pd.errors.DatabaseError) as err:
            raise LogError(f"{path} is not a readable prediction log: {err}") from None
    if "row_key" not in answered:
        answered["row_key"] = None
    variant = (
        answered["variant"] if "variant" in answered else pd.Series(None, index=answered.index)
    )
    answered["variant"] = variant.fillna(CHAMPION).astype(str)  # NULL: a log before canaries
    for frame in (answered, shadow):
        frame["model_version"] = frame["model_version"].astype(str)
    return LiveRows(answered, shadow)


def _top(versions: pd.Series) -> tuple[str, dict[str, int]]:
    """The most frequent version and the rows of each (most first)."""
    counts = {str(k): int(n) for k, n in versions.value_counts().items()}
    return max(counts, key=lambda k: counts[k]), counts


def _per_day(
    metric: str, champion: pd.DataFrame, challenger: pd.DataFrame, target: str, p: tuple[str, str]
) -> list[DayErrors]:
    """Each calendar day's gate metric of both sides (the PNG's bars)."""
    days = sorted(
        set(champion[EVENT_TIME].dt.normalize()) | set(challenger[EVENT_TIME].dt.normalize())
    )

    def score(frame: pd.DataFrame, column: str, day: pd.Timestamp) -> tuple[int, float | None]:
        rows = frame[frame[EVENT_TIME].dt.normalize() == day]
        if rows.empty:
            return 0, None
        value = metric_value(metric, rows[target].to_numpy(float), rows[column].to_numpy(float))
        return len(rows), float(value) if np.isfinite(value) else None

    out = []
    for day in days:
        (n_a, a), (n_b, b) = score(champion, p[0], day), score(challenger, p[1], day)
        out.append(
            DayErrors(
                day=f"{day:%Y-%m-%d}",
                champion_rows=n_a,
                challenger_rows=n_b,
                champion=a,
                challenger=b,
            )
        )
    return out


def _finite(found: Comparison) -> bool:
    return all(np.isfinite(v) for v in (found.improvement, found.low, found.high))


def compare_live(
    rows: LiveRows,
    labels: pd.Series,
    spec: DatasetSpec,
    params: Params,
    champion_version: str | None,
) -> LiveEvidence:
    """Shadow (paired) and canary (unpaired) comparisons on the window's labelled rows.

    The champion's side is its champion-variant rows of `champion_version` (the version
    monitoring judges; None: the one that answered most). Labels come from the answered rows.
    """
    answered = attach_labels(rows.answered, labels, spec)
    evidence = LiveEvidence(variants=_variants(answered, rows.shadow))
    champ = answered[answered["variant"] == CHAMPION]
    if champ.empty:
        evidence.notes.append("no champion-answered rows in the window: no live comparison")
        return evidence
    version = champion_version or _top(champ["model_version"])[0]
    champ = champ[champ["model_version"] == version]
    evidence.shadow = _shadow(champ, rows.shadow, spec, params, version, evidence.notes)
    canary = answered[answered["variant"] == CANARY]
    if not canary.empty:
        evidence.canary = _canary(champ, canary, spec, params, version, evidence.notes)
    return evidence


def _variants(answered: pd.DataFrame, shadow: pd.DataFrame) -> dict[str, int]:
    counts = {str(k): int(n) for k, n in answered["variant"].value_counts().items()}
    if len(shadow):
        counts["shadow"] = len(shadow)
    return counts


def _shadow(
    champ: pd.DataFrame,
    shadow: pd.DataFrame,
    spec: DatasetSpec,
    params: Params,
    version: str,
    notes: list[str],
) -> LiveComparison | None:
    if shadow.empty:
        return None
    live, target = params.gate.live, spec.target
    top, counts = _top(shadow["model_version"])
    if len(counts) > 1:
        notes.append(
            f"several challenger versions were shadowed in this window {counts}: the live "
            f"comparison is v{top}'s, the one with most rows"
        )
    theirs = shadow[shadow["model_version"] == top][[*KEY, "prediction"]]
    joined = champ.merge(theirs.rename(columns={"prediction": "shadow"}), on=KEY, how="inner")
    if joined.empty:
        notes.append(
            f"{len(theirs)} shadow predictions of v{top}, none for a record champion "
            f"v{version} answered: no live comparison"
        )
        return None
    if unmatched := len(theirs) - len(joined):
        notes.append(
            f"{unmatched} shadow predictions of v{top} have no answered row of champion "
            f"v{version} (another version or a canary answered them): left out"
        )
    labelled = joined[joined[target].notna()]
    if labelled.empty:
        notes.append(
            f"{len(joined)} shadow predictions of v{top} paired with champion v{version}, "
            f"none labelled yet ({len(joined)} labels missing; gate.live.min_rows is "
            f"{live.min_rows}): no live comparison (deliver labels with `make feedback`)"
        )
        return None
    if len(labelled) < live.min_rows:
        notes.append(
            f"only {len(labelled)} of {len(joined)} shadow rows of v{top} are labelled "
            f"({len(joined) - len(labelled)} labels missing); gate.live.min_rows is "
            f"{live.min_rows}: the live gate waits"
        )
    found = paired(
        params.gate.metric,
        labelled[target].to_numpy(float),
        labelled["prediction"].to_numpy(float),
        labelled["shadow"].to_numpy(float),
        labelled[EVENT_TIME].to_numpy(),
        live.confidence,
        params.seed,
    )
    if not _finite(found):
        notes.append(f"the live comparison of v{top} is undefined on these rows: {found.verdict()}")
        return None
    days = _per_day(params.gate.metric, labelled, labelled, target, ("prediction", "shadow"))
    return LiveComparison.of(found, "shadow", _logged_name(champ), (top, version), days)


def _logged_name(frame: pd.DataFrame) -> str:
    """The registered model name the rows were logged under."""
    return str(frame["model_name"].iloc[0])


def _canary(
    champ: pd.DataFrame,
    canary: pd.DataFrame,
    spec: DatasetSpec,
    params: Params,
    version: str,
    notes: list[str],
) -> LiveComparison | None:
    target = spec.target
    top, counts = _top(canary["model_version"])
    notes.append(
        f"{len(canary)} predictions answered by a canary {counts}: not the champion's, left "
        "out of its monitoring and compared with it on their own rows"
    )
    ours = canary[(canary["model_version"] == top) & canary[target].notna()]
    theirs = champ[champ[target].notna()]
    if ours.empty or theirs.empty:
        notes.append(
            f"canary v{top}: {len(ours)} labelled canary rows, {len(theirs)} labelled champion "
            "rows: its live error cannot be compared yet"
        )
        return None
    found = unpaired(
        params.gate.metric,
        Side(
            theirs[target].to_numpy(float),
            theirs["prediction"].to_numpy(float),
            theirs[EVENT_TIME].to_numpy(),
        ),
        Side(
            ours[target].to_numpy(float),
            ours["prediction"].to_numpy(float),
            ours[EVENT_TIME].to_numpy(),
        ),
        params.gate.live.confidence,
        params.seed,
    )
    if not _finite(found):
        notes.append(
            f"the canary comparison of v{top} is undefined on these rows: {found.verdict()}"
        )
        return None
    days = _per_day(params.gate.metric, theirs, ours, target, ("prediction", "prediction"))
    return LiveComparison.of(found, "canary", _logged_name(champ), (top, version), days)
