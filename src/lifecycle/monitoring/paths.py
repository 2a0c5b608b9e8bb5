"""Where monitoring reads (the prediction log, the feedback store) and writes (reports, state)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from lifecycle.settings import Settings
from lifecycle.store import Location

REPORTS = Path("reports/monitoring")


@dataclass(frozen=True)
class MonitorPaths:
    """Where monitoring reads and writes. `reports=None` writes nothing but returns the result."""

    log: Location  # a SQLite file or the team's database (lifecycle.store)
    feedback: Location
    state: Path  # cached reference data (training rows + predictions) per model run
    reports: Path | None = None
    workspace: Path | None = None

    @classmethod
    def default(cls, settings: Settings, reports: Path = REPORTS) -> MonitorPaths:
        """The project's standard locations (state/ and reports/monitoring/)."""
        return cls(
            settings.prediction_log,
            settings.feedback_store,
            settings.monitoring_state,
            reports,
            settings.evidently_workspace,
        )
