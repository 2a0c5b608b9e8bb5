"""Calibrate the drift threshold: replay the drift rule, for a range of thresholds, on every
monitored window with labels, and report how often it would have fired on windows that needed
no retrain (false alarms) and on windows that did (detections).

    make demo                 # 21 monitored months under reports/replay/monitoring/
    make calibrate            # reports/calibration/drift_threshold.{json,png}

Any folder of monitored windows works (`--windows reports/monitoring` after `make monitor`
runs). A window needed a retrain when its error rose more than monitor.max_error_increase.
Exit 0; 1 when no window under the folder has labels and drift scores.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from lifecycle.entry import StageFailed, run
from lifecycle.monitoring.calibration import (
    calibrate,
    calibration_text,
    plot_threshold_sweep,
    read_windows,
)
from lifecycle.params import load_params


def main(argv: list[str] | None = None) -> int:
    """Sweep the threshold over the windows' summaries; write JSON and PNG; print the result."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--windows", type=Path, default=Path("reports/replay/monitoring"))
    parser.add_argument("--out", type=Path, default=Path("reports/calibration"))
    parser.add_argument(
        "--max-false-alarm-rate", type=float, default=0.1, help="the budget (default 0.1)"
    )
    parser.add_argument("--params", default="params.yaml")
    args = parser.parse_args(argv)
    limits = load_params(args.params).monitor
    try:
        found = calibrate(read_windows(args.windows, limits), limits, args.max_false_alarm_rate)
    except ValueError as err:
        raise StageFailed(
            f"{args.windows}: {err} (run `make demo` or `make monitor` first)"
        ) from None
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "drift_threshold.json").write_text(found.model_dump_json(indent=2) + "\n")
    png = plot_threshold_sweep(found, args.out / "drift_threshold.png")
    print(calibration_text(found))
    print(f"  json     {args.out / 'drift_threshold.json'}\n  png      {png}")
    return 0


if __name__ == "__main__":
    sys.exit(run("calibrate", main))
