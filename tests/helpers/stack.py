"""The team stack for tests: real processes on free ports in a temporary folder.

    with running_stack() as stack:             # PostgreSQL, S3, MLflow, Prometheus, ...
        subprocess.run([...], env=stack_environ(stack))
        stack.stop_component("postgres")       # a fault: same port and data when started again
        stack.start_component("postgres")

`running_stack` stops everything at the end and fails if any process of the stack is left.
tests/stack/conftest.py shares one stack per session (`team_stack`).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import httpx

from lifecycle.stack.components import COMPONENTS
from lifecycle.stack.team import Stack
from tests.helpers.params import ROOT

SCRAPE_SECONDS = 1.0  # Prometheus scrapes and evaluates rules every second in tests
T = TypeVar("T")


def start_stack(
    tmp: Path, components: Iterable[str] = COMPONENTS, scrape_seconds: float = SCRAPE_SECONDS
) -> Stack:
    """Start a stack from the repository root in `tmp/stack`, every component on a free port.
    Prefer a `tmp` from `stack_home()` to pytest's tmp_path (see there)."""
    return Stack.start(
        tmp / "stack",
        ROOT,
        scrape_seconds=scrape_seconds,
        components=components,
        any_free_port=True,
    )


def stack_home() -> Path:
    """A new folder for stacks, outside pytest's temporary folders: as root, PostgreSQL runs
    as another user who must pass through every parent, and every pytest session that starts
    (another one, in parallel) closes /tmp/pytest-of-<user> to its owner again (mode 700)."""
    return Path(tempfile.mkdtemp(prefix="lifecycle-stack-"))


def stack_pids(stack: Stack) -> list[int]:
    """Every live process of the stack: components, replicas, and their workers."""
    daemons = [*stack.components.values(), *stack.replicas]
    return [pid for daemon in daemons for pid in daemon.pids()]


def live(pids: Iterable[int]) -> list[int]:
    """The pids that still belong to a running process (a zombie has exited)."""
    import psutil

    found = []
    for pid in pids:
        try:
            if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                found.append(pid)
        except psutil.NoSuchProcess:
            pass
    return found


@contextmanager
def running_stack(
    components: Iterable[str] = COMPONENTS, scrape_seconds: float = SCRAPE_SECONDS
) -> Iterator[Stack]:
    """A started stack for the block; stopped after it, and no process of it may be left. Its
    folder is deleted when the block ends well, kept (with the logs) when it fails."""
    home = stack_home()
    stack = start_stack(home, components, scrape_seconds)  # in home/stack
    failed = True
    try:
        yield stack
        failed = False
    finally:
        pids = stack_pids(stack)
        stack.stop()
        left = live(pids)
        assert not left, f"processes of the stack still run after stop(): {left}"
        if not failed:
            shutil.rmtree(home)


def stack_environ(stack: Stack, **extra: str) -> dict[str, str]:
    """This process's environment pointed at the stack, for a subprocess (`extra` on top)."""
    return {**os.environ, **stack.env(), **extra}


@contextmanager
def stack_env(stack: Stack) -> Iterator[dict[str, str]]:
    """Point this process's environment at the stack for the block (restored after it)."""
    env = stack.env()
    saved = {key: os.environ.get(key) for key in env}
    os.environ.update(env)
    try:
        yield env
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def prometheus_api(stack: Stack, path: str, **params: str) -> Any:
    """The `data` of a Prometheus HTTP API answer (`/api/v1/targets`, `/api/v1/alerts`, ...)."""
    url = stack.components["prometheus"].url + path
    return httpx.get(url, params=params, timeout=10).raise_for_status().json()["data"]


def scraped(stack: Stack, job: str) -> list[dict[str, Any]]:
    """Prometheus' active targets of a job, each with `labels` and `health` ("up", "down")."""
    targets = prometheus_api(stack, "/api/v1/targets")["activeTargets"]
    return [t for t in targets if t["labels"]["job"] == job]


def wait_for(check: Callable[[], T], seconds: float = 60, every: float = 0.5) -> T:
    """Call `check()` until it returns something truthy, and return that (AssertionError after
    `seconds`: a generous deadline, not a timing assertion)."""
    deadline = time.monotonic() + seconds
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"{check} still false after {seconds} s (last: {found!r})")
        time.sleep(every)
