"""Write a monitored window's outputs: HTML, JSON snapshot, summary, latest.json, history PNG,
and the run in the Evidently workspace (a folder, or the UI service at LIFECYCLE_EVIDENTLY_URL)."""

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
    evidently_url: str | None = None,
) -> MonitorSummary:
    """Write every output for one window; returns the summary with its artifact paths.

    `evidently_url`: the run goes to that Evidently UI service instead of the workspace
    folder (only when `paths.workspace` is set: None adds the run nowhere)."""
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
            run_id, summary = _add_run(summary, snapshot, window, evidently_url or paths.workspace)
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


def _add_run(
    summary: MonitorSummary, snapshot: Any, window: Window, location: Path | str
) -> tuple[str | None, MonitorSummary]:
    """Add the run to the workspace; an unreachable UI service costs the run there (a note
    says so), never the window's other outputs or its decision."""
    from lifecycle.monitoring.workspace import WorkspaceUnavailable, add_run

    assert summary.model_name is not None
    try:
        return add_run(location, summary.model_name, snapshot, window.label), summary
    except WorkspaceUnavailable as err:
        note = f"run not added to the Evidently UI: {err}"
        return None, summary.model_copy(update={"notes": [*summary.notes, note]})
