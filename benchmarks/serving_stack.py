"""`make bench`, team part: two replicas on the shared PostgreSQL log vs two workers on SQLite.

Same champion, same machine, in the same run: first one `bentoml serve` with two worker
processes writing the embedded SQLite log (the laptop default), then two `bentoml serve`
replicas of one worker each writing one PostgreSQL log (the team stack's, started here from
pgserver's binaries). 32 clients send one-record requests (`hey`; for the replicas, two `hey`
of 16 clients, one per replica, as a balancer would spread them). Writes
reports/bench/serving_stack.json; the target is the issue's: replicas >= 0.8x the workers.

    python -m benchmarks.serving_stack --seconds 5   # needs hey and a champion
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from benchmarks.hey import HEY_MISSING, HeySummary, hey_installed, run_hey
from lifecycle.entry import StageFailed, run
from lifecycle.serving import process
from lifecycle.serving.client import records_from_frame
from lifecycle.serving.runtime import service_config
from lifecycle.settings import Settings, get_settings, quiet_telemetry
from lifecycle.source import read_source
from lifecycle.stack.team import Stack

TARGET = 0.8  # replicas on PostgreSQL / workers on SQLite, single-record throughput


def stack_arguments(argv: list[str] | None) -> argparse.Namespace:
    """The benchmark's options: load duration, clients, output file."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--json", type=Path, default=Path("reports/bench/serving_stack.json"))
    return parser.parse_args(argv)


def _server_cmd(port: int) -> list[str]:
    cmd = [sys.executable, "-m", "bentoml", "serve", process.SERVICE]
    return [*cmd, "--host", "127.0.0.1", "--port", str(port)]


def _load(urls: list[str], body: Path, seconds: float, clients: int) -> dict[str, Any]:
    """`clients` spread evenly over the servers, one `hey` per server, at the same time."""
    share = clients // len(urls)
    for url in urls:  # warm-up: the first requests pay for lazy imports and the batcher
        run_hey(f"{url}/predict", body, 2, share, 1)
    with ThreadPoolExecutor(len(urls)) as pool:
        runs = list(pool.map(lambda u: run_hey(f"{u}/predict", body, seconds, share, 1), urls))
    return _summed(runs)


def _summed(runs: list[HeySummary]) -> dict[str, Any]:
    return {
        "ok_per_s": round(sum(r.ok_per_s for r in runs), 1),
        "p50_ms": max(r.p50_ms for r in runs),
        "p99_ms": max(r.p99_ms for r in runs),
        "failed": sum(r.failed for r in runs),
    }


def measure(args: argparse.Namespace, settings: Settings, folder: Path) -> dict[str, Any]:
    """Workers on SQLite, then replicas on PostgreSQL; the report as a JSON-ready dict."""
    from benchmarks.serving_load import server_env  # it imports this module's neighbours

    config = service_config(settings)
    body = folder / "one.json"
    rows = read_source(config.spec).tail(1)
    body.write_text(json.dumps({"records": records_from_frame(rows, config.spec)}))
    base = {**server_env(settings), "LIFECYCLE_RELOAD_SECONDS": "0"}
    print(f"[bench] 2 workers, SQLite log: 1 record x {args.clients} clients, {args.seconds:g} s")
    env = {**base, "LIFECYCLE_SERVE_WORKERS": "2"}
    env["LIFECYCLE_PREDICTION_LOG"] = str(folder / "workers.sqlite")
    port = process.free_port()
    url = f"http://127.0.0.1:{port}"
    with process.running(_server_cmd(port), env, f"{url}/readyz", folder / "workers.log"):
        workers = _load([url], body, args.seconds, args.clients)
    print("[bench] 2 replicas, one PostgreSQL log: the same load, 16 clients per replica")
    stack = Stack.start(folder / "stack", settings.project_root, components=["postgres"],
                        any_free_port=True)  # fmt: skip
    try:
        replicas = _replicas(args, stack, base, body, folder)
    finally:
        stack.stop()
    return report(workers, replicas, args)


def _replicas(
    args: argparse.Namespace, stack: Stack, base: dict[str, str], body: Path, folder: Path
) -> dict[str, Any]:
    env = {**base, "LIFECYCLE_SERVE_WORKERS": "1", **stack.env()}
    env["MLFLOW_TRACKING_URI"] = base["MLFLOW_TRACKING_URI"]  # the project's registry
    ports = [process.free_port() for _ in range(2)]
    urls = [f"http://127.0.0.1:{p}" for p in ports]
    with ExitStack() as running:
        for number, (port, url) in enumerate(zip(ports, urls, strict=True)):
            home = {"BENTOML_HOME": str(folder / f"bentoml-{number}")}
            log = folder / f"replica-{number}.log"
            running.enter_context(
                process.running(_server_cmd(port), {**env, **home}, f"{url}/readyz", log)
            )
        return _load(urls, body, args.seconds, args.clients)


def report(workers: dict[str, Any], replicas: dict[str, Any], args: argparse.Namespace) -> dict:
    """The ratio of the replicas' throughput to the workers', and whether the target is met."""
    ratio = round(replicas["ok_per_s"] / workers["ok_per_s"], 2) if workers["ok_per_s"] else 0.0
    return {
        "seconds": args.seconds,
        "clients": args.clients,
        "servers": {"workers_sqlite": workers, "replicas_postgres": replicas},
        "throughput_ratio": ratio,
        "target": TARGET,
        "met": ratio >= TARGET and workers["failed"] + replicas["failed"] == 0,
    }


def main(argv: list[str] | None = None) -> int:
    """Measure both, write the JSON, print the ratio (a missed target is reported, not fatal)."""
    args = stack_arguments(argv)
    if not hey_installed():
        raise StageFailed(HEY_MISSING)
    quiet_telemetry()
    with tempfile.TemporaryDirectory(prefix="bench-stack-") as tmp:
        result = measure(args, get_settings(), Path(tmp))
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=2) + "\n")
    w, r = result["servers"]["workers_sqlite"], result["servers"]["replicas_postgres"]
    print(
        f"[bench] 2 workers on SQLite {w['ok_per_s']:,.0f} req/s (p99 {w['p99_ms']} ms); "
        f"2 replicas on PostgreSQL {r['ok_per_s']:,.0f} req/s (p99 {r['p99_ms']} ms): "
        f"{result['throughput_ratio']}x (target >= {TARGET}); failed {w['failed'] + r['failed']}"
        f"; wrote {args.json}"
    )
    if not result["met"]:
        print("[bench] team stack target NOT met", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(run("bench-stack", main))
