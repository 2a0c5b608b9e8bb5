"""Copies of the project as a fresh git repository (for end-to-end tests and benchmarks)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path


def project_files(root: Path) -> list[str]:
    """Files git would ship from this working tree: tracked plus new ones not ignored."""
    out = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return [name for name in out if (root / name).is_file()]


def fresh_copy(root: Path, dest: Path) -> Path:
    """Copy the project into `dest` and commit it there, as a clean clone would look."""
    for name in project_files(root):
        (dest / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(root / name, dest / name)
    commit_all(dest, "fresh copy of the project", init=True)
    return dest


def commit_all(repo: Path, message: str, init: bool = False) -> None:
    """`git add -A && git commit` (after `git init` if asked), with a fixed local identity."""
    ident = ["-c", "user.name=lifecycle", "-c", "user.email=lifecycle@localhost"]
    steps = [["init", "-q"]] if init else []
    steps += [["add", "-A"], [*ident, "commit", "-q", "--allow-empty", "-m", message]]
    for step in steps:
        subprocess.run(["git", *step], cwd=repo, check=True, capture_output=True)
