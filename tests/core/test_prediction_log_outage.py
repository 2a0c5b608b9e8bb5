"""The prediction log on a real PostgreSQL that goes down: the service keeps appending, the rows
are held and written once it is back, each exactly once; a shutdown during an outage spills
them to a file the next start writes; a database it cannot use fails the start, clearly."""

from __future__ import annotations

import json
import logging
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa

from lifecycle import store
from lifecycle.prediction_log import LoggedPrediction, PredictionLog, ShadowPrediction
from tests.helpers.postgres import PASSWORD, Postgres, free_port

pytestmark = pytest.mark.slow  # real PostgreSQL servers, stopped and started
Key = tuple[str, int]


def answered(request: str, n: int) -> LoggedPrediction:
    return LoggedPrediction(
        request, n, "2026-01-01T00:00:00+00:00", "2011-01-01T00:00:00",
        json.dumps({"temp": 0.5}), 1.0 + n, "m", "1", 1.0,
    )  # fmt: skip


def shadowed(request: str, n: int) -> ShadowPrediction:
    return ShadowPrediction(
        request, n, "2026-01-01T00:00:00+00:00", "2011-01-01T00:00:00", 2.0, "m", "2", 1.0
    )


def stored(url: str, table: str = "predictions") -> list[Key]:
    """Every (request_id, row) in a table, duplicates included (there must be none)."""
    with sa.create_engine(url).connect() as conn:
        rows = conn.execute(sa.text(f'SELECT request_id, "row" FROM {table}')).all()
    return [(r[0], r[1]) for r in rows]


def wait_until(condition: Callable[[], bool], seconds: float = 60) -> None:
    """Poll until `condition()` holds (a generous deadline, not a timing assertion)."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "waited too long"
        time.sleep(0.05)


@contextmanager
def appending(log: PredictionLog, threads: int = 3) -> Iterator[list[list[Key]]]:
    """Threads appending requests of 5 rows (and a shadow row) until the block ends; yields
    what each one appended."""
    done = threading.Event()
    appended: list[list[Key]] = [[] for _ in range(threads)]

    def client(n: int) -> None:
        i = 0
        while not done.is_set():
            request = f"t{n}-{i}"
            log.append([*(answered(request, k) for k in range(5)), shadowed(request, 0)])
            appended[n].extend((request, k) for k in range(5))
            i += 1
            time.sleep(0.01)

    workers = [threading.Thread(target=client, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    try:
        yield appended
    finally:
        done.set()
        for worker in workers:
            worker.join()


def test_rows_appended_through_an_outage_are_all_written_once(
    own_postgres: Postgres, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    url = own_postgres.create_database()
    log = PredictionLog(url, batch_size=200, flush_seconds=0.1, spill_dir=tmp_path / "spill")
    held = 0
    with caplog.at_level(logging.INFO, "lifecycle"):
        with appending(log) as appended:
            wait_until(lambda: log.written_rows() > 0)
            own_postgres.stop()
            stopped = time.monotonic()
            while time.monotonic() - stopped < 10:  # ~10 s down, the clients appending
                held = max(held, log.pending_rows())
                time.sleep(0.1)
            own_postgres.start()
            back = log.written_rows()
            wait_until(lambda: log.written_rows() > back)  # written again, still appending
        log.close(timeout_s=60)
    keys = [key for rows in appended for key in rows]
    assert held > 0 and log.pending_rows() == 0
    assert log.written_rows() == len(keys) + len(keys) // 5  # with a shadow row per request
    rows = stored(url)
    assert len(rows) == len(keys) and set(rows) == set(keys)  # all there, each exactly once
    assert len(stored(url, "shadow_predictions")) == len(keys) // 5
    messages = [(r.levelname, r.getMessage()) for r in caplog.records]
    warned = [m for level, m in messages if level == "WARNING" and "unreachable" in m]
    assert len(warned) == 1 and "***" in warned[0] and PASSWORD + "@" not in warned[0]
    assert any(level == "INFO" and "is back after" in m for level, m in messages)


def test_a_shutdown_during_an_outage_spills_the_rows_for_the_next_start(
    own_postgres: Postgres,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url, spill = own_postgres.create_database(), tmp_path / "spill"
    log = PredictionLog(url, spill_dir=spill)
    log.append([answered("before", k) for k in range(10)])
    wait_until(lambda: log.written_rows() == 10)
    own_postgres.stop()
    log.append([answered("during", k) for k in range(20)] + [shadowed("during", 0)])
    monkeypatch.setenv("LIFECYCLE_LOG_DRAIN_SECONDS", "1")  # close()'s default deadline
    with caplog.at_level(logging.ERROR, "lifecycle"):
        log.close()
    (path,) = spill.glob("*.jsonl")
    assert log.pending_rows() == 0 and any(str(path) in r.getMessage() for r in caplog.records)
    kept = shutil.copy(path, tmp_path / "kept.jsonl")
    own_postgres.start()
    replayed = PredictionLog(url, spill_dir=spill)  # writes the spilled rows, then the file goes
    replayed.close()
    assert replayed.written_rows() == 21 and not path.exists()
    shutil.copy(kept, spill / "again.jsonl")  # replayed twice: harmless
    PredictionLog(url, spill_dir=spill).close()
    want = {("before", k) for k in range(10)} | {("during", k) for k in range(20)}
    rows = stored(url)
    assert len(rows) == 30 and set(rows) == want
    assert stored(url, "shadow_predictions") == [("during", 0)]


@pytest.mark.parametrize("broken", ["password", "port"])
def test_a_database_it_cannot_use_fails_the_start_clearly(
    postgres_server: Postgres, broken: str
) -> None:
    database = postgres_server.create_database()
    if broken == "password":
        url, reason = postgres_server.url(database.rsplit("/", 1)[1], "wrong"), "password"
    else:
        url, reason = f"postgresql+psycopg://u:secret@127.0.0.1:{free_port()}/db", "refused"
    with pytest.raises(store.StoreUnavailable) as refused:
        PredictionLog(url)
    message = str(refused.value)
    assert message.startswith(f"{store.SETTING}=postgresql+psycopg://")
    assert reason in message and "***" in message and "\n" not in message
    assert "wrong" not in message and "secret" not in message
