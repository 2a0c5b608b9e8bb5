"""The closed loop, month by month: serve → label → monitor → retrain → promote → redeploy.

Everything is real: a `bentoml serve` process answers HTTP, labels land in the feedback store,
Evidently judges the month, `dvc repro` retrains in a git working repository, the gate decides,
and the running server switches to a new champion without a restart.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
from sklearn.pipeline import Pipeline
from tqdm.auto import tqdm

from lifecycle.dataset import EVENT_TIME, DatasetSpec, load_spec
from lifecycle.params import Params, ReplayParams, load_params
from lifecycle.pipeline_paths import pipeline_paths
from lifecycle.predictions import predict_frame
from lifecycle.registry import current
from lifecycle.replay.hindsight import judge_in_hindsight
from lifecycle.replay.policy import should_retrain
from lifecycle.replay.scoring import ReplayTerms, score_month
from lifecycle.replay.shadowing import apply_live_gate, follow_challenger, wait_for_shadow_rows
from lifecycle.replay.timeline import Hindsight, Month, Promoted, Retrain, promoted_in
from lifecycle.replay.traffic import Traffic, send_month
from lifecycle.replay.workrepo import WorkRepo
from lifecycle.serving.process import Server
from lifecycle.settings import Settings
from lifecycle.source import read_source
from lifecycle.tracking import configure, load_model

if TYPE_CHECKING:
    from lifecycle.monitoring.summary import MonitorSummary


def months(start: dt.date, end: dt.date) -> list[tuple[pd.Timestamp, pd.Timestamp]]:
    """Consecutive calendar months [first day, first day of next) from start up to end."""
    firsts = pd.date_range(pd.Timestamp(start), pd.Timestamp(end), freq="MS")
    return list(itertools.pairwise(firsts))


@dataclass
class World:
    """What the loop needs at hand: the working repository and its settings, params, data."""

    repo: WorkRepo
    settings: Settings
    params: Params
    spec: DatasetSpec
    source: pd.DataFrame
    reports: Path  # where each month's monitoring report goes (a folder per month)
    models: dict[str, Pipeline] = field(default_factory=dict)  # loaded versions, by version

    @classmethod
    def open(cls, repo: WorkRepo, reports: Path | None = None) -> World:
        """Load params, dataset and settings of the working repository (state inside it);
        monitoring reports go to `reports` (default: the working repository's own)."""
        params = load_params(repo.path / "params.yaml")
        spec = load_spec(repo.path / params.data.dataset)
        spec = spec.model_copy(update={"source": repo.path / spec.source})
        # The replay keeps its own local registry and state. An inherited MLFLOW_TRACKING_URI
        # (mlflow.set_tracking_uri() exports one to child processes), or a team's database,
        # Pushgateway or Evidently UI (env.sh of `make stack`), must not redirect it.
        settings = Settings(
            LIFECYCLE_ROOT=repo.path,
            LIFECYCLE_STATE_DIR=repo.path / "state",
            mlflow_tracking_uri=None,
            LIFECYCLE_DATABASE_URL=None,
            LIFECYCLE_PUSHGATEWAY_URL=None,
            LIFECYCLE_EVIDENTLY_URL=None,
        )
        where = reports or repo.path / "reports/monitoring"
        return cls(repo, settings, params, spec, read_source(spec), where)

    @property
    def terms(self) -> ReplayTerms:
        """What the months are scored by: the gate's metric and the task's headline metric."""
        return ReplayTerms.of(self.spec.task, self.params.gate.metric)

    def champion_version(self) -> str:
        """The version behind `champion` right now."""
        version = current(configure(self.settings), self.params.registry.model_name)
        if version is None:
            raise LookupError("the working repository's registry has no champion")
        return str(version.version)

    def model(self, version: str) -> Pipeline:
        """A registered version of the working repository's model (loaded once)."""
        if version not in self.models:
            name = self.params.registry.model_name
            self.models[version] = load_model(f"models:/{name}/{version}")
        return self.models[version]

    def month_rows(self, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
        """The source rows whose event time falls in [start, end)."""
        when = self.source[EVENT_TIME]
        return self.source[(when >= start) & (when < end)].reset_index(drop=True)


def retrain(world: World, as_of: dt.date) -> Retrain:
    """Advance the data snapshot, `dvc repro`, read the gate's decision, commit the result."""
    world.repo.set_as_of(as_of)
    run = world.repo.repro()
    if not run.ok:
        outcome = Retrain(as_of.isoformat(), "failed", None, run.failure())
    else:
        decision = json.loads(pipeline_paths(world.repo.path).decision.read_text())
        outcome = Retrain(
            as_of.isoformat(),
            decision["action"],
            decision["version"],
            decision["reason"],
        )
    outcome.seconds, outcome.cpu_seconds = round(run.seconds, 1), round(run.cpu_seconds, 1)
    outcome.commit = world.repo.commit(f"retrain on data to {as_of}: {outcome.outcome}")
    return outcome


Progress = Callable[[Month], None]


def play(world: World, server: Server, replay: ReplayParams, on_month: Progress) -> list[Month]:
    """Play every month of the replay window; call `on_month` after each (for live output)."""
    never = world.model(world.champion_version())
    done: list[Month] = []
    since = 0
    shadowed: str | None = None  # the challenger the service predicts with in shadow
    for start, end in tqdm(months(replay.start, replay.end), desc="replay", unit="month"):
        rows = world.month_rows(start, end)
        served = world.champion_version()
        clock, cpu = time.perf_counter(), time.process_time()
        traffic = send_month(server.url, rows, world.spec, replay.clients)
        shadow_rows = 0
        if shadowed:  # the shadow thread logs behind the answers: let it catch up
            answered = traffic.requests - traffic.failed
            shadow_rows = wait_for_shadow_rows(world.settings.prediction_log, start, end, answered)
        month, summary = observe_month(world, start, end, rows, traffic, never, served)
        month.seconds["traffic"] = round(traffic.seconds, 1)
        month.seconds["monitor"] = round(time.perf_counter() - clock - traffic.seconds, 1)
        month.seconds["replay_cpu"] = round(time.process_time() - cpu, 1)
        if done and (made := promoted_in(done[-1])):  # last month's promotion, in hindsight
            clock = time.perf_counter()
            done[-1].hindsight = hindsight(world, made, month.month, rows)
            month.seconds["hindsight"] = round(time.perf_counter() - clock, 1)
        since += 1
        if shadowed:
            month.live = apply_live_gate(
                summary, world.params, world.settings, shadowed, served, shadow_rows
            )
            if month.live.action == "promote":
                month.switched_to, since = server.reload_to(shadowed), 0
            elif month.live.action == "refuse":
                follow_challenger(server, None)  # the alias is gone: stop shadowing it
            if month.live.action != "wait":
                shadowed = None
        # A challenger still waiting keeps its place; one just promoted is monitored first.
        busy = shadowed is not None or (month.live is not None and month.live.action == "promote")
        if not busy and should_retrain(replay.policy, month.decision, since, replay.every_months):
            month.retrain, since = retrain(world, end.date()), 0
            month.seconds["retrain"] = month.retrain.seconds
            month.seconds["retrain_cpu"] = month.retrain.cpu_seconds
            if month.retrain.outcome == "promote" and month.retrain.version:
                month.switched_to = server.reload_to(month.retrain.version)  # no restart
            elif month.retrain.outcome == "shadow" and month.retrain.version:
                follow_challenger(server, month.retrain.version)  # next month, in shadow
                shadowed = month.retrain.version
        done.append(month)
        on_month(month)
    return done


def hindsight(world: World, made: Promoted, month: str, rows: pd.DataFrame) -> Hindsight | None:
    """A promotion judged by the next month's labelled rows: the new champion against the one
    it replaced, on the gate metric at gate.confidence (None: the month has no labels)."""
    labelled = rows[rows[world.spec.target].notna()]
    if labelled.empty:
        return None
    gate = world.params.gate
    return judge_in_hindsight(
        month,
        made,
        gate.metric,
        labelled[world.spec.target].to_numpy(float),
        predict_frame(world.model(made.replaced), labelled, world.spec).to_numpy(float),
        predict_frame(world.model(made.version), labelled, world.spec).to_numpy(float),
        labelled[EVENT_TIME].to_numpy(),
        gate.confidence,
        seed=world.params.seed,
        margin=gate.margin,
    )


def observe_month(
    world: World,
    start: pd.Timestamp,
    end: pd.Timestamp,
    rows: pd.DataFrame,
    traffic: Traffic,
    never: Pipeline,
    served: str,
) -> tuple[Month, MonitorSummary]:
    """After the month: deliver its labels, monitor it, and score served vs never-retrained."""
    from lifecycle.monitoring.feedback import deliver_from_source
    from lifecycle.monitoring.monitor import monitor_window
    from lifecycle.monitoring.paths import MonitorPaths
    from lifecycle.monitoring.window import Window

    window = Window(start, end)
    deliver_from_source(world.source, world.spec, window, world.settings.feedback_store)
    paths = MonitorPaths.default(world.settings, world.reports)
    summary = monitor_window(window, world.spec, world.params, world.settings, paths).summary
    target, terms = rows[world.spec.target], world.terms
    answered = traffic.predictions.notna()
    served_scores = score_month(terms, target[answered], traffic.predictions[answered])
    counterfactual = score_month(terms, target, predict_frame(never, rows, world.spec))
    month = Month(
        month=f"{start:%Y-%m}",
        served_version=served,
        requests=traffic.requests,
        failed_requests=traffic.failed,
        rows=len(rows),
        served=served_scores,
        counterfactual=counterfactual,
        drift_share=summary.drift_share,
        decision=summary.decision,
        reasons=list(summary.reasons),
        answered_by=traffic.answered_by,
        report=_report(world.reports, window.label),
    )
    return month, summary


def _report(reports: Path, label: str) -> str | None:
    """The month's monitoring report, relative to the reports folder's parent (None: none)."""
    page = reports / label / "report.html"
    return str(page.relative_to(reports.parent)) if page.is_file() else None
