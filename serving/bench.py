"""`make bench`, serving part: this service vs `mlflow models serve` vs a bare Starlette endpoint.

Same model version, same machine, one server at a time, `hey` as the load. Writes
reports/bench/serving.json and docs/serving-benchmark.md, and prints the table.
"""

import argparse
import datetime as dt
import json
import os
import platform
import tempfile
from pathlib import Path

from threadpoolctl import threadpool_limits

from lifecycle.dataset import model_frame, read_source
from lifecycle.registry import current
from lifecycle.serving import bench, bench_report
from lifecycle.serving.client import records_from_frame
from lifecycle.serving.runtime import service_config
from lifecycle.settings import TELEMETRY_OFF, get_settings, quiet_telemetry
from lifecycle.tracking import configure, load_model

DOC_HEAD = """# Serving benchmark

`make bench` starts each server on 127.0.0.1 in turn, serving the same registered model version,
and loads it with [`hey`](https://github.com/rakyll/hey): {clients} concurrent clients sending
one-record requests for {seconds:g} s, then {batch_clients} clients sending 1,000-record
requests for {seconds:g} s (after a 3 s warm-up). Every server runs {workers} worker processes
(this service's default, `LIFECYCLE_SERVE_WORKERS`), each with one inference thread
(`OMP_NUM_THREADS=1`). The Starlette floor calls the model once per request with no
validation, logging or metrics; this service validates every record, batches concurrent
requests into one model call, logs every prediction and counts it.

Each client keeps its connection, and a connection stays with the worker process that accepted
it; how the connections split between the workers moves the numbers from run to run (splits
from 16/16 to 7/25 were seen for the 32 clients). A p99 near the target can land on either side.

Model `{model}`, {when}, {cpus} CPUs, Python {python}. Numbers from one run: compare
ratios, not absolute numbers, across machines (`reports/bench/serving.json` has every figure).

"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--port", type=int, default=3999)
    parser.add_argument("--json", type=Path, default=Path("reports/bench/serving.json"))
    parser.add_argument("--doc", type=Path, default=Path("docs/serving-benchmark.md"))
    args = parser.parse_args()
    bench.check_hey()
    quiet_telemetry()
    settings, config = get_settings(), service_config(get_settings())
    champion = current(configure(settings), config.model_name)
    if champion is None:
        raise SystemExit(f"no champion for '{config.model_name}': run `make repro` first")
    uri = f"models:/{config.model_name}/{champion.version}"
    rows = read_source(config.spec).tail(1000)  # the newest hours: what live traffic looks like
    print(f"[bench] {uri}: in-process predict", flush=True)
    with threadpool_limits(limits=1):  # as every server below runs (OMP_NUM_THREADS=1)
        local = bench.in_process(load_model(uri), model_frame(rows, config.spec))
    env = {
        **TELEMETRY_OFF,
        "MLFLOW_TRACKING_URI": settings.tracking_uri,
        "BENTOML_HOME": os.environ.get("BENTOML_HOME", str(settings.bentoml_home)),
        "OMP_NUM_THREADS": "1",  # every server: one inference thread (see DOC_HEAD)
    }
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        folder = Path(tmp)
        records = records_from_frame(rows, config.spec)
        results = {
            c.name: bench.measure(c, records, folder, args.seconds, args.clients)
            for c in bench.contenders(uri, args.port, folder, env, settings.serve_workers)
        }
    got = bench_report.ratios(results, local["rows_per_s"], settings.serve_workers)
    report = {
        "model": uri,
        "time": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "seconds": args.seconds,
        "clients": args.clients,
        "workers": settings.serve_workers,
        "in_process": local,
        "servers": results,
        "ratios": got,
        "targets": bench_report.TARGETS,
        "met": bench_report.verdicts(got),
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2) + "\n")
    table = bench_report.markdown(report)
    head = DOC_HEAD.format(
        clients=args.clients,
        seconds=args.seconds,
        workers=settings.serve_workers,
        batch_clients=bench.BATCH_CLIENTS,
        model=uri,
        when=report["time"],
        cpus=report["cpus"],
        python=report["python"],
    )
    args.doc.parent.mkdir(parents=True, exist_ok=True)
    args.doc.write_text(head + table + "\n")
    print(f"\n{table}\n\n[bench] wrote {args.json} and {args.doc}")


if __name__ == "__main__":
    main()
