"""Ports for the stack: a fixed default per component (predictable URLs), or any free one."""

from __future__ import annotations

import socket
from dataclasses import dataclass, field

# Defaults a user can remember; PostgreSQL's is off 5432 so that a system server keeps its own.
DEFAULT_PORTS = {
    "postgres": 15432,
    "s3": 9000,
    "mlflow": 5050,
    "prometheus": 9090,
    "pushgateway": 9091,
    "evidently": 8085,
}
FIRST_REPLICA_PORT = 3101  # replica i listens on 3100 + i


def port_is_free(port: int) -> bool:
    """True if nothing listens on 127.0.0.1:`port` right now (we could bind it)."""
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def any_free_port() -> int:
    """A TCP port on 127.0.0.1 that nobody listens on right now (the OS picks it)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class PortPicker:
    """Hands out ports: the preferred one when it is free, else any free port; never one twice.

    `any_free`: ignore the defaults (tests, where parallel runs must not collide). A port is
    only free when asked: another program may take it before the component binds it, and the
    component's health check then fails naming its port."""

    any_free: bool = False
    given: set[int] = field(default_factory=set)

    def pick(self, preferred: int) -> int:
        """The preferred port if free (and not handed out yet), otherwise any free port."""
        port = preferred
        if self.any_free or port in self.given or not port_is_free(port):
            port = any_free_port()
            while port in self.given:
                port = any_free_port()
        self.given.add(port)
        return port
