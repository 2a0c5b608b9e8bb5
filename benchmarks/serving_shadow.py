"""`make bench`, shadow part: this service with `rollout.shadow` on vs off, in the same run.

Same champion, same machine, one server at a time, `hey` as the load: 32 clients sending
one-record requests. With shadow on, every worker also predicts each batch with a challenger
on a background thread. Both servers read a copy of the registry, in which `challenger` is a
second version of the champion's own model (same cost, so the ratio is the shadow's overhead);
the project's registry is never touched. Writes reports/bench/serving_shadow.json.

    python -m benchmarks.serving_shadow --seconds 5   # needs hey and a champion
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml

from benchmarks.hey import HEY_MISSING, hey_installed, run_hey
from lifecycle.entry import StageFailed, run
from lifecycle.registry import CHALLENGER, CHAMPION, current
from lifecycle.serving import process
from lifecycle.serving.client import records_from_frame
from lifecycle.serving.runtime import service_config
from lifecycle.settings import Settings, get_settings, quiet_telemetry
from lifecycle.source import read_source
from lifecycle.tracking import configure

TARGETS = {"throughput_ratio": 0.6, "p99_ratio": 1.5}  # shadow on / shadow off (the issue's)
MAX_DROPPED_SHARE = 0.01  # shadow rows dropped (queue full) or abandoned, of the rows served


def shadow_arguments(argv: list[str] | None) -> argparse.Namespace:
    """The benchmark's options: load duration, clients, port, output file."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--port", type=int, default=3998)
    parser.add_argument("--json", type=Path, default=Path("reports/bench/serving_shadow.json"))
    return parser.parse_args(argv)


def registry_copy(settings: Settings, folder: Path, name: str) -> tuple[str, str, str]:
    """Copy the registry's SQLite DB and add a challenger there: (tracking URI, champion,
    challenger). Artifacts stay where they are (their URIs are absolute)."""
    source = settings.tracking_uri.removeprefix("sqlite:///")
    if source == settings.tracking_uri:
        raise StageFailed(f"the shadow bench copies a SQLite registry, not {source}")
    copy = folder / "mlflow.db"
    with sqlite3.connect(source) as src, sqlite3.connect(copy) as dst:
        src.backup(dst)  # consistent even while the service or the pipeline writes
    uri = f"sqlite:///{copy}"
    client = configure(Settings(MLFLOW_TRACKING_URI=uri, LIFECYCLE_STATE_DIR=folder))
    champion = current(client, name, CHAMPION)
    if champion is None:
        raise StageFailed(f"no champion for '{name}': run `make repro` first")
    twin = client.create_model_version(name, str(champion.source), champion.run_id)
    client.set_registered_model_alias(name, CHALLENGER, str(twin.version))
    return uri, str(champion.version), str(twin.version)


def project_root(folder: Path, settings: Settings, shadow: bool) -> Path:
    """A root whose params.yaml is the project's with `rollout.shadow` set (canary off)."""
    raw = yaml.safe_load((settings.project_root / "params.yaml").read_text())
    raw["rollout"] = {**raw.get("rollout", {}), "shadow": shadow, "canary_share": 0.0}
    raw["data"]["dataset"] = str(settings.project_root / raw["data"]["dataset"])
    root = folder / f"root-shadow-{'on' if shadow else 'off'}"
    root.mkdir()
    (root / "params.yaml").write_text(yaml.safe_dump(raw, sort_keys=False))
    return root


def measure(args: argparse.Namespace, env: dict[str, str], body: Path, log: Path) -> dict[str, Any]:
    """Start the service with `env`, warm it up, load it with one-record requests."""
    url = f"http://127.0.0.1:{args.port}"
    cmd = [sys.executable, "-m", "bentoml", "serve", process.SERVICE]
    cmd += ["--host", "127.0.0.1", "--port", str(args.port)]
    with process.running(cmd, env, f"{url}/readyz", log):
        run_hey(f"{url}/predict", body, 3, args.clients, 1)  # warm-up
        single = run_hey(f"{url}/predict", body, args.seconds, args.clients, 1)
        shadow = _shadow_counts(url)
    return {
        "ok_per_s": single.ok_per_s,
        "p50_ms": single.p50_ms,
        "p99_ms": single.p99_ms,
        "failed": single.failed,
        "shadow_rows": shadow,
    }


def _shadow_counts(url: str) -> dict[str, float]:
    """lifecycle_shadow_predictions_total by outcome, from GET /metrics (summed over workers)."""
    import httpx

    counts: dict[str, float] = {}
    for line in httpx.get(f"{url}/metrics", timeout=10).text.splitlines():
        if line.startswith("lifecycle_shadow_predictions_total{"):
            outcome = line.split('outcome="')[1].split('"')[0]
            counts[outcome] = counts.get(outcome, 0.0) + float(line.rsplit(" ", 1)[1])
    return counts


def measure_both(args: argparse.Namespace, settings: Settings) -> dict[str, Any]:
    """Shadow off, then on, on the same registry copy; the report as a JSON-ready dict."""
    # Here, not at the top: serving_load imports this module (it runs it after its own).
    from benchmarks.serving_load import server_env

    config = service_config(settings)
    with tempfile.TemporaryDirectory(prefix="bench-shadow-") as tmp:
        folder = Path(tmp)
        uri, champion, challenger = registry_copy(settings, folder, config.model_name)
        body = folder / "one.json"
        rows = read_source(config.spec).tail(1)
        body.write_text(json.dumps({"records": records_from_frame(rows, config.spec)}))
        results = {}
        for shadow in (False, True):
            name = "shadow_on" if shadow else "shadow_off"
            print(f"[bench] {name}: 1 record x {args.clients} clients for {args.seconds:g} s")
            env = {
                **server_env(settings),
                "MLFLOW_TRACKING_URI": uri,
                "LIFECYCLE_ROOT": str(project_root(folder, settings, shadow)),
                "LIFECYCLE_STATE_DIR": str(folder / "state"),
                "LIFECYCLE_PREDICTION_LOG": str(folder / f"{name}.sqlite"),
                "LIFECYCLE_RELOAD_SECONDS": "0",
            }
            results[name] = measure(args, env, body, folder / f"{name}.log")
    return report(results, champion, challenger, args)


def report(
    results: dict[str, dict[str, Any]], champion: str, challenger: str, args: argparse.Namespace
) -> dict[str, Any]:
    """Ratios of shadow on to shadow off, and whether the targets are met."""
    on, off = results["shadow_on"], results["shadow_off"]
    got = {
        "throughput_ratio": round(on["ok_per_s"] / off["ok_per_s"], 2),
        "p99_ratio": round(on["p99_ms"] / off["p99_ms"], 2),
    }
    rows = on["shadow_rows"]
    lost = rows.get("dropped", 0.0) + rows.get("abandoned", 0.0)
    got["dropped_share"] = round(lost / max(sum(rows.values()), 1.0), 4)
    met = {
        "throughput_ratio": got["throughput_ratio"] >= TARGETS["throughput_ratio"],
        "p99_ratio": got["p99_ratio"] <= TARGETS["p99_ratio"],
        "zero_failed": on["failed"] + off["failed"] == 0,
        # A shadow that keeps up only by dropping most rows would pass the ratios: it must not.
        "dropped_share": bool(rows) and got["dropped_share"] <= MAX_DROPPED_SHARE,
    }
    return {
        "champion": champion,
        "challenger": challenger,
        "seconds": args.seconds,
        "clients": args.clients,
        "servers": results,
        "ratios": got,
        "targets": {**TARGETS, "dropped_share": MAX_DROPPED_SHARE},
        "met": met,
    }


def missed(met: dict[str, bool]) -> list[str]:
    """The targets not met, by name."""
    return [name for name, ok in met.items() if not ok]


def main(argv: list[str] | None = None) -> int:
    """Measure shadow off and on, write the JSON, print the ratios; 1 when a target is missed
    (the JSON is written either way)."""
    args = shadow_arguments(argv)
    if not hey_installed():
        raise StageFailed(HEY_MISSING)
    quiet_telemetry()
    result = measure_both(args, get_settings())
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=2) + "\n")
    on, off = result["servers"]["shadow_on"], result["servers"]["shadow_off"]
    print(
        f"[bench] shadow off {off['ok_per_s']:,.0f} req/s p99 {off['p99_ms']} ms; "
        f"on {on['ok_per_s']:,.0f} req/s p99 {on['p99_ms']} ms; ratios {result['ratios']} "
        f"(targets >= {TARGETS['throughput_ratio']}, <= {TARGETS['p99_ratio']}); "
        f"met {result['met']}; shadow rows {on['shadow_rows']}; wrote {args.json}"
    )
    if not_met := missed(result["met"]):  # reported like every benchmark's: make bench goes on
        print(f"[bench] shadow targets NOT met: {', '.join(not_met)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(run("bench-shadow", main))
