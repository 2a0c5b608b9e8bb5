"""Reloading every worker process: the reload folder's protocol, without a server."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from lifecycle.serving.champion import Champion, ServedModel
from lifecycle.serving.fleet import Fleet, FleetTimeout, Follower
from tests.helpers.serving import Versions

SERVER = 4242  # the pid of the `bentoml serve` process the workers would share


def worker(state: Path, me: int, source: Versions) -> Follower:
    """Worker `me` of a 2-worker server, following `source` (no registry polling)."""
    fleet = Fleet.open(state, SERVER, workers=2, me=me)
    seen = fleet.requested()  # read before the model loads, as Runtime.start does
    return Follower(ServedModel(source, lambda outcome: None), fleet, 0, seen).start()


def test_a_reload_request_reaches_every_worker_and_waits_for_each(tmp_path: Path) -> None:
    source = Versions()
    one, two = worker(tmp_path, 1, source), worker(tmp_path, 2, source)
    try:
        source.version = "2"  # the registry moves; neither worker polls it
        assert two.served.current.info.version == "1"
        fleet = one.fleet
        assert fleet is not None
        generation = fleet.request()
        assert fleet.wait(generation, timeout=10) == {"1": "2", "2": "2"}
        assert two.served.current.info.version == "2" and one.served.current.info.version == "2"
    finally:
        one.stop()
        two.stop()
    assert not (tmp_path / "serving" / f"server-{SERVER}").exists()  # the last one out tidies


class SlowVersions(Versions):
    """A source whose first load takes a while: a worker still starting up."""

    def __init__(self) -> None:
        super().__init__()
        self.loading = threading.Event()

    def load(self, version: str) -> Champion:
        if self.loads == 0:
            self.loading.set()
            time.sleep(0.5)
        return super().load(version)


def test_a_request_made_while_a_worker_loads_is_still_handled_by_it(tmp_path: Path) -> None:
    source = SlowVersions()
    starting: list[Follower] = []
    thread = threading.Thread(target=lambda: starting.append(worker(tmp_path, 2, source)))
    thread.start()
    source.loading.wait(5)  # worker 2 has read the request file and is loading version 1
    source.version = "2"
    fleet = Fleet.open(tmp_path, SERVER, workers=2, me=1)
    generation = fleet.request()
    fleet.confirm(generation, "2")  # worker 1, which got POST /admin/reload
    thread.join()
    try:
        assert fleet.wait(generation, timeout=10) == {"1": "2", "2": "2"}
    finally:
        starting[0].stop()


def test_waiting_names_the_workers_that_never_confirm(tmp_path: Path) -> None:
    source = Versions()
    one = worker(tmp_path, 1, source)  # worker 2 is down
    try:
        fleet = one.fleet
        assert fleet is not None
        started, generation = time.monotonic(), fleet.request()
        fleet.confirm(generation, "1")  # as the worker that got POST /admin/reload does
        with pytest.raises(FleetTimeout, match=r"workers \[2\] did not confirm"):
            fleet.wait(generation, timeout=0.5)
        assert time.monotonic() - started < 5
    finally:
        one.stop()


def test_answers_from_an_earlier_request_or_server_do_not_count(tmp_path: Path) -> None:
    old = Fleet.open(tmp_path, SERVER, workers=2, me=2)
    old.confirm(old.request(), "7")  # an earlier request, answered
    fleet = Fleet.open(tmp_path, SERVER, workers=2, me=1)
    generation = fleet.request()
    fleet.confirm(generation, "8")
    with pytest.raises(FleetTimeout, match=r"\[2\]"):
        fleet.wait(generation, timeout=0.3)
    assert Fleet.open(tmp_path, SERVER + 1, workers=2, me=1).requested() == 0  # its own folder


def test_a_worker_that_cannot_read_the_registry_keeps_serving_and_does_not_confirm(
    tmp_path: Path,
) -> None:
    source = Versions()
    one = worker(tmp_path, 1, source)
    try:
        fleet = one.fleet
        assert fleet is not None

        def broken() -> str:
            raise ConnectionError("registry down")

        source.latest = broken  # type: ignore[method-assign]
        with pytest.raises(FleetTimeout, match=r"\[1, 2\]"):
            fleet.wait(fleet.request(), timeout=0.6)
        assert one.served.current.info.version == "1"
    finally:
        one.stop()
