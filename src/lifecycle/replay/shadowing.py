"""The shadow policy's live stage in the loop: the running service takes the challenger into
shadow, the month's shadow rows are awaited, and after its labels the live gate decides.

The service reads `rollout.shadow` from the working repository's params.yaml at start; a
challenger that passed the offline gate is picked up by `POST /admin/reload` (every worker
follows both aliases) and predicts every request off the answer path, into the prediction
log's shadow table. After the month, the champion's and the challenger's predictions of the
same labelled rows are the live evidence; `lifecycle.rollout.decide_live` promotes or refuses.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import httpx
import pandas as pd
import sqlalchemy as sa

from lifecycle import store
from lifecycle.log_packing import unpack
from lifecycle.params import Params
from lifecycle.replay.timeline import LiveStage
from lifecycle.serving.process import Server
from lifecycle.settings import Settings

if TYPE_CHECKING:
    from lifecycle.monitoring.summary import MonitorSummary

SETTLE_SECONDS = 2.0  # the shadow table stopped growing this long: the rest was dropped
WAIT_SECONDS = 60.0  # at most this long for the shadow thread to log a month's rows


class ShadowNotTaken(RuntimeError):
    """The service did not take the challenger into shadow (rollout.shadow off, or refused)."""


def rollout_state(server: Server) -> dict[str, Any]:
    """What GET /model says about the challenger in the worker that answered."""
    body = httpx.get(f"{server.url}/model", timeout=10).json()
    return dict(body.get("rollout") or {})


def follow_challenger(server: Server, version: str | None, timeout: float = 60) -> None:
    """Reload until the service shadows `version` (None: until it shadows nothing).

    ShadowNotTaken when it does not within `timeout`: a replay whose shadow months held no
    shadow rows would wait for live evidence forever."""
    deadline = time.monotonic() + timeout
    headers = {"Authorization": f"Bearer {server.token}"}
    while True:
        httpx.post(f"{server.url}/admin/reload", headers=headers, timeout=40).raise_for_status()
        state = rollout_state(server)
        held = state.get("challenger")
        if held == version and (version is None or state.get("shadow")):
            return
        if time.monotonic() > deadline:
            raise ShadowNotTaken(
                f"the service shadows {held or 'nothing'} (asked: {version or 'nothing'}): "
                f"{state.get('detail', 'no rollout state at GET /model')}; is rollout.shadow "
                f"true in the working repository's params.yaml? See {server.output}"
            )
        time.sleep(0.5)


def _count(log: store.Location, table: sa.Table, start: pd.Timestamp, end: pd.Timestamp) -> int:
    """Rows of a log table with event time in [start, end) (0 before the table exists)."""
    unpack(log)  # the answers may still be packed
    if table.name not in store.tables(log):
        return 0
    inside = (table.c.event_time >= start.isoformat()) & (table.c.event_time < end.isoformat())
    query = sa.select(sa.func.count()).select_from(table).where(inside)
    with store.engine(log).connect() as conn:
        return int(conn.execute(query).scalar_one())


def wait_for_shadow_rows(
    log: store.Location,
    start: pd.Timestamp,
    end: pd.Timestamp,
    answered: int,
    seconds: float = WAIT_SECONDS,
) -> int:
    """Wait until the month's answers and shadow rows are logged (the shadow thread runs behind
    the answers; a batch it dropped never comes: stop once the count settles). Returns the
    month's shadow rows."""
    deadline, last, since = time.monotonic() + seconds, -1, time.monotonic()
    while True:
        rows = _count(log, store.SHADOW, start, end)
        done = _count(log, store.PREDICTIONS, start, end) >= answered and rows >= answered
        if rows != last:
            last, since = rows, time.monotonic()
        settled = time.monotonic() - since > SETTLE_SECONDS
        if done or settled or time.monotonic() > deadline:
            return rows
        time.sleep(0.2)


def apply_live_gate(
    summary: MonitorSummary,
    params: Params,
    settings: Settings,
    version: str,
    champion: str,
    shadow_rows: int,
) -> LiveStage:
    """After a shadow month's labels and monitoring: the live gate on `version`, exactly as
    `make monitor` applies it (lifecycle.monitoring.live_gates), and what it decided."""
    from lifecycle.monitoring.live_gates import apply_live_gates
    from lifecycle.registry import current
    from lifecycle.rollout import waiting_challenger
    from lifecycle.tracking import configure

    lines = apply_live_gates(summary, params, settings)
    client, name = configure(settings), params.registry.model_name
    now = current(client, name)
    if now is not None and str(now.version) == version:
        action = "promote"
    elif waiting_challenger(client, name) != version:
        action = "refuse"
    else:
        action = "wait"  # too few labelled shadow rows yet: it stays in shadow
    reason = " | ".join(line for line in lines if line.startswith("live gate")) or "; ".join(lines)
    live = summary.live
    evidence = None
    if live is not None and live.challenger_version == version:
        evidence = live.comparison().as_dict() | {"champion_version": live.champion_version}
    return LiveStage(version, champion, action, reason, evidence, shadow_rows)
