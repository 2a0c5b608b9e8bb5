"""Look at every UI of the project in headless Chromium, offline, and keep the screenshots.

    make screenshots STATE=replay  # the last replay's state (after `make demo`)
    python docs/screenshots.py --state state --out reports/screenshots

Starts the service, the MLflow UI and the Evidently UI on free ports of 127.0.0.1 (each reading
`--state`), builds the tutorial, then captures five pages: the service's Swagger page, the
registered model's page in the MLflow UI, the Evidently project, the newest monitoring report
under reports/ and the tutorial's front page. Each must render its expected text with every
other host unreachable (lifecycle.browser). Writes <out>/<page>.png and <out>/screenshots.json;
exit 1 if a page did not render.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

from lifecycle.browser import Capture, Page, browser, capture
from lifecycle.entry import StageFailed, run
from lifecycle.params import load_params
from lifecycle.serving import process
from lifecycle.settings import TELEMETRY_OFF

ROOT = Path(__file__).resolve().parents[1]


@contextlib.contextmanager
def servers(state: Path, folder: Path) -> Iterator[dict[str, str]]:
    """The three servers on free ports, reading `state`; yields their base URLs by name."""
    env = {**TELEMETRY_OFF, "LIFECYCLE_STATE_DIR": str(state), "MLFLOW_TRACKING_URI": ""}
    env |= {"BENTOML_HOME": str(state / "bentoml")}
    env |= {"LIFECYCLE_PREDICTION_LOG": str(folder / "screenshots-log.sqlite")}  # not the real log
    ports = {name: process.free_port() for name in ("service", "mlflow", "evidently")}
    url = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    py, workspace = [sys.executable, "-m"], str(state / "evidently")
    listen = {name: ["--host", "127.0.0.1", "--port", str(port)] for name, port in ports.items()}
    commands = {
        "service": [*py, "bentoml", "serve", process.SERVICE, *listen["service"]],
        "mlflow": [*py, "mlflow", "ui", "--backend-store-uri", f"sqlite:///{state}/mlflow.db"],
        # evidently has no `python -m evidently`: its command, next to this Python
        "evidently": [
            str(Path(sys.executable).parent / "evidently"),
            "ui",
            "--workspace",
            workspace,
        ],
    }
    commands["mlflow"] += listen["mlflow"]
    commands["evidently"] += listen["evidently"]
    ready = {"service": "/readyz", "mlflow": "/health", "evidently": "/api/projects"}
    with contextlib.ExitStack() as stack:
        for name, cmd in commands.items():
            print(f"  starting {name} ...", flush=True)
            log = folder / f"{name}.log"
            stack.enter_context(process.running(cmd, env, url[name] + ready[name], log))
        yield url


def pages(url: dict[str, str], model: str, project: str, report: Path) -> list[Page]:
    """The five pages and what each must show."""
    site = (ROOT / "site/index.html").as_uri()
    return [
        # each text is one the page's scripts render: absent if the page did not render
        Page("swagger", url["service"] + "/", ("Predicts", "/predict_columns", "Service APIs")),
        Page("mlflow-model", f"{url['mlflow']}/#/models/{model}", (model, "Versions")),
        Page("evidently-project", f"{url['evidently']}/projects/{project}", ("Share of drifted",)),
        Page("monitoring-report", report.as_uri(), ("Dataset Drift", "Drift Score"), 20_000),
        Page("docs", site, ("lifecycle", "Closing the loop")),
    ]


def newest_report(reports: Path) -> Path:
    """The newest monitoring report.html anywhere under `reports` (StageFailed: none): the
    replay's (of any policy) or `make monitor`'s, whichever ran last."""
    found = list(reports.rglob("monitoring/*/report.html"))
    if not found:
        raise StageFailed("no monitoring report yet: run `make demo` (or `make monitor`)")
    return max(found, key=lambda page: page.stat().st_mtime)


def evidently_project(url: str) -> str:
    """The id of the Evidently workspace's first project (StageFailed: none yet)."""
    import httpx

    projects = httpx.get(url + "/api/projects", timeout=10).json()
    if not projects:
        raise StageFailed("the Evidently workspace has no project: run `make demo` first")
    return str(projects[0]["id"])


def main(argv: list[str] | None = None) -> int:
    """Start the servers, capture every page, write the summary; 1 if a page did not render."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--state", type=Path, default=Path("state"))
    parser.add_argument("--out", type=Path, default=Path("reports/screenshots"))
    args = parser.parse_args(argv)
    state, out = args.state.resolve(), args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    os.chdir(ROOT)  # the servers start here (`bentoml serve` imports serving.service)
    model = load_params(ROOT / "params.yaml").registry.model_name
    browser()  # before starting anything: FileNotFoundError says how to get Chromium
    report = newest_report(ROOT / "reports")
    print("  building the tutorial ...", flush=True)
    build = [sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-f", "docs/mkdocs.yml"]
    quiet = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}  # as `make docs` runs it
    subprocess.run(build, cwd=ROOT, check=True, capture_output=True, env=quiet)
    with servers(state, out) as url:
        shots: list[Capture] = []
        for page in pages(url, model, evidently_project(url["evidently"]), report):
            shots.append(capture(page, out))
            verdict = "ok" if shots[-1].ok else f"MISSING {shots[-1].missing}"
            print(f"  {page.name:<18} {verdict}  {shots[-1].png}", flush=True)
    (out / "screenshots.json").write_text(json.dumps([s.as_dict() for s in shots], indent=2))
    return 0 if all(s.ok for s in shots) else 1


if __name__ == "__main__":
    sys.exit(run("screenshots", main))
