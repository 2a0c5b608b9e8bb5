"""A temporary git copy of the project (lifecycle.project_copy): run commands in it, edit params,
read its registry back."""

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from lifecycle.project_copy import commit_all, fresh_copy
from tests.helpers.params import ROOT, deep_merge

# Run in the clone by `python -c`: its champion as one JSON line (the clone's own settings).
CHAMPION_QUERY = (
    "import json; from lifecycle.settings import Settings;"
    "from lifecycle.tracking import configure; from lifecycle.registry import current;"
    "client = configure(Settings()); v = current(client, {model!r});"
    "run = client.get_run(v.run_id) if v else None;"
    "print(json.dumps({{'version': str(v.version) if v else None, 'tags': v.tags if v else {{}},"
    " 'metrics': run.data.metrics if run else {{}}}}))"
)


def sh(repo: Path, *cmd: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
    """Run a command in the repo with the project's venv first on PATH."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("MLFLOW_TRACKING_URI", "LIFECYCLE_STATE_DIR")
    }
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    done = subprocess.run(cmd, cwd=repo, env=env, capture_output=True, text=True)
    if ok:
        assert done.returncode == 0, f"{cmd} failed:\n{done.stdout}\n{done.stderr}"
    return done


def set_params(repo: Path, **override: object) -> None:
    """Merge `override` into the repo's params.yaml, key by key at every depth."""
    path = repo / "params.yaml"
    path.write_text(yaml.safe_dump(deep_merge(yaml.safe_load(path.read_text()), override)))


def clone_with_params(dest: Path, message: str, **override: object) -> Path:
    """A fresh git copy of this working tree in `dest`, its params.yaml merged with `override`
    and committed with `message`."""
    repo = fresh_copy(ROOT, dest)
    set_params(repo, **override)
    commit_all(repo, message)
    return repo


def registered_champion(repo: Path, model_name: str) -> dict[str, Any]:
    """The repo's champion of `model_name` read back from its MLflow: `version` (None when there
    is none), the version's `tags` and its run's `metrics`."""
    done = sh(repo, "python", "-c", CHAMPION_QUERY.format(model=model_name))
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def use_suite_venv(repo: Path) -> None:
    """Give a copy of the project this suite's environment as its `.venv`, already installed."""
    venv = Path(sys.executable).parent.parent
    stamp = venv / ".installed"
    assert stamp.is_file(), f"{venv} was not made by `make setup` (no {stamp.name})"
    (repo / ".venv").symlink_to(venv)
    older = stamp.stat().st_mtime - 60  # so make sees the environment as up to date
    for name in ("pyproject.toml", ".ci/constraints.txt"):
        os.utime(repo / name, (older, older))
    # make must see the environment as installed: else set-up would pip-install into this
    # suite's own environment (through the link) and point it at a copy about to be deleted
    assert subprocess.run(["make", "-q", "setup"], cwd=repo).returncode == 0
