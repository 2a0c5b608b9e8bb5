"""The local Evidently workspace: one project per registered model, one run per window."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from evidently.core.report import Snapshot


def project_name(model_name: str) -> str:
    """The workspace project that holds a model's monitoring runs."""
    return f"{model_name} monitoring"


def _project(workspace: Any, name: str) -> Any:
    """Find the project by name, or create it with a dashboard of drift share and error."""
    found = workspace.search_project(name)
    if found:
        _add_live_panel(found[0])  # a project made before the live stage gains its panel
        return found[0]
    from evidently.sdk.models import PanelMetric
    from evidently.sdk.panels import line_plot_panel

    project = workspace.create_project(name, description="Drift and error per monitored window")
    dashboard = project.dashboard
    share = PanelMetric(
        metric="DriftedColumnsCount",
        metric_labels={"value_type": "share"},
        legend="share of drifted features",
    )
    mae = PanelMetric(metric="MAE", metric_labels={"value_type": "mean"}, legend="MAE")
    dashboard.add_panel(line_plot_panel("Share of drifted features", [share], size="half"))
    dashboard.add_panel(line_plot_panel("Mean absolute error", [mae], size="half"))
    _add_live_panel(project)
    return project


LIVE_PANEL = "Live error cut of the shadowed challenger (lifecycle.monitoring.live_report)"


def _add_live_panel(project: Any) -> None:
    """The live comparison's error cut and interval per run (the LiveErrorCut metric)."""
    dashboard = project.dashboard
    if any(panel.title == LIVE_PANEL for panel in dashboard.model().panels):
        return
    from evidently.sdk.models import PanelMetric
    from evidently.sdk.panels import line_plot_panel

    values = [
        PanelMetric(
            metric="LiveErrorCut",
            metric_labels={"variant": "shadow", "label": label},
            legend=legend,
        )
        for label, legend in (("improvement", "error cut"), ("low", "low"), ("high", "high"))
    ]
    dashboard.add_panel(line_plot_panel(LIVE_PANEL, values, size="full"))


def add_run(path: Path, model_name: str, snapshot: Snapshot, name: str) -> str:
    """Add one snapshot to the workspace at `path` (created if needed); returns the run id."""
    from evidently.ui.workspace import Workspace

    workspace = Workspace.create(str(path))
    project = _project(workspace, project_name(model_name))
    ref = workspace.add_run(project.id, snapshot, include_data=False, name=name)
    return str(ref.id)


def list_runs(path: Path, model_name: str) -> list[str]:
    """Ids of the runs stored for a model (empty when there is no workspace yet)."""
    from evidently.ui.workspace import Workspace

    if not Path(path).exists():
        return []
    workspace = Workspace.create(str(path))
    found = workspace.search_project(project_name(model_name))
    return [str(run) for run in workspace.list_runs(found[0].id)] if found else []
