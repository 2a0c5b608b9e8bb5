"""What a window holds before any comparison: the champion's answers of the version that served
it, with labels attached, that version's reference, and the live (shadow, canary) rows."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from lifecycle.dataset import DatasetSpec
from lifecycle.monitoring.decision import enough_rows
from lifecycle.monitoring.feedback import attach_labels, read_labels, unkeyed
from lifecycle.monitoring.frames import schema_problems
from lifecycle.monitoring.live import LiveEvidence, compare_live
from lifecycle.monitoring.live_rows import CANARY, read_live_rows
from lifecycle.monitoring.paths import MonitorPaths
from lifecycle.monitoring.reference import MonitoredModel, ReferenceMissing, reference_frame
from lifecycle.monitoring.reference import monitored_model as lookup_model
from lifecycle.monitoring.window import LogError, LoggedWindow, Window, read_window
from lifecycle.params import Params
from lifecycle.settings import Settings
from lifecycle.store import label


@dataclass
class Observed:
    """What was found for a window before any comparison."""

    logged: LoggedWindow
    current: pd.DataFrame  # predictions of the monitored version (labels attached)
    served_as: tuple[str, str] | None = None  # (model name, version) as the log names it
    model: MonitoredModel | None = None  # that version, found in the registry
    reference: pd.DataFrame | None = None
    versions: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def observe_live(
    window: Window, spec: DatasetSpec, params: Params, paths: MonitorPaths, obs: Observed
) -> LiveEvidence:
    """The live stage's evidence in the window: the challenger's shadow predictions against
    the champion's answers on the same labelled rows, and a canary's answers on their own."""
    try:
        rows = read_live_rows(paths.log, window)
    except LogError as err:
        return LiveEvidence(notes=[f"live rows not read: {err}"])
    if rows is None:  # no shadow and no canary rows: every answered row is the champion's
        return LiveEvidence(variants={"champion": obs.logged.logged} if obs.logged.logged else {})
    labels = read_labels(paths.feedback, window)
    version = obs.served_as[1] if obs.served_as else None
    return compare_live(rows, labels, spec, params, version)


def observe_window(
    window: Window,
    spec: DatasetSpec,
    params: Params,
    settings: Settings,
    paths: MonitorPaths,
    sample_rows: int | None,
) -> Observed:
    """Read the window, pick the model that served it, and fetch that model's reference."""
    try:
        logged = read_window(paths.log, window, sample_rows, params.seed)
    except LogError as err:
        return Observed(LoggedWindow(pd.DataFrame(), 0), pd.DataFrame(), problems=[str(err)])
    if logged.frame.empty:
        problem = (
            f"no predictions logged with event time in [{window.start}, {window.end}) "
            f"in {label(paths.log)}: serve traffic, or replay a period with `make simulate`"
        )
        return Observed(logged, logged.frame, problems=[problem])
    obs = _served_rows(logged)
    if logged.unreadable:
        obs.problems.append(
            f"{logged.unreadable} logged predictions have inputs that are no JSON object"
        )
    obs.problems += schema_problems(obs.current, spec, "prediction log")
    if obs.problems or obs.served_as is None or not enough_rows(len(obs.current), params.monitor):
        return obs  # nothing to compare: no need to touch the registry
    from lifecycle.tracking import configure

    try:
        obs.model = lookup_model(configure(settings), *obs.served_as)
        obs.reference = reference_frame(obs.model, spec, paths.state / "reference")
    except ReferenceMissing as err:
        obs.problems.append(str(err))
    obs.current = attach_labels(obs.current, read_labels(paths.feedback, window), spec)
    if missing := unkeyed(obs.current, spec):
        obs.notes.append(
            f"{missing} of {len(obs.current)} predictions were logged without a row key (the "
            f"client sent no {spec.key_columns}): no label can join them, they count as unlabelled"
        )
    return obs


def _served_rows(logged: LoggedWindow) -> Observed:
    """Keep the champion's answers (not a canary's) of the version that served most of the
    window (a window normally has one)."""
    frame = logged.frame
    if "variant" in frame.columns:  # NULL: a log written before canaries, the champion's
        canary = frame["variant"].astype(object).eq(CANARY).to_numpy()
        if canary.all():
            problem = "every prediction in the window was answered by a canary, none by a champion"
            return Observed(logged, frame.iloc[:0], problems=[problem])
        frame = frame[~canary].reset_index(drop=True)
    keys = frame["model_name"].astype(str) + " v" + frame["model_version"].astype(str)
    versions = {str(k): int(n) for k, n in keys.value_counts().items()}
    top = max(versions, key=lambda k: versions[k])
    rows = frame[keys == top].reset_index(drop=True)
    served_as = (str(rows["model_name"].iloc[0]), str(rows["model_version"].iloc[0]))
    obs = Observed(logged, rows, served_as=served_as, versions=versions)
    if len(versions) > 1:
        obs.notes.append(
            f"several versions served this window {versions}: monitoring {top}, "
            "the one that served most; the other rows are left out"
        )
    if logged.sampled:
        obs.notes.append(
            f"{logged.logged} predictions in the window: a seeded sample of "
            f"{len(frame)} was compared"
        )
    return obs
