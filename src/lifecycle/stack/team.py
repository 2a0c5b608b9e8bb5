"""The whole stack: start the components in order, record them, hand out the env, stop them.

    stack = Stack.start(Path("state/stack"), Path("."))   # PostgreSQL ... Evidently UI
    os.environ.update(stack.env())                         # the project now uses the stack
    stack.start_replicas(2)                                # once a champion is registered
    stack.stop()                                           # replicas first, PostgreSQL last

From another shell, `Stack.load(folder)` finds the same processes through stack.json.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lifecycle.stack.components import (
    COMPONENTS,
    NEEDS,
    build_components,
    check_components,
    component,
    wait_all,
)
from lifecycle.stack.daemon import START_SECONDS, ComponentStatus, Daemon, StackError
from lifecycle.stack.mlflow_server import MlflowServer
from lifecycle.stack.objectstore import DVC_REMOTE, ObjectStore
from lifecycle.stack.ports import DEFAULT_PORTS, FIRST_REPLICA_PORT, PortPicker
from lifecycle.stack.postgres import Postgres
from lifecycle.stack.prometheus_server import Prometheus
from lifecycle.stack.replicas import Replica, require_champion
from lifecycle.stack.stack_state import ENV_FILE, STATE_FILE, Secrets, read_state, write_state

# What `stop(purge=True)` deletes; the logs stay, to be read after the stop.
DATA = ("postgres", "prometheus", "pushgateway", "evidently", "replicas", "secrets.json")


class StackRunning(StackError):
    """A stack already runs from this folder."""


class NoStack(StackError):
    """No stack was started from this folder."""


@dataclass
class Stack:
    """A running stack: its folder, components (by name, in start order) and replicas."""

    home: Path
    project_root: Path
    scrape_seconds: float
    any_free_port: bool
    secrets: Secrets
    components: dict[str, Daemon] = field(default_factory=dict)
    replicas: list[Replica] = field(default_factory=list)

    @classmethod
    def start(
        cls,
        stack_dir: Path,
        project_root: Path,
        ports: Mapping[str, int] | None = None,
        scrape_seconds: float = 15.0,
        components: Iterable[str] = COMPONENTS,
        any_free_port: bool = False,
        seconds: float = START_SECONDS,
    ) -> Stack:
        """Start the components (default ports, or any free port; `ports` wins) and wait until
        each is healthy. StackRunning if this folder's stack runs; on failure, stops them all."""
        home = stack_dir.resolve()
        refuse_running(home)
        names = check_components(components)
        picker = PortPicker(any_free=any_free_port, given=set((ports or {}).values()))
        chosen = {n: (ports or {}).get(n) or picker.pick(DEFAULT_PORTS[n]) for n in names}
        secrets = Secrets.load_or_create(home)
        stack = cls(home, project_root.resolve(), scrape_seconds, any_free_port, secrets)
        stack.components = stack.build(chosen)
        for daemon in stack.components.values():
            daemon.command()  # a missing program fails here, before anything runs
        try:
            stack.launch(seconds)
        except BaseException:
            stack.stop(purge=False)  # keep the logs and data to look at
            raise
        return stack

    @classmethod
    def load(cls, stack_dir: Path) -> Stack:
        """The stack started from this folder (by this or another process), from stack.json."""
        home = stack_dir.resolve()
        state = read_state(home)
        if state is None:
            raise NoStack(f"no stack was started in {home}: start one with `make stack`")
        root, scrape = Path(state["project_root"]), float(state["scrape_seconds"])
        stack = cls(home, root, scrape, bool(state["any_free_port"]), Secrets.load_or_create(home))
        saved = state["components"]
        stack.components = stack.build({name: saved[name]["port"] for name in saved})
        for name, daemon in stack.components.items():
            daemon.restore(saved[name])
        for record in state["replicas"]:
            replica = stack.replica(record["number"], record["port"], record["reload_seconds"])
            replica.restore(record)
            stack.replicas.append(replica)
        return stack

    def build(self, ports: Mapping[str, int]) -> dict[str, Daemon]:
        """This stack's component objects for these ports (nothing started)."""
        password = self.secrets.postgres_password
        return build_components(self.home, ports, password, self.project_root, self.scrape_seconds)

    def launch(self, seconds: float) -> None:
        """Launch everything at once, except MLflow, which waits for its database and bucket."""
        first = [d for name, d in self.components.items() if name != "mlflow"]
        for daemon in first:
            daemon.launch()
        self.save()  # pids on disk at once: `make stack-stop` can clean up a start that hangs
        wait_all([d for d in first if d.name in NEEDS["mlflow"]], seconds)
        if mlflow := self.components.get("mlflow"):
            mlflow.launch()
            self.save()
        wait_all(list(self.components.values()), seconds)
        self.save()

    def env(self) -> dict[str, str]:
        """The environment that points the project (and DVC, boto3) at this stack."""
        env, parts = {}, self.components
        if "mlflow" in parts:
            env["MLFLOW_TRACKING_URI"] = parts["mlflow"].url
        if "postgres" in parts:
            postgres = component(parts, "postgres", Postgres)
            env["LIFECYCLE_DATABASE_URL"] = postgres.database_url("lifecycle")
        if "pushgateway" in parts:
            env["LIFECYCLE_PUSHGATEWAY_URL"] = parts["pushgateway"].url
        if "evidently" in parts:
            env["LIFECYCLE_EVIDENTLY_URL"] = parts["evidently"].url
        if "s3" in parts:
            s3 = component(parts, "s3", ObjectStore)
            env |= {"MLFLOW_S3_ENDPOINT_URL": s3.url, **s3.credentials()}
            env["LIFECYCLE_DVC_REMOTE"] = DVC_REMOTE  # for `dvc remote add`; no setting reads it
        return env

    def replica(
        self, number: int, port: int, reload_seconds: float, extra: Mapping[str, str] | None = None
    ) -> Replica:
        """A replica of this stack (not started): the stack's env, its admin token, `extra`."""
        env = {**self.env(), "LIFECYCLE_ADMIN_TOKEN": self.secrets.admin_token, **(extra or {})}
        root = self.project_root
        return Replica(
            home=self.home,
            port=port,
            number=number,
            project_root=root,
            env=env,
            reload_seconds=reload_seconds,
        )

    def start_replicas(
        self,
        count: int,
        reload_seconds: float = 10.0,
        env: Mapping[str, str] | None = None,
        seconds: float = START_SECONDS,
    ) -> list[Replica]:
        """Start `count` more replicas (NoChampion if the registry has none to serve), wait
        until each is ready, then have Prometheus scrape them. `env`: extra settings."""
        if count < 1:
            raise StackError(f"the number of replicas must be at least 1, got {count}")
        component(self.components, "postgres", Postgres)  # the shared prediction log
        tracking_uri = component(self.components, "mlflow", MlflowServer).url
        require_champion(tracking_uri, self.project_root, self.home / ENV_FILE)
        picker = PortPicker(any_free=self.any_free_port, given=self.ports())
        first = max((r.number for r in self.replicas), default=0) + 1
        new = [
            self.replica(n, picker.pick(FIRST_REPLICA_PORT + n - 1), reload_seconds, env)
            for n in range(first, first + count)
        ]
        self.replicas += new
        for replica in new:
            replica.launch()
        self.save()
        try:
            wait_all(new, seconds)
        except BaseException:
            self.stop_replicas(new)
            raise
        self.save()
        return new

    def stop_component(self, name: str) -> None:
        """Stop one component (a fault, or a restart); its data and port are kept."""
        self.components[name].stop()
        self.save()

    def start_component(self, name: str, seconds: float = START_SECONDS) -> None:
        """Start a stopped component again, on its port and data, and wait until healthy."""
        self.components[name].start(seconds)
        self.save()

    def ports(self) -> set[int]:
        """Every port the stack's processes use."""
        return {d.port for d in [*self.components.values(), *self.replicas]}

    def save(self) -> None:
        """Record the stack in stack.json and env.sh, and the ready replicas in Prometheus'
        targets (call it after stopping or starting a component by hand)."""
        if "prometheus" in self.components:
            targets = {r.number: r.port for r in self.replicas if r.seconds is not None}
            component(self.components, "prometheus", Prometheus).set_replicas(targets)
        state: dict[str, Any] = {
            "home": str(self.home),
            "project_root": str(self.project_root),
            "scrape_seconds": self.scrape_seconds,
            "any_free_port": self.any_free_port,
            "components": {name: d.record() for name, d in self.components.items()},
            "replicas": [r.record() for r in self.replicas],
        }
        write_state(self.home, state, self.env())

    def stop_replicas(self, which: Sequence[Replica] | None = None) -> None:
        """Stop these replicas (default: all) and forget them."""
        for replica in list(self.replicas if which is None else which):
            replica.stop()
            self.replicas.remove(replica)
        self.save()

    def stop(self, purge: bool = True) -> None:
        """Stop every process (replicas first, PostgreSQL last) and wait until all are gone.
        `purge`: also delete the data (the registry would point at artifacts moto forgot)."""
        errors: list[str] = []
        for daemon in [*self.replicas, *reversed(self.components.values())]:
            try:
                daemon.stop()
            except Exception as err:  # stop the others anyway, then report
                errors.append(f"{daemon.name}: {err}")
        self.replicas = []
        for name in (STATE_FILE, ENV_FILE, *(DATA if purge else ())):
            path = self.home / name
            if path.is_dir():
                shutil.rmtree(path)
            else:
                path.unlink(missing_ok=True)
        if errors:
            raise StackError("could not stop everything: " + "; ".join(errors))

    def status(self) -> list[ComponentStatus]:
        """Each process: its URL, pid, whether it runs and answers its health check."""
        return [d.status() for d in [*self.components.values(), *self.replicas]]


def refuse_running(home: Path) -> None:
    """StackRunning if a process of the stack recorded in this folder still runs."""
    if read_state(home) is None:
        return
    old = Stack.load(home)
    daemons = [*old.components.values(), *old.replicas]
    alive = [f"{d.name} (pid {d.pid})" for d in daemons if d.alive()]
    if alive:
        raise StackRunning(
            f"a stack is already running from {home}: {', '.join(alive)}. "
            "`make stack-status` shows it, `make stack-stop` stops it"
        )
