"""Which components a stack has, in what order they start, and how they are wired together."""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TypeVar

from lifecycle.stack.daemon import START_SECONDS, Daemon, StackError
from lifecycle.stack.evidently_ui import EvidentlyUI
from lifecycle.stack.mlflow_server import MlflowServer
from lifecycle.stack.objectstore import ObjectStore
from lifecycle.stack.postgres import Postgres
from lifecycle.stack.prometheus_server import Prometheus, Pushgateway

COMPONENTS = ("postgres", "s3", "mlflow", "pushgateway", "prometheus", "evidently")  # start order
NEEDS = {"mlflow": ("postgres", "s3"), "prometheus": ("pushgateway",)}
D = TypeVar("D", bound=Daemon)


def check_components(names: Iterable[str]) -> tuple[str, ...]:
    """The components to start, in start order; StackError for unknown or missing ones."""
    wanted = set(names)
    if unknown := sorted(wanted - set(COMPONENTS)):
        raise StackError(f"unknown components {unknown}: choose from {list(COMPONENTS)}")
    for name, needs in NEEDS.items():
        if name in wanted and (missing := [n for n in needs if n not in wanted]):
            raise StackError(f"{name} needs {missing} in the stack too: add them")
    return tuple(name for name in COMPONENTS if name in wanted)


def component(parts: Mapping[str, Daemon], name: str, kind: type[D]) -> D:
    """A component by name, of the expected type; StackError if the stack has none."""
    daemon = parts.get(name)
    if not isinstance(daemon, kind):
        raise StackError(f"this stack has no {name}: start it with {name} among its components")
    return daemon


def build_components(
    home: Path, ports: Mapping[str, int], password: str, project_root: Path, scrape_seconds: float
) -> dict[str, Daemon]:
    """The component objects of a stack folder for these ports (nothing started)."""
    made: dict[str, Daemon] = {}
    if "postgres" in ports:
        made["postgres"] = Postgres(home=home, port=ports["postgres"], password=password)
    if "s3" in ports:
        made["s3"] = ObjectStore(home=home, port=ports["s3"])
    if "mlflow" in ports:
        backend = component(made, "postgres", Postgres).database_url("mlflow")
        s3 = component(made, "s3", ObjectStore)
        made["mlflow"] = MlflowServer(
            home=home,
            port=ports["mlflow"],
            backend_uri=backend,
            s3_endpoint=s3.url,
            s3_env=s3.credentials(),
        )
    if "pushgateway" in ports:
        made["pushgateway"] = Pushgateway(home=home, port=ports["pushgateway"])
    if "prometheus" in ports:
        made["prometheus"] = Prometheus(
            home=home,
            port=ports["prometheus"],
            project_root=project_root,
            pushgateway_port=ports["pushgateway"],
            scrape_seconds=scrape_seconds,
        )
    if "evidently" in ports:
        made["evidently"] = EvidentlyUI(home=home, port=ports["evidently"])
    return made


def wait_all(daemons: Sequence[Daemon], seconds: float = START_SECONDS) -> None:
    """Wait until every daemon is healthy, checking them in turn (so each one's time is its
    own); ComponentFailed for the first that exits or is not healthy after `seconds`."""
    deadline = time.monotonic() + seconds
    pending = list(daemons)
    while pending:
        pending = [daemon for daemon in pending if not daemon.poll()]
        if pending and time.monotonic() > deadline:
            raise pending[0].failure(f"was not healthy after {seconds:.0f} s")
        time.sleep(0.2 if pending else 0)
