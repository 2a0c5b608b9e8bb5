"""What `make stack` prints: every URL and how long it took, then how to point the project at it."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from lifecycle.stack.daemon import ComponentStatus, Daemon
from lifecycle.stack.objectstore import BUCKET, DVC_REMOTE, IN_MEMORY, MLFLOW_ARTIFACTS
from lifecycle.stack.prometheus_server import RULES_GLOB
from lifecycle.stack.stack_state import ENV_FILE, SECRETS_FILE
from lifecycle.stack.team import Stack


def shown(path: Path) -> str:
    """A path relative to the working directory when it is under it (shorter to copy)."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def notes(stack: Stack) -> dict[str, str]:
    """What each component holds, one line each."""
    home = shown(stack.home)
    return {
        "postgres": f"databases mlflow and lifecycle, user lifecycle (password: {home}/"
        f"{SECRETS_FILE})",
        "s3": f"bucket {BUCKET} ({IN_MEMORY})",
        "mlflow": f"runs and registry in PostgreSQL, artifacts in {MLFLOW_ARTIFACTS}",
        "pushgateway": "the monitor pushes its decision here",
        "prometheus": f"scrapes every {stack.scrape_seconds:g} s; rules {RULES_GLOB}",
        "evidently": f"workspace {home}/evidently",
    }


def component_line(daemon: Daemon, note: str = "") -> str:
    """`name  url  pid  seconds  note`."""
    took = f"{daemon.seconds:5.1f} s" if daemon.seconds is not None else "      "
    return f"  {daemon.name:<11} {daemon.url:<28} pid {daemon.pid!s:<7} {took}  {note}".rstrip()


def started_text(stack: Stack) -> str:
    """The components, their URLs and start times."""
    about = notes(stack)
    lines = [f"stack running from {shown(stack.home)} (logs in {shown(stack.home / 'logs')}):"]
    lines += [component_line(d, about.get(name, "")) for name, d in stack.components.items()]
    return "\n".join(lines)


def replicas_text(stack: Stack) -> str:
    """The replicas, their URLs and start times."""
    lines = [f"{len(stack.replicas)} replicas (Prometheus scrapes each one's /metrics):"]
    lines += [component_line(r, "POST /predict, GET /model") for r in stack.replicas]
    return "\n".join(lines)


def make_suffix(stack: Stack) -> str:
    """` STACK_DIR=…` for make commands when the stack is not in the default folder."""
    default = stack.project_root / "state" / "stack"
    return "" if stack.home == default else f" STACK_DIR={shown(stack.home)}"


def next_steps(stack: Stack) -> str:
    """How to point the project, and DVC, at the stack."""
    env_file, make = f"{shown(stack.home)}/{ENV_FILE}", make_suffix(stack)
    serve = f"make stack-serve REPLICAS=2{make}"
    lines = [
        "Point the project at the stack (in every shell that should use it):",
        f"  source {env_file}",
        "  make repro     # trains, and registers the champion in the stack's MLflow server",
        f"  {serve}   # service replicas, one prediction log in PostgreSQL",
    ]
    if (s3 := stack.components.get("s3")) is not None:
        lines += [
            "A DVC remote in the stack's object store (credentials: the AWS_* of env.sh, or",
            "`dvc remote modify --local team access_key_id …` and `secret_access_key …`):",
            f"  dvc remote add -d team {DVC_REMOTE}",
            f"  dvc remote modify --local team endpointurl {s3.url}",
        ]
    lines.append(f"Status: make stack-status{make}")
    lines.append(f"Stop (replicas first, PostgreSQL last; deletes its data): make stack-stop{make}")
    return "\n".join(lines)


def status_text(statuses: Sequence[ComponentStatus]) -> str:
    """`make stack-status`: one line per process."""
    lines = []
    for status in statuses:
        state = (
            "healthy" if status.healthy else ("running, not answering" if status.alive else "DOWN")
        )
        lines.append(f"  {status.name:<11} {status.url:<28} pid {status.pid!s:<7} {state}")
    return "\n".join(lines)
