"""Write a monitored window's outputs: HTML, JSON snapshot, summary, latest.json, history PNG,
and the run in the Evidently workspace."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lifecycle.monitoring.paths import MonitorPaths
from lifecycle.monitoring.plots import SUMMARY, plot_history, plot_live, read_history
from lifecycle.monitoring.summary import MonitorSummary
from lifecycle.monitoring.window import Window
from lifecycle.params import MonitorParams

LATEST = "latest.json"  # always the summary of the newest monitoring run
HISTORY_PNG = "history.png"
LIVE_PNG = "live.png"  # a window's live comparisons (shadow, canary), next to its summary


def publish_window(
    summary: MonitorSummary,
    snapshot: Any | None,
    window: Window,
    paths: MonitorPaths,
    limits: MonitorParams,
) -> MonitorSummary:
    """Write every output for one window; returns the summary with its artifact paths."""
    assert paths.reports is not None
    folder: Path = paths.reports / window.label
    folder.mkdir(parents=True, exist_ok=True)
    artifacts: dict[str, Path] = {}
    run_id: str | None = None
    if snapshot is not None:
        snapshot.save_html(str(folder / "report.html"))
        snapshot.save_json(str(folder / "snapshot.json"))
        artifacts |= {"html": folder / "report.html", "snapshot": folder / "snapshot.json"}
        if paths.workspace is not None and summary.model_name:
            from lifecycle.monitoring.workspace import add_run

            run_id = add_run(paths.workspace, summary.model_name, snapshot, window.label)
    artifacts |= {"summary": folder / SUMMARY, "png": paths.reports / HISTORY_PNG}
    live = [found for found in (summary.live, summary.canary) if found]
    if live:
        artifacts["live_png"] = plot_live(live, folder / LIVE_PNG)
    summary = summary.model_copy(
        update={"artifacts": {k: str(v) for k, v in artifacts.items()}, "workspace_run": run_id}
    )
    text = summary.model_dump_json(indent=2) + "\n"
    (folder / SUMMARY).write_text(text)
    (paths.reports / LATEST).write_text(text)
    plot_history(read_history(paths.reports), limits, paths.reports / HISTORY_PNG)
    return summary
