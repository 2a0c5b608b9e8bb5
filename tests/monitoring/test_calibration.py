"""Calibrating the drift threshold on labelled windows: the rule replayed, counted, plotted."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lifecycle.monitoring.calibration import LabelledWindow, calibrate, rates
from lifecycle.monitoring.drift import ColumnDrift, DriftSummary, Quality
from lifecycle.monitoring.performance import PerformanceCheck
from lifecycle.monitoring.summary import MonitorSummary, RowCounts
from monitoring import calibrate as calibrate_cmd
from tests.helpers.params import make_params

PARAMS = make_params()  # max_drift_share 0.5, max_error_increase 0.5, threshold 0.2


def window(label: str, scores: dict[str, float], bad: bool) -> LabelledWindow:
    """A labelled window with these drift distances."""
    return LabelledWindow(label=label, scores=scores, needed_retrain=bad)


# Four windows, two features each: the weather drifts every month; only two needed a retrain.
WINDOWS = [
    window("summer", {"temp": 0.9, "hum": 0.1}, bad=False),
    window("autumn", {"temp": 1.5, "hum": 0.3}, bad=True),
    window("winter", {"temp": 0.4, "hum": 0.25}, bad=False),
    window("spring", {"temp": 2.5, "hum": 0.6}, bad=True),
]


def test_the_rule_is_replayed_on_each_window() -> None:
    low = rates(WINDOWS, 0.2, share=0.5)  # temp over 0.2 everywhere: half the features
    assert (low.alarms, low.false_alarms, low.detected) == (4, 2, 2)
    assert (low.false_alarm_rate, low.detection_rate) == (1.0, 1.0)
    high = rates(WINDOWS, 1.0, share=0.5)  # only autumn and spring drift that far
    assert (high.false_alarms, high.detected, high.false_alarm_rate) == (0, 2, 0.0)
    both = rates(WINDOWS, 0.28, share=1.0)  # every feature must drift
    assert (both.alarms, both.detected, both.detection_rate) == (2, 2, 1.0)


def test_the_lowest_threshold_within_the_budget_is_found() -> None:
    found = calibrate(WINDOWS, PARAMS.monitor, max_false_alarm_rate=0.0)
    assert found.configured.threshold == 0.2 and found.configured.false_alarm_rate == 1.0
    chosen = found.lowest_within_budget
    assert chosen is not None and 0.9 < chosen.threshold <= 1.5  # just over summer's 0.9
    assert chosen.false_alarms == 0 and chosen.detection_rate == 1.0
    assert found.natural == {"hum": 0.25, "temp": 0.9}  # the most each moved on good windows
    assert [r.threshold for r in found.sweep] == sorted(r.threshold for r in found.sweep)


def test_no_labelled_window_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="no monitored window with labels"):
        calibrate([], PARAMS.monitor, 0.1)


def summary(start: str, scores: dict[str, float], increase: float | None) -> MonitorSummary:
    """A monitored window's summary as `make monitor` writes it (increase None: no labels)."""
    columns = [
        ColumnDrift(column=c, method="wasserstein", threshold=0.2, score=s, drifted=s >= 0.2)
        for c, s in scores.items()
    ]
    drifted = sum(c.drifted for c in columns)
    perf = PerformanceCheck(
        metric="mae",
        rows=700,
        window=Quality(mae=30.0, rmse=40.0, r2=0.6),
        validation={"mae": 20.0},
        increase=increase,
        slices={},
    )
    return MonitorSummary(
        window={"start": f"{start}T00:00:00", "end": f"{start}T00:00:00"},
        rows=RowCounts(logged=744, evaluated=744, monitored=744, labelled=700, reference=2000),
        decision="ok",
        reasons=[],
        exit_code=0,
        drift=DriftSummary(
            share=drifted / len(columns), count=drifted, columns=columns, prediction=None
        ),
        performance=perf,
        thresholds=PARAMS.monitor,
    )


def test_the_command_reads_summaries_and_writes_json_and_png(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    windows, out = tmp_path / "monitoring", tmp_path / "calibration"
    for start, scores, increase in [
        ("2011-05-01", {"temp": 0.9, "hum": 0.1}, 0.1),
        ("2011-06-01", {"temp": 1.5, "hum": 0.3}, 0.8),  # 80 % worse: needed a retrain
        ("2011-07-01", {"temp": 3.0, "hum": 3.0}, None),  # no labels: not evidence
    ]:
        (windows / start).mkdir(parents=True)
        (windows / start / "summary.json").write_text(
            summary(start, scores, increase).model_dump_json()
        )
    (windows / "stray").mkdir()
    (windows / "stray" / "summary.json").write_text("{}")  # not a summary: warned, left out
    with pytest.warns(UserWarning, match="not a monitoring summary"):
        assert calibrate_cmd.main(["--windows", str(windows), "--out", str(out)]) == 0
    found = json.loads((out / "drift_threshold.json").read_text())
    assert (found["windows"], found["needed_retrain"]) == (2, 1)
    assert found["configured"]["false_alarms"] == 1  # temp 0.9 over 0.2 in May
    assert (out / "drift_threshold.png").stat().st_size > 10_000
    printed = capsys.readouterr().out
    assert "2 labelled windows: 1 needed a retrain, 1 did not" in printed


def test_a_folder_without_labelled_windows_stops_with_what_to_run(tmp_path: Path) -> None:
    with pytest.raises(calibrate_cmd.StageFailed, match="make demo"):
        calibrate_cmd.main(["--windows", str(tmp_path), "--out", str(tmp_path / "out")])
