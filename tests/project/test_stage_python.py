"""A stage run by a Python that cannot import lifecycle (`.venv/bin/dvc repro` with the venv
not active) runs again with the project's venv, or stops saying what to do (pipelines/_venv.py).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers.imports import ROOT
from tests.project.test_dvc_deps import script_of, stages

# The interpreter the venv was made from, without site-packages (-S): it cannot import lifecycle.
BARE = [getattr(sys, "_base_executable", sys.executable), "-S"]


def bare_run(script: Path) -> subprocess.CompletedProcess[str]:
    """`script --help` run by the bare interpreter, with no PYTHONPATH to find lifecycle by."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return subprocess.run(
        [*BARE, str(script), "--help"], cwd=ROOT, env=env, capture_output=True, text=True
    )


# One stage among the fast tests, every stage among the slow ones (each pays a cold import)
@pytest.mark.parametrize(
    "stage",
    [s if s == "split" else pytest.param(s, marks=pytest.mark.slow) for s in sorted(stages())],
)
def test_a_stage_reruns_itself_with_the_venv(stage: str) -> None:
    script = ROOT / script_of(stages()[stage])
    done = bare_run(script)
    assert done.returncode == 0, done.stderr
    assert "usage:" in done.stdout  # argparse of the stage itself, so lifecycle imported
    assert f"cannot import 'lifecycle'; running this stage with {ROOT / '.venv/bin/python'}" in (
        done.stderr
    )


def test_without_a_venv_the_stage_says_what_to_do(tmp_path: Path) -> None:
    for name in ("ingest.py", "_venv.py"):
        shutil.copy(ROOT / "pipelines" / name, tmp_path / name)
    done = bare_run(tmp_path / "ingest.py")
    assert done.returncode == 1
    assert "cannot import 'lifecycle', so this stage cannot run" in done.stderr
    assert "Run `make setup` once" in done.stderr
    assert "Traceback" not in done.stderr
