"""Monitoring runs added over HTTP to a real `evidently ui` service (LIFECYCLE_EVIDENTLY_URL):
one project per model with its dashboard panels, every run listed by the service."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from lifecycle.monitoring.workspace import (
    LIVE_PANEL,
    WorkspaceUnavailable,
    add_run,
    list_runs,
    project_name,
)
from lifecycle.serving.process import free_port
from tests.helpers.evidently_ui import evidently_ui, small_snapshot

PANELS = ["Share of drifted features", "Mean absolute error", LIVE_PANEL]


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with evidently_ui(tmp_path_factory.mktemp("evidently")) as url:
        yield url


@pytest.mark.slow
def test_runs_added_over_http_are_listed_under_one_project_with_its_panels(service: str) -> None:
    first = add_run(service, "bike-demand", small_snapshot(0), "2011-07")
    second = add_run(service, "bike-demand", small_snapshot(1), "2011-08")
    assert sorted(list_runs(service, "bike-demand")) == sorted([first, second])
    assert list_runs(service, "another-model") == []
    projects = httpx.get(f"{service}/api/projects", timeout=10).json()
    [project] = [p for p in projects if p["name"] == project_name("bike-demand")]
    dashboard = httpx.get(f"{service}/api/v2/dashboards/{project['id']}", timeout=10).json()
    assert [panel["title"] for panel in dashboard["panels"]] == PANELS  # added once, not twice
    reports = httpx.get(f"{service}/api/projects/{project['id']}/reports", timeout=10).json()
    assert {r["name"] for r in reports} == {"2011-07", "2011-08"}


def test_a_service_that_does_not_answer_is_a_clear_error(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(WorkspaceUnavailable, match=f"LIFECYCLE_EVIDENTLY_URL={url}: no Evidently"):
        add_run(url, "bike-demand", small_snapshot(), "2011-07")
    with pytest.raises(WorkspaceUnavailable, match="LIFECYCLE_EVIDENTLY_URL"):
        list_runs(url, "bike-demand")


def test_a_folder_is_still_a_local_workspace(tmp_path: Path) -> None:
    run = add_run(tmp_path / "evidently", "bike-demand", small_snapshot(), "2011-07")
    assert list_runs(tmp_path / "evidently", "bike-demand") == [run]
    assert (tmp_path / "evidently").is_dir()
