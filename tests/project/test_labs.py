"""Every break-it lab, run from its own page: the check fails after the break, passes after the fix.

docs/labs.py runs the blocks a lab page marks (`<!-- lab: ... -->`). Here each lab's `cycle` runs
in one throwaway copy of the project where the pipeline has run and been committed (what the
labs' index asks a reader for), in the index's order, with this suite's environment as its
`.venv` and the copy's own code first. After each lab the copy is put back as the index's "undo
everything" does (git, then DVC), so each lab starts from a clean workspace; the registry in
state/ keeps every version, as it does for a reader.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from lifecycle.project_copy import commit_all, fresh_copy
from tests.helpers.clone import use_suite_venv
from tests.helpers.docs_scripts import docs_script
from tests.helpers.params import ROOT

pytestmark = pytest.mark.slow
# The suite's own settings, which a reader's terminal does not have
INHERITED = ("MLFLOW_TRACKING_URI", "LIFECYCLE_STATE_DIR", "LIFECYCLE_DATABASE_URL", "MAKEFLAGS")


def reader_env(repo: Path) -> dict[str, str]:
    """A terminal with the copy's venv activated and its own code importable."""
    env = {k: v for k, v in os.environ.items() if k not in (*INHERITED, "MAKELEVEL", "MFLAGS")}
    env["PATH"] = f"{repo / '.venv/bin'}{os.pathsep}{env['PATH']}"
    env["PYTHONPATH"] = str(repo / "src")  # the environment's editable install points here
    return env


def sh(repo: Path, command: str) -> subprocess.CompletedProcess[str]:
    """Run a shell command in the copy; its output comes back for assertion messages."""
    return subprocess.run(
        ["bash", "-c", command], cwd=repo, env=reader_env(repo), capture_output=True, text=True
    )


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A copy of the project where `make repro` has run and its dvc.lock is committed."""
    repo = fresh_copy(ROOT, tmp_path_factory.mktemp("labs"))
    use_suite_venv(repo)
    done = sh(repo, "make repro")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    commit_all(repo, "the pipeline as it ran here")
    yield repo


def put_back(repo: Path, base: str) -> None:
    """Undo a lab: back to the commit `base` (a lab may commit), its files, then DVC's outputs."""
    steps = f"git reset -q --hard {base} && git clean -fdq && {{ dvc checkout -q || true; }}"
    done = sh(repo, f"{steps} && dvc repro -q && dvc status --quiet")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]


@pytest.mark.parametrize("lab", docs_script("labs").lab_names())
def test_a_lab_fails_before_its_fix_and_passes_after(workspace: Path, lab: str) -> None:
    base = sh(workspace, "git rev-parse HEAD").stdout.strip()
    try:
        done = sh(workspace, f"{sys.executable} docs/labs.py cycle {lab}")
        assert done.returncode == 0, f"{done.stdout[-6000:]}\n{done.stderr[-4000:]}"
        assert "the check failed after the break and passed after the fix" in done.stdout
    finally:
        put_back(workspace, base)
