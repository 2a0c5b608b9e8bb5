"""Helpers for the serving tests: the service in-process, and `bentoml serve` for real."""

from __future__ import annotations

import importlib.util
import os
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx

from lifecycle.serving import process
from lifecycle.serving.champion import Champion, describe
from tests.helpers.params import ROOT


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


class Versions:
    """A model source whose `latest` version the test moves by hand."""

    def __init__(self) -> None:
        self.version, self.loads = "1", 0

    def latest(self) -> str:
        """The version the test set last."""
        return self.version

    def load(self, version: str) -> Champion:
        """A stand-in champion for `version` (its model is a string); counts the loads."""
        self.loads += 1
        return Champion(model=f"model-{version}", info=describe("m", version, "r", {}, {}, 0))


@dataclass
class ServerWithLog(process.Server):
    """A `bentoml serve` subprocess (see lifecycle.serving.process) and its prediction log."""

    log_path: Path = Path()


def start_server(tmp: Path, **env: str) -> ServerWithLog:
    """Start the service on a free port with settings from `env`; return once /readyz is 200."""
    log_path = tmp / "predictions.sqlite"
    extra = {"LIFECYCLE_PREDICTION_LOG": str(log_path), "BENTOML_HOME": str(tmp / "bentoml")}
    running = process.start(ROOT, tmp / "server.out", {**extra, **env})
    return ServerWithLog(**vars(running), log_path=log_path)


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
class BackgroundClients:
    """Background clients sending single-record requests until stopped; every answer kept."""

    url: str
    record: dict[str, Any]
    clients: int
    answers: list[Answer] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)

    def start(self) -> BackgroundClients:
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


def serve_clone(repo: Path, tmp: Path) -> process.Server:
    """`bentoml serve` of a clone's champion: its own state and registry, a log under `tmp`,
    no polling (the champion cannot move during the test). Returns once /readyz is 200."""
    env = {
        "LIFECYCLE_STATE_DIR": str(repo / "state"),
        "MLFLOW_TRACKING_URI": "",  # empty: the clone's own SQLite store
        "LIFECYCLE_PREDICTION_LOG": str(tmp / "predictions.sqlite"),
        "LIFECYCLE_RELOAD_SECONDS": "0",
        "BENTOML_HOME": str(tmp / "bentoml"),
    }
    return process.start(repo, tmp / "server.out", env)


def rollout_root(tmp: Path, **rollout: Any) -> Path:
    """A project root under `tmp` whose params.yaml has `rollout` merged in: point
    LIFECYCLE_ROOT at it (with an absolute LIFECYCLE_STATE_DIR) to serve with those params."""
    import yaml

    from tests.helpers.params import deep_merge

    raw = yaml.safe_load((ROOT / "params.yaml").read_text())
    raw = deep_merge(raw, {"rollout": rollout})
    raw["data"]["dataset"] = str(ROOT / raw["data"]["dataset"])  # the shipped definition
    root = tmp / "root"
    root.mkdir(parents=True, exist_ok=True)
    (root / "params.yaml").write_text(yaml.safe_dump(raw, sort_keys=False))
    return root


def request(runtime: Any, parse: Any, record: dict[str, Any], key: str | None = None) -> Any:
    """One single-record request through Runtime.predict, as a client with `key` would send
    it (the X-Client-Key header: bound while the request is parsed, as RequestGuard does)."""
    from lifecycle.serving import client_key

    token = client_key.bind(key)
    try:
        records = parse([record])
    finally:
        client_key.unbind(token)
    [answer] = runtime.predict(records)
    return answer


def counted(name: str, **labels: str) -> float:
    """A counter of this process's Prometheus registry (lifecycle_<name>_total), 0 if unset."""
    from prometheus_client import REGISTRY

    return REGISTRY.get_sample_value(f"lifecycle_{name}_total", labels) or 0.0


def aliases(settings: Any, model_name: str, champion: str, challenger: str | None = None) -> None:
    """Point `champion` and `challenger` (None: remove it) of a test registry's model."""
    from lifecycle.registry import CHALLENGER, CHAMPION, current
    from lifecycle.tracking import configure

    client = configure(settings)
    client.set_registered_model_alias(model_name, CHAMPION, champion)
    if challenger is not None:
        client.set_registered_model_alias(model_name, CHALLENGER, challenger)
    elif current(client, model_name, CHALLENGER) is not None:
        client.delete_registered_model_alias(model_name, CHALLENGER)
