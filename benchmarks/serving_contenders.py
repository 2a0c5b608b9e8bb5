"""The servers of the serving benchmark, and how each one is measured.

All three serve the same model version on 127.0.0.1, one at a time (so they never share the
CPU), under the same `hey` load. Results are ratios measured in the same run; nothing is assumed.
"""

from __future__ import annotations

import json
import os
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from benchmarks.hey import run_hey
from lifecycle.serving import process

# The floor's uvicorn imports its app from this repository, not from the installed library.
REPO_ROOT = Path(__file__).resolve().parents[1]
FLOOR_APP = "benchmarks.starlette_floor:create_app"

# Clients sending 1,000-record requests. Each keeps its connection, and a connection stays with
# the worker process that accepted it: with 4 clients and 2 workers, all 4 sometimes landed on one
# worker (rows/s then halved, for every server). 8 make a lopsided split unlikely.
BATCH_CLIENTS = 8


def in_process(model: Any, frame: pd.DataFrame, repeat: int = 200) -> dict[str, float]:
    """The model alone, no HTTP: median time of a one-row call, rows/s on 1,000-row calls."""

    def median_seconds(rows: pd.DataFrame, times: int) -> float:
        """Median seconds of `times` predict calls on `rows`."""
        spent = []
        for _ in range(times):
            start = time.perf_counter()
            model.predict(rows)
            spent.append(time.perf_counter() - start)
        return sorted(spent)[len(spent) // 2]

    one, thousand = frame.head(1), frame.head(1000)
    model.predict(thousand)  # warm-up
    return {
        "single_row_ms": round(median_seconds(one, repeat) * 1000, 3),
        "rows_per_s": round(len(thousand) / median_seconds(thousand, repeat // 10), 1),
    }


@dataclass(frozen=True)
class Contender:
    """A server under test: how to start it, where it is ready, what it answers on."""

    name: str
    cmd: list[str]
    env: dict[str, str]
    ready: str
    predict: str
    wrap: str  # the JSON key the records go under
    columns: str | None = None  # the route taking the records column by column, if it has one


def bodies(records: list[dict[str, Any]], key: str, folder: Path) -> tuple[Path, Path]:
    """Request bodies on disk for hey: one record, and 1,000 records."""
    one, many = folder / f"{key}-1.json", folder / f"{key}-1000.json"
    one.write_text(json.dumps({key: records[:1]}))
    many.write_text(json.dumps({key: records[:1000]}))
    return one, many


def columns_body(records: list[dict[str, Any]], folder: Path) -> Path:
    """The 1,000 records as POST /predict_columns takes them: one list per field."""
    rows = records[:1000]
    path = folder / "columns-1000.json"
    path.write_text(json.dumps({"columns": {name: [r[name] for r in rows] for name in rows[0]}}))
    return path


def measure(
    c: Contender, records: list[dict[str, Any]], folder: Path, seconds: float, clients: int
) -> dict[str, Any]:
    """Start one contender, warm it up, then load it with 1-record and 1,000-record requests."""
    one, many = bodies(records, c.wrap, folder)
    print(f"  {c.name}: starting", flush=True)
    load_before = os.getloadavg()[0]
    with process.running(c.cmd, c.env, c.ready, folder / f"{c.name}.log"):
        warm = run_hey(c.predict, one, 3, clients, 1)  # first calls, batching optimiser's warm-up
        print(f"  {c.name}: 1 record x {clients} clients for {seconds:g} s", flush=True)
        single = run_hey(c.predict, one, seconds, clients, 1)
        print(f"  {c.name}: 1,000 records x {BATCH_CLIENTS} clients for {seconds:g} s", flush=True)
        batch = run_hey(c.predict, many, seconds, BATCH_CLIENTS, 1000)
        columns = None
        if c.columns is not None:
            print(f"  {c.name}: 1,000 records as columns x {BATCH_CLIENTS} clients", flush=True)
            body = columns_body(records, folder)
            columns = run_hey(c.columns, body, seconds, BATCH_CLIENTS, 1000)
    return {
        "load_1min_before": round(load_before, 2),  # other work on the machine skews numbers
        "warm_up_failed": warm.failed,
        "single": asdict(single),
        "single_rows_per_s": single.rows_per_s,
        "batch": asdict(batch),
        "batch_rows_per_s": batch.rows_per_s,
        **(
            {"columns": asdict(columns), "columns_rows_per_s": columns.rows_per_s}
            if columns
            else {}
        ),
    }


def _listen(port: int) -> list[str]:
    return ["--host", "127.0.0.1", "--port", str(port)]


def contenders(
    uri: str, port: int, tmp: Path, env: dict[str, str], workers: int
) -> list[Contender]:
    """mlflow models serve, the Starlette floor, and this service, each on `port` with the
    same number of worker processes."""
    url = f"http://127.0.0.1:{port}"
    py = [sys.executable, "-m"]
    mlflow = [*py, "mlflow", "models", "serve", "-m", uri, "--env-manager", "local"]
    mlflow += ["-h", "127.0.0.1", "-p", str(port), "--workers", str(workers)]
    floor = [*py, "uvicorn", "--factory", FLOOR_APP, *_listen(port)]
    floor += ["--log-level", "warning", "--workers", str(workers)]
    service = [*py, "bentoml", "serve", process.SERVICE, *_listen(port)]
    ours = {
        **env,
        "LIFECYCLE_PREDICTION_LOG": str(tmp / "bench-predictions.sqlite"),
        "LIFECYCLE_SERVE_WORKERS": str(workers),
    }
    # mlflow starts `uvicorn` by name: find this environment's, even outside `make`.
    on_path = {
        **env,
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]]),
    }
    # uvicorn's worker processes must find `benchmarks`, whatever the current directory.
    search = os.pathsep.join(p for p in [str(REPO_ROOT), os.environ.get("PYTHONPATH")] if p)
    floor_env = {**env, "BASELINE_MODEL_URI": uri, "PYTHONPATH": search}
    return [
        Contender(
            "mlflow", mlflow, on_path, f"{url}/ping", f"{url}/invocations", "dataframe_records"
        ),
        Contender("starlette", floor, floor_env, f"{url}/ping", f"{url}/predict", "records"),
        Contender(
            "service",
            service,
            ours,
            f"{url}/readyz",
            f"{url}/predict",
            "records",
            f"{url}/predict_columns",
        ),
    ]
