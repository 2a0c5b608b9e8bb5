"""What a running stack leaves in its folder, so another shell can find, use and stop it.

- `stack.json`: components, ports, pids, URLs, log files (no secrets);
- `secrets.json` (mode 600): the database password and the replicas' admin token;
- `env.sh` (mode 600, it holds the database URL): `export K=V` lines, `source` it to point the
  project at the stack.
"""

from __future__ import annotations

import json
import os
import secrets
import shlex
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

STATE_FILE = "stack.json"
SECRETS_FILE = "secrets.json"
ENV_FILE = "env.sh"


def write_private(path: Path, text: str) -> None:
    """Write a file only its owner may read (mode 600, also if it existed with another)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(text)
    path.chmod(0o600)


@dataclass(frozen=True)
class Secrets:
    """Generated once per stack folder, kept while its PostgreSQL data is kept."""

    postgres_password: str = field(repr=False)  # never in a traceback or a test's output
    admin_token: str = field(
        repr=False
    )  # LIFECYCLE_ADMIN_TOKEN of the replicas (POST /admin/reload)

    @classmethod
    def load_or_create(cls, home: Path) -> Secrets:
        """The folder's secrets, generated (URL-safe hex) on first use."""
        path = home / SECRETS_FILE
        if path.exists():
            return cls(**json.loads(path.read_text()))
        made = cls(secrets.token_hex(16), secrets.token_hex(16))
        write_private(path, json.dumps(asdict(made), indent=2) + "\n")
        return made


def env_script(env: dict[str, str]) -> str:
    """`export K=V` lines, each value quoted for the shell."""
    lines = ["# Point the project at the stack: source this file (written by `make stack`)."]
    lines += [f"export {key}={shlex.quote(value)}" for key, value in env.items()]
    return "\n".join(lines) + "\n"


def read_state(home: Path) -> dict[str, Any] | None:
    """The stack.json of a folder (None if there is none)."""
    path = home / STATE_FILE
    if not path.exists():
        return None
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def write_state(home: Path, state: dict[str, Any], env: dict[str, str]) -> None:
    """Write stack.json (whole, by rename: a reader never sees half) and env.sh."""
    path = home / STATE_FILE
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps(state, indent=2) + "\n")
    os.replace(partial, path)
    write_private(home / ENV_FILE, env_script(env))
