"""The live stage in monitoring, on real components: the champion's real answers in a SQLite
prediction log, a challenger's shadow predictions and a canary's answers written as the
service writes them, late labels in the feedback store, real Evidently runs, and the live
gates applied to a real MLflow registry."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lifecycle.monitoring.feedback import deliver_from_source
from lifecycle.monitoring.live_gates import apply_live_gates
from lifecycle.monitoring.monitor import MonitorResult, monitor_window
from lifecycle.monitoring.paths import MonitorPaths
from lifecycle.monitoring.plots import read_history
from lifecycle.monitoring.window import make_window
from lifecycle.params import Params
from lifecycle.registry import CHALLENGER, CHAMPION, current
from lifecycle.tracking import configure
from tests.helpers.live_log import (
    ChampionLog,
    champion_log,
    make_canary,
    waiting_registry,
    write_shadow,
)
from tests.helpers.params import make_params
from tests.helpers.registry import Registry

WINDOW = make_window("2011-07-01", "2011-07-15")  # 14 summer days: the champion errs a lot
LABELLED = make_window("2011-07-01", "2011-07-12")  # labels arrived for the first 11 days
PARAMS = make_params(
    train={"candidates": ["hgb"]}, gate={"live": {"required": True}}, rollout={"shadow": True}
)


def mae(y: pd.Series | np.ndarray, p: pd.Series | np.ndarray) -> float:
    return float(np.mean(np.abs(np.asarray(y, float) - np.asarray(p, float))))


@pytest.fixture(scope="module")
def base(
    registry: Registry, source: pd.DataFrame, tmp_path_factory: pytest.TempPathFactory
) -> ChampionLog:
    """The champion's answers for the window (no live rows), shared; tests add to copies."""
    return champion_log(
        registry, source, WINDOW, tmp_path_factory.mktemp("live") / "champion.sqlite"
    )


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The champion's reference data, computed once for the module's monitoring runs."""
    return tmp_path_factory.mktemp("live-state")


def paths_for(log: Path, folder: Path, cache: Path, reports: bool = False) -> MonitorPaths:
    return MonitorPaths(
        log=log,
        feedback=folder / "feedback.sqlite",
        state=cache,
        reports=folder / "reports" if reports else None,
        workspace=folder / "evidently" if reports else None,
    )


def monitor(registry: Registry, paths: MonitorPaths, params: Params = PARAMS) -> MonitorResult:
    return monitor_window(WINDOW, registry.spec, params, registry.settings, paths)


def shadowed(base: ChampionLog, folder: Path, predict: str) -> tuple[Path, pd.DataFrame]:
    """A copy of the log where challenger v2 shadowed every answered row but every 5th one:
    `better` predicts the label with a little noise, `worse` errs twice as much as the champion
    on every row.
    Also the shadow predictions by (request_id, row)."""
    log = base.copy(folder / "p.sqlite")
    rows = base.rows.drop(base.rows.index[::5])
    noise = np.random.default_rng(0).normal(0, 5, len(rows))
    twice = rows["y"] + 2 * (rows["prediction"] - rows["y"])
    values = rows["y"] + noise if predict == "better" else twice
    write_shadow(log, rows, values.to_numpy(), "2")
    return log, rows[["request_id", "row"]].assign(shadow=values.to_numpy())


@dataclass
class Better:
    """A monitored window whose shadowed challenger is clearly better, with every output."""

    result: MonitorResult
    paths: MonitorPaths
    shadow: pd.DataFrame  # request_id, row, shadow (the challenger's prediction)


@pytest.fixture(scope="module")
def better(
    registry: Registry,
    base: ChampionLog,
    source: pd.DataFrame,
    cache: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Better:
    """Shadow rows for 4 of 5 answered rows, labels for 11 of the 14 days."""
    folder = tmp_path_factory.mktemp("live-better")
    log, shadow = shadowed(base, folder, "better")
    paths = paths_for(log, folder, cache, reports=True)
    deliver_from_source(source, registry.spec, LABELLED, paths.feedback)
    return Better(monitor(registry, paths), paths, shadow)


def test_shadow_rows_with_labels_give_the_paired_comparison_on_the_same_rows(
    better: Better, base: ChampionLog
) -> None:
    summary = better.result.summary
    live = summary.live
    assert live is not None and live.variant == "shadow" and live.paired
    assert (live.challenger_version, live.champion_version) == ("2", "1")
    # independently: the answered rows with a shadow row and a label, the MAE of both sides
    rows = base.rows.merge(better.shadow, on=["request_id", "row"])
    rows = rows[rows["event_time"] < LABELLED.end]
    champion, challenger = mae(rows["y"], rows["prediction"]), mae(rows["y"], rows["shadow"])
    assert live.rows == len(rows) and 0 < len(rows) < len(better.shadow)
    assert live.champion_metric == pytest.approx(champion)
    assert live.challenger_metric == pytest.approx(challenger)
    assert live.improvement == pytest.approx(1 - challenger / champion)
    assert live.days == 11 and live.better is True and live.low > 0
    assert summary.variants == {"champion": len(base.rows), "shadow": len(better.shadow)}
    # the champion is monitored on its answers, as before: shadow rows are no answers
    assert summary.rows.monitored == len(base.rows) and summary.canary is None
    assert "live shadow v2 vs champion v1 (paired" in summary.headline()


def test_the_live_comparison_goes_into_evidently_the_history_and_a_png(better: Better) -> None:
    from evidently.ui.workspace import Workspace

    result, paths = better.result, better.paths
    summary, live = result.summary, result.summary.live
    assert live is not None and paths.reports is not None and paths.workspace is not None
    files = {k: Path(v) for k, v in summary.artifacts.items()}
    assert set(files) == {"html", "snapshot", "summary", "png", "live_png"}
    assert files["live_png"].read_bytes()[:4] == b"\x89PNG"
    assert files["live_png"].parent == files["summary"].parent
    # Evidently's own snapshot holds the comparison as a metric, and its report shows it
    metrics = json.loads(files["snapshot"].read_text())["metrics"]
    cut = [m for m in metrics if m["config"]["type"].endswith(":LiveErrorCut")]
    assert len(cut) == 1 and cut[0]["value"]["improvement"] == pytest.approx(live.improvement)
    assert cut[0]["config"]["variant"] == "shadow"
    assert "Live MAE error cut: shadow v2 vs champion v1" in files["html"].read_text()
    # the workspace run carries it: a by-label value, tags and metadata
    workspace = Workspace.create(str(paths.workspace))
    project = workspace.search_project(f"{summary.model_name} monitoring")[0]
    run = workspace.get_run(project.id, summary.workspace_run)
    assert run is not None and "live:shadow" in run.tags
    assert run.metadata["live_shadow_challenger"] == "2"
    panels = [p.title for p in project.dashboard.model().panels]
    assert any(title.startswith("Live error cut") for title in panels)
    (entry,) = read_history(paths.reports)
    assert entry.live_improvement == pytest.approx(live.improvement)
    assert (entry.live_low, entry.live_high) == (pytest.approx(live.low), pytest.approx(live.high))


def test_shadow_rows_without_labels_give_no_comparison_and_the_challenger_waits(
    registry: Registry, base: ChampionLog, cache: Path, tmp_path: Path
) -> None:
    log, _ = shadowed(base, tmp_path, "better")
    later = base.rows[base.rows["event_time"] >= make_window("2011-07-10", "2011-07-15").start]
    make_canary(log, later.iloc[::2], later.iloc[::2]["y"].to_numpy(), "2")  # unlabelled too
    summary = monitor(registry, paths_for(log, tmp_path, cache)).summary
    assert summary.live is None and summary.canary is None
    # shadow rows of records a canary answered have no champion answer to pair with
    paired = base.rows.drop(base.rows.index[::5]).drop(later.index[::2], errors="ignore")
    shadow_rows = len(paired)
    assert any(
        f"{shadow_rows} labels missing; gate.live.min_rows is 200" in n for n in summary.notes
    )
    settings = waiting_registry(tmp_path / "state", registry.model_name)
    try:
        lines = apply_live_gates(summary, PARAMS, settings)
        client = configure(settings)
        assert str(current(client, registry.model_name, CHALLENGER).version) == "2"  # type: ignore[union-attr]
        assert str(current(client, registry.model_name, CHAMPION).version) == "1"  # type: ignore[union-attr]
    finally:
        configure(registry.settings)
    assert lines[0].startswith("live gate: v2 WAITS: 0 labelled live rows")
    assert lines[1].startswith("canary guardrail (live error) not evaluated")
    assert not settings.promotion_log.exists()  # nothing decided, nothing logged


def test_apply_live_gates_promotes_a_challenger_clearly_better_on_live_rows(
    registry: Registry, better: Better, tmp_path: Path
) -> None:
    settings = waiting_registry(tmp_path / "state", registry.model_name)
    try:
        lines = apply_live_gates(better.result.summary, PARAMS, settings)
        client = configure(settings)
        champion = current(client, registry.model_name, CHAMPION)
        challenger = current(client, registry.model_name, CHALLENGER)
    finally:
        configure(registry.settings)
    assert lines == [lines[0]] and lines[0].startswith("live gate: v2 PROMOTED to champion")
    assert champion is not None and str(champion.version) == "2" and challenger is None
    (logged,) = [json.loads(line) for line in settings.promotion_log.read_text().splitlines()]
    assert logged["action"] == "promote" and logged["stage"] == "live"
    assert logged["evidence"]["rows"] == better.result.summary.live.rows  # type: ignore[union-attr]


def test_apply_live_gates_refuses_a_challenger_clearly_worse_on_live_rows(
    registry: Registry, base: ChampionLog, source: pd.DataFrame, cache: Path, tmp_path: Path
) -> None:
    paths = paths_for(shadowed(base, tmp_path, "worse")[0], tmp_path, cache)
    deliver_from_source(source, registry.spec, WINDOW, paths.feedback)
    summary = monitor(registry, paths).summary
    assert summary.live is not None and summary.live.better is False
    assert summary.live.rows == len(base.rows) - len(base.rows.index[::5])
    settings = waiting_registry(tmp_path / "state", registry.model_name)
    try:
        lines = apply_live_gates(summary, PARAMS, settings)
        client = configure(settings)
        champion = current(client, registry.model_name, CHAMPION)
        challenger = current(client, registry.model_name, CHALLENGER)
    finally:
        configure(registry.settings)
    assert lines[0].startswith("live gate: v2 REFUSED, champion stays v1")
    assert champion is not None and str(champion.version) == "1" and challenger is None


def test_canary_rows_are_left_out_of_the_champion_and_compared_on_their_own_rows(
    registry: Registry, base: ChampionLog, source: pd.DataFrame, cache: Path, tmp_path: Path
) -> None:
    log = base.copy(tmp_path / "p.sqlite")
    canary = base.rows[base.rows["event_time"].dt.hour % 3 == 0]  # a third: the canary's
    make_canary(log, canary, (canary["y"] + 150).to_numpy(), "2")  # far worse than the champion
    paths = paths_for(log, tmp_path, cache)
    deliver_from_source(source, registry.spec, WINDOW, paths.feedback)
    params = make_params(
        train={"candidates": ["hgb"]},
        gate={"live": {"required": True, "min_rows": 100}},
        rollout={"canary_share": 0.5},
    )
    summary = monitor(registry, paths, params).summary
    champion = base.rows.drop(canary.index)
    # the champion is judged on its own answers only
    assert summary.rows.monitored == summary.rows.labelled == len(champion)
    assert summary.versions == {f"{registry.model_name} v1": len(champion)}
    assert summary.performance is not None
    assert summary.performance.window.mae == pytest.approx(
        mae(champion["y"], champion["prediction"])
    )  # type: ignore[union-attr]
    assert any("answered by a canary" in n for n in summary.notes)
    assert summary.variants == {"champion": len(champion), "canary": len(canary)}
    live = summary.canary
    assert live is not None and live.variant == "canary" and not live.paired
    assert summary.live is None
    theirs, ours = mae(champion["y"], champion["prediction"]), 150.0
    assert live.champion_metric == pytest.approx(theirs)
    assert live.challenger_metric == pytest.approx(ours)
    assert live.improvement == pytest.approx(1 - ours / theirs)
    assert live.rows == min(len(champion), len(canary)) and live.better is False
    # the guardrail: confidently more than 5 % worse, so the canary is rolled back
    settings = waiting_registry(tmp_path / "state", registry.model_name, action="canary")
    try:
        lines = apply_live_gates(summary, params, settings)
        client = configure(settings)
        kept = current(client, registry.model_name, CHAMPION)
        challenger = current(client, registry.model_name, CHALLENGER)
    finally:
        configure(registry.settings)
    assert any(line.startswith("canary v2 ROLLED BACK") for line in lines)
    assert kept is not None and str(kept.version) == "1" and challenger is None
    (logged,) = [json.loads(line) for line in settings.promotion_log.read_text().splitlines()]
    assert logged["action"] == "rollback" and logged["stage"] == "canary"
