"""Run `bentoml serve` as a child process on 127.0.0.1: start, wait until ready, reload, stop.

Used by the replay (which starts and stops its own server) and by the end-to-end tests.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

SERVICE = "serving.service:ChampionService"
READY_SECONDS = 120  # `bentoml serve` needs ~12-15 s here; more on a busy machine


def free_port() -> int:
    """A TCP port nobody listens on right now (127.0.0.1)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    """A running `bentoml serve` process group, its URL, admin token and output file."""

    process: subprocess.Popen[bytes]
    url: str
    token: str
    output: Path

    def text(self) -> str:
        """Everything the server printed so far."""
        return self.output.read_text(errors="replace")

    def served_version(self) -> str:
        """The model version the server reports at GET /model."""
        return str(httpx.get(f"{self.url}/model", timeout=10).json()["version"])

    def reload_to(self, version: str, timeout: float = 60) -> str:
        """Ask the server to re-read the registry until it serves `version`; return its version.

        One POST answers once every worker process has checked (up to 25 s for a slow load)."""
        deadline = time.monotonic() + timeout
        headers = {"Authorization": f"Bearer {self.token}"}
        while time.monotonic() < deadline:
            httpx.post(f"{self.url}/admin/reload", headers=headers, timeout=40).raise_for_status()
            if (served := self.served_version()) == version:
                return served
            time.sleep(0.5)
        return self.served_version()

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 60) -> int:
        """Signal the whole process group (SIGTERM: graceful, the log is flushed) and wait."""
        return stop_group(self.process, sig, timeout)


def stop_group(
    process: subprocess.Popen[bytes], sig: int = signal.SIGTERM, seconds: float = 60
) -> int:
    """Signal a server's whole process group and wait until every process in it is gone
    (worker processes can outlive their parent, and the next server needs the port);
    SIGKILL what is left after `seconds`. Returns the group leader's exit code."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, sig)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        process.poll()  # reap the leader, or the group never looks empty
        try:
            os.killpg(process.pid, 0)  # signal 0: is anyone in the group still alive?
        except ProcessLookupError:
            return int(process.wait())
        time.sleep(0.2)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    return int(process.wait(10))


@contextmanager
def running(cmd: list[str], env: dict[str, str], ready: str, log: Path) -> Iterator[None]:
    """Run any HTTP server command until the block ends; wait until GET `ready` answers 200."""
    with log.open("wb") as sink:
        proc = subprocess.Popen(
            cmd,
            env={**os.environ, **env},
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 240
        while not _answers(ready):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{cmd[0]} did not start; {log} ends:\n{_tail(log)}")
            time.sleep(0.5)
        yield
    finally:
        stop_group(proc)


def _tail(log: Path, lines: int = 20) -> str:
    """The last lines of a server's log: why it did not start, even once its folder is gone."""
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.TransportError:
        return False


def start(cwd: Path, output: Path, env: dict[str, str], port: int | None = None) -> Server:
    """Start the service from `cwd` with extra environment; return once /readyz answers 200."""
    port = port or free_port()
    token = secrets.token_urlsafe(16)
    full_env = {**os.environ, "PORT": str(port), "LIFECYCLE_ADMIN_TOKEN": token, **env}
    cmd = [
        sys.executable,
        "-m",
        "bentoml",
        "serve",
        SERVICE,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]
    output.parent.mkdir(parents=True, exist_ok=True)
    with output.open("wb") as sink:
        process = subprocess.Popen(
            cmd,
            cwd=cwd,
            env=full_env,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = Server(process, f"http://127.0.0.1:{port}", token, output)
    wait_ready(server)
    return server


def wait_ready(server: Server, seconds: float = READY_SECONDS) -> None:
    """Poll /readyz until it answers 200; raise with the server's output if it never does."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"bentoml serve exited early:\n{server.text()[-3000:]}")
        try:
            if httpx.get(f"{server.url}/readyz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    server.stop(signal.SIGKILL)
    raise RuntimeError(f"bentoml serve not ready in {seconds} s:\n{server.text()[-3000:]}")
