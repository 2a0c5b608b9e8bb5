"""Monitor a window of the prediction log (by event time) against the served model's training
data: data drift, prediction drift, performance once labels have arrived, and a decision.

Writes reports/monitoring/<window>/{report.html,snapshot.json,summary.json}, latest.json and
history.png, and adds the run to the Evidently workspace (make monitor-ui), or to the Evidently
UI service at LIFECYCLE_EVIDENTLY_URL unless --workspace names a folder. A window with shadow or
canary rows also gets live.png, the challenger's live comparison with the champion. With
LIFECYCLE_PUSHGATEWAY_URL set, the decision is pushed to that Prometheus Pushgateway, where
monitoring/alerts/lifecycle.rules.yml reads it (a failed push is a warning, never a failure).

Then the live gates: with gate.live.required, the challenger waiting in shadow is promoted or
refused on this window's labelled shadow rows (or waits); a canary whose live error is
confidently worse than rollout.guardrails.max_error_increase allows is rolled back. The
decisions are printed (on stderr with --json); they never change the exit code.

Exit codes: 0 ok | 10 retrain | 20 insufficient data (empty or small window, missing labels,
a log that does not match the reference, unknown model) | 1 bad configuration | 2 bad arguments.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

from lifecycle import store
from lifecycle.entry import context, run
from lifecycle.monitoring.decision import EXIT_CODES
from lifecycle.monitoring.export import MonitorGauges, PushFailed, push_decision
from lifecycle.monitoring.live_gates import apply_live_gates
from lifecycle.monitoring.monitor import monitor_window
from lifecycle.monitoring.paths import REPORTS, MonitorPaths
from lifecycle.monitoring.window import resolve_window
from lifecycle.settings import Settings


def _parser() -> argparse.ArgumentParser:
    """The command's arguments; --help shows the module docstring, exit codes included."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--start", help="window start, inclusive (ISO date or timestamp)")
    parser.add_argument("--end", help="window end, exclusive (default: newest monitor.window_days)")
    parser.add_argument("--log", type=Path, help="prediction log (default: settings)")
    parser.add_argument("--feedback", type=Path, help="ground-truth store (default: settings)")
    parser.add_argument("--out", type=Path, default=REPORTS, help="reports folder")
    parser.add_argument(
        "--workspace",
        type=Path,
        help="Evidently workspace folder (default: LIFECYCLE_EVIDENTLY_URL's service, if set, "
        "else state/evidently)",
    )
    parser.add_argument("--params", default="params.yaml")
    parser.add_argument("--no-sample", action="store_true", help="never sample large windows")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Monitor the window, write its reports, print the summary; the decision is the exit code."""
    args = _parser().parse_args(argv)
    ctx = context(args.params)
    settings = ctx.settings
    if args.workspace:  # a folder named on the command line wins over the UI service
        settings = settings.model_copy(update={"evidently_url": None})
    paths = MonitorPaths.default(ctx.settings, args.out)
    paths = dataclasses.replace(
        paths,
        log=args.log or paths.log,
        feedback=args.feedback or paths.feedback,
        workspace=args.workspace or paths.workspace,
    )
    try:
        window = resolve_window(args.start, args.end, paths.log, ctx.params.monitor.window_days)
    except ValueError as err:
        print(f"monitor: {err}", file=sys.stderr)
        return 2
    if window is None:
        print(
            f"decision: INSUFFICIENT_DATA: nothing logged in {store.label(paths.log)} yet; "
            "serve traffic or replay a period (make simulate START=… END=…)"
        )
        _push(settings, MonitorGauges(ctx.params.registry.model_name, "insufficient_data"))
        return EXIT_CODES["insufficient_data"]
    result = monitor_window(window, ctx.spec, ctx.params, settings, paths, not args.no_sample)
    summary = result.summary
    if args.json:
        print(summary.model_dump_json(indent=2))
    else:
        print(summary.headline())
        print("\n".join(f"  {name:<8} {path}" for name, path in summary.artifacts.items()))
    _push(settings, MonitorGauges.of(summary, ctx.params.registry.model_name))
    for line in apply_live_gates(summary, ctx.params, ctx.settings):
        print(line, file=sys.stderr if args.json else sys.stdout)
    return summary.exit_code


def _push(settings: Settings, gauges: MonitorGauges) -> None:
    """Push the decision when a Pushgateway is configured; a failure is a warning only: the
    decision stands in the exit code and the reports (LifecycleMonitorStale will tell)."""
    if not settings.pushgateway_url:
        return
    try:
        push_decision(settings.pushgateway_url, gauges)
    except PushFailed as err:
        print(f"monitor: warning: {err}", file=sys.stderr)


if __name__ == "__main__":
    # No start/done lines: stdout is the summary (JSON with --json); failures read `monitor: ...`.
    sys.exit(run("monitor", main, banner=False))
