"""`make bench`, serving part: this service vs `mlflow models serve` vs a bare Starlette endpoint.

Same model version, same machine, one server at a time, `hey` as the load. Writes
reports/bench/serving.json and docs/serving-benchmark.md, and prints the table; then this
service with shadow on vs off (benchmarks.serving_shadow -> reports/bench/serving_shadow.json),
then two replicas on one PostgreSQL log vs two workers on SQLite (benchmarks.serving_stack).

    python -m benchmarks.serving_load --seconds 5   # needs hey (make bench-deps) and a champion
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import sys
import tempfile
from pathlib import Path
from typing import Any

from threadpoolctl import threadpool_limits

from benchmarks.hey import HEY_MISSING, hey_installed
from benchmarks.serving_contenders import BATCH_CLIENTS, contenders, in_process, measure
from benchmarks.serving_report import TARGETS, doc_head, markdown, ratios, verdicts
from benchmarks.serving_shadow import main as shadow_main
from benchmarks.serving_stack import main as stack_main
from lifecycle.dataset import model_frame
from lifecycle.entry import StageFailed, run
from lifecycle.registry import current
from lifecycle.serving.client import records_from_frame
from lifecycle.serving.runtime import ServiceConfig, service_config
from lifecycle.settings import TEAM_SETTINGS, TELEMETRY_OFF, Settings, get_settings, quiet_telemetry
from lifecycle.source import read_source
from lifecycle.tracking import configure, load_model


def serving_arguments(argv: list[str] | None) -> argparse.Namespace:
    """The benchmark's options: load duration, clients, port, output files."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--port", type=int, default=3999)
    parser.add_argument("--json", type=Path, default=Path("reports/bench/serving.json"))
    parser.add_argument("--doc", type=Path, default=Path("docs/serving-benchmark.md"))
    return parser.parse_args(argv)


def champion_uri(settings: Settings, config: ServiceConfig) -> str:
    """The registry URI of the champion's version, which every server below serves."""
    champion = current(configure(settings), config.model_name)
    if champion is None:
        raise StageFailed(f"no champion for '{config.model_name}': run `make repro` first")
    return f"models:/{config.model_name}/{champion.version}"


def server_env(settings: Settings) -> dict[str, str]:
    """The environment every server starts with."""
    return {
        **TELEMETRY_OFF,
        "MLFLOW_TRACKING_URI": settings.tracking_uri,
        "BENTOML_HOME": os.environ.get("BENTOML_HOME", str(settings.bentoml_home)),
        "OMP_NUM_THREADS": "1",  # every server: one inference thread (see DOC_HEAD)
        # the laptop's embedded log, even in a shell pointed at a team's stack (env.sh)
        **{key: "" for key in TEAM_SETTINGS if key != "MLFLOW_TRACKING_URI"},
    }


def measure_all(
    args: argparse.Namespace, settings: Settings, config: ServiceConfig, uri: str
) -> dict[str, Any]:
    """The model in process, then each server under load; the report as a JSON-ready dict."""
    rows = read_source(config.spec).tail(1000)  # the newest hours: what live traffic looks like
    print(f"[bench] {uri}: in-process predict", flush=True)
    with threadpool_limits(limits=1):  # as every server below runs (OMP_NUM_THREADS=1)
        local = in_process(load_model(uri), model_frame(rows, config.spec))
    workers = settings.serve_workers
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        folder = Path(tmp)
        records = records_from_frame(rows, config.spec)
        results = {
            c.name: measure(c, records, folder, args.seconds, args.clients)
            for c in contenders(uri, args.port, folder, server_env(settings), workers)
        }
    got = ratios(results, local["rows_per_s"], workers)
    return {
        "model": uri,
        "time": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "seconds": args.seconds,
        "clients": args.clients,
        "workers": workers,
        "in_process": local,
        "servers": results,
        "ratios": got,
        "targets": TARGETS,
        "met": verdicts(got),
    }


def main(argv: list[str] | None = None) -> int:
    """Measure, write the JSON and the Markdown page, print the table; StageFailed: cannot run."""
    args = serving_arguments(argv)
    if not hey_installed():
        raise StageFailed(HEY_MISSING)
    quiet_telemetry()
    settings = get_settings()
    config = service_config(settings)
    uri = champion_uri(settings, config)
    report = measure_all(args, settings, config, uri)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2) + "\n")
    table = markdown(report)
    args.doc.parent.mkdir(parents=True, exist_ok=True)
    args.doc.write_text(doc_head(report, BATCH_CLIENTS) + table + "\n")
    print(f"\n{table}\n\n[bench] wrote {args.json} and {args.doc}")
    # Shadow on vs off (rollout.shadow), same load: its own report, serving_shadow.json; then
    # two replicas on the team's PostgreSQL log vs two workers on SQLite: serving_stack.json
    load = ["--seconds", f"{args.seconds:g}", "--clients", str(args.clients)]
    return shadow_main(load) or stack_main(load)


if __name__ == "__main__":
    sys.exit(run("bench-serving", main))
