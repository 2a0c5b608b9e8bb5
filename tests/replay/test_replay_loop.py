"""A short lifecycle replay, end to end: real server, real monitoring, real retrains."""

import itertools
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from mlflow import MlflowClient

from lifecycle.params import load_params
from lifecycle.project_copy import commit_all, fresh_copy
from lifecycle.settings import Settings
from lifecycle.tracking import configure, download_reference
from tests.helpers.clone import set_params, sh
from tests.helpers.params import ROOT, SHRUNKEN

pytestmark = pytest.mark.slow

MONTHS = {"start": "2011-04-01", "end": "2011-07-01"}  # April, May, June 2011
BROKEN_DAY = "2011-05-20"  # a broken counter reports negative rentals for two hours that day


def break_labels(repo: Path, day: str = BROKEN_DAY, rows: int = 2) -> None:
    """Set the target (last column) of the first `rows` hours of `day` to -1 in the source.

    Clients never send the target, so serving and the first retrain are unaffected; the
    retrain whose data includes that day must stop at `validate` (cnt has min 0).
    """
    source = repo / "data/raw/bike_sharing_hour.csv"
    lines = source.read_text().splitlines(keepends=True)
    hits = [i for i, line in enumerate(lines) if f",{day}," in line][:rows]
    for i in hits:
        lines[i] = lines[i].rstrip("\n").rsplit(",", 1)[0] + ",-1\n"
    source.write_text("".join(lines))


@pytest.fixture(scope="module")
def replayed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """Run `pipelines/replay.py` on three months in a fresh copy of the project."""
    repo = fresh_copy(ROOT, tmp_path_factory.mktemp("replay"))
    set_params(repo, **SHRUNKEN, replay=MONTHS)
    break_labels(repo)
    commit_all(repo, "short replay, with two bad labels in May")
    # sh drops the registry location other tests' fixtures export: the replay uses its own.
    done = sh(repo, sys.executable, "pipelines/replay.py", ok=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return repo, json.loads((repo / "reports/replay/timeline.json").read_text())


def test_monitoring_triggers_a_retrain_and_a_promotion(
    replayed: tuple[Path, dict[str, Any]],
) -> None:
    _, timeline = replayed
    months = timeline["months"]
    assert [m["month"] for m in months] == ["2011-04", "2011-05", "2011-06"]
    # Labels arrive within the month, so the error decides; drift is measured and reported.
    april = months[0]
    assert april["decision"] == "retrain" and april["drift_share"] is not None
    assert any("vs validation" in reason for reason in april["reasons"])
    promoted = [m for m in months if m["retrain"] and m["retrain"]["outcome"] == "promote"]
    assert promoted, "no retrain was promoted"
    assert timeline["headline"]["promotions"] == len(promoted)


def test_server_switched_without_failed_requests(replayed: tuple[Path, dict[str, Any]]) -> None:
    _, timeline = replayed
    months = timeline["months"]
    for before, after in itertools.pairwise(months):
        if before["switched_to"]:
            assert after["served_version"] == before["switched_to"] == before["retrain"]["version"]
    assert any(m["switched_to"] for m in months)
    assert timeline["headline"]["failed_requests"] == 0
    assert all(m["requests"] == m["rows"] > 600 for m in months)


@pytest.mark.ml_test_score("M4")
def test_retrained_model_beats_the_never_retrained_one(
    replayed: tuple[Path, dict[str, Any]],
) -> None:
    _, timeline = replayed
    after = [m for m in timeline["months"] if m["served_version"] != "1"]
    assert after, "no month was served by a retrained model"
    assert all(m["served_mae"] < m["counterfactual_mae"] for m in after)


def test_no_future_data_reached_any_model(
    replayed: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    import mlflow

    _, timeline = replayed
    work = Path(timeline["meta"]["work_repo"])
    before = mlflow.get_tracking_uri()
    try:
        client = configure(
            Settings(
                LIFECYCLE_ROOT=work, LIFECYCLE_STATE_DIR=work / "state", mlflow_tracking_uri=None
            )
        )
        versions = {
            str(v.version): (v.tags["data.as_of"], v.run_id)
            for v in client.search_model_versions("name='bike-demand'")
        }
        for month in timeline["months"]:
            as_of, run_id = versions[month["served_version"]]
            trained_on = pd.read_parquet(download_reference(run_id, tmp_path / run_id))
            # Trained only on rows before its snapshot, and that snapshot predates the month.
            assert trained_on["event_time"].max() < pd.Timestamp(as_of)
            assert pd.Timestamp(as_of) <= pd.Timestamp(month["month"] + "-01")
    finally:
        mlflow.set_tracking_uri(before)
    log = subprocess.run(["git", "log", "--format=%s"], cwd=work, capture_output=True, text=True)
    assert "retrain on data to 2011-05-01: promote" in log.stdout


def test_a_failed_retrain_keeps_the_champion_serving_and_the_replay_going(
    replayed: tuple[Path, dict[str, Any]],
) -> None:
    _, timeline = replayed
    april, may, june = timeline["months"]
    failed = may["retrain"]
    assert failed is not None and failed["outcome"] == "failed" and failed["version"] is None
    assert "validate" in failed["reason"]  # the stage that refused, named in the record
    # Nothing was promoted or redeployed: the same champion served June, every request answered.
    assert may["switched_to"] is None
    assert june["served_version"] == may["served_version"] == april["switched_to"]
    assert june["requests"] == june["rows"] and june["failed_requests"] == 0
    assert timeline["headline"]["failures"] >= 1
    work = Path(timeline["meta"]["work_repo"])
    log = subprocess.run(["git", "log", "--format=%s"], cwd=work, capture_output=True, text=True)
    assert "retrain on data to 2011-06-01: failed" in log.stdout


def test_the_story_is_where_the_readme_says(replayed: tuple[Path, dict[str, Any]]) -> None:
    repo, timeline = replayed
    page = (repo / "reports/replay/timeline.md").read_text()
    for month in timeline["months"]:  # each month's report under reports/, linked from the page
        report = repo / "reports/replay" / month["report"]
        assert report.is_file() and report.stat().st_size > 10_000
        assert f"]({month['report']})" in page
    assert (repo / "state/replay/last").read_text().strip() == "drift"
    # `make ui STATE=replay` and friends open the replay's own state, which has every version
    ui = sh(repo, "make", "-s", "--no-print-directory", "-n", "ui", "STATE=replay").stdout
    assert "sqlite:///state/replay/drift/state/mlflow.db" in ui
    state = repo / "state/replay/drift/state"
    # A client of its own: configure() would set the process's tracking URI (and export it as
    # MLFLOW_TRACKING_URI to every later test's subprocesses)
    client = MlflowClient(tracking_uri=f"sqlite:///{state / 'mlflow.db'}")
    name = load_params(repo / "params.yaml").registry.model_name
    versions = client.search_model_versions(f"name='{name}'")
    assert len(versions) >= 2 and all(v.description for v in versions)  # with model cards


def test_every_ui_shows_the_replays_story_in_a_browser_offline(
    replayed: tuple[Path, dict[str, Any]],
) -> None:
    repo, _ = replayed
    state = "state/replay/drift/state"  # what `make screenshots STATE=replay` passes
    done = sh(repo, sys.executable, "docs/screenshots.py", "--state", state, ok=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    shots = json.loads((repo / "reports/screenshots/screenshots.json").read_text())
    names = {Path(shot["png"]).stem for shot in shots}
    assert names == {"swagger", "mlflow-model", "evidently-project", "monitoring-report", "docs"}
    for shot in shots:  # every page rendered its content with the internet out of reach
        assert shot["ok"] and not shot["missing"], shot
        assert Path(shot["png"]).stat().st_size > 20_000, shot  # a real picture, not a blank
