"""The replay's working repository: a git copy of the project whose history is the retrains.

Why a separate repository and not DVC experiments: each retrain must be something you can check
out and rerun later. A plain commit of params.yaml + dvc.lock per retrain gives exactly that
(`git checkout <commit> && dvc repro`), shows up in `git log`, and leaves your own checkout and
its registry alone while the replay plays two simulated years forward.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import resource
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from lifecycle.project_copy import commit_all, fresh_copy
from lifecycle.settings import TEAM_SETTINGS

AS_OF = re.compile(r"""^(\s*as_of:\s*)["']?[0-9-]+["']?""", re.MULTILINE)
_KEY = re.compile(r"^(?P<indent> *)(?P<key>[A-Za-z_][\w.-]*):(?P<rest>.*)$")
_SCALAR = re.compile(r"""^(\s*)("[^"]*"|'[^']*'|[^\s#]+)""")  # the value, before any comment


def _content(line: str) -> bool:
    return bool(line.strip()) and not line.lstrip().startswith("#")


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def set_yaml_value(text: str, keys: tuple[str, ...], value: str) -> str:
    """Set the scalar at the nested `keys` of a block-style YAML text to `value` (YAML as
    written), keeping every comment and the layout; ValueError when the key is not there."""
    lines = text.splitlines(keepends=True)
    lo, hi = 0, len(lines)
    for depth, key in enumerate(keys):
        block = [i for i in range(lo, hi) if _content(lines[i])]
        if not block:
            raise ValueError(f"no `{'.'.join(keys[: depth + 1])}` in the params")
        child = _indent(lines[block[0]])
        found = [
            i
            for i in block
            if _indent(lines[i]) == child
            and (m := _KEY.match(lines[i].rstrip("\n")))
            and m["key"] == key
        ]
        if not found:
            raise ValueError(f"no `{'.'.join(keys[: depth + 1])}` in the params")
        lo = found[0]
        later = [i for i in block if i > lo and _indent(lines[i]) <= child]
        lo, hi = lo + 1, (later[0] if later else hi)
    at = lo - 1
    m = _KEY.match(lines[at].rstrip("\n"))
    assert m is not None
    old = _SCALAR.match(m["rest"])
    if old is None or any(_content(lines[i]) for i in range(lo, hi)):
        raise ValueError(f"`{'.'.join(keys)}` is no scalar in the params")
    end = "\n" if lines[at].endswith("\n") else ""
    after = m["rest"][old.end() :]
    if after.strip():  # keep the comment where it was, if the new value leaves room
        gap = len(after) - len(after.lstrip(" ")) + len(old[2]) - len(value)
        after = " " * max(gap, 1) + after.lstrip(" ")
    lines[at] = f"{m['indent']}{key}:{old[1]}{value}{after.rstrip(chr(10))}{end}"
    return "".join(lines)


@dataclass(frozen=True)
class Repro:
    """The outcome of one `dvc repro` in the working repository."""

    ok: bool
    seconds: float
    stdout: str
    stderr: str
    cpu_seconds: float = 0.0  # user + system CPU of dvc and every stage process it ran

    def failure(self) -> str:
        """The stage's own error lines (the last few lines of stderr)."""
        lines = [ln for ln in self.stderr.splitlines() if ln.strip()]
        return " | ".join(lines[-3:])


def _children_cpu() -> float:
    """CPU seconds (user + system) of every finished child process and its descendants."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


class WorkRepo:
    """A fresh copy of the project, driven like a user would: edit params, repro, commit."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @classmethod
    def create(cls, root: Path, path: Path) -> WorkRepo:
        """Copy the project at `root` into the empty folder `path`, as a new git repository."""
        path.mkdir(parents=True, exist_ok=False)
        return cls(fresh_copy(root, path))

    def env(self) -> dict[str, str]:
        """Environment for commands in the repo: the venv first, state inside the repo."""
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in (*TEAM_SETTINGS, "LIFECYCLE_STATE_DIR", "VIRTUAL_ENV")
        }
        env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
        # The windows are small (~2-3k rows): a second OpenMP thread per model call mostly
        # spins, and on a busy 2-core machine that cost ~25 % more CPU in train and evaluate.
        env.setdefault("OMP_NUM_THREADS", "1")
        return env

    def set_as_of(self, day: dt.date) -> None:
        """Advance the data snapshot (data.as_of), keeping params.yaml's comments."""
        params = self.path / "params.yaml"
        text, count = AS_OF.subn(rf'\g<1>"{day.isoformat()}"', params.read_text(), count=1)
        if count != 1:
            raise ValueError(f"no `as_of:` line in {params}")
        params.write_text(text)

    def set_params(self, values: dict[tuple[str, ...], str]) -> None:
        """Set nested params (`("gate", "live", "required"): "true"`), keeping the comments."""
        params = self.path / "params.yaml"
        text = params.read_text()
        for keys, value in values.items():
            text = set_yaml_value(text, keys, value)
        params.write_text(text)

    def repro(self) -> Repro:
        """`dvc repro`: reruns only what the new snapshot changed."""
        start, cpu = time.perf_counter(), _children_cpu()
        done = subprocess.run(
            ["dvc", "repro"], cwd=self.path, env=self.env(), capture_output=True, text=True
        )
        seconds, cpu = time.perf_counter() - start, _children_cpu() - cpu
        return Repro(done.returncode == 0, seconds, done.stdout, done.stderr, cpu)

    def commit(self, message: str) -> str:
        """Commit params.yaml, dvc.lock and anything else changed; return the commit id."""
        commit_all(self.path, message)
        return self.head()

    def head(self) -> str:
        """The short id of the commit checked out."""
        done = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=self.path,
            capture_output=True,
            text=True,
            check=True,
        )
        return done.stdout.strip()
