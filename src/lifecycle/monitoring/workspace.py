"""The Evidently workspace: one project per registered model, one run per window.

A workspace is a local folder (`make monitor-ui` shows it), or an Evidently UI service reached
over HTTP (LIFECYCLE_EVIDENTLY_URL: the team's `evidently ui`, e.g. make stack's). Both take the
same project and dashboard panels. Evidently 0.7's remote API cannot list a project's runs
(RemoteWorkspace.list_runs raises NotImplementedError): `list_runs` reads the UI's own
report list instead. A service started with `--secret` needs the same value in EVIDENTLY_SECRET.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from evidently.core.report import Snapshot

WorkspaceLocation = Path | str  # a workspace folder, or the http(s) URL of an Evidently UI service
SECRET = "EVIDENTLY_SECRET"  # the variable `evidently ui` reads its write secret from, too


class WorkspaceUnavailable(RuntimeError):
    """The Evidently UI service cannot be reached, or refused the run (the message says why)."""


def is_remote(location: WorkspaceLocation) -> bool:
    """Is this the URL of an Evidently UI service (rather than a folder)?"""
    return isinstance(location, str) and location.startswith(("http://", "https://"))


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


def add_run(location: WorkspaceLocation, model_name: str, snapshot: Snapshot, name: str) -> str:
    """Add one snapshot to the workspace at `location` (a folder is created if needed);
    returns the run id. WorkspaceUnavailable: the UI service is down or refused it."""
    if not is_remote(location):
        from evidently.ui.workspace import Workspace

        local = Workspace.create(str(location))
        project = _project(local, project_name(model_name))
        return str(local.add_run(project.id, snapshot, include_data=False, name=name).id)
    import requests

    remote = _remote(str(location))
    try:
        project = _project(remote, project_name(model_name))
        return str(remote.add_run(project.id, snapshot, include_data=False, name=name).id)
    except requests.RequestException as err:
        raise WorkspaceUnavailable(f"LIFECYCLE_EVIDENTLY_URL={location}: {_reason(err)}") from None


def _remote(url: str) -> Any:
    """The Evidently UI service at `url`, checked to answer as one (WorkspaceUnavailable)."""
    import requests
    from evidently.ui.workspace import RemoteWorkspace

    try:
        return RemoteWorkspace(url, secret=os.environ.get(SECRET) or None)
    except (requests.RequestException, ValueError) as err:
        raise WorkspaceUnavailable(
            f"LIFECYCLE_EVIDENTLY_URL={url}: no Evidently UI answers there: {_reason(err)}"
        ) from None


def _reason(err: Exception) -> str:
    """An HTTP error's status and the server's detail, or the socket's own words."""
    response = getattr(err, "response", None)
    if response is not None:
        return f"HTTP {response.status_code}: {response.text[:200]}"
    cause = err.args[0] if err.args else err
    cause = getattr(cause, "reason", cause)  # urllib3 wraps it: "... Max retries exceeded ..."
    text = str(cause).strip() or type(err).__name__
    return text.splitlines()[0].rsplit("): ", 1)[-1]  # "[Errno 111] Connection refused"


def list_runs(location: WorkspaceLocation, model_name: str) -> list[str]:
    """Ids of the runs stored for a model (empty when there is no workspace or project yet)."""
    if is_remote(location):
        return _remote_runs(str(location), model_name)
    from evidently.ui.workspace import Workspace

    if not Path(location).exists():
        return []
    workspace = Workspace.create(str(location))
    found = workspace.search_project(project_name(model_name))
    return [str(run) for run in workspace.list_runs(found[0].id)] if found else []


def _remote_runs(url: str, model_name: str) -> list[str]:
    """The service's report list of the model's project (the UI's own read route)."""
    import requests

    remote = _remote(url)
    found = remote.search_project(project_name(model_name))
    if not found:
        return []
    response = requests.get(f"{url.rstrip('/')}/api/projects/{found[0].id}/reports", timeout=30)
    response.raise_for_status()
    return [str(report["id"]) for report in response.json()]
