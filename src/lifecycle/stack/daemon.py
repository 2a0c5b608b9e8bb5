"""One long-running process of the stack: start it, wait until it is healthy, stop its group.

Every process writes stdout and stderr to `<stack dir>/logs/<name>.log` and runs in its own
session (its own process group), so stopping it stops whatever it forked too (uvicorn workers,
PostgreSQL backends). A running stack can be found and stopped from another shell: what that
needs (the pid, and the process's start time, which tells it from a later process that reused
the pid) is recorded in stack.json.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from lifecycle.settings import TELEMETRY_OFF
from lifecycle.stack.process_groups import family, same_process, signal_group, wait_gone

START_SECONDS = 120.0  # MLflow's first start creates its schema; `bentoml serve` takes ~15 s
STOP_SECONDS = 30.0  # then SIGKILL
LOG_TAIL_LINES = 25


class StackError(RuntimeError):
    """The stack cannot do what was asked; the message says why and what to do."""


class ComponentFailed(StackError):
    """A component did not start or did not become healthy (the message has its log's tail)."""


class MissingTool(StackError):
    """A program the stack needs is not installed (the message says how to install it)."""


def log_tail(path: Path, lines: int = LOG_TAIL_LINES) -> str:
    """The last lines of a log file ('' if there is none yet)."""
    if not path.exists():
        return ""
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def http_ok(url: str) -> bool:
    """True if GET `url` answers 200 within 2 s."""
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


@dataclass(frozen=True)
class ComponentStatus:
    """One line of `make stack-status`."""

    name: str
    url: str
    pid: int | None
    alive: bool
    healthy: bool
    seconds: float | None  # how long it took to start
    log: Path


@dataclass(kw_only=True)
class Daemon:
    """A server process of the stack. Subclasses say how to run and check it."""

    name: str
    home: Path  # the stack's folder
    port: int
    pid: int | None = None
    started: float | None = None  # the process's start time (psutil), with the pid its identity
    seconds: float | None = None  # from launch until healthy
    health_path: str = "/"
    popen: subprocess.Popen[bytes] | None = field(default=None, repr=False, compare=False)
    launched_at: float = field(default=0.0, repr=False, compare=False)

    @property
    def url(self) -> str:
        """Where clients reach it."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def log(self) -> Path:
        """The file its stdout and stderr go to (appended across restarts)."""
        return self.home / "logs" / f"{self.name}.log"

    def command(self) -> list[str]:
        """The command line (no secrets: those go in `environment`)."""
        raise NotImplementedError

    def environment(self) -> dict[str, str]:
        """Extra environment variables for the process."""
        return {}

    def popen_options(self) -> dict[str, Any]:
        """Extra subprocess.Popen arguments (cwd, user)."""
        return {}

    def prepare(self) -> None:
        """Create what the process needs before its first start (folders, data)."""

    def healthy(self) -> bool:
        """True once the component answers its health check."""
        return http_ok(self.url + self.health_path)

    def after_ready(self) -> None:
        """Set-up that needs the running component (databases, buckets)."""

    def launch(self) -> None:
        """Start the process without waiting for it."""
        import psutil

        self.prepare()
        self.log.parent.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, **TELEMETRY_OFF, **self.environment()}
        with self.log.open("ab") as sink:
            self.popen = subprocess.Popen(
                self.command(),
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=sink,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                **self.popen_options(),
            )
        self.launched_at = time.monotonic()
        self.pid, self.seconds = self.popen.pid, None
        with contextlib.suppress(psutil.Error):
            self.started = psutil.Process(self.pid).create_time()

    def poll(self) -> bool:
        """One step of waiting: True once healthy (runs `after_ready`); raises if it exited."""
        if self.popen is not None and self.popen.poll() is not None:
            raise self.failure(f"exited with code {self.popen.returncode}")
        if not self.healthy():
            return False
        self.after_ready()
        self.seconds = round(time.monotonic() - self.launched_at, 1)
        return True

    def wait(self, seconds: float = START_SECONDS) -> None:
        """Wait until healthy; stop it and raise ComponentFailed after `seconds`."""
        deadline = time.monotonic() + seconds
        while not self.poll():
            if time.monotonic() > deadline:
                error = self.failure(f"was not healthy after {seconds:.0f} s")  # with its pid
                self.stop()
                raise error
            time.sleep(0.2)

    def start(self, seconds: float = START_SECONDS) -> Daemon:
        """Launch and wait until healthy."""
        self.launch()
        self.wait(seconds)
        return self

    def failure(self, reason: str) -> ComponentFailed:
        """An error naming the component, its URL, pid, log file, and the log's last lines."""
        tail = log_tail(self.log)
        return ComponentFailed(
            f"{self.name} ({self.url}, pid {self.pid}) {reason}; the end of {self.log}:\n{tail}"
        )

    def alive(self) -> bool:
        """True while the process we started runs."""
        return same_process(self.pid, self.started)

    def status(self) -> ComponentStatus:
        """Whether it runs and answers its health check, and where."""
        alive = self.alive()
        healthy = alive and self.healthy()
        return ComponentStatus(
            self.name, self.url, self.pid, alive, healthy, self.seconds, self.log
        )

    def pids(self) -> list[int]:
        """Its live processes: the leader, its group and its descendants."""
        if self.pid is None or not self.alive():
            return []
        return [proc.pid for proc in family(self.pid)]

    def stop(self, seconds: float = STOP_SECONDS) -> None:
        """Stop it and its whole family (SIGKILL what is left after `seconds`); wait until
        all are gone."""
        if self.pid is not None and self.alive():
            procs = family(self.pid)  # first: a worker in a session of its own is found now
            self.terminate()
            wait_gone(procs, self.popen, seconds)
        elif self.popen is not None:
            self.popen.wait(seconds)  # it exited on its own: reap it
        self.pid = self.started = self.popen = None

    def terminate(self) -> None:
        """Ask it to stop: SIGTERM to its process group (override for a gentler stop)."""
        assert self.pid is not None
        signal_group(self.pid, signal.SIGTERM)

    def record(self) -> dict[str, Any]:
        """What stack.json keeps of it (no secrets)."""
        fields = ("port", "pid", "started", "seconds", "url")
        return {**{k: getattr(self, k) for k in fields}, "log": str(self.log)}

    def restore(self, saved: dict[str, Any]) -> None:
        """Take over a process a previous `record` describes (from another shell)."""
        self.pid, self.started, self.seconds = saved["pid"], saved["started"], saved["seconds"]


def python_module(module: str, *args: str) -> list[str]:
    """`python -m module args` with this interpreter (the venv's tools, whatever PATH says)."""
    return [sys.executable, "-m", module, *args]
