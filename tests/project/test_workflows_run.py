"""The four workflows' `run:` steps, executed in order in a clean clone, as GitHub would.

None of them has run on GitHub from here; actionlint checks their syntax, this checks what they
do. Each job runs in a fresh clone of this repository with the suite's own environment as
`.venv` (so `make setup` finds it installed, as a second `make setup` does) and the event's
context stubbed (tests/helpers/workflows.py replaces checkout and setup-python by the clone and
this machine's Python). What cannot run here is skipped with its reason: a step that needs
GitHub's API or a container registry, and ci.yml's `make test`, which is this suite.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers.clone import use_suite_venv
from tests.helpers.params import ROOT
from tests.helpers.workflow_expressions import Step
from tests.helpers.workflows import run_job

pytestmark = pytest.mark.slow
WORKFLOWS = ROOT / ".github/workflows"
REPOSITORY = "example/lifecycle"
GITHUB = {"repository": REPOSITORY, "server_url": "https://github.com", "run_id": "1"}
# Settings of the suite's own fixtures and of make (a nested make prints its directory)
INHERITED = ("MLFLOW_TRACKING_URI", "LIFECYCLE_STATE_DIR", "LIFECYCLE_DATABASE_URL", "MAKEFLAGS")


@pytest.fixture
def clone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh clone whose `.venv` is this suite's environment, already installed."""
    for key in (*INHERITED, "MAKELEVEL", "MFLAGS"):
        monkeypatch.delenv(key, raising=False)
    # A runner's PATH: the machine's Python, not this environment (make adds .venv/bin itself;
    # a step calling `dvc` or `python` directly must put it on GITHUB_PATH first)
    ours = os.path.realpath(Path(sys.executable).parent)
    entries = os.environ["PATH"].split(os.pathsep)
    bare = [e for e in entries if os.path.isabs(e) and os.path.realpath(e) != ours]
    monkeypatch.setenv("PATH", os.pathsep.join(bare))
    # The clone's own code, as on a runner (the environment's editable install points here)
    monkeypatch.setenv("PYTHONPATH", str(tmp_path / "repo/src"))
    repo = tmp_path / "repo"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(repo)], check=True)
    use_suite_venv(repo)
    # The base a pull request is compared with, even where the checkout has no branch (a
    # pull request's merge commit is checked out detached, with no local branch)
    subprocess.run(["git", "update-ref", "refs/remotes/origin/base", "HEAD"], cwd=repo, check=True)
    return repo


def ran(steps: list[Step]) -> dict[str, str]:
    """Each step's outcome by name; a failed step's output is in the assertion message."""
    failed = [f"{s.name}: {s.why}\n{s.output[-3000:]}" for s in steps if s.outcome == "failure"]
    assert not failed, "\n\n".join(failed)
    return {s.name: s.outcome for s in steps}


def test_ci_installs_lints_and_builds_the_tutorial(clone: Path) -> None:
    event = GITHUB | {"event_name": "push", "ref": "refs/heads/main", "ref_name": "main"}
    itself = {"Test (with coverage)": "it is this test suite: it would run inside itself"}
    steps = ran(run_job(WORKFLOWS / "ci.yml", "test", clone, event, skip=itself))
    assert steps["Install the pinned set"] == steps["Lint (ruff, mypy, actionlint)"] == "success"
    assert steps["Build the tutorial"] == "success" and (clone / "site/index.html").is_file()


@pytest.mark.ml_test_score("M1")
def test_pipeline_compares_a_pull_request_with_its_base(clone: Path) -> None:
    head = {"head": {"repo": {"full_name": REPOSITORY}}}
    event = GITHUB | {
        "event_name": "pull_request",
        "base_ref": "base",
        "event": {"pull_request": head},
    }
    steps = run_job(WORKFLOWS / "pipeline.yml", "repro", clone, event)
    outcomes = ran(steps)
    assert outcomes["Compare with the base branch"] == "success"
    summary = (clone / "reports/pipeline-summary.md").read_text()
    assert "### Metrics" in summary and "### Params" in summary and "champion now:" in summary
    comment = next(s for s in steps if s.name == "Comment on the pull request")
    assert comment.outcome == "skipped" and "GitHub's API" in comment.why  # its if: held


def test_monitor_is_off_until_configured(clone: Path) -> None:
    steps = run_job(
        WORKFLOWS / "monitor.yml", "monitor", clone, GITHUB | {"event_name": "schedule"}
    )
    outcomes = ran(steps)
    assert outcomes["Is monitoring configured?"] == "success"
    assert {name for name, outcome in outcomes.items() if outcome != "skipped"} == {
        "Is monitoring configured?"
    }
    assert "not configured" in (clone / ".github-run/summary.md").read_text()


def test_monitor_demo_says_retrain_and_opens_an_issue(clone: Path, tmp_path: Path) -> None:
    stub = tmp_path / "bin"  # GitHub's CLI: GitHub is not reachable from here
    stub.mkdir()
    calls = tmp_path / "gh-calls"
    (stub / "gh").write_text(
        f'#!/bin/sh\necho "$*" >> {calls}\ncase "$*" in *"issue list"*) echo 0;; esac\n'
    )
    (stub / "gh").chmod(0o755)
    event = GITHUB | {"event_name": "workflow_dispatch", "inputs": {"demo": True}}
    path = {"PATH": f"{stub}{os.pathsep}{os.environ['PATH']}"}
    outcomes = ran(run_job(WORKFLOWS / "monitor.yml", "monitor", clone, event, env=path))
    assert outcomes["Monitor the newest window"] == "success"
    assert outcomes['Open an issue when the decision is "retrain"'] == "success"
    assert "issue create" in calls.read_text() and "--label retrain" in calls.read_text()


def test_release_builds_the_bento(clone: Path) -> None:
    event = GITHUB | {"event_name": "workflow_dispatch", "ref_name": "v0.0.0", "actor": "ci"}
    push = {"Build and push the container image": "needs a Docker daemon and ghcr.io"}
    outcomes = ran(run_job(WORKFLOWS / "release.yml", "image", clone, event, skip=push))
    assert outcomes["Build the Bento"] == "success"
    assert list((clone / "state/bentoml/bentos/champion").glob("*/bento.yaml"))
