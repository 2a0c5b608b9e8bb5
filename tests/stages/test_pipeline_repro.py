"""`dvc repro` end to end in a temporary git clone, on shrunken params, with real MLflow."""

from pathlib import Path

import pytest

from tests.helpers.clone import clone_with_params, registered_champion, set_params, sh
from tests.helpers.params import SHRUNKEN

pytestmark = pytest.mark.slow
MODEL = "bike-demand"


@pytest.fixture(scope="module")
def clone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A git repo holding this working tree's project files (tracked and new, not ignored)."""
    return clone_with_params(tmp_path_factory.mktemp("clone"), "shrunken params", **SHRUNKEN)


@pytest.fixture(scope="module")
def first_repro(clone: Path) -> str:
    """What the clone's first `dvc repro` printed: every stage ran, v1 became champion."""
    return sh(clone, "dvc", "repro").stdout


@pytest.fixture
def repo(clone: Path, first_repro: str) -> Path:
    """The clone after its first run, so that each test here also runs on its own."""
    return clone


def champion(repo: Path) -> str | None:
    """The version of the clone's champion (None when there is none)."""
    return registered_champion(repo, MODEL)["version"]


@pytest.mark.ml_test_score("I3")
def test_repro_end_to_end_then_noop(repo: Path, first_repro: str) -> None:
    for stage in ("ingest", "validate", "split", "train", "evaluate", "promote"):
        assert f"Running stage '{stage}'" in first_repro
    assert champion(repo) == "1"
    for png in ("predicted_vs_actual", "residuals_by_hour", "feature_importance", "timeline"):
        assert (repo / f"reports/evaluate/png/{png}.png").stat().st_size > 5000
    again = sh(repo, "dvc", "repro")
    assert "Data and pipelines are up to date" in again.stdout
    shown = sh(repo, "dvc", "metrics", "show").stdout
    assert "hgb.test.mae" in shown and "ridge.val.r2" in shown
    summary = sh(repo, "lifecycle", "summary").stdout
    assert "PROMOTED to champion" in summary and "<- best on validation" in summary


def test_one_param_reruns_only_the_stages_that_read_it(repo: Path) -> None:
    set_params(repo, gate={"margin": 0.5})
    out = sh(repo, "dvc", "repro").stdout
    assert "Running stage 'promote'" in out
    assert "Running stage 'train'" not in out and "Running stage 'split'" not in out
    assert "REFUSE" in out  # the same model cannot beat itself by 50 %
    assert champion(repo) == "1"


@pytest.mark.ml_test_score("D1")
def test_bad_data_stops_before_training_and_keeps_the_champion(repo: Path) -> None:
    csv = repo / "data/raw/bike_sharing_hour.csv"
    good = csv.read_text()
    lines = good.splitlines()
    cells = lines[100].split(",")
    cells[12] = "1.7"  # hum
    lines[100] = ",".join(cells)
    csv.write_text("\n".join(lines) + "\n")
    try:
        bad = sh(repo, "dvc", "repro", ok=False)
        assert bad.returncode != 0
        assert "column 'hum' breaks rule '<= 1.0' in 1 row(s) (row 99: 1.7)" in bad.stderr
        assert "Running stage 'train'" not in bad.stdout
        assert champion(repo) == "1"
    finally:
        csv.write_text(good)


def test_bad_params_stop_before_any_work(repo: Path) -> None:
    set_params(repo, train={"hgb": {"max_depht": 3}})
    bad = sh(repo, "dvc", "repro", ok=False)
    assert bad.returncode != 0
    assert "train.hgb.max_depht: Extra inputs are not permitted" in bad.stderr
    assert champion(repo) == "1"
