"""monitoring/monitor.py with a team's services: the decision pushed to a real Pushgateway,
the run added to a real Evidently UI over HTTP; neither answering costs a warning, never the
decision."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from lifecycle.monitoring.feedback import deliver_from_source
from lifecycle.monitoring.simulate import period_rows, replay
from lifecycle.monitoring.window import make_window
from lifecycle.monitoring.workspace import list_runs
from lifecycle.serving.process import free_port
from lifecycle.tracking import configure, load_model
from tests.helpers.evidently_ui import evidently_ui
from tests.helpers.params import ROOT
from tests.helpers.prometheus import pushgateway, sample, scrape
from tests.helpers.registry import Registry

pytestmark = pytest.mark.slow
JULY = make_window("2011-07-01", "2011-08-01")  # summer against a winter champion: retrain
DECISION = "lifecycle_monitor_decision"


@pytest.fixture(scope="module")
def july(
    registry: Registry, source: pd.DataFrame, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, Path]:
    """A prediction log of the champion's July, and the July labels: (log, feedback)."""
    tmp = tmp_path_factory.mktemp("july")
    log, feedback = tmp / "predictions.sqlite", tmp / "feedback.sqlite"
    configure(registry.settings)
    model = load_model(f"models:/{registry.model_name}/{registry.champion_version}")
    served_as = (registry.model_name, registry.champion_version)
    replay(period_rows(source, JULY), registry.spec, model, served_as, log)
    deliver_from_source(source, registry.spec, JULY, feedback)
    return log, feedback


def monitor(
    registry: Registry, july: tuple[Path, Path], out: Path, **env: str
) -> subprocess.CompletedProcess[str]:
    """`monitoring/monitor.py --json` on July, with the settings in `env`."""
    args = ["--start", "2011-07-01", "--end", "2011-08-01", "--log", str(july[0])]
    args += ["--feedback", str(july[1]), "--out", str(out), "--json"]
    return subprocess.run(
        [sys.executable, "monitoring/monitor.py", *args],
        cwd=ROOT,
        env={**os.environ, "LIFECYCLE_STATE_DIR": str(registry.settings.state), **env},
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_decision_is_pushed_and_the_run_added_to_the_evidently_service(
    registry: Registry, july: tuple[Path, Path], tmp_path: Path
) -> None:
    with pushgateway(tmp_path) as gateway, evidently_ui(tmp_path) as ui:
        done = monitor(
            registry,
            july,
            tmp_path / "out",
            LIFECYCLE_PUSHGATEWAY_URL=gateway,
            LIFECYCLE_EVIDENTLY_URL=ui,
        )
        assert done.returncode == 10, done.stderr
        summary = json.loads(done.stdout)
        text = scrape(gateway)
        runs = list_runs(ui, registry.model_name)
    group = {"job": "lifecycle_monitor", "model_name": registry.model_name}
    assert sample(text, DECISION, decision="retrain", **group) == 1
    assert sample(text, DECISION, decision="ok", **group) == 0
    assert sample(text, DECISION, model_version=registry.champion_version, decision="retrain")
    assert sample(text, "lifecycle_monitor_drift_share", **group) == summary["drift_share"]
    mae = summary["performance"]["window"]["mae"]
    assert sample(text, "lifecycle_monitor_metric", metric="mae", **group) == mae
    assert sample(text, "lifecycle_monitor_rows", kind="labelled", **group) == 744
    assert runs == [summary["workspace_run"]] and summary["workspace_run"]  # over HTTP


def test_services_that_do_not_answer_cost_a_warning_and_a_note_not_the_decision(
    registry: Registry, july: tuple[Path, Path], tmp_path: Path
) -> None:
    gateway, ui = (f"http://127.0.0.1:{free_port()}" for _ in range(2))
    done = monitor(
        registry,
        july,
        tmp_path / "out",
        LIFECYCLE_PUSHGATEWAY_URL=gateway,
        LIFECYCLE_EVIDENTLY_URL=ui,
    )
    assert done.returncode == 10, done.stderr
    assert f"monitor: warning: LIFECYCLE_PUSHGATEWAY_URL={gateway}: the decision was not" in (
        done.stderr
    )
    summary = json.loads(done.stdout)
    assert summary["decision"] == "retrain" and summary["workspace_run"] is None
    assert any(f"LIFECYCLE_EVIDENTLY_URL={ui}" in note for note in summary["notes"])
    assert set(summary["artifacts"]) == {"html", "snapshot", "summary", "png"}


def test_an_empty_log_pushes_insufficient_data(registry: Registry, tmp_path: Path) -> None:
    with pushgateway(tmp_path) as gateway:
        done = subprocess.run(
            [sys.executable, "monitoring/monitor.py", "--log", str(tmp_path / "none.sqlite")],
            cwd=ROOT,
            env={
                **os.environ,
                "LIFECYCLE_PUSHGATEWAY_URL": gateway,
                "LIFECYCLE_STATE_DIR": str(tmp_path / "state"),
            },
            capture_output=True,
            text=True,
            timeout=300,
        )
        text = scrape(gateway)
    assert done.returncode == 20, done.stdout + done.stderr
    assert sample(text, DECISION, decision="insufficient_data", model_name=registry.model_name)
