"""The replay's record: one row per simulated month, headline numbers, JSON, PNG and Markdown."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from lifecycle.figures import figure


@dataclass
class Retrain:
    """What happened when the loop retrained after a month."""

    as_of: str  # the data snapshot the new candidates were trained on (exclusive end)
    outcome: str  # promote | refuse | failed
    version: str | None  # the registered challenger, if any
    reason: str
    commit: str = ""  # commit of params.yaml + dvc.lock in the replay's working repository
    seconds: float = 0.0
    cpu_seconds: float = 0.0  # CPU of `dvc repro` and its stage processes (wall time is noisy)


@dataclass
class Month:
    """One simulated month: what was served, how well, what monitoring said, what followed."""

    month: str  # YYYY-MM
    served_version: str
    requests: int
    failed_requests: int
    rows: int
    served_mae: float | None  # MAE of the predictions the service actually returned
    counterfactual_mae: float | None  # MAE the first champion, never retrained, would have had
    drift_share: float | None
    decision: str  # what monitoring said: ok | retrain | insufficient_data
    reasons: list[str] = field(default_factory=list)
    retrain: Retrain | None = None
    switched_to: str | None = None  # version the live server switched to after this month
    # Wall time of each phase, and CPU: `replay_cpu` is this process (the HTTP clients and
    # monitoring), `retrain_cpu` the retrain's processes. The server's CPU is not included.
    seconds: dict[str, float] = field(default_factory=dict)


@dataclass
class Headline:
    """The numbers a reader wants first."""

    months: int
    served_mae: float
    counterfactual_mae: float
    error_saved: float  # total absolute error avoided vs never retraining (target units)
    error_saved_pct: float
    retrains: int
    promotions: int
    refusals: int
    failures: int
    failed_requests: int


def headline(months: list[Month]) -> Headline:
    """Aggregate the months into the headline numbers (row-weighted MAEs)."""
    pairs = [(m.served_mae, m.counterfactual_mae, m.rows) for m in months]
    scored = [(s, c, n) for s, c, n in pairs if s is not None and c is not None]
    rows = sum(n for _, _, n in scored) or 1
    served = sum(s * n for s, _, n in scored)
    never = sum(c * n for _, c, n in scored)
    outcomes = [m.retrain.outcome for m in months if m.retrain]
    return Headline(
        months=len(months),
        served_mae=round(served / rows, 2),
        counterfactual_mae=round(never / rows, 2),
        error_saved=round(never - served, 1),
        error_saved_pct=round(100 * (never - served) / never, 1) if never else 0.0,
        retrains=len(outcomes),
        promotions=outcomes.count("promote"),
        refusals=outcomes.count("refuse"),
        failures=outcomes.count("failed"),
        failed_requests=sum(m.failed_requests for m in months),
    )


def write_timeline_json(months: list[Month], meta: dict[str, Any], path: Path) -> None:
    """timeline.json: metadata, headline and every month."""
    path.parent.mkdir(parents=True, exist_ok=True)
    body = {
        "meta": meta,
        "headline": asdict(headline(months)),
        "months": [asdict(m) for m in months],
    }
    path.write_text(json.dumps(body, indent=2) + "\n")


def _fmt(value: float | None, digits: int = 1) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def _event(m: Month) -> str:
    if not m.retrain:
        return ""
    r = m.retrain
    text = f"retrain on data to {r.as_of}: **{r.outcome}**"
    return f"{text} v{r.version} ({r.reason})" if r.version else f"{text} ({r.reason})"


def timeline_markdown(months: list[Month], meta: dict[str, Any]) -> str:
    """A readable page: headline, then one table row per month."""
    h = headline(months)
    lines = [
        f"# Lifecycle replay ({meta.get('policy', '?')} policy)",
        "",
        f"- months replayed: {h.months}; requests failed: {h.failed_requests}",
        f"- MAE of served predictions: **{h.served_mae}** vs never retraining: "
        f"**{h.counterfactual_mae}**",
        f"- error saved vs never retraining: **{h.error_saved:,.0f}** ({h.error_saved_pct} %)",
        f"- retrains: {h.retrains}, promotions: {h.promotions}, refusals: {h.refusals}, "
        f"failures: {h.failures}",
        f"- wall time: {meta.get('seconds', '?')} s, set-up included (load average 1/5/15 min "
        f"at the end: {meta.get('load_average', '?')}; timeline.json has each phase per month)",
        "",
        "| month | served | MAE served | MAE never retrained | drift share | monitor | then |",
        "|---|---|---|---|---|---|---|",
    ]
    for m in months:
        lines.append(
            f"| {m.month} | v{m.served_version} | {_fmt(m.served_mae)} | "
            f"{_fmt(m.counterfactual_mae)} | {_fmt(m.drift_share, 2)} | {m.decision} | "
            f"{_event(m)} |"
        )
    return "\n".join(lines) + "\n"


def plot_months(months: list[Month], path: Path, title: str) -> None:
    """Served vs never-retrained MAE per month, drift share below, retrains marked."""
    x = list(range(len(months)))
    panels: dict[str, Any] = {"nrows": 2, "sharex": True, "gridspec_kw": {"height_ratios": [2, 1]}}
    with figure(path, (11, 6), **panels) as (_, (top, bottom)):
        top.plot(x, [m.served_mae for m in months], marker="o", label="served (with retraining)")
        top.plot(
            x,
            [m.counterfactual_mae for m in months],
            marker="x",
            linestyle="--",
            label="never retrained",
        )
        for i, m in enumerate(months):
            if m.retrain:
                color = "green" if m.retrain.outcome == "promote" else "red"
                top.axvline(i + 0.5, color=color, alpha=0.3)
        top.plot([], [], color="green", alpha=0.3, label="retrain promoted")  # legend entries
        top.plot([], [], color="red", alpha=0.3, label="retrain refused or failed")
        top.set(ylabel="MAE (rentals/hour)", title=title)
        top.legend()
        bottom.bar(x, [m.drift_share or 0 for m in months], color="gray")
        bottom.set(ylabel="drift share", ylim=(0, 1))
        bottom.set_xticks(x, [m.month for m in months], rotation=60)


def publish_timeline(months: list[Month], meta: dict[str, Any], out: Path) -> None:
    """Write timeline.json, timeline.md and timeline.png into `out`."""
    write_timeline_json(months, meta, out / "timeline.json")
    (out / "timeline.md").write_text(timeline_markdown(months, meta))
    if months:
        plot_months(
            months, out / "timeline.png", f"Served vs never-retrained ({meta.get('policy')})"
        )
