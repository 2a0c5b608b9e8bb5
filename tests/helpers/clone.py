"""A temporary git copy of the project (lifecycle.project_copy): run commands in it, edit params."""

import os
import subprocess
import sys
from pathlib import Path

import yaml

from tests.helpers.params import deep_merge


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
    path = repo / "params.yaml"
    path.write_text(yaml.safe_dump(deep_merge(yaml.safe_load(path.read_text()), override)))
