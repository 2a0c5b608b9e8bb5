"""Traffic over several replicas, as a load balancer spreads it: every answer kept.

Each client thread is bound to one replica and sends one request at a time, so a replica has
at most `per_replica` requests in flight. A thread whose replica stops answering records the
failure and stops, as a balancer's health check takes a dead backend out of rotation.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

from lifecycle import store
from lifecycle.log_packing import unpack


@dataclass(frozen=True)
class Sent:
    """One request: which replica, when it was answered, the HTTP status (0: no answer)."""

    replica: int
    at: float  # time.monotonic() of the answer
    status: int
    version: str = ""
    rows: int = 0
    request_id: str = ""  # the service's id of the request (every row of it carries it)


@dataclass
class FleetTraffic:
    """Clients sending `batch` records per request to every replica until stopped."""

    urls: Sequence[str]
    records: Sequence[dict[str, Any]]
    per_replica: int = 3
    batch: int = 1
    sent: list[Sent] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> FleetTraffic:
        """Start `per_replica` clients per replica."""
        for replica, url in enumerate(self.urls):
            for client in range(self.per_replica):
                offset = (replica * self.per_replica + client) * 97  # different records each
                args = (replica, url, offset)
                thread = threading.Thread(target=self._client, args=args, daemon=True)
                thread.start()
                self._threads.append(thread)
        return self

    def _client(self, replica: int, url: str, offset: int) -> None:
        starts = itertools.count(offset, self.batch)
        with httpx.Client(base_url=url, timeout=60) as http:
            while not self._stop.is_set():
                first = next(starts) % max(1, len(self.records) - self.batch)
                body = {"records": list(self.records[first : first + self.batch])}
                try:
                    response = http.post("/predict", json=body)
                except httpx.TransportError:
                    self._keep(Sent(replica, time.monotonic(), 0))
                    return  # out of rotation
                self._keep(_sent(replica, response))

    def _keep(self, sent: Sent) -> None:
        with self._lock:
            self.sent.append(sent)

    def stop(self) -> list[Sent]:
        """Stop every client; every request sent."""
        self._stop.set()
        for thread in self._threads:
            thread.join(90)
        return self.snapshot()

    def snapshot(self) -> list[Sent]:
        """The requests answered (or failed) so far."""
        with self._lock:
            return list(self.sent)


def _sent(replica: int, response: httpx.Response) -> Sent:
    at = time.monotonic()
    if response.status_code != 200:
        return Sent(replica, at, response.status_code)
    body = response.json()
    return Sent(replica, at, 200, str(body[0]["model_version"]), len(body), body[0]["request_id"])


def answered_rows(sent: Sequence[Sent]) -> int:
    """Records answered with a prediction (each is one row of the prediction log)."""
    return sum(s.rows for s in sent if s.status == 200)


def failed(sent: Sequence[Sent]) -> list[Sent]:
    """Requests that got no prediction."""
    return [s for s in sent if s.status != 200]


def logged_rows(location: store.Location) -> tuple[int, int]:
    """Rows in a prediction log, and distinct (request_id, row) pairs among them."""
    unpack(location)  # as every reader: the rows the replicas still hold packed
    pairs = sa.select(store.PREDICTIONS.c.request_id, store.PREDICTIONS.c.row).distinct()
    with store.engine(location).connect() as conn:
        rows = conn.execute(sa.select(sa.func.count()).select_from(store.PREDICTIONS)).scalar()
        distinct = conn.execute(sa.select(sa.func.count()).select_from(pairs.subquery())).scalar()
    return int(rows or 0), int(distinct or 0)


def logged_requests(location: store.Location) -> dict[str, int]:
    """Rows in a prediction log per request id."""
    unpack(location)
    query = sa.select(store.PREDICTIONS.c.request_id, sa.func.count()).group_by(
        store.PREDICTIONS.c.request_id
    )
    with store.engine(location).connect() as conn:
        return {str(rid): int(n) for rid, n in conn.execute(query)}


def copy_tables(source: store.Location, target: Path, *tables: sa.Table) -> None:
    """Copy tables row for row from one store into a new SQLite file (same schema)."""
    unpack(source)  # a packed row becomes the per-record rows it holds
    made = store.ensure(target, *tables)
    with store.engine(source).connect() as src, made.begin() as dst:
        for table in tables:
            rows = [dict(r._mapping) for r in src.execute(sa.select(table))]
            if rows:
                dst.execute(table.insert(), rows)
