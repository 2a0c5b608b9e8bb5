"""Live evidence from the prediction log: the challenger against the champion on live traffic.

Shadow: the challenger predicted the same records the champion answered (the log's
`shadow_predictions`, joined to the answered rows by (request_id, row)), so both are scored on
the same labelled rows: a paired comparison. Canary: the challenger answered some clients
itself (`variant` canary), so each model is scored on its own labelled rows: an unpaired one.
Both are the gate's number, the relative cut of the error with a day-block bootstrap interval
(lifecycle.evidence); this module reads the rows and turns the result into a typed summary.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from lifecycle.dataset import EVENT_TIME, DatasetSpec
from lifecycle.evidence import Comparison, Side, metric_value, paired, unpaired
from lifecycle.monitoring.feedback import attach_labels
from lifecycle.monitoring.live_comparison import DayErrors, LiveComparison
from lifecycle.monitoring.live_rows import CANARY, CHAMPION, LiveRows
from lifecycle.params import Params

KEY = ["request_id", "row"]  # joins a shadow row to the answered row of the same record


@dataclass
class LiveEvidence:
    """What the live rows of a window show: the comparisons, notes, and rows per variant."""

    shadow: LiveComparison | None = None
    canary: LiveComparison | None = None
    notes: list[str] = field(default_factory=list)
    variants: dict[str, int] = field(default_factory=dict)  # rows in the window per variant


def _newest(versions: pd.Series) -> tuple[str, dict[str, int]]:
    """The newest registered version (the highest number) and the rows of each."""
    counts = {str(k): int(n) for k, n in versions.value_counts().items()}
    return max(counts, key=lambda k: (int(k) if k.isdigit() else -1, k)), counts


def _top(versions: pd.Series) -> tuple[str, dict[str, int]]:
    """The most frequent version and the rows of each (most first)."""
    counts = {str(k): int(n) for k, n in versions.value_counts().items()}
    return max(counts, key=lambda k: counts[k]), counts


def _per_day(
    metric: str, champion: pd.DataFrame, challenger: pd.DataFrame, target: str, p: tuple[str, str]
) -> list[DayErrors]:
    """Each calendar day's gate metric of both sides (the PNG's bars)."""
    days = sorted(
        set(champion[EVENT_TIME].dt.normalize()) | set(challenger[EVENT_TIME].dt.normalize())
    )

    def score(frame: pd.DataFrame, column: str, day: pd.Timestamp) -> tuple[int, float | None]:
        rows = frame[frame[EVENT_TIME].dt.normalize() == day]
        if rows.empty:
            return 0, None
        value = metric_value(metric, rows[target].to_numpy(float), rows[column].to_numpy(float))
        return len(rows), float(value) if np.isfinite(value) else None

    out = []
    for day in days:
        (n_a, a), (n_b, b) = score(champion, p[0], day), score(challenger, p[1], day)
        out.append(
            DayErrors(
                day=f"{day:%Y-%m-%d}",
                champion_rows=n_a,
                challenger_rows=n_b,
                champion=a,
                challenger=b,
            )
        )
    return out


def _finite(found: Comparison) -> bool:
    return all(np.isfinite(v) for v in (found.improvement, found.low, found.high))


def compare_live(
    rows: LiveRows,
    labels: pd.Series,
    spec: DatasetSpec,
    params: Params,
    champion_version: str | None,
) -> LiveEvidence:
    """Shadow (paired) and canary (unpaired) comparisons on the window's labelled rows.

    The champion's side is its champion-variant rows of `champion_version` (the version
    monitoring judges; None: the one that answered most). Labels come from the answered rows.
    """
    answered = attach_labels(rows.answered, labels, spec)
    evidence = LiveEvidence(variants=_variants(answered, rows.shadow))
    champ = answered[answered["variant"] == CHAMPION]
    if champ.empty:
        evidence.notes.append("no champion-answered rows in the window: no live comparison")
        return evidence
    version = champion_version or _top(champ["model_version"])[0]
    champ = champ[champ["model_version"] == version]
    evidence.shadow = _shadow(champ, rows.shadow, spec, params, version, evidence.notes)
    canary = answered[answered["variant"] == CANARY]
    if not canary.empty:
        evidence.canary = _canary(champ, canary, spec, params, version, evidence.notes)
    return evidence


def _variants(answered: pd.DataFrame, shadow: pd.DataFrame) -> dict[str, int]:
    counts = {str(k): int(n) for k, n in answered["variant"].value_counts().items()}
    if len(shadow):
        counts["shadow"] = len(shadow)
    return counts


def _shadow(
    champ: pd.DataFrame,
    shadow: pd.DataFrame,
    spec: DatasetSpec,
    params: Params,
    version: str,
    notes: list[str],
) -> LiveComparison | None:
    if shadow.empty:
        return None
    live, target = params.gate.live, spec.target
    top, counts = _newest(shadow["model_version"])
    if len(counts) > 1:
        notes.append(
            f"several challenger versions were shadowed in this window {counts}: the live "
            f"comparison is v{top}'s, the newest (the one a live gate waits for)"
        )
    theirs = shadow[shadow["model_version"] == top][[*KEY, "prediction"]]
    joined = champ.merge(theirs.rename(columns={"prediction": "shadow"}), on=KEY, how="inner")
    if joined.empty:
        notes.append(
            f"{len(theirs)} shadow predictions of v{top}, none for a record champion "
            f"v{version} answered: no live comparison"
        )
        return None
    if unmatched := len(theirs) - len(joined):
        notes.append(
            f"{unmatched} shadow predictions of v{top} have no answered row of champion "
            f"v{version} (another version or a canary answered them): left out"
        )
    labelled = joined[joined[target].notna()]
    if labelled.empty:
        notes.append(
            f"{len(joined)} shadow predictions of v{top} paired with champion v{version}, "
            f"none labelled yet ({len(joined)} labels missing; gate.live.min_rows is "
            f"{live.min_rows}): no live comparison (deliver labels with `make feedback`)"
        )
        return None
    if len(labelled) < live.min_rows:
        notes.append(
            f"only {len(labelled)} of {len(joined)} shadow rows of v{top} are labelled "
            f"({len(joined) - len(labelled)} labels missing); gate.live.min_rows is "
            f"{live.min_rows}: the live gate waits"
        )
    found = paired(
        params.gate.metric,
        labelled[target].to_numpy(float),
        labelled["prediction"].to_numpy(float),
        labelled["shadow"].to_numpy(float),
        labelled[EVENT_TIME].to_numpy(),
        live.confidence,
        params.seed,
    )
    if not _finite(found):
        notes.append(f"the live comparison of v{top} is undefined on these rows: {found.verdict()}")
        return None
    days = _per_day(params.gate.metric, labelled, labelled, target, ("prediction", "shadow"))
    return LiveComparison.of(found, "shadow", _logged_name(champ), (top, version), days)


def _logged_name(frame: pd.DataFrame) -> str:
    """The registered model name the rows were logged under."""
    return str(frame["model_name"].iloc[0])


def _canary(
    champ: pd.DataFrame,
    canary: pd.DataFrame,
    spec: DatasetSpec,
    params: Params,
    version: str,
    notes: list[str],
) -> LiveComparison | None:
    target = spec.target
    top, counts = _newest(canary["model_version"])
    notes.append(
        f"{len(canary)} predictions answered by a canary {counts}: not the champion's, left "
        "out of its monitoring and compared with it on their own rows"
    )
    ours = canary[(canary["model_version"] == top) & canary[target].notna()]
    theirs = champ[champ[target].notna()]
    if ours.empty or theirs.empty:
        notes.append(
            f"canary v{top}: {len(ours)} labelled canary rows, {len(theirs)} labelled champion "
            "rows: its live error cannot be compared yet"
        )
        return None
    found = unpaired(
        params.gate.metric,
        Side(
            theirs[target].to_numpy(float),
            theirs["prediction"].to_numpy(float),
            theirs[EVENT_TIME].to_numpy(),
        ),
        Side(
            ours[target].to_numpy(float),
            ours["prediction"].to_numpy(float),
            ours[EVENT_TIME].to_numpy(),
        ),
        params.gate.live.confidence,
        params.seed,
    )
    if not _finite(found):
        notes.append(
            f"the canary comparison of v{top} is undefined on these rows: {found.verdict()}"
        )
        return None
    days = _per_day(params.gate.metric, theirs, ours, target, ("prediction", "prediction"))
    return LiveComparison.of(found, "canary", _logged_name(champ), (top, version), days)
