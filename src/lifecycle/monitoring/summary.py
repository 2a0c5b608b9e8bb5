"""The typed summary of one monitored window: what `latest.json` holds and schedulers read."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field

from lifecycle.monitoring.decision import Status
from lifecycle.monitoring.drift import DriftSummary
from lifecycle.monitoring.live_comparison import LiveComparison
from lifecycle.monitoring.performance import PerformanceCheck
from lifecycle.params import MonitorParams


class RowCounts(BaseModel):
    """How many rows each step saw."""

    model_config = ConfigDict(frozen=True)

    logged: int  # predictions in the window
    evaluated: int  # predictions read (a seeded sample when the window is large)
    monitored: int  # of those, served by the monitored model version
    labelled: int  # of those, with ground truth
    reference: int  # rows of the reference the window was compared with


class MonitorSummary(BaseModel):
    """The decision for one window, why, and the numbers behind it."""

    model_config = ConfigDict(frozen=True)

    window: dict[str, str]
    model_name: str | None = None
    model_version: str | None = None
    run_id: str | None = None
    rows: RowCounts
    sampled: bool = False
    versions: dict[str, int] = Field(default_factory=dict)  # evaluated rows per model version
    drift_share: float | None = None
    drifted_features: list[str] = Field(default_factory=list)
    performance_delta: float | None = None  # window error / validation error - 1
    decision: Status
    reasons: list[str]
    notes: list[str] = Field(default_factory=list)
    exit_code: int
    drift: DriftSummary | None = None
    performance: PerformanceCheck | None = None
    thresholds: MonitorParams
    artifacts: dict[str, str] = Field(default_factory=dict)
    workspace_run: str | None = None
    created_at: str = Field(
        default_factory=lambda: dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    )
    # The live stage (lifecycle.monitoring.live): rows in the window per variant (champion,
    # canary, shadow), the challenger's shadow comparison with the champion on the same
    # labelled rows, and a canary's on its own rows. None: no such (labelled) rows.
    variants: dict[str, int] = Field(default_factory=dict)
    live: LiveComparison | None = None
    canary: LiveComparison | None = None

    def headline(self) -> str:
        """Decision and reasons as a few lines of text, for the terminal."""
        what = f"{self.model_name} v{self.model_version}" if self.model_version else "no model"
        lines = [
            f"decision: {self.decision.upper()} (exit {self.exit_code})  "
            f"[{self.window['start']} .. {self.window['end']}, {what}]"
        ]
        lines += [f"  - {reason}" for reason in self.reasons]
        lines += [f"  {found.line()}" for found in (self.live, self.canary) if found]
        lines += [f"  note: {note}" for note in self.notes]
        return "\n".join(lines)
