"""Helpers for the serving tests: the service in-process, and `bentoml serve` for real."""

from __future__ import annotations

import importlib.util
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[2]
SERVICE = "serving.service:ChampionService"
READY_SECONDS = 120  # `bentoml serve` needs ~12-15 s here; more on a busy machine


def load_service(bentoml_home: Path) -> ModuleType:
    """serving/service.py as a module (imported once: its class is defined at import time).

    BentoML keeps its stores under BENTOML_HOME (default ~/bentoml; `make` says state/bentoml):
    point it at a test folder, for this process, before BentoML first reads it.
    """
    name = "champion_service"
    os.environ["BENTOML_HOME"] = str(bentoml_home)
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, ROOT / "serving" / "service.py")
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


def free_port() -> int:
    """A TCP port nobody listens on right now (127.0.0.1)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    """A `bentoml serve` subprocess on 127.0.0.1, its prediction log and its output file."""

    process: subprocess.Popen[bytes]
    url: str
    log_path: Path
    output: Path

    def text(self) -> str:
        """Everything the server printed so far."""
        return self.output.read_text(errors="replace")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 60) -> int:
        """Send a signal to the server's process group and wait for it to exit."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, sig)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)
        return int(self.process.returncode)


def start_server(tmp: Path, **env: str) -> Server:
    """Start the service on a free port with settings from `env`; return once /readyz is 200."""
    port, output, log_path = free_port(), tmp / "server.out", tmp / "predictions.sqlite"
    settings = {
        "LIFECYCLE_PREDICTION_LOG": str(log_path),
        "BENTOML_HOME": str(tmp / "bentoml"),
        "PORT": str(port),
        # Shed load only after 5 s (default 2 s): on a busy test machine one slow batch can turn
        # answers into 503s. These tests check answers; `make bench` measures the default.
        "LIFECYCLE_MAX_LATENCY_MS": "5000",
    }
    serve = [sys.executable, "-m", "bentoml", "serve", SERVICE]
    with output.open("wb") as sink:
        process = subprocess.Popen(
            [*serve, "--host", "127.0.0.1", "--port", str(port)],
            cwd=ROOT,
            env={**os.environ, **settings, **env},
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stop() reaches every worker
        )
    server = Server(process, f"http://127.0.0.1:{port}", log_path, output)
    _wait_ready(server)
    return server


def _wait_ready(server: Server) -> None:
    deadline = time.monotonic() + READY_SECONDS
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
    raise RuntimeError(f"bentoml serve not ready in {READY_SECONDS} s:\n{server.text()[-3000:]}")


@dataclass(frozen=True)
class Answer:
    """One answer to a load client: HTTP status (0: no answer), and what was predicted."""

    status: int
    version: str = ""
    rows: tuple[tuple[str, int], ...] = ()  # (request id, row) of each prediction


def _answer(response: httpx.Response) -> Answer:
    if response.status_code != 200:
        return Answer(response.status_code)
    body = response.json()
    rows = tuple((p["request_id"], p["row"]) for p in body)
    return Answer(200, body[0]["model_version"], rows)


@dataclass
class Load:
    """Background clients sending single-record requests until stopped; every answer kept."""

    url: str
    record: dict[str, Any]
    clients: int
    answers: list[Answer] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)

    def start(self) -> Load:
        """Start the clients."""
        for _ in range(self.clients):
            thread = threading.Thread(target=self._client, daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def _client(self) -> None:
        with httpx.Client(base_url=self.url, timeout=30) as http:
            while not self._stop.is_set():
                try:
                    self.answers.append(
                        _answer(http.post("/predict", json={"records": [self.record]}))
                    )
                except httpx.TransportError:
                    self.answers.append(Answer(0))
                    time.sleep(0.05)

    def stop(self) -> list[Answer]:
        """Stop the clients and return every answer."""
        self._stop.set()
        for thread in self._threads:
            thread.join(60)
        return self.answers
