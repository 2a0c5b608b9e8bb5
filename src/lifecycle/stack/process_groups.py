"""A stack process and its family: is a recorded pid still ours, who belongs to it, stop them all.

Each stack process is started in its own session, so its pid is also its process group's id,
and signalling the group reaches what it forked (uvicorn workers, PostgreSQL backends). Not
everything stays in the group: `bentoml serve` starts each worker in a session of its own. So
a process's family is its group plus all its descendants, looked up before it is signalled.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import psutil


def same_process(pid: int | None, started: float | None) -> bool:
    """True if `pid` runs and is the process that started at `started` (not a zombie)."""
    import psutil

    if pid is None or started is None:
        return False
    try:
        proc = psutil.Process(pid)
        return proc.status() != psutil.STATUS_ZOMBIE and abs(proc.create_time() - started) < 0.5
    except psutil.Error:
        return False


def group_members(pgid: int) -> list[int]:
    """The live (non-zombie) processes of a process group."""
    import psutil

    found = []
    for proc in psutil.process_iter(["status"]):
        with contextlib.suppress(OSError, psutil.Error):
            if proc.info["status"] != psutil.STATUS_ZOMBIE and os.getpgid(proc.pid) == pgid:
                found.append(proc.pid)
    return found


def family(pid: int) -> list[psutil.Process]:
    """The live processes of a leader: itself, its process group, and all its descendants."""
    import psutil

    found: dict[int, psutil.Process] = {}
    with contextlib.suppress(psutil.Error):
        leader = psutil.Process(pid)
        found[pid] = leader
        found |= {child.pid: child for child in leader.children(recursive=True)}
    for member in group_members(pid):
        with contextlib.suppress(psutil.Error):
            found.setdefault(member, psutil.Process(member))
    return [proc for proc in found.values() if _running(proc)]


def _running(proc: psutil.Process) -> bool:
    """True while it runs: not exited (a zombie has, its parent just has not reaped it yet),
    and not a later process that reused the pid (psutil compares start times)."""
    import psutil

    try:
        return proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def signal_family(procs: list[psutil.Process], sig: int) -> None:
    """Send a signal to each process (those gone already are skipped)."""
    import psutil

    for proc in procs:
        with contextlib.suppress(psutil.Error):
            proc.send_signal(sig)


def wait_gone(
    procs: list[psutil.Process], popen: subprocess.Popen[bytes] | None, seconds: float
) -> None:
    """Wait until every process has exited; SIGKILL those left after `seconds`, and wait again.
    Our own child (`popen`) is reaped, so it does not linger as a zombie."""
    if left := _wait(procs, popen, seconds):
        signal_family(left, signal.SIGKILL)
        _wait(left, popen, seconds)
    if popen is not None:
        with contextlib.suppress(subprocess.TimeoutExpired):
            popen.wait(seconds)


def _wait(
    procs: list[psutil.Process], popen: subprocess.Popen[bytes] | None, seconds: float
) -> list[psutil.Process]:
    """Poll until none of `procs` runs or `seconds` pass; return those still running. (Not
    psutil.wait_procs: it counts another parent's unreaped zombie as running.)"""
    deadline = time.monotonic() + seconds
    while (left := [proc for proc in procs if _running(proc)]) and time.monotonic() < deadline:
        if popen is not None:
            popen.poll()
        time.sleep(0.1)
    return left


def signal_group(pgid: int, sig: int) -> None:
    """Signal a process group, as a terminal does on Ctrl-C (no error if it is gone)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)
