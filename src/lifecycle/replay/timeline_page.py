"""The replay's pages: the headline in the task's terms, timeline.md and timeline.png."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lifecycle.figures import figure
from lifecycle.replay.scoring import ERROR_UNITS, ReplayTerms, axis_label, digits, metric_label
from lifecycle.replay.timeline import (
    Headline,
    Hindsight,
    LiveStage,
    Month,
    headline,
    write_timeline_json,
)
from lifecycle.tasks import higher_is_better


def _fmt(value: float | None, places: int = 1) -> str:
    return "–" if value is None else f"{value:.{places}f}"


def _show(value: float | None, metric: str) -> str:
    """A headline score with its metric's decimals (0.7930, not 0.793, next to 0.7921)."""
    return _fmt(value, digits(metric))


def _saved(h: Headline) -> str:
    """The total loss avoided: error (target units) for MAE, otherwise the loss summed by row."""
    if h.error_saved is None:
        return "–"
    return f"{h.error_saved:,.0f}" if h.metric in ERROR_UNITS else f"{h.error_saved:,.1f}"


def _shortfall(h: Headline) -> str:
    """How the shortfall from a perfect 1 changed, in words (never a negative saving)."""
    if h.shortfall_closed_pct is None:
        return "shortfall from a perfect 1 unchanged"
    way = "smaller" if h.shortfall_closed_pct >= 0 else "larger"
    return f"shortfall from a perfect 1 {abs(h.shortfall_closed_pct)} % {way}"


def change_sentence(h: Headline) -> str:
    """Served vs never retrained, as a change in the headline metric's own direction."""
    label = metric_label(h.metric)
    if higher_is_better(h.metric):
        gain = "–" if h.gain is None else f"{h.gain:+.4f}"
        return f"{label} {gain} ({_shortfall(h)})"
    noun = "error" if h.metric in ERROR_UNITS else label
    return f"{noun} saved {_saved(h)} ({h.error_saved_pct} %)"


def headline_summary(h: Headline) -> str:
    """One line for the console: served vs never retrained, and the change."""
    m = h.metric
    return (
        f"served {metric_label(m)} {_show(h.served[m], m)} vs never retrained "
        f"{_show(h.counterfactual[m], m)}; {change_sentence(h)}"
    )


def headline_lines(h: Headline) -> list[str]:
    """The headline's score bullets: every metric, then the change in the headline metric."""
    lines = [
        f"- {metric_label(m)} of served predictions: **{_show(h.served[m], m)}** vs never "
        f"retraining: **{_show(h.counterfactual[m], m)}**"
        for m in h.served
    ]
    label = metric_label(h.metric)
    if higher_is_better(h.metric):
        gain = "–" if h.gain is None else f"{h.gain:+.4f}"
        lines.append(f"- {label}, served minus never retrained: **{gain}** ({_shortfall(h)})")
    elif h.metric in ERROR_UNITS:
        lines.append(f"- error saved vs never retraining: **{_saved(h)}** ({h.error_saved_pct} %)")
    else:  # a loss averaged per row: its sum over the rows is what retraining avoided
        lines.append(
            f"- {label} saved vs never retraining: **{_saved(h)}** summed over rows "
            f"({h.error_saved_pct} %)"
        )
    return lines


def _pct(value: float) -> str:
    return f"{100 * value:+.1f} %"


def hindsight_text(h: Hindsight) -> str:
    """A promotion as the next month's labels judged it, in a few words."""
    shown = "better" if h.better else "**not better**"
    sure = {True: "confidently", False: "confidently worse", None: "within the noise"}
    return (
        f"next month: {shown}, {sure[h.confident]} (error cut {_pct(h.improvement)}, "
        f"{h.confidence:.0%} interval {_pct(h.low)} .. {_pct(h.high)}, {h.rows} rows)"
    )


def live_text(live: LiveStage) -> str:
    """The live gate's decision on a shadowed challenger, with its evidence."""
    ev = live.evidence or {}
    if ev.get("improvement") is None:
        return f"live gate on v{live.version}: **{live.action}** ({live.reason})"
    span = f"{ev['confidence']:.0%} interval {_pct(ev['low'])} .. {_pct(ev['high'])}"
    return (
        f"live gate on v{live.version}: **{live.action}** (shadow error cut "
        f"{_pct(ev['improvement'])}, {span}, {ev['rows']} rows)"
    )


def _event(m: Month) -> str:
    events = [live_text(m.live)] if m.live else []
    if m.retrain:
        r = m.retrain
        text = f"retrain on data to {r.as_of}: **{r.outcome}**"
        events.append(f"{text} v{r.version} ({r.reason})" if r.version else f"{text} ({r.reason})")
    if m.hindsight:
        events.append(hindsight_text(m.hindsight))
    return "; ".join(events)


def _served(m: Month) -> str:
    """The version that answered, and the one in shadow beside it."""
    shadow = f" (v{m.live.version} in shadow)" if m.live else ""
    return f"v{m.served_version}{shadow}"


def promotions_line(h: Headline, confidence: float | None) -> str:
    """How many promotions the next month's labels did not bear out."""
    at = f" at {confidence:.0%}" if confidence else ""
    line = (
        f"- promotions not better on the next month's labels: **{h.promotions_not_better} of "
        f"{h.promotions_judged}** ({h.promotions_confidently_worse} confidently worse{at})"
    )
    if unjudged := h.promotions - h.promotions_judged:
        line += f"; {unjudged} after the last month, not judged"
    if h.rows_to_detect_margin:
        line += (
            f"\n- labelled rows needed to tell the gate's margin from noise (median over those "
            f"months, 80 % power): **{h.rows_to_detect_margin:,}**"
        )
    return line


def counts_line(h: Headline) -> str:
    """Retrains and what came of them (the shadow stage's counts only when it ran)."""
    line = (
        f"- retrains: {h.retrains}, promotions: {h.promotions}, refusals: {h.refusals}, "
        f"failures: {h.failures}"
    )
    if h.shadowed:
        line += f"; into shadow: {h.shadowed}, refused live: {h.live_refusals}"
    return line


def _monitor(m: Month) -> str:
    """What monitoring said, linked to the month's report when there is one."""
    return f"[{m.decision}]({m.report})" if m.report else m.decision


def timeline_markdown(months: list[Month], meta: dict[str, Any], terms: ReplayTerms) -> str:
    """A readable page: headline, then one table row per month."""
    h = headline(months, terms)
    scored = [
        f"{metric_label(m)} {who}" for m in terms.metrics for who in ("served", "never retrained")
    ]
    lines = [
        f"# Lifecycle replay ({meta.get('policy', '?')} policy)",
        "",
        f"- months replayed: {h.months}; requests failed: {h.failed_requests}",
        *headline_lines(h),
        counts_line(h),
        promotions_line(h, meta.get("gate_confidence")),
        f"- wall time: {meta.get('seconds', '?')} s, set-up included (load average 1/5/15 min "
        f"at the end: {meta.get('load_average', '?')}; timeline.json has each phase per month)",
        "",
        f"| month | served | {' | '.join(scored)} | drift share | monitor | then |",
        "|---|---|" + "---|" * len(scored) + "---|---|---|",
    ]
    for m in months:
        cells = [
            _fmt(side.get(metric), digits(metric, table=True))
            for metric in terms.metrics
            for side in (m.served, m.counterfactual)
        ]
        lines.append(
            f"| {m.month} | {_served(m)} | {' | '.join(cells)} | "
            f"{_fmt(m.drift_share, 2)} | {_monitor(m)} | {_event(m)} |"
        )
    return "\n".join(lines) + "\n"


def plot_months(months: list[Month], path: Path, title: str, metric: str) -> None:
    """Served vs never-retrained `metric` per month, drift share below; retrains, shadow months
    (shaded) and live decisions marked, and the promotions the next month showed not better."""
    x = list(range(len(months)))
    panels: dict[str, Any] = {"nrows": 2, "sharex": True, "gridspec_kw": {"height_ratios": [2, 1]}}
    with figure(path, (11, 6), **panels) as (_, (top, bottom)):
        served = [m.served.get(metric) for m in months]
        never = [m.counterfactual.get(metric) for m in months]
        top.plot(x, served, marker="o", label="served (with retraining)")
        top.plot(x, never, marker="x", linestyle="--", label="never retrained")
        _mark_events(top, bottom, months)
        wrong = [
            (i + 1, served[i + 1])
            for i, m in enumerate(months[:-1])
            if m.hindsight and not m.hindsight.better and served[i + 1] is not None
        ]
        if wrong:
            top.scatter(*zip(*wrong, strict=True), s=120, marker="v", color="red", zorder=3,
                        label="promotion not better next month")  # fmt: skip
        top.set(ylabel=axis_label(metric), title=title)
        top.legend(fontsize="small")
        bottom.bar(x, [m.drift_share or 0 for m in months], color="gray")
        bottom.set(ylabel="drift share", ylim=(0, 1))
        bottom.set_xticks(x, [m.month for m in months], rotation=60)


def _mark_events(axes: Any, below: Any, months: list[Month]) -> None:
    """Retrains as lines after their month, shadow months shaded (the shadowed version and its
    live error cut written in the panel `below`), live decisions dashed."""
    shadowed = live = False
    for i, m in enumerate(months):
        if m.retrain:
            color = "green" if m.retrain.outcome in ("promote", "shadow") else "red"
            axes.axvline(i + 0.5, color=color, alpha=0.3)
        if m.live:
            shadowed = True
            axes.axvspan(i - 0.5, i + 0.5, color="orange", alpha=0.15)
            cut = (m.live.evidence or {}).get("improvement")
            said = f"v{m.live.version} in shadow"
            said += "" if cut is None else f"\nerror cut {100 * cut:+.0f} %"
            below.text(i, 0.97, said, ha="center", va="top", fontsize="small")  # live evidence
            if m.live.action in ("promote", "refuse"):
                live = True
                color = "green" if m.live.action == "promote" else "red"
                axes.axvline(i + 0.5, color=color, linestyle="--", alpha=0.6)
    passed = "retrain promoted or into shadow" if shadowed else "retrain promoted"
    axes.plot([], [], color="green", alpha=0.3, label=passed)  # legend entries
    axes.plot([], [], color="red", alpha=0.3, label="retrain refused or failed")
    if shadowed:
        axes.fill_between([], [], color="orange", alpha=0.15, label="challenger in shadow")
    if live:
        axes.plot([], [], color="gray", linestyle="--", label="live gate: promote / refuse")


def publish_timeline(
    months: list[Month], meta: dict[str, Any], out: Path, terms: ReplayTerms
) -> None:
    """Write timeline.json, timeline.md and timeline.png into `out`."""
    write_timeline_json(months, meta, out / "timeline.json", terms)
    (out / "timeline.md").write_text(timeline_markdown(months, meta, terms))
    if months:
        title = f"Served vs never-retrained ({meta.get('policy')})"
        plot_months(months, out / "timeline.png", title, terms.metric)
