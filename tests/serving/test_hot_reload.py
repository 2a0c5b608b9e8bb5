"""Moving `champion` and stopping the server, both under load: no failed request, no lost row.

These tests own their registry (the alias moves) and their servers (one is stopped mid-load).
"""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from lifecycle.dataset import DatasetSpec
from lifecycle.prediction_log import read_predictions
from lifecycle.registry import CHAMPION, register
from lifecycle.settings import Settings
from lifecycle.stages.split import Splits
from lifecycle.tracking import configure
from tests.helpers.bad_inputs import GOOD, bad_inputs
from tests.helpers.params import make_params
from tests.helpers.registry import log_fitted, state_env, train_and_register
from tests.helpers.serving import Answer, BackgroundClients, start_server

pytestmark = pytest.mark.slow
CLIENTS = 8


@dataclass(frozen=True)
class Moving:
    """A registry of our own: `champion` on v1 (HGB), and v2 (ridge) registered but not served."""

    settings: Settings
    model_name: str
    v1: str
    v2: str


@pytest.fixture(scope="module")
def moving(
    tmp_path_factory: pytest.TempPathFactory, spec: DatasetSpec, splits: Splits
) -> Iterator[Moving]:
    params = make_params(train={"candidates": ["hgb"]})
    tmp = tmp_path_factory.mktemp("moving")
    with state_env(tmp / "state") as settings:  # the servers started below inherit this
        v1 = train_and_register(settings, spec, params, splits, tmp)
        ridge = make_params(train={"candidates": ["ridge"]})
        [logged] = log_fitted(settings, spec, ridge, splits, tmp)
        name = params.registry.model_name
        v2 = register(configure(settings), name, logged.model_uri, {"candidate": "ridge"})
        yield Moving(settings, name, v1, v2)


def served_rows(answers: list[Answer]) -> set[tuple[str, int]]:
    """(request id, row) of every successful answer."""
    return {row for answer in answers for row in answer.rows}


def logged_rows(path: Path) -> set[tuple[str, int]]:
    log = read_predictions(path)
    return set(log[["request_id", "row"]].itertuples(index=False, name=None))


@pytest.mark.ml_test_score("I7")
def test_moving_the_alias_under_load_switches_versions_and_fails_nothing(
    moving: Moving, tmp_path: Path
) -> None:
    client = configure(moving.settings)
    client.set_registered_model_alias(moving.model_name, CHAMPION, moving.v1)
    server = start_server(tmp_path, LIFECYCLE_RELOAD_SECONDS="1")
    load = BackgroundClients(server.url, GOOD, CLIENTS).start()
    time.sleep(2)
    client.set_registered_model_alias(moving.model_name, CHAMPION, moving.v2)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and moving.v2 not in {a.version for a in load.answers[-50:]}:
        time.sleep(0.2)
    time.sleep(1)
    answers = load.stop()
    assert server.stop() == 0
    assert [a.status for a in answers if a.status != 200] == []
    versions = [a.version for a in answers]
    assert set(versions) == {moving.v1, moving.v2} and versions[-1] == moving.v2
    assert "model reloaded" in server.text() and "Traceback" not in server.text()
    assert logged_rows(server.log_path) == served_rows(answers)


def test_admin_reload_switches_every_worker_before_it_answers(
    moving: Moving, tmp_path: Path
) -> None:
    client = configure(moving.settings)
    client.set_registered_model_alias(moving.model_name, CHAMPION, moving.v1)
    server = start_server(tmp_path, LIFECYCLE_RELOAD_SECONDS="0", LIFECYCLE_SERVE_WORKERS="2")
    load = BackgroundClients(server.url, GOOD, CLIENTS).start()
    time.sleep(2)
    client.set_registered_model_alias(moving.model_name, CHAMPION, moving.v2)
    headers = {"Authorization": f"Bearer {server.token}"}
    reload = httpx.post(f"{server.url}/admin/reload", headers=headers, timeout=90)
    after = len(load.answers) + CLIENTS  # skip the requests that were in flight meanwhile
    time.sleep(3)
    answers = load.stop()
    assert server.stop() == 0
    assert reload.status_code == 200, reload.text
    assert reload.json()["workers"] == {"1": moving.v2, "2": moving.v2}
    later = [a.version for a in answers[after:]]
    assert len(later) > 20 and set(later) == {moving.v2}  # whichever worker answered
    assert [a.status for a in answers if a.status != 200] == []
    assert logged_rows(server.log_path) == served_rows(answers)  # two processes, one log


def test_sigterm_under_load_logs_every_answer_and_no_rejection(
    moving: Moving, tmp_path: Path
) -> None:
    server = start_server(tmp_path, LIFECYCLE_RELOAD_SECONDS="0")
    load = BackgroundClients(server.url, GOOD, CLIENTS).start()
    limits = Settings()
    for bad in bad_inputs(limits.max_records, limits.max_body_bytes):  # amid the load
        answer = httpx.post(
            f"{server.url}/predict",
            content=bad.body,
            timeout=30,
            headers={"content-type": bad.content_type},
        )
        assert answer.status_code == bad.status
    time.sleep(2)
    assert server.stop(signal.SIGTERM) == 0  # graceful: in-flight requests finish, log drains
    answers = load.stop()
    served = served_rows(answers)
    assert len(served) > 50, "the load never got going"
    assert logged_rows(server.log_path) == served  # nothing lost, nothing from the rejected
