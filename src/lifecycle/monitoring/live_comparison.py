"""The typed result of a live comparison: what the monitoring summary, the reports and the
live gate read (lifecycle.evidence's Comparison, with who was compared and day by day)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

from lifecycle.evidence import Comparison

LiveVariant = Literal["shadow", "canary"]


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
